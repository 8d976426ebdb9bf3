"""The examples grid (``examples.png``): input, each model's fill and the original, per row."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np
from PIL import Image

from train.evaluate.protocol import NATIVE, Pair
from train.evaluate.results import _safe_name


def _example_positions(pairs: Mapping[str, list[Pair]], count: int) -> list[tuple[str, int]]:
    """``count`` pairs for the examples grid: buckets spread evenly (cycled when fewer than
    ``count``), positions spread through each bucket so the images differ."""
    buckets = list(pairs)
    if count <= 0 or not buckets:
        return []
    chosen: list[tuple[str, int]] = []
    for i in range(count):
        if count <= len(buckets):
            bucket = buckets[round(i * (len(buckets) - 1) / max(1, count - 1))]
        else:
            bucket = buckets[i % len(buckets)]
        position = (i * len(pairs[bucket])) // count
        if (bucket, position) not in chosen:
            chosen.append((bucket, position))
    return chosen


def _grid(rows: list[list[np.ndarray]], labels: Sequence[str], size: int) -> np.ndarray:
    scale = max(1, math.ceil(128 / size))
    cell = size * scale
    header = 22
    gap = 2
    columns = len(labels)
    height = header + len(rows) * (cell + gap)
    width = columns * (cell + gap)
    canvas = np.full((height, width, 3), 255, np.uint8)
    for c, label in enumerate(labels):
        text = label
        font_scale = 0.4
        while len(text) > 3 and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)[0][0] > cell - 4:
            text = text[:-2] + "…" if not text.endswith("…") else text[:-3] + "…"
        text = text.replace("…", "~")  # Hershey fonts are ASCII only
        cv2.putText(canvas, text, (c * (cell + gap) + 2, 15), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), 1, cv2.LINE_AA)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            big = cv2.resize(image, (cell, cell), interpolation=cv2.INTER_NEAREST)
            top, left = header + r * (cell + gap), c * (cell + gap)
            canvas[top:top + cell, left:left + cell] = big
    return canvas


def hole_view(hole: np.ndarray, *, margin: float = 0.35, min_side: int = 48) -> tuple[slice, slice]:
    """A square-ish window around the hole's bounding box (plus ``margin`` of its long side on
    every side), clipped to the image: where a fill can be seen in a picture of a large photo."""
    h, w = hole.shape
    ys, xs = np.nonzero(hole)
    if not len(ys):
        return slice(0, h), slice(0, w)
    cy, cx = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
    side = max(ys.max() + 1 - ys.min(), xs.max() + 1 - xs.min())
    side = int(min(max(h, w), max(min_side, side * (1 + 2 * margin))))
    top = int(np.clip(round(cy - side / 2), 0, max(0, h - side)))
    left = int(np.clip(round(cx - side / 2), 0, max(0, w - side)))
    return slice(top, min(h, top + side)), slice(left, min(w, left + side))


NATIVE_CELL = 192  # side of one picture in examples.png at native size


def _write_examples(out: Path, results: dict, pairs, images) -> Path | None:
    positions = [tuple(p) for p in results.get("examples", [])]
    if not positions:
        return None
    native = results["settings"]["size"] == NATIVE
    size = NATIVE_CELL if native else int(results["settings"]["size"])
    # models evaluated by an earlier run with fewer (or no) examples have no pictures: left out, not black
    names = [name for name in results["models"]
             if all((out / "examples" / _safe_name(name) / f"{i}.png").is_file() for i in range(len(positions)))]
    rows = []
    for bucket, position in positions:
        pair = pairs[bucket][position]
        original = images[pair.image]
        damaged = original.copy()
        damaged[pair.hole] = 255
        row = [damaged]
        for name in names:
            path = out / "examples" / _safe_name(name) / f"{len(rows)}.png"
            row.append(np.asarray(Image.open(path).convert("RGB")) if path.is_file() else np.zeros_like(original))
        row.append(original)
        if native:  # each picture cropped around the hole, so the fill can be seen
            ys, xs = hole_view(pair.hole)
            row = [cv2.resize(np.ascontiguousarray(p[ys, xs]), (size, size), interpolation=cv2.INTER_AREA) for p in row]
        rows.append(row)
    path = out / "examples.png"
    Image.fromarray(_grid(rows, ["input"] + names + ["original"], size)).save(path)
    return path
