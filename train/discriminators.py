"""Discriminators for adversarial inpainting recipes, registered by name in :data:`DISCRIMINATORS`.

One contract: ``forward(image, mask, condition=None) -> (logits, features)``; ``image`` is the
real or the completed image ``B×3×H×W`` in [0, 1], ``mask`` the hole (1 = hole), ``condition``
the generator's input when the discriminator is conditional (``cond_channels > 0``), ``logits``
a ``B×1`` or ``B×1×h×w`` tensor and ``features`` the intermediate activations (for feature matching).

* :class:`ConvClassifier`: a plain strided-conv image classifier (DCGAN-style, Radford et al. 2016),
  as in the Places GAN report.
* :class:`PatchGAN`: pix2pix's 70×70 PatchGAN (Isola et al. 2017, https://arxiv.org/abs/1611.07004),
  optionally conditioned on the corrupted image.
* :class:`NLayerDiscriminator`: LaMa's NLayer discriminator (Suvorov et al. 2022,
  https://arxiv.org/abs/2109.07161), a PatchGAN returning its features.
* :class:`MultiScaleDiscriminator`: pix2pixHD's multi-scale discriminator (Wang et al. 2018,
  https://arxiv.org/abs/1711.11585): NLayer discriminators on the image at full, 1/2, 1/4 ...
  resolution, so a coarse scale judges the layout and the blotches that a 70 px patch cannot see.
* :class:`GlobalLocalDiscriminator`: GLCIC's global and local context discriminators
  (Iizuka et al. 2017, http://iizuka.cs.tsukuba.ac.jp/projects/completion/), the local one on a
  crop centred on the hole.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from inpainting.registry import lookup

__all__ = ["DISCRIMINATORS", "ConvClassifier", "PatchGAN", "NLayerDiscriminator", "MultiScaleDiscriminator",
           "GlobalLocalDiscriminator",
           "create_discriminator", "crop_around_holes"]


# --------------------------------------------------------------------------- helpers
def _conv_block(cin: int, cout: int, *, stride: int, norm: bool, kernel: int = 4) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride=stride, padding=(kernel - 1) // 2 if kernel % 2 else 1,
                                         bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


def _with_condition(image: torch.Tensor, condition: torch.Tensor | None, cond_channels: int) -> torch.Tensor:
    if cond_channels == 0:
        return image
    if condition is None or condition.shape[1] != cond_channels:
        got = None if condition is None else condition.shape[1]
        raise ValueError(f"this discriminator is conditional: pass a condition with {cond_channels} channels, got {got}")
    return torch.cat([image, condition], dim=1)


def crop_around_holes(image: torch.Tensor, mask: torch.Tensor, size: int) -> torch.Tensor:
    """A ``size×size`` crop per image centred on the bounding box of its hole (clamped to the
    image; the image centre when there is no hole), GLCIC's local discriminator input."""
    _, _, h, w = image.shape
    if size > min(h, w):
        raise ValueError(f"local crop {size} px is larger than the image {h}×{w}")
    crops = []
    for img, m in zip(image, mask):
        ys, xs = torch.nonzero(m[0] > 0.5, as_tuple=True)
        if ys.numel():
            cy = int(ys.min() + ys.max()) // 2
            cx = int(xs.min() + xs.max()) // 2
        else:
            cy, cx = h // 2, w // 2
        top = min(max(cy - size // 2, 0), h - size)
        left = min(max(cx - size // 2, 0), w - size)
        crops.append(img[:, top:top + size, left:left + size])
    return torch.stack(crops)


# --------------------------------------------------------------------------- discriminators
class _BlocksThenHead(nn.Module):
    """``blocks`` then a ``head``; returns ``(logits, features of every block)`` (the features feed
    LaMa's feature-matching loss). Subclasses build ``blocks`` and ``head`` and set ``cond_channels``."""

    def forward(self, image, mask, condition=None):
        x = _with_condition(image, condition, self.cond_channels)
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return self.head(x), features


class ConvClassifier(_BlocksThenHead):
    """Strided-convolution real/fake classifier with one logit per image.

    Args:
        image_size (int, default 64): input side, sets the number of stride-2 stages (down to 4 px).
        base_channels (int, default 64): channels of the first stage, doubled per stage up to 8×.
        cond_channels (int, default 0): channels of the condition concatenated to the input.
    """

    def __init__(self, *, image_size: int = 64, base_channels: int = 64, cond_channels: int = 0):
        super().__init__()
        self.cond_channels = cond_channels
        blocks, cin, side, stage = [], 3 + cond_channels, image_size, 0
        while side > 4:
            cout = base_channels * min(2 ** stage, 8)
            blocks.append(_conv_block(cin, cout, stride=2, norm=stage > 0))
            cin, side, stage = cout, side // 2, stage + 1
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1))


class PatchGAN(_BlocksThenHead):
    """pix2pix PatchGAN: ``n_layers`` stride-2 4×4 convolutions, one stride-1, one logit per patch
    (70×70 receptive field with the defaults).

    Args:
        base_channels (int, default 64): channels of the first layer, doubled per layer up to 8×.
        n_layers (int, default 3): stride-2 layers after the first.
        cond_channels (int, default 3): channels of the condition concatenated to the image
            (pix2pix conditions on the generator's input, here the corrupted image); 0 = unconditional.
        image_size (int | None, default None): when given, ``n_layers`` is capped so the patch map
            keeps at least one logit (small images: at most ``log2(image_size / 3)`` layers).
    """

    def __init__(self, *, base_channels: int = 64, n_layers: int = 3, cond_channels: int = 3,
                 image_size: int | None = None):
        super().__init__()
        if image_size is not None:
            n_layers = max(1, min(n_layers, int(math.log2(image_size / 3))))
        self.n_layers = n_layers
        self.cond_channels = cond_channels
        blocks = [_conv_block(3 + cond_channels, base_channels, stride=2, norm=False)]
        cin = base_channels
        for i in range(1, n_layers):
            cout = base_channels * min(2 ** i, 8)
            blocks.append(_conv_block(cin, cout, stride=2, norm=True))
            cin = cout
        cout = base_channels * min(2 ** n_layers, 8)
        blocks.append(_conv_block(cin, cout, stride=1, norm=True))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(cout, 1, 4, stride=1, padding=1)


class NLayerDiscriminator(PatchGAN):
    """LaMa's NLayer discriminator: an unconditional PatchGAN whose intermediate activations feed
    the feature-matching loss.

    Args:
        base_channels (int, default 64), n_layers (int, default 4), image_size (int | None): as
            :class:`PatchGAN`.
    """

    def __init__(self, *, base_channels: int = 64, n_layers: int = 4, image_size: int | None = None):
        super().__init__(base_channels=base_channels, n_layers=n_layers, cond_channels=0, image_size=image_size)


class MultiScaleDiscriminator(nn.Module):
    """pix2pixHD's multi-scale discriminator: one :class:`NLayerDiscriminator` per scale, scale ``k``
    judging the image average-pooled by ``2**k``; returns the list of the scales' logits (every
    adversarial loss sums over a list) and all their features (feature matching averages them).

    With the defaults of the photo texture stages (32 channels, 3 layers) scale 0 sees 70 px
    patches and scale 1 140 px ones, the size of the blotches a PConv fill leaves in a large hole.

    Args:
        scales (int, default 2): number of scales.
        base_channels (int, default 64), n_layers (int, default 3): each scale's NLayer
            discriminator; ``image_size`` caps its depth for its own (pooled) input side.
    """

    def __init__(self, *, scales: int = 2, base_channels: int = 64, n_layers: int = 3, image_size: int | None = None):
        super().__init__()
        if scales < 1:
            raise ValueError(f"scales must be >= 1, got {scales!r}")
        self.scales = nn.ModuleList(
            NLayerDiscriminator(base_channels=base_channels, n_layers=n_layers,
                                image_size=None if image_size is None else max(image_size >> k, 3))
            for k in range(scales))

    def forward(self, image, mask, condition=None):
        logits, features = [], []
        for k, scale in enumerate(self.scales):
            x = image if k == 0 else nn.functional.avg_pool2d(image, 2 ** k, ceil_mode=True)
            out, feats = scale(x, mask)
            logits.append(out)
            features.extend(feats)
        return logits, features

    def adapt_state_dict(self, theirs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A single :class:`NLayerDiscriminator`'s state dict (a model trained against one scale) as
        this one's: it becomes scale 0, the other scales keep their current (fresh) weights. A state
        dict of this class is returned as it is."""
        if any(key.startswith("scales.") for key in theirs):
            return theirs
        ours = self.state_dict()
        adapted = {f"scales.0.{key}": value for key, value in theirs.items()}
        return {**{k: v for k, v in ours.items() if not k.startswith("scales.0.")}, **adapted}


class _ContextBranch(nn.Sequential):
    def __init__(self, image_size: int, base_channels: int, out_features: int):
        layers, cin, side, stage = [], 3, image_size, 0
        while side > 4:
            cout = base_channels * min(2 ** stage, 8)
            layers.append(_conv_block(cin, cout, stride=2, norm=True, kernel=5))
            cin, side, stage = cout, (side + 1) // 2, stage + 1
        layers += [nn.Flatten(), nn.Linear(cin * side * side, out_features)]
        super().__init__(*layers)


class GlobalLocalDiscriminator(nn.Module):
    """GLCIC's context discriminators: a global branch on the whole image and a local branch on a
    crop centred on the hole, each ending in a 1024-d vector, concatenated and mapped to one logit.
    The paper's 256 px images use 5×5 stride-2 convolutions (6 global, 5 local) down to 4×4.

    Args:
        image_size (int, default 128): input side.
        local_size (int | None, default None): local crop side (``image_size // 2`` when None;
            GLCIC: 128 of 256).
        base_channels (int, default 64): first-layer channels, doubled per layer up to 8×.
        features (int, default 1024): output width of each branch.
    """

    def __init__(self, *, image_size: int = 128, local_size: int | None = None, base_channels: int = 64,
                 features: int = 1024):
        super().__init__()
        self.local_size = local_size or image_size // 2
        self.global_branch = _ContextBranch(image_size, base_channels, features)
        self.local_branch = _ContextBranch(self.local_size, base_channels, features)
        self.head = nn.Linear(2 * features, 1)

    def forward(self, image, mask, condition=None):
        g = self.global_branch(image)
        local = self.local_branch(crop_around_holes(image, mask, self.local_size))
        return self.head(torch.cat([g, local], dim=1)), []


DISCRIMINATORS: dict[str, type[nn.Module]] = {
    "conv-classifier": ConvClassifier,
    "patchgan": PatchGAN,
    "nlayer": NLayerDiscriminator,
    "multiscale-nlayer": MultiScaleDiscriminator,
    "glcic": GlobalLocalDiscriminator,
}

def create_discriminator(name: str, *, image_size: int, **options) -> nn.Module:
    """A discriminator from :data:`DISCRIMINATORS` for ``image_size`` inputs (every class takes
    ``image_size``: fully connected heads need it, patch discriminators fit their depth to it)."""
    return lookup(DISCRIMINATORS, name, "discriminator")(**{"image_size": image_size, **options})
