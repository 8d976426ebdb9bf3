"""The Places GAN report's generators: a U-Net, a residual generator and a two-stage
(coarse-then-refine) generator. Every one takes the masked image plus the mask (4 channels).

* U-Net generator after pix2pix (Isola et al., "Image-to-Image Translation with Conditional
  Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1611.07004): 4×4 stride-2 convolutions
  with batch norm and ReLU down, 4×4 stride-2 transposed convolutions with batch norm and ReLU up,
  skip connections by concatenation.
* Residual generator after Johnson et al. ("Perceptual Losses for Real-Time Style Transfer",
  ECCV 2016, https://arxiv.org/abs/1603.08155): downscale blocks (4×4 stride 2, LeakyReLU 0.2),
  residual blocks, upscale blocks (4×4 stride-2 transposed convolutions). ``predict="hole"`` makes
  the network responsible for the hole only (its output is used under the mask, the known pixels
  are passed through), as the report's "hole-only" variant; ``"image"`` predicts every pixel.
* Two-stage generator, coarse then refine as in Yu et al. ("Generative Image Inpainting with
  Contextual Attention", CVPR 2018, https://arxiv.org/abs/1801.07892), without the attention: a
  second downscale→residual→upscale pass on the first result pasted into the known pixels.

The discriminators are in ``train/discriminators.py``.
"""
from __future__ import annotations

import torch
from torch import nn

from inpainting.hub import InpaintingModel
from inpainting.layers.init import init_weights
from inpainting.layers.inputs import check_inputs, known_only
from inpainting.registry import register_model

__all__ = ["UNetGenerator", "ResidualGenerator", "TwoStageGenerator", "ResidualBlock"]

_PREDICT = ("image", "hole")


def _widths(base: int, n: int, cap: int) -> list[int]:
    return [min(base * 2 ** i, cap) for i in range(n)]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")


