"""The training package (train/): data, recipes, the trainer, checkpoints, the command lines.

Everything runs on tiny generated images (16-32 px) with tiny presets. The machinery tests train
a small family registered here (as a user adding a family would); the recipe tests train the
project's registered families with their ``tiny`` presets.
"""
import json
from pathlib import Path
import math
import pickle

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torch import nn

import inpainting
from inpainting import registry
from inpainting.hub import InpaintingModel
from train import cli, push
from train.data import (IMAGE_EXTENSIONS, DataError, EpochSampler, ImageFolderDataset, InpaintingDataset, MaskSpec,
                        MultiScaleRandomCrop, build_mask_sampler, open_source,
                        MixedSource, describe_source, make_loader)
from train.losses import MissingWeightsError, ssim_loss
from train.machine import cpu_label
from train.recipes import ADVERSARIAL, AdversarialSpec, LossTerm, OptimizerSpec, Phase, Recipe, get_recipe, list_recipes
from train.trainer import (DISCRIMINATOR_FILE, CheckpointError, TrainOptions, Trainer, load_checkpoint, phase_bounds,
                           save_checkpoint)

TEST_ARCH = "train-test-tiny"


class TinyInpainter(InpaintingModel):
    """A two-layer convolutional inpainter for the training tests.

    Args:
        width (int, default 8): hidden channels.
        native_size (int, default 32): working size (the trainer sets its recipe's size).
    """

    def __init__(self, width: int = 8, native_size: int = 32):
        super().__init__()
        self.native_size = int(native_size)
        self.net = nn.Sequential(nn.Conv2d(4, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, 3, 3, padding=1))

    def forward(self, image, mask):
        return torch.sigmoid(self.net(torch.cat([image, mask], dim=1)))


@pytest.fixture(scope="module")
def tiny_family():
    registry.register_model(TEST_ARCH, description="test-only tiny inpainter", pad_multiple=4,
                            presets={"tiny": {"width": 8}}, default_preset="tiny")(TinyInpainter)
    yield TEST_ARCH
    registry._REGISTRY.pop(TEST_ARCH, None)  # leave the registry as the other test modules expect it


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    return torchvision.models.vgg16(weights=None)  # random weights: only the plumbing is tested


def _write_images(folder, count, size=(24, 20), seed=0):
    """Smooth random images (learnable), some in a subfolder, plus a file that is not an image."""
    rng = np.random.default_rng(seed)
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    for i in range(count):
        a, b, c = rng.uniform(0.2, 1.0, 3)
        rgb = np.stack([a * yy, b * xx, c * (1 - yy)], -1) * 255
        target = folder / ("sub" if i % 2 else "") / f"img{i}.png"
        Image.fromarray(rgb.astype(np.uint8)).save(target)
    (folder / "notes.txt").write_text("not an image")
    return folder


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return _write_images(tmp_path_factory.mktemp("images"), 8)


def _recipe(name="test-recipe", adversarial=None, phases=None, **changes):
    recipe = Recipe(name=name, description="test", report="test", architecture=TEST_ARCH, preset="tiny", size=16,
                    batch_size=4, epochs=1, losses=(LossTerm("mse"),), masks=MaskSpec("rectangles"),
                    optimizer=OptimizerSpec(lr=1e-2), adversarial=adversarial,
                    phases=phases or ((Phase("gan", discriminator=True, adversarial=True),) if adversarial
                                      else (Phase("reconstruction"),)))
    return recipe.replace(**changes) if changes else recipe


GAN = AdversarialSpec("conv-classifier", {"base_channels": 8}, loss="bce", weight=0.1)


def _options(data_dir, out, **kw):
    base = dict(data=str(data_dir), out=str(out), device="cpu", progress=False, val_every=0, checkpoint_every=0,
                val_images=4)
    base.update(kw)
    return TrainOptions(**base)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _changed(before, module):
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


# ----------------------------------------------------------------------------- data
def test_image_folder_is_recursive_and_ignores_other_files(data_dir):
    dataset = ImageFolderDataset(data_dir)
    assert len(dataset) == 8
    assert any(p.parent.name == "sub" for p in dataset.files)
    assert dataset[0].mode == "RGB"


def test_bad_data_paths_give_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        open_source(tmp_path / "missing")
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    with pytest.raises(DataError, match=r"holds no images.*\.jpg"):
        open_source(tmp_path / "empty")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(DataError, match="not a folder"):
        open_source(tmp_path / "file.png")
    with pytest.raises(DataError, match="cifar10"):
        open_source(f"cifar10:{tmp_path / 'nothing'}")
    assert ".png" in IMAGE_EXTENSIONS


def test_mixed_source_repeats_a_small_set_and_says_what_it_holds(tmp_path):
    big = _write_images(tmp_path / "big", 5)
    small = tmp_path / "small"
    small.mkdir()
    Image.new("RGB", (40, 24), (200, 10, 10)).save(small / "wide.png")
    Image.new("RGB", (24, 40), (10, 200, 10)).save(small / "tall.png")
    mixed = open_source(f"{big},{small}@3")
    assert isinstance(mixed, MixedSource) and len(mixed) == 5 + 2 * 3
    # the big set's images first, then the small set's three times over, in file order
    assert [mixed[i].size for i in range(5, 11)] == [(24, 40), (40, 24)] * 3
    assert mixed[0].tobytes() == ImageFolderDataset(big)[0].tobytes()
    with pytest.raises(IndexError):
        mixed[11]
    assert repr(mixed).endswith("small (2 images x3)")
    assert describe_source(f"{big},{small}@3").endswith("/big + " + f"{tmp_path.name}/small x3")
    # one source repeated is a mix too; a folder whose name holds a comma or @ is still one folder
    assert len(open_source(f"{small}@4")) == 8
    assert isinstance(open_source(f"{small}@1"), ImageFolderDataset) and len(open_source(f"{small}@1")) == 2
    odd = tmp_path / "a,b@2"
    odd.mkdir()
    Image.new("RGB", (8, 8)).save(odd / "x.png")
    assert isinstance(open_source(odd), ImageFolderDataset) and describe_source(odd).endswith("/a,b@2")


@pytest.mark.parametrize("spec, message", [("{small}@0", "bad repeat '0'"), ("{small}@two", "bad repeat 'two'"),
                                           ("{small},,{small}", "empty data source"),
                                           ("{small},{missing}@2", "does not exist")])
def test_mixed_source_rejects_bad_specs_clearly(tmp_path, spec, message):
    (tmp_path / "small").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "small" / "x.png")
    with pytest.raises(DataError, match=message):
        open_source(spec.format(small=tmp_path / "small", missing=tmp_path / "missing"))


