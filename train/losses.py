"""Training losses: reconstruction terms as plain functions of ``(pred, target, mask)``, the
VGG-16 perceptual and style terms, and the adversarial losses as small strategy objects.

Conventions (STYLE.md): images ``B×3×H×W`` in [0, 1], masks ``B×1×H×W`` in {0, 1}, 1 = hole.

* Reconstruction: :func:`mse`, :func:`masked_mse`, :func:`weighted_mse`, :func:`masked_l1`,
  :func:`l1_valid`, :func:`l1_hole`, :func:`total_variation`, :func:`ssim_loss` (1 - SSIM of the
  composite, the structural term of Zhao et al. 2017's L1 + SSIM mix, https://arxiv.org/abs/1511.08861).
* Perceptual / style (Liu et al. 2018, https://arxiv.org/abs/1804.07723; Gatys et al. 2016):
  :class:`VGG16Features` over torchvision's VGG-16 pool1-pool3, :func:`perceptual_loss`,
  :func:`style_loss`. Weights come from the local torch hub cache or a path; nothing is downloaded.
* Adversarial (after LaMa's ``saicinpainting/training/losses/adversarial.py``):
  :class:`BCEAdversarial`, :class:`NonSaturatingR1`, :class:`HingeAdversarial`, each with
  ``discriminator_loss`` and ``generator_loss`` returning ``(loss, logs)``;
  :func:`feature_matching_loss` over discriminator features.

Every term is registered by name in :data:`LOSSES` / :data:`ADVERSARIAL` so recipes name them as data.
"""
from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from inpainting.metrics import composite

__all__ = [
    "LOSSES",
    "ADVERSARIAL",
    "VGG_WEIGHTS_NAME",
    "MissingWeightsError",
    "VGG16Features",
    "find_vgg16_weights",
    "mse",
    "masked_mse",
    "weighted_mse",
    "masked_l1",
    "l1_valid",
    "l1_hole",
    "band_energy",
    "local_band_energy",
    "patch_swd",
    "total_variation",
    "ssim_loss",
    "perceptual_loss",
    "style_loss",
    "gram_matrix",
    "BCEAdversarial",
    "NonSaturatingR1",
    "HingeAdversarial",
    "feature_matching_loss",
]

VGG_WEIGHTS_NAME = "vgg16-397923af.pth"  # torchvision's ImageNet VGG-16 file name in the hub cache
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class MissingWeightsError(FileNotFoundError):
    """A loss needs pretrained weights (VGG-16) that are not on this machine."""


# --------------------------------------------------------------------------- reconstruction
def mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the whole image (the reports' plain MSE; GLCIC report's "global MSE")."""
    return F.mse_loss(pred, target)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the hole pixels only (GLCIC, Iizuka et al. 2017, eq. 1)."""
    hole = mask.expand_as(pred)
    return ((pred - target) ** 2 * hole).sum() / hole.sum().clamp_min(1.0)


def weighted_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
                 hole_weight: float = 1.0, known_weight: float = 1.0) -> torch.Tensor:
    """Per-pixel squared error weighted ``hole_weight`` in the hole and ``known_weight`` outside,
    averaged over all pixels."""
    weight = mask * hole_weight + (1 - mask) * known_weight
    return ((pred - target) ** 2 * weight).mean()


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
              hole_weight: float = 0.0, known_weight: float = 10.0) -> torch.Tensor:
    """L1 with separate weights for missing and known pixels, averaged over all pixels
    (LaMa's ``masked_l1_loss``; its defaults are ``weight_missing=0``, ``weight_known=10``)."""
    weight = mask * hole_weight + (1 - mask) * known_weight
    return ((pred - target).abs() * weight).mean()


