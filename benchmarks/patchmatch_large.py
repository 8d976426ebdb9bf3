"""PatchMatch on large photos: time to fill an object-sized hole, per large-image strategy.

    python -m benchmarks.patchmatch_large --repeats 5

A real photo (``--photo``, default a scenes/val photo; scikit-image's ``coffee`` when absent)
upscaled to each size, with an object-sized elliptic hole (``--hole`` of the image's area,
default 4 %, about 700×560 px at 12 MP). Each row runs ``inpaint`` with ``patchmatch`` and one
strategy / ``max_side``; prints the median and min of ``--repeats`` runs (after one warm-up) and
the peak resident memory of the process.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

import inpainting
from train.machine import cpu_label

DEFAULT_PHOTO = Path(__file__).resolve().parents[2] / "shared" / "data" / "scenes" / "val" / "sunhays80_cliff_sun_bufxhmtcaobdrgvd.jpg"


def photo_and_hole(path: Path, width: int, height: int, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    if path.is_file():
        rgb = np.asarray(inpainting.io.load_image(path).rgb)
    else:
        from skimage import data

        rgb = data.coffee()
    image = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_CUBIC)
    hole = np.zeros((height, width), np.uint8)
    # An upright ellipse (a person, a post) of `ratio` of the area, 4:5 wide to tall.
    b = int(np.sqrt(ratio * width * height / np.pi * 5 / 4))
    a = int(b * 4 / 5)
    cv2.ellipse(hole, (int(0.55 * width), int(0.6 * height)), (a, b), 0, 0, 360, 1, -1)
    return image, hole.astype(bool)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    p.add_argument("--sizes", nargs="+", default=["4000x3000"])
    p.add_argument("--hole", type=float, default=0.04)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--variants", nargs="+", default=["auto:768", "crop:1024", "crop:512", "resize:768"],
                   help="strategy:max_side pairs")
    args = p.parse_args(argv)
    print(f"machine: {cpu_label()}; patchmatch-cython; median (min) of {args.repeats} "
          "runs after 1 warm-up\n")
    print("| size | hole | strategy | max_side | chosen | median s | min s |")
    print("|---|---:|---|---:|---|---:|---:|")
    for size in args.sizes:
        w, h = (int(v) for v in size.split("x"))
        image, hole = photo_and_hole(args.photo, w, h, args.hole)
        for variant in args.variants:
            strategy, side = variant.split(":")
            model = inpainting.create_model("patchmatch", max_side=int(side))
            chosen = inpainting.inference.choose_strategy(model, hole) if strategy == "auto" else strategy
            inpainting.inpaint(model, image, hole, strategy=strategy)
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                inpainting.inpaint(model, image, hole, strategy=strategy)
                times.append(time.perf_counter() - t0)
            print(f"| {w}×{h} ({w * h / 1e6:.0f} MP) | {hole.mean():.1%} | {strategy} | {side} | {chosen} | "
                  f"{statistics.median(times):.2f} | {min(times):.2f} |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
