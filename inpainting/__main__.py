"""Command line: ``python -m inpainting --model NAME --image IN --mask MASK --output OUT``.

IN, MASK and OUT are files, or folders (masks matched to images by file name stem, results
written as PNG under OUT). Exits non-zero with a one-line message for each bad input; a folder run
skips the images it cannot read or fill, goes on with the others, lists the skipped ones at the end
and then exits non-zero.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inpainting.io import IMAGE_EXTENSIONS, InputError


def _parser() -> argparse.ArgumentParser:
    from inpainting.inference import STRATEGIES

    p = argparse.ArgumentParser(prog="python -m inpainting", description=__doc__.split("\n\n")[0].replace("``", ""))
    p.add_argument("--model", required=False, help="shipped or classical name, save_pretrained folder, or Hub repo id")
    p.add_argument("--image", help="image file or folder of images")
    p.add_argument("--mask", help="mask file or folder (white/255 = hole; same size as the image)")
    p.add_argument("--output", help="output file (PNG, JPEG, ...) or folder")
    p.add_argument("--strategy", default="auto", choices=STRATEGIES, help="large-image strategy (default: auto)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA when available)")
    p.add_argument("--list-models", action="store_true", help="list the model names --model accepts, then exit")
    return p


def _pairs(image: Path, mask: Path, output: Path) -> list[tuple[Path, Path, Path]]:
    if image.is_file():
        if not mask.is_file():
            raise InputError(f"--image is a file, so --mask must be a file too: {mask} is not a file")
        return [(image, mask, output)]
    if not image.is_dir():
        raise InputError(f"--image not found: {image}")
    if not mask.is_dir():
        raise InputError(f"--image is a folder, so --mask must be a folder of masks named like the images: {mask}")
    images = sorted(p for p in image.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not images:
        raise InputError(f"no images in {image} (accepted: {', '.join(IMAGE_EXTENSIONS)})")
    masks = {p.stem: p for p in mask.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS}
    missing = [p.name for p in images if p.stem not in masks]
    if missing:
        raise InputError(f"no mask in {mask} for {len(missing)} image(s), e.g. {', '.join(missing[:3])} (masks are matched by file name)")
    if output.exists() and not output.is_dir():
        raise InputError(f"--image is a folder, so --output must be a folder, but {output} is a file")
    return [(p, masks[p.stem], output / f"{p.stem}.png") for p in images]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import inpainting

    if args.list_models:
        for entry in inpainting.available_models():
            print(f"{entry.name}\t{entry.description}")
        return 0
    missing = [f"--{name}" for name in ("model", "image", "mask", "output") if getattr(args, name) is None]
    if missing:
        print(f"error: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        pairs = _pairs(Path(args.image), Path(args.mask), Path(args.output))
        model = inpainting.load_model(args.model, device=args.device)
        from tqdm import tqdm

        skipped: list[str] = []
        for image_path, mask_path, out_path in tqdm(pairs, disable=len(pairs) == 1, unit="image"):
            try:
                result = inpainting.inpaint(model, image_path, mask_path, strategy=args.strategy)
            except InputError as err:
                if len(pairs) == 1:
                    raise InputError(f"{image_path}: {err}") from None
                skipped.append(f"{image_path.name}: {err}")
                continue
            out_path.parent.mkdir(parents=True, exist_ok=True)
            if out_path.suffix.lower() in (".jpg", ".jpeg") and result.mode not in ("RGB", "L"):
                result = result.convert("RGB")
            try:
                result.save(out_path)
            except (ValueError, OSError) as err:
                raise InputError(f"cannot write {out_path}: {err}") from None
    except (InputError, inpainting.WeightsError, inpainting.UnknownArchitectureError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if len(pairs) > 1:
        print(f"wrote {len(pairs) - len(skipped)} of {len(pairs)} images to {args.output}")
    if skipped:
        print(f"error: skipped {len(skipped)} image(s):", file=sys.stderr)
        for line in skipped:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def cli() -> None:
    """Entry point of the ``inpainting`` console script (``pip install .``)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
