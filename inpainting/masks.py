"""Seeded hole-mask generators for training and evaluation, and the NVIDIA irregular mask reader.

Every generator is a plain function ``fn(rng, size, *, options) -> np.ndarray`` where ``rng`` is a
:class:`numpy.random.Generator` (never the global ``np.random``), ``size`` is ``(H, W)`` and the
result is a ``uint8`` H×W array with **1 = hole, 0 = known**. The same seed gives the same mask.

>>> rng = np.random.default_rng(0)
>>> mask = get_mask_generator("thick")(rng, (256, 256))   # LaMa's "thick" evaluation masks
>>> mask.dtype, mask.shape, mask_ratio(mask) <= 0.5
(dtype('uint8'), (256, 256), True)

Pixel quantities (line thickness, box sides, stroke width and length) are given at a
``reference_size`` and scaled by ``min(H, W) / reference_size``, so a preset keeps its look and its
hole ratio at 32, 64, 256 or 512 px. The hole-ratio ranges quoted below are the 2nd-98th
percentiles measured over seeds 0-999 at 64 px and 0-399 at 256 px, followed by a bound that held
for every sample (rounded outwards, checked by tests/test_masks.py); only the LaMa presets' upper
bound of 0.5 is guaranteed by construction.

Sources: the CIFAR-10 and CelebA inpainting reports (random cv2 lines), the Places GAN report
(rectangles, circles, ellipses), GLCIC (Iizuka et al. 2017, https://arxiv.org/abs/1606.04539, centre
box and random boxes), DeepFill v2 (Yu et al. 2019, https://arxiv.org/abs/1806.03589, free-form
brush strokes), LaMa (Suvorov et al. 2022, https://arxiv.org/abs/2109.07161, thin / medium / thick
evaluation masks and the mixture generator) and PConv (Liu et al. 2018,
https://arxiv.org/abs/1804.07723, the NVIDIA irregular mask test set).
"""
from __future__ import annotations

import math
import os
import re
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Sequence, Union

import cv2
import numpy as np
from PIL import Image

__all__ = [
    "BUCKETS",
    "MASK_PRESETS",
    "Bucket",
    "get_bucket",
    "MaskGenerator",
    "MixtureMaskGenerator",
    "DrawnAt",
    "NvidiaIrregularMasks",
    "center_box",
    "free_form_strokes",
    "get_mask_generator",
    "lama_strokes",
    "mask_ratio",
    "random_boxes",
    "random_circles",
    "random_ellipses",
    "random_lines",
    "random_rectangles",
    "random_shapes",
]

MaskGenerator = Callable[[np.random.Generator, tuple], np.ndarray]
IntRange = Union[int, Sequence[int]]
FloatRange = Union[float, Sequence[float]]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def mask_ratio(mask: np.ndarray) -> float:
    """Fraction of hole pixels (non-zero entries) in a mask of any shape: 0.0 to 1.0."""
    mask = np.asarray(mask)
    if mask.size == 0:
        raise ValueError("mask_ratio: the mask is empty (size 0)")
    return float(np.count_nonzero(mask)) / mask.size


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _check_size(size) -> tuple[int, int]:
    try:
        h, w = size
        ok = int(h) == h and int(w) == w and h > 0 and w > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"size must be (H, W) with two positive integers, got {size!r}")
    return int(h), int(w)


def _scale(size: tuple[int, int], reference_size: float | None) -> float:
    """Factor for pixel quantities given at ``reference_size`` (None: no scaling)."""
    if reference_size is None:
        return 1.0
    if reference_size <= 0:
        raise ValueError(f"reference_size must be positive or None, got {reference_size!r}")
    return min(size) / reference_size


def _int_range(value: IntRange, name: str, *, minimum: int = 0) -> tuple[int, int]:
    """An int or an inclusive (low, high) pair, checked."""
    low, high = (value, value) if np.isscalar(value) else tuple(value)
    if int(low) != low or int(high) != high or not minimum <= low <= high:
        raise ValueError(
            f"{name} must be an integer or an inclusive (low, high) pair with "
            f"{minimum} <= low <= high, got {value!r}"
        )
    return int(low), int(high)


def _float_range(value: FloatRange, name: str, *, low_bound: float, high_bound: float) -> tuple[float, float]:
    low, high = (value, value) if np.isscalar(value) else tuple(value)
    if not low_bound <= low <= high <= high_bound:
        raise ValueError(
            f"{name} must be a number or a (low, high) pair within [{low_bound}, {high_bound}] "
            f"with low <= high, got {value!r}"
        )
    return float(low), float(high)


