"""Image-inpainting metrics on batched tensors: PSNR, SSIM, MSE, L1 over the whole image and the hole,
and a realism score (:func:`swd_realism`) that a blurred fill cannot win.

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

import cv2
import numpy as np
import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

__all__ = [
    "REDUCTIONS", "composite", "evaluate_batch", "l1_hole", "l1_whole", "mse", "psnr", "ssim", "ssim_unchecked", "swd_realism",
]

REDUCTIONS = ("none", "mean")
SSIM_KERNEL_SIZE = 11
SSIM_SIGMA = 1.5
_RANGE_TOLERANCE = 1e-5  # float round-off tolerated outside [0, 1]
SWD_PATCH_SIZE = 7  # Karras et al. 2018 compare 7×7 neighbourhoods
SWD_SCALE = 1e3  # reported ×10³, as Karras et al. do
_SWD_STD_FLOOR = 1 / 255  # a level's normaliser never drops below one grey level


def composite(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``mask * pred + (1 - mask) * target``: the prediction in the hole, the known pixels of
    ``target`` elsewhere (mask 1 = hole). What inference returns and every score and loss judges."""
    return mask * pred + (1 - mask) * target


_composite = composite  # for functions whose ``composite`` argument hides the name


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
        pred = _composite(pred, target, mask)
    return {
        "psnr": psnr(pred, target, reduction=reduction),
        "ssim": ssim(pred, target, reduction=reduction),
        "mse": mse(pred, target, reduction=reduction),
        "l1_whole": l1_whole(pred, target, reduction=reduction),
        "l1_hole": l1_hole(pred, target, mask, reduction=reduction),
    }


# --------------------------------------------------------------------------------------------
# realism: sliced Wasserstein distance between Laplacian-pyramid patches of the hole
# --------------------------------------------------------------------------------------------

