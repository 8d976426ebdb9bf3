"""Turn an evaluation's ``examples.png`` into a figure for the docs: JPEG, at most 1600 px wide.

    python scripts/figure.py outputs/eval/photos-val-objects/examples.png docs/figures/photos-val-objects.jpg
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

MAX_WIDTH = 1600


def main(source: str, target: str) -> None:
    with Image.open(source) as image:
        image = image.convert("RGB")
        if image.width > MAX_WIDTH:
            image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.Resampling.LANCZOS)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        image.save(target, quality=85, optimize=True)
    print(f"wrote {target} ({image.width}×{image.height})")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    main(sys.argv[1], sys.argv[2])
