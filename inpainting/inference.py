"""One inference path for every model and every image size (after IOPaint's template).

``inpaint(model, image, mask)`` reads the inputs once (:mod:`inpainting.io`), picks a strategy
for the image size, pads each model input to the model's ``pad_multiple``, runs the model on
``image * (1 - mask)``, crops the padding away and composites: pixels outside the hole are
returned bit for bit unchanged, in the input's own mode (RGBA keeps its alpha).

Strategies (``L`` = :func:`work_limit`: the model's ``max_side``, else twice its working size,
else 1024 px for OpenCV's methods):

* ``original``: the whole image at its own size.
* ``resize``: shrink so the long side is at most ``resize_limit`` (default ``L``), inpaint,
  upscale, paste back only the hole pixels.
* ``crop``: a box around each connected mask region plus a margin (a fraction of the region's
  long side), shrunk to ``L`` when larger, inpainted and pasted back (holes only).
* ``auto``: ``original`` when the long side is at most ``L``; otherwise ``crop`` when the boxes
  around the mask regions are small against the image, else ``resize``.

Depth: a model that fills only so deep into a hole (:meth:`~inpainting.hub.InpaintingModel.unreached`:
a partial-convolution U-Net leaves the pixels beyond its receptive field flat grey) gets the core it
cannot reach from a second, smaller run where it reaches every pixel (:func:`reach_side`), blended over
a few pixels into the first run's fill (:func:`predict`); every strategy goes through it.

Colour: a photo whose known pixels are all grey (a black-and-white photo saved as RGB) gets a grey fill
(:func:`keep_grey`); a learned model trained on colour photos would otherwise tint it.

Whatever the strategy, the hole's pixels are cleared before any resizing and a pixel at any
scale is a hole when any full-size hole pixel falls in it (:func:`scale_hole`), so no result
depends on what was under the hole.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from inpainting.io import ImageLike, InputError, load_image, load_mask

__all__ = ["STRATEGIES", "DEFAULT_MAX_PIXELS", "inpaint", "run_model", "plan_crops", "choose_strategy", "reach_side", "predict",
           "keep_grey"]

STRATEGIES = ("auto", "original", "resize", "crop")
DEFAULT_MAX_PIXELS = 36_000_000  # e.g. 6000×6000; larger inputs are refused before any allocation
_CLASSICAL_LIMIT = 1024
_MIN_REACH_SIDE = 64  # reach_side never shrinks below this
_CORE_FEATHER = 8  # pixels over which predict blends the smaller run's core into the fill
_GREY_TOLERANCE = 2  # a known pixel is grey when its R, G and B differ by at most this (8-bit levels)


def work_limit(model) -> int | None:
    """The largest side ``model`` is run at: its ``max_side`` when it has one (PatchMatch: its
    time budget; a checkpoint: the side up to which it was measured to fill better at full size,
    ``inpainting_hub.max_side`` in its config), else twice a learned model's working size
    (``native_size``), else None (OpenCV's methods: any size). The resolution-policy table in
    RESULTS.md (``python -m benchmarks.resolution_policy``) is where these come from."""
    side = getattr(model, "max_side", None)
    if side:
        return int(side)
    native = getattr(model, "native_size", None)
    return 2 * int(native) if native else None


def _default_resize_limit(model) -> int:
    return work_limit(model) or _CLASSICAL_LIMIT


def _unreached(model, hole: np.ndarray) -> np.ndarray | None:
    """The hole pixels ``model`` gives no fill at this size (H×W bool), on exactly the padded mask
    :func:`run_model` passes; None for a model that reaches any depth."""
    unreached = getattr(model, "unreached", None)
    if not callable(unreached):
        return None
    _, mask = model_inputs(model, np.zeros((*hole.shape, 3), np.uint8), hole)
    with torch.inference_mode():
        left = unreached(mask)
    if left is None:
        return None
    return left[0, 0, :hole.shape[0], :hole.shape[1]].bool().cpu().numpy() & hole


def reach_side(model, hole: np.ndarray, long_side: int) -> int:
    """The long side (at most ``long_side``) at which ``model`` gives every hole pixel a fill: the
    first of ``long_side``, 85 % of it, 85 % of that, ... at which the model's mask path
    (:meth:`~inpainting.hub.InpaintingModel.unreached`) leaves no pixel of the shrunk hole
    (:func:`scale_hole`) unreached; never under 64 px. ``long_side`` itself for a model that
    reaches any depth."""
    h, w = hole.shape
    side = long_side
    while True:
        scale = side / max(h, w)
        small = scale_hole(hole, (max(1, round(w * scale)), max(1, round(h * scale)))) if scale < 1 else hole.astype(bool)
        left = _unreached(model, small)
        if left is None or not left.any():
            return side
        if side <= _MIN_REACH_SIDE:
            return side  # the best there is: the fewest unreached pixels
        side = max(_MIN_REACH_SIDE, int(side * 0.85))


def predict(model, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``model``'s H×W×3 uint8 prediction at this size (not composited). Where the hole is deeper
    than the model reaches here (:func:`_unreached`), those pixels come from a run at
    :func:`reach_side` instead (upscaled), blended linearly over ``_CORE_FEATHER`` pixels around
    them into this size's fill, so a wide object removal gets a coarse fill in its middle, not a flat
    grey, and keeps the full-resolution fill everywhere the model reaches. A model with a
    ``core_depth`` (:class:`~inpainting.models.pconv_unet.PConvUNet`) has its hole pixels deeper than
    that (distance to the nearest known pixel, at this size) taken from the smaller run too."""
    pred = _to_uint8(run_model(model, rgb, hole))
    core = _unreached(model, hole)
    depth = float(getattr(model, "core_depth", 0) or 0)
    if depth and hole.any():  # also the pixels deeper than the model's core_depth
        deep = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > depth
        core = deep if core is None else core | deep
    if core is None or not core.any():
        return pred
    h, w = hole.shape
    if max(h, w) <= _MIN_REACH_SIDE:
        return pred  # no smaller run to take the core from
    side = reach_side(model, hole, max(_MIN_REACH_SIDE, int(max(h, w) * 0.85)))  # this size is known short
    small_rgb, small_hole = _scaled(rgb, hole, side)
    coarse = _resize(_to_uint8(run_model(model, small_rgb, small_hole)), (w, h))
    outside = cv2.distanceTransform((~core).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    weight = np.clip(1.0 - outside / _CORE_FEATHER, 0.0, 1.0)[..., None]
    return np.clip(np.round(weight * coarse + (1.0 - weight) * pred), 0, 255).astype(np.uint8)


def keep_grey(filled: np.ndarray, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``filled`` (H×W×3 uint8) with its hole pixels turned grey when every known pixel of ``rgb`` is
    grey (R, G and B within ``_GREY_TOLERANCE`` levels): a black-and-white photo keeps no colour in its
    fill. The grey is the fill's own luma (ITU-R 601, as PIL's ``convert("L")``, the conversion an
    ``L`` input goes through anyway). A photo with any coloured known pixel is returned as it is."""
    if hole.all() or not hole.any():
        return filled
    r, g, b = cv2.split(rgb)  # OpenCV, no copy of the known pixels: this runs for every model and photo
    spread = cv2.max(cv2.absdiff(r, g), cv2.max(cv2.absdiff(g, b), cv2.absdiff(r, b)))
    spread[hole] = 0
    if int(spread.max()) > _GREY_TOLERANCE:
        return filled
    ys, xs = np.nonzero(hole.any(axis=1))[0], np.nonzero(hole.any(axis=0))[0]
    box = (slice(ys[0], ys[-1] + 1), slice(xs[0], xs[-1] + 1))  # the luma of the hole's bounding box only
    luma = np.asarray(Image.fromarray(np.ascontiguousarray(filled[box])).convert("L"))
    out = filled.copy()
    out[box][hole[box]] = luma[hole[box]][:, None]
    return out


def model_inputs(model, rgb: np.ndarray, hole: np.ndarray, *, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The tensors :func:`run_model` passes to ``model``: ``(image * (1 - mask), mask)`` on the
    model's device and dtype, padded to the model's ``pad_multiple`` (at least two multiples per
    side; reflect where the pad is smaller than the side, else replicate), repeated ``batch`` times.
    Benchmarks time ``model(*model_inputs(...))`` to measure exactly what inference runs."""
    h, w = hole.shape
    multiple = max(1, int(getattr(model, "pad_multiple", 1) or 1))
    # At least two multiples per side: a thin crop must not shrink a model's deepest feature map
    # to one pixel, where reflect padding inside the model raises.
    pad_h = max(h + (-h) % multiple, 2 * multiple) - h
    pad_w = max(w + (-w) % multiple, 2 * multiple) - w
    device = getattr(model, "device", torch.device("cpu"))
    dtype = next((p.dtype for p in model.parameters()), torch.float32)
    image = torch.from_numpy(np.array(rgb, dtype=np.uint8)).to(device).permute(2, 0, 1)[None].to(dtype) / 255.0
    mask = torch.from_numpy(np.array(hole, dtype=bool)).to(device)[None, None].to(dtype)
    if pad_h or pad_w:
        # "reflect" needs the pad to be smaller than the side; replicate works for any size.
        mode = "reflect" if pad_h < h and pad_w < w else "replicate"
        image = F.pad(image, (0, pad_w, 0, pad_h), mode=mode)
        mask = F.pad(mask, (0, pad_w, 0, pad_h), mode=mode)
    if batch > 1:
        image, mask = image.expand(batch, -1, -1, -1).contiguous(), mask.expand(batch, -1, -1, -1).contiguous()
    return image * (1 - mask), mask


@torch.inference_mode()
def run_model(model, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Run ``model`` once on an H×W×3 uint8 array and an H×W boolean hole mask.

    Pads (see :func:`model_inputs`), passes ``image * (1 - mask)`` and returns the model's H×W×3
    float32 prediction in [0, 1] (not yet composited).
    """
    h, w = hole.shape
    image, mask = model_inputs(model, rgb, hole)
    pred = model(image, mask)
    if not isinstance(pred, torch.Tensor) or pred.shape != image.shape:
        raise RuntimeError(
            f"{type(model).__name__} returned {getattr(pred, 'shape', type(pred))}, expected {tuple(image.shape)}"
        )
    pred = pred[0, :, :h, :w].float().clamp(0, 1).permute(1, 2, 0)
    return pred.cpu().numpy()


def _to_uint8(pred: np.ndarray) -> np.ndarray:
    return np.clip(np.round(pred * 255.0), 0, 255).astype(np.uint8)


def _resize(array: np.ndarray, size: tuple[int, int], *, nearest: bool = False) -> np.ndarray:
    """Resize an array to ``(width, height)``: area when shrinking, bicubic when enlarging."""
    w, h = size
    if (array.shape[1], array.shape[0]) == (w, h):
        return array
    if nearest:
        interp = cv2.INTER_NEAREST
    else:
        interp = cv2.INTER_AREA if w < array.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(array, (w, h), interpolation=interp)


def _scaled(rgb: np.ndarray, hole: np.ndarray, long_side: int) -> tuple[np.ndarray, np.ndarray]:
    h, w = hole.shape
    scale = long_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small_rgb = _resize(rgb, size)
    return small_rgb, scale_hole(hole, size)


def scale_hole(hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The H×W boolean ``hole`` at ``size`` = ``(width, height)``: a pixel at the new scale is a hole
    when any hole pixel of the full-size mask contributes to it (area weights when shrinking,
    bilinear weights when enlarging), so no hole pixel is ever seen as known at any scale."""
    w, h = size
    if (hole.shape[1], hole.shape[0]) == (w, h):
        return hole.astype(bool)
    interp = cv2.INTER_AREA if w < hole.shape[1] or h < hole.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(hole.astype(np.float32), (w, h), interpolation=interp) > 0


def _run_resized(model, rgb: np.ndarray, hole: np.ndarray, long_side: int) -> np.ndarray:
    """Inpaint at ``long_side`` (if smaller than the image) and return a full-size uint8 prediction."""
    h, w = hole.shape
    if max(h, w) <= long_side:
        return predict(model, rgb, hole)
    small_rgb, small_hole = _scaled(rgb, hole, long_side)
    pred = predict(model, small_rgb, small_hole)
    return _resize(pred, (w, h))


@dataclass(frozen=True)
class Box:
    """A crop box, ``[top, bottom)`` × ``[left, right)`` in pixels."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def area(self) -> int:
        return (self.bottom - self.top) * (self.right - self.left)

    def overlaps(self, other: "Box") -> bool:
        return not (self.bottom <= other.top or other.bottom <= self.top or self.right <= other.left or other.right <= self.left)

    def union(self, other: "Box") -> "Box":
        return Box(min(self.top, other.top), min(self.left, other.left), max(self.bottom, other.bottom), max(self.right, other.right))


def plan_crops(hole: np.ndarray, *, margin: float = 0.5, min_margin: int = 32) -> list[Box]:
    """Boxes around each connected hole region, grown by ``max(min_margin, margin × long side)`` on
    every side (the region's long side, so a thin stroke gets context across it, not a sliver) and
    clipped to the image; overlapping boxes are merged so no hole pixel is filled twice."""
    h, w = hole.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes = []
    for x, y, bw, bh, _area in stats[1:count]:
        m_y = m_x = max(min_margin, int(math.ceil(margin * max(bw, bh))))
        boxes.append(Box(max(0, y - m_y), max(0, x - m_x), min(h, y + bh + m_y), min(w, x + bw + m_x)))
    merged = True
    while merged:
        merged = False
        out: list[Box] = []
        for box in boxes:
            for i, other in enumerate(out):
                if box.overlaps(other):
                    out[i] = other.union(box)
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return sorted(boxes, key=lambda b: (b.top, b.left))


def choose_strategy(model, hole: np.ndarray, *, resize_limit: int | None = None) -> str:
    """The strategy ``auto`` picks (see module docstring)."""
    limit = resize_limit or _default_resize_limit(model)
    h, w = hole.shape
    if max(h, w) <= limit:
        return "original"
    boxes = plan_crops(hole)
    if sum(b.area for b in boxes) <= 0.5 * h * w:
        return "crop"
    return "resize"


def inpaint(
    model,
    image: ImageLike,
    mask: ImageLike,
    *,
    strategy: str = "auto",
    resize_limit: int | None = None,
    crop_margin: float = 0.5,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Fill the hole of ``image`` given by ``mask`` (255 / True = hole) with ``model``.

    Args:
        model: any model from :func:`inpainting.load_model` or :func:`inpainting.create_model`.
        image: PIL image, numpy array (H×W, H×W×3, H×W×4; uint8, uint16 or float in [0, 1]) or path.
        mask: same size as the upright image; L, RGB, RGBA (alpha), boolean or numeric array, or path.
        strategy: ``auto``, ``original``, ``resize`` or ``crop`` (module docstring).
        resize_limit: long side for ``resize``, for each ``crop`` and the ``auto`` threshold (default
            :func:`work_limit`, or 1024 px for a model with none).
        crop_margin: context around each hole region for ``crop``, as a fraction of the region's side.
        max_pixels: larger images are refused with :class:`~inpainting.io.InputError`.

    Returns:
        A PIL image of the input's (upright) size and mode; pixels outside the hole unchanged.
    """
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; accepted: {', '.join(STRATEGIES)}")
    loaded = load_image(image)
    width, height = loaded.size
    if width * height > max_pixels:
        raise InputError(
            f"image is {width}×{height} = {width * height / 1e6:.1f} megapixels, over the limit of "
            f"{max_pixels / 1e6:.1f} megapixels; shrink it or raise max_pixels"
        )
    hole = load_mask(mask, size=loaded.size)
    if not hole.any():
        return loaded.pil.copy()
    if hole.all():
        name = f"mask file {mask}" if isinstance(mask, (str, os.PathLike)) else "the mask"
        raise InputError(
            f"{name} covers the whole {width}×{height} image, so no known pixel is left to fill from; "
            "accepted: a mask that leaves part of the image unmasked (white/255 = hole)"
        )
    # The hole's pixels are cleared before any resizing, so no strategy can let them leak into
    # the result (interpolation would otherwise mix them into the neighbouring known pixels).
    rgb = loaded.rgb.copy()
    rgb[hole] = 0
    limit = resize_limit or _default_resize_limit(model)
    if strategy == "auto":
        strategy = choose_strategy(model, hole, resize_limit=limit)

    if strategy == "original":
        filled = predict(model, rgb, hole)
    elif strategy == "resize":
        filled = _run_resized(model, rgb, hole, limit)
    else:  # crop
        filled = rgb.copy()
        for box in plan_crops(hole, margin=crop_margin):
            crop_rgb = rgb[box.top:box.bottom, box.left:box.right]
            crop_hole = hole[box.top:box.bottom, box.left:box.right]
            long_side = min(max(crop_hole.shape), limit)
            filled[box.top:box.bottom, box.left:box.right] = _run_resized(model, crop_rgb, crop_hole, long_side)
    return loaded.to_mode(keep_grey(filled, loaded.rgb, hole), hole)
