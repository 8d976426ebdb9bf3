"""Quality evaluation: any models, one set of image/mask pairs, one inference path, one table.

    python -m train.evaluate --models opencv-telea opencv-ns --images ../shared/data/celeba/val \\
        --size 64 --masks nvidia --images-per-bucket 100 --out outputs/eval/celeba-val-64

Protocol (:data:`PROTOCOL`, also written into the command's help, the JSON and the Markdown):

1. Images (every JPEG/PNG/WebP/BMP/TIFF under the folder, sorted by relative path) are
   centre-cropped to a square and resized to ``size``×``size`` (PIL bicubic, antialiased); with
   ``size="native"`` (``--size native``) each photo is evaluated whole, at its own size.
2. Masks: the NVIDIA irregular test masks (Liu et al. 2018, https://arxiv.org/abs/1804.07723),
   six hole-ratio buckets read by file index, optionally only the border-free or the
   border-touching half, resized with nearest-neighbour and re-binarized at 127
   (:class:`inpainting.masks.NvidiaIrregularMasks`); or seeded generator presets
   (:data:`inpainting.masks.MASK_PRESETS`: LaMa ``thin`` / ``medium`` / ``thick``, ``lines``,
   ``boxes``, ...), one bucket per preset. Masks whose hole vanishes at ``size`` are skipped.
   At native size, each mask (the NVIDIA file at its own 512×512, or a preset drawn at 512×512) is
   resized (nearest, re-binarised at 127) to the size of the photo it is paired with.
3. Pairing is deterministic from ``seed``: bucket ``k`` draws its images without replacement
   with ``numpy.random.default_rng([seed, k])`` and pairs each with ``masks_per_image`` masks
   (NVIDIA: drawn without replacement from the bucket's files by the same generator; presets:
   mask ``j`` drawn with ``default_rng([seed, k, j, attempt])``). The pairs do not depend on the
   models evaluated.
4. Every model runs through :func:`inpainting.inpaint` (strategy ``auto``), the path users get,
   so classical and learned models are treated alike (the model sees ``image * (1 - mask)``, the
   known pixels are pasted back).
5. Metrics from :mod:`inpainting.metrics` on the composited uint8 result: PSNR and SSIM over the
   whole image, L1 inside the hole and over the whole image, MSE, and the realism score
   :func:`inpainting.metrics.swd_realism` (sliced Wasserstein distance between Laplacian-pyramid
   patches of the fill and of the true image; lower is better, blur cannot win it). A per-image PSNR of +inf
   (identical images) is capped at :data:`PSNR_CAP_DB` = 100 dB in the per-image figures and the
   means, and the number of capped images is recorded. LPIPS (AlexNet, torchmetrics) is an extra
   column only when its backbone weights are already on disk; otherwise it is omitted with a note.

Outputs in ``--out``: ``results.json`` (:data:`FORMAT`, below), ``results.md`` (the tables, the
protocol and the command) and ``examples.png`` (per row: input with the hole in white, each
model's result, the original). Re-running with the same ``--out`` and settings skips the models
already in ``results.json`` (``--overwrite`` re-runs them); other settings are refused.

``results.json``::

    {
      "format": "inpainting-hub/evaluation/1",
      "protocol": "...",
      "settings": {"images", "images_resolved", "size", "masks", "nvidia_root", "border",
                   "buckets", "images_per_bucket", "masks_per_image", "seed", "strategy",
                   "nvidia_bucket_size", "lpips", "lpips_note", "psnr_cap_db", "metrics",
                   "images_available", "command", "torch", "created"},
      "buckets": ["(0.01, 0.1]", ...],               # column order
      "pairs": {bucket: [{"image": "rel/path.jpg", "mask": "02345" | "thick#3", "hole_ratio": 0.12}, ...]},
      "examples": [[bucket, position], ...],        # pairs shown in examples.png
      "models": {name: {"spec", "kind", "architecture", "device", "seconds", "seconds_per_image",
                        "per_image": {bucket: {metric: [float, ...]}},   # aligned with "pairs"
                        "summary": {bucket | "all": {metric: mean}},
                        "psnr_capped": {bucket | "all": int}}}
    }

:func:`markdown_table` and :func:`markdown_report` turn that dictionary (or the file) into
Markdown, for the app, the model cards and ``RESULTS.md``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import re
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

import cv2
import numpy as np
import torch
from PIL import Image

import inpainting
from inpainting import masks as masks_lib
from inpainting import metrics as metrics_lib
from inpainting.io import IMAGE_EXTENSIONS, load_image
from inpainting.loading import canonical_name

__all__ = [
    "FORMAT",
    "METRICS",
    "PROTOCOL",
    "PSNR_CAP_DB",
    "EvalSettings",
    "Pair",
    "build_pairs",
    "evaluate",
    "list_images",
    "load_results",
    "lpips_status",
    "main",
    "markdown_report",
    "markdown_table",
    "prepare_image",
    "resolve_models",
]

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


# --------------------------------------------------------------------------------------------
# LPIPS (only with weights already on disk)
# --------------------------------------------------------------------------------------------

def lpips_status() -> tuple[bool, str]:
    """Whether LPIPS (AlexNet) can run without any download, and a note saying why (not)."""
    try:
        import torchvision
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity  # noqa: F401
    except ImportError as err:
        return False, f"LPIPS omitted: torchmetrics' LPIPS cannot be imported ({err})"
    url = torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url
    backbone = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    if not backbone.is_file():
        return False, (
            f"LPIPS omitted: its AlexNet backbone weights ({backbone.name}) are not in the local torch hub "
            f"cache ({backbone.parent}) and the evaluation downloads nothing"
        )
    return True, f"LPIPS: torchmetrics AlexNet LPIPS, backbone {backbone}"


def _lpips_fn(device: torch.device):
    from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    metric = LearnedPerceptualImagePatchSimilarity(net_type="alex", reduction="mean", normalize=True).to(device).eval()

    @torch.inference_mode()
    def per_image(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return metric.net(pred.to(device), target.to(device), normalize=True).flatten().cpu()

    return per_image


# --------------------------------------------------------------------------------------------
# running models
# --------------------------------------------------------------------------------------------

ModelLike = Union[str, os.PathLike, torch.nn.Module, tuple]


def resolve_models(models: Union[str, Sequence[ModelLike]]) -> list[tuple[str, ModelLike]]:
    """``[(name, spec or model)]``: ``"all"`` expands to :func:`inpainting.available_models`."""
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    out: list[tuple[str, ModelLike]] = []
    for item in models:
        if isinstance(item, (str, os.PathLike)) and os.fspath(item) == "all":
            out.extend((entry.name, entry.name) for entry in inpainting.available_models())
        elif isinstance(item, (str, os.PathLike)):
            name = canonical_name(os.fspath(item))  # a renamed checkpoint's old name: its new one
            out.append((name, name))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            out.append(item)
        elif isinstance(item, torch.nn.Module):
            out.append((getattr(item, "architecture", "") or type(item).__name__, item))
        else:
            raise TypeError(
                f"a model must be a load_model spec (name, folder, Hub id), 'all', a model object or a "
                f"(name, model) pair; got {type(item).__name__}"
            )
    names = [name for name, _ in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"model names given twice: {', '.join(duplicates)}")
    if not out:
        raise ValueError("no models to evaluate")
    return out


def _describe_model(spec: ModelLike, model: torch.nn.Module) -> dict[str, Any]:
    architecture = getattr(model, "architecture", "") or None
    kind = None
    if architecture:
        try:
            kind = inpainting.get_architecture(architecture).kind
        except inpainting.UnknownArchitectureError:
            kind = None
    return {
        "spec": os.fspath(spec) if isinstance(spec, (str, os.PathLike)) else f"<{type(model).__name__} object>",
        "kind": kind,
        "architecture": architecture,
        "device": str(getattr(model, "device", "cpu")),
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }


def _to_tensor(arrays: Sequence[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255.0


def _score(preds, targets, holes, lpips_fn) -> dict[str, list[float]]:
    if len({p.shape for p in preds}) > 1:  # native size: photos of different sizes, one at a time
        scores: dict[str, list[float]] = {}
        for one in zip(preds, targets, holes):
            for name, values in _score(*([x] for x in one), lpips_fn).items():
                scores.setdefault(name, []).extend(values)
        return scores
    pred, target = _to_tensor(preds), _to_tensor(targets)
    mask = torch.from_numpy(np.stack(holes)).float()[:, None]
    values = metrics_lib.evaluate_batch(pred, target, mask)
    values["swd"] = metrics_lib.swd_realism(pred, target, mask)
    if lpips_fn is not None:
        values["lpips"] = lpips_fn(metrics_lib.composite(pred, target, mask), target)
    return {name: [float(v) for v in tensor] for name, tensor in values.items()}


def _summarise(per_image: Mapping[str, Mapping[str, list[float]]], buckets: Sequence[str]):
    """Per bucket and overall means, and how many PSNRs were capped (raw values may be +inf)."""
    summary: dict[str, dict[str, float]] = {}
    capped: dict[str, int] = {}
    everything: dict[str, list[float]] = {}
    for bucket in list(buckets) + ["all"]:
        data = everything if bucket == "all" else per_image[bucket]
        if bucket != "all":
            for metric, values in data.items():
                everything.setdefault(metric, []).extend(values)
        summary[bucket] = {metric: float(np.nanmean(values)) for metric, values in data.items()}
        capped[bucket] = int(sum(v >= PSNR_CAP_DB for v in data.get("psnr", [])))
    return summary, capped


def _run_model(model, pairs, images, lpips_fn, *, strategy: str, progress: bool, name: str, keep=()):
    """Scores per bucket, the results of the pairs in ``keep`` ((bucket, position) keys) and the
    seconds spent in :func:`inpainting.inpaint`."""
    keep = set(keep)
    per_image: dict[str, dict[str, list[float]]] = {}
    outputs: dict[tuple[str, int], np.ndarray] = {}
    total = sum(len(v) for v in pairs.values())
    bar = _progress(total, f"{name}", progress)
    seconds = 0.0
    try:
        for bucket, bucket_pairs in pairs.items():
            scores: dict[str, list[float]] = {}
            for start in range(0, len(bucket_pairs), METRIC_CHUNK):
                chunk = bucket_pairs[start:start + METRIC_CHUNK]
                preds = []
                for offset, pair in enumerate(chunk):
                    t0 = time.perf_counter()
                    result = inpainting.inpaint(model, images[pair.image], pair.hole, strategy=strategy)
                    seconds += time.perf_counter() - t0
                    pred = np.asarray(result.convert("RGB"), dtype=np.uint8)
                    preds.append(pred)
                    if (bucket, start + offset) in keep:
                        outputs[(bucket, start + offset)] = pred
                    bar.update(1)
                chunk_scores = _score(preds, [images[p.image] for p in chunk], [p.hole for p in chunk], lpips_fn)
                for metric, values in chunk_scores.items():
                    scores.setdefault(metric, []).extend(values)
            if "psnr" in scores:
                scores["psnr"] = [min(v, PSNR_CAP_DB) for v in scores["psnr"]]
            per_image[bucket] = scores
    finally:
        bar.close()
    return per_image, outputs, seconds


class _Bar:
    """A minimal stand-in for tqdm when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return _Bar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with huggingface_hub
        return _Bar()
    return tqdm(total=total, desc=desc, unit="img", file=sys.stderr, dynamic_ncols=True)