def l1_valid(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Liu et al.'s L_valid: ``mean((1 - M) * |pred - target|)`` over all C×H×W elements."""
    return ((pred - target).abs() * (1 - mask)).mean()


def l1_hole(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Liu et al.'s L_hole: ``mean(M * |pred - target|)`` over all C×H×W elements."""
    return ((pred - target).abs() * mask).mean()


def l1_hole_coarse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
                   factors: tuple[int, ...] = (2, 4)) -> torch.Tensor:
    """L1 of the composite against the target after ``factors``-times average pooling, averaged
    over the levels: the hole's error at 1/2 and 1/4 resolution (known pixels are the target's,
    so only cells that the hole touches count; the mean runs over all elements, as ``l1_hole``).

    Full-resolution L1 weighs a wrong colour blotch the same as wrong fine texture of the same
    magnitude; this term adds weight to the low-pass error alone, the levels at which the
    adversarially trained photo model scores worse than Navier-Stokes
    (docs/measurements/10-realism-by-level.md). A pixel-exact fill scores 0."""
    if not factors:
        raise ValueError("l1_hole_coarse needs at least one pooling factor, e.g. factors=(2, 4)")
    comp = composite(pred, target, mask)
    total = pred.new_zeros(())
    for f in factors:
        if int(f) < 2:
            raise ValueError(f"l1_hole_coarse pooling factors must be integers >= 2, got {f!r}")
        total = total + (F.avg_pool2d(comp, int(f), ceil_mode=True)
                         - F.avg_pool2d(target, int(f), ceil_mode=True)).abs().mean()
    return total / len(factors)


_BINOMIAL5 = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def _blur5(x: torch.Tensor) -> torch.Tensor:
    """Separable 5-tap binomial blur (``cv2.pyrDown``'s filter), edges reflected; any B×C×H×W >= 3×3."""
    c = x.shape[1]
    k = _BINOMIAL5.to(x.device, x.dtype)
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, 5).expand(c, 1, 1, 5), groups=c)
    return F.conv2d(x, k.view(1, 1, 5, 1).expand(c, 1, 5, 1), groups=c)


