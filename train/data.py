"""Training data: image sources, crops and augmentations, hole masks, seeded loading.

* Sources: any folder of images (searched recursively, :class:`ImageFolderDataset`), or
  torchvision's CIFAR10 / CelebA / Places365 on disk written ``cifar10:ROOT``, ``celeba:ROOT``,
  ``places365:ROOT`` (``download=True`` fetches them for users with internet), see :func:`open_source`;
  several joined by commas, a small one drawn several times per epoch (``photos/train,scenes/train@20``,
  :class:`MixedSource`).
* Crops: :class:`MultiScaleRandomCrop` takes random crops at several scales from large photos and
  resizes them to the working size; small images are resized up first.
* Augmentations: torchvision ``transforms.v2``, named in :data:`AUGMENTATIONS`.
* Masks: any generator of :mod:`inpainting.masks` or the NVIDIA irregular-mask folder,
  ``masks_per_image`` different masks per image (:func:`build_mask_sampler`).
* Determinism: every item draws its crop, augmentation and masks from a seed made of
  ``(seed, epoch, index)``, and :class:`EpochSampler` orders an epoch from ``(seed, epoch)``, so a
  run gives the same batches whatever the number of workers, and a resumed run continues with
  exactly the batch it would have seen.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Sampler
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from inpainting.io import IMAGE_EXTENSIONS
from inpainting.registry import lookup

__all__ = [
    "IMAGE_EXTENSIONS",
    "AUGMENTATIONS",
    "TORCHVISION_SOURCES",
    "NVIDIA_MASKS",
    "DataError",
    "MaskSpec",
    "ImageFolderDataset",
    "MultiScaleRandomCrop",
    "InpaintingDataset",
    "EpochSampler",
    "open_source",
    "MixedSource",
    "describe_source",
    "build_augmentation",
    "build_mask_sampler",
    "MaskSampler",
    "make_loader",
    "seed_worker",
]

NVIDIA_MASKS = "nvidia-irregular"  # MaskSpec.generator naming the NVIDIA irregular-mask folder


class DataError(ValueError):
    """Training data that cannot be used: a missing or empty folder, an unknown source, too few images."""


# --------------------------------------------------------------------------- sources
class ImageFolderDataset(Dataset):
    """Every image file under ``root`` (recursively, sorted), returned as RGB PIL images.

    Args:
        root (str | Path): folder searched recursively for files with an extension in
            :data:`IMAGE_EXTENSIONS` (case-insensitive).
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser()
        if not self.root.exists():
            raise DataError(f"data folder {self.root} does not exist")
        if not self.root.is_dir():
            raise DataError(f"data path {self.root} is not a folder; pass a folder of images "
                            f"or one of {', '.join(f'{k}:ROOT' for k in TORCHVISION_SOURCES)}")
        self.files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not self.files:
            raise DataError(f"data folder {self.root} holds no images (searched recursively for "
                            f"{', '.join(IMAGE_EXTENSIONS)})")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Image.Image:
        path = self.files[index]
        try:
            with Image.open(path) as image:
                return image.convert("RGB")
        except OSError as err:
            raise DataError(f"cannot read image {path}: {err}") from err

    def __repr__(self) -> str:
        return f"{self.root} ({len(self)} images)"


class _TorchvisionImages(Dataset):
    """The images of a torchvision dataset (labels dropped), as RGB PIL images."""

    def __init__(self, dataset: Dataset, description: str):
        self.dataset, self.description = dataset, description

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Image.Image:
        image = self.dataset[index][0]
        return image.convert("RGB")

    def __repr__(self) -> str:
        return f"{self.description} ({len(self)} images)"


def _cifar10(root: str, train: bool, download: bool) -> Dataset:
    from torchvision.datasets import CIFAR10

    return CIFAR10(root, train=train, download=download)


def _celeba(root: str, train: bool, download: bool) -> Dataset:
    from torchvision.datasets import CelebA

    return CelebA(root, split="train" if train else "valid", target_type=[], download=download)


def _places365(root: str, train: bool, download: bool) -> Dataset:
    from torchvision.datasets import Places365

    return Places365(root, split="train-standard" if train else "val", small=True, download=download)


TORCHVISION_SOURCES: dict[str, Callable[[str, bool, bool], Dataset]] = {
    "cifar10": _cifar10,
    "celeba": _celeba,
    "places365": _places365,
}