def test_cli_reports_bad_data_and_unknown_recipe(tmp_path, capsys, tiny_family):
    (tmp_path / "empty").mkdir()
    assert cli.main(["--recipe", "cifar10-autoencoder", "--data", str(tmp_path / "empty"), "--out",
                     str(tmp_path / "o")]) == 2
    assert "holds no images" in capsys.readouterr().err
    assert cli.main(["--recipe", "no-such-recipe", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown recipe 'no-such-recipe'" in err and "cifar10-autoencoder" in err


def test_too_few_images_for_a_batch(tmp_path, tiny_family):
    small = _write_images(tmp_path / "two", 2)
    with pytest.raises(DataError, match="fewer than one batch"):
        Trainer(_recipe(), _options(small, tmp_path / "out"))


def test_multiscale_crop_sizes():
    torch.manual_seed(0)
    big = torch.zeros(3, 100, 80, dtype=torch.uint8)
    assert MultiScaleRandomCrop(16)(big).shape == (3, 16, 16)
    small = torch.zeros(3, 10, 12, dtype=torch.uint8)
    assert MultiScaleRandomCrop(16)(small).shape == (3, 16, 16)
    assert MultiScaleRandomCrop(16, train=False)(big).shape == (3, 16, 16)


def test_items_are_seeded_by_seed_epoch_and_index(data_dir):
    sampler = build_mask_sampler(MaskSpec("rectangles"), 16)
    make = lambda: InpaintingDataset(ImageFolderDataset(data_dir), size=16, mask_sampler=sampler,  # noqa: E731
                                     masks_per_image=3, seed=5, augment=torchvision.transforms.v2.RandomHorizontalFlip())
    a, b = make(), make()
    first = a[2]
    assert first["image"].shape == (3, 16, 16) and first["mask"].shape == (3, 1, 16, 16)
    assert set(first["mask"].unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(first["mask"], b[2]["mask"]) and torch.equal(first["image"], b[2]["image"])
    assert not torch.equal(first["mask"][0], first["mask"][1])  # several different masks per image
    b.set_epoch(1)
    assert not torch.equal(first["mask"], b[2]["mask"])


def test_epoch_sampler_skips_and_shards_whole_batches():
    full = list(EpochSampler(10, batch_size=2, seed=1, epoch=3))
    assert len(full) == 10 and sorted(full) == list(range(10))
    assert list(EpochSampler(10, batch_size=2, seed=1, epoch=3, skip_batches=2)) == full[4:]
    ranks = [list(EpochSampler(10, batch_size=2, seed=1, epoch=3, rank=r, world_size=2)) for r in (0, 1)]
    assert ranks[0][:2] + ranks[1][:2] == full[:4] and len(ranks[0]) == 4  # 2 global batches of 4


def test_nvidia_mask_folder(tmp_path):
    folder = tmp_path / "nvidia"
    folder.mkdir()
    for i in range(12):  # 6 buckets × 2 files, the published layout in miniature
        hole = np.zeros((64, 64), np.uint8)
        hole[: 4 * (i + 1), :20] = 255
        Image.fromarray(hole).save(folder / f"{i:05d}.png")
    sampler = build_mask_sampler(MaskSpec("nvidia-irregular", {"bucket_size": 2}), 16, nvidia_root=folder)
    mask = sampler(np.random.default_rng(0))
    assert mask.shape == (16, 16) and mask.max() == 1
    pickle.dumps(sampler)  # travels to spawned workers
    with pytest.raises(DataError, match="--mask-dir"):
        build_mask_sampler(MaskSpec("nvidia-irregular"), 16)


# ----------------------------------------------------------------------------- trainer
def test_overfitting_one_batch_halves_the_loss(data_dir, tmp_path, tiny_family):
    trainer = Trainer(_recipe(), _options(data_dir, tmp_path / "out", steps=200))
    batch = next(iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=4)))
    first = trainer.train_step(batch)["mse"]
    for _ in range(60):
        last = trainer.train_step(batch)["mse"]
    assert last < first / 2, (first, last)


def test_gan_step_updates_generator_and_discriminator(data_dir, tmp_path, tiny_family):
    trainer = Trainer(_recipe(adversarial=GAN), _options(data_dir, tmp_path / "out", steps=4))
    batch = next(iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=4)))
    g, d = _params(trainer.model), _params(trainer.discriminator)
    logs = trainer.train_step(batch)
    assert _changed(g, trainer.model) and _changed(d, trainer.discriminator)
    assert {"mse", "g_adv", "d_loss", "d_real", "d_fake"} <= set(logs)
    # Logs stay detached device tensors: the loop reads them as numbers only at the log interval.
    assert all(isinstance(v, torch.Tensor) and v.dim() == 0 and not v.requires_grad for v in logs.values())