# --------------------------------------------------------------------------------------------
# results file, examples grid
# --------------------------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_finite(data), indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _finite(value):
    """NaN and ±inf as ``None`` (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def load_results(source: Union[str, os.PathLike, Mapping]) -> dict:
    """A results dictionary from a ``results.json`` path, its folder, or the dictionary itself."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        path = path / "results.json"
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not an evaluation results file (format {data.get('format')!r}, expected {FORMAT!r})")
    if isinstance(data.get("models"), dict):  # results written before a checkpoint was renamed
        data["models"] = {canonical_name(name, notice=False): entry for name, entry in data["models"].items()}
    return data


def _example_positions(pairs: Mapping[str, list[Pair]], count: int) -> list[tuple[str, int]]:
    """``count`` pairs for the examples grid: buckets spread evenly (cycled when fewer than
    ``count``), positions spread through each bucket so the images differ."""
    buckets = list(pairs)
    if count <= 0 or not buckets:
        return []
    chosen: list[tuple[str, int]] = []
    for i in range(count):
        if count <= len(buckets):
            bucket = buckets[round(i * (len(buckets) - 1) / max(1, count - 1))]
        else:
            bucket = buckets[i % len(buckets)]
        position = (i * len(pairs[bucket])) // count
        if (bucket, position) not in chosen:
            chosen.append((bucket, position))
    return chosen


