"""The Gradio app through its API (gradio_client against the app served on 127.0.0.1)."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

import inpainting  # noqa: E402
from inpainting import editing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
import app  # noqa: E402

EXAMPLE = ROOT / "examples" / "face_cat.png"
EXAMPLE_MASK = ROOT / "examples" / "face_cat_mask.png"


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def photo_and_hole():
    photo = np.asarray(Image.open(EXAMPLE).convert("RGB"))
    hole = np.asarray(Image.open(EXAMPLE_MASK).getchannel("A")) > 0
    return photo, hole


def editor_value(background, *layers):
    return {"background": handle_file(str(background)), "layers": [handle_file(str(p)) for p in layers], "composite": None}


def assert_filled(result_path, photo: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The result is a PNG of the photo's size, equal outside the hole and changed inside."""
    with Image.open(result_path) as image:
        assert image.format == "PNG"
        result = np.asarray(image.convert("RGB"))
    assert result.shape == photo.shape
    np.testing.assert_array_equal(result[~hole], photo[~hole])
    assert (result[hole] != photo[hole]).any(axis=-1).mean() > 0.2  # the hole was repainted
    return result


# ------------------------------------------------------------------------------ endpoints

def test_models_lists_available_models(client):
    models = client.predict(api_name="/models")
    assert [m["name"] for m in models] == [e.name for e in inpainting.available_models()]
    assert all(m["description"] for m in models)


@pytest.mark.parametrize("name", ["opencv-telea", "patchmatch"])
def test_inpaint_returns_png_with_known_pixels_unchanged(client, photo_and_hole, name):
    photo, hole = photo_and_hole
    path = client.predict(handle_file(str(EXAMPLE)), handle_file(str(EXAMPLE_MASK)), name, "auto", api_name="/inpaint")
    assert Path(path).name == f"{name}.png"
    assert_filled(path, photo, hole)


def test_compare_two_models_in_one_call(client, photo_and_hole):
    photo, hole = photo_and_hole
    gallery, table = client.predict(
        editor_value(EXAMPLE, EXAMPLE_MASK), ["opencv-telea", "opencv-ns"], "original", api_name="/compare"
    )
    assert [item["caption"].split(" · ")[0] for item in gallery] == ["masked input", "opencv-telea", "opencv-ns"]
    assert all(item["caption"].endswith(" ms") for item in gallery[1:])
    masked = np.asarray(Image.open(gallery[0]["image"]).convert("RGB"))
    assert (masked[hole] == 255).all() and (masked[~hole] == photo[~hole]).all()
    results = [assert_filled(item["image"], photo, hole) for item in gallery[1:]]
    assert not np.array_equal(results[0], results[1])  # two different methods
    assert table["headers"] == app.TABLE_HEADERS
    assert [row[0] for row in table["data"]] == ["opencv-telea", "opencv-ns"]
    for row in table["data"]:
        psnr, ssim, l1_hole, ms, status = row[1:]
        assert 20 < psnr < 80 and 0.5 < ssim <= 1 and 0 < l1_hole < 0.5 and ms > 0 and status == "ok"


def test_compare_unions_layers_and_applies_exif_once_to_both(client, tmp_path):
    rng = np.random.default_rng(0)
    stored = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)  # stored 40×24, shown upright as 24×40
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(stored).save(tmp_path / "photo.png", exif=exif)
    for i, (rows, cols) in enumerate([(slice(4, 10), slice(5, 12)), (slice(14, 20), slice(25, 33))]):
        layer = np.zeros((24, 40, 4), np.uint8)
        layer[rows, cols] = (255, 0, 0, 200)
        Image.fromarray(layer).save(tmp_path / f"layer{i}.png")
    gallery, _ = client.predict(
        editor_value(tmp_path / "photo.png", tmp_path / "layer0.png", tmp_path / "layer1.png"),
        ["opencv-telea"], "auto", api_name="/compare",
    )
    hole = np.zeros((24, 40), bool)
    hole[4:10, 5:12] = hole[14:20, 25:33] = True
    upright_photo = np.rot90(stored, k=-1)
    upright_hole = np.rot90(hole, k=-1)
    assert_filled(gallery[1]["image"], upright_photo, upright_hole)


