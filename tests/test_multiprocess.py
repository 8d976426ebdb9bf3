"""Training with two processes (DDP over gloo on the CPU) through ``accelerate launch``, as users scale
out on several GPUs: a reconstruction recipe and a GAN recipe train, checkpoint, resume and load."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import inpainting
from train.trainer import load_checkpoint

ROOT = Path(__file__).resolve().parent.parent
ACCELERATE = Path(sys.executable).with_name("accelerate")

pytestmark = pytest.mark.skipif(not ACCELERATE.exists() or not torch.distributed.is_gloo_available(),
                                reason="needs the accelerate command and torch.distributed with gloo")


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:40] / 40
    for i in range(16):
        a, b, c = rng.uniform(0.2, 1.0, 3)
        Image.fromarray((np.stack([a * yy, b * xx, c * (1 - yy)], -1) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    return folder


def _launch(recipe: str, images: Path, out: Path, steps: int, *extra: str) -> subprocess.CompletedProcess:
    # --multi_gpu is accelerate's torchrun launcher; with --device cpu the processes run DDP over gloo.
    command = [str(ACCELERATE), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0",
               "-m", "train", "--recipe", recipe, "--data", str(images), "--preset", "tiny", "--size", "16",
               "--batch-size", "2", "--steps", str(steps), "--checkpoint-every", "2", "--val-every", "0",
               "--val-images", "4", "--device", "cpu", "--no-progress", "--out", str(out), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("recipe", ["cifar10-pconv", "scenes-gan-mse"])
def test_two_processes_train_checkpoint_resume_and_load(recipe, images, tmp_path):
    out = tmp_path / "run"
    first = _launch(recipe, images, out, 4)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count(f"{recipe}: 4 steps") == 1  # one summary, from the main process
    state = load_checkpoint(out / "training" / "checkpoint.pt")
    assert state["step"] == 4
    card = (out / "README.md").read_text()
    assert "2 × 2 process(es)" in card  # batch 2 per process, two processes
    resumed = _launch(recipe, images, out, 6, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert load_checkpoint(out / "training" / "checkpoint.pt")["step"] == 6
    model = inpainting.load_model(str(out))
    image = torch.rand(1, 3, 16, 16)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:10, 4:10] = 1
    with torch.no_grad():
        pred = model(image * (1 - mask), mask)
    assert pred.shape == image.shape and torch.isfinite(pred).all()
    shutil.rmtree(out)
