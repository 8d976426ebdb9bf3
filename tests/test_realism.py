"""Realism score (inpainting.metrics.swd_realism): zero at the truth, and blur loses to texture."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from skimage import data

from inpainting.masks import free_form_strokes, mask_ratio
from inpainting.metrics import psnr, swd_realism

SIZE = (96, 128)  # H, W: non-square on purpose
PHOTOS = ("astronaut", "chelsea", "coffee")


def _photo(name: str) -> np.ndarray:
    """A scikit-image photo as uint8 H×W×3 at SIZE."""
    return cv2.resize(getattr(data, name)(), SIZE[::-1], interpolation=cv2.INTER_AREA)


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255


def _box_mask() -> torch.Tensor:
    mask = torch.zeros(1, 1, *SIZE)
    mask[..., 24:72, 32:96] = 1  # 25 % of the image
    return mask


def _stroke_mask() -> torch.Tensor:
    mask = free_form_strokes(np.random.default_rng(0), SIZE)  # 28 % hole, touches the border
    assert 0.2 <= mask_ratio(mask) <= 0.4
    return torch.from_numpy(mask)[None, None].float()


MASKS = {"box": _box_mask, "strokes": _stroke_mask}


def _fills(image: np.ndarray, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Candidate fills for the hole of ``mask`` in ``image``: the truth, texture with the wrong
    content, Gaussian blurs of the truth, and the mean colour of the known pixels."""
    known = mask[0, 0].numpy() == 0
    return {
        "truth": _tensor(image),
        "shifted": _tensor(np.roll(image, (5, 7), axis=(0, 1))),  # texture kept, content misplaced
        "elsewhere": _tensor(np.roll(image, 40, axis=1)),  # another patch of the same photo
        "blur1": _tensor(cv2.GaussianBlur(image, (0, 0), 1)),
        "blur2": _tensor(cv2.GaussianBlur(image, (0, 0), 2)),
        "blur3": _tensor(cv2.GaussianBlur(image, (0, 0), 3)),
        "blur6": _tensor(cv2.GaussianBlur(image, (0, 0), 6)),
        "flat": _tensor(image[known].mean(axis=0) * np.ones((*SIZE, 1))).clamp(0, 1),
    }


def _scores(photo: str, mask_name: str) -> dict[str, float]:
    image, mask = _photo(photo), MASKS[mask_name]()
    target = _tensor(image)
    return {name: swd_realism(fill, target, mask).item() for name, fill in _fills(image, mask).items()}


# ------------------------------------------------------------------------------------------ identity

def test_identical_images_score_zero_per_image():
    target = torch.cat([_tensor(_photo(name)) for name in PHOTOS])
    mask = torch.cat([_box_mask(), _stroke_mask(), _box_mask()])
    assert swd_realism(target, target, mask).tolist() == [0.0, 0.0, 0.0]


def test_only_the_hole_counts():
    image, mask = _photo("chelsea"), _box_mask()
    target, pred = _tensor(image), _fills(image, mask)["blur2"]
    noise = torch.rand(pred.shape, generator=torch.Generator().manual_seed(0))
    noisy_outside = torch.where(mask.bool(), pred, noise)
    assert swd_realism(noisy_outside, target, mask).item() == swd_realism(pred, target, mask).item()


# ------------------------------------------------------------------------------------------ blur

@pytest.mark.parametrize("mask_name", sorted(MASKS))
@pytest.mark.parametrize("photo", PHOTOS)
def test_blur_loses_to_plausible_texture(photo, mask_name):
    s = _scores(photo, mask_name)
    assert s["truth"] == 0
    assert 0 < s["shifted"] < s["blur2"] < s["blur3"], s
    assert 0 < s["elsewhere"] < s["blur3"], s  # other content: it may beat a light blur, not σ = 3
    # A flat fill has no texture either: it loses to both textures and to a light blur (it may
    # tie a heavy one: the score compares detail, and both have almost none).
    assert s["flat"] > max(s["blur1"], s["shifted"], s["elsewhere"]), s


