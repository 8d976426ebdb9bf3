"""LaMa-style generator with Fast Fourier Convolutions (Suvorov et al., "Resolution-robust Large Mask
Inpainting with Fourier Convolutions", WACV 2022, https://arxiv.org/abs/2109.07161; code
https://github.com/advimman/lama).

Input: the masked image and the mask (4 channels). A 7×7 stem, stride-2 downsampling, residual
blocks of Fast Fourier Convolutions whose global branch (a convolution in the frequency domain,
``torch.fft.rfftn``) sees the whole image from the first block, transposed-convolution upsampling
and a 7×7 output convolution with a sigmoid. The ``lama`` preset follows big-LaMa's generator
(64 base channels, 3 downsamplings, 18 FFC blocks, 75 % global channels).
"""
from __future__ import annotations

import torch
from torch import nn

from inpainting.hub import InpaintingModel
from inpainting.layers.ffc import FFCBlock, FFCResnetBlock
from inpainting.layers.init import init_weights
from inpainting.layers.inputs import check_inputs, known_only
from inpainting.registry import register_model

__all__ = ["LamaFFC"]


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


@register_model(
    "lama-ffc",
    description="LaMa-style generator: Fast Fourier Convolution residual blocks (Suvorov et al. 2021)",
    pad_multiple=8,
    presets={
        "lama": {"base_channels": 64, "num_downsampling": 3, "num_blocks": 18, "ratio_global": 0.75,
                 "max_channels": 1024},
        "small": {"base_channels": 24, "num_downsampling": 3, "num_blocks": 5, "ratio_global": 0.75,
                  "max_channels": 128},
        "tiny": {"base_channels": 4, "num_downsampling": 2, "num_blocks": 1, "ratio_global": 0.75,
                 "max_channels": 16},
    },
    default_preset="lama",
)
class LamaFFC(
    InpaintingModel,
    paper_url="https://arxiv.org/abs/2109.07161",
    repo_url="https://github.com/advimman/lama",
    tags=["lama", "fast-fourier-convolution"],
):
    """LaMa generator (big-LaMa layout, sizes configurable).

    reflect-pad 3 + FFC 7×7 (local only) → ``num_downsampling`` FFC 3×3/2 (the last one splitting
    into local and global parts) → ``num_blocks`` FFC residual blocks → ``num_downsampling``
    transposed conv 3×3/2 + BN + ReLU → reflect-pad 3 + conv 7×7 → sigmoid.

    Args:
        base_channels (int, default 64): channels of the stem, doubled by each downsampling.
        num_downsampling (int, default 3): stride-2 levels; ``pad_multiple`` is ``2 ** num_downsampling``.
        num_blocks (int, default 18): FFC residual blocks at the bottom.
        ratio_global (float, default 0.75): share of global (spectral) channels in the FFC blocks.
        max_channels (int, default 1024): cap on the channels.
        native_size (int, default 256): working size: the side the model is trained at
            (the trainer sets the recipe's size; LaMa trains at 256 and generalises to higher resolutions).
    """

    def __init__(self, base_channels: int = 64, num_downsampling: int = 3, num_blocks: int = 18,
                 ratio_global: float = 0.75, max_channels: int = 1024, native_size: int = 256):
        super().__init__()
        if base_channels < 1 or num_downsampling < 0 or num_blocks < 0 or max_channels < 1:
            raise ValueError("base_channels and max_channels must be >= 1, num_downsampling and num_blocks >= 0")
        if not 0.0 < ratio_global < 1.0:
            raise ValueError(f"ratio_global must be in (0, 1), got {ratio_global}")
        self.native_size, self.pad_multiple = int(native_size), max(1, 2 ** int(num_downsampling))
        widths = [min(base_channels * 2 ** i, max_channels) for i in range(num_downsampling + 1)]
        self.stem = nn.ReflectionPad2d(3)
        self.stem_ffc = FFCBlock(4, widths[0], 7, ratio_gin=0.0, ratio_gout=0.0)
        self.down = nn.ModuleList([
            FFCBlock(widths[i], widths[i + 1], 3, stride=2, padding=1, ratio_gin=0.0,
                     ratio_gout=ratio_global if i == num_downsampling - 1 else 0.0)
            for i in range(num_downsampling)
        ])
        if num_downsampling == 0 and num_blocks:
            raise ValueError("num_blocks > 0 needs num_downsampling >= 1 (the last downsampling splits the channels)")
        self.blocks = nn.ModuleList([FFCResnetBlock(widths[-1], ratio_global=ratio_global) for _ in range(num_blocks)])
        self.up = nn.Sequential(*[_up(widths[i], widths[i - 1]) for i in range(num_downsampling, 0, -1)])
        self.out = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(widths[0], 3, 7))
        init_weights(self)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_inputs(image, mask, self.pad_multiple)
        mask = mask.to(image.dtype)
        x = self.stem(torch.cat([known_only(image, mask), mask], dim=1))
        x = self.stem_ffc((x, None))
        for block in self.down:
            x = block(x)
        for block in self.blocks:
            x = block(x)
        x = torch.cat([t for t in x if t is not None], dim=1)
        return torch.sigmoid(self.out(self.up(x)))
