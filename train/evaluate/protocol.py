"""The evaluation protocol: settings, images and the seeded image/mask pairs (``PROTOCOL``)."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Union

import numpy as np
from PIL import Image

import inpainting
from inpainting import masks as masks_lib
from inpainting.io import IMAGE_EXTENSIONS, load_image

FORMAT = "inpainting-hub/evaluation/1"
PSNR_CAP_DB = 100.0
DEFAULT_NVIDIA_ROOT = "../shared/data/masks/nvidia_irregular"
NATIVE = "native"  # evaluation size meaning "each photo at its own size"
NATIVE_MASK_SIZE = 512  # generated masks are drawn at this side, then resized to each photo, at native size
BORDERS = {"any": None, "free": False, "touching": True}
NVIDIA = "nvidia"
METRIC_CHUNK = 32  # pairs per metrics call

PROTOCOL = (
    "Images centre-cropped to a square and resized to the evaluation size (PIL bicubic, antialiased), "
    "or, at native size, whole at their own size with each mask resized to the photo (nearest, re-binarised at 127). "
    "NVIDIA irregular masks (Liu et al. 2018) bucketed by file index into six hole-ratio buckets, "
    "resized with nearest-neighbour and re-binarized at 127 (or seeded generator presets, one bucket each). "
    "Each image is paired with masks deterministically from the seed (bucket k: numpy default_rng([seed, k])). "
    "Every model runs through inpainting.inpaint (strategy auto; the model sees image*(1-mask), known pixels pasted back). "
    "Metrics from inpainting.metrics on the composited result: PSNR (dB) and SSIM (11x11 Gaussian, sigma 1.5) "
    "over the whole image, L1 inside the hole and over the whole image (pixel values in [0, 1]), "
    "and the realism score SWD (inpainting.metrics.swd_realism: sliced Wasserstein distance between "
    "Laplacian-pyramid patches of the fill and of the true image, lower is better); "
    f"a per-image PSNR of +inf (identical images) counts as {PSNR_CAP_DB:g} dB. "
    "Figures are means over the image/mask pairs of each bucket; 'all' is the mean over every pair."
)


@dataclass(frozen=True)
class MetricInfo:
    label: str
    higher_is_better: bool
    digits: int


METRICS: dict[str, MetricInfo] = {
    "psnr": MetricInfo("PSNR (dB) ↑", True, 2),
    "ssim": MetricInfo("SSIM ↑", True, 4),
    "l1_hole": MetricInfo("L1 hole ↓", False, 4),
    "l1_whole": MetricInfo("L1 whole ↓", False, 4),
    "mse": MetricInfo("MSE ↓", False, 5),
    "lpips": MetricInfo("LPIPS ↓", False, 4),
    "swd": MetricInfo("SWD realism ↓", False, 2),
}
"""Every metric the evaluation can record: label, direction and digits shown in tables."""
TABLE_METRICS = ("psnr", "ssim", "l1_hole", "l1_whole", "swd", "lpips")


# --------------------------------------------------------------------------------------------
# settings, images and pairs
# --------------------------------------------------------------------------------------------

@dataclass
class EvalSettings:
    """What is evaluated on; everything that decides the pairs and the figures.

    Args:
        images (str): image folder (searched recursively).
        size (int | str): evaluation side in pixels (images and masks are ``size``×``size``), or
            ``"native"``: every photo whole at its own size. Default 256.
        masks (tuple[str, ...]): ``"nvidia"`` (six buckets) and/or generator preset names, one
            bucket each. Default ``("nvidia",)``.
        nvidia_root (str): the NVIDIA irregular mask folder. Default ``../shared/data/masks/nvidia_irregular``.
        border (str): NVIDIA split: ``"any"``, ``"free"`` (masks keeping a border free) or
            ``"touching"`` (masks allowed to touch the border). Default ``"any"``.
        buckets (tuple[int, ...] | None): NVIDIA buckets to keep (0-5). Default None (all six).
        images_per_bucket (int): images drawn per bucket (at most the number available). Default 100.
        masks_per_image (int): masks paired with each drawn image. Default 1.
        seed (int): pairing seed. Default 0.
        strategy (str): :func:`inpainting.inpaint` strategy. Default ``"auto"``.
        nvidia_bucket_size (int): files per NVIDIA bucket (2000 for the published set; smaller
            for test folders laid out the same way). Default 2000.
    """

    images: str
    size: Union[int, str] = 256
    masks: tuple[str, ...] = (NVIDIA,)
    nvidia_root: str = DEFAULT_NVIDIA_ROOT
    border: str = "any"
    buckets: tuple[int, ...] | None = None
    images_per_bucket: int = 100
    masks_per_image: int = 1
    seed: int = 0
    strategy: str = "auto"
    nvidia_bucket_size: int = 2000

    def __post_init__(self):
        self.images = os.fspath(self.images)
        self.nvidia_root = os.fspath(self.nvidia_root)
        self.masks = (self.masks,) if isinstance(self.masks, str) else tuple(self.masks)
        if self.buckets is not None:
            self.buckets = tuple(int(b) for b in self.buckets)
        if not self.masks:
            raise ValueError(f"masks is empty; give {NVIDIA!r} and/or preset names: {', '.join(sorted(masks_lib.MASK_PRESETS))}")
        for name in self.masks:
            if name != NVIDIA:
                masks_lib.get_mask_generator(name)  # clear error listing the presets
        if len(set(self.masks)) != len(self.masks):
            raise ValueError(f"masks lists a source twice: {self.masks}")
        if self.border not in BORDERS:
            raise ValueError(f"border must be one of {', '.join(BORDERS)}, got {self.border!r}")
        if self.size != NATIVE and (isinstance(self.size, str) or int(self.size) != self.size or self.size < 11):
            raise ValueError(f"size must be an integer >= 11 (SSIM needs an 11 px window) or {NATIVE!r}, got {self.size!r}")
        for name in ("images_per_bucket", "masks_per_image"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.strategy not in inpainting.STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(inpainting.STRATEGIES)}, got {self.strategy!r}")

    def key(self) -> dict[str, Any]:
        """The settings that decide the figures (compared on resume)."""
        data = asdict(self)
        data["images"] = str(Path(self.images).resolve())
        data["nvidia_root"] = str(Path(self.nvidia_root).resolve()) if NVIDIA in self.masks else None
        data["masks"] = list(self.masks)
        data["buckets"] = list(self.buckets) if self.buckets is not None else None
        return data


@dataclass(frozen=True)
class Pair:
    """One evaluation sample: an image (path relative to the folder) and a mask id in a bucket."""

    bucket: str
    image: str
    mask: str
    hole: np.ndarray = field(compare=False, repr=False)

    @property
    def hole_ratio(self) -> float:
        return float(self.hole.mean())

    def to_json(self) -> dict[str, Any]:
        return {"image": self.image, "mask": self.mask, "hole_ratio": round(self.hole_ratio, 6)}


def list_images(folder: Union[str, os.PathLike]) -> list[Path]:
    """Every image file under ``folder`` (recursively), sorted by relative path."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    files = sorted(
        (p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    if not files:
        raise FileNotFoundError(f"no images in {root} (looked for {', '.join(IMAGE_EXTENSIONS)}, recursively)")
    return files


def prepare_image(source, size: Union[int, str]) -> np.ndarray:
    """``size``×``size``×3 uint8: the image centre-cropped to a square, resized (PIL bicubic); or
    the whole upright image at its own size when ``size`` is ``"native"``."""
    rgb = load_image(source).rgb
    if size == NATIVE:
        return rgb
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side])
    if side != size:
        square = square.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(square, dtype=np.uint8)