# ----------------------------------------------------------------------------- blocks
def _down(cin: int, cout: int, *, norm: bool = True, act: nn.Module | None = None) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(act if act is not None else nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class ResidualBlock(nn.Module):
    """``x + BN(conv3×3(ReLU(BN(conv3×3(x)))))``."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class _ResidualTrunk(nn.Sequential):
    """Downscale blocks (4×4/2, LeakyReLU 0.2) → residual blocks → upscale blocks → 3×3 conv to
    3 channels (logits)."""

    def __init__(self, cin: int, *, base_channels: int, num_downscale: int, num_residual: int, max_channels: int):
        widths = _widths(base_channels, num_downscale, max_channels)
        layers: list[nn.Module] = []
        for i, cout in enumerate(widths):
            layers.append(_down(cin, cout, norm=i > 0, act=nn.LeakyReLU(0.2, inplace=True)))
            cin = cout
        layers += [ResidualBlock(cin) for _ in range(num_residual)]
        for cout in [*widths[-2::-1], max(base_channels // 2, 1)]:
            layers.append(_up(cin, cout))
            cin = cout
        layers.append(nn.Conv2d(cin, 3, 3, padding=1))
        super().__init__(*layers)


# ----------------------------------------------------------------------------- U-Net
@register_model(
    "unet-generator",
    description="U-Net generator (pix2pix-style, Places GAN report): masked image + mask in, image out",
    pad_multiple=64,
    presets={
        "places": {"base_channels": 64, "depth": 6, "max_channels": 512},
        "small": {"base_channels": 32, "depth": 4, "max_channels": 128},
        "tiny": {"base_channels": 4, "depth": 2, "max_channels": 8},
    },
    default_preset="places",
)
class UNetGenerator(
    InpaintingModel,
    paper_url="https://arxiv.org/abs/1611.07004",
    repo_url="https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix",
    tags=["u-net", "gan"],
):
    """U-Net generator: ``depth`` levels of conv4×4/2 + BN + ReLU (no BN on the first), then
    transposed conv4×4/2 + BN + ReLU with the mirrored encoder features concatenated, the last
    transposed convolution to 3 channels with a sigmoid. Input: masked image + mask.

    Args:
        base_channels (int, default 64): channels of the first level, doubled per level.
        depth (int, default 6): number of stride-2 levels; ``pad_multiple`` is ``2 ** depth``.
        max_channels (int, default 512): cap on the channels of a level.
        native_size (int, default 128): working size: the side the model is trained at
            (the trainer sets the recipe's size).
    """

    def __init__(self, base_channels: int = 64, depth: int = 6, max_channels: int = 512, native_size: int = 128):
        super().__init__()
        _check_positive(base_channels=base_channels, depth=depth, max_channels=max_channels)
        self.native_size, self.pad_multiple = int(native_size), 2 ** int(depth)
        widths = _widths(base_channels, depth, max_channels)
        self.down = nn.ModuleList()
        cin = 4
        for i, cout in enumerate(widths):
            self.down.append(_down(cin, cout, norm=i > 0))
            cin = cout
        self.up = nn.ModuleList()
        for i in range(depth - 1, 0, -1):  # up i: from level i to level i-1, then concat with level i-1
            self.up.append(_up(cin, widths[i - 1]))
            cin = 2 * widths[i - 1]
        self.out = nn.ConvTranspose2d(cin, 3, 4, stride=2, padding=1)
        init_weights(self)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_inputs(image, mask, self.pad_multiple)
        mask = mask.to(image.dtype)
        x = torch.cat([known_only(image, mask), mask], dim=1)
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        skips.pop()
        for block in self.up:
            x = torch.cat([block(x), skips.pop()], dim=1)
        return torch.sigmoid(self.out(x))


# ----------------------------------------------------------------------------- residual
@register_model(
    "residual-generator",
    description="Residual generator (Places GAN report): downscale, residual, upscale blocks; predicts hole or image",
    pad_multiple=8,
    presets={
        "places": {"base_channels": 64, "num_downscale": 3, "num_residual": 6, "max_channels": 256,
                   "predict": "image"},
        "small": {"base_channels": 32, "num_downscale": 3, "num_residual": 4, "max_channels": 128,
                  "predict": "image"},
        "tiny": {"base_channels": 4, "num_downscale": 2, "num_residual": 1, "max_channels": 8,
                 "predict": "image"},
    },
    default_preset="places",
)
class ResidualGenerator(
    InpaintingModel,
    paper_url="https://arxiv.org/abs/1603.08155",
    repo_url="https://github.com/jcjohnson/fast-neural-style",
    tags=["resnet-generator", "gan"],
):
    """Residual generator: ``num_downscale`` conv4×4/2 + (BN) + LeakyReLU(0.2) blocks,
    ``num_residual`` residual blocks, as many transposed-conv4×4/2 + BN + ReLU upscale blocks and a
    3×3 convolution with a sigmoid. Input: masked image + mask.

    Args:
        base_channels (int, default 64): channels after the first downscale block, doubled per block.
        num_downscale (int, default 3): downscale (and upscale) blocks; ``pad_multiple`` is
            ``2 ** num_downscale``.
        num_residual (int, default 6): residual blocks at the bottom.
        max_channels (int, default 256): cap on the channels.
        predict (str, default "image"): "image" predicts every pixel; "hole" uses the prediction
            under the mask only and passes the known pixels through (the report's hole-only variant).
        native_size (int, default 128): working size: the side the model is trained at
            (the trainer sets the recipe's size).
    """

    def __init__(self, base_channels: int = 64, num_downscale: int = 3, num_residual: int = 6,
                 max_channels: int = 256, predict: str = "image", native_size: int = 128):
        super().__init__()
        _check_positive(base_channels=base_channels, num_downscale=num_downscale, max_channels=max_channels)
        if predict not in _PREDICT:
            raise ValueError(f"predict must be one of {_PREDICT}, got {predict!r}")
        self.predict, self.native_size, self.pad_multiple = predict, int(native_size), 2 ** int(num_downscale)
        self.trunk = _ResidualTrunk(4, base_channels=base_channels, num_downscale=num_downscale,
                                    num_residual=num_residual, max_channels=max_channels)
        init_weights(self, negative_slope=0.2)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_inputs(image, mask, self.pad_multiple)
        mask = mask.to(image.dtype)
        known = known_only(image, mask)
        pred = torch.sigmoid(self.trunk(torch.cat([known, mask], dim=1)))
        return known + mask * pred if self.predict == "hole" else pred


# ----------------------------------------------------------------------------- two-stage
@register_model(
    "two-stage-generator",
    description="Two-stage coarse-then-refine residual generator (Places GAN report)",
    pad_multiple=8,
    presets={
        "places": {"base_channels": 64, "num_downscale": 3, "num_residual": 4, "max_channels": 256},
        "small": {"base_channels": 24, "num_downscale": 3, "num_residual": 2, "max_channels": 96},
        "tiny": {"base_channels": 4, "num_downscale": 2, "num_residual": 1, "max_channels": 8},
    },
    default_preset="places",
)
class TwoStageGenerator(
    InpaintingModel,
    paper_url="https://arxiv.org/abs/1801.07892",
    repo_url="https://github.com/JiahuiYu/generative_inpainting",
    tags=["coarse-to-fine", "gan"],
):
    """Coarse-then-refine generator: a residual trunk predicts a coarse image from the masked image
    + mask; the coarse prediction pasted into the known pixels, with the mask, goes through a
    second trunk of the same shape. ``forward`` returns the refined image;
    :meth:`forward_stages` returns both (for a loss on the coarse result).

    Args:
        base_channels (int, default 64): channels after the first downscale block of each trunk.
        num_downscale (int, default 3): downscale (and upscale) blocks per trunk; ``pad_multiple``
            is ``2 ** num_downscale``.
        num_residual (int, default 4): residual blocks per trunk.
        max_channels (int, default 256): cap on the channels.
        native_size (int, default 128): working size: the side the model is trained at
            (the trainer sets the recipe's size).
    """

    def __init__(self, base_channels: int = 64, num_downscale: int = 3, num_residual: int = 4,
                 max_channels: int = 256, native_size: int = 128):
        super().__init__()
        _check_positive(base_channels=base_channels, num_downscale=num_downscale, max_channels=max_channels)
        self.native_size, self.pad_multiple = int(native_size), 2 ** int(num_downscale)
        kw = dict(base_channels=base_channels, num_downscale=num_downscale, num_residual=num_residual,
                  max_channels=max_channels)
        self.coarse = _ResidualTrunk(4, **kw)
        self.refine = _ResidualTrunk(4, **kw)
        init_weights(self, negative_slope=0.2)

    def forward_stages(self, image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(coarse, refined)`` predictions, both ``B×3×H×W`` in [0, 1]."""
        check_inputs(image, mask, self.pad_multiple)
        mask = mask.to(image.dtype)
        known = known_only(image, mask)
        coarse = torch.sigmoid(self.coarse(torch.cat([known, mask], dim=1)))
        refined = torch.sigmoid(self.refine(torch.cat([known + mask * coarse, mask], dim=1)))
        return coarse, refined

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.forward_stages(image, mask)[1]
