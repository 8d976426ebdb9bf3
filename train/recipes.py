"""Training recipes as data, in one registry.

A :class:`Recipe` names the registry architecture and preset, the working size, the batch and
the length of training, the reconstruction losses with their weights, the masks, the
augmentations, the optimiser and its schedule, an optional adversarial part (discriminator,
adversarial strategy, weights) and the training phases. :class:`~train.trainer.Trainer` runs any
recipe; command-line options override the recipe's values.

Each recipe reproduces one of the project's reports with the report's hyperparameters as
defaults; where a report does not state a value the choice made here is said in the recipe's
``notes``. Register new ones with :func:`register_recipe`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from inpainting.registry import lookup
from train.data import NVIDIA_MASKS, MaskSpec

__all__ = [
    "LossTerm",
    "OptimizerSpec",
    "AdversarialSpec",
    "Phase",
    "Recipe",
    "ShippedRun",
    "RECIPES",
    "register_recipe",
    "get_recipe",
    "list_recipes",
]


@dataclass(frozen=True)
class LossTerm:
    """One weighted term of the generator loss: a name in :data:`train.losses.LOSSES` and its options."""

    name: str
    weight: float = 1.0
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        options = "".join(f", {k}={v}" for k, v in self.options.items())
        return f"{self.weight:g}×{self.name}{f'({options[2:]})' if options else ''}"


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimiser (a name in :data:`train.trainer.OPTIMIZERS`) and a step schedule.

    Attributes:
        lr_milestones: fractions of the run after which the learning rate is multiplied by
            ``lr_gamma`` (e.g. ``(0.4,)`` with 0.1: 1e-3 for 8 of 20 epochs, then 1e-4).
        ema: decay of an exponential moving average of the generator's weights (and buffers), updated
            after every generator step; the run validates and saves the average, not the last weights
            (0: off). 0.999 averages over about the last thousand steps, as GAN generators usually are
            (Karras et al. 2018; Yazici et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training").
    """

    name: str = "adam"
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    lr_milestones: tuple[float, ...] = ()
    lr_gamma: float = 0.1
    ema: float = 0.0

    def __post_init__(self):
        if isinstance(self.ema, bool) or not isinstance(self.ema, (int, float)) or not 0 <= self.ema < 1:
            raise ValueError(f"ema must be a decay in [0, 1) (0: no moving average), got {self.ema!r}")


@dataclass(frozen=True)
class AdversarialSpec:
    """The adversarial part of a recipe.

    Attributes:
        discriminator: a name in :data:`train.discriminators.DISCRIMINATORS`, with ``options``.
        loss: a name in :data:`train.losses.ADVERSARIAL`, with ``loss_options``.
        weight: weight of the adversarial term in the generator loss.
        feature_matching: weight of the discriminator feature-matching term (0: off).
        conditional: the discriminator also sees the corrupted input (pix2pix).
        sees: ``"composite"`` (the prediction pasted into the known pixels) or ``"prediction"``
            (the raw output, as LaMa) is what the discriminator judges as fake.
        optimizer: the discriminator's optimiser.
        hole_ramp: ``(low, high)`` hole ratios: a sample's adversarial and feature-matching terms
            weigh ``clamp((r - low) / (high - low), 0, 1)``, ``r`` the share of its pixels in the
            hole, so that thin strokes train for fidelity and large holes for texture (``None``:
            every sample weighs 1). See :func:`train.losses.hole_ramp_weight`.
    """

    discriminator: str
    options: dict[str, Any] = field(default_factory=dict)
    loss: str = "bce"
    loss_options: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0
    feature_matching: float = 0.0
    conditional: bool = False
    sees: str = "composite"
    optimizer: OptimizerSpec = field(default_factory=lambda: OptimizerSpec(lr=2e-4, betas=(0.5, 0.999)))
    hole_ramp: tuple[float, float] | None = None

    def __post_init__(self):
        if self.sees not in ("composite", "prediction"):
            raise ValueError(f"sees must be 'composite' or 'prediction', got {self.sees!r}")
        if self.hole_ramp is not None:
            low, high = self.hole_ramp
            if not 0 <= low < high <= 1:
                raise ValueError(f"hole_ramp must be (low, high) hole ratios with 0 <= low < high <= 1, "
                                 f"got {self.hole_ramp!r}")


@dataclass(frozen=True)
class Phase:
    """A stretch of training: what is updated and with which generator terms.

    Attributes:
        name: shown in logs.
        fraction: share of the run's steps (the phases' fractions are normalised to 1).
        steps: a fixed number of steps instead of a share (a warm-up); the phases without one
            share what remains of the run.
        generator: update the generator (with the reconstruction losses).
        discriminator: update the discriminator.
        adversarial: add the adversarial (and feature-matching) terms to the generator loss.
    """

    name: str
    fraction: float = 1.0
    steps: int | None = None
    generator: bool = True
    discriminator: bool = False
    adversarial: bool = False


RECONSTRUCTION = (Phase("reconstruction"),)
ADVERSARIAL = (Phase("adversarial", generator=True, discriminator=True, adversarial=True),)


#: Where an intermediate stage with ``join_with`` leaves its joined weights, beside its run folder: a later
#: stage starts from (and joins with) ``run:CHECKPOINT-joined``.
JOINED_SUFFIX = "-joined"