def test_eight_concurrent_inpaint_calls_all_succeed(client, photo_and_hole):
    photo, hole = photo_and_hole
    jobs = [
        client.submit(handle_file(str(EXAMPLE)), handle_file(str(EXAMPLE_MASK)), name, "auto", api_name="/inpaint")
        for name in ["opencv-telea", "opencv-ns"] * 4
    ]
    for job in jobs:
        assert_filled(job.result(timeout=120), photo, hole)


# ------------------------------------------------------------------------------ bad input

@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "not-an-image.png").write_text("this is text, not a picture")
    Image.new("L", Image.open(EXAMPLE).size, 0).save(folder / "empty-mask.png")
    Image.new("RGBA", Image.open(EXAMPLE).size, (0, 0, 0, 0)).save(folder / "empty-layer.png")
    Image.new("L", (64, 48), 255).save(folder / "small-mask.png")
    Image.new("L", Image.open(EXAMPLE).size, 255).save(folder / "full-mask.png")
    Image.new("L", Image.open(EXAMPLE).size, 90).save(folder / "grey-layer.png")
    Image.new("RGBA", Image.open(EXAMPLE).size, (255, 255, 255, 255)).save(folder / "blank-canvas.png")
    huge = int(np.ceil(np.sqrt(app.MAX_PIXELS))) + 16
    Image.new("L", (huge, huge), 0).save(folder / "huge.png")
    Image.new("L", (huge, huge), 255).save(folder / "huge-mask.png")
    no_weights = folder / "no-weights"
    no_weights.mkdir()
    (no_weights / "config.json").write_text(json.dumps({"architecture": "opencv-telea", "radius": 3}))
    return folder


INPAINT_CASES = {
    "no image": (None, EXAMPLE_MASK, "opencv-telea", "no image"),
    "no mask": (EXAMPLE, None, "opencv-telea", "no mask"),
    "empty mask": (EXAMPLE, "empty-mask.png", "opencv-telea", "the mask is empty"),
    "non-image file": ("not-an-image.png", EXAMPLE_MASK, "opencv-telea", "is not a readable image"),
    "huge image": ("huge.png", "huge-mask.png", "opencv-telea", "megapixels"),
    "mask of another size": (EXAMPLE, "small-mask.png", "opencv-telea", "does not match image size"),
    "all-hole mask": (EXAMPLE, "full-mask.png", "opencv-telea", "covers the whole"),
    "unknown model": (EXAMPLE, EXAMPLE_MASK, "no-such-model", "unknown model 'no-such-model'"),
    "hub repo not available": (EXAMPLE, EXAMPLE_MASK, "no-org/no-such-repo", "could not get config.json"),
    "repo without safetensors": (EXAMPLE, EXAMPLE_MASK, "no-weights", "no model.safetensors"),
}


@pytest.mark.parametrize("case", list(INPAINT_CASES))
def test_inpaint_bad_input_gives_short_error_and_app_keeps_serving(client, bad_files, case):
    image, mask, model, message = INPAINT_CASES[case]
    resolve = lambda f: None if f is None else handle_file(str(f if Path(f).is_absolute() else bad_files / f))  # noqa: E731
    model = str(bad_files / model) if (bad_files / model).is_dir() else model
    with pytest.raises(AppError, match=message) as info:
        client.predict(resolve(image), resolve(mask), model, "auto", api_name="/inpaint")
    assert len(str(info.value)) < 400
    assert tempfile.gettempdir() not in str(info.value) and str(bad_files) not in str(info.value)  # no server paths
    assert client.predict(api_name="/models")  # still serving


COMPARE_CASES = {
    "no image": ({"background": None, "layers": [], "composite": None}, ["opencv-telea"], "no photo"),
    "no mask": (lambda: editor_value(EXAMPLE), ["opencv-telea"], "the mask is empty"),
    "empty mask": (lambda d: editor_value(EXAMPLE, d / "empty-layer.png"), ["opencv-telea"], "the mask is empty"),
    "mask of another size": (lambda d: editor_value(EXAMPLE, d / "small-mask.png"), ["opencv-telea"], "mask layer 0 is 64×48"),
    "non-image file": (lambda d: editor_value(d / "not-an-image.png", EXAMPLE_MASK), ["opencv-telea"], "not a readable image"),
    "no model": (lambda: editor_value(EXAMPLE, EXAMPLE_MASK), [], "no model selected"),
    "unknown model": (lambda: editor_value(EXAMPLE, EXAMPLE_MASK), ["nope"], "unknown model 'nope'"),
    "grey picture as a layer": (lambda d: editor_value(EXAMPLE, d / "grey-layer.png"), ["opencv-telea"], "the mask is empty"),
    "blank canvas (failed upload)": (lambda d: editor_value(d / "blank-canvas.png", EXAMPLE_MASK), ["opencv-telea"],
                                     "the photo is blank"),
    "decompression bomb": (lambda d: editor_value(_png_header_only(d / "bomb.png", 20_000, 20_000), EXAMPLE_MASK),
                           ["opencv-telea"], "is refused: its header declares more than"),
    "truncated photo": (lambda d: editor_value(_truncated(d), EXAMPLE_MASK), ["opencv-telea"], "not a readable image"),
}


