"""``pip install .``: the library, its command line and the shipped checkpoints work from any folder."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project installed with pip (no dependencies: they are this interpreter's) into a folder
    of its own, from a copy of the source so the build leaves nothing in the repository."""
    pytest.importorskip("setuptools", reason="building the project needs setuptools (a dev requirement)")
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    source.mkdir()
    for name in ("inpainting", "train", "checkpoints"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "requirements.txt", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    target = tmp / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def _run(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    env.pop("INPAINTING_CHECKPOINTS", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_import_finds_the_installed_library_and_its_checkpoints(installed, tmp_path):
    code = ("import json, inpainting; from inpainting.loading import checkpoints_dir; "
            "print(json.dumps([inpainting.__file__, str(checkpoints_dir()), "
            "[e.name for e in inpainting.available_models() if e.kind == 'learned']]))")
    done = _run(installed, tmp_path, "-c", code)
    assert done.returncode == 0, done.stderr[-2000:]
    module, checkpoints, learned = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(module).is_relative_to(installed) and Path(checkpoints).is_relative_to(installed)
    shipped = sorted(p.name for p in (ROOT / "checkpoints").iterdir() if (p / "config.json").is_file())
    assert sorted(learned) == shipped


def test_the_command_line_fills_a_photo_with_a_shipped_model_from_another_folder(installed, tmp_path):
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 20:40] = 255
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    name = sorted(p.name for p in (ROOT / "checkpoints").iterdir() if (p / "config.json").is_file())[0]
    done = _run(installed, tmp_path, "-m", "inpainting", "--model", name, "--image", "photo.png", "--mask", "mask.png",
                "--output", "out.png")
    assert done.returncode == 0, done.stderr[-2000:]
    result = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    np.testing.assert_array_equal(result[mask == 0], photo[mask == 0])
    assert (result[mask > 0] != photo[mask > 0]).any()