@dataclass(frozen=True)
class ShippedRun:
    """How a shipped checkpoint was trained, beyond its recipe: where the data lies and how long it ran.

    A recipe that carries one trains with ``python -m train --recipe NAME`` alone: the paths are
    relative to ``--data-root`` (default ``$INPAINTING_DATA`` or ``../shared/data``), the output
    folder is ``runs/CHECKPOINT``, and every value here is only a default that the command line
    overrides. Multi-stage checkpoints are chains of such recipes (``NAME:STAGE``): a stage with
    ``continues`` resumes the run folder of an earlier stage, one with ``init_from="run:NAME"``
    starts from the weights another stage left in ``runs/NAME``.

    Attributes:
        checkpoint: the shipped name (its folder in ``checkpoints/`` and ``runs/``).
        data, val_data, mask_dir: relative to the data root.
        steps, max_minutes: the run's length (the time budget usually ends it on a CPU).
        val_every, val_images, checkpoint_every: as the ``python -m train`` options.
        mixed_precision, channels_last, freeze_encoder_norm, seed: as the options of the same names.
        init_from: a shipped name, or ``run:NAME`` (another stage's run folder beside this one).
        continues: the stage whose run this one resumes (same folder, ``--resume``).
        ship: False for intermediate stages that are not copied to ``checkpoints/``.
        max_side: the working-size limit written into the shipped config (measured separately).
        inference_options: model options without weights (PConvUNet's ``edge_blend``) written into
            the shipped config after training: the run trains without them, the checkpoint fills with
            them (chosen by a measurement on train photos; its record says which).
        join_with, join_weight: when ``join_with`` is set (a shipped name or ``run:NAME``), the shipped weights
            are ``(1 − join_weight)·join_with + join_weight·this run``, joined in weight space by
            :func:`train.shipped.ship` (:mod:`train.interpolate`): a fine-tuned stage and its start. For an
            intermediate stage (``ship=False``) the join goes to ``runs/CHECKPOINT-joined``, where a later stage
            starts from it (``init_from="run:CHECKPOINT-joined"``).
        rank: the app's preference among the models of its domain, lower first, written into the
            shipped config (``inpainting_hub.rank``; None: ranked by its evaluation).
        dataset_name, description: model-card metadata.
    """

    checkpoint: str
    data: str
    val_data: str | None = None
    steps: int | None = None
    max_minutes: float | None = None
    val_every: int = 500
    val_images: int = 16
    checkpoint_every: int = 500
    mask_dir: str | None = None
    mixed_precision: str = "no"
    channels_last: bool = False
    freeze_encoder_norm: bool = False
    seed: int = 0
    init_from: str | None = None
    continues: str | None = None
    ship: bool = True
    max_side: int | None = None
    inference_options: dict | None = None
    rank: int | None = None
    join_with: str | None = None
    join_weight: float = 0.5
    dataset_name: str | None = None
    description: str | None = None

    def describe(self) -> str:
        parts = [f"trains checkpoints/{self.checkpoint}" if self.ship else f"stage of runs/{self.checkpoint}",
                 f"data {self.data}" + (f" (val {self.val_data})" if self.val_data else "")]
        if self.continues:
            parts.append(f"resumes {self.continues}")
        if self.init_from:
            parts.append(f"from {self.init_from}")
        if self.max_minutes:
            parts.append(f"{self.max_minutes:g} min")
        if self.mixed_precision != "no":
            parts.append(self.mixed_precision + (" + channels-last" if self.channels_last else ""))
        if self.freeze_encoder_norm:
            parts.append("encoder norm frozen")
        if self.join_with:
            where = "shipped" if self.ship else f"joined into runs/{self.checkpoint}{JOINED_SUFFIX}"
            parts.append(f"{where} as {1 - self.join_weight:g} × {self.join_with} + {self.join_weight:g} × this run "
                         "(weight space)")
        return ", ".join(parts)