def _nvidia_reader(settings: EvalSettings) -> masks_lib.NvidiaIrregularMasks:
    return masks_lib.NvidiaIrregularMasks(
        settings.nvidia_root, border=BORDERS[settings.border], bucket_size=settings.nvidia_bucket_size
    )


def build_pairs(settings: EvalSettings) -> tuple[dict[str, list[Pair]], list[Path]]:
    """The image/mask pairs of every bucket (in column order) and the image files, from the seed."""
    files = list_images(settings.images)
    root = Path(settings.images)
    n_images = min(int(settings.images_per_bucket), len(files))
    per_image = int(settings.masks_per_image)
    native = settings.size == NATIVE
    size = (NATIVE_MASK_SIZE, NATIVE_MASK_SIZE) if native else (int(settings.size), int(settings.size))
    image_sizes: dict[int, tuple[int, int]] = {}  # file index -> (H, W), read once, at native size
    pairs: dict[str, list[Pair]] = {}

    sources: list[tuple[str, Callable[[np.random.Generator, int], Iterable[tuple[str, np.ndarray]]]]] = []
    for name in settings.masks:
        if name == NVIDIA:
            reader = _nvidia_reader(settings)
            chosen = masks_lib.BUCKETS if settings.buckets is None else [masks_lib.get_bucket(b) for b in settings.buckets]
            for bucket in chosen:
                def nvidia_masks(rng, k, bucket=bucket, reader=reader):
                    for index in rng.permutation(reader.indices(bucket, BORDERS[settings.border])):
                        # At native size the file is read at its own size, then fitted to the photo.
                        yield f"{int(index):05d}", reader.load(int(index), None if native else size)
                sources.append((bucket.label, nvidia_masks))
        else:
            generator = masks_lib.get_mask_generator(name)

            def generated_masks(rng, k, name=name, generator=generator):
                j = 0
                while True:
                    for attempt in range(100):
                        mask = generator(np.random.default_rng([settings.seed, k, j, attempt]), size)
                        if mask.any():
                            break
                    else:
                        raise RuntimeError(f"mask preset {name!r} gave 100 empty masks in a row at {size}")
                    yield f"{name}#{j}" + (f".{attempt}" if attempt else ""), mask
                    j += 1
            sources.append((name, generated_masks))

    for k, (label, source) in enumerate(sources):
        rng = np.random.default_rng([settings.seed, k])
        images = sorted(rng.choice(len(files), size=n_images, replace=False).tolist())
        needed = n_images * per_image
        drawn: list[tuple[str, np.ndarray]] = []
        for mask_id, mask in source(rng, k):
            if native:  # resized to the photo this slot pairs it with
                index = images[len(drawn) // per_image]
                if index not in image_sizes:
                    image_sizes[index] = load_image(files[index]).rgb.shape[:2]
                mask = fit_mask(mask, image_sizes[index])
            if mask.any():  # a hole that vanished at this size has nothing to evaluate
                drawn.append((mask_id, mask.astype(bool)))
            if len(drawn) == needed:
                break
        if len(drawn) < needed:
            raise ValueError(
                f"bucket {label}: only {len(drawn)} usable masks at {size[0]} px for "
                f"{n_images} images × {per_image} masks; lower --images-per-bucket or --masks-per-image"
            )
        pairs[label] = [
            Pair(label, files[i].relative_to(root).as_posix(), *drawn[n * per_image + m])
            for n, i in enumerate(images)
            for m in range(per_image)
        ]
    return pairs, files


def fit_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``mask`` resized to ``shape`` = (H, W) with nearest-neighbour and re-binarised at 127
    (the NVIDIA masks' own rule), as uint8 {0, 1}."""
    h, w = shape
    if mask.shape == (h, w):
        return (mask > 0).astype(np.uint8)
    # PIL's nearest samples pixel centres, as NvidiaIrregularMasks.load does (cv2's INTER_NEAREST does not).
    scaled = Image.fromarray((mask > 0).astype(np.uint8) * 255).resize((w, h), Image.Resampling.NEAREST)
    return (np.asarray(scaled) > 127).astype(np.uint8)
