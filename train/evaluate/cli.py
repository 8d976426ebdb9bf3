"""``python -m train.evaluate``: the command line."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Sequence, Union

import torch

import inpainting
from inpainting import masks as masks_lib
from train.evaluate.protocol import BORDERS, DEFAULT_NVIDIA_ROOT, EvalSettings, NATIVE, NVIDIA, PROTOCOL
from train.evaluate.report import markdown_report
from train.evaluate.results import _safe_name
from train.evaluate.run import evaluate


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

def _size_arg(text: str) -> Union[int, str]:
    if text == NATIVE:
        return NATIVE
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a side in pixels or {NATIVE!r}, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    presets = ", ".join(sorted(masks_lib.MASK_PRESETS))
    p = argparse.ArgumentParser(
        prog="python -m train.evaluate",
        description="Evaluate inpainting models on one set of image/mask pairs (PSNR, SSIM, L1 hole/whole, LPIPS when available).",
        epilog="Protocol: " + PROTOCOL,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--models", nargs="+", default=["all"],
                   help="load_model specs (shipped names, folders, Hub ids, opencv-telea, opencv-ns) or 'all'")
    p.add_argument("--images", required=True, help="image folder (searched recursively)")
    p.add_argument("--masks", nargs="+", default=[NVIDIA],
                   help=f"'nvidia' (six hole-ratio buckets) and/or generator presets, one bucket each: {presets}")
    p.add_argument("--nvidia-root", default=DEFAULT_NVIDIA_ROOT, help="NVIDIA irregular mask folder")
    p.add_argument("--border", choices=list(BORDERS), default="any",
                   help="NVIDIA split: any, free (masks keeping a border free) or touching")
    p.add_argument("--buckets", nargs="+", type=int, default=None, help="NVIDIA buckets 0-5 to keep; None: all six")
    p.add_argument("--size", type=_size_arg, default=256,
                   help="evaluation side in pixels, or 'native': each photo whole at its own size")
    p.add_argument("--images-per-bucket", type=int, default=100)
    p.add_argument("--masks-per-image", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategy", choices=list(inpainting.STRATEGIES), default="auto")
    p.add_argument("--nvidia-bucket-size", type=int, default=2000, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help="output folder; None: outputs/eval/<images folder>-<size>")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N; None: CUDA when available")
    p.add_argument("--threads", type=int, default=None, help="torch threads; None: torch's choice")
    p.add_argument("--examples", type=int, default=4, help="pairs shown in examples.png")
    p.add_argument("--lpips", choices=["auto", "on", "off"], default="auto",
                   help="auto: LPIPS when its weights are on disk; on: fail without them")
    p.add_argument("--overwrite", action="store_true", help="re-run models already in the output")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        settings = EvalSettings(
            images=args.images, size=args.size, masks=tuple(args.masks), nvidia_root=args.nvidia_root,
            border=args.border, buckets=tuple(args.buckets) if args.buckets else None,
            images_per_bucket=args.images_per_bucket, masks_per_image=args.masks_per_image, seed=args.seed,
            strategy=args.strategy, nvidia_bucket_size=args.nvidia_bucket_size,
        )
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    out = Path(args.out or Path("outputs") / "eval" / f"{_safe_name(Path(args.images).resolve().name)}-{args.size}")
    try:
        results = evaluate(
            args.models, settings, out=out, device=args.device, overwrite=args.overwrite, examples=args.examples,
            progress=not args.no_progress, lpips={"auto": None, "on": True, "off": False}[args.lpips],
            command="python -m train.evaluate " + shlex.join(argv),
        )
    except (ValueError, FileNotFoundError, inpainting.WeightsError) as err:
        raise SystemExit(f"error: {err}") from None
    print()
    print(markdown_report(results))
    print(f"Wrote {out / 'results.json'}, {out / 'results.md'}, {out / 'examples.png'}")
    return results