@pytest.fixture
def fresh_accelerator_state():
    """accelerate keeps one precision per process: let a test pick its own, and restore the default."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


def test_bf16_and_channels_last_steps_keep_the_losses_in_float32(data_dir, tmp_path, tiny_family,
                                                                fresh_accelerator_state):
    recipe = _recipe(losses=(LossTerm("l1_hole", 6.0), LossTerm("ssim", 1.0)))
    trainer = Trainer(recipe, _options(data_dir, tmp_path / "out", steps=4, mixed_precision="bf16",
                                       channels_last=True))
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in trainer.model.parameters() if p.dim() == 4)
    batch = next(iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=4)))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):  # the model's forward as the step runs it
        image, mask = batch["image"], batch["mask"].flatten(0, 1)
        pred = trainer.model(image * (1 - mask), mask).float()
    expected = ssim_loss(pred, image, mask).item()  # float32
    logs = trainer.train_step(batch)
    assert logs["ssim"] == pytest.approx(expected, abs=1e-4) and 0 <= logs["ssim"] <= 1


def test_phases_decide_what_is_updated(data_dir, tmp_path, tiny_family):
    phases = (Phase("completion", 1, generator=True), Phase("discriminator", 1, generator=False, discriminator=True),
              Phase("joint", 2, generator=True, discriminator=True, adversarial=True))
    trainer = Trainer(_recipe(adversarial=GAN, phases=phases), _options(data_dir, tmp_path / "out", steps=8))
    assert [trainer.phase_at(s).name for s in range(8)] == ["completion"] * 2 + ["discriminator"] * 2 + ["joint"] * 4
    batch = next(iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=4)))
    for expect_g, expect_d in [(True, False), (True, False), (False, True), (False, True), (True, True)]:
        g, d = _params(trainer.model), _params(trainer.discriminator)
        trainer.train_step(batch)
        assert (_changed(g, trainer.model), _changed(d, trainer.discriminator)) == (expect_g, expect_d)


def test_fixed_length_phases_take_their_steps_and_the_others_share_the_rest(data_dir, tmp_path, tiny_family):
    warm = (Phase("warm-up", steps=3, generator=False, discriminator=True),
            Phase("joint", generator=True, discriminator=True, adversarial=True))
    trainer = Trainer(_recipe(adversarial=GAN, phases=warm), _options(data_dir, tmp_path / "out", steps=8))
    assert [trainer.phase_at(s).name for s in range(8)] == ["warm-up"] * 3 + ["joint"] * 5
    batch = next(iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=4)))
    g, d = _params(trainer.model), _params(trainer.discriminator)
    trainer.train_step(batch)
    assert not _changed(g, trainer.model) and _changed(d, trainer.discriminator)  # the generator is frozen
    # a fixed phase between shared ones, and a run shorter than its fixed phases
    mixed = (Phase("a", 1), Phase("b", steps=10), Phase("c", 3))
    assert phase_bounds(mixed, 30) == [5, 15, 30]
    assert phase_bounds(warm, 2) == [3, 3]
    assert "warm-up 3 steps" in _recipe(adversarial=GAN, phases=warm).describe()


def test_hole_ramp_takes_the_adversarial_terms_off_small_holes(data_dir, tmp_path, tiny_family):
    ramp = AdversarialSpec("conv-classifier", {"base_channels": 8}, loss="bce", weight=0.1, hole_ramp=(0.2, 0.6))
    trainer = Trainer(_recipe(adversarial=ramp), _options(data_dir, tmp_path / "out", steps=4))
    batch = next(iter(torch.utils.data.DataLoader(trainer.train_set, batch_size=4)))
    small = torch.zeros_like(batch["mask"])
    small[..., :2, :] = 1  # 2 of 16 rows: 12.5 % hole, below the ramp
    logs = trainer.train_step({**batch, "mask": small})
    assert float(logs["g_adv"]) == 0 and torch.isclose(logs["g_loss"], logs["mse"])
    large = torch.zeros_like(batch["mask"])
    large[..., :12, :] = 1  # 75 %: full weight
    logs = trainer.train_step({**batch, "mask": large})
    assert float(logs["g_adv"]) > 0.1
    assert torch.isclose(logs["g_loss"], logs["mse"] + 0.1 * logs["g_adv"])


def test_init_from_puts_a_single_scale_critic_at_scale_0_of_a_multiscale_one(data_dir, tmp_path, tiny_family):
    single = _recipe(adversarial=AdversarialSpec("nlayer", {"base_channels": 8, "n_layers": 1}, loss="bce", weight=0.1))
    first = Trainer(single, _options(data_dir, tmp_path / "a", steps=2))
    first.fit()
    multi = _recipe(adversarial=AdversarialSpec("multiscale-nlayer", {"base_channels": 8, "n_layers": 1, "scales": 2},
                                                loss="bce", weight=0.1))
    second = Trainer(multi, _options(data_dir, tmp_path / "b", steps=1, init_from=str(tmp_path / "a")))
    assert second.discriminator_from == str(tmp_path / "a" / DISCRIMINATOR_FILE)
    ours = second.discriminator.state_dict()
    for key, value in first.discriminator.state_dict().items():
        assert torch.equal(ours[f"scales.0.{key}"], value)
    logs = second.train_step(next(iter(torch.utils.data.DataLoader(second.train_set, batch_size=4))))
    assert torch.isfinite(logs["g_loss"]) and float(logs["g_adv"]) > 0


def test_init_from_carries_the_discriminator_of_an_adversarial_run(data_dir, tmp_path, tiny_family):
    recipe = _recipe(adversarial=GAN)
    first = Trainer(recipe, _options(data_dir, tmp_path / "a", steps=2))
    first.fit()
    saved = tmp_path / "a" / DISCRIMINATOR_FILE
    assert saved.is_file()
    critic = _params(first.discriminator)
    fresh = Trainer(recipe, _options(data_dir, tmp_path / "fresh", steps=1, seed=7))
    assert _changed(critic, fresh.discriminator)  # another seed starts another critic
    second = Trainer(recipe, _options(data_dir, tmp_path / "b", steps=1, seed=7, init_from=str(tmp_path / "a")))
    assert second.discriminator_from == str(saved) and not _changed(critic, second.discriminator)
    second.fit()
    assert f"discriminator from `{saved}`" in (tmp_path / "b" / "README.md").read_text()
    # a discriminator of another shape is refused with a warning and starts fresh
    wider = _recipe(adversarial=AdversarialSpec("conv-classifier", {"base_channels": 4}, loss="bce", weight=0.1))
    with pytest.warns(RuntimeWarning, match="does not fit the 'conv-classifier' discriminator.*starts fresh"):
        other = Trainer(wider, _options(data_dir, tmp_path / "c", steps=1, init_from=str(tmp_path / "a")))
    assert other.discriminator_from is None
    # same layers, one of another shape: nothing is copied, not even the tensors that fit
    deeper = _recipe(adversarial=AdversarialSpec("conv-classifier", {"base_channels": 8, "cond_channels": 3},
                                                 loss="bce", weight=0.1, conditional=True))
    partial = Trainer(deeper, _options(data_dir, tmp_path / "e", steps=1))
    before = _params(partial.discriminator)
    with pytest.warns(RuntimeWarning, match="first differing tensor"):
        assert partial._discriminator_from(str(tmp_path / "a")) is None
    assert not _changed(before, partial.discriminator)
    Trainer(_recipe(), _options(data_dir, tmp_path / "plain", steps=1)).fit()
    # a model trained without one: the card says the critic started fresh
    assert not (tmp_path / "plain" / DISCRIMINATOR_FILE).exists()
    Trainer(recipe, _options(data_dir, tmp_path / "d", steps=1, init_from=str(tmp_path / "plain"))).fit()
    assert "discriminator fresh (none saved beside that model)" in (tmp_path / "d" / "README.md").read_text()


def _state(trainer):
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}, \
           {k: v.clone() for k, v in trainer.discriminator.state_dict().items()}


def test_resume_after_interruption_matches_an_uninterrupted_run(data_dir, tmp_path, tiny_family):
    recipe = _recipe(adversarial=GAN, optimizer=OptimizerSpec(lr=1e-2, lr_milestones=(0.5,)), masks_per_image=2)
    whole = Trainer(recipe, _options(data_dir, tmp_path / "whole", steps=6))
    whole.fit()
    interrupted = Trainer(recipe, _options(data_dir, tmp_path / "cut", steps=6, checkpoint_every=2))
    assert interrupted.fit(stop_at_step=3) is None  # leaves only a checkpoint, no model
    assert not (tmp_path / "cut" / "model.safetensors").exists()
    with pytest.raises(CheckpointError, match="--resume"):
        Trainer(recipe, _options(data_dir, tmp_path / "cut", steps=6))
    resumed = Trainer(recipe, _options(data_dir, tmp_path / "cut", steps=6, resume=True))
    assert resumed.step == 3 and resumed.scheduler.last_epoch == 3
    assert resumed.optimizer.state_dict()["state"][0]["step"] == 3
    resumed.fit()
    for a, b in zip(_state(whole), _state(resumed)):
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)  # milestone at step 3 of 6
    inpainting.load_model(tmp_path / "cut")


def test_resume_refuses_another_recipe(data_dir, tmp_path, tiny_family):
    Trainer(_recipe(), _options(data_dir, tmp_path / "o", steps=1)).fit(stop_at_step=1)
    with pytest.raises(CheckpointError, match="from recipe 'test-recipe'"):
        Trainer(_recipe(name="other"), _options(data_dir, tmp_path / "o", steps=2, resume=True))


def test_resume_with_lr_replaces_the_saved_learning_rate(data_dir, tmp_path, tiny_family):
    recipe = _recipe(optimizer=OptimizerSpec(lr=1e-2, lr_milestones=(0.25,)))
    Trainer(recipe, _options(data_dir, tmp_path / "o", steps=4, checkpoint_every=2,
                             command="python -m train first")).fit(stop_at_step=2)
    kept = Trainer(recipe, _options(data_dir, tmp_path / "o", steps=4, resume=True))
    assert kept.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)  # saved: 1e-2 decayed at step 1
    with pytest.warns(UserWarning, match="learning rate 0.004 .* in place of the saved 0.01"):
        lowered = Trainer(recipe.override(lr=4e-3), _options(data_dir, tmp_path / "o", steps=4, resume=True,
                                                             command="python -m train second --lr 4e-3"))
    assert lowered.step == 2
    assert lowered.optimizer.param_groups[0]["lr"] == pytest.approx(4e-4)  # the passed decay still applies
    lowered.fit()
    assert lowered.optimizer.param_groups[0]["lr"] == pytest.approx(4e-4)
    card = (tmp_path / "o" / "README.md").read_text()
    assert ("1. from step 0: `python -m train first`\n2. from step 2: `python -m train second --lr 4e-3`"
            in card)
    assert "| Last command | `python -m train second --lr 4e-3` |" in card


def test_a_resumed_run_rewrites_the_card_of_the_earlier_invocation(data_dir, tmp_path, tiny_family):
    Trainer(_recipe(), _options(data_dir, tmp_path / "o", steps=1, command="python -m train one")).fit()
    assert "| Steps | 1 of 1 " in (tmp_path / "o" / "README.md").read_text()
    Trainer(_recipe(), _options(data_dir, tmp_path / "o", steps=3, resume=True, command="python -m train two")).fit()
    card = (tmp_path / "o" / "README.md").read_text()
    assert "| Steps | 3 of 3 " in card and "| Steps | 1 of 1 " not in card
    assert "1. from step 0: `python -m train one`\n2. from step 1: `python -m train two`" in card


def test_loss_overrides_add_reweight_and_drop_terms(data_dir, tmp_path, tiny_family):
    recipe = _recipe(losses=(LossTerm("l1_valid", 1.0), LossTerm("l1_hole", 6.0), LossTerm("tv", 0.1)))
    trainer = Trainer(recipe.override(loss_weights={"ssim": 2.0, "tv": 0, "l1_hole": 3.0}),
                      _options(data_dir, tmp_path / "o", steps=2))
    assert [(name, weight) for name, weight, _ in trainer.loss_terms] == [("l1_valid", 1.0), ("l1_hole", 3.0),
                                                                         ("ssim", 2.0)]
    trainer.fit()
    assert inpainting.load_model(tmp_path / "o") is not None
    with pytest.raises(KeyError, match="unknown loss 'nope'.*known: .*ssim"):
        recipe.override(loss_weights={"nope": 1.0})
    with pytest.raises(ValueError, match="no loss term"):
        recipe.override(loss_weights={"l1_valid": 0, "l1_hole": 0, "tv": 0})


def test_cli_loss_flag_is_checked_and_recorded_in_the_card(data_dir, tmp_path, capsys, tiny_family):
    base = ["--recipe", "cifar10-autoencoder", "--data", str(data_dir), "--out", str(tmp_path / "o"), "--size", "16",
            "--batch-size", "4", "--steps", "1", "--preset", "tiny", "--device", "cpu", "--no-progress",
            "--val-every", "0"]
    for bad, message in ((["--loss", "ssim"], "takes NAME=WEIGHT"), (["--loss", "ssim=x"], "must be a number")):
        with pytest.raises(SystemExit) as exit_info:  # malformed: argparse's usage error
            cli.main(base + bad)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    for bad, message in ((["--loss", "sim=1"], "unknown loss 'sim'"), (["--loss", "ssim=-1"], ">= 0")):
        assert cli.main(base + bad) == 2  # well-formed but not accepted: the trainer's message, no traceback
        err = capsys.readouterr().err
        assert message in err and "--loss" in err and "Traceback" not in err
    for bad, message in ((["--crop-scales", "1,x"], "comma-separated numbers"), (["--crop-scales", "0.5,2"], ">= 1")):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(base + bad)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    assert cli.main(base + ["--loss", "ssim=0.5", "--crop-scales", "1,1.25"]) == 0
    card = (tmp_path / "o" / "README.md").read_text()
    assert "--loss ssim=0.5" in card and "0.5×ssim" in card
    assert "| Crops | random squares of 1, 1.25 × 16 px" in card


def test_the_run_options_hold_nothing_that_the_recipe_describes():
    # One description of what is trained: the resolved recipe. TrainOptions only says how the run goes.
    from dataclasses import fields

    import train as train_package

    recipe_fields = {f.name for f in fields(Recipe)}
    run_fields = {f.name for f in fields(TrainOptions)}
    assert not set(train_package.RECIPE_OVERRIDES) & run_fields
    assert {"size", "batch_size", "preset", "masks", "domain"} <= recipe_fields
    resolved = _recipe().override(size=24, lr=3e-3, masks="objects", model_options={"channels": [4]},
                                  loss_weights={"ssim": 1.0})
    assert (resolved.size, resolved.optimizer.lr, resolved.masks, resolved.model_options["channels"]) == \
        (24, 3e-3, MaskSpec("objects"), [4])
    assert [t.name for t in resolved.losses] == ["mse", "ssim"]
    assert _recipe().override() == _recipe()  # nothing given: the recipe as it is


def test_the_command_line_trains_the_overridden_recipe(data_dir, tmp_path, monkeypatch, tiny_family):
    import train.recipes as recipes_module

    monkeypatch.setitem(recipes_module.RECIPES, "test-recipe", _recipe())
    out = tmp_path / "run"
    assert cli.main(["--recipe", "test-recipe", "--data", str(data_dir), "--out", str(out), "--steps", "1",
                     "--size", "24", "--lr", "0.003", "--loss", "ssim=1", "--batch-size", "2", "--device", "cpu",
                     "--no-progress", "--val-images", "2"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["native_size"] == 24
    card = (out / "README.md").read_text()
    assert "ssim" in card and "0.003" in card


def test_crop_scales_override_reaches_the_training_crops(data_dir, tmp_path, tiny_family):
    trainer = Trainer(_recipe().override(crop_scales=(1.0, 1.25)), _options(data_dir, tmp_path / "o", steps=1))
    assert trainer.recipe.crop_scales == (1.0, 1.25)
    assert trainer.train_set.crop.scales == (1.0, 1.25)
    from train.data import MultiScaleRandomCrop
    crop = MultiScaleRandomCrop(16, scales=(1.0, 1.25, 3.0))
    torch.manual_seed(0)
    sides = set()
    image = torch.arange(24 * 20, dtype=torch.float32).reshape(1, 24, 20)
    for _ in range(50):
        out = crop(image)
        assert out.shape[-2:] == (16, 16)
        sides.add(round(float(out[0, 0, -1] - out[0, 0, 0])))  # horizontal extent of the crop, in source px
    # Two crop sides only: 16 px (no resize, extent 15) and 20 px resized to 16 (extent ~18-19); 3.0 (48 px)
    # never fits the 20 px short side.
    assert len(sides) == 2 and min(sides) == 15 and 17 <= max(sides) <= 19


def test_init_from_copies_a_trained_model_and_checks_it_fits(data_dir, tmp_path, tiny_family):
    Trainer(_recipe(), _options(data_dir, tmp_path / "a", steps=2)).fit()
    trained = inpainting.load_model(tmp_path / "a")
    fresh = Trainer(_recipe(), _options(data_dir, tmp_path / "b", steps=1, seed=5))
    assert _changed(_params(trained), fresh.net)  # a different seed starts elsewhere
    tuned = Trainer(_recipe(), _options(data_dir, tmp_path / "c", steps=1, seed=5, init_from=str(tmp_path / "a")))
    assert not _changed(_params(trained), tuned.net)
    tuned.fit()
    assert _changed(_params(trained), tuned.net)  # and training goes on from there
    assert f"| Initialised from | `{tmp_path / 'a'}` (all weights) |" in (tmp_path / "c" / "README.md").read_text()
    with pytest.raises(ValueError, match="do not fit preset 'tiny'"):
        Trainer(_recipe(model_options={"width": 4}), _options(data_dir, tmp_path / "d", steps=1,
                                                               init_from=str(tmp_path / "a")))
    with pytest.raises(ValueError, match="'opencv-telea'.*same architecture"):
        Trainer(_recipe(), _options(data_dir, tmp_path / "e", steps=1, init_from="opencv-telea"))
    with pytest.raises(ValueError, match="--init-from nowhere/x: .*unknown model|--init-from nowhere/x: could not"):
        Trainer(_recipe(), _options(data_dir, tmp_path / "f", steps=1, init_from="nowhere/x"))


def test_init_from_keeps_the_measured_working_size_limit_of_its_start(data_dir, tmp_path, tiny_family):
    """A run continued from a checkpoint with a measured ``max_side`` fills large photos at the same size
    (inference reads it from config.json); one trained at another size, or from a start without it, does not."""
    from inpainting.inference import work_limit

    Trainer(_recipe(), _options(data_dir, tmp_path / "a", steps=1)).fit()
    config_path = tmp_path / "a" / "config.json"
    config = json.loads(config_path.read_text())
    assert work_limit(inpainting.load_model(tmp_path / "a")) == 32  # the default: twice the 16 px training size
    config["inpainting_hub"]["max_side"] = 48
    config_path.write_text(json.dumps(config))
    Trainer(_recipe(), _options(data_dir, tmp_path / "b", steps=1, init_from=str(tmp_path / "a"))).fit()
    assert work_limit(inpainting.load_model(tmp_path / "b")) == 48
    assert "working-size limit kept: photos up to 48 px" in (tmp_path / "b" / "README.md").read_text()
    Trainer(_recipe(size=32), _options(data_dir, tmp_path / "c", steps=1, init_from=str(tmp_path / "a"))).fit()
    assert work_limit(inpainting.load_model(tmp_path / "c")) == 64  # another size: its own default
    Trainer(_recipe(), _options(data_dir, tmp_path / "d", steps=1)).fit()
    assert work_limit(inpainting.load_model(tmp_path / "d")) == 32


def test_init_from_grows_context_blocks_into_a_trained_pconv_unet(data_dir, tmp_path, tiny_family):
    """A recipe whose PConv U-Net has Fourier context blocks starts from a checkpoint without them:
    every trained weight is copied and the new blocks are the identity, so the function is the same."""
    plain = _recipe(architecture="pconv-unet", preset="tiny", losses=(LossTerm("l1_hole", 6.0),))
    Trainer(plain, _options(data_dir, tmp_path / "a", steps=2)).fit()
    trained = inpainting.load_model(tmp_path / "a").eval()
    grown = Trainer(plain.replace(model_options={"context_levels": [0]}),
                    _options(data_dir, tmp_path / "b", steps=1, init_from=str(tmp_path / "a")))
    net = grown.net.eval()
    assert set(net.context) == {"0"}
    for key, value in trained.state_dict().items():
        assert torch.equal(net.state_dict()[key], value), key
    image, mask = torch.rand(2, 3, 16, 16), torch.zeros(2, 1, 16, 16)
    mask[..., 4:10, 5:12] = 1
    with torch.no_grad():
        assert torch.equal(net(image, mask), trained(image, mask))
    grown.fit()
    assert inpainting.load_model(tmp_path / "b").config["context_levels"] == [0]
    card = (tmp_path / "b" / "README.md").read_text()
    assert f"| Initialised from | `{tmp_path / 'a'}` (all its weights; " in card and "start fresh: context.0) |" in card


def test_freeze_encoder_norm_keeps_encoder_batch_norm_fixed(data_dir, tmp_path, tiny_family):
    recipe = _recipe(architecture="pconv-unet", preset="tiny", losses=(LossTerm("l1_hole", 6.0), LossTerm("ssim")))
    trainer = Trainer(recipe, _options(data_dir, tmp_path / "o", steps=3, val_every=2, freeze_encoder_norm=True))
    encoder = [m for m in trainer.net.encoder.modules() if isinstance(m, nn.BatchNorm2d)]
    decoder = [m for m in trainer.net.decoder.modules() if isinstance(m, nn.BatchNorm2d)]
    assert encoder and decoder and trainer.frozen_norms == encoder
    before = [{k: v.clone() for k, v in m.state_dict().items()} for m in encoder + decoder]
    trainer.fit()
    after = [m.state_dict() for m in encoder + decoder]
    for b, a in zip(before[:len(encoder)], after[:len(encoder)]):
        assert all(torch.equal(b[k], a[k]) for k in b)  # running stats and affine parameters untouched
    assert any(not torch.equal(b["running_mean"], a["running_mean"]) for b, a in
               zip(before[len(encoder):], after[len(encoder):]))
    assert "encoder batch norm frozen" in (tmp_path / "o" / "README.md").read_text()
    with pytest.raises(ValueError, match="has no `encoder`"):
        Trainer(_recipe(), _options(data_dir, tmp_path / "p", steps=1, freeze_encoder_norm=True))


class _FailsWhilePickled:
    def __reduce__(self):
        raise OSError("disk full")


def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "training" / "checkpoint.pt"
    save_checkpoint({"version": 1, "step": 1, "weights": torch.ones(1000)}, path)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"version": 1, "step": 2, "weights": torch.zeros(1000), "bad": _FailsWhilePickled()}, path)
    state = load_checkpoint(path)
    assert state["step"] == 1 and torch.equal(state["weights"], torch.ones(1000))
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.pt"]  # no temporary file left behind
    path.write_bytes(path.read_bytes()[:100])  # a file truncated by something else
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(path)


def test_time_budget_ends_cleanly_with_a_saved_model(data_dir, tmp_path, tiny_family):
    trainer = Trainer(_recipe(), _options(data_dir, tmp_path / "o", steps=1000, max_minutes=1e-6))
    folder = trainer.fit()
    assert trainer.step == 1 and trainer.stop_reason == "time budget"
    model = inpainting.load_model(folder)
    assert isinstance(model, TinyInpainter)
    assert "stopped by the time budget" in (folder / "README.md").read_text()


def test_output_folder_has_model_card_metadata_and_samples(data_dir, tmp_path, tiny_family):
    val = _write_images(tmp_path / "val", 3, seed=1)
    options = _options(data_dir, tmp_path / "o", val_data=str(val), steps=4, val_every=2, checkpoint_every=2,
                       description="a test model", dataset_name="tiny faces", command="python -m train x")
    trainer = Trainer(_recipe().override(domain="faces"), options)
    folder = trainer.fit()
    config = json.loads((folder / "config.json").read_text())
    meta = config["inpainting_hub"]
    assert config["architecture"] == TEST_ARCH
    assert meta["description"] == "a test model" and meta["domain"] == "faces" and meta["dataset"] == "tiny faces"
    assert meta["resolution"] == 16 and meta["recipe"] == "test-recipe" and meta["steps"] == 4
    assert meta["command"] == "python -m train x"
    assert set(meta["metrics"]) >= {"psnr", "ssim", "l1_hole", "l1_whole"}
    assert all(math.isfinite(v) for v in meta["metrics"].values())
    card = (folder / "README.md").read_text()
    assert "## Training" in card and "Wall time" in card and "psnr" in card
    # The processor, with what sets its speed, so that wall times of different machines can be told apart.
    device = f"CPU: {cpu_label()}, {torch.get_num_threads()} threads"
    assert meta["device"] == device and f"| Device | {device} |" in card
    samples = sorted(p.name for p in (folder / "training" / "samples").iterdir())
    assert samples == ["step_0000002.png", "step_0000004.png"]
    assert Image.open(folder / "samples.png").size[1] == 3 * 16 + 4  # input, result, truth rows
    assert any((folder / "training" / "tensorboard").iterdir())
    assert (folder / "training" / "checkpoint.pt").is_file()


def test_the_model_records_the_size_it_was_trained_at(data_dir, tmp_path, tiny_family):
    assert inpainting.create_model(TEST_ARCH).native_size == 32  # the family's default working size
    folder = Trainer(_recipe(), _options(data_dir, tmp_path / "o", steps=1, val_images=2)).fit()  # at 16 px
    config = json.loads((folder / "config.json").read_text())
    assert config["native_size"] == config["inpainting_hub"]["resolution"] == 16
    assert inpainting.load_model(folder).native_size == 16
    with pytest.raises(ValueError, match="--size"):
        Trainer(_recipe(model_options={"native_size": 64}), _options(data_dir, tmp_path / "x", steps=1))


def test_perceptual_recipe_needs_vgg_weights_unless_told_otherwise(data_dir, tmp_path, monkeypatch, tiny_family, vgg):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    liu = _recipe(losses=(LossTerm("l1_hole", 6.0), LossTerm("perceptual", 0.05), LossTerm("style", 120.0)))
    with pytest.raises(MissingWeightsError, match="--no-perceptual"):
        Trainer(liu, _options(data_dir, tmp_path / "a", steps=1))
    trainer = Trainer(liu, _options(data_dir, tmp_path / "b", steps=1, no_perceptual=True))
    assert [name for name, _, _ in trainer.loss_terms] == ["l1_hole"] and trainer.dropped_terms == ["perceptual", "style"]
    with pytest.warns(UserWarning, match="without perceptual"):
        optional = Trainer(liu.replace(perceptual_required=False), _options(data_dir, tmp_path / "c", steps=1))
    assert optional.dropped_terms == ["perceptual", "style"]
    with_vgg = Trainer(liu, _options(data_dir, tmp_path / "d", steps=1), vgg=vgg)
    logs = with_vgg.train_step(next(iter(torch.utils.data.DataLoader(with_vgg.train_set, batch_size=4))))
    assert logs["perceptual"] > 0 and logs["style"] > 0


# ----------------------------------------------------------------------------- command lines
def test_list_recipes_describes_every_recipe(capsys):
    assert cli.main(["--list-recipes"]) == 0
    out = capsys.readouterr().out
    for recipe in list_recipes():
        assert f"{recipe.name}: {recipe.description}" in out
    assert "glcic: " in out and "phases: completion 18%, discriminator 2%, joint 80%" in out


def test_recipes_are_consistent():
    from inpainting.masks import MASK_PRESETS
    from train.discriminators import DISCRIMINATORS
    from train.losses import ADVERSARIAL as STRATEGIES, LOSSES

    names = {r.name for r in list_recipes()}
    assert {"cifar10-autoencoder", "cifar10-pconv", "celeba-pconv", "places-pconv-baseline", "places-pconv-rn-gan",
            "glcic", "glcic-global-mse", "scenes-unet-mse", "scenes-gan-mse", "scenes-gan-bce-wmse",
            "scenes-residual-hole", "scenes-residual-image", "scenes-two-stage", "lama-ffc"} <= names
    for recipe in list_recipes():
        assert all(t.name in LOSSES for t in recipe.losses), recipe.name
        assert recipe.masks.generator in MASK_PRESETS or recipe.masks.generator == "nvidia-irregular"
        if recipe.adversarial:
            assert recipe.adversarial.discriminator in DISCRIMINATORS and recipe.adversarial.loss in STRATEGIES
    assert get_recipe("celeba-pconv").optimizer.lr_milestones == (0.4,)  # 8 of 20 epochs at 1e-3
    assert [p.name for p in get_recipe("glcic").phases] == ["completion", "discriminator", "joint"]
    assert get_recipe("scenes-gan-mse").phases == ADVERSARIAL


def test_cli_trains_and_push_dry_run_lists_the_model_files(data_dir, tmp_path, capsys, tiny_family, monkeypatch):
    import train.recipes as recipes_module

    monkeypatch.setitem(recipes_module.RECIPES, "test-recipe", _recipe())
    out = tmp_path / "run"
    assert cli.main(["--recipe", "test-recipe", "--data", str(data_dir), "--out", str(out), "--steps", "2",
                     "--batch-size", "2", "--device", "cpu", "--no-progress", "--domain", "objects",
                     "--model-option", "width=4"]) == 0
    assert "2 steps" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["inpainting_hub"]["domain"] == "objects" and config["width"] == 4
    assert config["inpainting_hub"]["command"].startswith("python -m train --recipe test-recipe")
    inpainting.load_model(out)
    assert push.main([str(out), "--repo-id", "someone/tiny", "--dry-run"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert listed == ["config.json", "model.safetensors", "README.md", "samples.png"]
    assert push.main([str(out / "training"), "--repo-id", "someone/tiny", "--dry-run"]) == 2
    assert "missing config.json" in capsys.readouterr().err


# ----------------------------------------------------------------------------- every recipe
def _tiny_size(architecture):
    model = inpainting.create_model(architecture, "tiny")
    multiple = int(getattr(model, "pad_multiple", 1) or 1)
    return max(16, multiple * math.ceil(16 / multiple))


@pytest.mark.parametrize("name", [r.name for r in list_recipes()])
def test_every_recipe_trains_a_few_steps_into_a_loadable_folder(name, data_dir, tmp_path, vgg):
    recipe = get_recipe(name)
    try:
        size = _tiny_size(recipe.architecture)
    except (registry.UnknownArchitectureError, KeyError) as err:
        pytest.skip(f"{recipe.architecture} 'tiny' is not registered yet ({err})")
    if recipe.masks.generator == "nvidia-irregular":
        nvidia = tmp_path / "nvidia"
        nvidia.mkdir()
        for i in range(12):
            hole = np.zeros((32, 32), np.uint8)
            hole[8:8 + i + 2, 4:20] = 255
            Image.fromarray(hole).save(nvidia / f"{i:05d}.png")
        recipe = recipe.replace(masks=MaskSpec("nvidia-irregular", {"bucket_size": 2}))
    else:
        nvidia = None
    if recipe.adversarial is not None:  # tiny discriminators too
        recipe = recipe.replace(adversarial=AdversarialSpec(**{**recipe.adversarial.__dict__,
                                                               "options": {**recipe.adversarial.options,
                                                                           "base_channels": 8}}))
    if "context_levels" in recipe.model_options:  # the small preset's decoder levels; tiny has one
        recipe = recipe.replace(model_options={**recipe.model_options, "context_levels": [0]})
    phases = len(recipe.phases)
    trainer = Trainer(recipe.override(preset="tiny", size=size, batch_size=2),
                      _options(data_dir, tmp_path / "out", steps=max(2, 2 * phases), mask_dir=nvidia and str(nvidia),
                               val_images=2),
                      vgg=vgg)
    folder = trainer.fit()
    model = inpainting.load_model(folder)
    assert model.architecture == recipe.architecture and model.native_size == size  # not the preset's default
    assert json.loads((folder / "config.json").read_text())["inpainting_hub"]["recipe"] == name
    assert {k: model.config[k] for k in recipe.model_options} == recipe.model_options
    result = inpainting.inpaint(model, np.full((size, size, 3), 128, np.uint8), np.eye(size, dtype=bool))
    assert result.size == (size, size)


# ----------------------------------------------------------------------------- shipped checkpoints' recipes
def test_every_shipped_checkpoint_is_a_registered_recipe_that_matches_its_config():
    from train.shipped import JOINED_SUFFIX, ORDER, shipped_recipes

    checkpoints = Path(__file__).resolve().parents[1] / "checkpoints"
    shipped = sorted(p.name for p in checkpoints.iterdir() if (p / "config.json").exists())
    finals = {}
    for recipe in shipped_recipes():  # the last stage of each checkpoint is what shipped
        finals[recipe.shipped.checkpoint] = recipe
    assert sorted(name for name, r in finals.items() if r.shipped.ship) == shipped
    for name in shipped:
        recipe = finals[name]
        config = json.loads((checkpoints / name / "config.json").read_text())
        hub = config["inpainting_hub"]
        assert recipe.base and recipe.shipped.data, name
        assert (recipe.architecture, recipe.size, recipe.preset, recipe.domain) == (
            config["architecture"], config["native_size"], hub["preset"], hub["domain"]), name
        assert recipe.shipped.max_side == hub.get("max_side"), name
        assert recipe.shipped.rank == hub.get("rank"), name
        if "norm" in config:
            assert recipe.model_options.get("norm", config["norm"]) == config["norm"], name
    # stages come after the run they continue and after the stage whose weights they start from or join with;
    # a stage's joined weights (run:NAME-joined) are written only by a stage that joins
    for i, recipe in enumerate(shipped_recipes()):
        run = recipe.shipped
        for before in filter(None, (run.continues, *(ref[4:] for ref in (run.init_from, run.join_with)
                                                     if ref and ref.startswith("run:")))):
            if before.endswith(JOINED_SUFFIX):
                before = before[:-len(JOINED_SUFFIX)]
                assert get_recipe(before).shipped.join_with and not get_recipe(before).shipped.ship, recipe.name
            assert before in ORDER[:i] or any(n.split(":")[0] == before for n in ORDER[:i]), (recipe.name, before)


def test_shipped_script_is_a_list_of_recipe_names():
    script = (Path(__file__).resolve().parents[1] / "scripts" / "train_shipped.sh").read_text()
    assert "${CMD" not in script and "/--" not in script  # no bash text substitutions of command lines
    assert "python -m train" in script or "-m train --recipe" in script


def _data_root(tmp_path, data_dir):
    root = tmp_path / "data"
    for split in ("celeba/train", "celeba/val", "scenes/train", "scenes/val"):
        (root / split).parent.mkdir(parents=True, exist_ok=True)
        (root / split).symlink_to(data_dir, target_is_directory=True)
    return root


def test_a_shipped_recipe_trains_from_its_name_and_its_stages_resume(data_dir, tmp_path, capsys):
    root = _data_root(tmp_path, data_dir)
    runs = tmp_path / "runs"
    tiny = ["--preset", "tiny", "--size", "16", "--batch-size", "2", "--device", "cpu", "--no-progress",
            "--data-root", str(root), "--val-images", "2", "--max-minutes", "5"]
    # a later stage before its first: a clear message, nothing trained
    assert cli.main(["--recipe", "pconv-unet-liu-celeba:continue", "--out", str(runs / "b"), *tiny]) == 2
    assert "train pconv-unet-liu-celeba into that folder first" in capsys.readouterr().err
    assert cli.main(["--recipe", "pconv-unet-scenes", "--out", str(runs / "pconv-unet-scenes"), *tiny]) == 2
    assert "train pconv-unet-liu-celeba first" in capsys.readouterr().err
    # a stage that starts from an earlier stage's join says which stage to train and join
    assert cli.main(["--recipe", "pconv-unet-photos", "--out", str(runs / "pconv-unet-photos"), *tiny]) == 2
    assert ("train pconv-unet-photos-energy1 and join it with its start first (bash scripts/train_shipped.sh "
            "pconv-unet-photos-energy1)") in capsys.readouterr().err

    base = runs / "pconv-unet-liu-celeba"
    assert cli.main(["--recipe", "pconv-unet-liu-celeba", "--steps", "2", "--out", str(base), *tiny]) == 0
    card = json.loads((base / "config.json").read_text())["inpainting_hub"]
    assert card["recipe"] == "pconv-unet-liu-celeba" and card["domain"] == "faces"
    assert card["dataset"] == "CelebA-8500" and card["name"] == "pconv-unet-liu-celeba"
    assert card["steps"] == 2
    # the next stage resumes the same folder (no --resume needed) and adds the SSIM term
    assert cli.main(["--recipe", "pconv-unet-liu-celeba:continue", "--steps", "3", "--out", str(base), *tiny]) == 0
    card = json.loads((base / "config.json").read_text())["inpainting_hub"]
    assert card["steps"] == 3 and card["recipe"] == "pconv-unet-liu-celeba:continue"
    # a transfer stage starts from that run's weights (run:NAME is resolved beside --out)
    capsys.readouterr()
    assert cli.main(["--recipe", "pconv-unet-scenes", "--steps", "2", "--out", str(runs / "pconv-unet-scenes"),
                     *tiny]) == 0
    assert f"`{base}` (all weights)" in (runs / "pconv-unet-scenes" / "README.md").read_text()
    config = json.loads((runs / "pconv-unet-scenes" / "config.json").read_text())
    assert config["inpainting_hub"]["domain"] == "scenes"
    inpainting.load_model(runs / "pconv-unet-scenes")


def test_a_shipped_recipe_without_its_data_names_the_folder(tmp_path, capsys):
    assert cli.main(["--recipe", "pconv-unet-celeba", "--data-root", str(tmp_path / "nowhere"), "--steps", "2",
                     "--out", str(tmp_path / "out"), "--device", "cpu", "--no-progress"]) == 2
    assert str(tmp_path / "nowhere" / "celeba" / "train") in capsys.readouterr().err


def test_auto_precision_is_bf16_only_where_the_cpu_has_it(monkeypatch, data_dir, tmp_path, capsys):
    import train.trainer as trainer_module

    assert trainer_module.resolve_precision("no", "cpu") == "no"
    assert trainer_module.resolve_precision("fp16", "cpu") == "fp16"
    for native, expected in ((True, "bf16"), (False, "no")):
        monkeypatch.setattr(trainer_module, "cpu_has_native_bf16", lambda: native)
        assert trainer_module.resolve_precision("auto", "cpu") == expected
    # the command line's default is auto, and the card records what it became
    monkeypatch.setattr(trainer_module, "cpu_has_native_bf16", lambda: False)
    import train.recipes as recipes_module

    monkeypatch.setitem(recipes_module.RECIPES, "test-recipe", _recipe())
    out = tmp_path / "run"
    assert cli.main(["--recipe", "test-recipe", "--data", str(data_dir), "--out", str(out), "--steps", "1",
                     "--batch-size", "2", "--device", "cpu", "--no-progress", "--val-images", "2"]) == 0
    assert json.loads((out / "config.json").read_text())["inpainting_hub"]["precision"] == "no"


def test_bf16_on_a_cpu_without_native_bf16_is_said_to_be_slow(monkeypatch, data_dir, tmp_path, tiny_family,
                                                               fresh_accelerator_state):
    # On an AVX2-only CPU PyTorch runs bf16 convolutions on its slow reference path (10-100x float32).
    import warnings

    import train.trainer as trainer_module

    for native in (False, True):
        monkeypatch.setattr(trainer_module, "cpu_has_native_bf16", lambda: native)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Trainer(_recipe(), _options(data_dir, tmp_path / f"out-{native}", steps=1, mixed_precision="bf16"))
        said = [w for w in caught if w.message.args and w.message.args[0] == trainer_module.SLOW_BF16_WARNING]
        assert bool(said) is (not native), native


def test_a_shipped_run_writes_its_working_size_limit_and_rank_into_the_config(data_dir, tmp_path, monkeypatch,
                                                                                tiny_family):
    import train.recipes as recipes_module
    from train.recipes import ShippedRun

    run = ShippedRun("tiny-shipped", data=data_dir.name, steps=1, val_images=2, max_side=40, rank=2)
    monkeypatch.setitem(recipes_module.RECIPES, "tiny-shipped", _recipe(name="tiny-shipped", shipped=run))
    out = tmp_path / "run"
    assert cli.main(["--recipe", "tiny-shipped", "--data-root", str(data_dir.parent), "--out", str(out),
                     "--batch-size", "2", "--device", "cpu", "--no-progress"]) == 0
    hub = json.loads((out / "config.json").read_text())["inpainting_hub"]
    assert (hub["max_side"], hub["rank"]) == (40, 2)
    assert inpainting.load_model(out).max_side == 40


def test_a_shipped_runs_inference_options_reach_the_loaded_model_and_its_card(tmp_path):
    """inference_options (weightless model options, e.g. edge_blend) are written into the trained
    model's config.json, so load_model fills with them, and the card says they were set after training."""
    from train.recipes import ShippedRun

    folder = tmp_path / "trained"
    inpainting.create_model("pconv-unet", "tiny").save_pretrained(folder)
    assert inpainting.load_model(folder).edge_blend == 0
    run = ShippedRun("tiny-shipped", data="x", max_side=40, inference_options={"edge_blend": 2.0})
    cli._write_shipped_facts(folder, run)
    cli._write_shipped_facts(folder, run)  # idempotent: the card's note is not repeated
    model = inpainting.load_model(folder)
    assert (model.edge_blend, model.max_side) == (2.0, 40)
    card = (folder / "README.md").read_text()
    assert card.count("Inference options set after training") == 1 and "`edge_blend=2.0`" in card


