"""PatchMatch's settings (patch size, EM loops, seam blending) chosen by measurement.

    python -m benchmarks.patchmatch_settings --images ../shared/data/photos/val --size 256 --images-per-bucket 20
    python -m benchmarks.patchmatch_settings --images ../shared/data/scenes/val --size native --images-per-bucket 6

Every setting fills the same seeded image/mask pairs (NVIDIA masks, six buckets) through
:func:`inpainting.inpaint` (strategy ``auto``); one Markdown row per setting with PSNR, SSIM, the
realism score SWD (lower is better), paired differences to the first row and seconds per image.
"""
from __future__ import annotations

import argparse
import platform

import numpy as np
import torch

import inpainting
from benchmarks.compare import HEADER, Rows, load_pairs

SETTINGS = (  # (patch_size, em_loops, blend); the first row is the reference
    (7, 1, "poisson"),
    (5, 1, "poisson"),
    (9, 1, "poisson"),
    (11, 1, "poisson"),
    (7, 2, "poisson"),
    (9, 2, "poisson"),
    (7, 1, "feather"),
    (7, 1, "none"),
)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", required=True)
    p.add_argument("--size", default="native", help="'native' or a side in pixels")
    p.add_argument("--images-per-bucket", type=int, default=20)
    p.add_argument("--nvidia-root", default="../shared/data/masks/nvidia_irregular")
    p.add_argument("--baselines", nargs="*", default=["opencv-ns", "opencv-telea"])
    p.add_argument("--masks", nargs="+", default=["nvidia"], help="'nvidia' and/or mask presets (e.g. objects)")
    p.add_argument("--settings", nargs="+", default=None, help="rows to run, as PATCH,EM,BLEND (default: all)")
    args = p.parse_args(argv)
    size = args.size if args.size == "native" else int(args.size)
    pairs, images = load_pairs(args.images, size, images_per_bucket=args.images_per_bucket, nvidia_root=args.nvidia_root,
                               masks=args.masks)
    settings = SETTINGS if args.settings is None else [
        (int(a), int(b), c) for a, b, c in (row.split(",") for row in args.settings)]
    print(f"{args.images} at {size}: {len(pairs)} pairs ({', '.join(args.masks)} masks, {args.images_per_bucket} images "
          "per bucket); "
          f"{platform.machine()}, {torch.get_num_threads()} torch threads\n")
    print(HEADER.format(what="patch, EM loops, blend"))
    rows = Rows(pairs, images)
    for patch, em, blend in settings:
        model = inpainting.create_model("patchmatch", patch_size=patch, em_loops=em, blend=blend)
        rows.run(f"patchmatch {patch}, {em}, {blend}",
                 lambda image, hole, model=model: np.asarray(inpainting.inpaint(model, image, hole)))
    for name in args.baselines:
        model = inpainting.load_model(name)
        rows.run(name, lambda image, hole, model=model: np.asarray(inpainting.inpaint(model, image, hole)))


if __name__ == "__main__":
    main()