def _truncated(folder: Path) -> Path:
    path = folder / "truncated.png"
    path.write_bytes(EXAMPLE.read_bytes()[:200])
    return path


@pytest.mark.parametrize("case", list(COMPARE_CASES))
def test_compare_bad_input_gives_error(client, bad_files, case):
    value, models, message = COMPARE_CASES[case]
    if callable(value):
        value = value(bad_files) if value.__code__.co_argcount else value()
    with pytest.raises(AppError, match=message) as info:
        client.predict(value, models, "auto", api_name="/compare")
    assert tempfile.gettempdir() not in str(info.value)


def test_a_failing_model_is_reported_in_its_row_and_the_others_are_kept(client, photo_and_hole, tmp_path):
    photo, hole = photo_and_hole
    broken = tmp_path / "broken-model"
    inpainting.create_model("pconv-unet", "tiny").save_pretrained(broken)
    (broken / "model.safetensors").write_bytes(b"truncated")
    gallery, table = client.predict(editor_value(EXAMPLE, EXAMPLE_MASK), ["opencv-telea", str(broken), "opencv-ns"],
                                    "auto", api_name="/compare")
    assert [item["caption"].split(" · ")[0] for item in gallery] == ["masked input", "opencv-telea", "opencv-ns"]
    for item in gallery[1:]:
        assert_filled(item["image"], photo, hole)
    rows = {row[0]: row for row in table["data"]}
    assert rows["opencv-telea"][-1] == rows["opencv-ns"][-1] == "ok"
    status = rows[str(broken)][-1]
    assert "model.safetensors is not a readable safetensors file" in status and str(tmp_path) not in status
    assert rows[str(broken)][1] is None  # no score for a model that gave no result


def test_compare_reads_a_layer_without_alpha_like_a_mask_file(client, photo_and_hole, tmp_path):
    photo, hole = photo_and_hole
    Image.fromarray(np.where(hole, 255, 40).astype(np.uint8)).save(tmp_path / "grey-mask-layer.png")  # mode L
    gallery, _ = client.predict(editor_value(EXAMPLE, tmp_path / "grey-mask-layer.png"), ["opencv-telea"], "auto",
                                api_name="/compare")
    assert_filled(gallery[1]["image"], photo, hole)


def test_compare_accepts_a_layer_painted_on_the_upright_view_of_a_rotated_photo(client, tmp_path):
    rng = np.random.default_rng(1)
    stored = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)  # stored 40×24, shown upright as 24×40
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "photo.png", exif=exif)
    layer = np.zeros((40, 24, 4), np.uint8)  # painted on the upright view
    layer[10:20, 5:15] = (255, 0, 0, 200)
    Image.fromarray(layer).save(tmp_path / "upright-layer.png")
    gallery, _ = client.predict(editor_value(tmp_path / "photo.png", tmp_path / "upright-layer.png"),
                                ["opencv-telea"], "auto", api_name="/compare")
    assert_filled(gallery[1]["image"], np.rot90(stored, k=-1), layer[..., 3] > 0)


# ------------------------------------------------------------------------------ model selection

def _checkpoint(root: Path, name: str, **meta) -> inpainting.ModelEntry:
    """A checkpoint folder with this card metadata, as ``available_models`` lists it."""
    (root / name).mkdir()
    (root / name / "config.json").write_text(json.dumps({"architecture": "pconv-unet", "native_size": 64,
                                                         "inpainting_hub": meta}))
    return next(e for e in inpainting.available_models() if e.name == name)


