"""``python -m inpainting`` on files and folders, and its errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpainting.__main__ import main

skdata = pytest.importorskip("skimage.data", reason="scikit-image (dev requirement) provides the real test photos")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folders(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    photo = skdata.coffee()[::4, ::4]  # real photo, 100×150
    for i in range(3):
        Image.fromarray(np.roll(photo, 10 * i, axis=1)).save(images / f"img{i}.jpg", quality=95)
        mask = np.zeros(photo.shape[:2], np.uint8)
        mask[20 + 10 * i : 30 + 10 * i, 30:120] = 255
        Image.fromarray(mask).save(masks / f"img{i}.png")
    return images, masks


def test_folder_run_writes_one_png_per_image(folders, tmp_path):
    images, masks = folders
    out = tmp_path / "out"
    assert main(["--model", "opencv-ns", "--image", str(images), "--mask", str(masks), "--output", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["img0.png", "img1.png", "img2.png"]
    for i in range(3):
        source = np.asarray(Image.open(images / f"img{i}.jpg"))
        hole = np.asarray(Image.open(masks / f"img{i}.png")) > 127
        result = np.asarray(Image.open(out / f"img{i}.png"))
        np.testing.assert_array_equal(result[~hole], source[~hole])
        assert (result[hole] != source[hole]).any()


@pytest.mark.parametrize("name", ["opencv-telea", "patchmatch"])
def test_single_file_through_a_real_subprocess(folders, tmp_path, name):
    images, masks = folders
    out = tmp_path / "one.png"
    proc = subprocess.run(
        [sys.executable, "-m", "inpainting", "--model", name, "--image", str(images / "img0.jpg"),
         "--mask", str(masks / "img0.png"), "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size == (150, 100)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda i, m, o: (i / "nope", m, o), "--image not found"),
        (lambda i, m, o: (i, m / "img0.png", o), "--mask must be a folder"),
        (lambda i, m, o: (i / "img0.jpg", m, o), "--mask must be a file"),
    ],
)
def test_bad_inputs_exit_non_zero_with_a_message(folders, tmp_path, capsys, change, message):
    images, masks = folders
    image, mask, out = change(images, masks, tmp_path / "out")
    assert main(["--model", "opencv-telea", "--image", str(image), "--mask", str(mask), "--output", str(out)]) == 1
    assert message in capsys.readouterr().err


def test_missing_mask_for_an_image_and_unknown_model(folders, tmp_path, capsys):
    images, masks = folders
    (masks / "img2.png").unlink()
    assert main(["--model", "opencv-telea", "--image", str(images), "--mask", str(masks), "--output", str(tmp_path / "o")]) == 1
    assert "no mask in" in capsys.readouterr().err
    assert main(["--model", "nope", "--image", str(images / "img0.jpg"), "--mask", str(masks / "img0.png"), "--output", str(tmp_path / "o.png")]) == 1
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_mask_of_wrong_size_names_the_file(folders, tmp_path, capsys):
    images, masks = folders
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(masks / "img1.png")
    assert main(["--model", "opencv-telea", "--image", str(images), "--mask", str(masks), "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "img1.jpg" in err and "does not match image size" in err


def test_a_folder_run_skips_bad_images_lists_them_and_exits_non_zero_at_the_end(folders, tmp_path, capsys):
    images, masks = folders
    (images / "img1.jpg").write_bytes(b"not a jpeg at all")  # unreadable, sorted between two good ones
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(masks / "img2.png")  # wrong size
    Image.fromarray(skdata.coffee()[::4, ::4]).save(images / "img3.jpg")  # good, after the bad ones
    Image.fromarray(np.asarray(Image.open(masks / "img0.png"))).save(masks / "img3.png")
    out = tmp_path / "o"
    assert main(["--model", "opencv-ns", "--image", str(images), "--mask", str(masks), "--output", str(out)]) == 1
    captured = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["img0.png", "img3.png"]
    assert "wrote 2 of 4 images" in captured.out
    assert "skipped 2 image(s)" in captured.err and "img1.jpg" in captured.err and "img2.jpg" in captured.err
    assert "img0.jpg" not in captured.err and "Traceback" not in captured.err


def test_help_reads_as_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "python -m inpainting --model NAME" in out and "``" not in out


def test_list_models(capsys):
    assert main(["--list-models"]) == 0
    assert "opencv-telea" in capsys.readouterr().out


def test_a_corrupt_weights_file_is_a_message_not_a_traceback(folders, tmp_path, capsys):
    import inpainting

    images, masks = folders
    model = tmp_path / "broken-model"
    inpainting.create_model("pconv-unet", "tiny").save_pretrained(model)
    (model / "model.safetensors").write_bytes(b"truncated")
    out = tmp_path / "o.png"
    assert main(["--model", str(model), "--image", str(images / "img0.jpg"), "--mask", str(masks / "img0.png"),
                 "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "model.safetensors is not a readable safetensors file" in err and "Traceback" not in err
    assert not out.exists()


def test_an_all_hole_mask_is_a_message_not_a_traceback(folders, tmp_path, capsys):
    images, masks = folders
    full = tmp_path / "full.png"
    Image.new("L", Image.open(images / "img0.jpg").size, 255).save(full)
    assert main(["--model", "opencv-ns", "--image", str(images / "img0.jpg"), "--mask", str(full),
                 "--output", str(tmp_path / "o.png")]) == 1
    err = capsys.readouterr().err
    assert "covers the whole" in err and "Traceback" not in err