def _grid(rows: list[list[np.ndarray]], labels: Sequence[str], size: int) -> np.ndarray:
    scale = max(1, math.ceil(128 / size))
    cell = size * scale
    header = 22
    gap = 2
    columns = len(labels)
    height = header + len(rows) * (cell + gap)
    width = columns * (cell + gap)
    canvas = np.full((height, width, 3), 255, np.uint8)
    for c, label in enumerate(labels):
        text = label
        font_scale = 0.4
        while len(text) > 3 and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)[0][0] > cell - 4:
            text = text[:-2] + "…" if not text.endswith("…") else text[:-3] + "…"
        text = text.replace("…", "~")  # Hershey fonts are ASCII only
        cv2.putText(canvas, text, (c * (cell + gap) + 2, 15), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), 1, cv2.LINE_AA)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            big = cv2.resize(image, (cell, cell), interpolation=cv2.INTER_NEAREST)
            top, left = header + r * (cell + gap), c * (cell + gap)
            canvas[top:top + cell, left:left + cell] = big
    return canvas


def hole_view(hole: np.ndarray, *, margin: float = 0.35, min_side: int = 48) -> tuple[slice, slice]:
    """A square-ish window around the hole's bounding box (plus ``margin`` of its long side on
    every side), clipped to the image: where a fill can be seen in a picture of a large photo."""
    h, w = hole.shape
    ys, xs = np.nonzero(hole)
    if not len(ys):
        return slice(0, h), slice(0, w)
    cy, cx = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
    side = max(ys.max() + 1 - ys.min(), xs.max() + 1 - xs.min())
    side = int(min(max(h, w), max(min_side, side * (1 + 2 * margin))))
    top = int(np.clip(round(cy - side / 2), 0, max(0, h - side)))
    left = int(np.clip(round(cx - side / 2), 0, max(0, w - side)))
    return slice(top, min(h, top + side)), slice(left, min(w, left + side))


