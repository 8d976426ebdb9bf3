"""The recipes of the shipped checkpoints: one per checkpoint, and one per later stage (``NAME:STAGE``).

Each derives from the recipe of its report (:meth:`Recipe.derive`) with the changes its run made,
and carries a :class:`~train.recipes.ShippedRun` (data, length, precision, starting weights), so

    python -m train --recipe pconv-unet-liu-photos        # data under ../shared/data, out runs/NAME
    bash scripts/train_shipped.sh pconv-unet-photos-stage1 pconv-unet-photos-stage1:continue \
        pconv-unet-photos-stage2 pconv-unet-photos-texture pconv-unet-photos-texture:continue \
        pconv-unet-photos-energy1 pconv-unet-photos

reproduce a shipped model (up to where a time budget stops on another machine). Stages run in the
order of :data:`ORDER`; ``scripts/train_shipped.sh`` runs it and, after each, :func:`ship` copies a
shipped stage to ``checkpoints/`` or writes an intermediate stage's weight-space join to
``runs/NAME-joined``.
"""
from __future__ import annotations

from dataclasses import replace

from train.data import MaskSpec
from train.recipes import JOINED_SUFFIX, Recipe, ShippedRun, get_recipe, register_recipe

__all__ = ["ORDER", "JOINED_SUFFIX", "shipped_recipes", "register_stage", "ship"]

#: Every shipped recipe in training order: later stages and transfers follow what they start from.
ORDER: list[str] = []

_NO_VGG = {"perceptual": 0, "style": 0}  # trained without VGG-16 terms (no pretrained weights offline)
#: The image domain of each training set (the model card's and the app's ``domain``).
DOMAINS = {"celeba": "faces", "scenes": "scenes", "cifar10": "objects", "photos": "photos"}


def register_stage(base: str, name: str, description: str, run: ShippedRun, *, losses: dict | None = None,
                   **changes) -> Recipe:
    """Register ``name`` derived from recipe ``base`` with ``changes`` (Recipe fields), loss re-weights and a run."""
    recipe = get_recipe(base)
    if losses:
        recipe = recipe.with_losses(losses)
    changes.setdefault("domain", DOMAINS[run.data.split("/")[0]])
    recipe = register_recipe(recipe.derive(name, description, shipped=run, **changes))
    ORDER.append(name)
    return recipe


def _continue(stage: str, of: str, description: str | None = None, *, losses: dict | None = None,
              **run_changes) -> Recipe:
    """``of:stage``: the run of ``of`` resumed with other settings (same folder, ``--resume``)."""
    previous = get_recipe(ORDER[max(i for i, n in enumerate(ORDER) if n.split(":")[0] == of)])
    recipe = previous.with_losses(losses) if losses else previous
    lr = run_changes.pop("lr", None)
    if lr is not None:
        recipe = recipe.replace(optimizer=replace(recipe.optimizer, lr=lr))
    run = replace(previous.shipped, continues=previous.name, init_from=None, **run_changes)
    name = f"{of}:{stage}"
    recipe = register_recipe(recipe.replace(name=name, description=description or previous.description,
                                            shipped=run))
    ORDER.append(name)
    return recipe


def shipped_recipes() -> list[Recipe]:
    """The shipped checkpoints' recipes in training order."""
    return [get_recipe(name) for name in ORDER]


_FACES = dict(data="celeba/train", val_data="celeba/val", dataset_name="CelebA-8500")
_SCENES = dict(data="scenes/train", val_data="scenes/val", dataset_name="Urban100+SunHays80")
_CIFAR = dict(data="cifar10/train", val_data="cifar10/val", dataset_name="CIFAR-10-20000")
_PHOTOS = dict(data="photos/train", val_data="photos/val", mask_dir="masks/nvidia_irregular", dataset_name="photos-9000",
               mixed_precision="auto", channels_last=True, steps=100000, val_images=32, val_every=100000)


def _run(checkpoint: str, description: str, **kw) -> ShippedRun:
    return ShippedRun(checkpoint, description=description, **kw)


# --- CelebA report
_d = "PConv U-Net (CelebA report), CelebA faces, line + irregular masks, 64 px"
register_stage("celeba-pconv", "pconv-unet-celeba", _d, preset="small", size=64, batch_size=16,
               masks=MaskSpec("lines-irregular"),
               run=_run("pconv-unet-celeba", _d, **_FACES, steps=900, max_minutes=20, val_every=300,
                        checkpoint_every=150))

