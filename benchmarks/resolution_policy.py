"""Which scale should ``inpaint(strategy="auto")`` run a learned model at? Candidates measured.

    python -m benchmarks.resolution_policy --images ../shared/data/scenes/val --size native \\
        --models pconv-unet-scenes pconv-unet-photos --images-per-bucket 18

Each candidate is a way to call :func:`inpainting.inpaint` (a strategy and a resize limit, in
multiples of the model's working size ``N``). Every candidate sees the same image/mask pairs
(:func:`train.evaluate.build_pairs`: NVIDIA masks, six hole-ratio buckets, seeded), scored with
PSNR, SSIM (whole composited image) and the realism score SWD
(:func:`inpainting.metrics.swd_realism`, lower is better). Prints one Markdown table: per model
and candidate, the means over every pair, the SWD over the large-hole pairs (hole > 30 %), and
the paired difference to the first candidate (mean ± 95 % interval over pairs).
"""
from __future__ import annotations

import argparse
import platform
from dataclasses import dataclass

import cv2
import numpy as np
import torch

import inpainting
from benchmarks.compare import HEADER, Rows, load_pairs


@dataclass(frozen=True)
class Candidate:
    """One way to run a model: ``inpaint(strategy=strategy, resize_limit=limit × N)``; or, with
    ``hole`` set, ``resize`` to the scale at which the hole's widest point (twice the largest
    distance from a hole pixel to the known region) is ``hole × N``, never below N nor above 1."""

    name: str
    strategy: str
    limit: float | None  # multiple of the working size N; None: the strategy's default
    note: str
    hole: float | None = None


def _hole_scaled_limit(hole: np.ndarray, native: int, width: float) -> int:
    radius = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5).max())
    long_side = max(hole.shape)
    scale = min(1.0, width * native / max(1e-6, 2 * radius))
    return int(min(long_side, max(native, round(scale * long_side))))


CANDIDATES = (
    Candidate("auto", "auto", None, "the library's auto"),
    Candidate("original", "original", None, "the whole photo at its own size (fully convolutional)"),
    Candidate("crop@N", "crop", 1.0, "a box around each hole, shrunk to at most N"),
    Candidate("resize@N", "resize", 1.0, "the whole photo shrunk to N"),
    Candidate("resize@2N", "resize", 2.0, "the whole photo shrunk to 2N"),
    Candidate("resize@4N", "resize", 4.0, "the whole photo shrunk to 4N"),
    Candidate("hole@0.2", "resize", None, "the hole's width scaled to 0.2 N", hole=0.2),
    Candidate("hole@0.4", "resize", None, "the hole's width scaled to 0.4 N", hole=0.4),
    Candidate("hole@0.8", "resize", None, "the hole's width scaled to 0.8 N", hole=0.8),
)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", required=True)
    p.add_argument("--size", default="native", help="'native' or a side in pixels")
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--candidates", nargs="+", default=[c.name for c in CANDIDATES])
    p.add_argument("--images-per-bucket", type=int, default=18)
    p.add_argument("--nvidia-root", default="../shared/data/masks/nvidia_irregular")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    size = args.size if args.size == "native" else int(args.size)
    pairs, images = load_pairs(args.images, size, images_per_bucket=args.images_per_bucket,
                               nvidia_root=args.nvidia_root, seed=args.seed)
    chosen = [c for c in CANDIDATES if c.name in args.candidates]
    print(f"{args.images} at {size}: {len(pairs)} pairs (6 NVIDIA buckets × {args.images_per_bucket} images); "
          f"{platform.machine()}, {torch.get_num_threads()} torch threads\n")
    print(HEADER.format(what="model (N), candidate"))
    for name in args.models:
        model = inpainting.load_model(name, device="cpu")
        rows = Rows(pairs, images)
        for c in chosen:
            limit = None if c.limit is None else max(32, int(round(c.limit * model.native_size)))

            def fill(image, hole, c=c, limit=limit):
                if c.hole is not None:
                    limit = _hole_scaled_limit(hole, model.native_size, c.hole)
                return np.asarray(inpainting.inpaint(model, image, hole, strategy=c.strategy, resize_limit=limit))

            rows.run(f"{name} ({model.native_size}), {c.name}", fill)


if __name__ == "__main__":
    main()