def test_ship_joins_a_run_with_its_start_in_weight_space_when_its_recipe_says_so(tmp_path, monkeypatch):
    """ShippedRun.join_with: the shipped weights are (1 − w)·start + w·run, the config keeps the run's facts and
    inference options, and the card says how the weights were made; without it ship copies the run."""
    import train.recipes as recipes_module
    from train.recipes import ShippedRun
    from train.shipped import JOINED_SUFFIX, ship

    runs, checkpoints = tmp_path / "runs", tmp_path / "checkpoints"
    options = dict(channels=[4, 8, 8], kernel_sizes=[3, 3, 3])
    torch.manual_seed(0)
    start = inpainting.create_model("pconv-unet", "tiny", **options)
    start.save_pretrained(runs / "start")
    torch.manual_seed(1)
    tuned = inpainting.create_model("pconv-unet", "tiny", **options, edge_blend=2.0)
    tuned.save_pretrained(runs / "tuned", metadata={"description": "tuned", "max_side": 40, "steps": 7})
    (runs / "tuned" / "README.md").write_text("# tuned\n\n## Training\n\nthe run's card")
    for weight, joined in ((0.25, True), (None, False)):
        run = ShippedRun("tuned", data="x", max_side=40, inference_options={"edge_blend": 2.0},
                         **({"join_with": "run:start", "join_weight": weight} if joined else {}))
        monkeypatch.setitem(recipes_module.RECIPES, "tiny-joined",
                            _recipe(name="tiny-joined", architecture="pconv-unet", shipped=run))
        assert ship("tiny-joined", runs=str(runs), checkpoints=str(checkpoints)) == str(checkpoints / "tuned")
        shipped = inpainting.load_model(checkpoints / "tuned")
        expected = ({k: 0.75 * v + 0.25 * tuned.state_dict()[k] if v.is_floating_point() else v
                     for k, v in start.state_dict().items()} if joined else tuned.state_dict())
        for key, value in expected.items():
            torch.testing.assert_close(shipped.state_dict()[key], value, rtol=0, atol=1e-6)
        assert (shipped.edge_blend, shipped.max_side) == (2.0, 40)
        hub = json.loads((checkpoints / "tuned" / "config.json").read_text())["inpainting_hub"]
        assert hub["steps"] == 7 and hub.get("joined") == ({"with": "run:start", "weight_of_run": 0.25} if joined
                                                           else None)
        card = (checkpoints / "tuned" / "README.md").read_text()
        assert "the run's card" in card
        assert ("0.75 × `run:start` + 0.25 × this run's" in card) == joined
    # an intermediate stage's join goes beside its run (runs/NAME-joined), for the next stage to start from;
    # an intermediate stage without a join writes nothing
    for joined in (True, False):
        run = ShippedRun("tuned", data="x", ship=False, inference_options={"edge_blend": 2.0},
                         **({"join_with": "run:start"} if joined else {}))
        monkeypatch.setitem(recipes_module.RECIPES, "tiny-joined",
                            _recipe(name="tiny-joined", architecture="pconv-unet", shipped=run))
        assert ("joined into runs/tuned-joined as 0.5 × run:start" in run.describe()) == joined
        written = ship("tiny-joined", runs=str(runs), checkpoints=str(tmp_path / "elsewhere"))
        assert written == (str(runs / f"tuned{JOINED_SUFFIX}") if joined else None)
        assert not (tmp_path / "elsewhere").exists()
    middle = inpainting.load_model(runs / f"tuned{JOINED_SUFFIX}")
    for key, value in start.state_dict().items():
        expected = 0.5 * value + 0.5 * tuned.state_dict()[key] if value.is_floating_point() else value
        torch.testing.assert_close(middle.state_dict()[key], expected, rtol=0, atol=1e-6)
    card = (runs / f"tuned{JOINED_SUFFIX}" / "README.md").read_text()
    assert "The weights in this folder are 0.5 × `run:start`" in card and "evaluation below" not in card


