"""The one inference path: every input mode, EXIF, compositing, strategies, bad input."""
from __future__ import annotations

import io

import numpy as np
import torch
import pytest
from PIL import Image

import inpainting
from inpainting.inference import choose_strategy, plan_crops
from inpainting.io import InputError, load_mask

skdata = pytest.importorskip("skimage.data", reason="scikit-image (dev requirement) provides the real test photos")


@pytest.fixture(scope="module")
def telea():
    return inpainting.load_model("opencv-telea", device="cpu")


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return skdata.astronaut()[100:228, 150:278].copy()  # 128×128 real photo


def stroke_mask(h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    mask[h // 3 : h // 3 + 8, w // 5 : w - w // 5] = 255
    return mask


def check_result(result: Image.Image, reference: np.ndarray, hole: np.ndarray) -> None:
    out = np.asarray(result)
    assert out.shape == reference.shape
    np.testing.assert_array_equal(out[~hole], reference[~hole])  # known pixels bit for bit
    assert (out[hole] != reference[hole]).any()  # the hole was filled with something new


# ---------------------------------------------------------------- input modes
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "1"])
def test_round_trip_keeps_size_mode_and_known_pixels(telea, photo, mode):
    rgba = np.dstack([photo, np.linspace(0, 255, photo.shape[1], dtype=np.uint8)[None].repeat(photo.shape[0], 0)])
    base = Image.fromarray(rgba, "RGBA")
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    elif mode == "P":
        image = base.convert("RGB").quantize(64)
    else:
        image = base.convert(mode)
    mask = stroke_mask(*photo.shape[:2])
    # Poke the hole with a colour the surroundings don't have so "changed" is detectable.
    arr = np.array(image)
    hole = mask > 127
    arr[hole] = arr.max() if mode != "1" else False
    image = _like(arr, image)
    result = inpainting.inpaint(telea, image, mask)
    assert result.mode == image.mode and result.size == image.size
    ref = np.asarray(image)
    out = np.asarray(result)
    np.testing.assert_array_equal(out[~hole], ref[~hole])
    if mode == "RGBA":
        np.testing.assert_array_equal(out[..., 3], ref[..., 3])  # alpha re-attached unchanged
    if mode != "1":
        assert (out[hole] != ref[hole]).any()


def _like(arr, like):
    """``arr`` as an image of ``like``'s mode (and palette)."""
    out = Image.fromarray(arr)
    if out.mode != like.mode:
        out = Image.frombytes(like.mode, like.size, arr.tobytes())
    if like.mode == "P":
        out.putpalette(like.getpalette())
    return out


def test_numpy_path_and_pil_inputs_agree(telea, photo, tmp_path):
    mask = stroke_mask(*photo.shape[:2])
    Image.fromarray(photo).save(tmp_path / "p.png")
    Image.fromarray(mask).save(tmp_path / "m.png")
    a = np.asarray(inpainting.inpaint(telea, photo, mask))
    b = np.asarray(inpainting.inpaint(telea, tmp_path / "p.png", str(tmp_path / "m.png")))
    c = np.asarray(inpainting.inpaint(telea, Image.fromarray(photo), mask > 127))  # boolean mask
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    "make_mask",
    [
        lambda m: Image.fromarray(m, "L"),
        lambda m: Image.fromarray(np.dstack([np.zeros_like(m), m, np.zeros_like(m)]), "RGB"),  # green stroke
        lambda m: Image.fromarray(np.dstack([np.full_like(m, 255)] * 3 + [m]), "RGBA"),  # alpha only
        lambda m: m > 127,
        lambda m: (m / 255.0).astype(np.float32),
    ],
    ids=["L", "RGB", "RGBA-alpha", "bool", "float"],
)
def test_mask_modes(make_mask):
    m = stroke_mask(40, 50)
    m[0, 0] = 127  # exactly the threshold: not a hole
    m[0, 1] = 128
    hole = load_mask(make_mask(m))
    expected = m > 127
    np.testing.assert_array_equal(hole, expected)