NATIVE_CELL = 192  # side of one picture in examples.png at native size


def _write_examples(out: Path, results: dict, pairs, images) -> Path | None:
    positions = [tuple(p) for p in results.get("examples", [])]
    if not positions:
        return None
    native = results["settings"]["size"] == NATIVE
    size = NATIVE_CELL if native else int(results["settings"]["size"])
    names = list(results["models"])
    rows = []
    for bucket, position in positions:
        pair = pairs[bucket][position]
        original = images[pair.image]
        damaged = original.copy()
        damaged[pair.hole] = 255
        row = [damaged]
        for name in names:
            path = out / "examples" / _safe_name(name) / f"{len(rows)}.png"
            row.append(np.asarray(Image.open(path).convert("RGB")) if path.is_file() else np.zeros_like(original))
        row.append(original)
        if native:  # each picture cropped around the hole, so the fill can be seen
            ys, xs = hole_view(pair.hole)
            row = [cv2.resize(np.ascontiguousarray(p[ys, xs]), (size, size), interpolation=cv2.INTER_AREA) for p in row]
        rows.append(row)
    path = out / "examples.png"
    Image.fromarray(_grid(rows, ["input"] + names + ["original"], size)).save(path)
    return path


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------

def evaluate(
    models: Union[str, Sequence[ModelLike]],
    settings: EvalSettings,
    *,
    out: Union[str, os.PathLike, None] = None,
    device: Union[str, torch.device, None] = None,
    overwrite: bool = False,
    examples: int = 4,
    progress: bool = True,
    lpips: bool | None = None,
    command: str | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Evaluate ``models`` on the pairs of ``settings``; returns the results dictionary.

    Args:
        models: ``"all"``, or load_model specs (shipped names, folders, Hub ids, classical names),
            model objects, or ``(name, model)`` pairs, mixed freely.
        settings: the data, masks, size, counts and seed (:class:`EvalSettings`).
        out: folder for ``results.json``, ``results.md`` and ``examples.png``; models already in
            its ``results.json`` (same settings) are skipped. None: nothing is written.
        device: where specs are loaded (default: CUDA when available). Model objects stay put.
        overwrite: re-run models already in ``results.json``, and replace a file of other settings.
        examples: number of pairs shown in ``examples.png``.
        progress: show a progress bar per model.
        lpips: add LPIPS (None: when its weights are on disk; True: fail if they are not).
        command: the command line recorded in the outputs.
        log: where progress messages go.
    """
    resolved = resolve_models(models)
    available, note = lpips_status()
    if lpips and not available:
        raise RuntimeError(note)
    use_lpips = available if lpips is None else bool(lpips)
    if lpips is False:
        note = "LPIPS omitted: turned off for this run"

    pairs, files = build_pairs(settings)
    buckets = list(pairs)
    root = Path(settings.images)
    images = {p.image: prepare_image(root / p.image, settings.size) for ps in pairs.values() for p in ps}
    metric_names = ["psnr", "ssim", "mse", "l1_whole", "l1_hole", "swd"] + (["lpips"] if use_lpips else [])
    settings_json = {
        **asdict(settings),
        "masks": list(settings.masks),
        "buckets": list(settings.buckets) if settings.buckets is not None else None,
        "images_resolved": str(root.resolve()),
        "images_available": len(files),
        "images_used_per_bucket": min(settings.images_per_bucket, len(files)),
        "lpips": use_lpips,
        "lpips_note": note,
        "psnr_cap_db": PSNR_CAP_DB,
        "metrics": metric_names,
        "command": command,
        "torch": torch.__version__,
    }
    fresh = {
        "format": FORMAT,
        "protocol": PROTOCOL,
        "settings": settings_json,
        "buckets": buckets,
        "pairs": {b: [p.to_json() for p in ps] for b, ps in pairs.items()},
        "examples": [list(p) for p in _example_positions(pairs, examples)],
        "models": {},
    }
    results = fresh
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        existing_path = out_dir / "results.json"
        if existing_path.is_file():
            existing = load_results(existing_path)
            same = (
                _comparable(existing["settings"]) == _comparable(settings_json)
                and existing.get("pairs") == _finite(fresh["pairs"])
            )
            if same:
                results = existing
                results["settings"]["command"] = command or results["settings"].get("command")
                if results.get("examples") != fresh["examples"]:  # other --examples: old pictures are stale
                    results["examples"] = fresh["examples"]
                    for stale in (out_dir / "examples").glob("*/*.png"):
                        stale.unlink()
            elif not overwrite:
                raise ValueError(
                    f"{existing_path} holds results of other settings ({_difference(existing['settings'], settings_json)}); "
                    "use another --out, or --overwrite to replace it"
                )
        results["settings"]["created"] = results["settings"].get("created") or _dt.datetime.now().isoformat(timespec="seconds")

    lpips_fn = None
    examples_at = [tuple(p) for p in results["examples"]]
    for name, spec in resolved:
        if name in results["models"] and not overwrite:
            log(f"{name}: already in {out_dir / 'results.json'}, skipped (--overwrite re-runs it)")
            continue
        model = spec if isinstance(spec, torch.nn.Module) else inpainting.load_model(spec, device=device)
        model.eval()
        if use_lpips and lpips_fn is None:
            lpips_fn = _lpips_fn(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
        per_image, outputs, seconds = _run_model(
            model, pairs, images, lpips_fn, strategy=settings.strategy, progress=progress, name=name, keep=examples_at
        )
        summary, capped = _summarise(per_image, buckets)
        count = sum(len(v) for v in pairs.values())
        results["models"][name] = {
            **_describe_model(spec, model),
            "seconds": round(seconds, 3),
            "seconds_per_image": seconds / count,
            "per_image": per_image,
            "summary": summary,
            "psnr_capped": capped,
        }
        log(f"{name}: " + ", ".join(f"{m} {summary['all'][m]:.4g}" for m in metric_names) + f" ({seconds:.1f} s)")
        if out_dir is not None:
            folder = out_dir / "examples" / _safe_name(name)
            folder.mkdir(parents=True, exist_ok=True)
            for i, key in enumerate(examples_at):
                Image.fromarray(outputs[key]).save(folder / f"{i}.png")
            _write_json(out_dir / "results.json", results)
        del model, outputs
    if out_dir is not None:
        _write_json(out_dir / "results.json", results)
        (out_dir / "results.md").write_text(markdown_report(results))
        _write_examples(out_dir, results, pairs, images)
    return _finite(results)


def _comparable(settings: Mapping) -> dict:
    keys = ("images_resolved", "size", "masks", "nvidia_root", "border", "buckets", "images_per_bucket",
            "masks_per_image", "seed", "strategy", "nvidia_bucket_size", "lpips", "psnr_cap_db")
    data = {k: settings.get(k) for k in keys}
    if NVIDIA not in (data["masks"] or []):
        data["nvidia_root"] = None
    elif data["nvidia_root"]:
        data["nvidia_root"] = str(Path(data["nvidia_root"]).resolve())
    return data


def _difference(old: Mapping, new: Mapping) -> str:
    a, b = _comparable(old), _comparable(new)
    changed = [f"{k}: {a[k]!r} -> {b[k]!r}" for k in a if a[k] != b[k]]
    return "; ".join(changed) or "the pairs differ"


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

def _format(value: float | None, digits: int) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def markdown_table(
    results: Union[Mapping, str, os.PathLike],
    metrics: Sequence[str] | str | None = None,
    *,
    buckets: Sequence[str] | None = None,
    include_all: bool = True,
    models: Sequence[str] | None = None,
) -> str:
    """A Markdown table: rows = models, columns = metric per bucket, best per column in bold.

    Args:
        results: the dictionary :func:`evaluate` returns, or a ``results.json`` path / folder.
        metrics: metric names (:data:`METRICS`) or one name; default every recorded one of
            PSNR, SSIM, L1 hole, L1 whole, LPIPS. With one metric the columns are the buckets.
        buckets: bucket labels to show (default all, in evaluation order).
        include_all: add the ``all`` column (mean over every pair).
        models: row order / subset (default: as evaluated).

    The best value of each column (highest PSNR/SSIM, lowest L1/MSE/LPIPS, compared as shown,
    ties all bold) is in bold.
    """
    results = load_results(results)
    recorded = results["settings"]["metrics"]
    if metrics is None:
        metrics = [m for m in TABLE_METRICS if m in recorded]
    elif isinstance(metrics, str):
        metrics = [metrics]
    for metric in metrics:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
        if metric not in recorded:
            raise ValueError(f"metric {metric!r} was not recorded in these results (recorded: {', '.join(recorded)})")
    columns = list(buckets if buckets is not None else results["buckets"]) + (["all"] if include_all else [])
    names = list(models if models is not None else results["models"])
    for name in names:
        if name not in results["models"]:
            raise ValueError(f"model {name!r} is not in these results ({', '.join(results['models'])})")
    header = ["model"]
    cells: dict[str, list[str]] = {name: [] for name in names}
    for metric in metrics:
        info = METRICS[metric]
        for column in columns:
            header.append(column if len(metrics) == 1 else f"{info.label} {column}")
            shown = {name: _format(results["models"][name]["summary"][column].get(metric), info.digits) for name in names}
            numbers = [float(v) for v in shown.values() if v != "n/a"]
            best = (max if info.higher_is_better else min)(numbers) if numbers else None
            for name in names:
                text = shown[name]
                cells[name].append(f"**{text}**" if best is not None and text != "n/a" and float(text) == best and len(names) > 1 else text)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    lines += [f"| {name} | " + " | ".join(cells[name]) + " |" for name in names]
    return "\n".join(lines)


def markdown_report(results: Union[Mapping, str, os.PathLike], *, title: str | None = None) -> str:
    """The whole report: settings, protocol, one table per metric, timings and notes."""
    results = load_results(results)
    s = results["settings"]
    masks = ", ".join(
        f"NVIDIA irregular ({s['border']} border)" if m == NVIDIA else f"preset {m!r}" for m in s["masks"]
    )
    pairs_per_bucket = {len(v) for v in results["pairs"].values()}
    at = "native size" if s["size"] == NATIVE else f"{s['size']} px"
    shown_size = "each photo at its own size" if s["size"] == NATIVE else f"{s['size']}×{s['size']} px"
    lines = [
        f"# {title or 'Evaluation: ' + Path(s['images']).as_posix() + ' at ' + at}",
        "",
        f"- Images: `{s['images']}` ({s['images_available']} available), {shown_size}",
        f"- Masks: {masks}; {s['images_used_per_bucket']} images × {s['masks_per_image']} masks = "
        f"{'/'.join(str(n) for n in sorted(pairs_per_bucket))} pairs per bucket; seed {s['seed']}",
        f"- Strategy: `{s['strategy']}`; torch {s.get('torch')}",
    ]
    if s.get("command"):
        lines.append(f"- Command: `{s['command']}`")
    lines += ["", f"Protocol: {results.get('protocol', PROTOCOL)}", ""]
    if not results["models"]:
        return "\n".join(lines + ["No model evaluated yet.", ""])
    for metric in [m for m in TABLE_METRICS if m in s["metrics"]]:
        lines += [f"## {METRICS[metric].label}", "", markdown_table(results, metric), ""]
    lines += ["## Models", "", "| model | kind | architecture | device | s / image |", "|---|---|---|---|---:|"]
    for name, entry in results["models"].items():
        lines.append(
            f"| {name} | {entry.get('kind') or '-'} | {entry.get('architecture') or '-'} | {entry.get('device')} | "
            f"{entry['seconds_per_image']:.4f} |"
        )
    lines += ["", "Notes:", f"- {s['lpips_note']}"]
    capped = {n: e["psnr_capped"]["all"] for n, e in results["models"].items() if e["psnr_capped"]["all"]}
    if capped:
        lines.append(
            f"- PSNR capped at {s['psnr_cap_db']:g} dB for identical results: "
            + ", ".join(f"{n} ({c} images)" for n, c in capped.items())
        )
    lines.append("- Best value per column in bold. Per-image figures are in results.json.")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

def _size_arg(text: str) -> Union[int, str]:
    if text == NATIVE:
        return NATIVE
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a side in pixels or {NATIVE!r}, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    presets = ", ".join(sorted(masks_lib.MASK_PRESETS))
    p = argparse.ArgumentParser(
        prog="python -m train.evaluate",
        description="Evaluate inpainting models on one set of image/mask pairs (PSNR, SSIM, L1 hole/whole, LPIPS when available).",
        epilog="Protocol: " + PROTOCOL,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--models", nargs="+", default=["all"],
                   help="load_model specs (shipped names, folders, Hub ids, opencv-telea, opencv-ns) or 'all'")
    p.add_argument("--images", required=True, help="image folder (searched recursively)")
    p.add_argument("--masks", nargs="+", default=[NVIDIA],
                   help=f"'nvidia' (six hole-ratio buckets) and/or generator presets, one bucket each: {presets}")
    p.add_argument("--nvidia-root", default=DEFAULT_NVIDIA_ROOT, help="NVIDIA irregular mask folder")
    p.add_argument("--border", choices=list(BORDERS), default="any",
                   help="NVIDIA split: any, free (masks keeping a border free) or touching")
    p.add_argument("--buckets", nargs="+", type=int, default=None, help="NVIDIA buckets 0-5 to keep; None: all six")
    p.add_argument("--size", type=_size_arg, default=256,
                   help="evaluation side in pixels, or 'native': each photo whole at its own size")
    p.add_argument("--images-per-bucket", type=int, default=100)
    p.add_argument("--masks-per-image", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategy", choices=list(inpainting.STRATEGIES), default="auto")
    p.add_argument("--nvidia-bucket-size", type=int, default=2000, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help="output folder; None: outputs/eval/<images folder>-<size>")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N; None: CUDA when available")
    p.add_argument("--threads", type=int, default=None, help="torch threads; None: torch's choice")
    p.add_argument("--examples", type=int, default=4, help="pairs shown in examples.png")
    p.add_argument("--lpips", choices=["auto", "on", "off"], default="auto",
                   help="auto: LPIPS when its weights are on disk; on: fail without them")
    p.add_argument("--overwrite", action="store_true", help="re-run models already in the output")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        settings = EvalSettings(
            images=args.images, size=args.size, masks=tuple(args.masks), nvidia_root=args.nvidia_root,
            border=args.border, buckets=tuple(args.buckets) if args.buckets else None,
            images_per_bucket=args.images_per_bucket, masks_per_image=args.masks_per_image, seed=args.seed,
            strategy=args.strategy, nvidia_bucket_size=args.nvidia_bucket_size,
        )
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    out = Path(args.out or Path("outputs") / "eval" / f"{_safe_name(Path(args.images).resolve().name)}-{args.size}")
    try:
        results = evaluate(
            args.models, settings, out=out, device=args.device, overwrite=args.overwrite, examples=args.examples,
            progress=not args.no_progress, lpips={"auto": None, "on": True, "off": False}[args.lpips],
            command="python -m train.evaluate " + shlex.join(argv),
        )
    except (ValueError, FileNotFoundError, inpainting.WeightsError) as err:
        raise SystemExit(f"error: {err}") from None
    print()
    print(markdown_report(results))
    print(f"Wrote {out / 'results.json'}, {out / 'results.md'}, {out / 'examples.png'}")
    return results


if __name__ == "__main__":
    main()