def _laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """H×W×C float32 -> ``levels - 1`` band-pass levels (finest first), then the low-pass residual
    (``cv2.pyrDown`` / ``cv2.pyrUp``: 5-tap binomial filter, 2× steps, edges reflected)."""
    pyramid = []
    for _ in range(levels - 1):
        low = cv2.pyrDown(image).reshape((image.shape[0] + 1) // 2, (image.shape[1] + 1) // 2, -1)
        up = cv2.pyrUp(low, dstsize=(image.shape[1], image.shape[0])).reshape(image.shape)
        pyramid.append(image - up)
        image = low
    pyramid.append(image)
    return pyramid


def _max_pool2(hole: np.ndarray) -> np.ndarray:
    """h×w bool -> ceil(h/2)×ceil(w/2): a pixel is hole if any of the 2×2 it covers is (pyrDown's grid)."""
    h, w = hole.shape
    hole = np.pad(hole, ((0, h % 2), (0, w % 2)))
    return hole.reshape(hole.shape[0] // 2, 2, hole.shape[1] // 2, 2).any(axis=(1, 3))


def _patch_index(hole: np.ndarray, max_patches: int, rng: np.random.Generator) -> np.ndarray:
    """Flat indices (P×49) into an h×w image of the 7×7 patches centred on the hole pixels of
    ``hole`` (h×w bool), edges replicated; at most ``max_patches`` centres, drawn without
    replacement by ``rng``."""
    h, w = hole.shape
    centres = np.flatnonzero(hole)
    if centres.size > max_patches:
        centres = rng.choice(centres, size=max_patches, replace=False)
    offsets = np.arange(SWD_PATCH_SIZE) - SWD_PATCH_SIZE // 2
    rows = np.clip(centres[:, None] // w + offsets, 0, h - 1)  # P×7
    cols = np.clip(centres[:, None] % w + offsets, 0, w - 1)
    return (rows[:, :, None] * w + cols[:, None, :]).reshape(centres.size, -1)


def _sliced_wasserstein(a: np.ndarray, b: np.ndarray, directions: np.ndarray) -> float:
    """Mean over ``directions`` (D×K columns) of the 1-D Wasserstein-1 distance between the
    projections of the equal-sized point sets ``a`` and ``b`` (P×D): mean |sorted - sorted|."""
    # torch's matmul, not NumPy's: torch.set_num_threads then governs every step (OpenBLAS's own
    # threads ran ~10× slower on a busy 2-core machine)
    dirs = torch.from_numpy(directions)
    sa, sb = (np.sort((torch.from_numpy(x) @ dirs).T.contiguous().numpy(), axis=-1) for x in (a, b))  # K×P each
    return float(np.abs(sa - sb).mean(dtype=np.float64))


def _swd_one(fill: np.ndarray, truth: np.ndarray, hole: np.ndarray, *, levels: int, max_patches: int,
             directions: np.ndarray, seed: int) -> float:
    """:func:`swd_realism` of one image: ``fill`` and ``truth`` H×W×C float32, ``hole`` H×W bool,
    ``directions`` (49·C)×K unit columns."""
    if not hole.any():
        return float("nan")
    channels = fill.shape[-1]
    total = 0.0
    # levels + 1 pyramid levels; the low-pass residual (the last) is left out: it measures how
    # right the colours and layout are (PSNR's and L1's job), not whether the fill looks real.
    for level, (fill_level, truth_level) in enumerate(
        zip(_laplacian_pyramid(fill, levels + 1)[:-1], _laplacian_pyramid(truth, levels + 1)[:-1])
    ):
        if level > 0:
            hole = _max_pool2(hole)
        fill_level, truth_level = fill_level.reshape(-1, channels), truth_level.reshape(-1, channels)
        # per-channel std of the target's level as E[x²] - E[x]², summed by einsum (~8× np.std's speed)
        n = len(truth_level)
        mean = np.einsum("ij->j", truth_level) / n
        std = np.sqrt(np.maximum(np.einsum("ij,ij->j", truth_level, truth_level) / n - mean * mean, 0))
        # dividing the patches by std = projecting them on directions scaled by 1 / std
        scaled = directions * np.tile(1 / np.maximum(std, _SWD_STD_FLOOR), SWD_PATCH_SIZE**2)[:, None]
        index = _patch_index(hole, max_patches, np.random.default_rng((seed, level)))  # P×49
        fill_patches, truth_patches = (
            np.take(x, index, axis=0).reshape(len(index), -1) for x in (fill_level, truth_level)  # P×(49·C)
        )
        total += _sliced_wasserstein(fill_patches, truth_patches, scaled.astype(np.float32))
    return total / levels * SWD_SCALE


def swd_realism(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    *,
    reduction: str = "none",
    levels: int = 3,
    max_patches: int = 2048,
    directions: int = 128,
    seed: int = 0,
) -> torch.Tensor:
    """Realism of the fill per image: sliced Wasserstein distance (SWD) between the Laplacian-pyramid
    patches of the hole in the composite and in the target. **Lower = more realistic**; identical
    images give 0. Unlike PSNR/SSIM, a blurred fill loses to a sharp, plausible texture.

    Adapted per image from the SWD that Karras et al. use to judge GAN samples ("Progressive
    Growing of GANs", ICLR 2018, Sec. 5 and Appendix D, https://arxiv.org/abs/1710.10196):

    1. Composite ``x = mask * pred + (1 - mask) * target`` (known pixels pasted back) and build the
       Laplacian pyramids of ``x`` and ``target`` (``cv2.pyrDown`` / ``cv2.pyrUp``): ``levels``
       band-pass (detail) levels, at full, 1/2, 1/4 ... resolution. The low-pass residual is left
       out, unlike Karras et al.: per image and at the same positions, it measures whether the
       fill has the right colours and layout (which PSNR, SSIM and L1 already measure), and there
       a smooth diffusion fill wins over copied texture. Measured on 40 photos/val images with
       object-sized holes (per level, PatchMatch minus Navier-Stokes, ×10³): −173, −60, +51 on
       the three band-pass levels, +316 on the residual.
    2. The hole at each level is the mask max-pooled 2×2 per level (a level pixel is hole if any
       full-resolution hole pixel falls in it). Each level is divided, per channel, by the standard
       deviation of the *target's* level over the whole image (at least 1/255): one normaliser for
       both images, so the levels weigh alike and a fill's lost amplitude still counts. (Karras
       et al. normalise each set by its own statistics, which would forgive blur.)
    3. At each level, the 7×7×C patches centred on hole pixels, taken at the same positions in
       both images; at most ``max_patches`` positions, drawn without replacement (seeded).
    4. SWD per level: project both patch sets on ``directions`` random unit vectors (seeded, the
       same at every level), sort each projection, and take the mean **absolute** difference of
       the sorted projections (1-D Wasserstein-1, averaged over directions), as Karras et al.
    5. Score = unweighted mean over the band-pass levels, × 10³ (as Karras et al. report it).

    Sharing positions is fine: SWD compares the sorted projections (the distributions), not pairs.
    Deterministic (fixed seeds), and per image: an image scores the same alone or in a batch. Any
    H×W, non-square included. An image whose hole is empty gives nan (as :func:`l1_hole`). Not
    differentiable: computed on the CPU with OpenCV and NumPy (~30 ms for 512×512 with a 20 % hole
    on one core); returned on the input's device and dtype.

    Args:
        pred: model output B×C×H×W in [0, 1].
        target: ground truth B×C×H×W in [0, 1].
        mask: B×1×H×W in {0, 1}, 1 = hole.
        reduction (str): ``"none"`` (per image, shape B) or ``"mean"``. Default ``"none"``.
        levels (int): band-pass pyramid levels compared (the low-pass residual is not). Default 3.
        max_patches (int): most patch positions per level and image. Default 2048.
        directions (int): random projection directions. Default 128.
        seed (int): seed of the patch sampling and of the directions. Default 0.
    """
    _check_images(pred, target)
    mask = _check_mask(mask, pred)
    _reduce(pred.new_zeros(1), reduction)  # validate the option before any work
    for name, value in (("levels", levels), ("max_patches", max_patches), ("directions", directions)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    filled = composite(pred, target, mask)
    to_numpy = lambda x: x.detach().permute(0, 2, 3, 1).to("cpu", torch.float32).numpy()  # noqa: E731
    dirs = np.random.default_rng(seed).standard_normal((SWD_PATCH_SIZE**2 * pred.shape[1], directions))
    dirs = (dirs / np.linalg.norm(dirs, axis=0, keepdims=True)).astype(np.float32)
    scores = [
        _swd_one(fill, truth, hole, levels=levels, max_patches=max_patches, directions=dirs, seed=seed)
        for fill, truth, hole in zip(to_numpy(filled), to_numpy(target), to_numpy(mask)[..., 0] > 0.5)
    ]
    return _reduce(torch.tensor(scores, dtype=pred.dtype, device=pred.device), reduction)
