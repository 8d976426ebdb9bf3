"""The model card of a training run: the metadata stored in config.json (``inpainting_hub``), the
training section (recipe, data, losses, budget, every invocation) and the validation section."""
from __future__ import annotations

import json
import shlex
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import torch

from train.data import describe_source
from train.machine import cpu_label

if TYPE_CHECKING:
    from train.trainer import Trainer

__all__ = ["metadata", "training_card", "evaluation_card", "device_label", "command_line"]


def metadata(trainer: "Trainer") -> dict[str, Any]:
    recipe, options = trainer.recipe, trainer.options
    dataset = options.dataset_name or describe_source(options.data)
    description = options.description or (
        f"{recipe.architecture} ({recipe.preset}) trained with recipe {recipe.name} on {dataset}, {recipe.size} px")
    meta = {
        "description": description,
        "dataset": dataset,
        "resolution": recipe.size,
        "domain": recipe.domain,
        "recipe": recipe.name,
        "preset": recipe.preset,
        "command": options.command or command_line(),
        "precision": trainer.precision,
        "steps": trainer.step,
        "wall_time_s": round(trainer.wall_time, 1),
        "device": device_label(trainer),
        "metrics": {k: round(v, 5) for k, v in trainer.metrics.items()},
    }
    if options.name:
        meta["name"] = options.name
    if getattr(trainer, "inherited_max_side", None):
        meta["max_side"] = trainer.inherited_max_side
    return meta

def command_line() -> str:
    return "python -m train " + " ".join(shlex.quote(a) for a in sys.argv[1:])

def device_label(trainer: "Trainer") -> str:
    """What the run trained on: the GPUs, or the CPU with the features that set its speed
    (:func:`train.machine.cpu_label`), so that wall times from different machines can be told apart."""
    if trainer.device.type == "cuda":
        name = torch.cuda.get_device_name(trainer.device)
        return f"{trainer.accelerator.num_processes}× {name}"
    return f"CPU: {cpu_label()}, {torch.get_num_threads()} threads"

def training_card(trainer: "Trainer") -> str:
    """The model card's training section (markdown)."""
    recipe, options = trainer.recipe, trainer.options
    adv = recipe.adversarial
    used = " + ".join(f"{w:g}×{n}" for n, w, _ in trainer.loss_terms)
    if adv is not None and trainer.discriminator is not None:
        used += f" + {adv.weight:g}×{adv.loss} adversarial ({adv.discriminator} discriminator)"
        if adv.feature_matching:
            used += f" + {adv.feature_matching:g}×feature matching"
        if adv.hole_ramp is not None:
            low, high = adv.hole_ramp
            used += (f" (adversarial terms per sample × clamp((hole ratio − {low:g}) / {high - low:g}, 0, 1): "
                     f"none below {low:.0%} hole, full from {high:.0%})")
    rows = [
        ("Recipe", f"`{recipe.name}`: {recipe.description}"),
        ("Reproduces", recipe.report),
        ("Model", f"`{recipe.architecture}` preset `{recipe.preset}`"
         + (f" {json.dumps(recipe.model_options)}" if recipe.model_options else "")),
        *([("Initialised from", f"`{options.init_from}` ({_copied(trainer)})" + _critic(trainer) + _limit(trainer))]
          if options.init_from else []),
        ("Training data", f"{options.dataset_name or describe_source(options.data)} "
                          f"({len(trainer.train_source)} images)"),
        ("Validation data", f"{trainer.val_label} ({len(trainer.val_set)} images)"),
        ("Resolution", f"{recipe.size}×{recipe.size}"),
        ("Crops", "random squares of " + ", ".join(f"{s:g}" for s in recipe.crop_scales)
         + f" × {recipe.size} px (those that fit the photo), resized to {recipe.size} px"),
        ("Masks", f"{recipe.masks}" + (f", {recipe.masks_per_image} per image" if recipe.masks_per_image > 1 else "")),
        ("Loss", used + (f" (left out: {', '.join(trainer.dropped_terms)})" if trainer.dropped_terms else "")),
        ("Optimizer", f"{recipe.optimizer.name} lr {recipe.optimizer.lr:g}"
         + (f"; saved weights: exponential moving average, decay {recipe.optimizer.ema:g}" if recipe.optimizer.ema else "")
         + (f"; encoder batch norm frozen ({len(trainer.frozen_norms)} layers)" if trainer.frozen_norms else "")),
        ("Batch size", f"{recipe.batch_size} × {trainer.accelerator.num_processes} process(es)"),
        ("Steps", f"{trainer.step} of {trainer.total_steps} ({trainer.step / trainer.steps_per_epoch:.2f} epochs)"
         + ("" if trainer.stop_reason == "done" else f", stopped by the {trainer.stop_reason}")),
        ("Wall time", f"{trainer.wall_time / 60:.1f} min ({trainer.images_seen / max(trainer.wall_time, 1e-9):.1f} images/s)"),
        ("Device", device_label(trainer)),
        ("Seed", str(options.seed)),
        ("Command" if len(trainer.commands) <= 1 else "Last command", f"`{options.command or command_line()}`"),
    ]
    lines = ["## Training", "", "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    if len(trainer.commands) > 1:
        lines += ["", "The run was continued with `--resume`; its invocations in order:", ""]
        lines += [f"{i}. from step {c['from_step']}: `{c['command']}`" for i, c in enumerate(trainer.commands, 1)]
    if recipe.notes:
        lines += ["", f"Recipe notes: {recipe.notes}"]
    defaults = asdict(type(options)(data="", out=""))
    changed = {k: v for k, v in asdict(options).items()
               if v != defaults[k] and k not in ("command", "progress", "data", "out")}
    lines += ["", "Options: `" + json.dumps(changed, default=str) + "`"]
    return "\n".join(lines)

def evaluation_card(trainer: "Trainer") -> str:
    if not trainer.metrics:
        return ""
    lines = ["## Validation", "", f"On {len(trainer.val_set)} {trainer.val_label}, {trainer.recipe.size} px, masks "
             f"{trainer.recipe.masks} (fixed seed), known pixels composited:", "",
             "| " + " | ".join(trainer.metrics) + " |", "|" + "---|" * len(trainer.metrics),
             "| " + " | ".join(f"{v:.4f}" for v in trainer.metrics.values()) + " |"]
    if trainer._last_grid is not None:
        lines += ["", "![validation samples: input, result, ground truth](samples.png)"]
    return "\n".join(lines)


def _copied(trainer) -> str:
    """Which weights an --init-from run took: all, or all of the checkpoint's plus layers it lacked."""
    added = getattr(trainer, "init_added", [])
    if not added:
        return "all weights"
    groups = sorted({".".join(k.split(".")[:2]) for k in added})
    return f"all its weights; {len(added)} tensors it lacks start fresh: {', '.join(groups)}"


def _limit(trainer) -> str:
    """The working-size limit a run keeps from the model it was initialised from."""
    side = getattr(trainer, "inherited_max_side", None)
    return (f"; its measured working-size limit kept: photos up to {side} px are filled at their own size "
            "(`inpainting_hub.max_side`)") if side else ""


def _critic(trainer) -> str:
    """Where an adversarial run's discriminator came from when it was initialised from another model."""
    if trainer.discriminator is None or trainer.options.resume:
        return ""
    source = trainer.discriminator_from
    return f"; discriminator from `{source}`" if source else "; discriminator fresh (none saved beside that model)"
