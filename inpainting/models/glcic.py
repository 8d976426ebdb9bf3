"""Completion network of Iizuka, Simo-Serra and Ishikawa, "Globally and Locally Consistent Image
Completion", SIGGRAPH 2017 (https://doi.org/10.1145/3072959.3073659; project page
http://iizuka.cs.tsukuba.ac.jp/projects/completion/en/).

Input: the image with the hole filled by a constant (the paper uses the mean pixel value) plus the
mask channel. A fully convolutional encoder down to 1/4 resolution, four 3×3 convolutions dilated
by 2, 4, 8 and 16 that widen the receptive field without losing resolution, and a decoder of
transposed convolutions; batch norm and ReLU after every layer but the sigmoid output.

Options from the reports:

* ``skip=True``: the GLCIC report's U-Net variant; the decoder concatenates the encoder features of
  the same resolution.
* ``dam=True``: Dynamic Attention Map blocks after each decoder stage (Cha and Kim, "DAM-GAN: Image
  Inpainting using Dynamic Attention Map based on Fake Texture Detection", ICASSP 2022,
  https://arxiv.org/abs/2204.09442): ``F = conv1×1(x)``, fakeness map ``M = sigmoid(conv1×1(x))``,
  output ``F + M ⊙ F``.

The discriminators (global and local) are in ``train/discriminators.py``.
"""
from __future__ import annotations

import torch
from torch import nn

from inpainting.hub import InpaintingModel
from inpainting.layers.init import init_weights
from inpainting.layers.inputs import check_inputs, known_only
from inpainting.registry import register_model

__all__ = ["CompletionNetwork", "DAMBlock"]


def _conv(cin: int, cout: int, kernel_size: int = 3, *, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel_size // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _deconv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DAMBlock(nn.Module):
    """Dynamic attention map (DAM-GAN 2022): ``F = conv1×1(x)``, ``M = sigmoid(conv1×1(x))`` (one
    channel), output ``F + M ⊙ F``."""

    def __init__(self, channels: int):
        super().__init__()
        self.features = nn.Conv2d(channels, channels, 1)
        self.fakeness = nn.Conv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        return f + torch.sigmoid(self.fakeness(x)) * f


@register_model(
    "glcic",
    description="GLCIC completion network with dilated convolutions (Iizuka et al. 2017); U-Net and DAM options",
    pad_multiple=4,
    presets={
        "iizuka2017": {"base_channels": 64},
        "unet": {"base_channels": 64, "skip": True},
        "dam": {"base_channels": 64, "dam": True},
        "small": {"base_channels": 16},
        "tiny": {"base_channels": 2, "dilations": [2, 4]},
    },
    default_preset="iizuka2017",
)
class CompletionNetwork(
    InpaintingModel,
    paper_url="https://doi.org/10.1145/3072959.3073659",
    repo_url="https://github.com/satoshiiizuka/siggraph2017_inpainting",
    tags=["glcic", "dilated-convolution"],
):
    """GLCIC completion network (Iizuka et al. 2017), with ``c = base_channels``::

        conv5×5 c | conv3×3/2 2c | conv 2c | conv3×3/2 4c | conv 4c | conv 4c
        dilated conv 4c (d = each of dilations) | conv 4c | conv 4c
        deconv4×4/2 2c | conv 2c | deconv4×4/2 c | conv c/2 | conv 3 + sigmoid

    Args:
        base_channels (int, default 64): ``c`` above (the paper: 64).
        dilations (list[int], default [2, 4, 8, 16]): dilation of each middle 3×3 convolution.
        skip (bool, default False): U-Net variant, concatenating the encoder features of the same
            resolution into the decoder.
        dam (bool, default False): a DAM block after each decoder stage (DAM-GAN 2022).
        fill_value (float, default 0.5): constant that replaces the hole pixels in the input.
        native_size (int, default 256): working size: the side the model is trained at
            (the trainer sets the recipe's size).
    """

    def __init__(
        self,
        base_channels: int = 64,
        dilations: list[int] = (2, 4, 8, 16),
        skip: bool = False,
        dam: bool = False,
        fill_value: float = 0.5,
        native_size: int = 256,
    ):
        super().__init__()
        c = int(base_channels)
        if c < 2:
            raise ValueError(f"base_channels must be >= 2, got {base_channels}")
        dilations = [int(d) for d in dilations]
        if any(d < 1 for d in dilations):
            raise ValueError(f"dilations must be positive, got {dilations}")
        self.skip, self.fill_value, self.native_size = bool(skip), float(fill_value), int(native_size)
        self.enc_full = _conv(4, c, 5)
        self.enc_half = nn.Sequential(_conv(c, 2 * c, stride=2), _conv(2 * c, 2 * c))
        self.enc_quarter = nn.Sequential(_conv(2 * c, 4 * c, stride=2), _conv(4 * c, 4 * c), _conv(4 * c, 4 * c))
        self.middle = nn.Sequential(*[_conv(4 * c, 4 * c, dilation=d) for d in dilations],
                                    _conv(4 * c, 4 * c), _conv(4 * c, 4 * c))
        extra = 2 if self.skip else 1  # a skip doubles the input channels of the conv after each deconv
        self.up_half = _deconv(4 * c, 2 * c)
        self.dec_half = nn.Sequential(_conv(extra * 2 * c, 2 * c), DAMBlock(2 * c) if dam else nn.Identity())
        self.up_full = _deconv(2 * c, c)
        self.dec_full = nn.Sequential(_conv(extra * c, c // 2), DAMBlock(c // 2) if dam else nn.Identity())
        self.out = nn.Conv2d(c // 2, 3, 3, padding=1)
        init_weights(self)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_inputs(image, mask, self.pad_multiple)
        mask = mask.to(image.dtype)
        filled = known_only(image, mask) + self.fill_value * mask
        full = self.enc_full(torch.cat([filled, mask], dim=1))
        half = self.enc_half(full)
        x = self.middle(self.enc_quarter(half))
        x = self.up_half(x)
        x = self.dec_half(torch.cat([x, half], dim=1) if self.skip else x)
        x = self.up_full(x)
        x = self.dec_full(torch.cat([x, full], dim=1) if self.skip else x)
        return torch.sigmoid(self.out(x))