def laplacian_bands(image: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """The first ``levels`` band-pass levels (finest first) of a Laplacian pyramid of B×C×H×W
    ``image``: blur + 2× subsampling down, bilinear upsampling back (a differentiable stand-in for
    the ``cv2.pyrDown`` / ``cv2.pyrUp`` pyramid of :func:`inpainting.metrics.swd_realism`)."""
    bands = []
    for _ in range(levels):
        low = _blur5(image)[:, :, ::2, ::2]
        bands.append(image - F.interpolate(low, size=image.shape[-2:], mode="bilinear", align_corners=False))
        image = low
    return bands


def band_energy(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
                levels: tuple[int, ...] = (1, 2), floor: float = 1 / 255) -> torch.Tensor:
    """Detail-energy match in the hole: per image, channel and Laplacian ``levels`` (0 = full
    resolution, 1 = 1/2, 2 = 1/4), ``|log(rms_fill + floor) - log(rms_truth + floor)|`` of the band
    over the hole pixels (the mask max-pooled per level, as the realism score does), averaged over
    the images that have a hole, channels and levels.

    An L1/SSIM-trained fill regresses to the mean: at 1/2 and 1/4 resolution the shipped photo model's
    fill carries 61 % and 76 % of the truth's band RMS (docs/measurements/13-band-energy.md), and
    that missing energy, not wrong structure, is its realism deficit against Navier-Stokes. This term
    asks for the right *amount* of detail without asking where it goes (the pixel terms and the critic
    decide that). 0 when the composite's band energy equals the target's; scale-free (a ratio)."""
    def ratio(fill: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        count = hole.flatten(1).sum(1).clamp_min(1)[:, None]  # B×1
        rms = [((b**2 * hole).flatten(2).sum(2) / count + 1e-12).sqrt() for b in (fill, truth)]  # B×C
        return (torch.log(rms[0] + floor) - torch.log(rms[1] + floor)).abs().mean(1)  # B

    return _per_level("band_energy", pred, target, mask, levels, ratio)


def _per_level(name: str, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, levels: tuple[int, ...],
               ratio: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """The frame of the detail-energy terms: check ``levels``, build the Laplacian bands of the composite
    and of the truth in float32 and the hole max-pooled per level, and average ``ratio(fill_band,
    truth_band, hole)`` (one value per image) over the images that have a hole and over ``levels``."""
    if not levels:
        raise ValueError(f"{name} needs at least one pyramid level, e.g. levels=(1, 2)")
    if any(int(k) != k or k < 0 for k in levels):
        raise ValueError(f"{name} levels must be integers >= 0 (0 = full resolution), got {levels!r}")
    with torch.autocast(pred.device.type, enabled=False):
        comp = composite(pred.float(), target.float(), mask.float())
        depth = max(levels) + 1
        hole = mask.float()
        holes = [hole]
        for _ in range(depth - 1):
            hole = F.max_pool2d(hole, 2, ceil_mode=True)
            holes.append(hole)
        fill_bands, truth_bands = laplacian_bands(comp, depth), laplacian_bands(target.float(), depth)
        has_hole = (mask.flatten(1).sum(1) > 0).float()  # B
        if has_hole.sum() == 0:
            return pred.sum() * 0
        total = pred.new_zeros((), dtype=torch.float32)
        for k in levels:
            h = holes[k][:, :, : fill_bands[k].shape[2], : fill_bands[k].shape[3]]
            total = total + (ratio(fill_bands[k], truth_bands[k], h) * has_hole).sum() / has_hole.sum()
        return total / len(levels)


def local_band_energy(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
                      levels: tuple[int, ...] = (1, 2), window: int = 8, floor: float = 1 / 255) -> torch.Tensor:
    """:func:`band_energy` per neighbourhood: the band RMS of the composite and of the truth over each
    ``window``×``window`` neighbourhood of a Laplacian level (stride ``window // 2``, at that level's
    resolution: 16 and 32 px of the photo at 1/2 and 1/4 for the default 8), their
    ``|log(rms_fill + floor) - log(rms_truth + floor)|`` averaged over channels, then over the
    neighbourhoods weighted by their share of hole pixels, per image; averaged over the images that
    have a hole and over ``levels``.

    The global term asks for the truth's *amount* of detail anywhere in the hole, and the fill can pay
    it with texture in the wrong place: a grid over a flat wall or sky, where SSIM counts every bit of
    it (docs/measurements/13-band-energy.md, 15). Matched per neighbourhood, detail is asked for where
    the photo has it (foliage, gravel) and penalised where it has none; SSIM costs little in the first
    place (a textured window's SSIM is low for any fill whose detail is not the truth's) and much in
    the second. 0 when each neighbourhood's band energy equals the truth's; scale-free.

    Measured (stage 15, docs/measurements/18-local-band-energy.md): the hypothesis failed. Trained as
    stage 11 was, with this term in place of :func:`band_energy`, the fill was less realistic and lost
    more SSIM on both protocol sets; the generator added its own grid where detail was asked for."""
    if int(window) != window or window < 2:
        raise ValueError(f"local_band_energy window must be an integer >= 2 pixels, got {window!r}")
    window = int(window)
    pool = lambda x: F.avg_pool2d(x, window, stride=window // 2, padding=window // 2,  # noqa: E731
                                  count_include_pad=False)

    def ratio(fill: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        share = pool(hole)  # B×1×h×w: each neighbourhood's share of hole pixels
        rms = [(pool(b**2) + 1e-12).sqrt() for b in (fill, truth)]  # B×C×h×w
        local = (torch.log(rms[0] + floor) - torch.log(rms[1] + floor)).abs().mean(1, keepdim=True)
        return (local * share).flatten(1).sum(1) / share.flatten(1).sum(1).clamp_min(1e-6)  # B

    return _per_level("local_band_energy", pred, target, mask, levels, ratio)


def _hole_patches(band: torch.Tensor, hole: torch.Tensor, size: int, count: int) -> torch.Tensor:
    """Random ``size``×``size`` patch positions centred on the hole of one image: ``band`` C×h×w,
    ``hole`` h×w (> 0 = hole). Returns the flat indices (P×size²) into ``band`` padded by
    ``size // 2`` with replicated edges (as the realism score pads), P = min(``count``, hole pixels)."""
    h, w = hole.shape
    centres = torch.nonzero(hole.flatten() > 0).squeeze(1)
    if centres.numel() > count:
        centres = centres[torch.randperm(centres.numel(), device=centres.device)[:count]]
    r = size // 2
    ys, xs = centres // w, centres % w
    dy, dx = torch.meshgrid(torch.arange(size, device=band.device), torch.arange(size, device=band.device),
                            indexing="ij")
    return (ys[:, None] + dy.flatten()) * (w + 2 * r) + (xs[:, None] + dx.flatten())


def patch_swd(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
              levels: tuple[int, ...] = (0, 1, 2), patch: int = 7, patches: int = 1024,
              directions: int = 64) -> torch.Tensor:
    """Sliced Wasserstein distance between the hole's Laplacian-band patches in the composite and in the
    truth, per image: the differentiable twin of the realism score :func:`inpainting.metrics.swd_realism`,
    used as a loss (Heitz et al. 2021, "A Sliced Wasserstein Loss for Neural Texture Synthesis",
    https://arxiv.org/abs/2006.07229, on Laplacian bands instead of VGG features).

    Per image and level: the ``patch``×``patch``×C patches centred on (at most ``patches``, drawn at
    random) hole pixels, the band divided per channel by the truth band's standard deviation over the
    whole image (at least 1/255, detached: one normaliser for both, so lost amplitude counts), projected
    on ``directions`` fresh random unit vectors; the projections sorted, and the mean absolute difference
    of the sorted values taken (1-D Wasserstein-1 per direction). Averaged over the images that have a
    hole and over ``levels`` (0 = full resolution, 1 = 1/2, 2 = 1/4).

    Unlike :func:`band_energy`, which asks only for the truth's *amount* of detail, this asks for the
    truth's *kind* of detail (edges, texture statistics), and like it, not where it goes: the patches are
    compared as distributions, so the pixel terms decide the placement. 0 for a pixel-exact fill; a
    blurred fill pays for its missing amplitude, a fill with detail of the wrong kind (a grid, noise) for
    its shape. Because the evaluation's realism score is this quantity (cv2's pyramid, fixed directions),
    a model trained with it must also be judged by eye and by measures it was not trained on."""
    if int(patch) != patch or patch < 1 or patch % 2 == 0:
        raise ValueError(f"patch_swd patch must be an odd number of pixels >= 1, got {patch!r}")
    if patches < 2 or directions < 1:
        raise ValueError(f"patch_swd needs patches >= 2 and directions >= 1, got {patches!r} and {directions!r}")
    patch, r = int(patch), int(patch) // 2

    def distance(fill: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        b, c = fill.shape[:2]
        std = truth.detach().flatten(2).std(2).clamp_min(1 / 255)[:, :, None, None]  # B×C×1×1
        fill, truth = (F.pad(x / std, (r, r, r, r), mode="replicate") for x in (fill, truth))
        dirs = F.normalize(torch.randn(c * patch * patch, directions, device=fill.device), dim=0)
        out = []
        for i in range(b):
            if not (hole[i, 0] > 0).any():
                out.append(fill.new_zeros(()))
                continue
            index = _hole_patches(fill[i], hole[i, 0], patch, patches)  # P×patch²
            # C×P×patch² -> P×(C·patch²), then project and sort along the patches
            f, t = (x[i].flatten(1)[:, index].permute(1, 0, 2).reshape(len(index), -1) for x in (fill, truth))
            out.append(((f @ dirs).sort(0).values - (t @ dirs).sort(0).values).abs().mean())
        return torch.stack(out)

    return _per_level("patch_swd", pred, target, mask, levels, distance)


def total_variation(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Liu et al.'s L_tv: L1 of neighbouring-pixel differences of the composited image, over the
    hole dilated by one pixel (the region P of the paper)."""
    comp = composite(pred, target, mask)
    region = F.max_pool2d(mask, kernel_size=3, stride=1, padding=1)
    # A difference counts when either of its two pixels lies in the dilated hole.
    dh = (comp[:, :, :, 1:] - comp[:, :, :, :-1]).abs() * torch.maximum(region[:, :, :, 1:], region[:, :, :, :-1])
    dv = (comp[:, :, 1:, :] - comp[:, :, :-1, :]).abs() * torch.maximum(region[:, :, 1:, :], region[:, :, :-1, :])
    return dh.mean() + dv.mean()


def ssim_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``1 - SSIM`` of the composited image against the target, with the evaluation's SSIM window
    (11×11 Gaussian, σ = 1.5, data range 1; :func:`inpainting.metrics.ssim`), averaged over the batch.

    PSNR-trained fills tend to carry pixel-level noise that L1/MSE barely penalise but SSIM does;
    this term targets it directly. The composite is clamped to [0, 1] (the range the metric accepts).
    """
    from inpainting.metrics import ssim_unchecked

    # Always float32: under bf16/fp16 autocast the window's E[x²] - E[x]² cancels and SSIM is noise.
    with torch.autocast(pred.device.type, enabled=False):
        comp = composite(pred.float(), target.float(), mask.float()).clamp(0, 1)
        return 1 - ssim_unchecked(comp, target.float()).mean()


# --------------------------------------------------------------------------- VGG-16 features
def find_vgg16_weights(path: str | os.PathLike | None = None) -> Path:
    """The VGG-16 ImageNet weights file: ``path`` when given, else torchvision's file in the torch
    hub cache (``$TORCH_HOME/hub/checkpoints/vgg16-397923af.pth``). Nothing is downloaded.

    Raises:
        MissingWeightsError: with where it looked and how to proceed.
    """
    if path is not None:
        candidate = Path(path).expanduser()
        if not candidate.is_file():
            raise MissingWeightsError(f"VGG-16 weights file {candidate} does not exist")
        return candidate
    cache = Path(torch.hub.get_dir()) / "checkpoints" / VGG_WEIGHTS_NAME
    if cache.is_file():
        return cache
    raise MissingWeightsError(
        f"this recipe uses a VGG-16 perceptual/style loss but no VGG-16 ImageNet weights were found "
        f"(looked for {cache}); put torchvision's {VGG_WEIGHTS_NAME} there, pass --vgg-weights PATH, "
        "or train without these terms with --no-perceptual"
    )


class VGG16Features(nn.Module):
    """Frozen VGG-16 (Simonyan & Zisserman 2015, https://arxiv.org/abs/1409.1556) returning the
    pool1, pool2 and pool3 feature maps, as in Liu et al. 2018's perceptual and style losses.

    Args:
        vgg (torchvision VGG, default None): a ready model (e.g. ``torchvision.models.vgg16()`` for
            tests); when ``None`` the ImageNet weights are read from ``weights_path`` or the cache.
        weights_path (str | None, default None): a ``vgg16-397923af.pth`` state dict.
        layers (tuple[int, ...], default (4, 9, 16)): indices in ``vgg.features`` after which the
            features are taken (the three max-pool layers pool1-pool3).
    """

    def __init__(self, vgg: nn.Module | None = None, *, weights_path: str | os.PathLike | None = None,
                 layers: tuple[int, ...] = (4, 9, 16)):
        super().__init__()
        if vgg is None:
            import torchvision

            vgg = torchvision.models.vgg16(weights=None)
            state = torch.load(find_vgg16_weights(weights_path), map_location="cpu", weights_only=True)
            vgg.load_state_dict(state)
        self.layers = tuple(layers)
        self.features = nn.Sequential(*list(vgg.features.children())[: max(self.layers) + 1]).eval()
        for param in self.features.parameters():
            param.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True):  # always frozen, always eval
        return super().train(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = (image - self.mean) / self.std
        out = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self.layers:
                out.append(x)
        return out

    def triple(self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """Per layer, the features of ``(pred, composite, target)``; the perceptual and the style
        loss of one step share them (a one-entry cache on the very same tensors)."""
        key = (pred, target, mask)
        cached = getattr(self, "_cache", None)
        if cached is not None and all(ref() is t for ref, t in zip(cached[0], key)) and cached[1] == pred._version:
            return cached[2]
        comp = composite(pred, target, mask)
        feats = [tuple(f.chunk(3, dim=0)) for f in self(torch.cat([pred, comp, target], dim=0))]
        self._cache = (tuple(weakref.ref(t) for t in key), pred._version, feats)
        return feats


def perceptual_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
                    vgg: VGG16Features) -> torch.Tensor:
    """Liu et al.'s L_perceptual: L1 between VGG features of the target and of both the raw output
    and the composited image, summed over pool1-pool3 (each term a mean over its elements)."""
    loss = pred.new_zeros(())
    for f_out, f_comp, f_gt in vgg.triple(pred, target, mask):
        f_gt = f_gt.detach()
        loss = loss + F.l1_loss(f_out, f_gt) + F.l1_loss(f_comp, f_gt)
    return loss


def gram_matrix(feat: torch.Tensor) -> torch.Tensor:
    """``B×C×C`` Gram matrix normalised by ``C×H×W`` (Liu et al. eq. 4's ``K_p``)."""
    b, c, h, w = feat.shape
    flat = feat.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def style_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
               vgg: VGG16Features) -> torch.Tensor:
    """Liu et al.'s L_style_out + L_style_comp: L1 between Gram matrices of VGG features."""
    loss = pred.new_zeros(())
    for f_out, f_comp, f_gt in vgg.triple(pred, target, mask):
        f_out, f_comp, f_gt = f_out.float(), f_comp.float(), f_gt.float()
        g_gt = gram_matrix(f_gt).detach()
        loss = loss + F.l1_loss(gram_matrix(f_out), g_gt) + F.l1_loss(gram_matrix(f_comp), g_gt)
    return loss


@dataclass(frozen=True)
class LossInfo:
    """A registered loss term: its function and whether it needs the VGG-16 feature extractor."""

    fn: Callable[..., torch.Tensor]
    needs_vgg: bool = False


LOSSES: dict[str, LossInfo] = {
    "mse": LossInfo(mse),
    "masked_mse": LossInfo(masked_mse),
    "weighted_mse": LossInfo(weighted_mse),
    "masked_l1": LossInfo(masked_l1),
    "l1_valid": LossInfo(l1_valid),
    "l1_hole": LossInfo(l1_hole),
    "l1_hole_coarse": LossInfo(l1_hole_coarse),
    "band_energy": LossInfo(band_energy),
    "local_band_energy": LossInfo(local_band_energy),
    "patch_swd": LossInfo(patch_swd),
    "tv": LossInfo(total_variation),
    "ssim": LossInfo(ssim_loss),
    "perceptual": LossInfo(perceptual_loss, needs_vgg=True),
    "style": LossInfo(style_loss, needs_vgg=True),
}


# --------------------------------------------------------------------------- adversarial
def _resize_mask(mask: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """The hole mask at the resolution of a patch discriminator's logits (area: hole fraction)."""
    if logits.dim() != 4:
        return mask.new_ones(logits.shape)
    return F.adaptive_avg_pool2d(mask, logits.shape[-2:])


def _as_list(logits) -> list[torch.Tensor]:
    return list(logits) if isinstance(logits, (list, tuple)) else [logits]


def hole_ramp_weight(mask: torch.Tensor, ramp: tuple[float, float] | None) -> torch.Tensor | None:
    """Per-sample weights ``clamp((r - low) / (high - low), 0, 1)`` of a B×1×H×W hole mask, ``r``
    each sample's hole ratio (``None`` when ``ramp`` is)."""
    if ramp is None:
        return None
    low, high = ramp
    ratio = mask.float().flatten(1).mean(1)
    return ((ratio - low) / (high - low)).clamp(0, 1)


def _weighted_mean(values: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
    """``values.mean()``, or with ``sample_weight`` (one weight per sample, shape ``B``) the batch
    mean of each sample's mean times its weight: a sample of weight 0 adds nothing, one of weight 1
    counts as without weights."""
    if sample_weight is None:
        return values.mean()
    if sample_weight.shape != values.shape[:1]:
        raise ValueError(f"sample_weight has shape {tuple(sample_weight.shape)}; expected one weight per "
                         f"sample, ({values.shape[0]},)")
    per_sample = values.reshape(values.shape[0], -1).mean(1)
    return (per_sample * sample_weight.to(per_sample.dtype)).mean()


class BCEAdversarial:
    """The original GAN loss with logits (Goodfellow et al. 2014; pix2pix's ``GANLoss('vanilla')``):
    D minimises ``BCE(D(real), 1) + BCE(D(fake), 0)``, G minimises ``BCE(D(fake), 1)``.

    Strategies take the discriminator's logits (a tensor, or a list of tensors for multi-output
    discriminators) and the hole mask, and return ``(loss, logs)``.
    """

    needs_real_grad = False

    def discriminator_loss(self, real_logits, fake_logits, *, real: torch.Tensor | None = None,
                           mask: torch.Tensor | None = None):
        real_loss = sum(F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) for r in _as_list(real_logits))
        fake_loss = sum(F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)) for f in _as_list(fake_logits))
        loss = real_loss + fake_loss
        return loss, {"d_real": real_loss.detach(), "d_fake": fake_loss.detach()}

    def generator_loss(self, fake_logits, *, mask: torch.Tensor | None = None,
                       sample_weight: torch.Tensor | None = None):
        """``sample_weight`` (shape ``B``, optional) scales each sample's term."""
        loss = sum(_weighted_mean(F.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction="none"),
                                  sample_weight) for f in _as_list(fake_logits))
        return loss, {"g_adv": loss.detach()}


class NonSaturatingR1:
    """Non-saturating GAN loss with an R1 gradient penalty on real images (Mescheder et al. 2018,
    https://arxiv.org/abs/1801.04406), as LaMa's ``NonSaturatingWithR1``.

    Args:
        r1_weight (float, default 0.001): weight of ``‖∇_x D(x_real)‖²`` (LaMa: 0.001).
        mask_as_fake_target (bool, default True): for patch discriminators, only the patches
            that cover the hole count as fake (known regions of a prediction are not penalised).
    """

    needs_real_grad = True

    def __init__(self, *, r1_weight: float = 0.001, mask_as_fake_target: bool = True):
        self.r1_weight = float(r1_weight)
        self.mask_as_fake_target = bool(mask_as_fake_target)

    def discriminator_loss(self, real_logits, fake_logits, *, real: torch.Tensor | None = None,
                           mask: torch.Tensor | None = None):
        real_list, fake_list = _as_list(real_logits), _as_list(fake_logits)
        real_loss = sum(F.softplus(-r).mean() for r in real_list)
        fake_terms = []
        for f in fake_list:
            term = F.softplus(f)
            if self.mask_as_fake_target and mask is not None and f.dim() == 4:
                weight = _resize_mask(mask, f)
                term = (term * weight).sum() / weight.sum().clamp_min(1e-6)
            fake_terms.append(term.mean())
        fake_loss = sum(fake_terms)
        penalty = real_loss.new_zeros(())
        if self.r1_weight > 0 and real is not None and real.requires_grad:
            (grad,) = torch.autograd.grad(sum(r.sum() for r in real_list), real, create_graph=True)
            penalty = grad.pow(2).reshape(grad.shape[0], -1).sum(1).mean()
        loss = real_loss + fake_loss + self.r1_weight * penalty
        return loss, {"d_real": real_loss.detach(), "d_fake": fake_loss.detach(),
                      "d_r1": penalty.detach()}

    def generator_loss(self, fake_logits, *, mask: torch.Tensor | None = None,
                       sample_weight: torch.Tensor | None = None):
        """``sample_weight`` (shape ``B``, optional) scales each sample's term."""
        loss = sum(_weighted_mean(F.softplus(-f), sample_weight) for f in _as_list(fake_logits))
        return loss, {"g_adv": loss.detach()}


class HingeAdversarial:
    """Hinge GAN loss (Lim & Ye 2017, https://arxiv.org/abs/1705.02894; SN-PatchGAN, DeepFill v2):
    D minimises ``relu(1 - D(real)) + relu(1 + D(fake))``, G minimises ``-D(fake)``."""

    needs_real_grad = False

    def discriminator_loss(self, real_logits, fake_logits, *, real: torch.Tensor | None = None,
                           mask: torch.Tensor | None = None):
        real_loss = sum(F.relu(1 - r).mean() for r in _as_list(real_logits))
        fake_loss = sum(F.relu(1 + f).mean() for f in _as_list(fake_logits))
        loss = real_loss + fake_loss
        return loss, {"d_real": real_loss.detach(), "d_fake": fake_loss.detach()}

    def generator_loss(self, fake_logits, *, mask: torch.Tensor | None = None,
                       sample_weight: torch.Tensor | None = None):
        """``sample_weight`` (shape ``B``, optional) scales each sample's term."""
        loss = sum(_weighted_mean(-f, sample_weight) for f in _as_list(fake_logits))
        return loss, {"g_adv": loss.detach()}


ADVERSARIAL: dict[str, type] = {
    "bce": BCEAdversarial,
    "non-saturating": NonSaturatingR1,
    "hinge": HingeAdversarial,
}


def feature_matching_loss(fake_features: list[torch.Tensor], real_features: list[torch.Tensor], *,
                          sample_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Discriminator feature matching (Wang et al. 2018, pix2pixHD; LaMa's weight 100): mean over
    layers of the MSE between the discriminator's features of the prediction and of the target
    (``sample_weight``, shape ``B``, optional: scales each sample's term)."""
    if not fake_features:
        raise ValueError("feature matching needs a discriminator that returns intermediate features")
    losses = [_weighted_mean((f - r.detach()).pow(2), sample_weight) for f, r in zip(fake_features, real_features)]
    return torch.stack(losses).mean()