def describe_source(spec: str) -> str:
    """A short label for a data source: its last two path parts (``photos/train``), or the spec."""
    text = str(spec)
    if ("," in text or "@" in text) and not Path(text).exists():
        return " + ".join(describe_source(part) + (f" x{repeat}" if repeat > 1 else "") for part, repeat in _split_mix(text))
    parts = Path(text.rstrip("/")).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else text


class MixedSource(ConcatDataset):
    """Several image sources as one, each repeated a whole number of times per epoch: a small set
    (162 scene photos at their own size) drawn as often as a share of a large one (9,000 photos at
    256 px) without copying files. Index order: the first source's images ``repeat`` times, then the
    next source's.

    Args:
        parts: ``(dataset, repeat, label)`` triples, ``repeat >= 1``.
    """

    def __init__(self, parts: list[tuple[Dataset, int, str]]):
        if not parts:
            raise DataError("a mixed data source needs at least one part")
        self.parts = [(dataset, int(repeat), label) for dataset, repeat, label in parts]
        super().__init__([dataset for dataset, repeat, _ in self.parts for _ in range(repeat)])

    def __repr__(self) -> str:
        return " + ".join(f"{label} ({len(dataset)} images{f' x{repeat}' if repeat > 1 else ''})"
                          for dataset, repeat, label in self.parts)


def _split_mix(text: str) -> list[tuple[str, int]]:
    """``"A,B@20"`` -> ``[("A", 1), ("B", 20)]``; a clear error for a bad repeat."""
    parts = []
    for item in text.split(","):
        spec, sep, count = item.strip().rpartition("@") if "@" in item else (item.strip(), "", "")
        if not spec:
            raise DataError(f"empty data source in {text!r}: write SOURCE[@REPEAT],SOURCE[@REPEAT],...")
        if sep:
            if not count.isdigit() or int(count) < 1:
                raise DataError(f"bad repeat {count!r} in data source {item.strip()!r}: REPEAT after '@' is a whole "
                                f"number >= 1 (how many times the source's images are drawn per epoch)")
        parts.append((spec, int(count) if sep else 1))
    return parts


def open_source(spec: str | os.PathLike, *, train: bool = True, download: bool = False) -> Dataset:
    """A dataset of RGB PIL images from ``spec``: a folder of images, or ``NAME:ROOT`` with NAME in
    :data:`TORCHVISION_SOURCES` (the train split, or the validation/test split when ``train=False``).

    Several sources separated by commas, each with an optional ``@REPEAT`` (drawn that many times per
    epoch), give a :class:`MixedSource`: ``photos/train,scenes/train@20``. An existing path is always
    read as one folder, whatever characters its name holds."""
    text = os.fspath(spec)
    if ("," in text or "@" in text) and not Path(text).exists():
        parts = _split_mix(text)
        if len(parts) == 1 and parts[0][1] == 1:  # "folder@1": the folder itself
            return open_source(parts[0][0], train=train, download=download)
        return MixedSource([(open_source(part, train=train, download=download), repeat, describe_source(part))
                            for part, repeat in parts])
    name, sep, root = text.partition(":")
    if sep and name.lower() in TORCHVISION_SOURCES and not Path(text).exists():
        try:
            dataset = TORCHVISION_SOURCES[name.lower()](root, train, download)
        except (RuntimeError, FileNotFoundError) as err:
            hint = "" if download else "; pass --download to fetch it (needs internet)"
            raise DataError(f"cannot open torchvision {name} under {root!r}: {err}{hint}") from err
        return _TorchvisionImages(dataset, f"torchvision {name} at {root}")
    return ImageFolderDataset(text)


