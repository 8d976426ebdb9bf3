"""Image-inpainting metrics on batched tensors: PSNR, SSIM, MSE, L1 over the whole image and the hole.

Convention (as in the PConv paper, Liu et al. 2018, https://arxiv.org/abs/1804.07723, and mmagic's
inpainting evaluations): PSNR and SSIM are computed on the **whole composited image**
(``mask * pred + (1 - mask) * target``, known pixels pasted back), L1 both **inside the hole** and
over the whole image. :func:`evaluate_batch` composites for you; the single metrics compare the
two tensors they are given.

Inputs: ``pred`` and ``target`` float ``B×C×H×W`` in [0, 1] (C = 3 for RGB), ``mask``
``B×1×H×W`` in {0, 1} with 1 = hole. Every metric returns one value per image (shape ``B``) with
``reduction="none"`` (default) or their mean with ``reduction="mean"``.

Edge cases, on purpose: identical images give PSNR = +inf (MSE = 0); an image with an empty hole
gives ``l1_hole`` = nan. ``reduction="mean"`` propagates them (use ``torch.nanmean`` or filter
per image if a batch may contain them).

>>> out = evaluate_batch(pred, target, mask)          # dict of B-shaped tensors
>>> {k: v.mean().item() for k, v in out.items()}
"""
from __future__ import annotations

import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

__all__ = ["REDUCTIONS", "evaluate_batch", "l1_hole", "l1_whole", "mse", "psnr", "ssim", "ssim_unchecked"]

REDUCTIONS = ("none", "mean")
SSIM_KERNEL_SIZE = 11
SSIM_SIGMA = 1.5
_RANGE_TOLERANCE = 1e-5  # float round-off tolerated outside [0, 1]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

def _check_images(pred: torch.Tensor, target: torch.Tensor) -> None:
    for name, tensor in (("pred", pred), ("target", target)):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor B×C×H×W in [0, 1], got {type(tensor).__name__}")
        if tensor.ndim != 4:
            raise ValueError(f"{name} must be B×C×H×W (4-D), got shape {tuple(tensor.shape)}")
        if not tensor.is_floating_point():
            raise TypeError(f"{name} must be a float tensor in [0, 1], got dtype {tensor.dtype}")
        if tensor.numel() == 0:
            raise ValueError(f"{name} is empty, shape {tuple(tensor.shape)}")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        low, high = tensor.min().item(), tensor.max().item()
        if low < -_RANGE_TOLERANCE or high > 1 + _RANGE_TOLERANCE:
            raise ValueError(
                f"{name} must be in [0, 1], got range [{low:.4g}, {high:.4g}]; "
                "convert 0-255 images with x / 255 and clamp model outputs"
            )
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    if pred.device != target.device:
        raise ValueError(f"pred and target are on different devices: {pred.device} vs {target.device}")


