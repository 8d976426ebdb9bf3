"""Interpolate two trained models of one architecture and config in weight space: (1 − α)·A + α·B
(:mod:`train.interpolate`; the critics are joined too when both folders hold one).

    python scripts/interpolate_weights.py checkpoints/pconv-unet-photos runs/stage-b --alpha 0.5 --out runs/mix-050

Meant for B fine-tuned from A (a texture stage from a fidelity model). The written folder is a model
``load_model`` and ``python -m train.evaluate`` take, and ``python -m train --init-from`` continues from.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from train.interpolate import interpolate_folders  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="model A (alpha = 0): shipped name or folder")
    parser.add_argument("second", help="model B (alpha = 1): shipped name or folder")
    parser.add_argument("--alpha", type=float, required=True, help="weight of B, in [0, 1]")
    parser.add_argument("--out", required=True, help="folder to write (save_pretrained [+ the joined critic])")
    args = parser.parse_args(argv)
    try:
        note = interpolate_folders(args.first, args.second, args.alpha, args.out)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: (1 - {args.alpha:g}) * {args.first} + {args.alpha:g} * {args.second}; {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
