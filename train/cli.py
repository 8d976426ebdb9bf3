"""Command line: ``python -m train --recipe NAME --data PATH --out DIR [options]``.

Options left out take the recipe's values (``--list-recipes`` shows them). The recipe of a shipped
checkpoint also knows its data (under ``--data-root``), length and output folder. Examples::

    python -m train --list-recipes
    python -m train --recipe pconv-unet-photos --data-root ../shared/data      # -> runs/pconv-unet-photos
    python -m train --recipe cifar10-autoencoder --data ../shared/data/cifar10/train \\
        --val-data ../shared/data/cifar10/val --out runs/cifar-ae --max-minutes 8
    accelerate launch -m train --recipe lama-ffc --data places365:/data/places --out runs/lama
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import warnings
from pathlib import Path

from train.data import NVIDIA_MASKS, DataError
from train.losses import LOSSES, MissingWeightsError
from train.recipes import JOINED_SUFFIX, get_recipe, list_recipes
from train.trainer import CheckpointError, TrainOptions, Trainer

__all__ = ["build_parser", "main"]

#: ``--mixed-precision`` when neither the command line nor a shipped recipe says: bf16 where the
#: hardware has it (an equal-wall-time A/B on this CPU: docs/measurements/05-cpu-training-precision.md).
DEFAULT_PRECISION = "auto"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Train an Inpainting Hub model with a recipe; ends in a save_pretrained folder that "
                    "inpainting.load_model opens. Options left out take the recipe's values.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--list-recipes", action="store_true", help="describe every recipe and exit")
    parser.add_argument("--recipe", help="recipe name (see --list-recipes)")
    parser.add_argument("--data", help="folder of images (recursive) or cifar10:ROOT, celeba:ROOT, places365:ROOT "
                                       "(a shipped checkpoint's recipe: its folder under --data-root); several "
                                       "sources joined by commas, each drawn REPEAT times per epoch with @REPEAT: "
                                       "photos/train,scenes/train@20")
    parser.add_argument("--val-data", help="validation images (default: a fixed subset of the training images)")
    parser.add_argument("--data-root", default=os.environ.get("INPAINTING_DATA", "../shared/data"),
                        help="where a shipped checkpoint's recipe finds its data (env INPAINTING_DATA)")
    parser.add_argument("--out", help="output folder: the save_pretrained model plus training/ (checkpoint, logs); "
                                      "a shipped checkpoint's recipe: runs/CHECKPOINT")
    length = parser.add_argument_group("size and length (default: the recipe's)")
    length.add_argument("--size", type=int, help="working side in pixels")
    length.add_argument("--batch-size", type=int, help="images per step (per process)")
    length.add_argument("--steps", type=int, help="optimisation steps (wins over --epochs)")
    length.add_argument("--epochs", type=float, help="passes over the training data")
    length.add_argument("--max-minutes", type=float, help="time budget; the run stops cleanly and saves the model")
    model = parser.add_argument_group("model and losses")
    model.add_argument("--preset", help="model preset overriding the recipe's (e.g. tiny, small)")
    model.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                       help="model config entry over the preset's, VALUE as JSON or a plain string "
                            "(e.g. norm=region, channels=[16,32]); repeatable")
    model.add_argument("--init-from", metavar="MODEL",
                       help="start from the weights of a trained model of the same architecture and preset "
                            "(a shipped name, a folder or a Hub repo id): fine-tuning or transfer to new data; "
                            "'none': from scratch even where the recipe names weights")
    model.add_argument("--freeze-encoder-norm", action=argparse.BooleanOptionalAction, default=None,
                       help="keep the encoder's batch norm in eval mode, parameters frozen (Liu et al.'s fine-tuning "
                            "stage, with a low --lr such as 5e-5)")
    model.add_argument("--lr", type=float, help="generator learning rate (with --resume: the run continues at the "
                                                 "resolved recipe's rate, this one if given)")
    model.add_argument("--ema", type=float, metavar="DECAY",
                       help="save an exponential moving average of the generator's weights with this decay "
                            "(e.g. 0.999), not its last weights; 0: off (default: the recipe's)")
    model.add_argument("--loss", action="append", default=[], metavar="NAME=WEIGHT",
                       help="generator loss term over the recipe's: a new NAME adds it, a known one takes WEIGHT, "
                            "0 drops it (e.g. ssim=1, tv=0); repeatable; names: " + ", ".join(LOSSES))
    model.add_argument("--masks", help=f"mask generator (a name in inpainting.masks.MASK_PRESETS or {NVIDIA_MASKS})")
    model.add_argument("--crop-scales", metavar="S1,S2,...",
                       help="training crop sides in multiples of --size, drawn uniformly among those that fit the "
                            "photo (e.g. 1,2,3,4.5: 4.5 at --size 128 covers a 576 px photo whole)")
    model.add_argument("--masks-per-image", type=int, help="different masks drawn per image")
    model.add_argument("--mask-dir", help="NVIDIA irregular-mask folder (e.g. ../shared/data/masks/nvidia_irregular)")
    model.add_argument("--vgg-weights", help="torchvision vgg16-397923af.pth for perceptual/style losses "
                                             "(default: the torch hub cache)")
    model.add_argument("--no-perceptual", action="store_true", help="train without the VGG-16 perceptual/style terms")
    run = parser.add_argument_group("run")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda (multi-GPU: accelerate launch)")
    run.add_argument("--mixed-precision", choices=("auto", "no", "fp16", "bf16"),
                     help="autocast precision; auto: bf16 on a GPU that supports it and on a CPU with native bf16 "
                          "(AVX-512 BF16, AMX), else no (default: the shipped recipe's, else auto)")
    run.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                     help="channels-last memory layout for weights and batches")
    run.add_argument("--seed", type=int, help="seeds weights, data order, crops and masks (default: the shipped "
                                               "recipe's, else 0)")
    run.add_argument("--resume", action="store_true", help="continue from OUT/training/checkpoint.pt")
    run.add_argument("--workers", type=int, default=0, help="data-loading worker processes")
    run.add_argument("--download", action="store_true", help="let torchvision datasets download (needs internet)")
    run.add_argument("--val-every", type=int, help="validate every N steps (0: only at the end) (default: the shipped "
                                                   "recipe's, else 500)")
    run.add_argument("--val-images", type=int, help="validation images used (default: the shipped recipe's, else 16)")
    run.add_argument("--checkpoint-every", type=int,
                     help="checkpoint every N steps (0: only at the end) (default: the shipped recipe's, else 500)")
    run.add_argument("--log-every", type=int, default=10, help="TensorBoard scalars every N steps")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    card = parser.add_argument_group("model card metadata")
    card.add_argument("--name", help="model name (card title)")
    card.add_argument("--description", help="one-line description shown by inpainting.available_models()")
    card.add_argument("--domain", choices=("faces", "scenes", "photos", "objects"), help="image domain (default: the recipe's)")
    card.add_argument("--dataset-name", help="training data as named in the card (default: from --data)")
    return parser


def _parse_model_options(items: list[str]) -> dict:
    """``["norm=region", "channels=[16, 32]"]`` -> ``{"norm": "region", "channels": [16, 32]}``
    (values are JSON, or plain strings when they are not)."""
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--model-option takes KEY=VALUE, got {item!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def _parse_loss_weights(items: list[str]) -> dict[str, float]:
    """``["ssim=1", "tv=0"]`` -> ``{"ssim": 1.0, "tv": 0.0}`` (names and ranges are checked by the trainer)."""
    weights = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--loss takes NAME=WEIGHT, got {item!r}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"--loss {item}: WEIGHT must be a number, got {value!r}") from None
    return weights


def _parse_crop_scales(text: str | None) -> tuple[float, ...] | None:
    """``"1,2,4.5"`` -> ``(1.0, 2.0, 4.5)``; each scale a finite number >= 1."""
    if text is None:
        return None
    try:
        scales = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--crop-scales takes comma-separated numbers such as 1,2,3, got {text!r}") from None
    if not all(math.isfinite(s) and s >= 1 for s in scales):
        raise ValueError(f"--crop-scales {text}: every scale must be a number >= 1 (1 = a crop of --size px)")
    return scales


class SetupError(ValueError):
    """A run that cannot start as asked (printed without a traceback)."""


def _resolve_run(args: argparse.Namespace, recipe) -> dict:
    """The run's settings: the command line first, then the shipped recipe's :class:`ShippedRun`, then defaults."""
    run = recipe.shipped
    root = Path(args.data_root)

    def pick(value, shipped_value, default):
        return value if value is not None else (shipped_value if run is not None else default)

    data = args.data or (run and str(root / run.data))
    if not data:
        raise SetupError(f"--data is required: recipe {recipe.name} is not a shipped checkpoint's recipe and names no data")
    out = args.out or (run and str(Path("runs") / run.checkpoint))
    if not out:
        raise SetupError("--out is required (only a shipped checkpoint's recipe has a default output folder)")
    resume = args.resume or bool(run and run.continues)
    if run is not None and run.continues and not (Path(out) / "training" / "checkpoint.pt").exists():
        raise SetupError(f"recipe {recipe.name} resumes the run of {run.continues} in {out}, which holds no "
                         f"checkpoint: train {run.continues} into that folder first (python -m train --recipe "
                         f"{run.continues} --out {out})")
    init_from = args.init_from if args.init_from is not None else (run.init_from if run else None)
    if init_from and init_from.lower() == "none":
        init_from = None
    if init_from and init_from.startswith("run:"):
        stage = init_from[4:]
        folder = Path(out).parent / stage
        if not (folder / "config.json").exists():
            if stage.endswith(JOINED_SUFFIX):
                trained = stage[:-len(JOINED_SUFFIX)]
                how = (f"train {trained} and join it with its start first (bash scripts/train_shipped.sh "
                       f"{trained})")
            else:
                how = f"train {stage} first (python -m train --recipe {stage} --out {folder})"
            raise SetupError(f"recipe {recipe.name} starts from the model in {folder}, "
                             f"which holds none: {how}, or pass --init-from MODEL or --init-from none")
        init_from = str(folder)
    return dict(
        data=data, out=out, resume=resume, init_from=init_from,
        val_data=args.val_data or (run and run.val_data and str(root / run.val_data)) or None,
        mask_dir=args.mask_dir or (run and run.mask_dir and str(root / run.mask_dir)) or None,
        steps=pick(args.steps, run and run.steps, None),
        seed=pick(args.seed, run and run.seed, 0),
        max_minutes=pick(args.max_minutes, run and run.max_minutes, None),
        mixed_precision=pick(args.mixed_precision, run and run.mixed_precision, DEFAULT_PRECISION),
        channels_last=pick(args.channels_last, run and run.channels_last, False),
        freeze_encoder_norm=pick(args.freeze_encoder_norm, run and run.freeze_encoder_norm, False),
        val_every=pick(args.val_every, run and run.val_every, 500),
        val_images=pick(args.val_images, run and run.val_images, 16),
        checkpoint_every=pick(args.checkpoint_every, run and run.checkpoint_every, 500),
        name=args.name or (run and run.checkpoint),
        description=args.description or (run and run.description),
        dataset_name=args.dataset_name or (run and run.dataset_name),
    )


def _write_shipped_facts(folder: Path, run) -> None:
    """Record a shipped recipe's measured working-size limit, its rank and its inference options
    (top-level model options: the loaded model fills with them) in the trained model's config.json."""
    facts = {key: value for key, value in (("max_side", run.max_side), ("rank", run.rank)) if value is not None}
    options = dict(run.inference_options or {})
    if not facts and not options:
        return
    path = Path(folder) / "config.json"
    config = json.loads(path.read_text())
    config.setdefault("inpainting_hub", {}).update(facts)
    config.update(options)
    path.write_text(json.dumps(config, indent=2, sort_keys=True))
    card = Path(folder) / "README.md"
    if options and card.is_file():
        listed = ", ".join(f"`{k}={v}`" for k, v in options.items())
        note = (f"\n\nInference options set after training (`inference_options` of the recipe's shipped run): "
                f"{listed}. The network was trained without them; they have no weights.\n")
        if note.strip() not in card.read_text():
            card.write_text(card.read_text().rstrip("\n") + note)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_recipes:
        print("\n\n".join(recipe.describe() for recipe in list_recipes()))
        return 0
    if not args.recipe:
        parser.error("--recipe required (or --list-recipes)")
    argv = sys.argv[1:] if argv is None else argv
    try:
        model_options = _parse_model_options(args.model_option)
        loss_weights = _parse_loss_weights(args.loss)
        crop_scales = _parse_crop_scales(args.crop_scales)
    except ValueError as err:
        parser.error(str(err))
    try:
        recipe = get_recipe(args.recipe)
        run = _resolve_run(args, recipe)
    except (KeyError, SetupError) as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    try:  # the command line's changes to what is trained, applied once: the trainer sees the resolved recipe
        recipe = recipe.override(size=args.size, batch_size=args.batch_size, preset=args.preset,
                                 model_options=model_options, loss_weights=loss_weights, lr=args.lr, ema=args.ema,
                                 masks=args.masks, masks_per_image=args.masks_per_image, crop_scales=crop_scales,
                                 domain=args.domain)
    except (KeyError, ValueError) as err:
        print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    options = TrainOptions(
        **run, epochs=args.epochs, device=args.device, vgg_weights=args.vgg_weights,
        no_perceptual=args.no_perceptual, workers=args.workers, download=args.download, log_every=args.log_every,
        progress=not args.no_progress, command="python -m train " + " ".join(shlex.quote(a) for a in argv),
    )
    try:
        warnings.simplefilter("default")
        trainer = Trainer(recipe, options)
    except (DataError, MissingWeightsError, CheckpointError, KeyError, ValueError) as err:
        # Set-up problems (bad paths, names, sizes, missing weights) are the user's to fix: no traceback.
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"error: {message}", file=sys.stderr)
        return 2
    try:
        folder = trainer.fit()
    except DataError as err:  # an unreadable image met during training
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not trainer.accelerator.is_main_process:  # several processes (accelerate launch): one summary
        return 0
    if recipe.shipped is not None:
        _write_shipped_facts(folder, recipe.shipped)
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in trainer.metrics.items())
    print(f"{trainer.recipe.name}: {trainer.step} steps in {trainer.wall_time / 60:.1f} min "
          f"({trainer.stop_reason}); model in {folder}; validation: {metrics}")
    return 0
