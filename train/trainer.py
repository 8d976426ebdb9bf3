"""One trainer for every recipe, on Hugging Face ``accelerate`` (CPU, one or many GPUs, mixed precision).

Each step looks up the recipe's current :class:`~train.recipes.Phase` and does, as the phase says,
a generator step (reconstruction terms, plus the adversarial and feature-matching terms when the
phase is adversarial) and a discriminator step (the recipe's adversarial strategy). GLCIC's three
phases, a plain reconstruction recipe and a GAN recipe are all the same loop.

Around it: tqdm progress with live losses, TensorBoard scalars and image grids, validation every
N steps (PSNR, SSIM, L1 from :mod:`inpainting.metrics`) with composited sample grids saved as PNG,
atomic checkpoints every N steps with everything needed to resume (step, weights, optimisers,
schedulers, RNG states), a time budget that ends cleanly, and a ``save_pretrained`` folder with a
model card at the end.

Output folder layout (``--out DIR``)::

    DIR/config.json, model.safetensors, README.md   the model (inpainting.load_model(DIR))
    DIR/discriminator.safetensors                    adversarial recipes: the discriminator, which
                                                     a later stage's --init-from DIR loads
    DIR/samples.png                                  the final validation grid (shown in the card)
    DIR/training/checkpoint.pt                       the latest resumable state
    DIR/training/samples/step_NNNNNNN.png            validation grids
    DIR/training/tensorboard/                        TensorBoard event files
"""
from __future__ import annotations

import json
import random
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import inpainting
from inpainting.hub import HUB_METADATA_KEY, read_config
from inpainting.loading import local_model_folder
from inpainting.registry import lookup
from inpainting.metrics import composite, evaluate_batch
from train.data import (DataError, InpaintingDataset, describe_source, build_augmentation, build_mask_sampler,
                        make_loader, open_source)
from train.discriminators import create_discriminator
from train.machine import cpu_has_native_bf16
from train.losses import ADVERSARIAL, LOSSES, MissingWeightsError, VGG16Features
from train import card
from train.checkpoint import (CHECKPOINT_NAME, CheckpointError, load_checkpoint, restore_trainer, save_checkpoint,
                              trainer_state)
from train.recipes import OptimizerSpec, Phase, Recipe
from train.step import set_requires_grad, train_step

__all__ = ["OPTIMIZERS", "TrainOptions", "Trainer", "CheckpointError", "save_checkpoint", "load_checkpoint"]  # checkpoint I/O and resume in train.checkpoint, the step in train.step, the card in train.card

DISCRIMINATOR_FILE = "discriminator.safetensors"  # written beside an adversarial run's model

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}


