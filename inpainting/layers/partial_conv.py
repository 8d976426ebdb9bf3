"""Partial convolution (Liu et al., "Image Inpainting for Irregular Holes Using Partial Convolutions",
ECCV 2018, https://arxiv.org/abs/1804.07723; reference code https://github.com/NVIDIA/partialconv).

For each window, with ``X`` the input, ``M`` the window of the *valid* mask (1 = known pixel)::

    x' = W^T (X ⊙ M) · sum(1) / sum(M) + b    if sum(M) > 0
    x' = 0                                    otherwise
    m' = 1 if sum(M) > 0 else 0               (the mask update)

Like NVIDIA's layer, zero padding counts as unknown, so near the image border the layer rescales
(and differs from ``nn.Conv2d`` there). Unlike it, this layer is stateless: nothing is cached on
``self``, the ones-kernel is a non-persistent buffer and the call always returns
``(output, new_mask)``.

Masks cross this layer's boundary with the project's polarity, **1 = hole**; the layer works on
``valid = 1 - mask`` inside.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PartialConv2d"]


class PartialConv2d(nn.Conv2d):
    """A ``nn.Conv2d`` that only sees known pixels and updates the hole mask.

    Same signature as ``nn.Conv2d`` (only ``groups=1`` and ``padding_mode="zeros"``).

    ``forward(x, mask) -> (output, new_mask)``: ``mask`` is ``B×1×H×W`` (one mask shared by every
    input channel) or ``B×C_in×H×W`` (one per channel, e.g. after concatenating the masks of two
    feature maps in a U-Net skip), 1 = hole. ``new_mask`` is ``B×1×H'×W'``: 1 where the window saw
    no known value at all.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        if groups != 1:
            raise ValueError(f"PartialConv2d supports groups=1 only, got groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"PartialConv2d supports padding_mode='zeros' only (padding counts as hole), got {padding_mode!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=1, bias=bias, padding_mode="zeros", device=device, dtype=dtype)
        self.register_buffer("ones_kernel", torch.ones(1, 1, *self.kernel_size, device=device), persistent=False)
        self.window_size = float(in_channels * self.kernel_size[0] * self.kernel_size[1])  # sum(1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if mask.dim() != 4 or mask.shape[1] not in (1, x.shape[1]) or mask.shape[2:] != x.shape[2:]:
            raise ValueError(
                f"mask must be B×1×H×W or B×{x.shape[1]}×H×W matching the input {tuple(x.shape)}, got {tuple(mask.shape)}"
            )
        valid = (1.0 - mask).to(x.dtype)
        with torch.no_grad():
            # sum(M) over channels and window: a one-channel convolution of the per-pixel count.
            count = valid.sum(1, keepdim=True) * (x.shape[1] / valid.shape[1])
            count = F.conv2d(count.float(), self.ones_kernel.float(), stride=self.stride, padding=self.padding,
                             dilation=self.dilation)
            new_valid = (count > 0.5).to(x.dtype)
            scale = (self.window_size / count.clamp(min=1.0)).to(x.dtype) * new_valid
        out = F.conv2d(x * valid, self.weight, None, self.stride, self.padding, self.dilation, 1) * scale
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * new_valid
        return out, 1.0 - new_valid
