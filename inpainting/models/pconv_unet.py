"""Partial-convolution U-Net (Liu et al., "Image Inpainting for Irregular Holes Using Partial
Convolutions", ECCV 2018, https://arxiv.org/abs/1804.07723; code https://github.com/NVIDIA/partialconv).

Every convolution is a :class:`~inpainting.layers.partial_conv.PartialConv2d`, so the network only
ever sees known pixels and the hole shrinks layer by layer. Encoder: partial convolutions with ReLU;
decoder: nearest upsampling, concatenation of the skip's features *and* masks, partial convolution,
LeakyReLU(0.2). Normalisation is batch norm (as the paper), none, or Region Normalization
(Yu et al., AAAI 2020, https://arxiv.org/abs/1911.10375): RN-B in the encoder (hole and known regions
normalised separately, two affine sets), RN-L in the decoder (learnt regions, pixel-wise affine).

One class covers the reports' four networks (see the presets):

* ``liu2018``: Liu et al.'s 7-level network for 256×256 (kernels 7,5,5,3,3,3,3; 64…512 channels),
  the last decoder layer taking the input image and mask;
* ``cifar10``: the CIFAR-10 report's 5 + 5 layers, down to 1×1 at 32×32;
* ``celeba``: the CelebA report's 4-level U-Net with two (partial) 3×3 convolutions per level;
* ``places-rn``: the Places report's PConv generator with Region Normalization.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from inpainting.hub import InpaintingModel
from inpainting.layers.ffc import FourierContext
from inpainting.layers.init import init_weights
from inpainting.layers.inputs import check_inputs, known_only
from inpainting.layers.partial_conv import PartialConv2d
from inpainting.layers.region_norm import RegionNormB, RegionNormL
from inpainting.models.classical import edge_blend
from inpainting.registry import register_model

__all__ = ["PConvUNet", "PConvBlock", "FullResolutionRefiner"]

# norm option -> (encoder norm, decoder norm); RN-B needs the mask, RN-L finds its own regions.
_NORMS = {
    "batch": (nn.BatchNorm2d, nn.BatchNorm2d),
    "none": (None, None),
    "region": (RegionNormB, RegionNormL),
}
# upsample option -> F.interpolate arguments for the decoder's features (the masks always go nearest:
# a partial convolution's mask is binary).
_UPSAMPLE = {"nearest": {"mode": "nearest"}, "bilinear": {"mode": "bilinear", "align_corners": False}}
_ACTIVATIONS = {"relu": lambda: nn.ReLU(inplace=True), "leaky": lambda: nn.LeakyReLU(0.2, inplace=True), None: nn.Identity}


class PConvBlock(nn.Module):
    """Partial convolution → optional norm → activation; ``forward(x, mask, hole) -> (x, mask)``.

    ``mask`` is the partial convolution's running mask, ``hole`` the input hole mask (both 1 = hole).
    RN-B normalises the regions of ``hole``, brought to the feature resolution by max-pooling (a
    feature pixel whose footprint touches the hole is in the hole region; Yu et al. resize with
    nearest neighbour, which drops thin strokes at low resolution). The running mask would not do:
    where it is 1 the features are ignored by the next partial convolution anyway.
    """

    def __init__(self, cin: int, cout: int, kernel_size: int, *, stride: int = 1, norm: type | None = None,
                 activation: str | None = "relu"):
        super().__init__()
        self.conv = PartialConv2d(cin, cout, kernel_size, stride=stride, padding=kernel_size // 2, bias=norm is None)
        self.norm = norm(cout) if norm is not None else None
        self.act = _ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor, mask: torch.Tensor, hole: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = self.conv(x, mask)
        if isinstance(self.norm, RegionNormB):
            x = self.norm(x, F.adaptive_max_pool2d(hole, x.shape[-2:]))
        elif self.norm is not None:
            x = self.norm(x)
        return self.act(x), mask


class FullResolutionRefiner(nn.Module):
    """A residual on the network's output logits computed at full resolution: three 3×3 convolutions
    (the middle one dilated by 2, so 11×11 pixels in reach) on the composite of the coarse fill and the
    known pixels plus the hole mask, ``forward(coarse_logits, known, hole) -> logits``.

    Not Liu et al.'s: a small U-Net whose first level downsamples has no full-resolution features,
    only its linear output layer over 2×2-repeated half-resolution ones, so its fill lacks the finest
    detail and shows their grid. The last convolution starts at zero, so the refiner starts as the
    identity and can be grown onto a trained network (:meth:`PConvUNet.adapt_state_dict`).
    """

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(4, channels, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(channels, channels, 3, padding=2, dilation=2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(channels, 3, 3, padding=1))
        self.reset_output()

    def reset_output(self) -> None:
        """Zero the last convolution: the refiner becomes the identity."""
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, logits: torch.Tensor, known: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        composite = known + torch.sigmoid(logits) * hole
        return logits + self.body(torch.cat([composite, hole], dim=1))


def _run(blocks: nn.ModuleList, x: torch.Tensor, mask: torch.Tensor, hole: torch.Tensor):
    for block in blocks:
        x, mask = block(x, mask, hole)
    return x, mask


def _concat(a: torch.Tensor, mask_a: torch.Tensor, b: torch.Tensor, mask_b: torch.Tensor):
    """Concatenate two feature maps and their (one-channel) masks, the masks one channel per feature."""
    masks = torch.cat([mask_a.expand(-1, a.shape[1], -1, -1), mask_b.expand(-1, b.shape[1], -1, -1)], dim=1)
    return torch.cat([a, b], dim=1), masks


@register_model(
    "pconv-unet",
    description="Partial-convolution U-Net (Liu et al. 2018), optional Region Normalization (Yu et al. 2020)",
    pad_multiple=128,
    presets={
        "liu2018": {"channels": [64, 128, 256, 512, 512, 512, 512], "kernel_sizes": [7, 5, 5, 3, 3, 3, 3],
                    "norm": "batch"},
        "cifar10": {"channels": [32, 64, 128, 256, 512], "kernel_sizes": [3, 3, 3, 3, 3], "norm": "batch"},
        "celeba": {"channels": [64, 128, 256, 512], "kernel_sizes": [3, 3, 3, 3], "convs_per_level": 2,
                   "first_level_downsamples": False, "norm": "batch"},
        "places-rn": {"channels": [64, 128, 256, 512, 512, 512, 512], "kernel_sizes": [7, 5, 5, 3, 3, 3, 3],
                      "norm": "region"},
        "small": {"channels": [32, 64, 128, 128, 128], "kernel_sizes": [5, 3, 3, 3, 3], "norm": "batch"},
        "tiny": {"channels": [4, 8], "kernel_sizes": [3, 3], "norm": "batch"},
    },
    default_preset="liu2018",
)
class PConvUNet(
    InpaintingModel,
    paper_url="https://arxiv.org/abs/1804.07723",
    repo_url="https://github.com/NVIDIA/partialconv",
    tags=["partial-convolution", "u-net"],
):
    """U-Net of partial convolutions (Liu et al. 2018), optionally with Region Normalization.

    Encoder level ``i`` has ``convs_per_level`` partial convolutions of kernel ``kernel_sizes[i]`` and
    ``channels[i]`` outputs, the first strided by 2 (except on level 0 when
    ``first_level_downsamples`` is false), with ReLU; the first convolution of the network has no
    norm. Decoder level ``i`` (from the bottom): nearest ×2 upsampling, concatenation with the
    encoder output of the same resolution (features and masks), ``convs_per_level`` 3×3 partial
    convolutions, norm, LeakyReLU(0.2). When level 0 downsamples (Liu et al.) the last decoder
    layer takes the input image and mask and outputs the 3 channels; otherwise a 1×1 partial
    convolution does. Sigmoid output.

    Args:
        channels (list[int], default Liu et al.'s [64, 128, 256, 512, 512, 512, 512]): encoder
            channels per level.
        kernel_sizes (list[int], default [7, 5, 5, 3, 3, 3, 3]): encoder kernel per level (odd).
        convs_per_level (int, default 1): partial convolutions per level (2: a double-conv U-Net).
        first_level_downsamples (bool, default True): level 0 is strided (Liu et al.) or works at
            full resolution (classic U-Net).
        norm (str, default "batch"): "batch", "none" or "region" (RN-B encoder, RN-L decoder).
        native_size (int, default 256): working size: the side the model is trained at
            (the trainer sets the recipe's size).
        context_levels (list[int], default none): decoder levels (0 = the first, at twice the
            bottleneck's resolution) whose output goes through a :class:`~inpainting.layers.ffc.FourierContext`
            block, an image-wide residual (not Liu et al.'s; LaMa's spectral transform). Its output
            starts at zero, so such blocks can be added to a trained network without changing it:
            :meth:`adapt_state_dict` takes a checkpoint without them.
        upsample (str, default "nearest"): how the decoder doubles its features, "nearest" (Liu et
            al.) or "bilinear". Nearest upsampling repeats each feature pixel 2×2 at every level,
            which a small network's fill shows as an axis-aligned grid; the weights are the same
            either way, so a trained network can continue with the other mode.
        refine_channels (int, default 0): width of a :class:`FullResolutionRefiner` after the
            output layer (0: none; not Liu et al.'s). It starts as the identity, so it can be grown
            onto a trained network like the context blocks (:meth:`adapt_state_dict`).
        edge_blend (float, default 0): width in pixels of a band along the hole's edge where the
            fill is blended toward OpenCV Navier-Stokes (:func:`~inpainting.models.classical.edge_blend`;
            0: none; not Liu et al.'s). It has no weights, so any checkpoint can take it.
        core_depth (float, default 0): hole pixels farther than this many pixels (at the working size)
            from the nearest known pixel are filled, like the pixels the network does not reach at all
            (:meth:`unreached`), from a second, smaller run of the network upscaled
            (:func:`inpainting.inference.predict`); 0: only the unreached ones. Deep in a large hole the
            network's fill comes from its coarsest levels alone, nearest-upsampled: tiles of its deepest
            stride with colours the photo does not have. No weights, so any checkpoint can take it.
        flip_average (bool, default False): in eval mode, the fill is the mean of the network's fill of
            the photo and the mirrored fill of its mirror image (horizontal flip; both in one batch of
            twice the size, so about twice the forward time). Test-time averaging, not Liu et al.'s: the
            two views' errors differ, so their mean is a better estimate of the truth (higher PSNR and
            SSIM) and is smoother (less detail); ``docs/measurements/26-flip-averaging.md`` measures both.
            Training mode ignores it (the trainer flips its photos anyway). No weights, so any
            checkpoint can take it.

    ``pad_multiple`` is ``2 ** (number of downsamplings)``.
    """

    def __init__(
        self,
        channels: list[int] = (64, 128, 256, 512, 512, 512, 512),
        kernel_sizes: list[int] = (7, 5, 5, 3, 3, 3, 3),
        convs_per_level: int = 1,
        first_level_downsamples: bool = True,
        norm: str = "batch",
        native_size: int = 256,
        context_levels: list[int] = (),
        upsample: str = "nearest",
        refine_channels: int = 0,
        edge_blend: float = 0.0,
        core_depth: float = 0.0,
        flip_average: bool = False,
    ):
        super().__init__()
        channels, kernel_sizes = [int(c) for c in channels], [int(k) for k in kernel_sizes]
        if not channels or len(channels) != len(kernel_sizes):
            raise ValueError(f"channels and kernel_sizes must be non-empty and of equal length, got {channels} and {kernel_sizes}")
        if any(k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"kernel_sizes must be odd, got {kernel_sizes}")
        if convs_per_level < 1:
            raise ValueError(f"convs_per_level must be >= 1, got {convs_per_level}")
        if upsample not in _UPSAMPLE:
            raise ValueError(f"upsample must be one of {sorted(_UPSAMPLE)}, got {upsample!r}")
        if int(refine_channels) < 0:
            raise ValueError(f"refine_channels must be >= 0 (0: no refiner), got {refine_channels}")
        if not float(edge_blend) >= 0:
            raise ValueError(f"edge_blend must be >= 0 pixels (0: none), got {edge_blend}")
        if not float(core_depth) >= 0:
            raise ValueError(f"core_depth must be >= 0 pixels (0: only unreached pixels), got {core_depth}")
        if norm not in _NORMS:
            raise ValueError(f"norm must be one of {sorted(_NORMS)}, got {norm!r}")
        if not first_level_downsamples and len(channels) < 2:
            raise ValueError("a U-Net with a full-resolution first level needs at least 2 levels")
        enc_norm, dec_norm = _NORMS[norm]
        self.first_level_downsamples = bool(first_level_downsamples)
        self.upsample = upsample
        self.refine_channels = int(refine_channels)
        self.edge_blend = float(edge_blend)
        self.core_depth = float(core_depth)
        if not isinstance(flip_average, bool):
            raise ValueError(f"flip_average must be true or false, got {flip_average!r}")
        self.flip_average = flip_average
        self.native_size = int(native_size)
        self.pad_multiple = 2 ** (len(channels) - (0 if first_level_downsamples else 1))

        self.encoder = nn.ModuleList()
        cin = 3
        for i, (cout, k) in enumerate(zip(channels, kernel_sizes)):
            level = nn.ModuleList()
            for j in range(convs_per_level):
                stride = 2 if j == 0 and (i > 0 or first_level_downsamples) else 1
                first = i == 0 and j == 0
                level.append(PConvBlock(cin, cout, k, stride=stride, norm=None if first else enc_norm, activation="relu"))
                cin = cout
            self.encoder.append(level)

        # Decoder level i joins the encoder output of level i (or the input image for i = -1).
        self.decoder = nn.ModuleList()
        skips = ([3] if first_level_downsamples else []) + channels[:-1]
        cin = channels[-1]
        for idx in reversed(range(len(skips))):
            skip = skips[idx]
            is_output = first_level_downsamples and idx == 0
            cout = 3 if is_output else skip
            level = nn.ModuleList()
            for j in range(1 if is_output else convs_per_level):
                level.append(PConvBlock(cin + skip if j == 0 else cout, cout, 3, norm=None if is_output else dec_norm,
                                        activation=None if is_output else "leaky"))
            cin = cout
            self.decoder.append(level)
        self.head = None if first_level_downsamples else PartialConv2d(channels[0], 3, 1, bias=True)
        outputs = [level[-1].conv.out_channels for level in self.decoder]
        self.context_levels = sorted({int(i) for i in context_levels})
        usable = list(range(len(outputs) - (1 if first_level_downsamples else 0)))
        wrong = [i for i in self.context_levels if i not in usable]
        if wrong:
            raise ValueError(f"context_levels must be decoder levels {usable} (0 = the first after the bottleneck; "
                             f"the output layer cannot take one), got {list(context_levels)}")
        self.context = nn.ModuleDict({str(i): FourierContext(outputs[i]) for i in self.context_levels})
        self.refine = FullResolutionRefiner(self.refine_channels) if self.refine_channels else None
        init_weights(self)
        for block in [*self.context.values(), *([self.refine] if self.refine is not None else [])]:
            block.reset_output()  # init_weights drew it: back to the identity

    def adapt_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A state dict of this network from one of the same network without (some of) its context
        blocks or its refiner: the missing ``context.*`` / ``refine.*`` tensors are this model's own
        (identity blocks), so the adapted network computes what the checkpoint's did. Anything else
        missing stays missing (a strict load then says what does not fit)."""
        own = self.state_dict()
        grown = ("context.", "refine.")
        return {**{k: v for k, v in own.items() if k.startswith(grown) and k not in state}, **state}

    @torch.no_grad()
    def widened(self, channels: list[int], *, seed: int = 0) -> "PConvUNet":
        """This network with more channels per level, computing (nearly) what it computes: Net2Net's
        function-preserving widening (Chen et al., "Net2Net: Accelerating Learning via Knowledge
        Transfer", ICLR 2016, https://arxiv.org/abs/1511.05641), to continue training a larger
        generator from a trained one instead of from scratch.

        Each level's new channels are copies of old ones (the first ``old`` channels themselves, the
        others drawn uniformly, seeded): every layer's output weights, bias and batch-norm statistics
        are copied along, and the next layer's input weights are divided by how many copies their
        channel has, so each layer's output is unchanged. Partial convolutions rescale by the share of
        known inputs in their window, which copies leave alone when the feature maps concatenated into
        one layer (a decoder level's upsampled input and its skip) are widened by the same factor:
        then the widened network gives the same output (up to float rounding). Where they are not (a
        level kept at its width beside a widened one, such as the first level, whose decoder layer is
        joined with the 3-channel photo), the rescaling differs only where the two parts' holes differ,
        along the hole's edge, and training takes up the difference.

        Args:
            channels (list[int]): the new encoder channels per level, each at least the current one.
            seed (int, default 0): seed of the copied channels' draw.

        Returns a new :class:`PConvUNet` in this network's mode (train / eval), the config the same but
        ``channels``. Batch norm and no norm are supported; Region Normalization, context blocks and the
        refiner are not (a clear error).
        """
        config = self.config
        old = [int(c) for c in config["channels"]]
        new = [int(c) for c in channels]
        if len(new) != len(old) or any(n < o for n, o in zip(new, old)):
            raise ValueError(f"widened channels must have {len(old)} levels, each at least the current width "
                             f"{old}, got {list(channels)}")
        if config.get("norm", "batch") == "region" or self.context_levels or self.refine is not None:
            raise ValueError("widening supports batch norm or no norm without context blocks or a refiner; "
                             f"this network has norm={config.get('norm')!r}, context_levels={self.context_levels}, "
                             f"refine_channels={self.refine_channels}")
        wide = type(self)(**{**config, "channels": new}).to(device=self.device).train(self.training)
        rng = torch.Generator().manual_seed(int(seed))

        def grow(n_old: int, n_new: int) -> torch.Tensor:  # new channel -> old channel it copies
            return torch.cat([torch.arange(n_old), torch.randint(n_old, (n_new - n_old,), generator=rng)])

        def copy_block(src: PConvBlock, dst: PConvBlock, in_map: torch.Tensor, out_map: torch.Tensor) -> None:
            counts = torch.bincount(in_map, minlength=src.conv.in_channels).to(src.conv.weight)
            weight = src.conv.weight[:, in_map] / counts[in_map].view(1, -1, 1, 1)
            dst.conv.weight.copy_(weight[out_map])
            if src.conv.bias is not None:
                dst.conv.bias.copy_(src.conv.bias[out_map])
            if src.norm is not None:
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(dst.norm, name).copy_(getattr(src.norm, name)[out_map])
                dst.norm.num_batches_tracked.copy_(src.norm.num_batches_tracked)

        image = torch.arange(3)
        level_maps, current = [], image
        for i, (src_level, dst_level) in enumerate(zip(self.encoder, wide.encoder)):
            out_map = grow(old[i], new[i])
            for src, dst in zip(src_level, dst_level):
                copy_block(src, dst, current, out_map)
                current = out_map
            level_maps.append(out_map)
        skips = ([(image, 3)] if self.first_level_downsamples else []) + list(zip(level_maps[:-1], old[:-1]))
        width = old[-1]  # of the upsampled input
        for src_level, dst_level in zip(self.decoder, wide.decoder):
            # a decoder level outputs its skip's channels (the output level: the photo's 3), so its
            # output copies the skip's channels
            skip_map, skip_width = skips.pop()
            joined = torch.cat([current, skip_map + width])  # the upsampled input, then the skip
            for j, (src, dst) in enumerate(zip(src_level, dst_level)):
                copy_block(src, dst, joined if j == 0 else skip_map, skip_map)
            current, width = skip_map, skip_width
        if self.head is not None:
            counts = torch.bincount(current, minlength=self.head.in_channels).to(self.head.weight)
            wide.head.weight.copy_(self.head.weight[:, current] / counts[current].view(1, -1, 1, 1))
            wide.head.bias.copy_(self.head.bias)
        return wide

    @torch.no_grad()
    def unreached(self, mask: torch.Tensor) -> torch.Tensor:
        """Where the network's running mask is still a hole at its output (B×1×H×W, 1 = unreached)
        for the hole ``mask`` (B×1×H×W, 1 = hole, sides a multiple of ``pad_multiple``): the mask
        path of :meth:`forward` alone. There the last partial convolution sees no known input, so
        the output is sigmoid(0), flat grey (before the refiner, context blocks and edge blend)."""
        def step(conv: PartialConv2d, hole: torch.Tensor) -> torch.Tensor:
            count = F.conv2d(1.0 - hole, conv.ones_kernel.float(), stride=conv.stride, padding=conv.padding,
                             dilation=conv.dilation)
            return (count <= 0.5).float()

        hole = mask.float()
        skips = [hole] if self.first_level_downsamples else []
        for level in self.encoder:
            for block in level:
                hole = step(block.conv, hole)
            skips.append(hole)
        skips.pop()
        for level in self.decoder:
            # a concatenated pixel is known when either input is (PartialConv2d counts over channels)
            hole = torch.minimum(F.interpolate(hole, scale_factor=2.0, mode="nearest"), skips.pop())
            for block in level:
                hole = step(block.conv, hole)
        if self.head is not None:
            hole = step(self.head, hole)
        return hole

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_inputs(image, mask, self.pad_multiple)
        if self.flip_average and not self.training:
            batch = image.shape[0]
            both = self._fill(torch.cat([image, image.flip(-1)]), torch.cat([mask, mask.flip(-1)]))
            return (both[:batch] + both[batch:].flip(-1)) / 2
        return self._fill(image, mask)

    def _fill(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hole = mask = mask.to(image.dtype)
        x = known = known_only(image, mask)
        skips = [(x, mask)] if self.first_level_downsamples else []
        for level in self.encoder:
            x, mask = _run(level, x, mask, hole)
            skips.append((x, mask))
        skips.pop()  # the bottom level is not a skip
        for index, level in enumerate(self.decoder):
            skip, skip_mask = skips.pop()
            x = F.interpolate(x, scale_factor=2.0, **_UPSAMPLE[self.upsample])
            mask = F.interpolate(mask, scale_factor=2.0, mode="nearest")
            x, mask = _run(level, *_concat(x, mask, skip, skip_mask), hole)
            if str(index) in self.context:
                x = self.context[str(index)](x)
        if self.head is not None:
            x, _ = self.head(x, mask)
        if self.refine is not None:
            x = self.refine(x, known, hole)
        x = torch.sigmoid(x)
        if self.edge_blend:
            x = edge_blend(x, known, hole, self.edge_blend)
        return x