@dataclass(frozen=True)
class Recipe:
    """Everything needed to train one model (see the module docstring).

    Attributes:
        name: registry name (``--recipe``).
        description: one line shown by ``--list-recipes``.
        report: the report (and paper) the recipe reproduces.
        architecture, preset, model_options: for :func:`inpainting.create_model`.
        size: working side in pixels, also the trained model's ``native_size`` (in its config.json);
        batch_size: images per step (per process);
        epochs: length of training when neither ``--steps`` nor ``--epochs`` is given.
        losses: the generator's reconstruction terms.
        masks: the hole masks; masks_per_image: masks drawn per image (the batch grows by it).
        augment: named augmentations (:data:`train.data.AUGMENTATIONS`) with their options.
        crop_scales: scales of the random crops taken from large photos.
        optimizer: the generator's optimiser and schedule.
        adversarial: the discriminator side, or None.
        phases: the training phases in order.
        perceptual_required: True: a missing VGG-16 is an error unless ``--no-perceptual``;
            False: the VGG terms are dropped with a warning when no weights exist (LaMa).
        coarse_weight: for coarse-to-fine models (with ``forward_stages``), the reconstruction
            terms are also applied to the coarse result with this weight (0: off).
        domain: ``"faces"``, ``"scenes"``, ``"photos"`` or ``"objects"`` (model card, ``available_models``).
        dataset: the data the report trained on (shown by ``--list-recipes``).
        notes: choices made where the report is silent.
        base: the recipe this one is derived from (a shipped checkpoint's recipe names its report's).
        shipped: for a shipped checkpoint's recipe, its data, length and run settings.
    """

    name: str
    description: str
    report: str
    architecture: str
    preset: str
    size: int
    batch_size: int
    epochs: int
    losses: tuple[LossTerm, ...]
    masks: MaskSpec
    model_options: dict[str, Any] = field(default_factory=dict)
    masks_per_image: int = 1
    augment: dict[str, dict[str, Any]] = field(default_factory=dict)
    crop_scales: tuple[float, ...] = (1.0,)
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    adversarial: AdversarialSpec | None = None
    phases: tuple[Phase, ...] = RECONSTRUCTION
    perceptual_required: bool = True
    coarse_weight: float = 0.0
    domain: str = "scenes"
    dataset: str = ""
    notes: str = ""
    base: str = ""
    shipped: ShippedRun | None = None

    def __post_init__(self):
        if not self.phases:
            raise ValueError(f"recipe {self.name!r} has no phases")
        if any(p.discriminator or p.adversarial for p in self.phases) and self.adversarial is None:
            raise ValueError(f"recipe {self.name!r} has adversarial phases but no AdversarialSpec")

    def replace(self, **changes: Any) -> "Recipe":
        """A copy with some fields changed (command-line overrides)."""
        return replace(self, **changes)

    def override(self, *, size: int | None = None, batch_size: int | None = None, preset: str | None = None,
                 model_options: dict[str, Any] | None = None, loss_weights: dict[str, float] | None = None,
                 lr: float | None = None, masks: str | None = None, masks_per_image: int | None = None,
                 crop_scales: tuple[float, ...] | None = None, domain: str | None = None,
                 ema: float | None = None) -> "Recipe":
        """The recipe with command-line overrides applied, once, at the edge (``python -m train``,
        :func:`train.train`); ``None`` keeps the recipe's value. ``model_options`` merge over the
        recipe's; ``loss_weights`` re-weight terms as :meth:`with_losses`; ``masks`` names a generator."""
        recipe = self.with_losses(loss_weights) if loss_weights else self
        changes: dict[str, Any] = {key: value for key, value in (
            ("size", size), ("batch_size", batch_size), ("preset", preset), ("masks_per_image", masks_per_image),
            ("crop_scales", crop_scales), ("domain", domain)) if value is not None}
        if masks is not None:
            changes["masks"] = MaskSpec(masks)
        if model_options:
            changes["model_options"] = {**recipe.model_options, **model_options}
        if lr is not None or ema is not None:
            changes["optimizer"] = replace(recipe.optimizer, **{k: v for k, v in (("lr", lr), ("ema", ema))
                                                                  if v is not None})
        return recipe.replace(**changes) if changes else recipe

    def with_losses(self, weights: dict[str, float]) -> "Recipe":
        """A copy with generator loss terms re-weighted by name: a new name adds a term, a known one
        takes the new weight, 0 drops it (``{"ssim": 1, "perceptual": 0}``)."""
        from train.losses import LOSSES

        for name in weights:
            lookup(LOSSES, name, "loss", "in the loss overrides (--loss)")
        for name, weight in weights.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
                    or weight < 0:
                raise ValueError(f"loss {name!r}: weight must be a finite number >= 0 (0 drops the term), got "
                                 f"{weight!r} (--loss)")
        terms = [LossTerm(t.name, float(weights.get(t.name, t.weight)), t.options) for t in self.losses]
        known = {t.name for t in self.losses}
        terms += [LossTerm(name, float(weight)) for name, weight in weights.items() if name not in known]
        terms = tuple(t for t in terms if t.weight > 0)
        if not terms:
            raise ValueError(f"the loss overrides {weights} leave recipe {self.name} with no loss term")
        return self.replace(losses=terms)

    def derive(self, name: str, description: str, **changes: Any) -> "Recipe":
        """A new recipe called ``name`` from this one (``base`` records where it came from)."""
        return self.replace(name=name, description=description, base=self.base or self.name, **changes)

    def describe(self) -> str:
        """Several lines for ``--list-recipes``."""
        lines = [f"{self.name}: {self.description}",
                 *([f"    from recipe: {self.base}"] if self.base else []),
                 *([f"    shipped run: {self.shipped.describe()}"] if self.shipped else []),
                 f"    report: {self.report}",
                 f"    model: {self.architecture} preset {self.preset!r}"
                 + (f" {self.model_options}" if self.model_options else ""),
                 f"    data: {self.dataset or 'any'}, {self.size} px, batch {self.batch_size}, {self.epochs} epochs; "
                 f"masks {self.masks}" + (f" ×{self.masks_per_image}" if self.masks_per_image > 1 else ""),
                 f"    loss: {' + '.join(str(t) for t in self.losses)}; {self.optimizer.name} lr {self.optimizer.lr:g}"
                 + (f" ×{self.optimizer.lr_gamma:g} after {', '.join(f'{m:.0%}' for m in self.optimizer.lr_milestones)}"
                    if self.optimizer.lr_milestones else "")
                 + (f"; weights averaged (EMA {self.optimizer.ema:g})" if self.optimizer.ema else "")]
        if self.adversarial is not None:
            adv = self.adversarial
            lines.append(f"    adversarial: {adv.discriminator} discriminator, {adv.loss} loss ×{adv.weight:g}"
                         + (f", feature matching ×{adv.feature_matching:g}" if adv.feature_matching else "")
                         + (", conditioned on the corrupted image" if adv.conditional else ""))
        if len(self.phases) > 1:
            lines.append("    phases: " + ", ".join(f"{p.name} {p.steps} steps" if p.steps is not None
                                                    else f"{p.name} {p.fraction:.0%}" for p in self.phases))
        if self.augment:
            lines.append(f"    augment: {', '.join(self.augment)}")
        if self.notes:
            lines.append(f"    notes: {self.notes}")
        return "\n".join(lines)


RECIPES: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to :data:`RECIPES` (names are unique)."""
    if recipe.name in RECIPES:
        raise ValueError(f"recipe {recipe.name!r} is already registered")
    RECIPES[recipe.name] = recipe
    return recipe


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``, or a clear error listing the known ones."""
    return lookup(RECIPES, name, "recipe", "python -m train --list-recipes describes them")


def list_recipes() -> list[Recipe]:
    """Every recipe, in registration order."""
    return list(RECIPES.values())