# --- CIFAR-10 report
_d = "Blind conv autoencoder (CIFAR-10 report), CIFAR-10, random black lines, 32 px"
register_stage("cifar10-autoencoder", "conv-autoencoder-cifar10", _d,
               run=_run("conv-autoencoder-cifar10", _d, **_CIFAR, steps=1500, max_minutes=5, val_every=500,
                        checkpoint_every=500))
_d = "Partial-conv autoencoder (CIFAR-10 report), CIFAR-10, random black lines, 32 px"
register_stage("cifar10-pconv", "pconv-unet-cifar10", _d,
               run=_run("pconv-unet-cifar10", _d, **_CIFAR, steps=1500, max_minutes=7, val_every=500,
                        checkpoint_every=500))

# --- The face PConv: the Places cGAN report's baseline recipe trained on faces in 64 px (five sessions: the later
# stages resume it). The best face model, and the start of the scene and photo models; the report's pair itself
# is trained on photos below.
_IRREGULAR = MaskSpec("irregular-512")
_FACE64 = dict(preset="small", size=64, batch_size=16, masks=_IRREGULAR)
_d = ("PConv U-Net baseline, Liu et al. loss (Places cGAN report), CelebA faces, irregular masks, 64 px")
_base = get_recipe("places-pconv-baseline")
register_stage("places-pconv-baseline", "pconv-unet-liu-celeba", _d, losses=_NO_VGG, **_FACE64,
               optimizer=replace(_base.optimizer, lr=5e-4),
               run=_run("pconv-unet-liu-celeba", _d, **_FACES, steps=1400, max_minutes=15, val_every=700,
                        checkpoint_every=200))
_continue("continue", "pconv-unet-liu-celeba", steps=4000, max_minutes=22)
_continue("continue2", "pconv-unet-liu-celeba", steps=4000, max_minutes=12)
_continue("ssim", "pconv-unet-liu-celeba", losses={"ssim": 1}, steps=12000, max_minutes=55, val_every=1000)
_continue("ssim2", "pconv-unet-liu-celeba", losses={"ssim": 2}, lr=2.5e-4, steps=22000, max_minutes=30,
          val_every=2000)

# --- The scene PConv: transfer from the face baseline as it was after ssim2 (before its fine-tuning)
_d = "PConv U-Net, Liu et al. L1/TV loss plus SSIM, scene photos, NVIDIA-like irregular masks, 128 px"
register_stage("places-pconv-baseline", "pconv-unet-scenes", _d, losses={**_NO_VGG, "ssim": 1}, preset="small",
               size=128, batch_size=16, masks=_IRREGULAR, crop_scales=(1.0, 2.0, 3.0, 4.5),
               optimizer=replace(_base.optimizer, lr=5e-4), domain="scenes",
               run=_run("pconv-unet-scenes", _d, **_SCENES, steps=20000, max_minutes=55, val_every=1000,
                        val_images=18, checkpoint_every=200, init_from="run:pconv-unet-liu-celeba"))
_continue("finetune", "pconv-unet-liu-celeba", lr=5e-5, freeze_encoder_norm=True, steps=30000,
          max_minutes=17, val_every=2000,
          description="PConv U-Net baseline, Liu et al. L1/TV loss plus SSIM (Places cGAN report), CelebA faces, "
                      "irregular masks, 64 px")
_continue("finetune", "pconv-unet-scenes", lr=5e-5, freeze_encoder_norm=True, max_minutes=12,
          max_side=768)  # working-size limit measured on scenes/val (docs/measurements)

# --- GLCIC report
for _recipe, _name, _d in (
        ("glcic", "glcic-masked-mse-celeba", "GLCIC completion network, masked MSE + global/local discriminators "
                                             "(GLCIC report), CelebA, box holes, 64 px"),
        ("glcic-global-mse", "glcic-global-mse-celeba", "GLCIC completion network with the report global-MSE fix + "
                                                        "global/local discriminators, CelebA, box holes, 64 px")):
    register_stage(_recipe, _name, _d, preset="small", size=64, batch_size=16,
                   run=_run(_name, _d, **_FACES, steps=500, max_minutes=7, val_every=250, checkpoint_every=125))

# --- LaMa
_d = ("LaMa-style Fourier-convolution generator (masked L1 + NS-GAN/R1 + feature matching), CelebA faces, irregular "
      "masks, 64 px")
