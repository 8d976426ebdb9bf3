"""Does the realism score behave on real photos? (a benchmark script, not a test)

    python -m benchmarks.realism_sanity --images ../shared/data/photos/val --count 50

Each image (every ``--step``-th file) gets one object-sized hole (the ``objects`` mask preset, seeded
by its index); fills pasted into the hole of the true photo: the truth itself, the truth blurred
(σ 2 and 4), Navier-Stokes and PatchMatch. Prints mean PSNR and SWD (:func:`inpainting.metrics.swd_realism`)
and each fill's paired SWD difference to NS (mean ± 95 % interval). A blur must score worse than
the truth; PatchMatch should score better than NS.
"""
from __future__ import annotations

import argparse

import cv2
import numpy as np

import inpainting
from benchmarks.compare import interval, score
from inpainting.masks import get_mask_generator
from train.evaluate import list_images, prepare_image


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", default="../shared/data/photos/val")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--step", type=int, default=6)
    args = p.parse_args(argv)
    files = list_images(args.images)[::args.step][:args.count]
    masks = get_mask_generator("objects")
    models = {name: inpainting.load_model(name) for name in ("opencv-ns", "patchmatch")}
    rows: dict[str, list[dict[str, float]]] = {}
    for i, path in enumerate(files):
        photo = prepare_image(path, "native")
        hole = masks(np.random.default_rng(i), photo.shape[:2]).astype(bool)
        fills = {"truth": photo, "truth blurred σ=2": cv2.GaussianBlur(photo, (0, 0), 2),
                 "truth blurred σ=4": cv2.GaussianBlur(photo, (0, 0), 4)}
        fills.update({name: np.asarray(inpainting.inpaint(model, photo, hole)) for name, model in models.items()})
        for name, fill in fills.items():
            rows.setdefault(name, []).append(score(np.where(hole[..., None], fill, photo), photo, hole))
    ns = np.array([r["swd"] for r in rows["opencv-ns"]])
    print(f"{len(files)} images of {args.images} (every {args.step}th), one `objects` hole each (seed = index)\n")
    print("| fill | PSNR (dB) | SWD ↓ | ΔSWD vs NS (95 % interval) |\n|---|---:|---:|---:|")
    for name, values in rows.items():
        swd = np.array([v["swd"] for v in values])
        print(f"| {name} | {np.mean([v['psnr'] for v in values]):.2f} | {swd.mean():.1f} | {interval(swd - ns)} |")


if __name__ == "__main__":
    main()
