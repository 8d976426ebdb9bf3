"""Two trained models of one architecture and config joined in weight space: (1 − α)·A + α·B
(Wortsman et al., "Robust fine-tuning of zero-shot models", https://arxiv.org/abs/2109.01903: a
fine-tuned model and its starting point joined linearly often sit on a better front than either).

Meant for B fine-tuned from A (a texture stage from a fidelity model), so every tensor has a partner.
Floating-point tensors (weights, biases, BatchNorm running statistics) are interpolated; integer ones
(BatchNorm's batch counters) are taken from B. The critics (``discriminator.safetensors``) are joined
alike when both folders hold one with the same tensors, so ``python -m train --init-from OUT`` goes on
from the joined pair. Used by ``scripts/interpolate_weights.py`` and by :func:`train.shipped.ship` for a
shipped run with ``join_with``.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

import inpainting
from inpainting.loading import local_model_folder
from train.trainer import DISCRIMINATOR_FILE

__all__ = ["interpolate_state_dicts", "interpolate_folders"]


def interpolate_state_dicts(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], alpha: float,
                            ) -> dict[str, torch.Tensor]:
    """``(1 − alpha)·a + alpha·b`` tensor by tensor; integer tensors from ``b``.

    Raises:
        ValueError: ``alpha`` outside [0, 1], or the two do not hold the same tensors of the same shapes.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (0 = the first model, 1 = the second), got {alpha}")
    if a.keys() != b.keys():
        only = sorted(a.keys() - b.keys())[:3] + sorted(b.keys() - a.keys())[:3]
        raise ValueError(f"the two models do not hold the same tensors (e.g. {only})")
    joined = {}
    for key, tensor in a.items():
        other = b[key]
        if tensor.shape != other.shape:
            raise ValueError(f"{key}: shape {tuple(tensor.shape)} against {tuple(other.shape)}")
        if tensor.is_floating_point():
            joined[key] = torch.lerp(tensor.float(), other.float(), alpha).to(tensor.dtype)
        else:
            joined[key] = other.clone()
    return joined


def _effective_config(model) -> dict:
    """The model's init arguments with the defaults it was not given (older config.json files lack
    options added since, at their defaults); JSON-normalised, so a default () equals a saved []."""
    defaults = {name: p.default for name, p in inspect.signature(type(model).__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    return json.loads(json.dumps({"architecture": model.architecture, **defaults, **model.config}))


def _folder(spec: str | Path) -> Path:
    folder = local_model_folder(str(spec))
    if folder is None:
        raise ValueError(f"{spec}: not a trained model's folder or shipped checkpoint name")
    return folder


def interpolate_folders(first: str | Path, second: str | Path, alpha: float, out: str | Path, *,
                        metadata: dict | None = None, ignore: tuple[str, ...] = ()) -> str:
    """Write ``(1 − alpha)·first + alpha·second`` to ``out`` (``save_pretrained``; the critics joined too
    when both have one). ``metadata``: the ``inpainting_hub`` facts to write (default: a description of
    the join). ``ignore``: config keys that may differ (weightless inference options such as
    ``edge_blend``), written as ``second`` has them. ``out`` may be ``second``'s own folder. Returns what
    happened to the critic, for a log line.

    Raises:
        ValueError: not local models, of different architecture or config, or ``alpha`` outside [0, 1].
    """
    folders = [_folder(first), _folder(second)]
    models = [inpainting.load_model(str(folder), device="cpu") for folder in folders]
    configs = [_effective_config(model) for model in models]
    differ = sorted(k for k in configs[0].keys() | configs[1].keys()
                    if configs[0].get(k) != configs[1].get(k) and k not in ignore)
    if differ:
        raise ValueError(f"{first} and {second} differ in config ({', '.join(differ)}); "
                         "only models of one architecture and config can be interpolated")
    joined = interpolate_state_dicts(models[0].state_dict(), models[1].state_dict(), alpha)
    critics = [folder / DISCRIMINATOR_FILE for folder in folders]
    critic, note = None, "no critic (not in both folders)"
    if all(path.is_file() for path in critics):
        try:
            critic = interpolate_state_dicts(load_file(critics[0]), load_file(critics[1]), alpha)
            note = "critic interpolated too"
        except ValueError as err:
            note = f"critic not written: {err}"
    model = models[1]
    model.load_state_dict(joined)
    if metadata is None:
        metadata = {"description": f"(1 - {alpha:g}) * {first} + {alpha:g} * {second}, interpolated in weight space"}
    out = Path(out)
    model.save_pretrained(out, metadata=metadata)
    if critic is not None:
        save_file(critic, out / DISCRIMINATOR_FILE)
    return note