@dataclass
class TrainOptions:
    """How one run goes: where its data and output are, how long it runs, on what, and how it logs.

    What is trained (size, batch, model, losses, masks, learning rate, domain) is the recipe's alone:
    command-line overrides of it are applied once, before the trainer, by :meth:`Recipe.override`.

    Attributes:
        data: a folder of images or ``cifar10:ROOT`` / ``celeba:ROOT`` / ``places365:ROOT``.
        out: the output folder (see the module docstring).
        val_data: validation images (default: a fixed subset of the training images).
        steps: optimisation steps (wins over ``epochs``); epochs: passes over the data.
        max_minutes: time budget of this invocation; the run stops cleanly and saves the model.
        device: ``auto``, ``cpu`` or ``cuda``; mixed_precision: ``no``, ``fp16``, ``bf16`` or ``auto``
            (:func:`resolve_precision`: bf16 where the hardware computes it natively, else no).
        channels_last: keep the model's weights and the batches in channels-last memory layout.
        seed: seeds the model initialisation, the data order, crops, augmentations and masks.
        resume: continue from ``out/training/checkpoint.pt``.
        freeze_encoder_norm: keep the encoder's batch-norm layers in eval mode with frozen parameters
            (Liu et al. 2018's fine-tuning stage: statistics taken over holes are unreliable).
        init_from: start from the weights of a trained model of the same architecture and configuration
            (a shipped name, a ``save_pretrained`` folder or a Hub repo id): fine-tuning, transfer. With
            ``resume`` the checkpoint's weights win; the option is then only recorded in the card.
        mask_dir: the NVIDIA irregular-mask folder for recipes that use it.
        vgg_weights: a ``vgg16-397923af.pth`` file; no_perceptual: drop the VGG-16 terms.
        workers: data-loading processes; download: let torchvision datasets download.
        val_every, checkpoint_every, log_every: in steps; val_images: validation images used.
        name, description, dataset_name: model-card metadata.
        progress: show a tqdm bar; command: the command line recorded in the model card.
    """

    data: str
    out: str
    val_data: str | None = None
    steps: int | None = None
    epochs: float | None = None
    max_minutes: float | None = None
    device: str = "auto"
    mixed_precision: str = "no"
    channels_last: bool = False
    seed: int = 0
    resume: bool = False
    init_from: str | None = None
    freeze_encoder_norm: bool = False
    mask_dir: str | None = None
    vgg_weights: str | None = None
    no_perceptual: bool = False
    workers: int = 0
    download: bool = False
    val_every: int = 500
    val_images: int = 16
    checkpoint_every: int = 500
    log_every: int = 10
    name: str | None = None
    description: str | None = None
    dataset_name: str | None = None
    progress: bool = True
    command: str | None = None


# --------------------------------------------------------------------------- helpers
#: Said when bf16 is asked for on a CPU without native bf16: there PyTorch runs bf16 convolutions on
#: its slow reference path (a 3x3 convolution at 128 px: 5.3 s in bf16 against 0.06 s in float32 on a
#: 2-core AVX2 EPYC, docs/measurements/05-cpu-training-precision.md).
SLOW_BF16_WARNING = ("bf16 autocast on this CPU, which has no native bf16 (no AVX-512 BF16 or AMX): PyTorch runs "
                     "bf16 convolutions on a slow path here, 10 to 100 times slower than float32; use "
                     "--mixed-precision auto (float32 here) or no")


def resolve_precision(requested: str, device: str = "auto") -> str:
    """The autocast precision for ``requested``: ``"auto"`` is bf16 on a CUDA GPU that supports it
    and on a CPU with native bf16 (on this project's 2-core AVX-512 BF16 CPU, bf16 autocast trained
    as well as float32 at equal wall time: docs/measurements/05-cpu-training-precision.md), else
    ``"no"``; anything else is returned unchanged."""
    if requested != "auto":
        return requested
    on_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if on_cuda:
        return "bf16" if torch.cuda.is_bf16_supported() else "no"
    return "bf16" if cpu_has_native_bf16() else "no"


def phase_bounds(phases, total_steps: int) -> list[int]:
    """The step at which each phase ends: fixed-length phases (``steps``) take their steps, the others
    share what remains of ``total_steps`` by their fractions."""
    fixed = sum(p.steps for p in phases if p.steps is not None)
    shared = max(0, total_steps - fixed)
    total_fraction = sum(p.fraction for p in phases if p.steps is None) or 1.0
    bounds, fixed_so_far, fraction_so_far = [], 0, 0.0
    for phase in phases:
        if phase.steps is not None:
            fixed_so_far += phase.steps
        else:
            fraction_so_far += phase.fraction / total_fraction
        bounds.append(fixed_so_far + round(fraction_so_far * shared))
    return bounds


def _make_optimizer(spec: OptimizerSpec, params) -> torch.optim.Optimizer:
    lookup(OPTIMIZERS, spec.name, "optimiser")
    kwargs: dict[str, Any] = {"lr": spec.lr, "weight_decay": spec.weight_decay}
    if spec.name != "sgd":
        kwargs["betas"] = tuple(spec.betas)
    return lookup(OPTIMIZERS, spec.name, "optimiser")(params, **kwargs)


