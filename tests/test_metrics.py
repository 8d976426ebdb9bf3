"""Metrics (inpainting.metrics) against independent formulas and scikit-image."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage import data, filters
from skimage.metrics import structural_similarity

from inpainting.metrics import evaluate_batch, l1_hole, l1_whole, mse, psnr, ssim

METRIC_NAMES = {"psnr", "ssim", "mse", "l1_whole", "l1_hole"}


def _images(batch=3, size=32, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, size, size, generator=g, dtype=dtype)


def _square_mask(batch=3, size=32, top=8, side=12, dtype=torch.float64):
    mask = torch.zeros(batch, 1, size, size, dtype=dtype)
    mask[..., top:top + side, top:top + side] = 1
    return mask


def test_identical_images():
    x = _images()
    assert torch.isinf(psnr(x, x)).all() and (psnr(x, x) > 0).all()
    torch.testing.assert_close(ssim(x, x), torch.ones(3, dtype=x.dtype))
    assert (mse(x, x) == 0).all() and (l1_whole(x, x) == 0).all()
    assert (l1_hole(x, x, _square_mask()) == 0).all()


def test_constant_offset_per_image():
    target = _images() * 0.7
    c = torch.tensor([0.05, 0.1, 0.2], dtype=target.dtype)
    pred = target + c.view(3, 1, 1, 1)
    mask = _square_mask()
    torch.testing.assert_close(mse(pred, target), c**2)
    torch.testing.assert_close(psnr(pred, target), 10 * torch.log10(1 / c**2))
    torch.testing.assert_close(psnr(pred, target)[1], torch.tensor(20.0, dtype=c.dtype))
    torch.testing.assert_close(l1_whole(pred, target), c)
    torch.testing.assert_close(l1_hole(pred, target, mask), c)
    assert mse(pred, target).shape == (3,)
    torch.testing.assert_close(mse(pred, target, reduction="mean"), (c**2).mean())


def test_psnr_matches_formula_on_random_pairs():
    target, pred = _images(seed=1), _images(seed=2)
    expected = [10 * math.log10(1 / np.mean((p.numpy() - t.numpy()) ** 2)) for p, t in zip(pred, target)]
    torch.testing.assert_close(psnr(pred, target), torch.tensor(expected, dtype=pred.dtype))


def test_l1_hole_counts_only_hole_pixels():
    target = _images() * 0.5
    mask = _square_mask()
    pred = target + 0.1 * mask + 0.4 * (1 - mask)  # 0.1 off inside the hole, 0.4 outside
    torch.testing.assert_close(l1_hole(pred, target, mask), torch.full((3,), 0.1, dtype=pred.dtype))
    hole = 12 * 12 / 32**2
    torch.testing.assert_close(l1_whole(pred, target), torch.full((3,), 0.1 * hole + 0.4 * (1 - hole), dtype=pred.dtype))


def test_l1_hole_is_nan_for_an_empty_hole():
    target = _images()
    pred = (target + 0.1).clamp(0, 1)
    mask = _square_mask()
    mask[1] = 0
    values = l1_hole(pred, target, mask)
    assert torch.isnan(values[1]) and torch.isfinite(values[[0, 2]]).all()
    assert torch.isnan(l1_hole(pred, target, mask, reduction="mean"))


def _astronaut_pairs(size):
    """Natural-image crops and degraded versions: noise, blur, another crop, a shifted crop."""
    image = data.astronaut().astype(np.float64) / 255
    rng = np.random.default_rng(0)
    spots = [(0, 0), (100, 200), (300, 50), (200, 300)]
    crops = [image[y:y + size, x:x + size] for y, x in spots]
    preds = [
        np.clip(crops[0] + rng.normal(0, 0.05, crops[0].shape), 0, 1),
        filters.gaussian(crops[1], sigma=1.5, channel_axis=2),
        crops[3],
        image[spots[3][0] + 2:spots[3][0] + 2 + size, spots[3][1] + 3:spots[3][1] + 3 + size],
    ]
    return preds, crops


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("size", [16, 64])
def test_ssim_agrees_with_skimage(size, dtype):
    preds, targets = _astronaut_pairs(size)
    expected = [
        structural_similarity(p, t, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                              data_range=1, channel_axis=2)
        for p, t in zip(preds, targets)
    ]
    to_tensor = lambda arrays: torch.tensor(np.stack(arrays)).permute(0, 3, 1, 2).to(dtype)  # noqa: E731
    ours = ssim(to_tensor(preds), to_tensor(targets))
    assert ours.shape == (4,)
    np.testing.assert_allclose(ours.double().numpy(), expected, atol=1e-3)
    assert len({round(v, 2) for v in expected}) > 2  # the pairs really differ


def test_evaluate_batch_composites_and_returns_all_metrics():
    target = _images()
    mask = _square_mask()
    pred = (target + 0.1 * mask).clamp(0, 1)
    garbage_outside = pred * mask + torch.rand_like(pred) * (1 - mask)
    out = evaluate_batch(garbage_outside, target, mask)
    assert set(out) == METRIC_NAMES and all(v.shape == (3,) for v in out.values())
    torch.testing.assert_close(out["psnr"], psnr(pred, target))
    torch.testing.assert_close(out["ssim"], ssim(pred, target))
    torch.testing.assert_close(out["l1_hole"], l1_hole(pred, target, mask))
    raw = evaluate_batch(garbage_outside, target, mask, composite=False)
    assert (raw["l1_whole"] > out["l1_whole"]).all()
    means = evaluate_batch(garbage_outside, target, mask, reduction="mean")
    assert all(v.ndim == 0 for v in means.values())
    torch.testing.assert_close(means["mse"], out["mse"].mean())


def test_bad_inputs_give_clear_errors():
    x = _images(size=16)
    mask = _square_mask(size=16, top=2, side=4)
    with pytest.raises(ValueError, match="shapes differ"):
        mse(x, x[:, :, :8])
    with pytest.raises(ValueError, match=r"B×C×H×W \(4-D\)"):
        psnr(x[0], x[0])
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        l1_whole(x * 255, x)
    with pytest.raises(TypeError, match="float tensor"):
        mse((x * 255).to(torch.uint8), x)
    with pytest.raises(ValueError, match="NaN"):
        mse(x.clone().fill_(float("nan")), x)
    with pytest.raises(ValueError, match=r"B×1×H×W"):
        l1_hole(x, x, mask[:, :, :8])
    with pytest.raises(ValueError, match="only 0 .* and 1"):
        l1_hole(x, x, mask * 0.5)
    with pytest.raises(ValueError, match="at least 11×11"):
        ssim(x[..., :10, :10], x[..., :10, :10])
    with pytest.raises(ValueError, match="reduction must be one of"):
        mse(x, x, reduction="sum")
    with pytest.raises(ValueError, match="reduction must be one of"):
        evaluate_batch(x, x, mask, reduction="sum")
