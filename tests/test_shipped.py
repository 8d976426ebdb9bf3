"""The shipped checkpoints are complete, small, evaluated and listed where users look for them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import inpainting

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.name for p in (ROOT / "checkpoints").iterdir() if (p / "config.json").is_file())
SIZE_AIM = 30 * 1024 * 1024


def test_there_are_shipped_checkpoints_for_every_domain():
    domains = {json.loads((ROOT / "checkpoints" / n / "config.json").read_text())["inpainting_hub"]["domain"]
               for n in SHIPPED}
    assert domains == {"faces", "scenes", "objects", "photos"}


@pytest.mark.parametrize("name", SHIPPED)
def test_checkpoint_folder_is_complete_small_and_evaluated(name):
    folder = ROOT / "checkpoints" / name
    files = sorted(p.name for p in folder.iterdir())
    assert [f for f in files if f != "discriminator.safetensors"] == ["README.md", "config.json", "model.safetensors",
                                                                      "samples.png"]
    assert (folder / "model.safetensors").stat().st_size < SIZE_AIM
    meta = json.loads((folder / "config.json").read_text())["inpainting_hub"]
    assert meta["name"] == name and meta["description"] and meta["command"].startswith("python -m train ")
    evaluation = meta["evaluation"]
    assert 10 < evaluation["psnr"] < 50 and 0 < evaluation["ssim"] < 1
    card = (folder / "README.md").read_text()
    assert card.count("## Evaluation") == 1 and "## Training" in card
    # The card's evaluation table agrees with the metadata the app ranks models by.
    row = next(line for line in card.split("## Evaluation", 1)[1].split("### SSIM")[0].splitlines()
               if line.startswith(f"| {name} "))
    assert row.rstrip(" |").split("|")[-1].strip().strip("*") == f"{evaluation['psnr']:.2f}"


@pytest.mark.parametrize("name", SHIPPED)
def test_checkpoint_loads_by_name_and_inpaints_only_the_hole(name):
    model = inpainting.load_model(name, device="cpu")
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    mask = np.zeros((40, 56), dtype=np.uint8)
    mask[10:25, 20:40] = 1
    out = np.asarray(inpainting.inpaint(model, image, mask).convert("RGB"))
    assert out.shape == image.shape
    assert np.array_equal(out[mask == 0], image[mask == 0])
    assert out[mask == 1].any()  # the model saw zeros in the hole; something was painted there


@pytest.mark.parametrize("name", SHIPPED)
def test_checkpoint_works_at_the_size_its_card_says_it_was_trained_at(name):
    folder = ROOT / "checkpoints" / name
    rows = re.findall(r"^\| Resolution \| (\d+)×(\d+) \|$", (folder / "README.md").read_text(), flags=re.M)
    assert len(rows) == 1 and rows[0][0] == rows[0][1], f"{name}: no single square Resolution row in the card"
    trained_at = int(rows[0][0])
    config = json.loads((folder / "config.json").read_text())
    assert config["native_size"] == config["inpainting_hub"]["resolution"] == trained_at
    assert inpainting.load_model(name, device="cpu").native_size == trained_at


def test_readme_and_results_list_every_shipped_checkpoint():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- shipped-models: written by scripts/publish_results.py -->", 1)[1]
    block = block.split("<!-- /shipped-models -->", 1)[0]
    assert sorted(re.findall(r"^\| `([a-z0-9-]+)` \|", block, flags=re.M)) == SHIPPED
    results = (ROOT / "RESULTS.md").read_text()
    for name in SHIPPED:
        assert f"| {name} |" in results, f"{name} has no row in RESULTS.md"


@pytest.mark.parametrize("old, new", sorted(inpainting.loading.RENAMED.items()))
def test_a_renamed_checkpoint_loads_by_its_old_name_with_a_notice(old, new, tmp_path):
    from train.evaluate import FORMAT, load_results, resolve_models

    assert new in SHIPPED and old not in SHIPPED
    with pytest.warns(FutureWarning, match=f"'{old}' is now called '{new}'"):
        model = inpainting.load_model(old, device="cpu")
    reference = inpainting.load_model(new, device="cpu")
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.state_dict().values(),
                                                                     reference.state_dict().values()))
    with pytest.warns(FutureWarning):
        assert resolve_models([old]) == [(new, new)]
    # evaluation results written under the old name read back under the new one
    results = {"format": FORMAT, "models": {old: {"summary": {}}}}
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert list(load_results(tmp_path)["models"]) == [new]


@pytest.mark.parametrize("old, new", sorted(inpainting.loading.REPLACED.items()))
def test_a_replaced_checkpoint_loads_its_replacement_with_a_notice_saying_so(old, new, tmp_path):
    from train.evaluate import FORMAT, load_results

    assert new in SHIPPED and old not in SHIPPED
    with pytest.warns(FutureWarning, match=f"'{old}' was replaced by '{new}', the same recipe trained on real photos"):
        model = inpainting.load_model(old, device="cpu")
    reference = inpainting.load_model(new, device="cpu")
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.state_dict().values(),
                                                                     reference.state_dict().values()))
    assert {e.name: e.domain for e in inpainting.available_models()}[new] == "photos"
    # results recorded under the old name stay the old model's: not relabelled as the replacement
    (tmp_path / "results.json").write_text(json.dumps({"format": FORMAT, "models": {old: {"summary": {}}}}))
    assert list(load_results(tmp_path)["models"]) == [old]


def test_a_shipped_discriminator_fits_the_texture_recipe_and_is_loaded_by_init_from(tmp_path):
    """pconv-unet-photos ships the critic of its last texture run, so the next stage starts against it."""
    from safetensors.torch import load_file

    from train.discriminators import create_discriminator
    from train.recipes import get_recipe

    folder = ROOT / "checkpoints" / "pconv-unet-photos"
    file = folder / "discriminator.safetensors"
    if not file.exists():
        pytest.skip("pconv-unet-photos ships no discriminator")
    adv = get_recipe("photos-pconv-texture-warm").adversarial
    critic = create_discriminator(adv.discriminator, image_size=256, **adv.options)
    critic.load_state_dict(load_file(str(file)))  # strict: same layers and shapes
    assert file.stat().st_size < SIZE_AIM
    from inpainting.loading import local_model_folder
    assert local_model_folder("pconv-unet-photos") == folder


def test_rewriting_a_cards_evaluation_keeps_the_sections_around_it(tmp_path):
    from scripts.publish_results import MARK, _write_card

    card = tmp_path / "README.md"
    card.write_text(f"# model\n\nintro\n\n{MARK}\n## Evaluation\n\nold table\n\n### SSIM\n\nold\n\n## Discriminator\n\ncritic\n")
    _write_card(tmp_path, f"{MARK}\n## Evaluation\n\nnew table\n")
    text = card.read_text()
    assert "old" not in text and "new table" in text
    assert text.index("intro") < text.index("new table") < text.index("## Discriminator") < text.index("critic")
    _write_card(tmp_path, f"{MARK}\n## Evaluation\n\nnewer\n")  # again: still one evaluation, one critic
    assert card.read_text().count("## Evaluation") == 1 and card.read_text().count("critic") == 1


def test_rewriting_only_the_measurement_records_keeps_the_native_tables(tmp_path):
    """--records-only replaces the records at the end of the native-size block, keeps every table
    before them and the sections after the block, and is idempotent; a file without the block says so."""
    from scripts.publish_results import NATIVE_END, NATIVE_START, RECORDS_START, _write_records_only

    docs = tmp_path / "measurements"
    docs.mkdir()
    (docs / "01-a.md").write_text("### Record A\n\nkept a\n")
    (docs / "02-b.md").write_text("### Record B\n\nnew b\n")
    (docs / "03-c.md").write_text("### Record C\n\nnew c\n")
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Results\n\n{NATIVE_START}\n## Native\n\n| table | kept |\n\n{RECORDS_START}\n\n"
                       f"### Record A\n\nkept a\n\n### Record B\n\nold b\n\n{NATIVE_END}\n\n## Speed\n\nfast\n")
    _write_records_only(results, docs)
    text = results.read_text()
    assert "old b" not in text and "new b" in text and "new c" in text and text.count("kept a") == 1
    assert (text.index("| table | kept |") < text.index(RECORDS_START) < text.index("### Record A")
            < text.index("new b") < text.index("new c") < text.index(NATIVE_END) < text.index("fast"))
    _write_records_only(results, docs)
    assert results.read_text() == text

    (tmp_path / "bare.md").write_text(f"# Results\n\n{NATIVE_START}\nno records marker\n{NATIVE_END}\n")
    with pytest.raises(SystemExit, match="no measurement records block"):
        _write_records_only(tmp_path / "bare.md", docs)


def test_results_md_holds_every_measurement_record_as_written(tmp_path):
    """RESULTS.md's records are docs/measurements/*.md verbatim: rewriting them changes nothing."""
    from scripts.publish_results import MEASUREMENTS, _write_records_only

    copy = tmp_path / "RESULTS.md"
    copy.write_text((ROOT / "RESULTS.md").read_text())
    _write_records_only(copy, MEASUREMENTS)
    assert copy.read_text() == (ROOT / "RESULTS.md").read_text(), (
        "RESULTS.md is out of date with docs/measurements: run python scripts/publish_results.py --records-only")


