"""Blind convolutional autoencoder (the CIFAR-10 report's "VanillaCNN").

The baseline of the CIFAR-10 report: an encoder-decoder that sees only the damaged image (hole
pixels black) and never the mask, so it has to detect the damage itself. Encoder: 3×3 convolutions
(stride 1, padding 1), each followed by 2×2 max-pooling and ReLU; decoder: stride-2 transposed
convolutions back to 3 channels; sigmoid output. An autoencoder for inpainting in the spirit of
Pathak et al., "Context Encoders: Feature Learning by Inpainting", CVPR 2016
(https://arxiv.org/abs/1604.07379), without the adversarial loss.
"""
from __future__ import annotations

import torch
from torch import nn

from inpainting.hub import InpaintingModel
from inpainting.layers.init import init_weights
from inpainting.layers.inputs import check_inputs, known_only
from inpainting.registry import register_model

__all__ = ["ConvAutoencoder"]


def _encoder_stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=1, padding=1), nn.MaxPool2d(2), nn.ReLU(inplace=True))


def _decoder_stage(cin: int, cout: int, *, last: bool) -> nn.Sequential:
    up = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)
    return nn.Sequential(up, nn.Sigmoid() if last else nn.ReLU(inplace=True))


@register_model(
    "conv-autoencoder",
    description="Blind convolutional autoencoder (CIFAR-10 report's VanillaCNN): sees only the damaged image",
    pad_multiple=32,
    presets={
        "cifar10": {"channels": [32, 64, 128, 256, 512]},
        "small": {"channels": [32, 64, 128, 256]},
        "tiny": {"channels": [4, 8]},
    },
    default_preset="cifar10",
    blind=True,
)
class ConvAutoencoder(
    InpaintingModel,
    paper_url="https://arxiv.org/abs/1604.07379",
    repo_url="https://github.com/pathak22/context-encoder",
    tags=["autoencoder", "blind-inpainting"],
):
    """Blind convolutional autoencoder: ``forward(image, mask)`` uses the mask only to black out the
    hole (the damaged image, as the CIFAR-10 report draws it); the network never sees the mask.

    Args:
        channels (list[int], default [32, 64, 128, 256, 512]): encoder channels, one 3×3 conv +
            max-pool + ReLU per entry; the decoder mirrors them with stride-2 transposed convs back
            to 3 channels. Inputs must be multiples of ``2 ** len(channels)`` (``pad_multiple``).
        native_size (int, default 32): working size: the side the model is trained at
            (the trainer sets the recipe's size; CIFAR-10: 32).
    """

    def __init__(self, channels: list[int] = (32, 64, 128, 256, 512), native_size: int = 32):
        super().__init__()
        channels = [int(c) for c in channels]
        if not channels or min(channels) < 1:
            raise ValueError(f"channels must be a non-empty list of positive ints, got {channels}")
        self.pad_multiple = 2 ** len(channels)
        self.native_size = int(native_size)
        widths = [3, *channels]
        self.encoder = nn.Sequential(*[_encoder_stage(a, b) for a, b in zip(widths[:-1], widths[1:])])
        back = widths[::-1]
        self.decoder = nn.Sequential(*[
            _decoder_stage(a, b, last=(i == len(back) - 2)) for i, (a, b) in enumerate(zip(back[:-1], back[1:]))
        ])
        init_weights(self)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_inputs(image, mask, self.pad_multiple)
        return self.decoder(self.encoder(known_only(image, mask)))
