"""inpainting.cache.ModelCache and the metadata ModelEntry carries for front ends."""
from __future__ import annotations

import json
import threading

import pytest

import inpainting
from inpainting import loading
from inpainting.cache import ModelCache, model_bytes


@pytest.fixture
def folders(tmp_path):
    """Three tiny learned models saved as folders, of known sizes."""
    out = {}
    for name, preset in (("a", "tiny"), ("b", "tiny"), ("c", "tiny")):
        model = inpainting.create_model("pconv-unet", preset)
        model.save_pretrained(tmp_path / name)
        out[name] = str(tmp_path / name)
    return out


def test_least_recently_used_model_is_dropped_beyond_the_count(folders):
    cache = ModelCache(2, device="cpu")
    a = cache.get(folders["a"])
    cache.get(folders["b"])
    assert cache.get(folders["a"]) is a  # reused, and now the most recent
    cache.get(folders["c"])
    assert cache.names() == [folders["a"], folders["c"]]  # b was the least recently used
    cache.get("opencv-telea")
    assert cache.names() == [folders["c"], "opencv-telea"]


def test_memory_bound_keeps_the_loaded_parameters_under_it(folders):
    one = model_bytes(inpainting.load_model(folders["a"], device="cpu"))
    assert one > 0 and model_bytes(inpainting.load_model("opencv-ns")) == 0
    cache = ModelCache(10, max_bytes=int(2.5 * one), device="cpu")
    for name in ("a", "b", "c"):
        cache.get(folders[name])
    assert cache.names() == [folders["b"], folders["c"]] and cache.loaded_bytes() <= 2.5 * one
    tiny = ModelCache(10, max_bytes=1, device="cpu")  # smaller than any model: the newest still stays
    tiny.get(folders["a"])
    tiny.get(folders["b"])
    assert tiny.names() == [folders["b"]]


def test_threads_asking_for_one_model_share_one_load(folders, monkeypatch):
    calls = []
    real = loading.load_model

    def counted(name, **kw):
        calls.append(name)
        return real(name, **kw)

    monkeypatch.setattr("inpainting.cache.load_model", counted)
    cache = ModelCache(3, device="cpu")
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(folders["a"]))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [folders["a"]] and all(m is got[0] for m in got)


def test_model_entries_carry_domain_size_evaluation_and_rank(tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINTING_CHECKPOINTS", str(tmp_path))
    (tmp_path / "m").mkdir()
    meta = {"domain": "photos", "description": "a test model", "rank": 1,
            "evaluation": {"set": "photos-val-native", "psnr": 27.1, "ssim": 0.86}}
    (tmp_path / "m" / "config.json").write_text(json.dumps({"architecture": "pconv-unet", "native_size": 256,
                                                            "inpainting_hub": meta}))
    entry = next(e for e in inpainting.available_models() if e.name == "m")
    assert (entry.kind, entry.domain, entry.native_size, entry.rank) == ("learned", "photos", 256, 1)
    assert entry.evaluation["psnr"] == 27.1 and entry.description == "a test model"
    classical = next(e for e in inpainting.available_models() if e.name == "patchmatch")
    assert classical.native_size is None and classical.evaluation is None