register_stage("lama-ffc", "lama-ffc-celeba", _d, preset="small", size=64, batch_size=8, masks=_IRREGULAR,
               run=_run("lama-ffc-celeba", _d, **_FACES, steps=1000, max_minutes=8, val_every=500,
                        checkpoint_every=250))

# --- The Places reports' pairs on photos (issue 14), compute-matched: each pair trains from scratch for
# the same wall time (one run at a time on the machine), at 256 px, batch 8, channels-last,
# precision 'auto' (float32 on a CPU without native bf16), the same 'removal' masks, data, generator learning rate and seed. A pair differs only in what the
# report compares (the GAN arm spends part of its budget on its discriminator: fewer steps).
_PAIR = dict(preset="small", size=256, batch_size=8, masks=MaskSpec("removal"), crop_scales=(1.0,), domain="photos",
             dataset="photos/train: 4,500 Places365 rooms + 4,500 outdoor Flickr photos (256×256)")
_PAIR_MINUTES = 12
_PAIR_RUN = dict(**{**_PHOTOS, "val_images": 32, "mixed_precision": "auto"}, max_minutes=_PAIR_MINUTES,
                 checkpoint_every=200)


def _lr(base: str, lr: float):
    return replace(get_recipe(base).optimizer, lr=lr)


_d = "PConv U-Net baseline, Liu et al. L1/TV loss (Places cGAN report), real photos, 256 px"
register_stage("places-pconv-baseline", "pconv-unet-liu-photos", _d, losses=_NO_VGG, **_PAIR,
               optimizer=_lr("places-pconv-baseline", 5e-4), run=_run("pconv-unet-liu-photos", _d, **_PAIR_RUN))
_d = "PConv U-Net + Region Normalization + conditional PatchGAN (Places cGAN report), real photos, 256 px"
_rn = get_recipe("places-pconv-rn-gan")
register_stage("places-pconv-rn-gan", "pconv-rn-gan-photos", _d, losses=_NO_VGG, **_PAIR,
               model_options={**_rn.model_options, "norm": "region"}, optimizer=_lr("places-pconv-rn-gan", 5e-4),
               # pix2pix keeps its L1 about 10x the GAN term; at the recipe's weight 1 the face run's
               # discriminator dominated (19.8 dB against the baseline's 26.9): 0.1 keeps L1 in charge
               adversarial=replace(_rn.adversarial, weight=0.1),
               run=_run("pconv-rn-gan-photos", _d, **_PAIR_RUN))
_d = "U-Net generator, MSE only (Places GAN report baseline), real photos, 256 px"
register_stage("scenes-unet-mse", "unet-mse-photos", _d, **_PAIR, optimizer=_lr("scenes-unet-mse", 5e-4),
               run=_run("unet-mse-photos", _d, **_PAIR_RUN))
_d = ("Two-stage coarse-to-refine GAN with local+global discriminators (Places GAN report), real photos, "
      "256 px")
register_stage("scenes-two-stage", "two-stage-gan-photos", _d, **_PAIR, optimizer=_lr("scenes-two-stage", 5e-4),
               run=_run("two-stage-gan-photos", _d, **_PAIR_RUN))

# --- General photos (issue 14): the scene PConv continued on 9,000 photos at 256 px in bf16, then two
# texture stages with a PatchGAN discriminator (the second with a faster discriminator, stronger
# adversarial terms and a lighter hole L1)
_d = "PConv U-Net for object removal in real photos, 256 px"
register_stage("photos-pconv", "pconv-unet-photos-stage1", _d,
               run=_run("pconv-unet-photos-stage1", _d, **_PHOTOS, max_minutes=8, checkpoint_every=400,
                        init_from="pconv-unet-scenes", ship=False))
_continue("continue", "pconv-unet-photos-stage1", max_minutes=38, checkpoint_every=200)
register_stage("photos-pconv-gan", "pconv-unet-photos-stage2", _d,
               run=_run("pconv-unet-photos-stage2", _d, **_PHOTOS, max_minutes=44, checkpoint_every=100,
                        init_from="run:pconv-unet-photos-stage1", ship=False))
register_stage("photos-pconv-texture", "pconv-unet-photos-texture", _d,
               run=_run("pconv-unet-photos-texture", _d, **_PHOTOS, max_minutes=15, checkpoint_every=100,
                        init_from="run:pconv-unet-photos-stage2", ship=False))
