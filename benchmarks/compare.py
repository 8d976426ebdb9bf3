"""Shared by the candidate benchmarks (resolution policy, PatchMatch settings): the same seeded
image/mask pairs for every candidate, scored with PSNR, SSIM and the realism score SWD, and a
Markdown row per candidate with paired differences to the first one."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from inpainting import metrics
from train.evaluate import EvalSettings, Pair, build_pairs, prepare_image

HEADER = ("| {what} | PSNR | SSIM | SWD ↓ | SWD, hole > 30 % | ΔPSNR vs first | ΔSSIM vs first | ΔSWD vs first | s / image |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|")


def load_pairs(images: str, size, *, images_per_bucket: int, nvidia_root: str, seed: int = 0,
               buckets=None, masks=("nvidia",)) -> tuple[list[Pair], dict[str, np.ndarray]]:
    """The evaluation's pairs (:func:`train.evaluate.build_pairs`), flattened, and their images."""
    settings = EvalSettings(images=images, size=size, images_per_bucket=images_per_bucket, nvidia_root=nvidia_root,
                            seed=seed, buckets=buckets, masks=tuple(masks))
    pairs, _ = build_pairs(settings)
    flat = [pair for bucket in pairs.values() for pair in bucket]
    return flat, {pair.image: prepare_image(Path(images) / pair.image, size) for pair in flat}


def score(pred: np.ndarray, target: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    p = torch.from_numpy(np.ascontiguousarray(pred)).permute(2, 0, 1)[None].float() / 255
    t = torch.from_numpy(np.ascontiguousarray(target)).permute(2, 0, 1)[None].float() / 255
    m = torch.from_numpy(hole.astype(np.float32))[None, None]
    return {
        "psnr": min(100.0, float(metrics.psnr(p, t))),
        "ssim": float(metrics.ssim(p, t)),
        "swd": float(metrics.swd_realism(p, t, m)),
    }


def interval(values: np.ndarray) -> str:
    """Mean ± 95 % interval (normal approximation) of paired differences."""
    half = 1.96 * values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{values.mean():+.3f} ± {half:.3f}"


class Rows:
    """Prints one Markdown row per candidate; differences are paired with the first candidate."""

    def __init__(self, pairs: list[Pair], images: dict[str, np.ndarray]):
        self.pairs, self.images = pairs, images
        self.large = np.array([pair.hole_ratio > 0.3 for pair in pairs])
        self.first: dict[str, np.ndarray] | None = None

    def run(self, label: str, fill: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> dict[str, np.ndarray]:
        scores, seconds = [], 0.0
        for pair in self.pairs:
            t0 = time.perf_counter()
            out = fill(self.images[pair.image], pair.hole)
            seconds += time.perf_counter() - t0
            scores.append(score(out, self.images[pair.image], pair.hole))
        table = {k: np.array([s[k] for s in scores]) for k in scores[0]}
        if self.first is None:
            self.first = table
            deltas = ["-"] * 3
        else:
            deltas = [interval(table[k] - self.first[k]) for k in ("psnr", "ssim", "swd")]
        large = np.nanmean(table["swd"][self.large]) if self.large.any() else float("nan")
        print(f"| {label} | {table['psnr'].mean():.2f} | {table['ssim'].mean():.4f} | {np.nanmean(table['swd']):.1f} | "
              f"{large:.1f} | {' | '.join(deltas)} | {seconds / len(self.pairs):.3f} |", flush=True)
        return table