def test_native_only_refuses_to_replace_published_tables_without_evaluations(tmp_path):
    import subprocess
    import sys

    results = tmp_path / "RESULTS.md"
    results.write_text("published tables\n")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "publish_results.py"), "--native-only",
                          "--eval-root", str(tmp_path / "no-evals"), "--out", str(results)],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "no-evals/scenes-val-native" in run.stderr and "--records-only" in run.stderr
    assert results.read_text() == "published tables\n"


def test_each_checkpoint_fills_with_the_options_and_limits_its_shipped_run_records():
    """A shipped run's weightless inference options (edge_blend), max_side and rank are in the shipped
    config.json, and the loaded model uses them: changing a recipe without its checkpoint, or the
    reverse, fails here."""
    from train.shipped import shipped_recipes

    last = {}  # a checkpoint's last stage in the chain decides what it ships with
    for recipe in shipped_recipes():
        if recipe.shipped.ship:
            last[recipe.shipped.checkpoint] = recipe.shipped
    assert "pconv-unet-photos" in last and last["pconv-unet-photos"].inference_options == {"edge_blend": 2.0}
    for name, run in last.items():
        config = json.loads((ROOT / "checkpoints" / name / "config.json").read_text())
        model = inpainting.load_model(name, device="cpu")
        for key, value in (run.inference_options or {}).items():
            assert config[key] == value and getattr(model, key) == value, (name, key)
        assert getattr(model, "edge_blend", 0.0) == (run.inference_options or {}).get("edge_blend", 0.0), name
        for key in ("max_side", "rank"):
            if getattr(run, key) is not None:
                assert config["inpainting_hub"][key] == getattr(run, key), (name, key)