def test_zero_one_uint8_mask_means_one_is_hole():
    m = np.zeros((6, 6), np.uint8)
    m[1:3, 2:5] = 1  # as inpainting.masks generators return
    np.testing.assert_array_equal(load_mask(m), m == 1)
    np.testing.assert_array_equal(load_mask(Image.fromarray(m)), m == 1)
    m[0, 0] = 100  # not a 0/1 mask any more: the 127 threshold applies
    assert not load_mask(m).any()


def test_rgba_white_mask_with_transparent_background_uses_alpha():
    m = np.zeros((10, 10, 4), np.uint8)
    m[..., :3] = 255  # white everywhere, but only the painted part is opaque
    m[2:4, 2:4, 3] = 255
    assert load_mask(Image.fromarray(m, "RGBA")).sum() == 4


# ----------------------------------------------------------------------- EXIF
def test_exif_rotated_photo_and_mask_land_on_the_upright_pixels(telea, photo, tmp_path):
    upright = photo[:, :100]  # 128 high, 100 wide
    mask = np.zeros(upright.shape[:2], np.uint8)
    mask[10:20, 60:90] = 255  # drawn on the upright view
    # Store the photo rotated with orientation 6 ("rotate 90° CW to display").
    stored = Image.fromarray(np.rot90(upright, k=1))  # counter-clockwise in storage
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", exif=exif.tobytes(), quality=100)
    path = tmp_path / "rotated.jpg"
    path.write_bytes(buf.getvalue())
    shown = np.asarray(Image.open(path).transpose(Image.Transpose.ROTATE_270))  # what viewers display
    assert shown.shape[:2] == upright.shape[:2]
    result = np.asarray(inpainting.inpaint(telea, path, mask))
    assert result.shape == shown.shape  # upright size, not the stored one
    hole = mask > 127
    np.testing.assert_array_equal(result[~hole], shown[~hole])


def test_exif_rotated_mask_file_is_oriented_too(tmp_path):
    mask = np.zeros((30, 20), np.uint8)
    mask[2:5, 10:15] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.rot90(mask, k=1)).save(tmp_path / "m.jpg", exif=exif.tobytes(), quality=100)
    np.testing.assert_array_equal(load_mask(tmp_path / "m.jpg"), mask > 127)


# -------------------------------------------------------------- edge cases
def test_empty_mask_returns_input_unchanged(telea, photo):
    image = Image.fromarray(photo)
    out = inpainting.inpaint(telea, image, np.zeros(photo.shape[:2], np.uint8))
    np.testing.assert_array_equal(np.asarray(out), photo)
    assert out is not image  # a copy: the caller's image is never handed back to be mutated


def test_mask_of_another_size_is_a_clear_error(telea, photo):
    with pytest.raises(InputError, match=r"mask size 10×12 does not match image size 128×128"):
        inpainting.inpaint(telea, photo, np.zeros((12, 10), np.uint8))


def test_too_large_image_is_refused_before_work(telea):
    big = np.zeros((3000, 3000, 3), np.uint8)
    with pytest.raises(InputError, match="megapixels"):
        inpainting.inpaint(telea, big, np.ones((3000, 3000), bool), max_pixels=4_000_000)


@pytest.mark.parametrize(
    "image, message",
    [
        ("/nonexistent/photo.png", "not found"),
        (np.zeros((4, 4, 5), np.uint8), "H×W×3"),
        (np.full((4, 4, 3), 2.0), r"\[0, 1\]"),
        (12, "PIL image, a numpy array or a file path"),
    ],
)
def test_bad_images_give_specific_errors(telea, image, message):
    with pytest.raises(InputError, match=message):
        inpainting.inpaint(telea, image, np.ones((4, 4), bool))


