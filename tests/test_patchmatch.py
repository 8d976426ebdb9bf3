"""PatchMatch (issue 11, item 1): listed everywhere, seeded, never fails where NS works, keeps
texture where NS smears (measured by the realism score), and bounded in size by the inference path."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from skimage import data as skdata

import inpainting
from inpainting import metrics
from inpainting.inference import choose_strategy, work_limit


@pytest.fixture(scope="module")
def patchmatch():
    return inpainting.load_model("patchmatch", device="cpu")


def _blob(height: int, width: int, ratio: float, seed: int = 0) -> np.ndarray:
    """A seeded irregular hole covering about ``ratio`` of the image."""
    rng = np.random.default_rng(seed)
    hole = np.zeros((height, width), np.uint8)
    while hole.mean() < ratio:
        cy, cx = rng.integers(0, height), rng.integers(0, width)
        r = max(1, int(rng.integers(1, max(2, min(height, width) // 4))))
        cv2.circle(hole, (int(cx), int(cy)), r, 1, -1)
    return hole.astype(bool)


def test_listed_as_a_classical_method_beside_opencv():
    entries = {e.name: e for e in inpainting.available_models()}
    assert entries["patchmatch"].kind == "classical"
    assert {"opencv-telea", "opencv-ns", "patchmatch"} <= set(entries)
    info = inpainting.get_architecture("patchmatch")
    assert info.kind == "classical" and info.native_size is None


def test_same_input_same_output_and_known_pixels_unchanged(patchmatch):
    photo = cv2.resize(skdata.chelsea(), (240, 160), interpolation=cv2.INTER_AREA)
    hole = _blob(160, 240, 0.2)
    a = np.asarray(inpainting.inpaint(patchmatch, photo, hole))
    b = np.asarray(inpainting.inpaint(inpainting.load_model("patchmatch"), photo, hole))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[~hole], photo[~hole])
    other_seed = inpainting.create_model("patchmatch", seed=1)
    c = np.asarray(inpainting.inpaint(other_seed, photo, hole))
    assert (c != a).any()  # the seed is really used


@pytest.mark.parametrize("side", [32, 48, 64])
@pytest.mark.parametrize("ratio", [0.05, 0.3, 0.6, 0.9])
def test_small_images_with_large_holes_never_fail(patchmatch, side, ratio):
    """The package raises on tiny images with large holes ("no valid source patch centers",
    "mask covers the entire image"); the model falls back to smaller patches, then to NS."""
    photo = cv2.resize(skdata.astronaut(), (side, side), interpolation=cv2.INTER_AREA)
    hole = _blob(side, side, ratio, seed=side)
    out = np.asarray(inpainting.inpaint(patchmatch, photo, hole))
    np.testing.assert_array_equal(out[~hole], photo[~hole])


def test_an_all_hole_input_to_the_model_gets_a_fill_not_an_error(patchmatch):
    photo = cv2.resize(skdata.astronaut(), (40, 40))
    hole = np.ones((40, 40), bool)
    image = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255
    out = patchmatch(image * 0, torch.ones(1, 1, 40, 40))
    assert out.shape == image.shape and torch.isfinite(out).all()
    with pytest.raises(inpainting.InputError, match="covers the whole 40×40 image"):
        inpainting.inpaint(patchmatch, photo, hole)  # the inference path refuses it with a reason


def test_keeps_texture_where_navier_stokes_smears(patchmatch):
    """The realism score's second sanity check: on a large hole in a textured photo, PatchMatch
    scores better (lower SWD) than Navier-Stokes, whose fill is smooth."""
    photo = cv2.resize(np.stack([skdata.brick()] * 3, -1), (192, 192), interpolation=cv2.INTER_AREA)
    hole = np.zeros((192, 192), bool)
    hole[50:140, 60:150] = True  # 22 % of the image
    target = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255
    mask = torch.from_numpy(hole.astype(np.float32))[None, None]
    scores = {}
    for name in ("patchmatch", "opencv-ns"):
        out = np.array(inpainting.inpaint(inpainting.load_model(name), photo, hole))  # a writable copy of the PIL image
        pred = torch.from_numpy(out).permute(2, 0, 1)[None].float() / 255
        scores[name] = float(metrics.swd_realism(pred, target, mask))
    assert scores["patchmatch"] < scores["opencv-ns"], scores


def test_large_photos_are_cropped_and_shrunk_to_its_time_budget(patchmatch):
    """12 MP with an object-sized hole: auto crops around the hole, and each crop is shrunk to
    ``max_side`` before PatchMatch runs (the time bound; the timing itself is a benchmark)."""
    hole = np.zeros((3000, 4000), bool)
    cv2.ellipse(hole.view(np.uint8), (2000, 1500), (350, 500), 0, 0, 360, 1, -1)
    assert choose_strategy(patchmatch, hole) == "crop"
    assert work_limit(patchmatch) == patchmatch.max_side == 768


def test_fills_a_12_megapixel_photo(patchmatch):
    photo = cv2.resize(skdata.coffee(), (4000, 3000), interpolation=cv2.INTER_CUBIC)
    hole = np.zeros((3000, 4000), bool)
    hole[1200:1900, 1500:2100] = True
    out = np.asarray(inpainting.inpaint(patchmatch, photo, hole))
    np.testing.assert_array_equal(out[~hole], photo[~hole])
    assert out[hole].std() > 5  # texture, not a flat colour


def test_bad_settings_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="patch_size"):
        inpainting.create_model("patchmatch", patch_size=4)
    with pytest.raises(ValueError, match="max_side"):
        inpainting.create_model("patchmatch", max_side=8)


DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.skipif(not (DATA / "photos" / "val").is_dir(), reason="needs ../shared/data/photos/val (real photos)")
def test_on_real_photos_with_object_sized_holes_patchmatch_is_more_realistic_than_ns():
    """The realism score's sanity check on real data: 24 photos/val images, one object-sized hole
    each (the ``objects`` mask preset), PatchMatch's mean SWD below Navier-Stokes's."""
    from inpainting.masks import get_mask_generator
    from train.evaluate import list_images, prepare_image

    files = list_images(DATA / "photos" / "val")[::12][:24]
    generator = get_mask_generator("objects")
    scores = {"patchmatch": [], "opencv-ns": []}
    for i, path in enumerate(files):
        photo = prepare_image(path, "native")
        hole = generator(np.random.default_rng(i), photo.shape[:2]).astype(bool)
        target = torch.from_numpy(np.array(photo)).permute(2, 0, 1)[None].float() / 255
        mask = torch.from_numpy(hole.astype(np.float32))[None, None]
        for name in scores:
            out = np.array(inpainting.inpaint(inpainting.load_model(name), photo, hole))
            scores[name].append(float(metrics.swd_realism(torch.from_numpy(out).permute(2, 0, 1)[None].float() / 255,
                                                          target, mask)))
    pm, ns = np.mean(scores["patchmatch"]), np.mean(scores["opencv-ns"])
    assert pm < ns, (pm, ns)


@pytest.mark.skipif(not (DATA / "masks" / "nvidia_irregular").is_dir(), reason="needs ../shared/data/masks (NVIDIA masks)")
@pytest.mark.parametrize("bucket", range(6))
def test_every_nvidia_bucket_from_32_px_up(patchmatch, bucket):
    from inpainting.masks import NvidiaIrregularMasks

    reader = NvidiaIrregularMasks(DATA / "masks" / "nvidia_irregular")
    photo = skdata.astronaut()
    for index in reader.indices(bucket)[::500]:  # 4 masks per bucket, border-free and touching
        for w, h in ((32, 32), (61, 45), (300, 200)):
            hole = reader.load(index, (h, w)).astype(bool)
            image = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
            out = np.asarray(inpainting.inpaint(patchmatch, image, hole))
            np.testing.assert_array_equal(out[~hole], image[~hole])
