"""Training throughput (images per second) of every recipe at its working size (a benchmark, not a test).

    python -m benchmarks.train_throughput --steps 3
    python -m benchmarks.train_throughput --recipes celeba-pconv lama-ffc --preset small --sizes 64
    python -m benchmarks.train_throughput --recipes places-pconv-baseline lama-ffc --preset small \
        --sizes 64 128 256 --variants fp32 bf16 channels-last bf16+channels-last --repeats 3

Each recipe runs one warm-up step and then ``--steps`` timed steps of the real training step
(data loading, forward, losses, backward, optimiser; discriminator too for GAN recipes) through
:class:`train.trainer.Trainer`. Images: the recipe's kind of data from ``--data-root``
(``../shared/data``) when present, else generated images. The model preset is the recipe's own
unless one warm-up step takes longer than ``--max-step-seconds``; then the recipe is measured again
with the ``small`` preset (or ``tiny`` when the family has no ``small``), as the table says.
VGG-16 terms use randomly initialised VGG-16 weights when no ImageNet weights are cached (same cost).
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision
from accelerate.state import AcceleratorState
from PIL import Image

import inpainting
from train.data import MaskSpec
from train.losses import MissingWeightsError, find_vgg16_weights
from train.machine import cpu_label
from train.recipes import get_recipe, list_recipes
from train.trainer import TrainOptions, Trainer

# Which folder under --data-root holds each domain's training images.
DOMAIN_DATA = {"objects": "cifar10/train", "faces": "celeba/train", "scenes": "scenes/train", "photos": "photos/train"}


def _synthetic(folder: Path, count: int, size: int) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def measure(recipe, *, preset, size, batch_size, steps, data, mask_dir, out, vgg, precision="no",
            channels_last=False):
    """(images per second over ``steps`` steps, seconds of the warm-up step, the recipe as run)."""
    recipe = recipe.override(preset=preset, size=size, batch_size=batch_size)
    options = TrainOptions(data=str(data), out=str(out), device="cpu", progress=False, val_every=0,
                           checkpoint_every=0, steps=steps + 1, mask_dir=mask_dir, mixed_precision=precision,
                           channels_last=channels_last, no_perceptual=vgg is False)
    # accelerate keeps one process-wide state; each measurement may ask for another precision.
    AcceleratorState._reset_state(reset_partial_state=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(recipe, options, vgg=None if vgg is False else vgg)
    loader = iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=trainer.recipe.batch_size, shuffle=True))
    start = time.perf_counter()
    trainer.train_step(next(loader))
    warm = time.perf_counter() - start
    start, images = time.perf_counter(), 0
    for _ in range(steps):
        batch = next(loader)
        trainer.train_step(batch)
        images += batch["image"].shape[0] * batch["mask"].shape[1]
    return images / (time.perf_counter() - start), warm, trainer.recipe


VARIANTS = {"fp32": ("no", False), "bf16": ("bf16", False), "channels-last": ("no", True),
            "bf16+channels-last": ("bf16", True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", default=[r.name for r in list_recipes()])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per recipe (after 1 warm-up)")
    parser.add_argument("--repeats", type=int, default=1, help="measurements per cell; the table shows the median")
    parser.add_argument("--preset", help="force this preset for every recipe (default: the recipe's)")
    parser.add_argument("--sizes", type=int, nargs="+", help="working sizes (default: the recipe's)")
    parser.add_argument("--variants", nargs="+", default=["fp32"], choices=list(VARIANTS),
                        help="precision / memory layout variants; speed-ups are against the first one")
    parser.add_argument("--batch-size", type=int, help="force this batch size (default: the recipe's)")
    parser.add_argument("--no-perceptual", action="store_true",
                        help="drop the VGG-16 perceptual/style terms (they dominate a CPU step at 256 px)")
    parser.add_argument("--max-step-seconds", type=float, default=20.0)
    parser.add_argument("--data-root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args()
    root = Path(args.data_root)
    try:
        if args.no_perceptual:
            vgg, vgg_note = False, "dropped (--no-perceptual)"
        else:
            find_vgg16_weights()
            vgg, vgg_note = None, "ImageNet VGG-16"
    except MissingWeightsError:
        vgg, vgg_note = torchvision.models.vgg16(weights=None), "randomly initialised VGG-16 (no cached weights)"
    print(f"machine: {cpu_label()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} "
          f"torch threads, torch {torch.__version__}; {args.steps} timed steps after 1 warm-up, median of "
          f"{args.repeats}; perceptual terms: {vgg_note}\n")
    print("| recipe | model (preset) | size | batch | variant | images/s | s/step | speed-up | data |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n, name in enumerate(args.recipes):
            recipe = get_recipe(name)
            try:
                inpainting.get_architecture(recipe.architecture)
            except KeyError:
                print(f"| {name} | {recipe.architecture} not registered | | | | | | | |")
                continue
            mask_dir = root / "masks" / "nvidia_irregular"
            if recipe.masks.generator == "nvidia-irregular" and not mask_dir.is_dir():
                recipe = recipe.replace(masks=MaskSpec("shapes"))
            presets = inpainting.get_architecture(recipe.architecture).presets
            fallback = "small" if "small" in presets else "tiny"
            for size in args.sizes or [recipe.size]:
                data = root / DOMAIN_DATA[recipe.domain]
                label = DOMAIN_DATA[recipe.domain]
                if not data.is_dir():
                    data, label = _synthetic(tmp / f"synthetic{size}", 64, max(size, 64)), "generated"
                preset, baseline = args.preset or recipe.preset, None
                for variant in args.variants:
                    precision, channels_last = VARIANTS[variant]
                    rates = []
                    try:
                        for r in range(args.repeats):
                            rate, warm, used = measure(recipe, preset=preset.split(" ")[0], size=size,
                                                       batch_size=args.batch_size, steps=args.steps, data=data,
                                                       mask_dir=str(mask_dir), out=tmp / f"o{n}-{size}-{variant}-{r}",
                                                       vgg=vgg, precision=precision, channels_last=channels_last)
                            if warm > args.max_step_seconds and not args.preset and preset == recipe.preset != fallback:
                                preset, rates = f"{fallback} (own preset: > {args.max_step_seconds:g} s/step)", []
                                rate, warm, used = measure(recipe, preset=fallback, size=size,
                                                           batch_size=args.batch_size, steps=args.steps, data=data,
                                                           mask_dir=str(mask_dir), out=tmp / f"o{n}-{size}-{variant}-{r}b",
                                                           vgg=vgg, precision=precision, channels_last=channels_last)
                            rates.append(rate)
                    except Exception as err:  # noqa: BLE001 - report and go on with the other recipes
                        print(f"| {name} | {recipe.architecture} ({preset}) | {size} | | {variant} | failed: "
                              f"{type(err).__name__}: {str(err)[:80]} | | | |", flush=True)
                        continue
                    rate = statistics.median(rates)
                    baseline = baseline or rate
                    batch = used.batch_size * used.masks_per_image
                    print(f"| {name} | {used.architecture} ({preset}) | {size} | {batch} | {variant} | {rate:.1f} "
                          f"| {batch / rate:.2f} | {rate / baseline:.2f}× | {label} |", flush=True)


if __name__ == "__main__":
    main()
