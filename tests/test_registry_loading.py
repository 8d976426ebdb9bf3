"""The registry, create_model, load_model and available_models."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import inpainting
from inpainting import UnknownArchitectureError, WeightsError


def test_classical_methods_are_registered_with_presets_and_descriptions():
    infos = {info.name: info for info in inpainting.list_architectures()}
    for name in ("opencv-telea", "opencv-ns"):
        assert infos[name].kind == "classical"
        assert infos[name].description
        assert "default" in infos[name].presets
    assert all(info.description for info in infos.values())


def test_create_model_applies_preset_then_overrides():
    assert inpainting.create_model("opencv-ns").radius == 3
    model = inpainting.create_model("opencv-ns", "default", radius=7)
    assert model.radius == 7 and model.config == {"radius": 7}


def test_unknown_architecture_and_preset_are_refused_with_the_known_names():
    with pytest.raises(UnknownArchitectureError, match="known architectures: .*opencv-telea"):
        inpainting.create_model("no-such-model")
    with pytest.raises(UnknownArchitectureError, match="known presets: default"):
        inpainting.create_model("opencv-telea", "huge")


def test_registering_a_name_twice_is_an_error():
    from inpainting.models.classical import OpenCVNavierStokes

    with pytest.raises(ValueError, match="already registered"):
        inpainting.register_model("opencv-telea", description="x")(OpenCVNavierStokes)


def test_the_working_size_is_declared_once_by_the_init_default():
    from inpainting.hub import InpaintingModel
    from inpainting.registry import _REGISTRY

    assert all(info.native_size is None for info in inpainting.list_architectures(kind="classical"))
    assert inpainting.load_model("opencv-telea").native_size is None

    class NoSize(InpaintingModel):
        def __init__(self, width: int = 8):
            super().__init__()

    class Sized(InpaintingModel):
        def __init__(self, native_size: int = 16):
            super().__init__()
            self.native_size = native_size

    with pytest.raises(ValueError, match="must take `native_size: int"):
        inpainting.register_model("test-no-size", description="x")(NoSize)
    with pytest.raises(ValueError, match="preset.* big of 'test-sized' set native_size"):
        inpainting.register_model("test-sized", description="x", presets={"big": {"native_size": 64}})(Sized)
    assert not {"test-no-size", "test-sized"} & set(_REGISTRY)


def test_available_models_lists_classical_names_with_descriptions():
    entries = {entry.name: entry for entry in inpainting.available_models()}
    assert {"opencv-telea", "opencv-ns"} <= set(entries)
    for name, description in inpainting.available_models():
        assert name and description
    for entry in entries.values():
        if entry.kind == "learned":  # shipped checkpoints load by name
            assert (inpainting.loading.checkpoints_dir() / entry.name / "model.safetensors").is_file()


def test_load_model_classical_is_in_eval_mode_on_cpu():
    model = inpainting.load_model("opencv-telea", device="cpu")
    assert not model.training and model.device.type == "cpu"


def test_load_model_from_a_saved_folder_round_trips(tmp_path):
    inpainting.create_model("opencv-ns", radius=5).save_pretrained(tmp_path / "ns")
    config = json.loads((tmp_path / "ns" / "config.json").read_text())
    assert config["architecture"] == "opencv-ns"
    assert (tmp_path / "ns" / "README.md").read_text().count("opencv-ns") >= 1
    model = inpainting.load_model(tmp_path / "ns", device="cpu")
    assert type(model).__name__ == "OpenCVNavierStokes" and model.radius == 5


def test_unregistered_architecture_in_config_is_refused(tmp_path):
    inpainting.create_model("opencv-ns").save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["architecture"] = "mystery-net"
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(UnknownArchitectureError, match="'mystery-net'.*known architectures"):
        inpainting.load_model(tmp_path / "m")


def test_folder_without_safetensors_is_refused_even_with_pickle_weights(tmp_path):
    inpainting.create_model("opencv-ns").save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    torch.save({}, tmp_path / "m" / "pytorch_model.bin")
    with pytest.raises(WeightsError, match="only safetensors"):
        inpainting.load_model(tmp_path / "m")


def test_folder_without_config_and_unknown_names_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsError, match="no config.json"):
        inpainting.load_model(tmp_path / "empty")
    with pytest.raises(WeightsError, match="unknown model 'not-a-model'") as info:
        inpainting.load_model("not-a-model")
    names = [entry.name for entry in inpainting.available_models()]
    message = str(info.value)
    assert names[0] in message
    if len(names) > 6:  # a long list is cut, however many checkpoints ship, and says where the rest are
        assert names[-1] not in message and f"{len(names) - 6} more: inpainting.available_models()" in message


def test_hub_repo_id_loads_from_the_offline_cache(tmp_path):
    # A pre-populated Hugging Face cache, as `huggingface-cli download` leaves it.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--someone--telea-r5"
    snapshot = repo / "snapshots" / commit
    inpainting.create_model("opencv-telea", radius=5).save_pretrained(snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    model = inpainting.load_model("someone/telea-r5", device="cpu", cache_dir=tmp_path)
    assert model.radius == 5
    with pytest.raises(WeightsError, match="could not get config.json of Hub repo 'someone/absent'"):
        inpainting.load_model("someone/absent", cache_dir=tmp_path)


def test_unavailable_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        inpainting.load_model("opencv-telea", device="cuda")


def test_a_measured_max_side_in_the_config_reaches_the_inference_path(tmp_path):
    """A checkpoint may record the side up to which it fills better at full size
    (``inpainting_hub.max_side``); loading sets it and the inference path uses it."""
    from inpainting.inference import work_limit

    model = inpainting.create_model("pconv-unet", "tiny")
    assert model.max_side is None and work_limit(model) == 2 * model.native_size
    model.save_pretrained(tmp_path / "plain")
    model.save_pretrained(tmp_path / "measured", metadata={"max_side": 300})
    assert work_limit(inpainting.load_model(tmp_path / "plain")) == 2 * model.native_size
    loaded = inpainting.load_model(tmp_path / "measured")
    assert loaded.max_side == 300 and work_limit(loaded) == 300
    assert work_limit(inpainting.load_model("opencv-ns")) is None


@pytest.mark.parametrize("content", [b"", b"not a safetensors file at all", b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":"])
def test_a_corrupt_safetensors_file_is_a_weights_error_naming_the_folder(tmp_path, content):
    folder = tmp_path / "corrupt"
    inpainting.create_model("pconv-unet", "tiny").save_pretrained(folder)
    (folder / "model.safetensors").write_bytes(content)
    with pytest.raises(inpainting.WeightsError, match=r"corrupt.*model\.safetensors is not a readable safetensors file"):
        inpainting.load_model(folder)
