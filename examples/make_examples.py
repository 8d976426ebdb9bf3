"""Write the app's example photos and their pre-painted masks into examples/ (run once; outputs are committed).

    python examples/make_examples.py

Photos come from scikit-image's sample data (a dev requirement; see examples/README.md for their
licences), cropped and resized to at most 512 px. Each mask is an RGBA PNG whose alpha is the hole
(255) — the form an editor layer takes, and a valid mask for ``inpainting.inpaint`` and the CLI.
The painted areas were intact in the photos, so the app's reconstruction scores are meaningful.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

HERE = Path(__file__).resolve().parent
MASK_RGB = (255, 0, 80)

# name: (loader, crop box (top, left, bottom, right) or None, long side, strokes)
# strokes: ((x0, y0), (x1, y1), width) as fractions of the output width / height.
EXAMPLES = {
    "face_astronaut": (data.astronaut, (0, 77, 256, 333), 256, [((0.36, 0.37), (0.68, 0.37), 0.06), ((0.48, 0.62), (0.60, 0.62), 0.05)]),
    "face_cat": (data.chelsea, (0, 110, 300, 410), 300, [((0.35, 0.48), (0.62, 0.55), 0.05), ((0.50, 0.20), (0.55, 0.35), 0.04)]),
    "scene_coffee": (data.coffee, None, 480, [((0.60, 0.15), (0.85, 0.30), 0.04), ((0.08, 0.75), (0.30, 0.90), 0.05)]),
    "scene_rocket": (data.rocket, None, 480, [((0.15, 0.25), (0.35, 0.30), 0.04), ((0.70, 0.70), (0.90, 0.65), 0.05)]),
}


def make(name: str, loader, box, long_side: int, strokes) -> None:
    photo = loader()
    if box is not None:
        top, left, bottom, right = box
        photo = photo[top:bottom, left:right]
    h, w = photo.shape[:2]
    scale = long_side / max(h, w)
    size = (round(w * scale), round(h * scale))
    photo = cv2.resize(photo, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    hole = np.zeros(photo.shape[:2], np.uint8)
    for (x0, y0), (x1, y1), width in strokes:
        pts = [(round(x0 * size[0]), round(y0 * size[1])), (round(x1 * size[0]), round(y1 * size[1]))]
        cv2.line(hole, pts[0], pts[1], 255, max(2, round(width * min(size))), lineType=cv2.LINE_8)
    layer = np.zeros((*hole.shape, 4), np.uint8)
    layer[..., :3] = MASK_RGB
    layer[..., 3] = hole
    Image.fromarray(photo).save(HERE / f"{name}.png", optimize=True)
    Image.fromarray(layer).save(HERE / f"{name}_mask.png", optimize=True)
    print(f"{name}: {size[0]}×{size[1]}, hole {100 * (hole > 0).mean():.1f} %")


if __name__ == "__main__":
    for example_name, spec in EXAMPLES.items():
        make(example_name, *spec)
