"""inpainting.editing: masks from editor layers, EXIF handling, grow / shrink / invert."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inpainting import InputError, editing


def _layer(shape, box, alpha=255):
    layer = np.zeros((*shape, 4), np.uint8)
    (top, left, bottom, right) = box
    layer[top:bottom, left:right] = (10, 200, 30, alpha)
    return layer


def test_mask_is_union_of_painted_alpha_of_all_layers():
    a = _layer((20, 30), (2, 3, 6, 9))
    b = Image.fromarray(_layer((20, 30), (10, 20, 15, 28), alpha=1))  # faint strokes count too
    hole = editing.mask_from_layers([a, None, b], (30, 20))
    expected = np.zeros((20, 30), bool)
    expected[2:6, 3:9] = expected[10:15, 20:28] = True
    np.testing.assert_array_equal(hole, expected)
    assert not editing.mask_from_layers([], (30, 20)).any()


def test_layer_of_another_size_is_refused():
    with pytest.raises(InputError, match=r"mask layer 0 is 10×8 but the photo is 30×20"):
        editing.mask_from_layers([np.zeros((8, 10, 4), np.uint8)], (30, 20))


@pytest.mark.parametrize("orientation, k", [(1, 0), (3, 2), (6, -1), (8, 1)])
def test_photo_and_mask_apply_exif_orientation_once_to_both(orientation, k):
    rng = np.random.default_rng(orientation)
    stored = rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)
    photo = Image.fromarray(stored)
    exif = photo.getexif()
    exif[editing.EXIF_ORIENTATION] = orientation
    photo.info["exif"] = exif.tobytes()
    layer = _layer((12, 20), (1, 2, 4, 7))
    upright, hole = editing.photo_and_mask(photo, [layer])
    np.testing.assert_array_equal(np.asarray(upright), np.rot90(stored, k))
    np.testing.assert_array_equal(hole, np.rot90(layer[..., 3] > 0, k))
    assert editing.exif_orientation(upright) == 1  # not applied a second time downstream


@pytest.mark.parametrize("orientation, k", [(6, -1), (8, 1)])
def test_a_layer_painted_on_the_upright_view_is_used_as_it_is(orientation, k):
    stored = np.random.default_rng(orientation).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    photo = Image.fromarray(stored)
    exif = photo.getexif()
    exif[editing.EXIF_ORIENTATION] = orientation
    photo.info["exif"] = exif.tobytes()
    on_stored, on_upright = _layer((12, 20), (1, 2, 4, 7)), _layer((20, 12), (10, 3, 15, 9))
    upright, hole = editing.photo_and_mask(photo, [on_stored, on_upright])
    assert upright.size == (12, 20)
    np.testing.assert_array_equal(hole, np.rot90(on_stored[..., 3] > 0, k) | (on_upright[..., 3] > 0))
    with pytest.raises(InputError, match="mask layer 0 is 7×5 but the photo is 20×12"):
        editing.photo_and_mask(photo, [np.zeros((5, 7, 4), np.uint8)])


def test_a_layer_without_alpha_is_read_like_a_mask_file():
    grey = np.full((20, 30), 90, np.uint8)  # grey: below the mask threshold (127)
    grey[5:9, 4:12] = 255
    expected = np.zeros((20, 30), bool)
    expected[5:9, 4:12] = True
    for layer in (grey, Image.fromarray(grey), np.repeat(grey[..., None], 3, axis=2)):
        np.testing.assert_array_equal(editing.mask_from_layers([layer], (30, 20)), expected)


def test_opaque_rgba_photo_becomes_rgb_and_transparent_stays_rgba():
    opaque = Image.new("RGBA", (8, 8), (1, 2, 3, 255))
    assert editing.photo_and_mask(opaque, [])[0].mode == "RGB"
    assert editing.photo_and_mask(Image.new("RGBA", (8, 8), (1, 2, 3, 0)), [])[0].mode == "RGBA"
    with pytest.raises(InputError, match="no photo"):
        editing.photo_and_mask(None, [])


def test_grow_and_shrink_by_exact_pixels():
    hole = np.zeros((41, 41), bool)
    hole[20, 20] = True
    grown = editing.resize_mask(hole, 5)
    ys, xs = np.nonzero(grown)
    assert ys.min() == 15 and ys.max() == 25 and xs.min() == 15 and xs.max() == 25
    assert not grown[15, 15]  # a disc, not a square
    np.testing.assert_array_equal(editing.resize_mask(grown, -5), hole)
    np.testing.assert_array_equal(editing.resize_mask(hole, 0), hole)
    full = np.ones((10, 10), bool)
    np.testing.assert_array_equal(editing.resize_mask(full, -3), full)  # the border is not eroded


def test_invert_and_layer_round_trip():
    hole = np.random.default_rng(0).random((9, 13)) > 0.5
    np.testing.assert_array_equal(editing.invert_mask(hole), ~hole)
    layer = editing.mask_layer(hole)
    assert layer.shape == (9, 13, 4) and layer.dtype == np.uint8
    np.testing.assert_array_equal(editing.mask_from_layers([layer], (13, 9)), hole)


def test_masked_preview_paints_hole_only():
    photo = Image.new("RGB", (6, 4), (10, 20, 30))
    hole = np.zeros((4, 6), bool)
    hole[1, 2] = True
    preview = np.asarray(editing.masked_preview(photo, hole))
    assert (preview[1, 2] == 255).all() and (preview[~hole] == (10, 20, 30)).all()
