"""How much detail does a fill carry? Band RMS in the hole per Laplacian level, fill vs truth (a benchmark script)

    python -m benchmarks.band_energy --models pconv-unet-photos opencv-ns patchmatch \\
        --images ../shared/data/photos/val --images-per-bucket 20 --gains 1.25 1.5

The realism score (:func:`inpainting.metrics.swd_realism`) compares the distributions of band-pass
patches in the hole. A fill can lose there for two opposite reasons: detail of the wrong kind (its
band energy near the truth's, its patches unlike) or too little detail (a regression-to-the-mean
fill, its band energy below the truth's). This script tells them apart: for each model, on the
standard pairs (:mod:`train.evaluate`'s protocol), the RMS of each band-pass level over the hole
(the composite's pyramid, the hole max-pooled per level, as inside the score) beside the truth's,
with the SWD of each level, PSNR and SSIM.

``--gains`` adds, for the first model, its fill with the bands of ``--gain-levels`` multiplied
by each gain (then composited into the known pixels again): if more of the fill's own detail
lowers the SWD, the fill lacks energy there; if it raises it, the detail is wrong.
"""
from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np
import torch

import inpainting
from benchmarks.swd_levels import LEVEL_NAMES, add_pair_arguments, level_scores, pairs_from_args
from inpainting.metrics import _laplacian_pyramid, _max_pool2, psnr, ssim


def band_rms(image: np.ndarray, hole: np.ndarray, levels: int = 3) -> np.ndarray:
    """RMS over the hole of each of the first ``levels`` band-pass levels of H×W×C float ``image``
    (finest first); ``hole`` H×W bool, max-pooled 2×2 per level as in the realism score."""
    pyramid = _laplacian_pyramid(image.astype(np.float32), levels + 1)
    out = []
    for k in range(levels):
        if k:
            hole = _max_pool2(hole)
        out.append(float(np.sqrt((pyramid[k][hole] ** 2).mean())) if hole.any() else float("nan"))
    return np.asarray(out)


def scale_bands(fill: np.ndarray, truth: np.ndarray, hole: np.ndarray, gains: dict[int, float]) -> np.ndarray:
    """``fill`` (H×W×3 uint8) with its band-pass level ``k`` multiplied by ``gains[k]``, rebuilt
    (``cv2.pyrUp``) and pasted into the hole of ``truth``: the same fill with more (or less) of its
    own detail at those scales. The RMS measured afterwards rises by less than the gain (the pyramid
    is not orthogonal: re-analysing the rebuilt image spreads a band over its neighbours, and the
    known pixels are pasted back). Returns H×W×3 uint8."""
    depth = max(gains) + 2
    pyramid = _laplacian_pyramid(fill.astype(np.float32) / 255, depth)
    image = pyramid[-1]
    for k in reversed(range(depth - 1)):
        band = pyramid[k] * gains.get(k, 1.0)
        image = cv2.pyrUp(image, dstsize=(band.shape[1], band.shape[0])).reshape(band.shape) + band
    out = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    return np.where(hole[..., None], out, truth)


def _fidelity(fill: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    p, t = (torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float() / 255 for x in (fill, truth))
    return float(psnr(p, t)[0]), float(ssim(p, t)[0])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True, help="load_model specs; --gains apply to the first")
    add_pair_arguments(parser)
    parser.add_argument("--gains", nargs="*", type=float, default=[], help="detail gains to try on the first model")
    parser.add_argument("--gain-levels", nargs="+", type=int, default=[1, 2], help="levels the gains apply to (0 = full)")
    args = parser.parse_args(argv)

    pairs, images = pairs_from_args(args)
    flat = [p for ps in pairs.values() for p in ps]
    rows: dict[str, list[np.ndarray]] = {"truth": []}
    models = {name: inpainting.load_model(name) for name in args.models}
    first = args.models[0]
    for index, pair in enumerate(flat):
        truth = np.asarray(images[pair.image], dtype=np.uint8)[..., :3]
        hole = pair.hole.astype(bool)
        rows["truth"].append(np.r_[band_rms(truth / 255, hole), 0, 0, 0, np.inf, 1.0])
        fills = {name: np.asarray(inpainting.inpaint(m, images[pair.image], pair.hole).convert("RGB"), dtype=np.uint8)
                 for name, m in models.items()}
        for gain in args.gains:
            fills[f"{first}, levels {'/'.join(map(str, args.gain_levels))} ×{gain:g}"] = scale_bands(
                fills[first], truth, hole, {k: gain for k in args.gain_levels})
        for name, fill in fills.items():
            rows.setdefault(name, []).append(np.r_[band_rms(fill / 255, hole), level_scores(fill, truth, hole),
                                                   _fidelity(fill, truth)])
        if index % 25 == 0:
            print(f"{index + 1}/{len(flat)} pairs", file=sys.stderr, flush=True)

    print(f"\n{len(flat)} pairs ({', '.join(f'{b}: {len(v)}' for b, v in pairs.items())}), {args.size} px, "
          f"seed {args.seed}; band RMS in the hole ×10³ (truth's in the first row), SWD ×10³ per level (lower = "
          f"more realistic)\n")
    print("| fill | " + " | ".join(f"RMS {n}" for n in LEVEL_NAMES) + " | " + " | ".join(f"SWD {n}" for n in LEVEL_NAMES)
          + " | score | PSNR | SSIM |")
    print("|---|" + "---:|" * 9)
    summary = {}
    for name, values in rows.items():
        a = np.asarray(values)
        mean = a.mean(0)
        summary[name] = mean.tolist()
        swd = " | ".join(f"{v:.1f}" for v in mean[3:6]) + f" | {mean[3:6].mean():.1f}" if name != "truth" else "0 | 0 | 0 | 0"
        fid = f"{mean[6]:.2f} | {mean[7]:.4f}" if name != "truth" else "– | 1"
        print(f"| {name} | " + " | ".join(f"{v * 1000:.1f}" for v in mean[:3]) + f" | {swd} | {fid} |")
    return summary


if __name__ == "__main__":
    main()
