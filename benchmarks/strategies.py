"""Latency of ``inpainting.inpaint`` per strategy (a benchmark script, not a test).

    python -m benchmarks.strategies --models opencv-telea opencv-ns --repeats 5

Prints a Markdown table: median and min over ``--repeats`` runs (after one warm-up) at 512×512
and 2048×1536 for every strategy, on a real photo (scikit-image's ``chelsea``, resized) with a
brush-stroke mask covering about 3 % of the image.
"""
from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
import torch

import inpainting
from inpainting.inference import STRATEGIES
from train.machine import cpu_label


def photo_and_mask(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        from skimage import data

        photo = data.chelsea()
    except ImportError:  # scikit-image is a dev requirement; fall back to a synthetic photo
        rng = np.random.default_rng(0)
        photo = cv2.GaussianBlur(rng.integers(0, 255, (300, 450, 3), dtype=np.uint8), (0, 0), 5)
    image = cv2.resize(photo, (width, height), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((height, width), np.uint8)
    s = width / 512
    for (x0, y0), (x1, y1) in [((0.2, 0.3), (0.7, 0.35)), ((0.6, 0.6), (0.8, 0.9))]:
        cv2.line(mask, (int(x0 * width), int(y0 * height)), (int(x1 * width), int(y1 * height)), 255, max(2, int(14 * s)))
    return image, mask


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["opencv-telea", "opencv-ns"])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sizes", nargs="+", default=["512x512", "2048x1536"])
    p.add_argument("--device", default=None)
    args = p.parse_args()
    print(f"machine: {cpu_label()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}; median (min) of {args.repeats} runs after 1 warm-up, in ms\n")
    strategies = [s for s in STRATEGIES]
    print("| model | size | hole % | " + " | ".join(strategies) + " |")
    print("|---|---|---|" + "---|" * len(strategies))
    for name in args.models:
        model = inpainting.load_model(name, device=args.device)
        for size in args.sizes:
            w, h = (int(v) for v in size.split("x"))
            image, mask = photo_and_mask(w, h)
            cells = []
            for strategy in strategies:
                inpainting.inpaint(model, image, mask, strategy=strategy)  # warm-up
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    inpainting.inpaint(model, image, mask, strategy=strategy)
                    times.append((time.perf_counter() - t0) * 1000)
                chosen = inpainting.inference.choose_strategy(model, mask > 127) if strategy == "auto" else ""
                label = f" ({chosen})" if chosen else ""
                cells.append(f"{statistics.median(times):.0f} ({min(times):.0f}){label}")
            print(f"| {name} | {w}×{h} | {100 * (mask > 127).mean():.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
