"""Speed benchmark (train.benchmark): structure and consistency of the figures, not their values."""
from __future__ import annotations

import json

import numpy as np
import pytest

import inpainting
from train import benchmark as bm

TINY = dict(warmup=1, repeats=2, max_batch=2, max_batch_seconds=5.0, throughput_repeats=1)


def _tiny_learned():
    """A registered learned family at its "tiny" preset (families arrive in parallel; any will do)."""
    for info in inpainting.list_architectures(kind="learned"):
        if "tiny" in info.presets:
            return info.name, inpainting.create_model(info.name, "tiny").eval()
    return None


def test_inputs_have_holes_and_the_photo_uses_crop():
    cases = bm.test_inputs([(32, 32)], (96, 64))
    assert [c["name"] for c in cases] == ["32×32", "96×64 photo (crop)"]
    for case in cases:
        assert case["mask"].dtype == bool and case["mask"].shape == case["image"].shape[:2]
        assert 0 < case["hole_ratio"] < 0.6
    assert cases[-1]["strategy"] == "crop" and cases[0]["strategy"] == "auto"


def test_benchmark_figures_and_markdown():
    models = ["opencv-telea", "patchmatch"]
    learned = _tiny_learned()
    if learned is not None:
        models.append(learned)
    results = bm.benchmark(models, device="cpu", square_sizes=[(32, 32)], photo_size=(96, 64), log=lambda _: None, **TINY)
    json.dumps(results, allow_nan=False)  # strict JSON
    env = results["environment"]
    assert env["device"] == "cpu" and env["torch_threads"] >= 1 and env["device_name"]
    names = [m if isinstance(m, str) else m[0] for m in models]
    assert list(results["models"]) == names
    for entry in results["models"].values():
        assert set(entry["latency"]) == {"32×32", "96×64 photo (crop)"} and set(entry["forward"]) == {"32×32"}
        for stats in [*entry["latency"].values(), *entry["forward"].values()]:
            assert stats["runs"] == 2 and 0 < stats["min_ms"] <= stats["median_ms"] <= stats["p90_ms"]
        tp = entry["throughput"]
        assert tp["batch_size"] in (1, 2) and tp["images_per_s"] == max(tp["per_batch"].values()) > 0
        assert 10 < entry["rss_before_mib"] <= entry["peak_rss_mib"] and entry["cuda_peak_mib"] is None
    table = bm.markdown_table(results)
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| model")]
    assert [r.split("|")[1].strip() for r in rows] == names
    header = next(line for line in table.splitlines() if line.startswith("| model"))
    assert all(len(r.split("|")) == len(header.split("|")) for r in rows)
    telea = results["models"]["opencv-telea"]["latency"]["32×32"]
    assert f"{telea['median_ms']:.1f} / {telea['p90_ms']:.1f}" in rows[0]


def test_cli_writes_json_and_markdown(tmp_path, capsys):
    bm.main(["--models", "opencv-ns", "--device", "cpu", "--sizes", "24x24", "--photo", "80x60", "--repeats", "1",
             "--warmup", "1", "--max-batch", "1", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "benchmark.json").read_text())
    assert list(saved["models"]) == ["opencv-ns"] and saved["settings"]["command"].startswith("python -m train.benchmark")
    assert bm.markdown_table(saved) in (tmp_path / "benchmark.md").read_text()
    assert "| opencv-ns |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bm.main(["--sizes", "big"])


