"""Region Normalization (Yu et al., "Region Normalization for Image Inpainting", AAAI 2020,
https://arxiv.org/abs/1911.10375; reference code https://github.com/geekyutao/RN).

Instance-norm style statistics computed separately over each region of each feature map:
for sample ``n``, channel ``c`` and region ``k`` (hole or known),
``x̂ = (x - μ_{n,c,k}) / sqrt(σ²_{n,c,k} + eps)``.

* :class:`RegionNormB` (RN-B, "basic"): the regions come from the hole mask (1 = hole); each
  region has its own learnable affine pair. Used in the encoder, where the mask is known.
* :class:`RegionNormL` (RN-L, "learnable"): the regions come from a spatial-attention map computed
  from the features themselves, thresholded, and the affine transform is pixel-wise (``γ``, ``β``
  maps from convolutions of that attention map). Used in the decoder.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["region_normalize", "RegionNormB", "RegionNormL"]


def region_normalize(x: torch.Tensor, regions: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Normalise ``x`` (``B×C×H×W``) separately inside ``regions`` (``B×1×H×W``, 1 = inside) and outside.

    Mean and (biased) variance are per sample and channel, computed over each region's pixels only;
    an empty region contributes nothing.
    """
    out = torch.zeros_like(x)
    for region in (regions, 1.0 - regions):
        count = region.sum(dim=(2, 3), keepdim=True).clamp(min=1.0)
        mean = (x * region).sum(dim=(2, 3), keepdim=True) / count
        var = (((x - mean) * region) ** 2).sum(dim=(2, 3), keepdim=True) / count
        out = out + region * (x - mean) * torch.rsqrt(var + eps)
    return out


class RegionNormB(nn.Module):
    """RN-B: region normalization over hole and known regions, each with its own affine pair.

    Args:
        num_features (int): channels ``C``.
        eps (float, default 1e-5): added to the variance.

    ``forward(x, mask)`` with ``mask`` ``B×1×H×W``, 1 = hole, at the feature resolution.
    """

    def __init__(self, num_features: int, *, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight_hole = nn.Parameter(torch.ones(num_features))
        self.bias_hole = nn.Parameter(torch.zeros(num_features))
        self.weight_known = nn.Parameter(torch.ones(num_features))
        self.bias_known = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.detach().to(x.dtype)
        x = region_normalize(x, mask, self.eps)
        hole = x * self.weight_hole.view(1, -1, 1, 1) + self.bias_hole.view(1, -1, 1, 1)
        known = x * self.weight_known.view(1, -1, 1, 1) + self.bias_known.view(1, -1, 1, 1)
        return mask * hole + (1.0 - mask) * known


class RegionNormL(nn.Module):
    """RN-L: region normalization with regions and a pixel-wise affine map learnt from the features.

    A spatial attention map ``A = sigmoid(conv([mean_c(x), max_c(x)]))`` is thresholded into two
    regions for the statistics; ``γ = conv_γ(A)`` and ``β = conv_β(A)`` give the pixel-wise affine
    ``x̂ · (1 + γ) + β``.

    Args:
        num_features (int): channels ``C`` (kept for a uniform norm-layer signature).
        kernel_size (int, default 7): kernel of the three attention convolutions.
        threshold (float, default 0.8): attention value at and above which a pixel is in the first region.
        eps (float, default 1e-5): added to the variance.
    """

    def __init__(self, num_features: int, *, kernel_size: int = 7, threshold: float = 0.8, eps: float = 1e-5):
        super().__init__()
        self.threshold, self.eps = threshold, eps
        pad = kernel_size // 2
        self.attention = nn.Conv2d(2, 1, kernel_size, padding=pad, bias=False)
        self.gamma = nn.Conv2d(1, 1, kernel_size, padding=pad)
        self.beta = nn.Conv2d(1, 1, kernel_size, padding=pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], dim=1)
        attention = torch.sigmoid(self.attention(pooled))
        regions = (attention.detach() >= self.threshold).to(x.dtype)
        x = region_normalize(x, regions, self.eps)
        return x * (1.0 + self.gamma(attention)) + self.beta(attention)