# =========================================================================== the recipes
# --- CIFAR-10 report: blind autoencoder and PConv autoencoder, Adam defaults, MSE, random lines.
_CIFAR = dict(report="CIFAR-10 report", size=32, batch_size=64, losses=(LossTerm("mse"),),
              masks=MaskSpec("lines"), optimizer=OptimizerSpec("adam", lr=1e-3), domain="objects",
              dataset="CIFAR-10 (32×32)",
              notes="batch 64 (the report does not state it); Adam with PyTorch's defaults")

register_recipe(Recipe(
    name="cifar10-autoencoder",
    description="blind convolutional autoencoder on CIFAR-10 with MSE and random black lines",
    architecture="conv-autoencoder", preset="cifar10", epochs=20, **_CIFAR))

register_recipe(Recipe(
    name="cifar10-pconv",
    description="partial-convolution autoencoder on CIFAR-10 with MSE and random black lines",
    architecture="pconv-unet", preset="cifar10", epochs=100, **_CIFAR))

# --- CelebA report: PConv U-Net, MSE, Adam 1e-3 (8 epochs) then 1e-4 (12), batch 5, 7 thick lines.
register_recipe(Recipe(
    name="celeba-pconv",
    description="PConv U-Net on CelebA faces with MSE, 7 thick lines, rotation/flip/brightness augmentation",
    report="CelebA report", architecture="pconv-unet", preset="celeba", size=128, batch_size=5, epochs=20,
    losses=(LossTerm("mse"),), masks=MaskSpec("celeba-lines"),
    augment={"rotation": {"degrees": 10.0}, "hflip": {}, "brightness": {"factor": 0.2}},
    optimizer=OptimizerSpec("adam", lr=1e-3, lr_milestones=(0.4,), lr_gamma=0.1),
    domain="faces", dataset="CelebA aligned faces",
    notes="128 px working size; rotation ±10°, brightness ±20% (the report gives no amounts)"))

# --- Places cGAN report: Liu et al.'s loss; PConv baseline, and PConv+RN with a conditional PatchGAN.
_LIU_LOSS = (LossTerm("l1_valid", 1.0), LossTerm("l1_hole", 6.0), LossTerm("tv", 0.1),
             LossTerm("perceptual", 0.05), LossTerm("style", 120.0))
_PLACES_CGAN = dict(report="Places cGAN report (Liu et al. 2018 loss; pix2pix discriminator)", size=256,
                    batch_size=16, epochs=10, losses=_LIU_LOSS, masks=MaskSpec(NVIDIA_MASKS),
                    augment={"hflip": {}}, crop_scales=(1.0, 1.5, 2.0, 3.0),
                    optimizer=OptimizerSpec("adam", lr=2e-4, betas=(0.5, 0.999)),
                    domain="scenes", dataset="Places365")

register_recipe(Recipe(
    name="places-pconv-baseline",
    description="PConv U-Net (Liu et al. 2018) with the L_valid/L_hole/TV/perceptual/style loss and NVIDIA masks",
    architecture="pconv-unet", preset="liu2018",
    notes="10 epochs, horizontal flips (not stated by the report)", **_PLACES_CGAN))

register_recipe(Recipe(
    name="places-pconv-rn-gan",
    description="PConv U-Net with region normalisation + conditional PatchGAN (BCE) on top of Liu et al.'s loss",
    architecture="pconv-unet", preset="places-rn",
    adversarial=AdversarialSpec("patchgan", {"cond_channels": 3}, loss="bce", weight=1.0, conditional=True,
                                optimizer=OptimizerSpec("adam", lr=2e-4, betas=(0.5, 0.999))),
    phases=ADVERSARIAL,
    notes="discriminator Adam 2e-4 β1 0.5 as pix2pix; 10 epochs (not stated by the report)", **_PLACES_CGAN))

# --- GLCIC report: completion network, global + local discriminators, three phases.
_GLCIC_PHASES = (
    Phase("completion", 0.18, generator=True),                      # T_C = 90k of 500k in the paper
    Phase("discriminator", 0.02, generator=False, discriminator=True),  # T_D = 10k
    Phase("joint", 0.80, generator=True, discriminator=True, adversarial=True),
)
_GLCIC = dict(report="GLCIC report (Iizuka et al. 2017)", architecture="glcic", preset="iizuka2017", size=128,
              batch_size=16, epochs=30, masks=MaskSpec("boxes"), crop_scales=(1.0, 1.5, 2.0),
              augment={"hflip": {}}, optimizer=OptimizerSpec("adam", lr=2e-4, betas=(0.5, 0.999)),
              adversarial=AdversarialSpec("glcic", loss="bce", weight=0.0004), phases=_GLCIC_PHASES,
              domain="faces", dataset="CelebA aligned faces",
              notes="holes: 1-3 boxes of 50×50 px at 128 px; the model fills holes with 0.5; α = 0.0004 "
                    "as the paper; Adam 2e-4 in place of the paper's Adadelta")

register_recipe(Recipe(
    name="glcic", description="GLCIC completion network, global+local discriminators, 3 phases, masked MSE",
    losses=(LossTerm("masked_mse"),), **_GLCIC))

register_recipe(Recipe(
    name="glcic-global-mse",
    description="GLCIC with the report's fix for instability: MSE over the whole image instead of the hole",
    losses=(LossTerm("mse"),), **_GLCIC))

# --- Places GAN report: U-Net generators, simple discriminator, then a two-stage generator.
_SCENES = dict(report="Places GAN report", size=128, batch_size=16, epochs=20, masks=MaskSpec("rectangles"),
               crop_scales=(1.0, 1.5, 2.0, 3.0), augment={"hflip": {}},
               optimizer=OptimizerSpec("adam", lr=2e-4, betas=(0.5, 0.999)),
               domain="scenes", dataset="Places365 (scenes)")