def _randint(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    """Uniform integer in the inclusive range ``bounds``."""
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _thickness(value: float) -> int:
    return max(1, int(round(value)))


# --------------------------------------------------------------------------------------------
# lines (CIFAR-10 and CelebA reports)
# --------------------------------------------------------------------------------------------

def random_lines(
    rng: np.random.Generator,
    size: tuple[int, int],
    *,
    num_lines: IntRange = (1, 9),
    thickness: IntRange = (1, 2),
    reference_size: float | None = 32,
) -> np.ndarray:
    """Straight lines between uniformly random end points, drawn with ``cv2.line``.

    The CIFAR-10 report draws 1-9 lines of thickness 1-2 px on 32×32 images (the defaults); the
    CelebA report draws 7 lines of thickness 7-12 px at 178 px (preset ``"celeba-lines"``).

    Args:
        num_lines (int | (int, int)): number of lines, or an inclusive range. Default (1, 9).
        thickness (int | (int, int)): line thickness in px at ``reference_size``, inclusive range.
            Default (1, 2).
        reference_size (float | None): image side the thickness is given at; it is scaled by
            ``min(H, W) / reference_size`` (at least 1 px). None: absolute pixels. Default 32.

    Hole ratio ("lines"): 0.017-0.30 at 64 px, 0.011-0.26 at 256 px; all within [0.005, 0.36].
    Hole ratio ("celeba-lines"): 0.18-0.33 at 64 px, 0.13-0.27 at 256 px; all within [0.10, 0.40].
    """
    _check_rng(rng)
    h, w = _check_size(size)
    n_range = _int_range(num_lines, "num_lines")
    t_range = _int_range(thickness, "thickness", minimum=1)
    scale = _scale((h, w), reference_size)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(_randint(rng, n_range)):
        x1, x2 = (int(v) for v in rng.integers(0, w, size=2))
        y1, y2 = (int(v) for v in rng.integers(0, h, size=2))
        cv2.line(mask, (x1, y1), (x2, y2), 1, _thickness(_randint(rng, t_range) * scale))
    return mask


# --------------------------------------------------------------------------------------------
# rectangles, circles, ellipses (Places GAN report)
# --------------------------------------------------------------------------------------------

def _draw_rectangle(mask: np.ndarray, rng: np.random.Generator, extent: tuple[float, float]) -> None:
    h, w = mask.shape
    box_h = max(1, int(round(rng.uniform(*extent) * h)))
    box_w = max(1, int(round(rng.uniform(*extent) * w)))
    top = int(rng.integers(0, h - box_h + 1))
    left = int(rng.integers(0, w - box_w + 1))
    mask[top:top + box_h, left:left + box_w] = 1


def _draw_circle(mask: np.ndarray, rng: np.random.Generator, extent: tuple[float, float]) -> None:
    h, w = mask.shape
    radius = max(1, int(round(rng.uniform(*extent) * min(h, w) / 2)))
    centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
    cv2.circle(mask, centre, radius, 1, thickness=-1)


def _draw_ellipse(mask: np.ndarray, rng: np.random.Generator, extent: tuple[float, float]) -> None:
    h, w = mask.shape
    axes = tuple(max(1, int(round(rng.uniform(*extent) * min(h, w) / 2))) for _ in range(2))
    centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
    angle = float(rng.uniform(0.0, 180.0))
    cv2.ellipse(mask, centre, axes, angle, 0.0, 360.0, 1, thickness=-1)


_SHAPE_DRAWERS = {"rectangle": _draw_rectangle, "circle": _draw_circle, "ellipse": _draw_ellipse}


def _draw_shapes(rng, size, *, kinds: Sequence[str], count: IntRange, extent: FloatRange) -> np.ndarray:
    _check_rng(rng)
    h, w = _check_size(size)
    n_range = _int_range(count, "count")
    extent = _float_range(extent, "extent", low_bound=0.0, high_bound=1.0)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(_randint(rng, n_range)):
        kind = kinds[int(rng.integers(len(kinds)))]
        _SHAPE_DRAWERS[kind](mask, rng, extent)
    return mask


def random_rectangles(
    rng: np.random.Generator, size: tuple[int, int], *, count: IntRange = (1, 3),
    extent: FloatRange = (0.1, 0.4),
) -> np.ndarray:
    """Filled axis-aligned rectangles lying inside the image (Places GAN report).

    Args:
        count (int | (int, int)): number of rectangles, inclusive range. Default (1, 3).
        extent (float | (float, float)): each side as a fraction of the image side, drawn
            uniformly and independently for height and width. Default (0.1, 0.4).

    Hole ratio: 0.023-0.26 at 64 and 256 px; all within [0.005, 0.37]. Rectangles may overlap.
    """
    return _draw_shapes(rng, size, kinds=("rectangle",), count=count, extent=extent)


def random_circles(
    rng: np.random.Generator, size: tuple[int, int], *, count: IntRange = (1, 3),
    extent: FloatRange = (0.2, 0.6),
) -> np.ndarray:
    """Filled circles with uniformly random centres, possibly cut by the border (Places GAN report).

    Args:
        count (int | (int, int)): number of circles, inclusive range. Default (1, 3).
        extent (float | (float, float)): diameter as a fraction of ``min(H, W)``. Default (0.2, 0.6).

    Hole ratio: 0.03-0.45 at 64 and 256 px; all within [0.01, 0.55].
    """
    return _draw_shapes(rng, size, kinds=("circle",), count=count, extent=extent)


def random_ellipses(
    rng: np.random.Generator, size: tuple[int, int], *, count: IntRange = (1, 3),
    extent: FloatRange = (0.1, 0.6),
) -> np.ndarray:
    """Filled ellipses at a random angle with random centres, possibly cut by the border.

    Args:
        count (int | (int, int)): number of ellipses, inclusive range. Default (1, 3).
        extent (float | (float, float)): each axis (diameter) as a fraction of ``min(H, W)``,
            drawn independently. Default (0.1, 0.6).

    Hole ratio: 0.025-0.37 at 64 and 256 px; all within [0.005, 0.50].
    """
    return _draw_shapes(rng, size, kinds=("ellipse",), count=count, extent=extent)


def random_shapes(
    rng: np.random.Generator, size: tuple[int, int], *, count: IntRange = (1, 4),
    extent: FloatRange = (0.1, 0.4),
) -> np.ndarray:
    """A mix of rectangles, circles and ellipses, each shape's kind drawn uniformly.

    Args:
        count (int | (int, int)): number of shapes, inclusive range. Default (1, 4).
        extent (float | (float, float)): shape size as a fraction of the image side (rectangle
            sides, circle diameter, ellipse axes). Default (0.1, 0.4).

    Hole ratio: 0.015-0.29 at 64 and 256 px; all within [0.005, 0.38].
    """
    return _draw_shapes(rng, size, kinds=tuple(_SHAPE_DRAWERS), count=count, extent=extent)


def object_blobs(
    rng: np.random.Generator, size: tuple[int, int], *, count: IntRange = (1, 2),
    extent: FloatRange = (0.2, 0.5), margin: float = 0.02,
) -> np.ndarray:
    """Object-sized blobs, as a visitor paints over a thing to remove it: each is the union of 3-5
    overlapping ellipses (an irregular, compact silhouette) grown by a brush ``margin``.

    Args:
        count (int | (int, int)): number of objects, inclusive range. Default (1, 2).
        extent (float | (float, float)): each object's height as a fraction of ``min(H, W)``;
            its width is 0.4-1.0 × that. Default (0.2, 0.5).
        margin (float): the brush margin around the silhouette, as a fraction of ``min(H, W)``.

    Hole ratio at 64 and 256 px: 0.01-0.45 (median 0.14 at 256 px over 1,000 seeds).
    """
    h, w = _check_size(size)
    low, high = _float_range(extent, "extent", low_bound=0.0, high_bound=1.0)
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    for _ in range(_randint(rng, _int_range(count, "count", minimum=1))):
        height = rng.uniform(low, high) * side
        width = height * rng.uniform(0.4, 1.0)
        cy, cx = rng.uniform(0.15, 0.85) * h, rng.uniform(0.15, 0.85) * w
        for _ in range(int(rng.integers(3, 6))):
            oy, ox = rng.uniform(-0.3, 0.3) * height, rng.uniform(-0.3, 0.3) * width
            axes = (max(1, int(rng.uniform(0.25, 0.5) * width)), max(1, int(rng.uniform(0.25, 0.5) * height)))
            cv2.ellipse(mask, (int(cx + ox), int(cy + oy)), axes, float(rng.uniform(-30, 30)), 0, 360, 1, -1)
    grow = int(round(margin * side))
    if grow > 0:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return mask


# --------------------------------------------------------------------------------------------
# boxes (GLCIC)
# --------------------------------------------------------------------------------------------

def center_box(
    rng: np.random.Generator, size: tuple[int, int], *, box_size: int = 50,
    reference_size: float | None = 128,
) -> np.ndarray:
    """One square hole in the middle of the image (GLCIC report's 50×50 box). ``rng`` is unused.

    Args:
        box_size (int): side of the square in px at ``reference_size``. Default 50.
        reference_size (float | None): image side ``box_size`` is given at; None: absolute pixels.
            Default 128, so the box covers (50/128)² = 15.3 % of a square image at any size.

    Hole ratio: fixed, 0.153 at 64 and 256 px with the defaults (0.141 at 32 px: a 12 px box).
    """
    _check_rng(rng)
    h, w = _check_size(size)
    side = _thickness(_int_range(box_size, "box_size", minimum=1)[0] * _scale((h, w), reference_size))
    if side > min(h, w):
        raise ValueError(f"center_box: a {side} px box does not fit in a {h}×{w} image")
    mask = np.zeros((h, w), np.uint8)
    top, left = (h - side) // 2, (w - side) // 2
    mask[top:top + side, left:left + side] = 1
    return mask


def random_boxes(
    rng: np.random.Generator,
    size: tuple[int, int],
    *,
    count: IntRange = (1, 3),
    box_size: IntRange = 50,
    margin: int = 0,
    reference_size: float | None = 128,
) -> np.ndarray:
    """Axis-aligned boxes at uniformly random positions inside the image (GLCIC training holes).

    Args:
        count (int | (int, int)): number of boxes, inclusive range. Default (1, 3).
        box_size (int | (int, int)): box side in px at ``reference_size``; a range draws height and
            width independently (GLCIC: [96, 128] at 256 px). Default 50 (square boxes).
        margin (int): keep-out border in px at ``reference_size``. Default 0.
        reference_size (float | None): image side sizes are given at; None: absolute pixels.
            Default 128.

    Hole ratio with the defaults: 0.153-0.42 at 64 and 256 px; all within [0.15, 0.47] (one box
    covers 0.153; boxes may overlap).
    """
    _check_rng(rng)
    h, w = _check_size(size)
    n_range = _int_range(count, "count")
    side_range = _int_range(box_size, "box_size", minimum=1)
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    scale = _scale((h, w), reference_size)
    margin_px = int(round(margin * scale))
    low, high = (_thickness(v * scale) for v in side_range)
    if high + 2 * margin_px > min(h, w):
        raise ValueError(
            f"random_boxes: boxes up to {high} px with a {margin_px} px margin do not fit in a "
            f"{h}×{w} image; use a smaller box_size or margin, or a reference_size"
        )
    mask = np.zeros((h, w), np.uint8)
    for _ in range(_randint(rng, n_range)):
        box_h, box_w = _randint(rng, (low, high)), _randint(rng, (low, high))
        top = int(rng.integers(margin_px, h - margin_px - box_h + 1))
        left = int(rng.integers(margin_px, w - margin_px - box_w + 1))
        mask[top:top + box_h, left:left + box_w] = 1
    return mask


# --------------------------------------------------------------------------------------------
# brush strokes (DeepFill v2, LaMa)
# --------------------------------------------------------------------------------------------

def free_form_strokes(
    rng: np.random.Generator,
    size: tuple[int, int],
    *,
    strokes: IntRange = (1, 3),
    vertices: IntRange = (4, 11),
    width: tuple[float, float] = (12, 40),
    mean_angle: float = 2 * math.pi / 5,
    angle_range: float = 2 * math.pi / 15,
    reference_size: float | None = 256,
) -> np.ndarray:
    """Free-form brush strokes as in DeepFill v2's ``brush_stroke_mask`` (Yu et al. 2019, Alg. 1).

    Each stroke is a polyline of ``vertices`` segments with alternating turn angles around
    ``mean_angle`` and segment lengths ~ N(r, r/2) clipped to [0, 2r], r = image diagonal / 8,
    drawn with round joints; the mask is then flipped left-right and up-down with probability 1/2.

    Args:
        strokes (int | (int, int)): number of strokes, inclusive range. Default (1, 3).
        vertices (int | (int, int)): segments per stroke, inclusive range. Default (4, 11).
        width ((float, float)): brush width range in px at ``reference_size``. Default (12, 40).
        mean_angle (float): mean turning angle in radians. Default 2π/5.
        angle_range (float): spread of the turning angle in radians. Default 2π/15.
        reference_size (float | None): image side the width is given at. Default 256.

    Hole ratio: 0.036-0.36 at 64 px, 0.033-0.35 at 256 px; all within [0.005, 0.56].
    """
    _check_rng(rng)
    h, w = _check_size(size)
    s_range = _int_range(strokes, "strokes")
    v_range = _int_range(vertices, "vertices", minimum=1)
    w_low, w_high = _float_range(width, "width", low_bound=0.0, high_bound=math.inf)
    scale = _scale((h, w), reference_size)
    radius = math.sqrt(h * h + w * w) / 8
    mask = np.zeros((h, w), np.uint8)
    for _ in range(_randint(rng, s_range)):
        n = _randint(rng, v_range)
        angle_min = mean_angle - rng.uniform(0, angle_range)
        angle_max = mean_angle + rng.uniform(0, angle_range)
        points = [(int(rng.integers(0, w)), int(rng.integers(0, h)))]
        for i in range(n):
            angle = rng.uniform(angle_min, angle_max)
            angle = 2 * math.pi - angle if i % 2 == 0 else angle
            length = float(np.clip(rng.normal(radius, radius / 2), 0, 2 * radius))
            x = int(np.clip(points[-1][0] + length * math.cos(angle), 0, w - 1))
            y = int(np.clip(points[-1][1] + length * math.sin(angle), 0, h - 1))
            points.append((x, y))
        brush = _thickness(rng.uniform(w_low, w_high) * scale)
        for start, end in zip(points[:-1], points[1:]):
            cv2.line(mask, start, end, 1, brush)
        for point in points:
            cv2.circle(mask, point, brush // 2, 1, thickness=-1)
    if rng.random() < 0.5:
        mask = mask[:, ::-1]
    if rng.random() < 0.5:
        mask = mask[::-1, :]
    return np.ascontiguousarray(mask)


def lama_strokes(
    rng: np.random.Generator,
    size: tuple[int, int],
    *,
    times: IntRange = (0, 10),
    max_width: int = 20,
    max_len: int = 60,
    max_angle: int = 4,
    reference_size: float | None = 256,
) -> np.ndarray:
    """LaMa's ``make_random_irregular_mask``: random walks of thick line segments.

    Each of ``times`` strokes starts at a random pixel and takes 1-5 segments of length
    ``10 + U{0, max_len - 1}`` and width ``5 + U{0, max_width - 1}`` (px at ``reference_size``),
    turning by ``0.01 + U{0, max_angle - 1}`` radians (mirrored on even strokes), as in LaMa.

    Args:
        times (int | (int, int)): number of strokes, inclusive range. Default (0, 10).
        max_width (int): width spread in px at ``reference_size``. Default 20.
        max_len (int): length spread in px at ``reference_size``. Default 60.
        max_angle (int): number of distinct turning angles. Default 4.
        reference_size (float | None): image side the sizes are given at. Default 256.

    Hole ratios of the LaMa presets are given in :data:`MASK_PRESETS`.
    """
    _check_rng(rng)
    h, w = _check_size(size)
    t_range = _int_range(times, "times")
    for name, value in (("max_width", max_width), ("max_len", max_len), ("max_angle", max_angle)):
        _int_range(value, name, minimum=1)
    scale = _scale((h, w), reference_size)
    mask = np.zeros((h, w), np.uint8)
    for i in range(_randint(rng, t_range)):
        x, y = int(rng.integers(w)), int(rng.integers(h))
        for _ in range(1 + int(rng.integers(5))):
            angle = 0.01 + int(rng.integers(max_angle))
            if i % 2 == 0:
                angle = 2 * math.pi - angle
            length = (10 + int(rng.integers(max_len))) * scale
            brush = _thickness((5 + int(rng.integers(max_width))) * scale)
            end_x = int(np.clip(x + length * math.sin(angle), 0, w))
            end_y = int(np.clip(y + length * math.cos(angle), 0, h))
            cv2.line(mask, (x, y), (end_x, end_y), 1, brush)
            x, y = end_x, end_y
    return mask


# --------------------------------------------------------------------------------------------
# mixture (LaMa's MixedMaskGenerator)
# --------------------------------------------------------------------------------------------

class MixtureMaskGenerator:
    """Draws the mask kind by probability, then a mask of that kind (LaMa's ``MixedMaskGenerator``).

    Callable as ``mixture(rng, size)`` like every generator, so mixtures nest and go in
    :data:`MASK_PRESETS`.

    Args:
        generators_with_weights (sequence of (generator, weight)): generators (callables or
            :data:`MASK_PRESETS` names) with non-negative weights, normalised to probabilities.
        max_hole_ratio (float | None): if set, masks that are empty or have a larger hole ratio are
            redrawn (LaMa's ``max_tamper_area`` filter). Default None (no filter).
        max_tries (int): redraws before giving up with a RuntimeError. Default 100.
    """

    def __init__(
        self,
        generators_with_weights: Iterable[tuple[Union[MaskGenerator, str], float]],
        *,
        max_hole_ratio: float | None = None,
        max_tries: int = 100,
    ):
        pairs = list(generators_with_weights)
        if not pairs:
            raise ValueError("MixtureMaskGenerator needs at least one (generator, weight) pair")
        generators, weights = [], []
        for pair in pairs:
            try:
                generator, weight = pair
            except (TypeError, ValueError):
                raise ValueError(f"expected (generator, weight) pairs, got {pair!r}") from None
            generator = get_mask_generator(generator) if isinstance(generator, str) else generator
            if not callable(generator):
                raise TypeError(f"generator must be callable(rng, size) or a preset name, got {generator!r}")
            if not (np.isfinite(weight) and weight >= 0):
                raise ValueError(f"weights must be finite and >= 0, got {weight!r}")
            generators.append(generator)
            weights.append(float(weight))
        total = sum(weights)
        if total <= 0:
            raise ValueError(f"at least one weight must be positive, got {weights}")
        if max_hole_ratio is not None and not 0 < max_hole_ratio <= 1:
            raise ValueError(f"max_hole_ratio must be in (0, 1] or None, got {max_hole_ratio!r}")
        if max_tries < 1:
            raise ValueError(f"max_tries must be >= 1, got {max_tries!r}")
        self.generators = tuple(generators)
        self.probabilities = tuple(w / total for w in weights)
        self.max_hole_ratio = max_hole_ratio
        self.max_tries = max_tries

    def choose(self, rng: np.random.Generator) -> int:
        """Index of the generator to use for the next mask."""
        return int(_check_rng(rng).choice(len(self.generators), p=self.probabilities))

    def __call__(self, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
        for _ in range(self.max_tries):
            mask = self.generators[self.choose(rng)](rng, size)
            if self.max_hole_ratio is None:
                return mask
            if 0 < mask_ratio(mask) <= self.max_hole_ratio:
                return mask
        raise RuntimeError(
            f"MixtureMaskGenerator: no mask with a hole ratio in (0, {self.max_hole_ratio}] at size "
            f"{tuple(size)} in {self.max_tries} tries; raise max_hole_ratio or change the generators"
        )

    def __repr__(self) -> str:
        parts = ", ".join(f"({_describe(g)}, {p:.3g})" for g, p in zip(self.generators, self.probabilities))
        return f"MixtureMaskGenerator([{parts}], max_hole_ratio={self.max_hole_ratio})"


def _describe(generator) -> str:
    if isinstance(generator, partial):
        options = ", ".join(f"{k}={v!r}" for k, v in generator.keywords.items())
        return f"{generator.func.__name__}({options})"
    return getattr(generator, "__name__", repr(generator))


# --------------------------------------------------------------------------------------------
# presets
# --------------------------------------------------------------------------------------------

def _lama_preset(strokes: dict, boxes: dict | None, box_weight: float) -> MixtureMaskGenerator:
    """LaMa's 256 px evaluation configs (configs/data_gen/random_{thin,medium,thick}_256.yaml)."""
    pairs = [(partial(lama_strokes, **strokes), 1.0)]
    if boxes is not None:
        pairs.append((partial(random_boxes, reference_size=256, **boxes), box_weight))
    return MixtureMaskGenerator(pairs, max_hole_ratio=0.5)


MASK_PRESETS: dict[str, MaskGenerator] = {
    # CIFAR-10 report: 1-9 lines, thickness 1-2 px at 32 px.
    "lines": partial(random_lines, num_lines=(1, 9), thickness=(1, 2), reference_size=32),
    # CelebA report: 7 lines, thickness 7-12 px at 178 px.
    "celeba-lines": partial(random_lines, num_lines=7, thickness=(7, 12), reference_size=178),
    "rectangles": random_rectangles,
    "circles": random_circles,
    "ellipses": random_ellipses,
    "shapes": random_shapes,
    # Object removal: 1-2 object-sized silhouettes (unions of ellipses) with a brush margin.
    "objects": object_blobs,
    # GLCIC report: a 50×50 box (at 128 px) in the centre; 1-3 such boxes anywhere for training.
    "center-box": partial(center_box, box_size=50, reference_size=128),
    "boxes": partial(random_boxes, count=(1, 3), box_size=50, reference_size=128),
    "strokes": free_form_strokes,
    # LaMa thin: 4-50 strokes, width 5-14, length 10-49 px at 256. Hole ratio 0.064-0.495 at 64 px,
    # 0.054-0.49 at 256 px; always in (0, 0.5] (redrawn otherwise), in practice above 0.03.
    "thin": _lama_preset(dict(times=(4, 50), max_width=10, max_len=40), None, 0.0),
    # LaMa medium: 4-5 strokes of width 5-54, length 10-109 (p = 1/1.3), or 1-5 boxes of side 10-49
    # (p = 0.3/1.3) at 256 px. Hole ratio 0.007-0.47 at 64 px, 0.009-0.45 at 256 px; always in
    # (0, 0.5].
    "medium": _lama_preset(
        dict(times=(4, 5), max_width=50, max_len=100),
        dict(count=(1, 5), box_size=(10, 49), margin=0), 0.3,
    ),
    # LaMa thick: 1-5 strokes of width 5-104, length 10-209 (p = 1/1.3), or 1-3 boxes of side
    # 30-149 with a 10 px margin (p = 0.3/1.3) at 256 px. Hole ratio 0.034-0.49 at 64 and 256 px;
    # always in (0, 0.5].
    "thick": _lama_preset(
        dict(times=(1, 5), max_width=100, max_len=200),
        dict(count=(1, 3), box_size=(30, 149), margin=10), 0.3,
    ),
}
"""Named generators, each callable as ``fn(rng, (H, W))``; the comments give the hole ratios."""


def get_mask_generator(name: str) -> MaskGenerator:
    """The preset generator called ``name`` (see :data:`MASK_PRESETS`)."""
    from inpainting.registry import lookup

    return lookup(MASK_PRESETS, name, "mask generator")


# Mixtures for training models that are evaluated on the NVIDIA irregular masks. Training on the
# NVIDIA test masks themselves would leak the evaluation set, so these generated masks stand in:
# "irregular": LaMa thin/medium/thick and free-form strokes, thick ones twice as likely. Hole ratio
# 0.03-0.49 (2nd-98th percentile) at 64 px; always within its parts' bounds, (0, 0.56].
MASK_PRESETS["irregular"] = MixtureMaskGenerator([("thin", 1.0), ("medium", 1.0), ("thick", 2.0), ("strokes", 1.0)])
# "lines-irregular": the CelebA report's thick lines one time in three, "irregular" otherwise.
MASK_PRESETS["lines-irregular"] = MixtureMaskGenerator([("celeba-lines", 1.0), ("irregular", 2.0)])


class DrawnAt:
    """Draw masks with ``generator`` at ``draw_size`` and resize them (nearest-neighbour) to the
    requested size, as the evaluation protocol does to the 512 px NVIDIA masks: thin strokes
    break into the same scattered fragments. Picklable, callable as ``fn(rng, (H, W))``.

    Args:
        generator (callable | str): a generator or a :data:`MASK_PRESETS` name.
        draw_size (int): side of the square canvas the mask is drawn on. Default 512.
    """

    def __init__(self, generator: Union[MaskGenerator, str], draw_size: int = 512):
        self.generator = get_mask_generator(generator) if isinstance(generator, str) else generator
        self.draw_size = int(draw_size)

    def __call__(self, rng: np.random.Generator, size: tuple) -> np.ndarray:
        h, w = _check_size(size)
        big = self.generator(rng, (self.draw_size, self.draw_size))
        return (cv2.resize(big * 255, (w, h), interpolation=cv2.INTER_NEAREST) > 127).astype(np.uint8)


# "irregular-512": "irregular" drawn at 512 px then resized like the NVIDIA masks (for training
# models evaluated on them at small sizes without training on the test masks).
MASK_PRESETS["irregular-512"] = DrawnAt("irregular", 512)
# "removal": what a visitor paints over to remove things from a photo: NVIDIA-like irregular holes
# ("irregular-512") two times in three, 1-2 object-sized blobs ("objects") one time in three. Hole
# ratio within the bounds of its parts, [0, 0.6].
MASK_PRESETS["removal"] = MixtureMaskGenerator([("irregular-512", 2.0), ("objects", 1.0)])


# --------------------------------------------------------------------------------------------
# NVIDIA irregular masks (PConv test set)
# --------------------------------------------------------------------------------------------

class Bucket(NamedTuple):
    """A hole-ratio bucket of the NVIDIA irregular mask test set: ratio in (low, high]."""

    index: int
    low: float
    high: float
    label: str


BUCKETS: tuple[Bucket, ...] = tuple(
    Bucket(i, low, high, f"({low:g}, {high:g}]")
    for i, (low, high) in enumerate([(0.01, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.5), (0.5, 0.6)])
)
_NVIDIA_NAME = re.compile(r"(\d{5})\.png")


def get_bucket(bucket: Union[int, str, Bucket]) -> Bucket:
    """The NVIDIA hole-ratio bucket named by its number 0-5, its label such as ``"(0.1, 0.2]"``, or a
    :class:`Bucket`; a clear error for anything else."""
    if isinstance(bucket, Bucket):
        return BUCKETS[bucket.index]
    if isinstance(bucket, str):
        for b in BUCKETS:
            if b.label == bucket:
                return b
    elif isinstance(bucket, (int, np.integer)) and 0 <= bucket < len(BUCKETS):
        return BUCKETS[int(bucket)]
    raise ValueError(
        f"unknown bucket {bucket!r}; use a number 0-{len(BUCKETS) - 1} or a label: "
        + ", ".join(repr(b.label) for b in BUCKETS)
    )


class NvidiaIrregularMasks:
    """Reader for the NVIDIA irregular hole test masks of Liu et al. 2018 (PConv).

    The folder holds ``00000.png`` … ``11999.png``, 512×512 mode L, 255 = hole. File index → hole
    ratio bucket: 0-1999 (0.01, 0.1], 2000-3999 (0.1, 0.2], … 10000-11999 (0.5, 0.6]. Within a
    bucket, the **first half keeps a border free** (the PConv masks "with border constraint": no
    hole within 50 px of the edge at 512 px) and the **second half may touch the border** (99.4 %
    do). This is what the files show (measured over all 12,000); it is the reverse of the order
    written in ``shared/data/README.md``. Masks come back as uint8 H×W {0, 1} (1 = hole), resized
    with nearest-neighbour and re-binarised at 127.

    Measured over all 12,000 files: at 512 px every mask lies in its bucket; after resizing, 99.6 %
    (256 px) and 97.3 % (64 px) do, and all lie within 0.02 of their bucket bounds (largest
    deviation 0.0015 at 256 px, 0.012 at 64 px).

    Positions (``reader[i]``, ``len(reader)``, :meth:`sample`) run over the selection made with
    ``buckets`` and ``border``; *file indices* (:meth:`load`, :meth:`bucket_of`, :meth:`indices`)
    are the numbers in the file names and ignore the selection.

    Args:
        root (str | PathLike): the mask folder, e.g. ``../shared/data/masks/nvidia_irregular``.
        buckets (iterable of int | str | Bucket | None): buckets to keep, by number 0-5, label such
            as ``"(0.1, 0.2]"`` or :class:`Bucket`. Default None (all six).
        border (bool | None): True keeps the masks allowed to touch the border (second half of
            each bucket), False those keeping a border free (first half), None both. Default None.
        bucket_size (int): files per bucket. Default 2000 (the published set); smaller values
            describe a folder laid out the same way with fewer files (tests).
    """

    BUCKETS = BUCKETS

    def __init__(
        self,
        root: Union[str, os.PathLike],
        *,
        buckets: Iterable[Union[int, str, Bucket]] | None = None,
        border: bool | None = None,
        bucket_size: int = 2000,
    ):
        if int(bucket_size) != bucket_size or bucket_size < 2 or bucket_size % 2:
            raise ValueError(f"bucket_size must be an even integer >= 2, got {bucket_size!r}")
        if border not in (True, False, None):
            raise ValueError(f"border must be True, False or None, got {border!r}")
        self.root = Path(root)
        self.bucket_size = int(bucket_size)
        expected = len(BUCKETS) * self.bucket_size
        layout = f"{expected} PNG files {0:05d}.png-{expected - 1:05d}.png"
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"NVIDIA irregular mask folder not found: {self.root} (expected {layout}; "
                "see ../shared/data/README.md)"
            )
        names = sorted(p.name for p in self.root.iterdir() if not p.name.startswith("."))
        if not names:
            raise FileNotFoundError(f"NVIDIA irregular mask folder {self.root} is empty (expected {layout})")
        unexpected = [n for n in names if not _NVIDIA_NAME.fullmatch(n)]
        if unexpected:
            raise ValueError(
                f"unexpected files in {self.root}: {', '.join(unexpected[:5])}"
                f"{' …' if len(unexpected) > 5 else ''} (expected only {layout})"
            )
        found = {int(n[:5]) for n in names}
        missing = sorted(set(range(expected)) - found)
        extra = sorted(found - set(range(expected)))
        if missing or extra:
            raise ValueError(
                f"{self.root} holds {len(found)} masks, expected {layout}"
                + (f"; missing e.g. {', '.join(f'{i:05d}.png' for i in missing[:5])}" if missing else "")
                + (f"; beyond the range e.g. {', '.join(f'{i:05d}.png' for i in extra[:5])}" if extra else "")
            )
        chosen = BUCKETS if buckets is None else [self._bucket(b) for b in buckets]
        if not chosen:
            raise ValueError("buckets is empty; pass None for all six buckets")
        self.buckets = tuple(sorted(set(chosen)))
        self.border = border
        self.file_indices = tuple(i for b in self.buckets for i in self.indices(b, border=border))

    # -- indexing ------------------------------------------------------------------------------

    @staticmethod
    def _bucket(bucket: Union[int, str, Bucket]) -> Bucket:
        return get_bucket(bucket)

    def _check_index(self, index: int) -> int:
        total = len(BUCKETS) * self.bucket_size
        if not isinstance(index, (int, np.integer)) or not 0 <= index < total:
            raise IndexError(f"file index must be an integer in [0, {total - 1}], got {index!r}")
        return int(index)

    def indices(self, bucket: Union[int, str, Bucket], border: bool | None = None) -> list[int]:
        """File indices of ``bucket`` (number, label or Bucket); border True/False/None as above."""
        if border not in (True, False, None):
            raise ValueError(f"border must be True, False or None, got {border!r}")
        start = self._bucket(bucket).index * self.bucket_size
        half = self.bucket_size // 2
        if border is True:
            return list(range(start + half, start + self.bucket_size))
        if border is False:
            return list(range(start, start + half))
        return list(range(start, start + self.bucket_size))

    def bucket_of(self, index: int) -> Bucket:
        """The hole-ratio bucket of file ``index``."""
        return BUCKETS[self._check_index(index) // self.bucket_size]

    def touches_border(self, index: int) -> bool:
        """Whether file ``index`` is in the border-touching (second) half of its bucket."""
        return self._check_index(index) % self.bucket_size >= self.bucket_size // 2

    def path(self, index: int) -> Path:
        return self.root / f"{self._check_index(index):05d}.png"

    # -- reading -------------------------------------------------------------------------------

    def load(self, index: int, size: tuple[int, int] | None = None) -> np.ndarray:
        """Mask of file ``index`` as uint8 {0, 1}, resized to ``size`` (H, W) if given."""
        with Image.open(self.path(index)) as image:
            image = image.convert("L")
            if size is not None:
                h, w = _check_size(size)
                if image.size != (w, h):
                    image = image.resize((w, h), Image.NEAREST)
            return (np.asarray(image) > 127).astype(np.uint8)

    def __len__(self) -> int:
        return len(self.file_indices)

    def __getitem__(self, position: int) -> np.ndarray:
        """The ``position``-th selected mask at its native size (512×512)."""
        return self.load(self.file_indices[position])

    def sample(self, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
        """A uniformly drawn mask of the selection at ``size``: a generator like the others."""
        position = int(_check_rng(rng).integers(len(self.file_indices)))
        return self.load(self.file_indices[position], size)

    def __repr__(self) -> str:
        labels = ", ".join(b.label for b in self.buckets)
        return f"NvidiaIrregularMasks({str(self.root)!r}, buckets=[{labels}], border={self.border}, n={len(self)})"