def test_frequency_split_hybrid_keeps_the_structure_fill_low_pass_and_the_texture_fill_detail():
    import torch
    import torchvision.transforms.functional as TF

    from benchmarks.hybrid_pilot import FrequencySplitHybrid

    class Fill(torch.nn.Module):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def forward(self, image, mask):
            return self.value.expand_as(image)

    torch.manual_seed(0)
    image, mask = torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)
    smooth = torch.linspace(0.2, 0.8, 32).view(1, 1, 1, 32).expand(1, 3, 32, 32)
    stripes = 0.5 + 0.3 * torch.sign(torch.sin(torch.arange(32.0) * 1.5)).view(1, 1, 32, 1).expand(1, 3, 32, 32)
    cache = {}
    hybrid = FrequencySplitHybrid(Fill(smooth), Fill(stripes), sigma=2.0, cache=cache)
    out = hybrid(image, mask)
    blur = lambda x: TF.gaussian_blur(x, [13, 13], [2.0, 2.0])  # noqa: E731
    inner = (slice(None), slice(None), slice(8, 24), slice(8, 24))  # away from the blur's border
    assert torch.allclose(blur(out)[inner], blur(smooth)[inner], atol=0.05)  # the structure's colours
    detail = (out - blur(out))[inner]
    assert torch.allclose(detail, (stripes - blur(stripes))[inner], atol=0.05)  # the texture's detail
    assert detail.abs().mean() > 0.1 and len(cache) == 1
    same = FrequencySplitHybrid(Fill(stripes), Fill(stripes), sigma=2.0, cache={})
    assert torch.allclose(same(image, mask), stripes, atol=1e-5)  # one fill for both: that fill


def _two_textures(size=40):
    """Left half red with vertical stripes, right half blue with horizontal stripes."""
    import torch

    image = torch.zeros(3, size, size)
    half = size // 2
    stripes = (torch.arange(size) % 4 < 2).float()
    image[0, :, :half] = 0.6 + 0.3 * stripes[None, :half]
    image[2, :, half:] = 0.6 + 0.3 * stripes[:, None]
    return image


def test_guided_patch_fill_copies_known_patches_where_the_guide_says():
    import torch

    from benchmarks.hybrid_pilot import GuidedPatchHybrid, _blur, guided_patch_fill

    image = _two_textures()
    mask = torch.zeros(1, 40, 40)
    mask[:, 12:28, 8:32] = 1  # across both halves
    hole = mask[0] > 0
    corrupted = image * (1 - mask)
    truthful = torch.where(hole[None], torch.nn.functional.avg_pool2d(image[None], 5, 1, 2)[0], image)
    swapped = truthful.flip(-1)  # a guide that puts blue on the left and red on the right
    known = {tuple(v) for v in (image.permute(1, 2, 0)[~hole] * 1000).round().int().tolist()}
    for guide, left, right in ((truthful, 0, 2), (swapped, 2, 0)):
        fill = guided_patch_fill(corrupted, mask, guide, seed=0)
        for out in fill:
            assert torch.equal(out[:, ~hole], image[:, ~hole])  # known pixels untouched
            hole_left, hole_right = out[:, 12:28, 8:20], out[:, 12:28, 20:32]
            assert hole_left[left].mean() > hole_left[right].mean() + 0.3   # the guide's colour...
            assert hole_right[right].mean() > hole_right[left].mean() + 0.3  # ...on each side
        copied = (fill.copy.permute(1, 2, 0)[hole] * 1000).round().int().tolist()
        assert all(tuple(v) in known for v in copied)  # every hole pixel is a known pixel's colour
        assert fill.copy[:, hole].std(dim=1).max() > 0.1  # texture, not a flat colour
        assert fill.detail[:, hole].std(dim=1).max() > 0.1  # the copy's grain
        # deep: the vote on the hole's edge, the copy 6 px or more from the nearest known pixel
        assert torch.equal(fill.deep[:, 12, 8:32], fill.vote[:, 12, 8:32])
        assert torch.equal(fill.deep[:, 17:23, 14:26], fill.copy[:, 17:23, 14:26])
    # detail keeps the guide's low-pass where no known patch has it (a guide dimmer than the photo)
    dim = torch.where(hole[None], 0.6 * truthful, image)
    fill = guided_patch_fill(corrupted, mask, dim, seed=0)
    low = lambda x: _blur(x, 2.0)[:, hole]  # noqa: E731
    assert (low(fill.detail) - low(dim)).abs().mean() < 0.5 * (low(fill.copy) - low(dim)).abs().mean()
    with pytest.raises(ValueError, match="no complete known patch"):
        guided_patch_fill(corrupted, torch.ones(1, 40, 40), truthful)

    class Guide(torch.nn.Module):
        def forward(self, image, mask):
            return truthful[None].expand_as(image)

    cache = {}
    vote = GuidedPatchHybrid(Guide(), "vote", cache)(corrupted[None], mask[None])
    copy = GuidedPatchHybrid(Guide(), "copy", cache)(corrupted[None], mask[None])
    assert len(cache) == 1 and vote.shape == copy.shape == (1, 3, 40, 40) and not torch.equal(vote, copy)
    with pytest.raises(ValueError, match="output must be one of"):
        GuidedPatchHybrid(Guide(), "blend", cache)