_SIMPLE_GAN = AdversarialSpec("conv-classifier", loss="bce", weight=0.01)
_WEIGHTED_MSE = (LossTerm("weighted_mse", 1.0, {"hole_weight": 10.0, "known_weight": 1.0}),)
_SCENES_NOTE = "128 px, batch 16, hole weight 10 in the weighted MSE, adversarial weight 0.01 (not stated by the report)"

register_recipe(Recipe(
    name="scenes-unet-mse", description="U-Net generator with MSE only (the report's baseline)",
    architecture="unet-generator", preset="places", losses=(LossTerm("mse"),), notes=_SCENES_NOTE, **_SCENES))

register_recipe(Recipe(
    name="scenes-gan-mse", description="U-Net generator + convolutional discriminator (BCE) with MSE",
    architecture="unet-generator", preset="places", losses=(LossTerm("mse"),), adversarial=_SIMPLE_GAN,
    phases=ADVERSARIAL, notes=_SCENES_NOTE, **_SCENES))

register_recipe(Recipe(
    name="scenes-gan-bce-wmse", description="U-Net generator + discriminator, BCE plus hole-weighted MSE",
    architecture="unet-generator", preset="places", losses=_WEIGHTED_MSE, adversarial=_SIMPLE_GAN,
    phases=ADVERSARIAL, notes=_SCENES_NOTE, **_SCENES))

register_recipe(Recipe(
    name="scenes-residual-hole", description="residual generator predicting the hole only, BCE + weighted MSE",
    architecture="residual-generator", preset="places", model_options={"predict": "hole"}, losses=_WEIGHTED_MSE,
    adversarial=_SIMPLE_GAN, phases=ADVERSARIAL, notes=_SCENES_NOTE, **_SCENES))

register_recipe(Recipe(
    name="scenes-residual-image", description="residual generator predicting the whole image, BCE + weighted MSE",
    architecture="residual-generator", preset="places", model_options={"predict": "image"}, losses=_WEIGHTED_MSE,
    adversarial=_SIMPLE_GAN, phases=ADVERSARIAL, notes=_SCENES_NOTE, **_SCENES))

register_recipe(Recipe(
    name="scenes-two-stage",
    description="two-stage (coarse-to-fine) generator with local and global discriminators, shape masks",
    architecture="two-stage-generator", preset="places", losses=_WEIGHTED_MSE,
    adversarial=AdversarialSpec("glcic", loss="bce", weight=0.01), phases=ADVERSARIAL, coarse_weight=1.0,
    **{**_SCENES, "masks": MaskSpec("shapes")},
    notes="rectangles, circles and ellipses; the reconstruction loss also on the coarse stage (weight 1, as "
          "Yu et al. 2018); " + _SCENES_NOTE))

# --- LaMa-style: FFC generator, masked L1, non-saturating + R1, feature matching, perceptual.
register_recipe(Recipe(
    name="lama-ffc",
    description="LaMa-style FFC generator: masked L1, non-saturating GAN + R1, feature matching, VGG perceptual",
    report="LaMa (Suvorov et al. 2022, big-lama training config)", architecture="lama-ffc", preset="lama",
    size=256, batch_size=10, epochs=40,
    losses=(LossTerm("masked_l1", 1.0, {"hole_weight": 0.0, "known_weight": 10.0}), LossTerm("perceptual", 1.0)),
    masks=MaskSpec("thick"), crop_scales=(1.0, 1.5, 2.0, 3.0), augment={"hflip": {}},
    optimizer=OptimizerSpec("adam", lr=1e-3),
    adversarial=AdversarialSpec("nlayer", loss="non-saturating", loss_options={"r1_weight": 0.001}, weight=10.0,
                                feature_matching=100.0, sees="prediction", optimizer=OptimizerSpec("adam", lr=1e-4)),
    phases=ADVERSARIAL, perceptual_required=False, domain="scenes", dataset="Places365 (LaMa) or CelebA-HQ",
    notes="VGG-16 perceptual (weight 1) replaces LaMa's ADE20k ResNet perceptual loss and is dropped when "
          "no VGG-16 weights exist; masks: LaMa 'thick' (strokes and boxes)"))

# --- General photo object removal (issue 14): 256 px photos (Places365 rooms, outdoor Flickr photos).
# Fidelity terms: Liu et al.'s L_valid/L_hole/TV without the VGG terms (no pretrained weights offline)
# plus 1 - SSIM, the loss that made the scene PConv beat Navier-Stokes on PSNR and SSIM.
_PHOTOS_LOSS = (LossTerm("l1_valid", 1.0), LossTerm("l1_hole", 6.0), LossTerm("tv", 0.1), LossTerm("ssim", 1.0))
_PHOTOS = dict(report="General photos (issue 14): object removal on real photos", size=256, batch_size=8,
               epochs=10, losses=_PHOTOS_LOSS, masks=MaskSpec("removal"), augment={"hflip": {}},
               optimizer=OptimizerSpec("adam", lr=5e-4), domain="photos",
               dataset="photos/train: 4,500 Places365 rooms + 4,500 outdoor Flickr photos (256×256)")

register_recipe(Recipe(
    name="photos-pconv", description="PConv U-Net (small) for object removal on real photos: L1/TV + SSIM",
    architecture="pconv-unet", preset="small",
    notes="batch 8 at 256 px on a CPU; masks 'removal' (NVIDIA-like irregular + object blobs)", **_PHOTOS))

register_recipe(Recipe(
    name="photos-lama-ffc",
    description="LaMa-style FFC generator (small) for object removal on real photos: L1/TV + SSIM",
    architecture="lama-ffc", preset="small",
    notes="the pilot's image-wide receptive-field candidate, same losses and data as photos-pconv", **_PHOTOS))