def test_every_name_table_refuses_an_unknown_name_the_same_way():
    from inpainting.masks import get_mask_generator
    from inpainting.registry import UnknownNameError
    from train.data import build_augmentation
    from train.discriminators import create_discriminator
    from train.trainer import _make_optimizer

    attempts = {
        "mask generator": lambda: get_mask_generator("wavy"),
        "augmentation": lambda: build_augmentation({"twirl": {}}),
        "discriminator": lambda: create_discriminator("huge", image_size=32),
        "optimiser": lambda: _make_optimizer(OptimizerSpec("adagrad"), [torch.zeros(1, requires_grad=True)]),
        "recipe": lambda: get_recipe("no-such-recipe"),
        "loss": lambda: get_recipe("glcic").with_losses({"nope": 1.0}),
    }
    for what, attempt in attempts.items():
        with pytest.raises(UnknownNameError) as info:
            attempt()
        assert str(info.value).startswith(f"unknown {what} '") and "; known: " in str(info.value), str(info.value)
        assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)


def test_a_shipped_run_carries_its_seed_and_the_command_line_wins(tmp_path):
    from dataclasses import replace

    recipe = get_recipe("pconv-unet-liu-celeba")
    seeded = recipe.replace(shipped=replace(recipe.shipped, seed=2))
    parser = cli.build_parser()
    base = ["--recipe", recipe.name, "--data-root", str(tmp_path)]
    assert cli._resolve_run(parser.parse_args(base), recipe)["seed"] == 0
    assert cli._resolve_run(parser.parse_args(base), seeded)["seed"] == 2
    assert cli._resolve_run(parser.parse_args(base + ["--seed", "5"]), seeded)["seed"] == 5