def _check_mask(mask: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor B×1×H×W in {{0, 1}}, got {type(mask).__name__}")
    b, _, h, w = image.shape
    if mask.ndim != 4 or tuple(mask.shape) != (b, 1, h, w):
        raise ValueError(f"mask must be B×1×H×W = {(b, 1, h, w)} to match the images, got {tuple(mask.shape)}")
    if mask.device != image.device:
        raise ValueError(f"mask is on {mask.device}, images on {image.device}")
    mask = mask.to(image.dtype)
    if not ((mask == 0) | (mask == 1)).all():
        raise ValueError("mask must contain only 0 (known) and 1 (hole); binarise it first (e.g. mask > 0.5)")
    return mask


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return values
    if reduction == "mean":
        return values.mean()
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


# --------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------

def mse(pred: torch.Tensor, target: torch.Tensor, *, reduction: str = "none") -> torch.Tensor:
    """Mean squared error per image over all pixels and channels."""
    _check_images(pred, target)
    return _reduce((pred - target).pow(2).flatten(1).mean(1), reduction)


def psnr(pred: torch.Tensor, target: torch.Tensor, *, reduction: str = "none") -> torch.Tensor:
    """PSNR in dB per image, ``10 log10(1 / MSE)`` (torchmetrics, data_range 1). Identical -> +inf."""
    _check_images(pred, target)
    values = peak_signal_noise_ratio(pred, target, data_range=1.0, reduction="none", dim=(1, 2, 3))
    return _reduce(values, reduction)


def ssim(pred: torch.Tensor, target: torch.Tensor, *, reduction: str = "none") -> torch.Tensor:
    """SSIM per image: 11×11 Gaussian window, σ = 1.5, data_range 1, channels averaged.

    The SSIM map comes from torchmetrics' ``structural_similarity_index_measure``; it is averaged
    over the pixels whose window lies inside the image (a 5 px border is left out), as in Wang et
    al.'s reference code and ``skimage.metrics.structural_similarity(gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=...)``, which it matches to
    float precision. (torchmetrics' own mean also counts the border windows, which read reflected
    pixels: on a 64 px image that shifts SSIM by up to ~0.02.) Images must be at least 11 px on
    each side.
    """
    _check_images(pred, target)
    return _reduce(ssim_unchecked(pred, target), reduction)


def ssim_unchecked(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """:func:`ssim` per image without the input checks (no device sync): for training losses, whose
    inputs are known to be B×C×H×W tensors in [0, 1]. Differentiable."""
    h, w = pred.shape[-2:]
    if min(h, w) < SSIM_KERNEL_SIZE:
        raise ValueError(f"ssim needs images of at least {SSIM_KERNEL_SIZE}×{SSIM_KERNEL_SIZE} px, got {h}×{w}")
    _, ssim_map = structural_similarity_index_measure(
        pred, target, gaussian_kernel=True, sigma=SSIM_SIGMA, kernel_size=SSIM_KERNEL_SIZE,
        data_range=1.0, reduction="none", return_full_image=True,
    )
    pad = (SSIM_KERNEL_SIZE - 1) // 2
    return ssim_map[..., pad:h - pad, pad:w - pad].flatten(1).mean(1)


def l1_whole(pred: torch.Tensor, target: torch.Tensor, *, reduction: str = "none") -> torch.Tensor:
    """Mean absolute error per image over all pixels and channels."""
    _check_images(pred, target)
    return _reduce((pred - target).abs().flatten(1).mean(1), reduction)


def l1_hole(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *, reduction: str = "none"
) -> torch.Tensor:
    """Mean absolute error per image over hole pixels × channels only (mask == 1).

    An image whose hole is empty has no pixels to average: its value is nan (0 / 0), on purpose,
    so that it cannot pass for a perfect score.
    """
    _check_images(pred, target)
    mask = _check_mask(mask, pred)
    channels = pred.shape[1]
    error = ((pred - target).abs() * mask).flatten(1).sum(1)
    count = mask.flatten(1).sum(1) * channels
    return _reduce(error / count, reduction)


def evaluate_batch(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    *,
    composite: bool = True,
    reduction: str = "none",
) -> dict[str, torch.Tensor]:
    """All metrics at once: ``{"psnr", "ssim", "mse", "l1_whole", "l1_hole"}``, each of shape B.

    Args:
        pred: model output B×C×H×W in [0, 1].
        target: ground truth B×C×H×W in [0, 1].
        mask: B×1×H×W in {0, 1}, 1 = hole.
        composite (bool): paste the known pixels of ``target`` into ``pred`` first
            (``mask * pred + (1 - mask) * target``), the evaluation convention; harmless when
            ``pred`` is already composited. Default True.
        reduction (str): ``"none"`` (per image) or ``"mean"``. Default ``"none"``.
    """
    _check_images(pred, target)
    mask = _check_mask(mask, pred)
    _reduce(pred.new_zeros(1), reduction)  # validate the option before any work
    if composite:
        pred = mask * pred + (1 - mask) * target
    return {
        "psnr": psnr(pred, target, reduction=reduction),
        "ssim": ssim(pred, target, reduction=reduction),
        "mse": mse(pred, target, reduction=reduction),
        "l1_whole": l1_whole(pred, target, reduction=reduction),
        "l1_hole": l1_hole(pred, target, mask, reduction=reduction),
    }
