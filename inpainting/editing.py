"""Mask editing for interactive front ends: masks from painted layers, grow, shrink, invert.

A sketch-pad editor (the Gradio app's, or any other) hands over a photo and transparent layers
painted over it; the hole is everywhere any layer is painted (alpha > 0). Masks here are H×W
boolean arrays, ``True`` = hole, the library's polarity.

EXIF orientation: layers are aligned to the photo's stored pixels (the grid an editor receives),
so the photo's orientation is applied once, to the photo and to the mask alike
(:func:`photo_and_mask`). A layer painted on the upright view of a rotated photo (the grid
``/inpaint`` and the library use) is accepted too: its size tells which grid it is on.

>>> photo, hole = photo_and_mask(background, layers)
>>> hole = resize_mask(hole, 8)          # grow by 8 px (negative: shrink)
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from inpainting.io import ImageLike, InputError, open_image

__all__ = [
    "EXIF_ORIENTATION",
    "exif_orientation",
    "apply_orientation",
    "mask_from_layers",
    "photo_and_mask",
    "resize_mask",
    "invert_mask",
    "mask_layer",
    "masked_preview",
]

EXIF_ORIENTATION = 0x0112
# EXIF orientation -> the transpose that makes the image upright (as PIL.ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation tag of ``image`` (1, upright, when absent or invalid)."""
    value = image.getexif().get(EXIF_ORIENTATION, 1)
    return value if value in _UPRIGHT else 1


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` transposed as EXIF ``orientation`` says, without its EXIF (so it is not applied twice)."""
    upright = image.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else image.copy()
    upright.info.pop("exif", None)
    return upright


def _painted(layer: ImageLike, index: int) -> np.ndarray:
    """Where one layer is painted (H×W bool): alpha > 0 for a layer with transparency; a layer
    without it is read like a mask file, white (> 127) = hole, so a grey or dark picture sent as a
    layer does not silently make the whole photo the hole."""
    if isinstance(layer, np.ndarray):
        if layer.ndim == 3 and layer.shape[2] == 4:
            return layer[..., 3] > 0
        if layer.ndim == 3 and layer.shape[2] in (1, 3):
            return layer.max(axis=2) > 127
        if layer.ndim == 2:
            return layer > 127
        raise InputError(f"layer {index} must be H×W×4 (RGBA), H×W×3 or H×W, got shape {layer.shape}")
    pil = open_image(layer, what=f"layer {index}") if not isinstance(layer, Image.Image) else layer
    if "A" in pil.getbands():
        return np.asarray(pil.getchannel("A")) > 0
    if "transparency" in pil.info:
        return np.asarray(pil.convert("RGBA").getchannel("A")) > 0
    return np.asarray(pil.convert("L")) > 127


def _layer_holes(layers: Sequence[ImageLike], sizes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """The painted pixels of ``layers`` gathered per grid: one H×W bool array for each ``(width,
    height)`` in ``sizes``, each layer going to the first grid its size matches."""
    holes = [np.zeros((height, width), dtype=bool) for width, height in sizes]
    for index, layer in enumerate(layers):
        if layer is None:
            continue
        painted = _painted(layer, index)
        for hole in holes:
            if painted.shape == hole.shape:
                hole |= painted
                break
        else:
            width, height = sizes[0]
            raise InputError(
                f"mask layer {index} is {painted.shape[1]}×{painted.shape[0]} but the photo is {width}×{height} "
                "(width×height); the mask must cover the photo exactly"
            )
    return holes


def mask_from_layers(layers: Sequence[ImageLike], size: tuple[int, int]) -> np.ndarray:
    """The union of the painted pixels of every layer, an H×W boolean hole mask: alpha > 0 for
    layers with transparency, white (> 127) for layers without.

    Args:
        layers: RGBA layers (numpy arrays, PIL images or paths) aligned to the photo.
        size: the photo's ``(width, height)``; a layer of another size is an :class:`InputError`.
    """
    (hole,) = _layer_holes(layers, [tuple(size)])
    return hole


def photo_and_mask(background: ImageLike, layers: Sequence[ImageLike]) -> tuple[Image.Image, np.ndarray]:
    """The upright photo and its hole mask from an editor's background and painted layers.

    Layers on the background's stored pixel grid (what an editor sends) are turned with the
    photo: its EXIF orientation is applied once, to both. Layers already on the upright grid (a
    client that painted the photo as displayed, whose size is the stored one transposed) are used
    as they are. A fully opaque RGBA photo (what a browser canvas exports) becomes RGB.
    """
    if background is None:
        raise InputError("no photo: upload, paste or pick an example photo first")
    photo = open_image(background, what="photo") if not isinstance(background, Image.Image) else background
    orientation = exif_orientation(photo)
    upright = apply_orientation(photo, orientation)
    sizes = [photo.size] + ([upright.size] if upright.size != photo.size else [])
    holes = _layer_holes(layers or [], sizes)
    hole = np.asarray(apply_orientation(Image.fromarray(holes[0]), orientation), dtype=bool)
    if len(holes) > 1:
        hole = hole | holes[1]
    if upright.mode == "RGBA" and np.asarray(upright.getchannel("A")).min() == 255:
        upright = upright.convert("RGB")
    return upright, hole


def resize_mask(hole: np.ndarray, pixels: int) -> np.ndarray:
    """Grow (``pixels`` > 0) or shrink (``pixels`` < 0) the hole by ``|pixels|`` with a disc.

    Growing covers halos around a painted object (the usual cause of ghosting at its edges);
    shrinking keeps more context.
    """
    hole = np.asarray(hole, dtype=bool)
    if hole.ndim != 2:
        raise InputError(f"mask must be H×W, got shape {hole.shape}")
    radius = abs(int(pixels))
    if radius == 0:
        return hole.copy()
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    op = cv2.dilate if pixels > 0 else cv2.erode
    # Outside the image counts as known when growing and as hole when shrinking (no edge erosion).
    border = 0 if pixels > 0 else 1
    out = op(hole.astype(np.uint8), disc, borderType=cv2.BORDER_CONSTANT, borderValue=border)
    return out.astype(bool)


def invert_mask(hole: np.ndarray) -> np.ndarray:
    """Hole becomes known and known becomes hole."""
    return ~np.asarray(hole, dtype=bool)


def mask_layer(hole: np.ndarray, color: tuple[int, int, int] = (255, 0, 80), opacity: int = 160) -> np.ndarray:
    """An H×W×4 uint8 RGBA layer showing ``hole`` in ``color`` (alpha ``opacity``, 0 elsewhere).

    Reading it back with :func:`mask_from_layers` gives ``hole`` exactly (``opacity`` must be > 0).
    """
    if not 0 < opacity <= 255:
        raise ValueError(f"opacity must be in 1..255, got {opacity}")
    hole = np.asarray(hole, dtype=bool)
    layer = np.zeros((*hole.shape, 4), dtype=np.uint8)
    layer[hole] = (*color, opacity)
    return layer


def masked_preview(photo: Image.Image, hole: np.ndarray, fill: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """The photo as a model sees the task: RGB, hole pixels painted ``fill``."""
    rgb = np.array(photo.convert("RGB"))
    rgb[np.asarray(hole, dtype=bool)] = fill
    return Image.fromarray(rgb)