def _make_scheduler(spec: OptimizerSpec, optimizer, total_steps: int):
    milestones = sorted({max(1, round(m * total_steps)) for m in spec.lr_milestones})
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=spec.lr_gamma)


def _grid(corrupted: torch.Tensor, filled: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Rows: input with the hole shown white, the composited result, the ground truth."""
    from torchvision.utils import make_grid

    shown = corrupted * (1 - mask) + mask
    n = shown.shape[0]
    return make_grid(torch.cat([shown, filled, target]).clamp(0, 1), nrow=n, padding=1, pad_value=1.0)


class _Smoother:
    """Exponential moving averages of the logged losses (for the progress bar and the log lines),
    kept as tensors on the device: nothing waits for the device until :meth:`floats` is called, at the
    log interval."""

    def __init__(self, beta: float = 0.9):
        self.beta, self.values = beta, {}

    def update(self, logs: dict[str, torch.Tensor]) -> None:
        for key, value in logs.items():
            value = torch.as_tensor(value, dtype=torch.float32)
            old = self.values.get(key)
            self.values[key] = value if old is None else torch.where(
                torch.isfinite(old), self.beta * old + (1 - self.beta) * value, value)

    def floats(self) -> dict[str, float]:
        return {key: float(value) for key, value in self.values.items()}


# --------------------------------------------------------------------------- trainer
class Trainer:
    """Trains ``recipe`` with ``options`` (see :class:`TrainOptions`).

    Args:
        recipe: the resolved recipe (command-line overrides already applied: :meth:`Recipe.override`).
        options: the run's options.
        vgg: a ready VGG-16 feature extractor (tests pass a randomly initialised one); default:
            built from ``options.vgg_weights`` or the torch hub cache when a loss needs it.
    """

    def __init__(self, recipe: Recipe, options: TrainOptions, *, vgg: nn.Module | None = None):
        from accelerate import Accelerator

        self.recipe = recipe
        self.options = options
        self.out = Path(options.out)
        self.train_dir = self.out / "training"
        self.checkpoint_path = self.train_dir / CHECKPOINT_NAME
        if self.checkpoint_path.exists() and not options.resume:
            raise CheckpointError(f"{self.out} already holds a training run ({self.checkpoint_path}); "
                                  "pass --resume to continue it or choose another --out")
        if options.device not in ("auto", "cpu", "cuda") and not options.device.startswith("cuda:"):
            raise ValueError(f"unknown device {options.device!r}; accepted: auto, cpu, cuda")
        if options.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device {options.device!r} requested but CUDA is not available here; use cpu")
        self.precision = resolve_precision(options.mixed_precision, options.device)
        from accelerate.state import AcceleratorState

        if AcceleratorState._shared_state.get("_mixed_precision", self.precision) != self.precision:
            # accelerate keeps one precision per process; a later run in the same process (a notebook,
            # the tests) may ask for another. The process group (PartialState) is kept.
            AcceleratorState._reset_state()
        self.accelerator = Accelerator(cpu=options.device == "cpu", mixed_precision=self.precision)
        acc = self.accelerator
        self.device = acc.device
        if self.precision == "bf16" and self.device.type == "cpu" and not cpu_has_native_bf16():
            warnings.warn(SLOW_BF16_WARNING, RuntimeWarning, stacklevel=2)
        self._seed_everything(options.seed)

        # ---- data
        self.train_source = open_source(options.data, train=True, download=options.download)
        per_step = recipe.batch_size * acc.num_processes
        if len(self.train_source) < per_step:
            raise DataError(f"{options.data} holds {len(self.train_source)} images, fewer than one batch of "
                            f"{per_step}; use a smaller --batch-size or more images")
        sampler = build_mask_sampler(recipe.masks, recipe.size, nvidia_root=options.mask_dir)
        self.train_set = InpaintingDataset(self.train_source, size=recipe.size, mask_sampler=sampler,
                                           augment=build_augmentation(recipe.augment) if recipe.augment else None,
                                           masks_per_image=recipe.masks_per_image, seed=options.seed,
                                           train=True, scales=recipe.crop_scales)
        if options.val_data:
            self.val_source = open_source(options.val_data, train=False, download=options.download)
            self.val_label = describe_source(options.val_data)
        else:
            self.val_source, self.val_label = self.train_source, "training images (no --val-data given)"
        val_count = min(options.val_images, len(self.val_source))
        val_indices = np.random.default_rng(options.seed).permutation(len(self.val_source))[:val_count].tolist()
        self.val_set = torch.utils.data.Subset(
            InpaintingDataset(self.val_source, size=recipe.size, mask_sampler=sampler, seed=options.seed + 1,
                              train=False), sorted(val_indices))
        self.steps_per_epoch = len(self.train_source) // per_step
        if options.steps is not None:
            self.total_steps = int(options.steps)
        else:
            epochs = options.epochs if options.epochs is not None else recipe.epochs
            self.total_steps = max(1, int(round(epochs * self.steps_per_epoch)))
        if self.total_steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.total_steps}")

        # ---- model
        info = inpainting.get_architecture(recipe.architecture)
        if "native_size" in recipe.model_options:
            raise ValueError("native_size is the size the model is trained at: set it with --size (the recipe's "
                             "size), not as a model option")
        # The working size is the training size, so config.json records the size the weights were trained at.
        self.model = inpainting.create_model(recipe.architecture, recipe.preset, **recipe.model_options,
                                             native_size=recipe.size)
        self.init_added: list[str] = []
        if options.init_from and not options.resume:  # on resume the checkpoint holds the weights
            self._init_from(options.init_from)
        #: the --init-from checkpoint's measured working-size limit (``inpainting_hub.max_side``), kept when it was
        #: trained at this size: a run that continues it fills large photos the same way (None: the default 2N)
        self.inherited_max_side = self._inherited_max_side(options.init_from) if options.init_from else None
        self.frozen_norms = self._find_encoder_norms() if options.freeze_encoder_norm else []
        for module in self.frozen_norms:
            set_requires_grad(module, False)
        multiple = int(getattr(self.model, "pad_multiple", 1) or 1)
        if recipe.size % multiple:
            raise ValueError(f"--size {recipe.size} is not a multiple of {multiple}, which {recipe.architecture} "
                             f"preset {recipe.preset!r} needs; use e.g. {multiple * max(1, round(recipe.size / multiple))}")
        if options.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.info = info
        self.net = self.model  # the InpaintingModel that is saved; self.model is what is trained
        if recipe.coarse_weight:
            if not hasattr(self.model, "forward_stages"):
                raise ValueError(f"recipe {recipe.name} puts a loss on the coarse stage, but {recipe.architecture} "
                                 "has no forward_stages(image, mask) -> (coarse, refined)")
            self.model = _Stages(self.model)

        # ---- losses
        self.loss_terms, self.dropped_terms = self._build_losses(vgg)

        # ---- adversarial part
        adv = recipe.adversarial
        uses_adv = any(p.discriminator or p.adversarial for p in recipe.phases)
        self.discriminator = self.strategy = self.d_optimizer = self.d_scheduler = None
        self.discriminator_from: str | None = None  # the file an --init-from critic came from
        if adv is not None and uses_adv:
            if adv.loss not in ADVERSARIAL:
                raise KeyError(f"unknown adversarial loss {adv.loss!r}; known: {', '.join(ADVERSARIAL)}")
            self.strategy = lookup(ADVERSARIAL, adv.loss, "adversarial loss")(**adv.loss_options)
            self.discriminator = create_discriminator(adv.discriminator, image_size=recipe.size, **adv.options)
            if options.init_from and not options.resume:
                self.discriminator_from = self._discriminator_from(options.init_from)
            self.d_optimizer = _make_optimizer(adv.optimizer, self.discriminator.parameters())
            self.d_scheduler = _make_scheduler(adv.optimizer, self.d_optimizer, self.total_steps)

        self.optimizer = _make_optimizer(recipe.optimizer, self.model.parameters())
        self.scheduler = _make_scheduler(recipe.optimizer, self.optimizer, self.total_steps)
        if self.discriminator is not None:
            self.model, self.optimizer, self.discriminator, self.d_optimizer = acc.prepare(
                self.model, self.optimizer, self.discriminator, self.d_optimizer)
        else:
            self.model, self.optimizer = acc.prepare(self.model, self.optimizer)

        self.phase_bounds = phase_bounds(recipe.phases, self.total_steps)
        #: the exponential moving average of the generator (recipe.optimizer.ema), or None; what validate()
        #: measures and save_model() writes when set
        self.ema = self._make_ema() if recipe.optimizer.ema else None

        self.step = 0
        self.wall_time = 0.0
        self.metrics: dict[str, float] = {}
        self.history: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []  # every invocation of this run: {"from_step", "command"}
        self.images_seen = 0
        self.stop_reason = "not started"
        self.writer = None
        self._last_grid: torch.Tensor | None = None
        if options.resume:
            self._restore(load_checkpoint(self.checkpoint_path))

    # ------------------------------------------------------------------ construction helpers
    def _make_ema(self):
        """A moving average of ``self.net`` (torch's ``AveragedModel``: a copy of the model, parameters and
        buffers averaged, so batch-norm statistics follow the averaged weights), starting at its weights."""
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(self.net, multi_avg_fn=get_ema_multi_avg_fn(self.recipe.optimizer.ema), use_buffers=True)
        ema.update_parameters(self.net)  # the first update copies: the average starts at the start's weights
        return ema

    @property
    def saved_model(self) -> nn.Module:
        """The model that is validated and saved: the moving average when the recipe keeps one."""
        return self.net if self.ema is None else self.ema.module

    def _seed_everything(self, seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002 - third-party code only; ours passes generators
        torch.manual_seed(seed)

    def _find_encoder_norms(self) -> list[nn.Module]:
        encoder = getattr(self.model, "encoder", None)
        if not isinstance(encoder, nn.Module):
            raise ValueError(f"--freeze-encoder-norm: {self.recipe.architecture!r} has no `encoder` submodule; "
                             "it applies to encoder-decoder models such as pconv-unet")
        norms = [m for m in encoder.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            raise ValueError(f"--freeze-encoder-norm: the encoder of {self.recipe.architecture!r} preset "
                             f"{self.recipe.preset!r} has no batch-norm layers to freeze")
        return norms

    def _set_train_mode(self, mode: bool) -> None:
        """``model.train(mode)``, with the frozen encoder norms kept in eval mode (running statistics)."""
        self.model.train(mode)
        for module in self.frozen_norms:
            module.eval()

    def _init_from(self, spec: str) -> None:
        """Copy the weights of the trained model ``spec`` into the fresh model (strict: same layers and shapes,
        after the model's own ``adapt_state_dict`` hook, if it has one, has filled in the layers it may add)."""
        try:
            source = inpainting.load_model(spec, device="cpu")
        except inpainting.WeightsError as err:
            raise ValueError(f"--init-from {spec}: {err}") from err
        theirs = getattr(source, "architecture", type(source).__name__)
        if type(source) is not type(self.model):
            raise ValueError(f"--init-from {spec}: it is a {theirs!r} model, but recipe {self.recipe.name} trains "
                             f"{self.recipe.architecture!r}; give a checkpoint of the same architecture")
        state = source.state_dict()
        adapt = getattr(self.model, "adapt_state_dict", None)
        if adapt is not None:  # e.g. a PConv U-Net growing zero-initialised context blocks
            state = adapt(state)
        #: tensors this model has that the checkpoint did not (its own fresh values; the model card says so)
        self.init_added = sorted(set(state) - set(source.state_dict()))
        try:
            self.model.load_state_dict(state)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[1:2] or [str(err)]
            raise ValueError(f"--init-from {spec}: its weights do not fit preset {self.recipe.preset!r} "
                             f"{json.dumps(self.recipe.model_options)} (other channels or layers?): "
                             f"{first[0].strip()}") from err

    def _inherited_max_side(self, spec: str) -> int | None:
        """``inpainting_hub.max_side`` of the model ``spec`` when it is a local folder or shipped name of this
        architecture trained at this size; else None."""
        folder = local_model_folder(spec)
        if folder is None:
            return None
        config = read_config(folder)
        side = (config.get(HUB_METADATA_KEY) or {}).get("max_side")
        same = (config.get("architecture") == self.recipe.architecture
                and config.get("native_size") == getattr(self.model, "native_size", None))
        return int(side) if side and same else None

    def _discriminator_from(self, spec: str) -> str | None:
        """Load the discriminator that the run of ``spec`` saved beside its model
        (:data:`DISCRIMINATOR_FILE`), so that a later adversarial stage goes on against a trained critic
        instead of a fresh one. Returns the file, or None (with a notice) when there is none or it
        does not fit this recipe's discriminator, which then starts fresh."""
        folder = local_model_folder(spec)
        file = None if folder is None else folder / DISCRIMINATOR_FILE
        if file is None or not file.is_file():
            print(f"--init-from {spec}: no {DISCRIMINATOR_FILE} beside the model; the discriminator starts fresh")
            return None
        from safetensors.torch import load_file

        theirs, ours = load_file(str(file)), self.discriminator.state_dict()
        adapt = getattr(self._unwrap(self.discriminator), "adapt_state_dict", None)
        if adapt is not None:  # e.g. a single-scale critic as scale 0 of a multi-scale one
            theirs = adapt(theirs)
        # Checked before loading: a strict load_state_dict that fails has already copied the tensors that fit.
        misfit = sorted(set(ours) ^ set(theirs)) or [k for k in ours if ours[k].shape != theirs[k].shape]
        if misfit:
            warnings.warn(f"--init-from {spec}: {file} does not fit the {self.recipe.adversarial.discriminator!r} "
                          f"discriminator of recipe {self.recipe.name} (first differing tensor: {misfit[0]}); "
                          "it starts fresh", RuntimeWarning, stacklevel=2)
            return None
        self.discriminator.load_state_dict(theirs)
        print(f"--init-from {spec}: discriminator loaded from {file}")
        return str(file)

    def _build_losses(self, vgg: nn.Module | None):
        """``[(name, weight, fn(pred, target, mask))]`` and the names of the VGG terms left out."""
        for term in self.recipe.losses:
            lookup(LOSSES, term.name, "loss")
        vgg_terms = [t.name for t in self.recipe.losses if LOSSES[t.name].needs_vgg]
        features = None
        if vgg_terms and not self.options.no_perceptual:
            if vgg is not None:
                features = vgg if isinstance(vgg, VGG16Features) else VGG16Features(vgg)
            else:
                try:
                    features = VGG16Features(weights_path=self.options.vgg_weights)
                except MissingWeightsError:
                    if self.recipe.perceptual_required or self.options.vgg_weights:
                        raise
                    warnings.warn(f"recipe {self.recipe.name}: no VGG-16 weights found, training without "
                                  f"{', '.join(vgg_terms)}", stacklevel=3)
            if features is not None:
                features = features.to(self.accelerator.device)
        terms, dropped = [], []
        for term in self.recipe.losses:
            info = LOSSES[term.name]
            if info.needs_vgg and features is None:
                dropped.append(term.name)
                continue
            fn = partial(info.fn, **term.options, **({"vgg": features} if info.needs_vgg else {}))
            terms.append((term.name, term.weight, fn))
        if not terms:
            raise ValueError(f"recipe {self.recipe.name}: no loss term left to train with")
        return terms, dropped

    # ------------------------------------------------------------------ state
    def _unwrap(self, module):
        return self.accelerator.unwrap_model(module)

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs (:func:`train.checkpoint.trainer_state`)."""
        return trainer_state(self)

    def _restore(self, state: dict[str, Any]) -> None:
        restore_trainer(self, state)

    def save_checkpoint(self) -> Path | None:
        """Write the resumable state (main process only)."""
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            return save_checkpoint(self.state_dict(), self.checkpoint_path)
        return None

    # ------------------------------------------------------------------ one step
    def phase_at(self, step: int) -> Phase:
        for phase, bound in zip(self.recipe.phases, self.phase_bounds):
            if step < bound:
                return phase
        return self.recipe.phases[-1]

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One optimisation step (:func:`train.step.train_step`)."""
        return train_step(self, batch)

    # ------------------------------------------------------------------ validation
    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Metrics on the validation images (main process), a PNG grid and TensorBoard entries."""
        if not self.accelerator.is_main_process:
            return {}
        model = self.saved_model
        was_training = self.net.training
        model.eval()
        loader = torch.utils.data.DataLoader(self.val_set, batch_size=max(1, min(16, self.recipe.batch_size * 2)))
        sums: dict[str, float] = {}
        count, grid_batch = 0, None
        for batch in loader:
            image = batch["image"].to(self.device)
            mask = batch["mask"][:, 0].to(self.device)
            corrupted = image * (1 - mask)
            pred = model(corrupted, mask).float().clamp(0, 1)
            filled = composite(pred, image, mask)
            for key, values in evaluate_batch(filled, image, mask, composite=False).items():
                sums[key] = sums.get(key, 0.0) + float(values.double().sum())
            count += image.shape[0]
            if grid_batch is None:
                grid_batch = (corrupted[:8].cpu(), filled[:8].cpu(), image[:8].cpu(), mask[:8].cpu())
        self._set_train_mode(was_training)
        metrics = {key: value / max(count, 1) for key, value in sums.items()}
        self.metrics = metrics
        self.history.append({"step": self.step, **metrics})
        if grid_batch is not None:
            from torchvision.utils import save_image

            grid = _grid(*grid_batch)
            samples = self.train_dir / "samples"
            samples.mkdir(parents=True, exist_ok=True)
            save_image(grid, samples / f"step_{self.step:07d}.png")
            if self.writer is not None:
                self.writer.add_image("val/samples", grid, self.step)
            self._last_grid = grid
        if self.writer is not None:
            for key, value in metrics.items():
                self.writer.add_scalar(f"val/{key}", value, self.step)
        return metrics

    # ------------------------------------------------------------------ loop
    def fit(self, *, stop_at_step: int | None = None) -> Path | None:
        """Train to ``total_steps`` (or until the time budget runs out), then validate and write
        the ``save_pretrained`` folder. ``stop_at_step``: stop there leaving only a checkpoint (an
        interrupted run, as in the tests). Returns the model folder (None when stopped early)."""
        acc, options = self.accelerator, self.options
        main = acc.is_main_process
        self.commands.append({"from_step": self.step, "command": options.command or card.command_line()})
        if main:
            self.train_dir.mkdir(parents=True, exist_ok=True)
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.train_dir / "tensorboard"), purge_step=self.step or None)
        from tqdm.auto import tqdm

        bar = tqdm(total=self.total_steps, initial=self.step, disable=not (main and options.progress),
                   desc=self.recipe.name, dynamic_ncols=True)
        smoother = _Smoother()
        start = time.monotonic()
        wall_at_start = self.wall_time
        budget = None if options.max_minutes is None else options.max_minutes * 60.0
        stop_reason = "done"
        try:
            while self.step < self.total_steps:
                epoch, offset = divmod(self.step, self.steps_per_epoch)
                loader = make_loader(self.train_set, batch_size=self.recipe.batch_size, epoch=epoch,
                                     seed=options.seed, skip_batches=offset, workers=options.workers,
                                     rank=acc.process_index, world_size=acc.num_processes)
                for batch in loader:
                    logs = self.train_step(batch)
                    self.wall_time = wall_at_start + time.monotonic() - start
                    bar.update(1)
                    smoother.update(logs)
                    at_log = self.step % options.log_every == 0 or self.step == 1
                    if at_log:  # the only place the losses are read as numbers (a device sync)
                        shown = smoother.floats()
                        bar.set_postfix({k: f"{v:.4g}" for k, v in shown.items() if k.endswith("loss")
                                         or k in ("mse", "masked_mse", "l1_hole")}, refresh=False)
                    if main and not options.progress and self.step % options.log_every == 0:
                        # Without a progress bar (CI, logs), print the smoothed losses as lines.
                        losses = " ".join(f"{k}={v:.4g}" for k, v in shown.items())
                        print(f"step {self.step}/{self.total_steps} {self.wall_time:.0f}s {losses}", flush=True)
                    if self.writer is not None and at_log:
                        for key, value in logs.items():
                            self.writer.add_scalar(f"train/{key}", float(value), self.step)
                        self.writer.add_scalar("train/lr", self.optimizer.param_groups[0]["lr"], self.step)
                        self.writer.add_scalar("train/images_per_second",
                                               self.images_seen / max(self.wall_time, 1e-9), self.step)
                    if options.val_every and self.step % options.val_every == 0 and self.step < self.total_steps:
                        self.validate()
                    if options.checkpoint_every and self.step % options.checkpoint_every == 0:
                        self.save_checkpoint()
                    if stop_at_step is not None and self.step >= stop_at_step:
                        stop_reason = "stopped"
                        break
                    if budget is not None and time.monotonic() - start >= budget:
                        stop_reason = "time budget"
                        break
                    if self.step >= self.total_steps:
                        break
                if stop_reason != "done":
                    break
        except KeyboardInterrupt:
            self.save_checkpoint()
            bar.close()
            raise
        bar.close()
        self.stop_reason = stop_reason
        if stop_reason == "stopped":
            self.save_checkpoint()
            self._close_writer()
            return None
        self.validate()
        self.save_checkpoint()
        folder = self.save_model() if main else None
        acc.wait_for_everyone()
        self._close_writer()
        return folder

    def _close_writer(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # ------------------------------------------------------------------ output
    def metadata(self) -> dict[str, Any]:
        return card.metadata(self)

    def training_card(self) -> str:
        return card.training_card(self)

    def evaluation_card(self) -> str:
        return card.evaluation_card(self)

    def save_model(self) -> Path:
        """Write the ``save_pretrained`` folder (and ``samples.png``) into ``out``."""
        model = self.saved_model
        model.eval()
        self.out.mkdir(parents=True, exist_ok=True)
        if self._last_grid is not None:
            from torchvision.utils import save_image

            save_image(self._last_grid, self.out / "samples.png")
        title = self.options.name or f"{self.recipe.architecture} ({self.recipe.name})"
        # huggingface_hub keeps a README.md that already exists; the one left by an earlier invocation
        # of this run (a time budget, then --resume) describes older weights, so it is replaced.
        (self.out / "README.md").unlink(missing_ok=True)
        if self.discriminator is not None:
            from safetensors.torch import save_file

            # Beside the model, so that the next adversarial stage (--init-from this folder) keeps its critic.
            state = self.accelerator.unwrap_model(self.discriminator).state_dict()
            save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, str(self.out / DISCRIMINATOR_FILE),
                      metadata={"discriminator": self.recipe.adversarial.discriminator,
                                "options": json.dumps(self.recipe.adversarial.options), "step": str(self.step)})
        model.save_pretrained(self.out, metadata=self.metadata(),
                              model_card_kwargs={"title": title, "training": self.training_card(),
                                                 "evaluation": self.evaluation_card()})
        return self.out


class _Stages(nn.Module):
    """Trains a coarse-to-fine model through ``forward_stages`` (``(coarse, refined)``), so that
    ``accelerate``'s wrappers see an ordinary forward."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image, mask):
        return self.model.forward_stages(image, mask)