def test_default_selection_is_the_best_photo_model_then_patchmatch_and_ns(tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINTING_CHECKPOINTS", str(tmp_path))
    classical = [e for e in inpainting.available_models() if e.kind == "classical"]
    assert app.default_selection(classical) == ["patchmatch", "opencv-ns"]
    telea_only = [e for e in classical if e.name == app.FALLBACK_MODEL]
    assert app.default_selection(telea_only) == [app.FALLBACK_MODEL]
    entries = [
        _checkpoint(tmp_path, "faces-a", domain="faces", rank=2),
        _checkpoint(tmp_path, "faces-b", domain="faces", rank=1),
        _checkpoint(tmp_path, "scenes-a", domain="scenes", evaluation={"psnr": 20.0}),
        _checkpoint(tmp_path, "scenes-b", domain="scenes", evaluation={"psnr": 25.0}),
        _checkpoint(tmp_path, "objects-a", domain="objects"),
    ] + classical
    # Face and CIFAR models are not preselected for photos.
    assert app.default_selection(entries) == ["scenes-b", "patchmatch", "opencv-ns"]
    # A model trained for general photos comes before every scene model, whatever its score.
    entries.append(_checkpoint(tmp_path, "photos-a", domain="photos", evaluation={"psnr": 19.0}))
    assert app.default_selection(entries) == ["photos-a", "patchmatch", "opencv-ns"]


def test_the_shipped_general_photo_model_is_preselected_before_the_report_pairs_trained_on_photos():
    entries = inpainting.available_models()
    photo_models = {e.name for e in entries if e.kind == "learned" and e.domain == "photos"}
    assert {"pconv-unet-photos", "pconv-unet-liu-photos", "two-stage-gan-photos"} <= photo_models
    assert app.default_selection(entries) == ["pconv-unet-photos", "patchmatch", "opencv-ns"]


# ------------------------------------------------------------------------------ UI callbacks

def test_mask_buttons_combine_painted_layers_and_mask_image():
    background = Image.open(EXAMPLE).convert("RGBA")
    painted = np.asarray(Image.open(EXAMPLE_MASK))
    hole = painted[..., 3] > 0
    top = np.zeros_like(hole)
    top[: hole.shape[0] // 2] = hole[: hole.shape[0] // 2]
    value = {"background": background, "layers": [Image.fromarray(editing.mask_layer(top))], "composite": None}
    bottom = Image.fromarray(np.where(hole & ~top, 255, 0).astype(np.uint8))  # white = hole

    def run(operation, pixels=0, use_mask=True):
        update, use, mask_image = app.edit_mask(value, use_mask, bottom, operation, pixels)
        editor = update["value"]
        # The result goes back in the editor, as one layer over the photo: files, and no composite
        # (the editor would show a composite as its photo, the strokes baked in).
        assert use is False and mask_image is None and len(editor["layers"]) == 1
        assert update["brush"].default_size == app.brush_for(background.size).default_size
        np.testing.assert_array_equal(np.asarray(Image.open(editor["background"]).convert("RGB")),
                                      np.asarray(background.convert("RGB")))
        assert editor["composite"] is None
        return np.asarray(Image.open(editor["layers"][0]))[..., 3] > 0

    np.testing.assert_array_equal(run("grow", 0), hole)  # union of the painted layer and the mask image
    np.testing.assert_array_equal(run("grow", 0, use_mask=False), top)  # mask image switched off
    grown, shrunk = run("grow", 4), run("shrink", 2)
    assert grown.sum() > hole.sum() > shrunk.sum() > 0 and grown[hole].all() and hole[shrunk].all()
    np.testing.assert_array_equal(run("invert"), ~hole)
    assert not run("clear").any()
    with pytest.raises(app.gr.Error, match="does not match"):
        app.edit_mask(value, True, Image.new("L", (5, 5), 255), "grow", 1)
    with pytest.raises(app.gr.Error, match="no photo"):
        app.edit_mask({"background": None, "layers": [], "composite": None}, False, None, "grow", 4)


def test_use_result_then_revert_restores_the_first_photo():
    run = {"photo": "first.png", "results": {"opencv-telea": "telea.png"}}
    update, use_mask, mask, original = app.use_result(run, "opencv-telea", None)
    editor = update["value"]
    assert editor == {"background": "telea.png", "layers": [], "composite": "telea.png"} and original == "first.png"
    assert use_mask is False and mask is None  # a fresh photo, nothing painted
    second_run = {"photo": "telea.png", "results": {"opencv-ns": "ns.png"}}
    update, _, _, original = app.use_result(second_run, "opencv-ns", original)
    assert update["value"]["background"] == "ns.png" and original == "first.png"  # still the first photo
    update, _, _, original = app.revert(original, second_run)
    assert update["value"]["background"] == "first.png" and not update["value"]["layers"] and original is None
    with pytest.raises(app.gr.Error, match="no result yet"):
        app.use_result(None, None, None)


def test_the_brush_is_sized_to_the_photo(tmp_path):
    big, small = tmp_path / "big.png", tmp_path / "small.png"
    Image.new("RGB", (3000, 2000)).save(big)
    Image.new("RGB", (256, 200)).save(small)
    big_update, _, _ = app._fresh_photo(str(big))
    small_update, _, _ = app._fresh_photo(str(small))
    assert big_update["brush"].default_size == 50 and small_update["brush"].default_size == 5
    _, update = app.on_upload({"background": Image.new("RGBA", (4000, 3000)), "layers": [], "composite": None})
    assert update["brush"].default_size == 75 and update["brush"].colors == app.BRUSH_COLORS
    # an upload the editor could not read leaves no background: the default brush, no error
    assert app.on_upload(None)[1]["brush"].default_size == app.EXAMPLE_BRUSH_RADIUS


def test_add_model_appends_a_choice_and_selects_it():
    update, cleared = app.add_model("  org/some-model ", ["opencv-telea"])
    assert cleared == "" and update["value"] == ["opencv-telea", "org/some-model"]
    assert "org/some-model" in [value for _, value in update["choices"]]
    with pytest.raises(app.gr.Error, match="Hub repo id"):
        app.add_model("  ", [])


def test_scores_are_computed_around_the_hole_within_a_pixel_budget():
    hole = np.zeros((3000, 4000), bool)
    hole[1000:1100, 2000:2300] = True
    rows, cols, scale = app.score_region(hole)
    assert (rows.start, rows.stop, cols.start, cols.stop, scale) == (925, 1175, 1925, 2375, 1.0)  # margin 300 / 4
    hole[200:2900, 100:3900] = True
    rows, cols, scale = app.score_region(hole)
    pixels = (rows.stop - rows.start) * (cols.stop - cols.start)
    assert (rows.start, cols.start, rows.stop, cols.stop) == (0, 0, 3000, 4000) and pixels * scale**2 <= app.SCORE_MAX_PIXELS
    # On a small photo the scores are those of the metrics on the box (no resizing).
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    small = np.zeros((120, 160), bool)
    small[50:60, 70:90] = True
    result = photo.copy()
    result[small] = 128
    psnr, ssim, l1 = app._scores(Image.fromarray(photo), Image.fromarray(result), small)
    box = (slice(34, 76), slice(54, 106))
    expected_l1 = np.abs(result[box].astype(float) - photo[box])[small[box]].mean() / 255
    assert l1 == pytest.approx(expected_l1, rel=1e-5)
    mse = ((result[box].astype(float) - photo[box]) ** 2).mean() / 255**2
    assert psnr == pytest.approx(10 * np.log10(1 / mse), abs=1e-3) and 0 < ssim < 1


def test_fill_keeps_good_results_beside_a_failure_zips_them_and_compares_any_two(tmp_path):
    import zipfile

    background = Image.open(EXAMPLE).convert("RGBA")
    layer = np.asarray(Image.open(EXAMPLE_MASK))
    value = {"background": background, "layers": [layer], "composite": None}
    out = app.run_ui(value, False, None, ["opencv-telea", "no-such-model", "opencv-ns"], "auto", progress=None)
    gallery, table, downloads, chosen, versus, view, run, status = out
    archive = app.zip_results(run)  # Fill's follow-up step
    assert list(run["results"]) == ["opencv-telea", "opencv-ns"] and len(downloads) == 2
    assert [row[-1] for row in table][0::2] == ["ok", "ok"] and "unknown model 'no-such-model'" in table[1][-1]
    assert "no-such-model" in status and "failed" in status
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["mask.png", "opencv-ns.png", "opencv-telea.png", "photo.png"]
        np.testing.assert_array_equal(np.asarray(Image.open(z.open("mask.png"))) > 0,
                                      app.editing.mask_from_layers([layer], background.size))
        np.testing.assert_array_equal(np.asarray(Image.open(z.open("opencv-ns.png"))),
                                      np.asarray(Image.open(run["results"]["opencv-ns"])))
    assert chosen["choices"] == [app.ORIGINAL, "opencv-telea", "opencv-ns"] and versus["value"] == app.ORIGINAL
    assert view == (run["photo"], run["results"]["opencv-telea"])
    assert app.choose_result(run, "opencv-ns", "opencv-telea") == (run["results"]["opencv-telea"], run["results"]["opencv-ns"])
    assert app.choose_result(run, "opencv-ns", app.ORIGINAL) == (run["photo"], run["results"]["opencv-ns"])
    with pytest.raises(app.gr.Error, match="pick a result"):
        app.use_result(run, app.ORIGINAL, None)


# ------------------------------------------------------------------------------ the bad-input matrix
# The same bad files through the three interfaces: the library (InputError / WeightsError naming the
# file), the command line (exit 1, a message, no traceback) and the API (/inpaint through
# gradio_client: a short message without server paths). Each case: (image, mask, model, message).

def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares ``width``×``height`` (a decompression bomb) and holds no pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def matrix_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    size = Image.open(EXAMPLE).size
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("this is text, not a picture")
    (folder / "truncated.png").write_bytes(EXAMPLE.read_bytes()[:200])
    _png_header_only(folder / "bomb.png", 20_000, 20_000)  # 400 MP declared: over Pillow's bomb limit
    Image.new("L", size, 255).save(folder / "all-hole.png")
    broken = folder / "corrupt-weights"
    inpainting.create_model("pconv-unet", "tiny").save_pretrained(broken)
    (broken / "model.safetensors").write_bytes(b"truncated")
    return folder


MATRIX = {
    "empty image file": ("empty.png", EXAMPLE_MASK, "opencv-telea", "empty.png", "not a readable image"),
    "non-image file": ("text.png", EXAMPLE_MASK, "opencv-telea", "text.png", "not a readable image"),
    "truncated image": ("truncated.png", EXAMPLE_MASK, "opencv-telea", "truncated.png", "not a readable image"),
    "decompression bomb": ("bomb.png", EXAMPLE_MASK, "opencv-telea", "bomb.png", "is refused"),
    "empty mask file": (EXAMPLE, "empty.png", "opencv-telea", "empty.png", "not a readable image"),
    "all-hole mask": (EXAMPLE, "all-hole.png", "opencv-telea", "all-hole.png", "covers the whole"),
    "corrupt weights": (EXAMPLE, EXAMPLE_MASK, "corrupt-weights", "model.safetensors", "corrupt|not a valid|truncated"),
}


def _matrix_case(folder: Path, case: str):
    image, mask, model, names, message = MATRIX[case]
    resolve = lambda f: Path(f) if Path(f).is_absolute() else folder / f  # noqa: E731
    model = str(folder / model) if (folder / model).is_dir() else model
    return resolve(image), resolve(mask), model, names, message


@pytest.mark.parametrize("case", list(MATRIX))
def test_bad_input_matrix_library(matrix_files, case):
    import re

    image, mask, model, names, message = _matrix_case(matrix_files, case)
    with pytest.raises((inpainting.InputError, inpainting.WeightsError)) as info:
        inpainting.inpaint(inpainting.load_model(model, device="cpu"), image, mask)
    assert re.search(message, str(info.value)) and names in str(info.value), str(info.value)


@pytest.mark.parametrize("case", list(MATRIX))
def test_bad_input_matrix_cli(matrix_files, case, tmp_path, capsys):
    import re

    from inpainting.__main__ import main

    image, mask, model, names, message = _matrix_case(matrix_files, case)
    code = main(["--model", model, "--image", str(image), "--mask", str(mask), "--output", str(tmp_path / "out.png")])
    err = capsys.readouterr().err
    assert code == 1 and re.search(message, err) and names in err and "Traceback" not in err, err
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("case", list(MATRIX))
def test_bad_input_matrix_api(client, matrix_files, case):
    import re

    image, mask, model, names, message = _matrix_case(matrix_files, case)
    with pytest.raises(AppError) as info:
        client.predict(handle_file(str(image)), handle_file(str(mask)), model, "auto", api_name="/inpaint")
    text = str(info.value)
    assert re.search(message, text), text
    assert len(text) < 400 and tempfile.gettempdir() not in text and str(matrix_files) not in text
    assert client.predict(api_name="/models")  # still serving
