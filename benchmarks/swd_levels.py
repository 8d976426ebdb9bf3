"""Where does a fill lose on the realism score? The SWD per Laplacian-pyramid level (a benchmark script)

    python -m benchmarks.swd_levels --models pconv-unet-photos opencv-ns opencv-telea patchmatch \\
        --images ../shared/data/photos/val --images-per-bucket 20

:func:`inpainting.metrics.swd_realism` is the mean of one sliced Wasserstein distance per band-pass
level of the Laplacian pyramid (full, 1/2 and 1/4 resolution: fine texture, then coarser detail).
This script splits the score of each model into those levels on the standard pairs
(:mod:`train.evaluate`'s protocol: NVIDIA buckets and/or object blobs at 256 px, seeded), and gives
each level's paired margin against ``--baseline`` (mean ± 95 % interval over the pairs). A level's
SWD is computed exactly as inside the score: the pyramid's band ``k`` and its patch sampling do not
depend on how many levels are kept, so level ``k`` = ``k·score(levels=k) − (k−1)·score(levels=k−1)``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

import inpainting
from inpainting.metrics import swd_realism
from train.evaluate.protocol import EvalSettings, build_pairs, prepare_image

LEVEL_NAMES = ("full (fine texture)", "1/2", "1/4 (coarse detail)")


def level_scores(pred: np.ndarray, target: np.ndarray, hole: np.ndarray, levels: int = 3) -> np.ndarray:
    """The SWD (×10³) of each of the ``levels`` band-pass levels for one H×W×3 uint8 fill of ``hole``."""
    to_tensor = lambda x: torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float() / 255  # noqa: E731
    p, t = to_tensor(pred), to_tensor(target)
    m = torch.from_numpy(hole.astype(np.float32))[None, None]
    cumulative = [k * float(swd_realism(p, t, m, levels=k)[0]) for k in range(1, levels + 1)]
    return np.diff([0.0] + cumulative)


def add_pair_arguments(parser: argparse.ArgumentParser) -> None:
    """The standard pairs' options (:mod:`train.evaluate`'s protocol), shared by the per-level benchmarks."""
    parser.add_argument("--images", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--masks", nargs="+", default=["nvidia", "objects"])
    parser.add_argument("--nvidia-root", default="../shared/data/masks/nvidia_irregular")
    parser.add_argument("--images-per-bucket", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)


def pairs_from_args(args: argparse.Namespace) -> tuple[dict, dict]:
    """(pairs per bucket, image file -> H×W×3 uint8 at ``--size``) for :func:`add_pair_arguments`' options."""
    settings = EvalSettings(images=args.images, size=args.size, masks=tuple(args.masks), nvidia_root=args.nvidia_root,
                            images_per_bucket=args.images_per_bucket, seed=args.seed)
    pairs, _ = build_pairs(settings)
    root = Path(args.images)
    return pairs, {p.image: prepare_image(root / p.image, settings.size) for ps in pairs.values() for p in ps}


def _margin(values: np.ndarray) -> str:
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{values.mean():+.1f} ± {half:.1f}"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True, help="load_model specs")
    parser.add_argument("--baseline", default="opencv-ns", help="the model the margins are taken against")
    add_pair_arguments(parser)
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.models + [args.baseline]))

    pairs, images = pairs_from_args(args)
    flat = [p for ps in pairs.values() for p in ps]
    scores: dict[str, np.ndarray] = {}
    for name in names:
        model = inpainting.load_model(name)
        rows = []
        for pair in flat:
            image = images[pair.image]
            fill = np.asarray(inpainting.inpaint(model, image, pair.hole).convert("RGB"), dtype=np.uint8)
            rows.append(level_scores(fill, image, pair.hole))
        scores[name] = np.asarray(rows)  # pairs × levels
        print(f"{name}: done ({len(rows)} pairs)", file=sys.stderr, flush=True)

    print(f"\n{len(flat)} pairs ({', '.join(f'{b}: {len(v)}' for b, v in pairs.items())}), {args.size} px, seed {args.seed}; "
          f"SWD ×10³ per band-pass level, lower = more realistic; margins vs {args.baseline}, paired, ± 95 %\n")
    header = "| model | " + " | ".join(LEVEL_NAMES) + " | score | " + " | ".join(f"Δ {n}" for n in LEVEL_NAMES) + " |"
    print(header)
    print("|---|" + "---:|" * (2 * len(LEVEL_NAMES) + 1))
    base = scores[args.baseline]
    for name in names:
        s = scores[name]
        deltas = [_margin(s[:, k] - base[:, k]) if name != args.baseline else "–" for k in range(s.shape[1])]
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in s.mean(0)) + f" | {s.mean():.1f} | " + " | ".join(deltas) + " |")
    return {name: s.mean(0).tolist() for name, s in scores.items()}


if __name__ == "__main__":
    main()