def test_psnr_prefers_the_blur_that_swd_rejects():
    """The premise: PSNR ranks the blurred fill above the shifted texture, SWD the other way."""
    image, mask = _photo("coffee"), _box_mask()
    target, fills = _tensor(image), _fills(image, mask)
    blurred, shifted = (mask * fills[k] + (1 - mask) * target for k in ("blur2", "shifted"))
    assert psnr(blurred, target).item() > psnr(shifted, target).item() + 5
    assert swd_realism(blurred, target, mask).item() > 2 * swd_realism(shifted, target, mask).item()


@pytest.mark.parametrize("photo", PHOTOS)
def test_stronger_blur_scores_worse(photo):
    s = _scores(photo, "strokes")
    assert 0 < s["blur1"] < s["blur3"] < s["blur6"], s


# ------------------------------------------------------------------------------------------ determinism

def test_deterministic_and_batch_independent():
    target = torch.cat([_tensor(_photo(name)) for name in PHOTOS])
    mask = torch.cat([_box_mask(), _stroke_mask(), _stroke_mask()])
    pred = torch.cat([_tensor(cv2.GaussianBlur(_photo(name), (0, 0), 2)) for name in PHOTOS])
    batched = swd_realism(pred, target, mask)
    assert torch.equal(batched, swd_realism(pred, target, mask))
    alone = torch.cat([swd_realism(pred[i:i + 1], target[i:i + 1], mask[i:i + 1]) for i in range(3)])
    assert torch.equal(batched, alone)
    assert swd_realism(pred, target, mask, reduction="mean").item() == pytest.approx(batched.mean().item())
    assert not torch.equal(batched, swd_realism(pred, target, mask, seed=1))  # the seed is used


# ------------------------------------------------------------------------------------------ edge cases

@pytest.mark.parametrize("size", [(96, 128), (128, 72), (5, 3), (1, 1)])
def test_any_size_with_the_hole_on_the_border(size):
    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, *size, generator=g)
    pred = torch.rand(2, 3, *size, generator=g)
    mask = torch.zeros(2, 1, *size)
    mask[0, :, : max(1, size[0] // 3)] = 1  # a band along the top edge
    mask[1, :, -1, -1] = 1  # the bottom-right corner pixel only
    values = swd_realism(pred, target, mask)
    assert values.shape == (2,) and torch.isfinite(values).all() and (values > 0).all()
    assert (swd_realism(target, target, mask) == 0).all()


def test_empty_hole_gives_nan():
    target = torch.cat([_tensor(_photo("chelsea"))] * 2)
    mask = torch.cat([torch.zeros(1, 1, *SIZE), _box_mask()])
    values = swd_realism(target.flip(-1), target, mask)
    assert math.isnan(values[0].item()) and values[1].item() > 0
    assert math.isnan(swd_realism(target.flip(-1), target, mask, reduction="mean").item())


def test_output_follows_input_dtype():
    target = _tensor(_photo("coffee")).double()
    values = swd_realism(target.flip(-1), target, _box_mask().double())
    assert values.dtype == torch.float64 and values.item() > 0


@pytest.mark.parametrize(
    "change",
    [
        lambda p, t, m: (p[0], t, m),  # 3-D pred
        lambda p, t, m: (p, t[..., :-1], m),  # shapes differ
        lambda p, t, m: (p * 2, t, m),  # out of [0, 1]
        lambda p, t, m: (p, t, m[..., :-1]),  # mask shape
        lambda p, t, m: (p, t, m.repeat(1, 3, 1, 1)),  # 3-channel mask
        lambda p, t, m: (p, t, m * 0.5),  # mask not in {0, 1}
    ],
)
def test_bad_inputs_raise(change):
    target = _tensor(_photo("chelsea"))
    with pytest.raises(ValueError):
        swd_realism(*change(target.flip(-1), target, _box_mask()))


@pytest.mark.parametrize("option", [{"reduction": "sum"}, {"levels": 0}, {"max_patches": 0}, {"directions": 0}])
def test_bad_options_raise(option):
    target = _tensor(_photo("chelsea"))
    with pytest.raises(ValueError):
        swd_realism(target.flip(-1), target, _box_mask(), **option)
