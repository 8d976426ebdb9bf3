"""Quality evaluation (train.evaluate): protocol, pairing, NVIDIA buckets, metrics, outputs, resume."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import structural_similarity

import inpainting
from inpainting.masks import BUCKETS, NvidiaIrregularMasks
from train import evaluate as ev

NVIDIA_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "masks" / "nvidia_irregular"
SIZE = 32
FAKE_BUCKET_SIZE = 4  # files per bucket in the fake NVIDIA folder (half border-free, half touching)


# --------------------------------------------------------------------------------------------
# fixtures: generated images, a fake NVIDIA folder, tiny test models (not registered)
# --------------------------------------------------------------------------------------------

def _smooth_image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([x, y, (x + y) / 2], axis=-1) * 180 + rng.uniform(0, 60, 3)
    noise = rng.normal(0, 12, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(_smooth_image(rng, SIZE, SIZE)).save(folder / f"img_{i}.png")
    return folder


@pytest.fixture(scope="module")
def nvidia_folder(tmp_path_factory) -> Path:
    """NVIDIA layout at 64×64 made of 2×2 blocks (exact at 32 px): bucket k's ratio is mid-bucket;
    the first half of each bucket keeps a 4-block border free, the second half touches the edge."""
    folder = tmp_path_factory.mktemp("nvidia")
    rng = np.random.default_rng(1)
    for bucket in BUCKETS:
        cells = round((bucket.low + bucket.high) / 2 * SIZE * SIZE)
        for j in range(FAKE_BUCKET_SIZE):
            grid = np.zeros((SIZE, SIZE), np.uint8)
            if j < FAKE_BUCKET_SIZE // 2:  # border free
                region = [(r, c) for r in range(4, SIZE - 4) for c in range(4, SIZE - 4)]
            else:  # touching: always includes the top-left corner
                region = [(r, c) for r in range(SIZE) for c in range(SIZE)]
            picks = rng.choice(len(region), cells, replace=False)
            for p in picks:
                grid[region[p]] = 1
            if j >= FAKE_BUCKET_SIZE // 2 and not grid[0, 0]:
                on = np.argwhere(grid)[0]
                grid[tuple(on)], grid[0, 0] = 0, 1
            big = np.kron(grid, np.ones((2, 2), np.uint8)) * 255
            Image.fromarray(big, mode="L").save(folder / f"{bucket.index * FAKE_BUCKET_SIZE + j:05d}.png")
    return folder


class ReturnsInput(torch.nn.Module):
    """Returns what it is given: inpaint passes image * (1 - mask), so the hole stays black."""

    def forward(self, image, mask):
        return image.clone()


class Oracle(torch.nn.Module):
    """Knows the one original image: the composite is then identical to it."""

    def __init__(self, original: np.ndarray):
        super().__init__()
        self.original = torch.from_numpy(original).permute(2, 0, 1)[None].float() / 255.0

    def forward(self, image, mask):
        return self.original.expand_as(image).clone()


def _settings(images, **overrides) -> ev.EvalSettings:
    options = dict(images=str(images), size=SIZE, masks=("thick", "lines"), images_per_bucket=3, masks_per_image=2, seed=0)
    options.update(overrides)
    return ev.EvalSettings(**options)


def _nvidia_settings(images, root, **overrides) -> ev.EvalSettings:
    return _settings(images, masks=("nvidia",), nvidia_root=str(root), nvidia_bucket_size=FAKE_BUCKET_SIZE,
                     images_per_bucket=2, masks_per_image=1, **overrides)


def _strict_json(path: Path) -> dict:
    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant} in {path}")

    return json.loads(path.read_text(), parse_constant=refuse)


# --------------------------------------------------------------------------------------------
# protocol pieces
# --------------------------------------------------------------------------------------------

def test_prepare_image_centre_crops_then_resizes(tmp_path):
    image = np.zeros((60, 40, 3), np.uint8)
    image[:, :] = (0, 0, 255)  # blue everywhere ...
    image[10:50, :] = (255, 0, 0)  # ... but the central 40×40 square is red
    Image.fromarray(image).save(tmp_path / "tall.png")
    out = ev.prepare_image(tmp_path / "tall.png", 16)
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    assert (out[..., 0] == 255).all() and (out[..., 2] == 0).all()


def test_pairing_is_deterministic_and_independent_of_models(image_folder, nvidia_folder):
    for settings in (_settings(image_folder), _nvidia_settings(image_folder, nvidia_folder)):
        a, _ = ev.build_pairs(settings)
        b, _ = ev.build_pairs(settings)
        assert list(a) == list(b)
        for bucket in a:
            assert a[bucket] == b[bucket]  # images and mask ids
            for pa, pb in zip(a[bucket], b[bucket]):
                np.testing.assert_array_equal(pa.hole, pb.hole)
                assert pa.hole.shape == (SIZE, SIZE) and pa.hole.any()
        other, _ = ev.build_pairs(ev.EvalSettings(**{**settings.__dict__, "seed": 1}))
        def fingerprint(pairs):
            return [(p.image, p.mask, p.hole.tobytes()) for ps in pairs.values() for p in ps]

        assert fingerprint(other) != fingerprint(a)
    # every drawn image carries masks_per_image masks, images drawn without replacement
    pairs, files = ev.build_pairs(_settings(image_folder, images_per_bucket=4, masks_per_image=3))
    for bucket_pairs in pairs.values():
        images = [p.image for p in bucket_pairs]
        assert len(images) == 12 and len(set(images)) == 4 and all(images.count(i) == 3 for i in set(images))
    # asking for more images than the folder has uses them all
    pairs, files = ev.build_pairs(_settings(image_folder, images_per_bucket=50, masks_per_image=1))
    assert all(sorted(p.image for p in ps) == sorted(f.name for f in files) for ps in pairs.values())


def test_fake_nvidia_buckets_and_border_split(image_folder, nvidia_folder):
    reader = NvidiaIrregularMasks(nvidia_folder, bucket_size=FAKE_BUCKET_SIZE)
    for border, touching in (("free", False), ("touching", True), ("any", None)):
        pairs, _ = ev.build_pairs(_nvidia_settings(image_folder, nvidia_folder, border=border))
        assert list(pairs) == [b.label for b in BUCKETS]
        for bucket in BUCKETS:
            for pair in pairs[bucket.label]:
                assert reader.bucket_of(int(pair.mask)) == bucket
                assert bucket.low < pair.hole_ratio <= bucket.high
                edge = np.concatenate([pair.hole[0], pair.hole[-1], pair.hole[:, 0], pair.hole[:, -1]])
                if touching is not None:
                    assert reader.touches_border(int(pair.mask)) is touching
                    assert edge.any() == touching


@pytest.mark.skipif(not NVIDIA_ROOT.is_dir(), reason=f"NVIDIA irregular masks not found at {NVIDIA_ROOT} (shared data)")
@pytest.mark.parametrize("size, tolerance", [(256, 0.002), (64, 0.015)])
def test_real_nvidia_bucket_by_index_matches_measured_ratio(image_folder, size, tolerance):
    """Bucket by file index vs hole ratio measured after resizing (nearest, re-binarized): within
    the bucket bounds up to the resizing error documented in inpainting.masks."""
    settings = ev.EvalSettings(images=str(image_folder), size=size, masks=("nvidia",), nvidia_root=str(NVIDIA_ROOT),
                               images_per_bucket=4, masks_per_image=2, seed=3)
    pairs, _ = ev.build_pairs(settings)
    assert list(pairs) == [b.label for b in BUCKETS]
    for bucket in BUCKETS:
        assert len(pairs[bucket.label]) == 8
        for pair in pairs[bucket.label]:
            assert bucket.index * 2000 <= int(pair.mask) < (bucket.index + 1) * 2000
            assert bucket.low - tolerance < pair.hole_ratio <= bucket.high + tolerance, (pair.mask, pair.hole_ratio)


# --------------------------------------------------------------------------------------------
# metrics through the evaluation
# --------------------------------------------------------------------------------------------

def test_model_returning_its_input_scores_the_damaged_image(image_folder, nvidia_folder):
    """Expected figures computed here independently: the image with a black hole vs the original
    (numpy PSNR and L1, scikit-image SSIM with the Gaussian 11×11, σ 1.5 settings)."""
    settings = _nvidia_settings(image_folder, nvidia_folder)
    results = ev.evaluate([("returns-input", ReturnsInput())], settings, progress=False, log=lambda _: None)
    figures = results["models"]["returns-input"]["per_image"]
    for bucket, pairs in results["pairs"].items():
        for i, pair in enumerate(pairs):
            original = np.asarray(Image.open(image_folder / pair["image"]).convert("RGB")).astype(np.float64) / 255
            hole = np.asarray(Image.open(nvidia_folder / f"{pair['mask']}.png"))[::2, ::2] > 127
            damaged = original * (1 - hole[..., None])
            mse = ((damaged - original) ** 2).mean()
            expected = {
                "psnr": 10 * np.log10(1 / mse),
                "mse": mse,
                "l1_whole": np.abs(damaged - original).mean(),
                "l1_hole": np.abs(damaged - original)[hole].mean(),
                "ssim": structural_similarity(damaged, original, gaussian_weights=True, sigma=1.5,
                                              use_sample_covariance=False, data_range=1.0, channel_axis=2),
            }
            assert pair["hole_ratio"] == pytest.approx(hole.mean(), abs=1e-6)
            for metric, value in expected.items():
                assert figures[bucket][metric][i] == pytest.approx(value, rel=1e-4, abs=1e-5), (bucket, i, metric)


def test_identical_result_caps_psnr_and_gives_ssim_one(tmp_path):
    """An oracle's composite equals the original: PSNR +inf is recorded as the 100 dB cap (per image
    and in the means, strict JSON, counted), SSIM is 1 and both L1 are 0."""
    folder = tmp_path / "one"
    folder.mkdir()
    original = _smooth_image(np.random.default_rng(5), SIZE, SIZE)
    Image.fromarray(original).save(folder / "only.png")
    settings = _settings(folder, masks=("boxes",), images_per_bucket=1, masks_per_image=3)
    models = [("oracle", Oracle(original)), ("returns-input", ReturnsInput())]
    results = ev.evaluate(models, settings, out=tmp_path / "out", examples=1, progress=False, log=lambda _: None)
    oracle = results["models"]["oracle"]
    assert oracle["per_image"]["boxes"]["psnr"] == [ev.PSNR_CAP_DB] * 3
    assert oracle["summary"]["all"]["psnr"] == ev.PSNR_CAP_DB
    assert oracle["summary"]["all"]["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert oracle["summary"]["all"]["l1_hole"] == 0 and oracle["summary"]["all"]["l1_whole"] == 0
    assert oracle["psnr_capped"] == {"boxes": 3, "all": 3}
    assert results["models"]["returns-input"]["psnr_capped"]["all"] == 0
    assert results["models"]["returns-input"]["summary"]["all"]["psnr"] < 40
    saved = _strict_json(tmp_path / "out" / "results.json")
    assert saved["models"]["oracle"]["per_image"]["boxes"]["psnr"] == [ev.PSNR_CAP_DB] * 3
    report = (tmp_path / "out" / "results.md").read_text()
    assert "| oracle | **100.00** | **100.00** |" in report
    assert "PSNR capped at 100 dB for identical results: oracle (3 images)" in report


# --------------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------------

def _parse_table(markdown: str) -> tuple[list[str], dict[str, list[str]]]:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    body = {}
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        body[cells[0]] = cells[1:]
    return header, body


def test_markdown_and_json_agree(image_folder, tmp_path):
    settings = _settings(image_folder)
    ev.evaluate(["opencv-telea", "opencv-ns", ("returns-input", ReturnsInput())], settings, out=tmp_path,
                progress=False, log=lambda _: None)
    results = _strict_json(tmp_path / "results.json")
    assert ev.load_results(tmp_path) == results
    buckets = results["buckets"] + ["all"]
    assert results["buckets"] == ["thick", "lines"]
    for metric in ("psnr", "ssim", "l1_hole", "l1_whole"):
        info = ev.METRICS[metric]
        header, body = _parse_table(ev.markdown_table(results, metric))
        assert header == ["model"] + buckets and list(body) == list(results["models"])
        for c, bucket in enumerate(buckets):
            values = {name: results["models"][name]["summary"][bucket][metric] for name in body}
            best = (max if info.higher_is_better else min)(round(v, info.digits) for v in values.values())
            for name, cells in body.items():
                shown = cells[c]
                assert float(shown.strip("*")) == pytest.approx(values[name], abs=0.6 * 10 ** -info.digits)
                assert shown.startswith("**") == (round(values[name], info.digits) == best), (metric, bucket, name)
            # the summary is the mean of the per-image figures
            for name in body:
                per_image = (sum((results["models"][name]["per_image"][b][metric] for b in results["buckets"]), [])
                             if bucket == "all" else results["models"][name]["per_image"][bucket][metric])
                assert values[name] == pytest.approx(np.mean(per_image))
    # the returns-input model is worst everywhere, never bold
    _, body = _parse_table(ev.markdown_table(results, ["psnr", "l1_hole"]))
    assert not any(cell.startswith("**") for cell in body["returns-input"])
    wide_header, _ = _parse_table(ev.markdown_table(results, ["psnr", "ssim"], include_all=False))
    assert wide_header[1:] == [f"{ev.METRICS[m].label} {b}" for m in ("psnr", "ssim") for b in results["buckets"]]
    # the report's tables are markdown_table's, and per-image figures match the pairs
    report = (tmp_path / "results.md").read_text()
    assert ev.markdown_table(results, "psnr") in report and ev.PROTOCOL in report
    for entry in results["models"].values():
        for bucket, pairs in results["pairs"].items():
            assert all(len(v) == len(pairs) for v in entry["per_image"][bucket].values())
    with pytest.raises(ValueError, match="not recorded"):
        ev.markdown_table(results, "lpips") if not results["settings"]["lpips"] else ev.markdown_table(results, "nope")


def test_lpips_column_only_with_local_weights(image_folder):
    available, note = ev.lpips_status()
    results = ev.evaluate(["opencv-telea"], _settings(image_folder, images_per_bucket=1, masks_per_image=1),
                          progress=False, log=lambda _: None)
    assert results["settings"]["lpips"] is available
    assert ("lpips" in results["models"]["opencv-telea"]["summary"]["all"]) is available
    report = ev.markdown_report(results)
    assert note in report
    if not available:
        assert "LPIPS omitted" in note and "LPIPS ↓" not in report
        with pytest.raises(RuntimeError, match="LPIPS omitted"):
            ev.evaluate(["opencv-telea"], _settings(image_folder), lpips=True, progress=False)


def test_end_to_end_all_models_cli_resume(image_folder, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--models", "all", "--images", str(image_folder), "--masks", "thick", "lines", "--size", str(SIZE),
            "--images-per-bucket", "2", "--masks-per-image", "1", "--examples", "2", "--out", str(out), "--no-progress"]
    results = ev.main(argv)
    names = [entry.name for entry in inpainting.available_models()]
    assert list(results["models"]) == names
    saved = _strict_json(out / "results.json")
    assert list(saved["models"]) == names and saved["settings"]["command"].startswith("python -m train.evaluate --models all")
    for name in names:
        summary = saved["models"][name]["summary"]
        assert set(summary) == {"thick", "lines", "all"}
        assert 0 < summary["all"]["psnr"] < ev.PSNR_CAP_DB and 0 < summary["all"]["ssim"] <= 1
    shown = [saved["pairs"][bucket][position]["image"] for bucket, position in saved["examples"]]
    assert [b for b, _ in saved["examples"]] == ["thick", "lines"] and len(set(shown)) == 2  # spread out
    grid = Image.open(out / "examples.png")
    cell = SIZE * 4  # small sizes are enlarged to at least 128 px
    assert grid.size[0] == (len(names) + 2) * (cell + 2) and grid.size[1] == 22 + 2 * (cell + 2)
    assert re.search(r"\| opencv-telea \| [\d.*]+ \| [\d.*]+ \| [\d.*]+ \|", (out / "results.md").read_text())
    capsys.readouterr()

    ev.main(argv)  # same settings: every model skipped, file unchanged
    assert capsys.readouterr().out.count("skipped") == len(names)
    assert _strict_json(out / "results.json")["models"] == saved["models"]

    ev.main([*argv, "--examples", "1"])  # fewer examples: still skipped, the grid is redrawn
    assert capsys.readouterr().out.count("skipped") == len(names)
    assert Image.open(out / "examples.png").size[1] == 22 + (cell + 2)

    with pytest.raises(SystemExit, match="other settings.*size"):
        ev.main([*argv, "--size", "40"])  # the last --size wins


def test_bad_settings_are_refused_clearly(image_folder, tmp_path):
    with pytest.raises(ValueError, match="unknown mask generator 'wavy'.*thick"):
        ev.EvalSettings(images=str(image_folder), masks=("wavy",))
    with pytest.raises(ValueError, match="size must be an integer >= 11"):
        ev.EvalSettings(images=str(image_folder), size=8)
    with pytest.raises(ValueError, match="border must be one of"):
        ev.EvalSettings(images=str(image_folder), border="inside")
    with pytest.raises(FileNotFoundError, match="no images"):
        ev.build_pairs(ev.EvalSettings(images=str(tmp_path)))
    with pytest.raises(inpainting.WeightsError, match="unknown model 'no-such-model'"):
        ev.evaluate(["no-such-model"], _settings(image_folder), progress=False)
    with pytest.raises(ValueError, match="given twice"):
        ev.evaluate(["opencv-ns", "opencv-ns"], _settings(image_folder), progress=False)


def test_native_size_evaluates_each_photo_whole_with_masks_fitted_to_it(nvidia_folder, tmp_path):
    """``--size native``: photos of different, non-square sizes are evaluated whole; each mask is
    the NVIDIA file resized (nearest) to its photo; the realism score is recorded; the examples
    picture is cropped around the hole; the CLI accepts ``native``."""
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(3)
    shapes = {"a.png": (40, 70), "b.png": (90, 50), "c.png": (64, 64)}
    for name, (h, w) in shapes.items():
        Image.fromarray(_smooth_image(rng, h, w)).save(folder / name)
    settings = ev.EvalSettings(images=folder, size="native", nvidia_root=nvidia_folder, images_per_bucket=3,
                               nvidia_bucket_size=FAKE_BUCKET_SIZE, buckets=(1, 4))
    pairs, _ = ev.build_pairs(settings)
    for bucket_pairs in pairs.values():
        for pair in bucket_pairs:
            assert pair.hole.shape == shapes[pair.image]
            mask = np.asarray(Image.open(nvidia_folder / f"{pair.mask}.png"))
            h, w = shapes[pair.image]
            expected = np.asarray(Image.fromarray(mask).resize((w, h), Image.NEAREST)) > 127
            np.testing.assert_array_equal(pair.hole, expected)
    out = tmp_path / "out"
    results = ev.main(["--models", "opencv-ns", "--images", str(folder), "--size", "native", "--nvidia-root",
                       str(nvidia_folder), "--nvidia-bucket-size", str(FAKE_BUCKET_SIZE), "--buckets", "1", "4",
                       "--images-per-bucket", "3", "--out", str(out), "--examples", "2", "--no-progress"])
    assert results["settings"]["size"] == "native"
    swd = results["models"]["opencv-ns"]["per_image"]
    assert all(len(v["swd"]) == 3 and all(x > 0 for x in v["swd"]) for v in swd.values())
    report = (out / "results.md").read_text()
    assert "native size" in report and "SWD realism" in report
    picture = Image.open(out / "examples.png")
    assert picture.height > 2 * ev.NATIVE_CELL and picture.width >= 3 * ev.NATIVE_CELL  # input, fill, original
    with pytest.raises(SystemExit):
        ev.main(["--images", str(folder), "--size", "big"])


def test_hole_view_frames_the_hole():
    hole = np.zeros((600, 900), bool)
    hole[100:140, 700:760] = True
    ys, xs = ev.hole_view(hole)
    assert ys.start <= 100 and ys.stop >= 140 and xs.start <= 700 and xs.stop >= 760
    assert (ys.stop - ys.start) < 200 and (xs.stop - xs.start) < 200  # a close-up, not the photo


def test_the_examples_grid_leaves_out_models_without_pictures(image_folder, tmp_path):
    """A results folder copied without a model's example pictures (or filled by a run with fewer
    examples): that model is left out of examples.png rather than drawn as black cells."""
    import shutil

    from train.evaluate.examples import _grid

    settings = _settings(image_folder, masks=("boxes",), images_per_bucket=2, masks_per_image=1)
    out = tmp_path / "out"
    ev.evaluate([("returns-input", ReturnsInput())], settings, out=out, examples=2, progress=False, log=lambda _: None)
    shutil.rmtree(out / "examples" / "returns-input")
    ev.evaluate([("returns-input-2", ReturnsInput())], settings, out=out, examples=2, progress=False,
                log=lambda _: None)
    grid = np.asarray(Image.open(out / "examples.png"))
    blank = np.zeros((SIZE, SIZE, 3), np.uint8)
    three = _grid([[blank] * 3] * 2, ["input", "returns-input-2", "original"], SIZE)  # input, one model, original
    assert grid.shape == three.shape


# --------------------------------------------------------------------------------------------
# paired margins and the photo bar (train.evaluate.margins)
# --------------------------------------------------------------------------------------------

def test_paired_margins_and_the_bar_verdict(image_folder, nvidia_folder, tmp_path, capsys):
    import copy

    from train.evaluate import margins

    settings = _settings(image_folder, masks=("nvidia",), nvidia_root=str(nvidia_folder),
                         nvidia_bucket_size=FAKE_BUCKET_SIZE, images_per_bucket=3, masks_per_image=1)
    results = ev.evaluate(["opencv-telea", "opencv-ns", ("returns-input", ReturnsInput())], settings, out=tmp_path,
                          progress=False, log=lambda _: None)
    bucket = "(0.1, 0.2]"
    # a paired margin is the mean of the per-pair differences with a 1.96-standard-error half-width
    a = np.asarray(results["models"]["returns-input"]["per_image"][bucket]["psnr"])
    b = np.asarray(results["models"]["opencv-ns"]["per_image"][bucket]["psnr"])
    mean, half = margins.paired_margin(results, "returns-input", "opencv-ns", bucket, "psnr")
    assert mean == pytest.approx((a - b).mean()) and mean < 0
    assert half == pytest.approx(1.96 * (a - b).std(ddof=1) / np.sqrt(len(a)))
    # a hole left black misses the bar, and its weakest cell says where
    verdict = margins.bar_verdict(results, "returns-input")
    assert not verdict.meets_fidelity and not verdict.meets_bar
    assert {c.bucket for c in verdict.fidelity} == set(results["buckets"][1:])  # from (0.1, 0.2] up
    assert {c.baseline for c in verdict.fidelity} == {"opencv-telea", "opencv-ns"}
    assert verdict.weakest("psnr").low == min(c.low for c in verdict.fidelity if c.metric == "psnr")
    # a model that is NS plus a margin in every pair meets both halves; one cell with a margin whose
    # interval includes zero breaks the fidelity half, and the verdict names that cell
    rng = np.random.default_rng(0)
    better = copy.deepcopy(results["models"]["opencv-ns"])
    for name, values in better["per_image"].items():
        n = len(values["psnr"])
        values["psnr"] = list(np.asarray(values["psnr"]) + 1 + rng.normal(0, 0.1, n))
        values["ssim"] = list(np.asarray(values["ssim"]) + 0.01 + rng.normal(0, 0.001, n))
        values["swd"] = list(np.asarray(values["swd"]) - 40 + rng.normal(0, 1, n))
    results["models"]["runs/better"] = better
    # better than Telea too: NS and Telea fill alike, but make it hold by construction
    results["models"]["opencv-telea"] = copy.deepcopy(results["models"]["opencv-ns"])
    assert margins.bar_verdict(results, "better").meets_bar  # found by its folder name
    broken = results["models"]["runs/better"]["per_image"]["(0.4, 0.5]"]["ssim"]
    ns = results["models"]["opencv-ns"]["per_image"]["(0.4, 0.5]"]["ssim"]
    broken[:] = [v + d for v, d in zip(ns, np.resize([0.02, -0.02, 0.001], len(ns)))]
    verdict = margins.bar_verdict(results, "runs/better")
    assert verdict.meets_realism and not verdict.meets_fidelity
    assert verdict.weakest("ssim").bucket == "(0.4, 0.5]"
    # the command prints one row per model, and refuses an unknown name with the names it has
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert margins.main([str(tmp_path), "--models", "better", "returns-input", "--reference", "opencv-ns"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert [r.split(" | ")[0] for r in rows] == ["| `runs/better`", "| `returns-input`"]
    assert rows[0].endswith("| **not met** | met |") and rows[1].endswith("| **not met** | **not met** |")
    assert "(NS, (0.4, 0.5])" in rows[0] or "(Telea, (0.4, 0.5])" in rows[0]
    # --cells lists every fidelity cell; only the broken bucket's SSIM cells are marked
    assert margins.main([str(tmp_path), "--models", "better", "--cells"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| (")]
    assert [line.split(" | ")[0] for line in table] == [f"| {b}" for b in results["buckets"][1:]]
    marked = {line.split(" | ")[0][2:] for line in table if "✗" in line}
    assert marked == {"(0.4, 0.5]"}
    broken_row = next(line for line in table if line.startswith("| (0.4, 0.5]"))
    assert [cell.endswith("✗") for cell in broken_row.rstrip(" |").split(" | ")[1:]] == [False, False, True, True]
    assert margins.main([str(tmp_path), "--models", "nope"]) == 2
    assert "no model called 'nope'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="bucket '\\(0.9, 1.0\\]' is not in this evaluation"):
        margins.bar_verdict(results, "better", first_bucket="(0.9, 1.0]")
