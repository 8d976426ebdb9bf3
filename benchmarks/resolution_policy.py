"""Which scale should ``inpaint(strategy="auto")`` run a learned model at? Candidates measured.

    python -m benchmarks.resolution_policy --images ../shared/data/scenes/val --size native \\
        --models pconv-unet-scenes unet-mse-scenes two-stage-gan-scenes --images-per-bucket 18

Each candidate is a way to call :func:`inpainting.inpaint` (a strategy and a resize limit, in
multiples of the model's working size ``N``). Every candidate sees the same image/mask pairs
(:func:`train.evaluate.build_pairs`: NVIDIA masks, six hole-ratio buckets, seeded), and is scored
with PSNR, SSIM (whole composited image) and the realism score SWD
(:func:`inpainting.metrics.swd_realism`, lower is better). Prints one Markdown table: per model
and candidate, the means over every pair, the mean over the large-hole buckets (hole > 30 %),
and the paired difference to the current ``auto`` (mean ± 95 % interval over pairs).
"""
from __future__ import annotations

import argparse
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import inpainting
from inpainting import metrics
from train.evaluate import EvalSettings, build_pairs, prepare_image


@dataclass(frozen=True)
class Candidate:
    """One way to run a model: ``inpaint(strategy=strategy, resize_limit=limit × N)``."""

    name: str
    strategy: str
    limit: float | None  # multiple of the working size N; None: the strategy's default
    note: str


CANDIDATES = (
    Candidate("auto", "auto", None, "the library's auto"),
    Candidate("original", "original", None, "the whole photo at its own size (fully convolutional)"),
    Candidate("crop@N", "crop", None, "a box around each hole, shrunk to at most N"),
    Candidate("resize@N", "resize", 1.0, "the whole photo shrunk to N"),
    Candidate("resize@2N", "resize", 2.0, "the whole photo shrunk to 2N"),
    Candidate("resize@4N", "resize", 4.0, "the whole photo shrunk to 4N"),
)


def _score(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    p = torch.from_numpy(pred).permute(2, 0, 1)[None].float() / 255
    t = torch.from_numpy(target).permute(2, 0, 1)[None].float() / 255
    m = torch.from_numpy(hole.astype(np.float32))[None, None]
    return {
        "psnr": min(100.0, float(metrics.psnr(p, t))),
        "ssim": float(metrics.ssim(p, t)),
        "swd": float(metrics.swd_realism(p, t, m)),
    }


def _interval(values: np.ndarray) -> str:
    half = 1.96 * values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{values.mean():+.3f} ± {half:.3f}"


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
    settings = EvalSettings(images=args.images, size=size, images_per_bucket=args.images_per_bucket,
                            nvidia_root=args.nvidia_root, seed=args.seed)
    pairs, _ = build_pairs(settings)
    flat = [pair for bucket in pairs.values() for pair in bucket]
    images = {pair.image: prepare_image(Path(args.images) / pair.image, size) for pair in flat}
    large = np.array([pair.hole_ratio > 0.3 for pair in flat])
    chosen = [c for c in CANDIDATES if c.name in args.candidates]
    print(f"{args.images} at {size}: {len(flat)} pairs ({len(pairs)} NVIDIA buckets × {args.images_per_bucket} images), "
          f"{int(large.sum())} with hole > 30 %; {platform.machine()}, {torch.get_num_threads()} torch threads\n")
    print("| model (N) | candidate | PSNR | SSIM | SWD ↓ | SWD, hole > 30 % | ΔPSNR vs auto | ΔSSIM vs auto | ΔSWD vs auto | s / image |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        model = inpainting.load_model(name, device="cpu")
        native = model.native_size
        base = None
        for candidate in chosen:
            limit = None if candidate.limit is None else max(32, int(round(candidate.limit * native)))
            scores, seconds = [], 0.0
            for pair in flat:
                t0 = time.perf_counter()
                out = inpainting.inpaint(model, images[pair.image], pair.hole, strategy=candidate.strategy, resize_limit=limit)
                seconds += time.perf_counter() - t0
                scores.append(_score(np.asarray(out.convert("RGB")), images[pair.image], pair.hole))
            table = {k: np.array([s[k] for s in scores]) for k in scores[0]}
            if base is None:
                base = table
            deltas = [_interval(table[k] - base[k]) if candidate.name != chosen[0].name else "-" for k in ("psnr", "ssim", "swd")]
            print(f"| {name} ({native}) | {candidate.name} | {table['psnr'].mean():.2f} | {table['ssim'].mean():.4f} | "
                  f"{np.nanmean(table['swd']):.1f} | {np.nanmean(table['swd'][large]):.1f} | {' | '.join(deltas)} | "
                  f"{seconds / len(flat):.3f} |", flush=True)


if __name__ == "__main__":
    main()