# --------------------------------------------------------------------------- crops and augmentations
class MultiScaleRandomCrop:
    """Random square crop of side ``size × s`` (``s`` drawn from the scales that fit the image),
    resized to ``size`` px: large photos give crops at several scales; an image whose short side
    is below ``size`` is first resized so it is ``size``. ``train=False``: the centre crop of the
    image resized so its short side is ``size`` (a fixed view for validation).

    Draws from torch's random generator (seeded per item by :class:`InpaintingDataset`).
    """

    def __init__(self, size: int, *, scales: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0), train: bool = True):
        self.size, self.scales, self.train = int(size), tuple(scales), train

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        short = min(h, w)
        if not self.train or short <= self.size:
            image = TF.resize(image, self.size, antialias=True) if short != self.size else image
            h, w = image.shape[-2:]
            if not self.train:
                return TF.center_crop(image, [self.size, self.size])
            side = self.size
        else:
            fitting = [s for s in self.scales if round(self.size * s) <= short] or [1.0]
            side = round(self.size * fitting[int(torch.randint(len(fitting), ()))])
        top = int(torch.randint(h - side + 1, ()))
        left = int(torch.randint(w - side + 1, ()))
        crop = image[..., top:top + side, left:left + side]
        return TF.resize(crop, [self.size, self.size], antialias=True) if side != self.size else crop


AUGMENTATIONS: dict[str, Callable[..., Callable]] = {
    "hflip": lambda p=0.5: v2.RandomHorizontalFlip(p),
    "vflip": lambda p=0.5: v2.RandomVerticalFlip(p),
    "rotation": lambda degrees=10.0: v2.RandomRotation(degrees),
    "brightness": lambda factor=0.2: v2.ColorJitter(brightness=factor),
    "color": lambda brightness=0.2, contrast=0.2, saturation=0.2: v2.ColorJitter(brightness, contrast, saturation),
}


def build_augmentation(augment: dict[str, dict[str, Any]]) -> Callable[[torch.Tensor], torch.Tensor]:
    """``v2.Compose`` of the named :data:`AUGMENTATIONS` with their options, in order."""
    return v2.Compose([lookup(AUGMENTATIONS, name, "augmentation")(**opts) for name, opts in augment.items()])


# --------------------------------------------------------------------------- masks
@dataclass(frozen=True)
class MaskSpec:
    """Which hole masks a recipe trains with.

    Attributes:
        generator: a name in :data:`inpainting.masks.MASK_PRESETS` (pixel sizes there are given at a
            reference size and scale with the image), or ``"nvidia-irregular"`` for the NVIDIA
            irregular-mask folder (resized to the working size).
        options: keyword options of the generator (for the NVIDIA folder: of
            :class:`inpainting.masks.NvidiaIrregularMasks`, e.g. ``buckets``).
    """

    generator: str
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{self.generator}({options})" if options else self.generator


class MaskSampler:
    """``sampler(rng) -> uint8 H×W`` hole mask: a generator bound to a size and options (picklable,
    so it travels to spawned data-loader workers)."""

    def __init__(self, generator: Callable[..., np.ndarray], shape: tuple[int, int], options: dict[str, Any]):
        self.generator, self.shape, self.options = generator, shape, options

    def __call__(self, rng: np.random.Generator) -> np.ndarray:
        return self.generator(rng, self.shape, **self.options)


def build_mask_sampler(spec: MaskSpec, size: int, *, nvidia_root: str | os.PathLike | None = None) -> MaskSampler:
    """A function ``rng -> uint8 size×size`` hole mask (1 = hole) for ``spec``."""
    from inpainting import masks

    shape = (size, size)
    if spec.generator == NVIDIA_MASKS:
        if nvidia_root is None:
            raise DataError("this recipe trains with the NVIDIA irregular masks: pass --mask-dir PATH to their folder "
                            "(e.g. ../shared/data/masks/nvidia_irregular) or pick another generator with --masks NAME")
        if not Path(nvidia_root).is_dir():
            raise DataError(f"NVIDIA mask folder {nvidia_root} does not exist")
        return MaskSampler(masks.NvidiaIrregularMasks(nvidia_root, **spec.options).sample, shape, {})
    return MaskSampler(masks.get_mask_generator(spec.generator), shape, dict(spec.options))


# --------------------------------------------------------------------------- dataset and loader
def _item_seeds(seed: int, epoch: int, index: int) -> tuple[np.random.Generator, int]:
    sequence = np.random.SeedSequence([seed, epoch, index])
    torch_seed = int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return np.random.default_rng(sequence), torch_seed


