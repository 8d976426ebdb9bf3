"""Reading images and masks at the library boundary: PIL/numpy/path in, normalised arrays out.

Everything that crosses into the library passes through here once:

* EXIF orientation is applied to the image and to the mask alike (a mask painted on the upright
  view lands on the upright pixels);
* images of any PIL mode (RGB, RGBA, L, LA, P, CMYK, 1, 16-bit I;16 / I, float F) become an 8-bit
  RGB working array, and can be converted back to their mode for the result;
* masks from L, RGB (any channel over the threshold), RGBA (alpha), boolean or numeric arrays are
  binarised: value > 127 (or True, or > 0.5 for float arrays in [0, 1]) is a hole.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["IMAGE_EXTENSIONS", "ImageLike", "InputError", "LoadedImage", "load_image", "load_mask", "open_image"]

ImageLike = Union[Image.Image, np.ndarray, str, os.PathLike]

MASK_THRESHOLD = 127
# File name endings read as images wherever a folder of images is listed (CLI, training, evaluation).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


class InputError(ValueError):
    """An image or mask the library cannot use, with what is wrong and what is accepted."""


def open_image(source: ImageLike, *, what: str = "image") -> Image.Image:
    """A PIL image from a PIL image, a numpy array or a path, with EXIF orientation applied."""
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        image = _array_to_pil(source, what=what)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{what} file not found: {path}")
        try:
            image = Image.open(path)
            image.load()
        except Image.DecompressionBombError as err:  # a header declaring far more pixels than any photo
            raise InputError(
                f"{what} file {path} is refused: {err}; accepted: images up to "
                f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} megapixels"
            ) from None
        except (UnidentifiedImageError, OSError) as err:
            raise InputError(
                f"{what} file {path} is not a readable image ({err.__class__.__name__}); "
                "accepted: PNG, JPEG, WebP, BMP, TIFF and other formats Pillow reads"
            ) from None
    else:
        raise InputError(
            f"{what} must be a PIL image, a numpy array or a file path, got {type(source).__name__}"
        )
    return ImageOps.exif_transpose(image) if image.getexif().get(0x0112, 1) != 1 else image


def _array_to_pil(array: np.ndarray, *, what: str) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError(f"{what} array must be H×W, H×W×3 or H×W×4, got shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype == np.uint16:
        if array.ndim != 2:
            array = (array // 257).astype(np.uint8)
        else:
            return Image.fromarray(array)  # uint16 H×W: mode I;16
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InputError(f"{what} array contains NaN or infinite values")
        if array.min() < 0 or array.max() > 1:
            raise InputError(
                f"{what} float array must be in [0, 1], got range [{array.min():.3g}, {array.max():.3g}]; "
                "pass uint8 arrays for 0-255 values"
            )
        array = np.round(array * 255).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise InputError(f"{what} array dtype {array.dtype} not supported; accepted: uint8, uint16, bool, float in [0, 1]")
    return Image.fromarray(np.ascontiguousarray(array))


@dataclass
class LoadedImage:
    """An image ready for inpainting.

    Attributes:
        pil: the upright (EXIF-applied) image in its own mode.
        rgb: H×W×3 uint8 working copy.
        alpha: H×W uint8 alpha channel to re-attach, or ``None``.
    """

    pil: Image.Image
    rgb: np.ndarray
    alpha: np.ndarray | None

    @property
    def size(self) -> tuple[int, int]:
        return self.pil.size

    def to_mode(self, rgb: np.ndarray, hole: np.ndarray) -> Image.Image:
        """The result in the input's mode: ``rgb`` where ``hole``, the input's own pixels elsewhere.

        Known pixels are copied from the input's own array, so they are unchanged bit for bit
        whatever the mode.
        """
        mode = self.pil.mode
        original = np.array(self.pil)
        if mode in ("RGB", "RGBA"):
            filled = rgb
        elif mode in ("L", "LA", "1"):
            gray = np.asarray(Image.fromarray(rgb).convert("L"))
            filled = gray > 127 if mode == "1" else gray
        elif mode == "P":
            palette_image = self.pil if self.pil.palette is not None else None
            filled = np.asarray(Image.fromarray(rgb).quantize(palette=palette_image, dither=Image.Dither.NONE))
        elif mode == "CMYK":
            filled = np.asarray(Image.fromarray(rgb).convert("CMYK"))
        elif mode in _SIXTEEN_BIT_MODES:
            gray = np.asarray(Image.fromarray(rgb).convert("L")).astype(np.int64) * 257
            filled = gray.astype(original.dtype)
        elif mode == "F":
            filled = np.asarray(Image.fromarray(rgb).convert("L")).astype(np.float32)
        else:  # pragma: no cover - load_image refuses other modes
            raise InputError(f"cannot write back mode {mode}")
        out = original.copy()
        if mode in ("LA",):
            out[..., 0][hole] = filled[hole]
        elif mode == "RGBA":
            out[..., :3][hole] = filled[..., :3][hole]
        else:
            out[hole] = filled[hole]
        result = Image.fromarray(out)
        if result.mode != mode:  # e.g. CMYK (4 channels read as RGBA), I;16 variants
            result = Image.frombytes(mode, self.pil.size, out.tobytes())
        if mode == "P":
            result.putpalette(self.pil.getpalette())
            if "transparency" in self.pil.info:
                result.info["transparency"] = self.pil.info["transparency"]
        return result


def load_image(source: ImageLike) -> LoadedImage:
    """Open ``source`` and make its 8-bit RGB working copy (see module docstring)."""
    pil = open_image(source, what="image")
    mode = pil.mode
    alpha = None
    if mode == "RGB":
        rgb = np.asarray(pil)
    elif mode in ("RGBA", "LA", "PA"):
        alpha = np.asarray(pil.getchannel("A")).copy()
        rgb = np.asarray(pil.convert("RGBA"))[..., :3]
    elif mode == "P":
        converted = pil.convert("RGBA")
        if "transparency" in pil.info:
            alpha = np.asarray(converted.getchannel("A")).copy()
        rgb = np.asarray(converted)[..., :3]
    elif mode in ("L", "1", "CMYK"):
        rgb = np.asarray(pil.convert("RGB"))
    elif mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(pil).astype(np.float64)
        gray = np.clip(np.round(values / 257.0), 0, 255).astype(np.uint8)
        rgb = np.repeat(gray[:, :, None], 3, axis=2)
    elif mode == "F":
        gray = np.clip(np.round(np.asarray(pil)), 0, 255).astype(np.uint8)
        rgb = np.repeat(gray[:, :, None], 3, axis=2)
    else:
        raise InputError(
            f"image mode {mode} is not supported; accepted: RGB, RGBA, L, LA, P, 1, CMYK, I;16, I, F"
        )
    return LoadedImage(pil=pil, rgb=np.ascontiguousarray(rgb, dtype=np.uint8), alpha=alpha)


def load_mask(source: ImageLike, size: tuple[int, int] | None = None) -> np.ndarray:
    """A boolean H×W hole mask (True = hole) from any accepted mask input.

    Args:
        source: PIL image (L, RGB: any channel > 127, RGBA/LA: alpha > 127, 1, P, I;16), numpy
            array (bool; uint8 > 127, or a 0/1 uint8 array with 1 = hole; float in [0, 1] > 0.5;
            H×W or H×W×C) or path.
        size: expected ``(width, height)``; a mask of another size is an error.
    """
    if isinstance(source, np.ndarray) and source.dtype == bool:
        hole = source if source.ndim == 2 else source.any(axis=-1)
    elif isinstance(source, np.ndarray) and np.issubdtype(source.dtype, np.floating):
        if not np.isfinite(source).all() or source.min() < 0 or source.max() > 1:
            raise InputError("mask float array must be finite and in [0, 1] (1 = hole)")
        hole = source > 0.5
        hole = hole if hole.ndim == 2 else hole.any(axis=-1)
    else:
        pil = open_image(source, what="mask")
        mode = pil.mode
        if mode in ("RGBA", "LA", "PA"):
            values = np.asarray(pil.getchannel("A"))
        elif mode == "P":
            values = np.asarray(pil.convert("RGB")).max(axis=2)
        elif mode == "RGB":
            values = np.asarray(pil).max(axis=2)
        elif mode in ("L", "1"):
            values = np.asarray(pil.convert("L"))
        elif mode in _SIXTEEN_BIT_MODES:
            values = np.asarray(pil).astype(np.float64) / 257.0
        else:
            raise InputError(f"mask mode {mode} is not supported; accepted: L, 1, RGB, RGBA (alpha), LA, P, I;16")
        # A 0/1 mask (the library's own convention, e.g. from inpainting.masks) has 1 = hole;
        # anything else is binarised at 127 (255 = hole).
        hole = values > (0 if values.max(initial=0) == 1 else MASK_THRESHOLD)
    if hole.ndim != 2:
        raise InputError(f"mask must be two-dimensional (H×W), got shape {hole.shape}")
    if size is not None and (hole.shape[1], hole.shape[0]) != tuple(size):
        raise InputError(
            f"mask size {hole.shape[1]}×{hole.shape[0]} does not match image size {size[0]}×{size[1]} "
            "(width×height, after EXIF orientation); the mask must cover the image exactly"
        )
    return np.ascontiguousarray(hole)