_continue("continue", "pconv-unet-photos-texture", max_minutes=55)
# The shipped model (docs/measurements/20 and 21), a weight-space ratchet from the texture model above (shipped
# until 2026-12-06): each round fine-tunes the model it starts from with the detail-energy term for the round's
# minutes, then joins the run with its start half and half in weight space (a join keeps a part of the run's
# realism gain and little of its SSIM loss); the next round starts from that join. Every round was measured on
# both protocol sets at 768 px, and the PSNR/SSIM bar of issue 14 still held after each; a third round broke a
# scenes/val SSIM cell (docs/measurements/21), so adding rounds is not the way on.
# edge_blend 2 (Navier-Stokes in a 2-px band along the hole's edge; no weights) is set after training
# (docs/measurements/17-shipped-edge-blend.md).
_ROUNDS = (50, 45)  # each round's fine-tuning minutes
_DJ = (_d + ": L1/TV + SSIM, two PatchGAN texture stages, then two detail-energy stages, each joined half and "
       "half in weight space with the model it started from")
_start = "run:pconv-unet-photos-texture"
for _round, _minutes in enumerate(_ROUNDS, start=1):
    _last = _round == len(_ROUNDS)
    _name = "pconv-unet-photos" if _last else f"pconv-unet-photos-energy{_round}"
    register_stage("photos-pconv-texture-energy", _name, _d,
                   run=_run(_name, _DJ if _last else _d, **_PHOTOS, max_minutes=_minutes, checkpoint_every=100, seed=14,
                            init_from=_start, join_with=_start, join_weight=0.5, max_side=768,
                            inference_options={"edge_blend": 2.0}, ship=_last,
                            rank=1 if _last else None))  # the app's first pick
    _start = f"run:{_name}{JOINED_SUFFIX}"


def ship(name: str, runs: str = "runs", checkpoints: str = "checkpoints") -> str | None:
    """Copy the model that recipe ``name`` trained (``runs/CHECKPOINT``) to ``checkpoints/CHECKPOINT``, joined
    with its start in weight space when its run says ``join_with``. An intermediate stage (``ship=False``) with
    a join writes the joined model to ``runs/CHECKPOINT-joined`` instead, for the stages after it; one without
    a join writes nothing. Returns the folder written, or None."""
    import shutil
    from pathlib import Path

    run = get_recipe(name).shipped
    if run is None:
        raise ValueError(f"recipe {name} is not a shipped checkpoint's recipe; shipped: {', '.join(ORDER)}")
    if not run.ship and not run.join_with:
        return None
    source = Path(runs) / run.checkpoint
    target = Path(checkpoints) / run.checkpoint if run.ship else Path(runs) / (run.checkpoint + JOINED_SUFFIX)
    if not (source / "model.safetensors").exists():
        raise FileNotFoundError(f"{source} holds no trained model: run python -m train --recipe {name} first")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for file in ("config.json", "model.safetensors", "README.md", "samples.png", "discriminator.safetensors"):
        if (source / file).exists():
            shutil.copy2(source / file, target / file)
    if run.join_with:
        _join(run, source, target, runs)
    return str(target)


def _join(run, source, target, runs: str) -> None:
    """Replace the copied weights (and critic) by ``(1 − w)·join_with + w·run`` and say so in config and card."""
    import json
    from pathlib import Path

    from train.interpolate import interpolate_folders

    start = str(Path(runs) / run.join_with[4:]) if run.join_with.startswith("run:") else run.join_with
    config = json.loads((source / "config.json").read_text())
    meta = dict(config.get("inpainting_hub") or {})
    meta["joined"] = {"with": run.join_with, "weight_of_run": run.join_weight}
    card = (source / "README.md").read_text() if (source / "README.md").exists() else ""
    note = interpolate_folders(start, source, run.join_weight, target, metadata=meta,
                               ignore=tuple(run.inference_options or ()))
    which = "shipped weights" if run.ship else "weights in this folder"
    (target / "README.md").write_text(card.rstrip("\n") + (
        f"\n\n## Weight-space join\n\nThe {which} are {1 - run.join_weight:g} × `{run.join_with}` + "
        f"{run.join_weight:g} × this run's, tensor by tensor (`train.interpolate`, Wortsman et al. 2021; {note}): "
        "the run above was fine-tuned from that start (the stage before it in `python -m train --list-recipes`). "
        "The validation table and `samples.png` above are the run's own, before the join"
        + ("; the evaluation below is the shipped weights'.\n" if run.ship else ".\n")))
