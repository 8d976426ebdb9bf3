"""Fast Fourier Convolution (Chi, Jiang and Mu, "Fast Fourier Convolution", NeurIPS 2020), as used by
LaMa (Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier Convolutions", WACV 2022,
https://arxiv.org/abs/2109.07161; reference code https://github.com/advimman/lama).

A feature map is split channel-wise into a *local* part (ordinary convolutions) and a *global* part
(a spectral transform: a 1×1 convolution in the Fourier domain, whose receptive field is the whole
image). Four paths mix them: local→local, local→global, global→local (convolutions) and
global→global (:class:`SpectralTransform`). Tensors travel between FFC layers as
``(x_local, x_global)`` tuples; a part with no channels is ``None``.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["FourierUnit", "SpectralTransform", "FFC", "FFCBlock", "FFCResnetBlock", "FourierContext", "split_channels"]

FFCTensors = tuple[torch.Tensor | None, torch.Tensor | None]


def split_channels(channels: int, ratio_global: float) -> tuple[int, int]:
    """``(local, global)`` channel counts for ``channels`` with a ``ratio_global`` share global."""
    if not 0.0 <= ratio_global <= 1.0:
        raise ValueError(f"the global channel ratio must be in [0, 1], got {ratio_global}")
    n_global = int(channels * ratio_global)
    return channels - n_global, n_global


class FourierUnit(nn.Module):
    """Real FFT over (H, W) → 1×1 conv + BN + ReLU on the stacked real/imaginary parts → inverse FFT."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(2 * in_channels, 2 * out_channels, kernel_size=1, bias=False)
        self.norm = nn.BatchNorm2d(2 * out_channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        # cuFFT/pocketfft need float32 (no bf16/fp16 for arbitrary sizes): transform in float32.
        spectrum = torch.fft.rfftn(x.float(), dim=(-2, -1), norm="ortho")  # B×C×H×(W/2+1), complex
        spectrum = torch.cat([spectrum.real, spectrum.imag], dim=1)
        spectrum = self.act(self.norm(self.conv(spectrum.to(x.dtype))))
        real, imag = spectrum.float().chunk(2, dim=1)
        out = torch.fft.irfftn(torch.complex(real, imag), s=(h, w), dim=(-2, -1), norm="ortho")
        return out.to(x.dtype)


class SpectralTransform(nn.Module):
    """Global→global path: (avg-pool if strided) → 1×1 conv to half the channels → Fourier unit
    (plus residual) → 1×1 conv to the output channels."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"SpectralTransform stride must be 1 or 2, got {stride}")
        hidden = max(1, out_channels // 2)
        self.downsample = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        self.reduce = nn.Sequential(nn.Conv2d(in_channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                                    nn.ReLU(inplace=True))
        self.fourier = FourierUnit(hidden, hidden)
        self.expand = nn.Conv2d(hidden, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(self.downsample(x))
        return self.expand(x + self.fourier(x))


class FFC(nn.Module):
    """One Fast Fourier Convolution: ``(x_l, x_g) -> (l2l(x_l) + g2l(x_g), l2g(x_l) + g2g(x_g))``.

    Args:
        in_channels, out_channels (int): total channels (local + global).
        kernel_size, stride, padding, dilation: of the three spatial convolutions.
        ratio_gin, ratio_gout (float): global share of the input and output channels.
        padding_mode (str, default "reflect"): of the spatial convolutions (LaMa uses reflect).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, ratio_gin: float, ratio_gout: float,
                 stride: int = 1, padding: int = 0, dilation: int = 1, padding_mode: str = "reflect"):
        super().__init__()
        in_l, in_g = split_channels(in_channels, ratio_gin)
        out_l, out_g = split_channels(out_channels, ratio_gout)
        self.out_channels = (out_l, out_g)

        def conv(cin: int, cout: int) -> nn.Module | None:
            if cin == 0 or cout == 0:
                return None
            return nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=False,
                             padding_mode=padding_mode)

        self.l2l, self.l2g, self.g2l = conv(in_l, out_l), conv(in_l, out_g), conv(in_g, out_l)
        self.g2g = SpectralTransform(in_g, out_g, stride=stride) if in_g and out_g else None

    def forward(self, x: FFCTensors) -> FFCTensors:
        x_l, x_g = x
        out_l = out_g = None
        for path, src, is_local in ((self.l2l, x_l, True), (self.g2l, x_g, True), (self.l2g, x_l, False),
                                    (self.g2g, x_g, False)):
            if path is None or src is None:
                continue
            y = path(src)
            if is_local:
                out_l = y if out_l is None else out_l + y
            else:
                out_g = y if out_g is None else out_g + y
        return out_l, out_g


class FFCBlock(nn.Module):
    """FFC → BatchNorm → activation, separately on the local and global parts (LaMa's ``FFC_BN_ACT``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, ratio_gin: float, ratio_gout: float,
                 stride: int = 1, padding: int = 0, dilation: int = 1, padding_mode: str = "reflect",
                 activation: bool = True):
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, ratio_gin=ratio_gin, ratio_gout=ratio_gout,
                       stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode)
        out_l, out_g = self.ffc.out_channels

        def post(channels: int) -> nn.Module | None:
            if channels == 0:
                return None
            return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True) if activation else nn.Identity())

        self.post_l, self.post_g = post(out_l), post(out_g)

    def forward(self, x: FFCTensors) -> FFCTensors:
        x_l, x_g = self.ffc(x)
        return (self.post_l(x_l) if x_l is not None else None, self.post_g(x_g) if x_g is not None else None)


class FFCResnetBlock(nn.Module):
    """Two 3×3 :class:`FFCBlock` s with a residual connection on both parts (LaMa's ``FFCResnetBlock``)."""

    def __init__(self, channels: int, *, ratio_global: float = 0.75, dilation: int = 1):
        super().__init__()
        kw = dict(ratio_gin=ratio_global, ratio_gout=ratio_global, padding=dilation, dilation=dilation)
        self.conv1 = FFCBlock(channels, channels, 3, **kw)
        self.conv2 = FFCBlock(channels, channels, 3, **kw)

    def forward(self, x: FFCTensors) -> FFCTensors:
        y_l, y_g = self.conv2(self.conv1(x))
        x_l, x_g = x
        return (x_l + y_l if x_l is not None else None, x_g + y_g if x_g is not None else None)


class FourierContext(nn.Module):
    """``x + SpectralTransform(x)``: an image-wide residual for a convolutional network's feature map.

    Every output pixel sees every input pixel through the Fourier unit, so a block in a U-Net's
    decoder gives a fill the layout of the whole image, which stacked 3×3 convolutions only reach
    after many levels (LaMa's argument for FFC, Suvorov et al. 2022, Sec. 3.1). The output 1×1
    convolution starts at zero (:meth:`reset_output`): a block added to a trained network leaves its
    function unchanged until training moves it (as zero-initialised residual branches, Goyal et al.
    2017).
    """

    def __init__(self, channels: int):
        super().__init__()
        if channels < 2:
            raise ValueError(f"FourierContext needs at least 2 channels, got {channels}")
        self.transform = SpectralTransform(channels, channels)
        self.reset_output()

    def reset_output(self) -> None:
        """Zero the output convolution: the block becomes the identity."""
        nn.init.zeros_(self.transform.expand.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.transform(x)
