"""Widen a trained PConv U-Net (Net2Net, :meth:`inpainting.models.pconv_unet.PConvUNet.widened`) into a
folder that ``python -m train --init-from`` continues from, its critic copied beside it.

    python scripts/widen_pconv.py checkpoints/pconv-unet-photos --channels 32,96,192,192,192 --out runs/wide-init
    python -m train --recipe photos-pconv-texture-energy --init-from runs/wide-init \\
        --model-option channels=[32,96,192,192,192] ...

The widened network computes what the trained one does but along the hole's edge where levels of
different widening factors are joined (see ``widened``); the script prints how far apart the two fills
are on a few random holes so that difference is known before training.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import inpainting  # noqa: E402
from inpainting.loading import local_model_folder  # noqa: E402
from inpainting.models.pconv_unet import PConvUNet  # noqa: E402
from train.trainer import DISCRIMINATOR_FILE  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a trained pconv-unet: shipped name or folder")
    parser.add_argument("--channels", required=True, help="new channels per level, comma-separated")
    parser.add_argument("--out", required=True, help="folder to write (save_pretrained + the critic)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the copied channels")
    args = parser.parse_args(argv)
    try:
        channels = [int(c) for c in args.channels.split(",")]
        model = inpainting.load_model(args.model, device="cpu")
        if not isinstance(model, PConvUNet):
            raise ValueError(f"{args.model} is a {model.architecture}, not a pconv-unet")
        wide = model.widened(channels, seed=args.seed)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    wide.save_pretrained(out)
    source = local_model_folder(args.model)
    if source is not None and (source / DISCRIMINATOR_FILE).is_file():
        shutil.copy2(source / DISCRIMINATOR_FILE, out / DISCRIMINATOR_FILE)
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(4, 3, 256, 256, generator=generator)
    mask = torch.zeros(4, 1, 256, 256)
    for i in range(4):
        top, left = torch.randint(0, 160, (2,), generator=generator).tolist()
        mask[i, :, top:top + 96, left:left + 96] = 1
    with torch.no_grad():
        gap = ((model(image, mask) - wide(image, mask)).abs() * mask).sum() / (3 * mask.sum())
    params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f"wrote {out}: channels {model.config['channels']} -> {channels}, {params(model):,} -> {params(wide):,} "
          f"parameters; mean |difference| of the fills in four square holes: {gap:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
