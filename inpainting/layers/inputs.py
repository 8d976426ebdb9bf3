"""Checks and preparation of a model's ``(image, mask)`` input, shared by every learned family."""
from __future__ import annotations

import torch

__all__ = ["check_inputs", "known_only"]


def check_inputs(image: torch.Tensor, mask: torch.Tensor, multiple: int = 1) -> None:
    """Raise a ``ValueError`` naming the problem unless ``image`` is ``B×3×H×W`` and ``mask`` is
    ``B×1×H×W`` with ``H`` and ``W`` multiples of ``multiple``."""
    if image.dim() != 4 or image.shape[1] != 3:
        raise ValueError(f"image must be a B×3×H×W tensor, got shape {tuple(image.shape)}")
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[0] != image.shape[0] or mask.shape[2:] != image.shape[2:]:
        raise ValueError(f"mask must be B×1×H×W matching the image {tuple(image.shape)}, got {tuple(mask.shape)}")
    h, w = image.shape[2:]
    if h % multiple or w % multiple:
        raise ValueError(
            f"image size {h}×{w} is not a multiple of {multiple}; pad it to the model's pad_multiple first "
            "(inpainting.inpaint does this)"
        )


def known_only(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``image * (1 - mask)``: the hole zeroed, so nothing downstream depends on the pixels under it."""
    return image * (1.0 - mask.to(image.dtype))