# ----------------------------------------------------------------------------- weight averaging (EMA)
class _NormInpainter(TinyInpainter):
    """The tiny inpainter with a batch norm, so that the average's buffers are checked too."""

    def __init__(self, width: int = 8, native_size: int = 32):
        super().__init__(width, native_size)
        self.net = nn.Sequential(nn.Conv2d(4, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                                 nn.Conv2d(width, 3, 3, padding=1))


@pytest.fixture(scope="module")
def norm_family():
    name = "train-test-norm"
    registry.register_model(name, description="test-only tiny inpainter with batch norm", pad_multiple=4,
                            presets={"tiny": {"width": 8}}, default_preset="tiny")(_NormInpainter)
    yield name
    registry._REGISTRY.pop(name, None)


def _weights(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_ema_saves_the_exponential_average_of_the_generator_steps(data_dir, tmp_path, norm_family):
    decay = 0.6
    recipe = _recipe(architecture=norm_family, optimizer=OptimizerSpec(lr=1e-2, ema=decay))
    trainer = Trainer(recipe, _options(data_dir, tmp_path / "o", steps=4))
    expected = _weights(trainer.net)  # the average starts at the start's weights
    start = {k: v.clone() for k, v in expected.items()}
    loader = make_loader(trainer.train_set, batch_size=4, epoch=0, seed=0)
    batches = iter(loader)
    for _ in range(4):
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(loader)
            batch = next(batches)
        trainer.train_step(batch)
        for k, v in _weights(trainer.net).items():  # parameters and the batch norm's running statistics
            if v.is_floating_point():
                expected[k] = decay * expected[k] + (1 - decay) * v
    net = _weights(trainer.net)
    averaged = _weights(trainer.ema.module)
    for k, v in expected.items():
        if v.is_floating_point():
            assert torch.allclose(averaged[k], v, atol=1e-6), k
    assert any(not torch.equal(averaged[k], net[k]) for k in net if net[k].is_floating_point())
    assert any(not torch.equal(averaged[k], start[k]) for k in start if start[k].is_floating_point())
    # what is validated and saved is the average, not the last weights
    assert trainer.saved_model is trainer.ema.module
    folder = trainer.save_model()
    saved = inpainting.load_model(folder)
    for k, v in saved.state_dict().items():
        if v.is_floating_point():
            assert torch.equal(v, averaged[k]), k
    assert "exponential moving average, decay 0.6" in (folder / "README.md").read_text()


def test_ema_resumes_with_its_average_and_matches_an_uninterrupted_run(data_dir, tmp_path, norm_family):
    recipe = _recipe(architecture=norm_family, optimizer=OptimizerSpec(lr=1e-2, ema=0.9))
    whole = Trainer(recipe, _options(data_dir, tmp_path / "whole", steps=4))
    whole.fit()
    cut = Trainer(recipe, _options(data_dir, tmp_path / "cut", steps=4, checkpoint_every=2))
    cut.fit(stop_at_step=2)
    resumed = Trainer(recipe, _options(data_dir, tmp_path / "cut", steps=4, resume=True))
    assert resumed.ema.n_averaged.item() == 3  # the start, then two steps
    resumed.fit()
    a, b = _weights(whole.ema.module), _weights(resumed.ema.module)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], _weights(whole.net)[k]) for k in a)


def test_ema_is_checked_and_reaches_the_recipe_from_the_command_line(data_dir, tmp_path, capsys, tiny_family):
    with pytest.raises(ValueError, match=r"ema must be a decay in \[0, 1\)"):
        OptimizerSpec(ema=1.0)
    assert _recipe().override(ema=0.99).optimizer == OptimizerSpec(lr=1e-2, ema=0.99)
    assert _recipe().override(lr=3e-3, ema=0.99).optimizer == OptimizerSpec(lr=3e-3, ema=0.99)
    assert Trainer(_recipe(), _options(data_dir, tmp_path / "off", steps=1)).ema is None