register_recipe(Recipe(
    name="photos-pconv-gan",
    description="photos-pconv's texture stage: + PatchGAN (NLayer) non-saturating/R1 and feature matching",
    architecture="pconv-unet", preset="small",
    adversarial=AdversarialSpec("nlayer", {"base_channels": 32, "n_layers": 3}, loss="non-saturating",
                                loss_options={"r1_weight": 0.001}, weight=0.1, feature_matching=1.0,
                                optimizer=OptimizerSpec("adam", lr=1e-4, betas=(0.5, 0.999))),
    phases=ADVERSARIAL,
    notes="continues a photos-pconv model (--init-from); LaMa's loss shapes (non-saturating + R1 0.001, "
          "mask-aware fake target, discriminator feature matching) at weights that keep L1/SSIM in charge "
          "of fidelity: adversarial 0.1, feature matching 1; a 32-channel 3-layer NLayer discriminator (CPU)",
    **{**_PHOTOS, "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture",
    description="photos-pconv-gan's longer texture stage: a faster-learning discriminator, stronger adversarial "
                "terms, a lighter hole L1",
    architecture="pconv-unet", preset="small",
    adversarial=AdversarialSpec("nlayer", {"base_channels": 32, "n_layers": 3}, loss="non-saturating",
                                loss_options={"r1_weight": 0.001}, weight=0.5, feature_matching=5.0,
                                optimizer=OptimizerSpec("adam", lr=4e-4, betas=(0.5, 0.999))),
    phases=ADVERSARIAL,
    notes="continues a photos-pconv-gan model (--init-from). In photos-pconv-gan the discriminator had barely "
          "left chance after 44 min (d_loss 1.386 -> 1.35), so here it learns 4x faster than the generator "
          "(two time-scale rule, 4e-4 vs 1e-4) and the adversarial / feature-matching terms weigh 5x more "
          "(0.5 / 5, LaMa's 1:10 ratio). The hole L1 weighs 2 instead of Liu et al.'s 6: in a 15-minute A/B "
          "from the same model the lighter term gave the lower realism score (SWD 292.8 vs 298.4) at the same "
          "PSNR/SSIM (docs/measurements/08-photos-texture-stage.md)",
    **{**_PHOTOS, "losses": (LossTerm("l1_valid", 1.0), LossTerm("l1_hole", 2.0), LossTerm("tv", 0.1),
                             LossTerm("ssim", 1.0)),
       "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-warm",
    description="photos-pconv-texture with a discriminator warm-up: 300 steps with the generator frozen, then "
                "both train",
    architecture="pconv-unet", preset="small",
    adversarial=RECIPES["photos-pconv-texture"].adversarial,
    phases=(Phase("discriminator warm-up", steps=300, generator=False, discriminator=True),) + ADVERSARIAL,
    notes="continues a photos-pconv-texture model (--init-from). Only the generator used to ship, so a later "
          "texture stage started a fresh discriminator, and in its first 669 steps the generator drifted back to "
          "the L1/SSIM optimum (SWD +19.7 against its start, docs/measurements/08-photos-texture-stage.md). "
          "Here the discriminator first learns for 300 steps against the frozen generator. The warm-up runs "
          "also when --init-from brings a trained one (discriminator.safetensors beside the model); for such a "
          "start, photos-pconv-texture goes on without it",
    **{**_PHOTOS, "losses": RECIPES["photos-pconv-texture"].losses, "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-ramp",
    description="photos-pconv-texture with hole-size-aware adversarial terms: none for thin strokes "
                "(hole <= 10 %), full from 40 % of the image",
    architecture="pconv-unet", preset="small",
    adversarial=replace(RECIPES["photos-pconv-texture"].adversarial, hole_ramp=(0.1, 0.4)),
    phases=ADVERSARIAL,
    notes="continues a photos-pconv-texture model together with its discriminator (--init-from a folder "
          "with discriminator.safetensors, as checkpoints/pconv-unet-photos). The texture stage bought realism where "
          "holes are large and cost SSIM where they are thin strokes, the bucket where the general model "
          "ties Navier-Stokes (docs/measurements/08-photos-texture-stage.md). All terms scale with the "
          "hole area already; the ramp takes the adversarial and feature-matching terms off small holes, "
          "so those train for fidelity, and leaves large holes as before",
    **{**_PHOTOS, "losses": RECIPES["photos-pconv-texture"].losses, "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-strong",
    description="photos-pconv-texture with the balance moved towards texture: adversarial / feature matching "
                "2 / 20 (4x), hole L1 1, SSIM 0.5, no TV",
    architecture="pconv-unet", preset="small",
    adversarial=replace(RECIPES["photos-pconv-texture"].adversarial, weight=2.0, feature_matching=20.0),
    phases=ADVERSARIAL,
    notes="continues a photos-pconv-texture model together with its discriminator (--init-from a folder "
          "with discriminator.safetensors, as checkpoints/pconv-unet-photos). Every continuation of the texture "
          "stage with its weights drifted back towards the L1/SSIM optimum (SWD +19 to +20 against its start, "
          "docs/measurements/08-photos-texture-stage.md); LaMa weighs its adversarial and feature-matching "
          "terms 10 / 100 against an L1 on the known pixels only. Here the texture terms weigh 4x more, the "
          "fidelity terms in the hole half as much, and TV, which penalises detail, is off",
    **{**_PHOTOS, "losses": (LossTerm("l1_valid", 1.0), LossTerm("l1_hole", 1.0), LossTerm("ssim", 0.5)),
       "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-ms",
    description="photos-pconv-texture against a two-scale critic (pix2pixHD): the shipped 70 px PatchGAN plus one "
                "on the image at 1/2 resolution (140 px patches); 150 warm-up steps for the critic first",
    architecture="pconv-unet", preset="small",
    adversarial=replace(RECIPES["photos-pconv-texture"].adversarial, discriminator="multiscale-nlayer",
                        options={"base_channels": 32, "n_layers": 3, "scales": 2}),
    phases=(Phase("discriminator warm-up", steps=150, generator=False, discriminator=True),) + ADVERSARIAL,
    notes="continues a photos-pconv-texture model together with its discriminator (--init-from a folder with "
          "discriminator.safetensors, as checkpoints/pconv-unet-photos: it becomes scale 0, scale 1 starts fresh "
          "and learns alone with the generator frozen for 150 steps). Split by Laplacian level, the general "
          "model's realism deficit against Navier-Stokes is not fine texture (it is 10 better there) but the "
          "1/2 and 1/4 levels (+41, +61: blotches of wrong colour in large holes; benchmarks/swd_levels.py, "
          "docs/measurements/10-realism-by-level.md), which a 70 px patch critic hardly sees. The losses and "
          "weights are photos-pconv-texture's, so the second scale is the one change",
    **{**_PHOTOS, "losses": RECIPES["photos-pconv-texture"].losses, "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-ffc",
    description="photos-pconv-texture with image-wide context: Fourier (LaMa spectral-transform) residual blocks "
                "after the small PConv U-Net's decoder levels at 1/8, 1/4 and 1/2 resolution",
    architecture="pconv-unet", preset="small", model_options={"context_levels": [1, 2, 3]},
    adversarial=RECIPES["photos-pconv-texture"].adversarial,
    phases=ADVERSARIAL,
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos): the "
          "context blocks start as the identity (zero output convolution, PConvUNet.adapt_state_dict), so the run "
          "starts from the shipped model's function. Split by Laplacian level, the general model's realism deficit "
          "against Navier-Stokes is at the 1/2 and 1/4 levels (wrong-colour blotches in large holes; "
          "docs/measurements/10-realism-by-level.md) and a two-scale critic did not move it: the hypothesis here is "
          "the generator's reach (3x3 partial convolutions see ~130 px), which a Fourier unit makes image-wide. "
          "Losses, weights and critic are photos-pconv-texture's, so the context blocks are the one change",
    **{**_PHOTOS, "losses": RECIPES["photos-pconv-texture"].losses, "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-coarse",
    description="photos-pconv-texture plus a coarse-level fidelity term: L1 of the hole at 1/2 and 1/4 "
                "resolution (l1_hole_coarse, weight 4)",
    architecture="pconv-unet", preset="small",
    adversarial=RECIPES["photos-pconv-texture"].adversarial,
    phases=ADVERSARIAL,
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos). "
          "Split by Laplacian level, the general model's realism deficit against Navier-Stokes is at the 1/2 and "
          "1/4 levels (wrong-colour blotches in large holes; docs/measurements/10-realism-by-level.md); a "
          "two-scale critic and image-wide context both moved realism between levels, not up (stages 8 and 9). "
          "The hypothesis here: the adversarial terms add coarse structure where the fill is uncertain, and a "
          "low-pass L1 in the hole, twice the full-resolution hole L1's weight, keeps the coarse levels close "
          "to the mean while the critic still shapes fine texture. Otherwise photos-pconv-texture's losses, "
          "weights and critic",
    **{**_PHOTOS, "losses": RECIPES["photos-pconv-texture"].losses + (LossTerm("l1_hole_coarse", 4.0),),
       "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(Recipe(
    name="photos-pconv-texture-energy",
    description="photos-pconv-texture plus a detail-energy term: the hole's Laplacian band RMS at 1/2 and 1/4 "
                "resolution matched to the truth's (band_energy, weight 0.08)",
    architecture="pconv-unet", preset="small",
    adversarial=RECIPES["photos-pconv-texture"].adversarial,
    phases=ADVERSARIAL,
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos). "
          "Measured per level, the general model's fill carries 61 % / 76 % of the truth's detail RMS at 1/2 / 1/4 "
          "resolution, and scaling those two bands up by 1.25 after the fact already moves its realism score from "
          "266 to 240 (Navier-Stokes 236; docs/measurements/13-band-energy.md): the realism deficit is missing "
          "coarse detail, the opposite of what stage 10's coarse L1 assumed. band_energy asks for the right amount "
          "of detail at those levels and leaves where it goes to the pixel terms and the critic. Weight 0.08 (its "
          "gradient on the shipped model's fills ~half the SSIM term's): at 0.25 the fill matched the truth's 1/4 "
          "energy within 600 steps but lost 0.008 SSIM and showed a stronger grid texture. Otherwise "
          "photos-pconv-texture's losses, weights and critic",
    **{**_PHOTOS, "losses": RECIPES["photos-pconv-texture"].losses + (LossTerm("band_energy", 0.08),),
       "optimizer": OptimizerSpec("adam", lr=1e-4)}))

register_recipe(RECIPES["photos-pconv-texture-energy"].derive(
    "photos-pconv-texture-bilinear",
    "photos-pconv-texture-energy with bilinear instead of nearest upsampling in the decoder",
    model_options={"upsample": "bilinear"},
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos); the "
          "weights carry over unchanged (upsampling has none). With the detail-energy term the fill gained the "
          "truth's amount of coarse detail but partly as an axis-aligned grid (docs/measurements/13-band-energy.md): "
          "the small PConv U-Net's output layer sees its half-resolution features through nearest upsampling, as "
          "does every decoder level, so each level's pixels come in 2x2 blocks. The hypothesis: with bilinear "
          "upsampling the same energy goes into texture rather than the grid, and SSIM stops paying for it. "
          "Losses, weights and critic are photos-pconv-texture-energy's, so the upsampling is the one change "
          "(measured: docs/measurements/14-bilinear-decoder.md)"))

register_recipe(RECIPES["photos-pconv-texture-energy"].derive(
    "photos-pconv-texture-refine",
    "photos-pconv-texture-energy with a full-resolution refiner (32 channels, three 3x3 convolutions) grown onto "
    "the small PConv U-Net's output",
    model_options={"refine_channels": 32},
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos): the "
          "refiner starts as the identity (zero last convolution, PConvUNet.adapt_state_dict). The small U-Net's "
          "first level downsamples, so its only full-resolution layer is the linear output convolution over "
          "2x2-repeated half-resolution features: stage 11's detail-energy term got the truth's coarse detail "
          "partly as a grid, and bilinear upsampling (stage 12) traded the grid for blotches and SWD "
          "(docs/measurements/13, 14). The hypothesis: full-resolution layers that see the known pixels next to the "
          "hole give the fill its finest detail and break the grid. Losses, weights and critic are "
          "photos-pconv-texture-energy's, so the refiner is the one change"))

register_recipe(RECIPES["photos-pconv-texture"].derive(
    "photos-pconv-refine",
    "photos-pconv-texture (the shipped model's own stage) with the full-resolution refiner (32 channels) grown onto "
    "the small PConv U-Net's output",
    model_options={"refine_channels": 32},
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos): the "
          "refiner starts as the identity (zero last convolution, PConvUNet.adapt_state_dict). Stage 13 "
          "(photos-pconv-texture-refine) grew the refiner under stage 11's detail-energy term, so its SSIM cost "
          "could be the term's or the refiner's (docs/measurements/15). Here the losses, weights and critic are "
          "the shipped stage's, so the refiner is the one change: the hypothesis is that full-resolution layers "
          "that see the known pixels beside a thin stroke continue them as Navier-Stokes does, the bucket where "
          "the general model ties it on SSIM (measured: docs/measurements/17-shipped-edge-blend.md)"))

register_recipe(RECIPES["photos-pconv-texture-energy"].derive(
    "photos-pconv-texture-local-energy",
    "photos-pconv-texture-energy with the detail energy matched per neighbourhood (local_band_energy: 16 / 32 px "
    "windows at 1/2 / 1/4 resolution) instead of over the whole hole",
    losses=RECIPES["photos-pconv-texture"].losses + (LossTerm("local_band_energy", 0.08),),
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos). Stage 11 "
          "(photos-pconv-texture-energy) matched the hole's detail energy as a whole and bought the realism score "
          "with SSIM: with the edge blend it beat Navier-Stokes on realism on both sets but lost SSIM in the largest "
          "NVIDIA bucket at native size, and part of its energy was a grid over flat regions "
          "(docs/measurements/13, 15). The hypothesis: asked per neighbourhood, the detail goes where the photo has "
          "texture (where SSIM is low for any fill) and not over flat walls and sky (where SSIM counts it). Weight, "
          "levels, losses and critic are stage 11's, so the neighbourhood is the one change (measured, rejected: "
          "docs/measurements/18-local-band-energy.md)"))

register_recipe(RECIPES["photos-pconv-texture-energy"].derive(
    "photos-pconv-texture-swd",
    "photos-pconv-texture-energy with the detail term asking for the truth's kind of detail, not only its amount: "
    "a sliced Wasserstein distance between the hole's Laplacian-band patches and the truth's (patch_swd, weight 0.1)",
    losses=RECIPES["photos-pconv-texture"].losses + (LossTerm("patch_swd", 0.1),),
    notes="continues a photos-pconv-texture model and its critic (--init-from checkpoints/pconv-unet-photos). Every "
          "chain that trained with band_energy (the hole's band RMS) landed on one line of realism against SSIM "
          "(docs/measurements/20-23): the term buys amplitude, and the generator pays it partly as a grid that SSIM "
          "counts and the realism score does not reward. patch_swd compares the distributions of 7x7 band patches "
          "at full, 1/2 and 1/4 resolution (Heitz et al. 2021's sliced Wasserstein texture loss on the realism "
          "score's own Laplacian bands), so a grid or noise of the right energy still pays. Weight 0.1 gives its "
          "gradient on the shipped model's fills the size of band_energy's at 0.08; losses, critic and weights are "
          "otherwise photos-pconv-texture-energy's, so the detail term is the one change. The realism score is "
          "this quantity, so its fills are judged by eye too (docs/measurements/24-patch-swd-term.md)"))

register_recipe(RECIPES["photos-pconv-texture-swd"].derive(
    "photos-pconv-swd",
    "photos-pconv-texture-swd without the critic: the pixel terms and the patch_swd term alone (weight 1)",
    adversarial=None, phases=RECONSTRUCTION,
    losses=RECIPES["photos-pconv-texture"].losses + (LossTerm("patch_swd", 1.0),),
    notes="continues a photos-pconv-texture model (--init-from checkpoints/pconv-unet-photos; its critic is not used). "
          "With the critic and patch_swd at weight 1 the fill's realism score passed Navier-Stokes' and PatchMatch's on "
          "photos/val, but along the same line of realism against SSIM as every critic-trained chain, with the grid "
          "those chains show (docs/measurements/24-patch-swd-term.md). Without the critic the sliced Wasserstein term "
          "is the only thing asking for detail, so the run shows whether the critic's share of the detail is what "
          "costs SSIM"))

# The shipped checkpoints' recipes (one per checkpoint and stage) derive from the ones above.
import train.shipped  # noqa: E402,F401  (registers them)