def test_non_image_file_is_a_clear_error(telea, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(InputError, match="not a readable image"):
        inpainting.inpaint(telea, bad, np.ones((4, 4), bool))


def test_unknown_strategy(telea, photo):
    with pytest.raises(InputError, match="accepted: auto, original, resize, crop"):
        inpainting.inpaint(telea, photo, stroke_mask(128, 128), strategy="tile")


# --------------------------------------------------------------- strategies
@pytest.fixture(scope="module")
def large_photo() -> np.ndarray:
    import cv2

    return cv2.resize(skdata.chelsea(), (2000, 1500), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize("strategy", ["original", "resize", "crop", "auto"])
def test_each_strategy_on_a_2000x1500_photo(telea, large_photo, strategy):
    mask = np.zeros(large_photo.shape[:2], np.uint8)
    mask[600:640, 500:1400] = 255
    mask[1200:1300, 100:180] = 255
    poked = large_photo.copy()
    poked[mask > 127] = 255
    result = inpainting.inpaint(telea, poked, mask, strategy=strategy)
    assert result.size == (2000, 1500)
    check_result(result, poked, mask > 127)


def test_auto_picks_by_image_size_and_mask_extent(telea):
    assert choose_strategy(telea, np.ones((512, 512), bool)) == "original"
    small_hole = np.zeros((1500, 2000), bool)
    small_hole[100:120, 100:120] = True
    assert choose_strategy(telea, small_hole) == "crop"
    assert choose_strategy(telea, np.ones((1500, 2000), bool)) == "resize"


def test_crops_cover_every_hole_pixel_once():
    hole = np.zeros((300, 400), bool)
    hole[10:20, 10:20] = True
    hole[15:25, 30:40] = True  # near the first: boxes overlap and merge
    hole[250:260, 350:390] = True
    boxes = plan_crops(hole, margin=0.5, min_margin=8)
    assert len(boxes) == 2
    covered = np.zeros_like(hole, dtype=int)
    for b in boxes:
        covered[b.top : b.bottom, b.left : b.right] += 1
    assert (covered[hole] == 1).all()


class _Recorder(inpainting.InpaintingModel):
    """A tiny real model recording the input size it is given (not registered)."""

    native_size = 64
    pad_multiple = 16

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[int, int]] = []

    def forward(self, image, mask):
        self.seen.append(tuple(image.shape[-2:]))
        return image * 0 + 0.5


def test_padding_to_the_model_multiple_is_cropped_back():
    model = _Recorder()
    image = np.random.default_rng(0).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    mask = np.zeros((37, 53), bool)
    mask[5:9, 5:30] = True
    out = np.asarray(inpainting.inpaint(model, image, mask, strategy="original"))
    assert model.seen == [(48, 64)]
    assert (out[mask] == 128).all()  # 0.5 → 128
    np.testing.assert_array_equal(out[~mask], image[~mask])


def test_crop_strategy_shrinks_crops_to_the_work_limit():
    """Twice the working size by default; a model's own max_side (a measured one) when it has one."""
    model = _Recorder()
    image = np.zeros((1000, 1000, 3), np.uint8)
    mask = np.zeros((1000, 1000), bool)
    mask[400:600, 400:600] = True
    inpainting.inpaint(model, image, mask, strategy="crop")
    assert len(model.seen) == 1 and max(model.seen[0]) == 2 * 64
    model.max_side = 96
    inpainting.inpaint(model, image, mask, strategy="crop")
    assert max(model.seen[1]) == 96


def test_a_decompression_bomb_header_is_an_input_error_naming_the_file(tmp_path, monkeypatch):
    """Pillow refuses images declaring over twice MAX_IMAGE_PIXELS; that is bad input, said plainly."""
    from PIL import Image

    path = tmp_path / "bomb.png"
    Image.new("L", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 10,000 pixels > 2 × 1,000
    with pytest.raises(InputError, match=r"bomb\.png is refused.*accepted: images up to"):
        inpainting.inpaint(inpainting.load_model("opencv-ns"), path, np.ones((100, 100), bool))


def test_an_all_hole_mask_is_refused_with_the_reason(telea, tmp_path):
    image = np.zeros((30, 40, 3), np.uint8)
    with pytest.raises(InputError, match="the mask covers the whole 40×30 image"):
        inpainting.inpaint(telea, image, np.ones((30, 40), bool))
    path = tmp_path / "all.png"
    Image.fromarray(np.full((30, 40), 255, np.uint8)).save(path)
    with pytest.raises(InputError, match=r"mask file .*all\.png covers the whole"):
        inpainting.inpaint(telea, image, path)


def _disc(size: int, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    return (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < radius**2


def test_a_hole_deeper_than_a_pconv_unet_reaches_gets_its_core_from_a_smaller_run():
    """The small PConv U-Net fills 32 to 63 px deep (by the stride grid); a disc of radius 120 at
    its own size would keep a flat grey core. The inference path finds the largest 85 % step at
    which it reaches every hole pixel and takes the core from there; the full-size fill stays
    wherever the model reaches, beyond the feather."""
    import cv2

    from inpainting.inference import _CORE_FEATHER, model_inputs, reach_side, run_model, scale_hole

    torch.manual_seed(0)
    model = inpainting.create_model("pconv-unet", "small").eval()
    rgb = np.random.default_rng(0).integers(0, 255, (384, 384, 3), dtype=np.uint8)
    deep = _disc(384, 120)
    _, mask = model_inputs(model, rgb, deep)
    core = model.unreached(mask)[0, 0, :384, :384].bool().numpy()
    assert core[deep].sum() > 1000 and not core[~deep].any()
    side = reach_side(model, deep, 384)
    assert 64 <= side < 384
    small = scale_hole(deep, (side, side))
    _, mask = model_inputs(model, np.zeros((side, side, 3), np.uint8), small)
    assert not model.unreached(mask)[0, 0, :side, :side].bool().numpy()[small].any()
    bigger = int(side / 0.85) + 1
    _, mask = model_inputs(model, np.zeros((bigger, bigger, 3), np.uint8), scale_hole(deep, (bigger, bigger)))
    assert model.unreached(mask)[0, 0, :bigger, :bigger].bool().numpy()[scale_hole(deep, (bigger, bigger))].any()

    full = np.clip(np.round(run_model(model, rgb, deep) * 255), 0, 255).astype(np.uint8)
    assert (full[core] == 128).all()  # what a single run gives: sigmoid(0) everywhere in the core
    out = np.asarray(inpainting.inpaint(model, rgb, deep, strategy="auto"))
    assert choose_strategy(model, deep) == "original"
    assert (out[core] != 128).any(axis=-1).mean() > 0.5 and out[core].std() > 1.0
    far = deep & (cv2.distanceTransform((~core).astype(np.uint8), cv2.DIST_L2, 5) > _CORE_FEATHER + 1)
    np.testing.assert_array_equal(out[far], full[far])
    np.testing.assert_array_equal(out[~deep], rgb[~deep])

    shallow = np.zeros((384, 384), bool)
    shallow[:, 162:222] = True  # 30 px from known at most
    assert reach_side(model, shallow, 384) == 384
    assert reach_side(inpainting.create_model("opencv-telea"), deep, 384) == 384  # OpenCV reaches any depth


def test_core_depth_takes_the_deep_pixels_of_a_reached_hole_from_the_smaller_run_too():
    """A hole the small PConv U-Net reaches everywhere (a 60-px band, 30 px deep at most) is filled by
    one run at its own size; with ``core_depth=12`` the pixels deeper than 12 px come from the
    smaller run (the same one an unreached core would get), blended over the feather, and the
    pixels within 12 px of the known region minus the feather keep the full-size fill."""
    import cv2

    from inpainting.inference import _CORE_FEATHER, _scaled, predict, reach_side, run_model, _resize, _to_uint8

    torch.manual_seed(0)
    rgb = np.random.default_rng(1).integers(0, 255, (384, 384, 3), dtype=np.uint8)
    hole = np.zeros((384, 384), bool)
    hole[:, 162:222] = True
    plain = inpainting.create_model("pconv-unet", "small").eval()
    deep_model = inpainting.create_model("pconv-unet", "small", core_depth=12).eval()
    deep_model.load_state_dict(plain.state_dict())
    assert deep_model.core_depth == 12.0 and plain.core_depth == 0.0
    full = _to_uint8(run_model(plain, rgb, hole))
    np.testing.assert_array_equal(predict(plain, rgb, hole), full)  # reached everywhere: one run
    out = predict(deep_model, rgb, hole)
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    side = reach_side(plain, hole, int(384 * 0.85))
    small_rgb, small_hole = _scaled(rgb, hole, side)
    coarse = _resize(_to_uint8(run_model(plain, small_rgb, small_hole)), (384, 384))
    deep = depth > 12
    np.testing.assert_array_equal(out[deep], coarse[deep])
    near = hole & (depth <= 12 - _CORE_FEATHER - 1)
    assert near.sum() > 1000
    np.testing.assert_array_equal(out[near], full[near])
    assert (out[deep] != full[deep]).any()
    with pytest.raises(ValueError, match="core_depth must be >= 0"):
        inpainting.create_model("pconv-unet", "small", core_depth=-1)


@pytest.mark.parametrize("preset", ["small", "celeba"])
def test_unreached_is_where_the_pconv_unet_gives_a_flat_grey_and_nowhere_else(preset):
    """The mask path alone predicts the forward pass: exactly sigmoid(0) = 0.5 on every unreached
    pixel, something else on the reached hole pixels (random weights, random image)."""
    torch.manual_seed(0)
    model = inpainting.create_model("pconv-unet", preset).eval()
    side = max(8 * model.pad_multiple, 256)
    hole = torch.from_numpy(_disc(side, 0.4 * side)).float()[None, None]
    image = torch.rand(1, 3, side, side) * (1 - hole)
    with torch.no_grad():
        out = model(image, hole)
    left = model.unreached(hole)[0, 0].bool()
    reached = hole[0, 0].bool() & ~left
    assert left.sum() > 100 and reached.sum() > 100
    assert (left & ~hole[0, 0].bool()).sum() == 0  # only hole pixels can be unreached
    assert (out[0][:, left] == 0.5).all()
    assert ((out[0][:, reached] - 0.5).abs().amax(0) > 0).float().mean() > 0.99
    small_hole = torch.zeros_like(hole)
    small_hole[..., side // 2 - 4:side // 2 + 4, side // 2 - 4:side // 2 + 4] = 1
    assert not model.unreached(small_hole).any()


def test_a_black_and_white_photo_gets_a_grey_fill_and_a_colour_photo_keeps_its_colours(photo):
    """A learned model trained on colour photos tints a black-and-white photo's hole; the inference
    path turns the fill of a photo whose known pixels are all grey into its own luma (as an L input
    gets), and leaves the fill of a photo with any colour alone."""
    from inpainting.inference import predict

    torch.manual_seed(0)
    model = inpainting.create_model("pconv-unet", "tiny").eval()
    grey = np.repeat(np.asarray(Image.fromarray(photo).convert("L"))[..., None], 3, axis=-1)
    hole = stroke_mask(*grey.shape[:2]) > 0
    cleared = grey.copy()
    cleared[hole] = 0
    tinted = predict(model, cleared, hole)  # the model's own fill, before the rule
    assert (tinted[hole].max(axis=1).astype(int) - tinted[hole].min(axis=1)).max() > 10  # it is coloured

    out = np.asarray(inpainting.inpaint(model, grey, hole, strategy="original"))
    assert (out[hole] == out[hole][:, :1]).all()  # R = G = B in the hole
    np.testing.assert_array_equal(out[hole][:, 0], np.asarray(Image.fromarray(tinted).convert("L"))[hole])
    np.testing.assert_array_equal(out[~hole], grey[~hole])

    coloured = grey.copy()
    coloured[0, 0] = (200, 40, 40)  # one known colour pixel: a colour photo
    out = np.asarray(inpainting.inpaint(model, coloured, hole, strategy="original"))
    np.testing.assert_array_equal(out[hole], predict(model, np.where(hole[..., None], 0, coloured).astype(np.uint8), hole)[hole])


@pytest.mark.parametrize("spread, grey", [(0, True), (2, True), (3, False)])
def test_keep_grey_tolerates_two_levels_of_channel_spread(spread, grey):
    from inpainting.inference import keep_grey

    rgb = np.full((8, 8, 3), 100, np.uint8)
    rgb[..., 2] += spread
    hole = np.zeros((8, 8), bool)
    hole[2:5, 2:5] = True
    filled = rgb.copy()
    filled[hole] = (250, 10, 10)
    out = keep_grey(filled, rgb, hole)
    assert ((out[hole] == out[hole][:, :1]).all()) == grey
    np.testing.assert_array_equal(out[~hole], rgb[~hole])
