"""Interpolate two trained models of one architecture and config in weight space: (1 − α)·A + α·B
(Wortsman et al., "Robust fine-tuning of zero-shot models", https://arxiv.org/abs/2109.01903: a
fine-tuned model and its starting point joined linearly often sit on a better front than either).

    python scripts/interpolate_weights.py checkpoints/pconv-unet-photos runs/stage-b --alpha 0.5 --out runs/mix-050

Meant for B fine-tuned from A (a texture stage from a fidelity model): both must be the same architecture
with the same config, so every tensor has a partner. Floating-point tensors (weights, biases, BatchNorm
running statistics) are interpolated; integer ones (BatchNorm's batch counters) are taken from B. The
critics (``discriminator.safetensors``) are interpolated too when both folders hold one with the same
tensors, so ``python -m train --init-from OUT`` continues from the joined pair.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import inpainting  # noqa: E402
from inpainting.hub import HUB_METADATA_KEY, read_config  # noqa: E402
from inpainting.loading import local_model_folder  # noqa: E402

DISCRIMINATOR_FILE = "discriminator.safetensors"


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


def _architecture_config(folder: Path) -> dict:
    return {k: v for k, v in read_config(folder).items() if k != HUB_METADATA_KEY}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="model A (alpha = 0): shipped name or folder")
    parser.add_argument("second", help="model B (alpha = 1): shipped name or folder")
    parser.add_argument("--alpha", type=float, required=True, help="weight of B, in [0, 1]")
    parser.add_argument("--out", required=True, help="folder to write (save_pretrained [+ the joined critic])")
    args = parser.parse_args(argv)
    try:
        folders = [local_model_folder(name) for name in (args.first, args.second)]
        for name, folder in zip((args.first, args.second), folders):
            if folder is None:
                raise ValueError(f"{name}: not a trained model's folder or shipped checkpoint name")
        configs = [_architecture_config(folder) for folder in folders]
        if configs[0] != configs[1]:
            differ = sorted(k for k in configs[0].keys() | configs[1].keys()
                            if configs[0].get(k) != configs[1].get(k))
            raise ValueError(f"{args.first} and {args.second} differ in config ({', '.join(differ)}); "
                             "only models of one architecture and config can be interpolated")
        first, second = (inpainting.load_model(str(folder), device="cpu") for folder in folders)
        first.load_state_dict(interpolate_state_dicts(first.state_dict(), second.state_dict(), args.alpha))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    description = f"(1 - {args.alpha:g}) * {args.first} + {args.alpha:g} * {args.second}, interpolated in weight space"
    first.save_pretrained(out, metadata={"description": description})
    critics = [folder / DISCRIMINATOR_FILE for folder in folders]
    note = "no critic (not in both folders)"
    if all(path.is_file() for path in critics):
        try:
            save_file(interpolate_state_dicts(load_file(critics[0]), load_file(critics[1]), args.alpha),
                      out / DISCRIMINATOR_FILE)
            note = "critic interpolated too"
        except ValueError as err:
            note = f"critic not written: {err}"
    print(f"wrote {out}: {description}; {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