class InpaintingDataset(Dataset):
    """Training or validation items: a cropped, augmented image and ``masks_per_image`` masks.

    Items are dicts ``{"image": 3×S×S float [0, 1], "mask": K×1×S×S float {0, 1}}``.

    Args:
        source: a dataset of PIL images (:func:`open_source`).
        size (int): working side in pixels.
        mask_sampler: ``rng -> S×S uint8`` (:func:`build_mask_sampler`).
        augment: a transform on the ``3×S×S`` uint8 tensor (None: none).
        masks_per_image (int, default 1): K masks drawn per image.
        seed (int, default 0): with the epoch and the index, seeds everything an item draws.
        train (bool, default True): random multi-scale crops; ``False``: centre crops, no augmentation,
            the same masks every epoch.
        scales (tuple[float, ...]): crop scales for :class:`MultiScaleRandomCrop`.
    """

    def __init__(self, source: Dataset, *, size: int, mask_sampler: Callable[[np.random.Generator], np.ndarray],
                 augment: Callable | None = None, masks_per_image: int = 1, seed: int = 0, train: bool = True,
                 scales: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0)):
        if masks_per_image < 1:
            raise ValueError(f"masks_per_image must be >= 1, got {masks_per_image}")
        self.source, self.size, self.mask_sampler = source, int(size), mask_sampler
        self.augment = augment if train else None
        self.masks_per_image, self.seed, self.train = int(masks_per_image), int(seed), train
        self.crop = MultiScaleRandomCrop(size, scales=scales, train=train)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch) if self.train else 0

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng, torch_seed = _item_seeds(self.seed, self.epoch, index)
        image = TF.pil_to_tensor(self.source[index])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(torch_seed)
            image = self.crop(image)
            if self.augment is not None:
                image = self.augment(image)
        image = image.float().div_(255.0).clamp_(0.0, 1.0) if image.dtype == torch.uint8 else image.float()
        masks = []
        for _ in range(self.masks_per_image):
            mask = np.asarray(self.mask_sampler(rng))
            if mask.shape != (self.size, self.size):
                raise DataError(f"mask generator returned shape {mask.shape}, expected {(self.size, self.size)}")
            masks.append(torch.from_numpy((mask > 0).astype(np.float32)))
        return {"image": image, "mask": torch.stack(masks)[:, None]}


class EpochSampler(Sampler[int]):
    """The indices of one epoch: a permutation drawn from ``(seed, epoch)`` (or ``0..n-1`` when not
    shuffling), cut to whole batches of ``batch_size × world_size``, with the first ``skip_batches``
    global batches left out (resuming) and this process's share of each global batch."""

    def __init__(self, n: int, *, batch_size: int, seed: int = 0, epoch: int = 0, shuffle: bool = True,
                 skip_batches: int = 0, rank: int = 0, world_size: int = 1):
        self.n, self.batch_size, self.seed, self.epoch = n, batch_size, seed, epoch
        self.shuffle, self.skip_batches, self.rank, self.world_size = shuffle, skip_batches, rank, world_size

    def _order(self) -> list[int]:
        if not self.shuffle:
            return list(range(self.n))
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return torch.randperm(self.n, generator=generator).tolist()

    def __iter__(self):
        order, global_batch = self._order(), self.batch_size * self.world_size
        for b in range(self.skip_batches, self.n // global_batch):
            batch = order[b * global_batch:(b + 1) * global_batch]
            yield from batch[self.rank * self.batch_size:(self.rank + 1) * self.batch_size]

    def __len__(self) -> int:
        return max(0, self.n // (self.batch_size * self.world_size) - self.skip_batches) * self.batch_size


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn``: seed Python's and NumPy's global generators from the worker's torch seed
    (for third-party code; our own draws are seeded per item)."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - only for libraries that use the global generator


def make_loader(dataset: InpaintingDataset, *, batch_size: int, epoch: int = 0, seed: int = 0,
                shuffle: bool = True, skip_batches: int = 0, workers: int = 0, rank: int = 0,
                world_size: int = 1, drop_last: bool = True) -> DataLoader:
    """A loader over one epoch of ``dataset`` (see :class:`EpochSampler`), with seeded workers."""
    dataset.set_epoch(epoch)
    if drop_last:
        sampler = EpochSampler(len(dataset), batch_size=batch_size, seed=seed, epoch=epoch, shuffle=shuffle,
                               skip_batches=skip_batches, rank=rank, world_size=world_size)
    else:
        sampler = list(range(rank, len(dataset), world_size))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(seed + epoch),
                      persistent_workers=False, drop_last=False)