def test_swd_levels_split_the_realism_score_exactly_and_blur_loses_at_the_fine_level():
    """benchmarks.swd_levels: the per-level SWDs average to the realism score itself (the split
    relies on each band and its sampling not depending on how many levels are kept), a fill equal
    to the truth scores 0 at every level, and a blurred fill loses most at the finest level."""
    from benchmarks.swd_levels import level_scores
    from inpainting.metrics import swd_realism

    rng = np.random.default_rng(0)
    truth = (rng.random((64, 80, 3)) * 255).astype(np.uint8)  # white noise: detail at every level
    hole = np.zeros((64, 80), bool)
    hole[16:48, 20:60] = True
    blurred = truth.copy()
    import cv2
    blurred[hole] = cv2.GaussianBlur(truth, (0, 0), 1.5)[hole]

    levels = level_scores(blurred, truth, hole)
    to_tensor = lambda x: __import__("torch").from_numpy(x).permute(2, 0, 1)[None].float() / 255  # noqa: E731
    score = float(swd_realism(to_tensor(blurred), to_tensor(truth),
                              to_tensor(hole[..., None].astype(np.uint8) * 255))[0])
    assert levels.shape == (3,)
    assert levels.mean() == pytest.approx(score, rel=1e-5)
    assert np.all(level_scores(truth, truth, hole) == 0)
    assert levels[0] > levels[1] > 0 and levels[0] > levels[2]


def test_band_energy_probe_measures_the_fills_detail_and_scales_only_the_chosen_levels():
    """benchmarks.band_energy: the band RMS of a flat fill is 0 and of the truth equals the truth's;
    a gain of 1 gives back the fill, known pixels stay the truth's, and a gain of 2 at the 1/4 level
    raises that level's RMS (by less than 2x) and the full-resolution level's much less."""
    import cv2

    from benchmarks.band_energy import band_rms, scale_bands

    rng = np.random.default_rng(0)
    noise = rng.random((8, 10, 3)).astype(np.float32)
    truth = np.clip(sum(cv2.resize(rng.random((s, s + 2, 3)).astype(np.float32), (80, 64)) for s in (4, 8, 16, 32, 64))
                    / 5 * 255, 0, 255).astype(np.uint8)  # detail at every scale
    hole = np.zeros((64, 80), bool)
    hole[16:48, 20:60] = True
    assert np.all(band_rms(np.full((64, 80, 3), 0.4), hole) < 1e-6)
    assert band_rms(truth / 255, hole).shape == (3,) and np.all(band_rms(truth / 255, hole) > 0.005)
    assert not np.isfinite(band_rms(noise, np.zeros((8, 10), bool))).any()

    fill = cv2.GaussianBlur(truth, (0, 0), 2.0)
    assert np.abs(scale_bands(fill, truth, hole, {1: 1.0, 2: 1.0}).astype(int) - fill * hole[..., None]
                  - truth * ~hole[..., None]).max() <= 1
    moved = np.roll(truth, (5, 7), axis=(0, 1))  # a sharp fill: the truth's detail, misplaced
    louder = scale_bands(moved, truth, hole, {2: 2.0})
    assert np.array_equal(louder[~hole], truth[~hole])
    before, after = band_rms(np.where(hole[..., None], moved, truth) / 255, hole), band_rms(louder / 255, hole)
    # less than 2x: the pyramid is not orthogonal (re-analysis spreads the gain) and the known pixels are pasted back
    assert 1.2 < after[2] / before[2] < 2.0
    assert abs(after[0] / before[0] - 1) < 0.5 * (after[2] / before[2] - 1)
