"""Inpainting Hub: the Gradio app (a Hugging Face Space). Thin UI and API wiring over ``inpainting/``.

    python app.py            # honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT

API endpoints (see README): ``/inpaint`` (image file, mask file, model, strategy -> PNG file),
``/compare`` (editor value, model names, strategy -> gallery, table) and ``/models``.
Settings by environment: ``INPAINTING_APP_MAX_MODELS`` (models kept loaded, default 3),
``INPAINTING_APP_MAX_MODEL_MB`` (their parameters' memory, default 2048),
``INPAINTING_APP_MAX_PIXELS`` (largest photo, default 16 megapixels), ``INPAINTING_APP_CONCURRENCY``
(inference calls at once, default 2), ``INPAINTING_APP_QUEUE_SIZE`` (waiting calls, default 64).
"""
from __future__ import annotations

import io
import logging
import math
import os
import re
import tempfile
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

import inpainting
from inpainting import editing, metrics
from inpainting.cache import ModelCache
from inpainting.io import load_image, load_mask
from inpainting.loading import resolve_device

try:  # ZeroGPU Spaces: run inference under spaces.GPU; elsewhere a no-op.
    import spaces

    gpu = spaces.GPU
except ImportError:
    def gpu(fn):
        return fn

HERE = Path(__file__).resolve().parent
EXAMPLES_DIR = HERE / "examples"
OUTPUT_DIR = Path(tempfile.gettempdir()) / "inpainting-hub-app"
MAX_MODELS = int(os.environ.get("INPAINTING_APP_MAX_MODELS", 3))
MAX_MODEL_BYTES = int(float(os.environ.get("INPAINTING_APP_MAX_MODEL_MB", 2048)) * 1024**2)
MAX_PIXELS = int(os.environ.get("INPAINTING_APP_MAX_PIXELS", 16_000_000))
CONCURRENCY = int(os.environ.get("INPAINTING_APP_CONCURRENCY", 2))
QUEUE_SIZE = int(os.environ.get("INPAINTING_APP_QUEUE_SIZE", 64))
OUTPUT_MAX_AGE_S = 3600
FALLBACK_MODEL = "opencv-telea"
PHOTO_DOMAINS = ("photos", "scenes")  # checkpoints meant for the photos visitors upload, preferred first
PHOTO_CLASSICAL = ("patchmatch", "opencv-ns")  # preselected beside the best of them
DEVICE = resolve_device(None)
USER_ERRORS = (inpainting.InputError, inpainting.WeightsError, inpainting.UnknownArchitectureError)
TABLE_HEADERS = ["model", "PSNR (dB)", "SSIM", "L1 hole", "time (ms)", "status"]
SCORE_MAX_PIXELS = 250_000  # scores are computed on the hole's box, shrunk to at most this many pixels (a bounded cost)
PREVIEW_MAX_PIXELS = 2_000_000  # the gallery's "masked input" is a preview at most this large
BRUSH_COLORS = ["rgb(255, 0, 80)"]
BRUSH_FRACTION = 1 / 40  # the default brush radius, as a fraction of the photo's short side
EXAMPLE_BRUSH_RADIUS = 10  # before any upload (the examples are 256 to 480 px)
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")


# ---------------------------------------------------------------------------------------- models

MODELS = ModelCache(MAX_MODELS, max_bytes=MAX_MODEL_BYTES, device=DEVICE)


def _rank_key(entry: inpainting.ModelEntry) -> tuple:
    """Sort key, best first: the domain's place in :data:`PHOTO_DOMAINS` (general photos before
    scenes), then the checkpoint's ``rank`` (lower is better), else its evaluation PSNR (higher), else name."""
    psnr = (entry.evaluation or {}).get("psnr")
    return (
        PHOTO_DOMAINS.index(entry.domain) if entry.domain in PHOTO_DOMAINS else len(PHOTO_DOMAINS),
        entry.rank if entry.rank is not None else math.inf,
        -psnr if isinstance(psnr, (int, float)) else math.inf,
        entry.name,
    )


def default_selection(entries: list[inpainting.ModelEntry]) -> list[str]:
    """The models preselected in the picker, for the photos visitors upload: the best learned model
    for photos (domain ``photos``, else ``scenes``, ranked by checkpoint metadata, see :func:`_rank_key`), then the
    classical methods that do best on real photos (PatchMatch keeps texture, Navier-Stokes is the
    smooth baseline). Face and CIFAR models are not preselected."""
    learned = sorted((e for e in entries if e.kind == "learned" and e.domain in PHOTO_DOMAINS), key=_rank_key)
    names = {entry.name for entry in entries}
    chosen = [learned[0].name] if learned else []
    chosen += [name for name in PHOTO_CLASSICAL if name in names]
    if not chosen:
        chosen = [FALLBACK_MODEL] if FALLBACK_MODEL in names else [entry.name for entry in entries[:1]]
    return chosen


def model_choices() -> list[tuple[str, str]]:
    return [(f"{e.name}: {e.description}" + (f" [{e.domain}]" if e.domain else ""), e.name) for e in inpainting.available_models()]


def list_models() -> list[dict[str, str]]:
    """Every model name the app accepts on its own, with its description, kind and domain."""
    return [
        {"name": e.name, "description": e.description, "kind": e.kind, "domain": e.domain or ""}
        for e in inpainting.available_models()
    ]


# ---------------------------------------------------------------------------------------- helpers

LOG = logging.getLogger("inpainting.app")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/\\-])(?:[A-Za-z]:)?(?:[\\/][^\\/\s'\"`:,;()]+)+[\\/]([^\\/\s'\"`:,;()]+)")


def public_message(err: Exception) -> str:
    """The error's message with every absolute path shortened to its file name: the server's
    folders (upload temp paths, checkpoint folders) are not shown to visitors and API clients."""
    return _ABSOLUTE_PATH.sub(r"\1", str(err))


@contextmanager
def user_errors():
    """Library errors about the input become short messages in the UI and API (``gr.Error``)."""
    try:
        yield
    except USER_ERRORS as err:
        raise gr.Error(public_message(err), print_exception=False) from None


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise inpainting.InputError(
            f"the photo is {width}×{height} ({width * height / 1e6:.1f} megapixels); this app accepts up to "
            f"{MAX_PIXELS / 1e6:.0f} megapixels: shrink it first"
        )


def _check_hole(hole: np.ndarray) -> None:
    if not hole.any():
        raise inpainting.InputError("the mask is empty: paint over the area to fill (or upload a mask with white = hole)")


def _model_names(names) -> list[str]:
    if isinstance(names, str):
        names = [names]
    cleaned = list(dict.fromkeys(str(n).strip() for n in (names or []) if str(n).strip()))
    if not cleaned:
        raise inpainting.InputError("no model selected: pick at least one model")
    return cleaned


def _output_folder() -> Path:
    """A fresh folder for one request's PNGs; folders older than an hour are removed."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in OUTPUT_DIR.iterdir():
        try:
            if now - old.stat().st_mtime > OUTPUT_MAX_AGE_S:
                for file in old.iterdir():
                    file.unlink()
                old.rmdir()
        except OSError:
            pass
    folder = OUTPUT_DIR / uuid.uuid4().hex
    folder.mkdir()
    return folder


def _save_png(image: Image.Image, path: Path) -> str:
    # compress_level 1: lossless all the same, and several times faster than PIL's default 6 on
    # large photos, where writing the results would otherwise cost more than some models.
    (image if image.mode in _PNG_MODES else image.convert("RGB")).save(path, format="PNG", compress_level=1)
    return str(path)


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-80:]


def _tensor(image: Image.Image | np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(image)[..., :3].copy()).permute(2, 0, 1)[None].float() / 255.0


def score_region(hole: np.ndarray) -> tuple[slice, slice, float]:
    """Where the scores are computed: the hole's bounding box with a margin of a quarter of its
    long side (at least 16 px), clipped to the photo; and the scale that shrinks that box to at
    most :data:`SCORE_MAX_PIXELS` pixels (1 when it is smaller). A bounded cost at any photo size."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = max(16, (max(bottom - top, right - left) + 3) // 4)
    height, width = hole.shape
    box = (slice(max(0, top - margin), min(height, bottom + margin)), slice(max(0, left - margin), min(width, right + margin)))
    pixels = (box[0].stop - box[0].start) * (box[1].stop - box[1].start)
    return box[0], box[1], min(1.0, math.sqrt(SCORE_MAX_PIXELS / pixels))


def _scores(photo: Image.Image, result: Image.Image, hole: np.ndarray) -> tuple[float, float, float]:
    """PSNR, SSIM and L1 on the hole of ``result`` against ``photo``, on :func:`score_region`."""
    rows, cols, scale = score_region(hole)
    box = (cols.start, rows.start, cols.stop, rows.stop)  # crop first: no full-size copies
    target = np.asarray(photo.crop(box).convert("RGB"))
    pred = np.asarray(result.crop(box).convert("RGB"))
    box_hole = hole[rows, cols]
    if scale < 1:
        size = (max(1, round(target.shape[1] * scale)), max(1, round(target.shape[0] * scale)))
        target, pred = (np.asarray(Image.fromarray(a).resize(size, Image.Resampling.BOX)) for a in (target, pred))
        box_hole = np.asarray(Image.fromarray(box_hole).resize(size, Image.Resampling.NEAREST))
    target_t, pred_t = _tensor(target), _tensor(pred)
    mask = torch.from_numpy(np.array(box_hole, dtype=np.float32))[None, None]
    ssim = metrics.ssim(pred_t, target_t).item() if min(box_hole.shape) >= metrics.SSIM_KERNEL_SIZE else float("nan")
    l1 = metrics.l1_hole(pred_t, target_t, mask).item() if box_hole.any() else float("nan")
    return metrics.psnr(pred_t, target_t).item(), ssim, l1


def _table(rows: list[dict]) -> list[list]:
    def number(value, digits):
        return None if value is None or not math.isfinite(value) else round(value, digits)

    return [[r["name"], number(r.get("psnr"), 2), number(r.get("ssim"), 4), number(r.get("l1_hole"), 4),
             number(r.get("ms"), 1), r.get("error") or "ok"] for r in rows]


# ---------------------------------------------------------------------------------------- inference

@gpu
def run_models(photo: Image.Image, hole: np.ndarray, names: list[str], strategy: str, progress=None, *,
               scores: bool = True, on_result=None) -> list[dict]:
    """Every model on one photo: ``[{name, image, ms, psnr, ssim, l1_hole}]`` (load time excluded;
    the scores only with ``scores``). A model that fails gets ``{name, error}`` with the reason and
    the others still run; when every model fails, the reasons are raised together. ``on_result(row)``
    is called with each successful row as soon as it is ready (e.g. to write it while the next runs)."""
    rows = []
    for i, name in enumerate(names):
        try:
            if progress is not None and name not in MODELS:
                progress(i / len(names), desc=f"Loading {name} (first use)")
            model = MODELS.get(name)
            if progress is not None:
                progress(i / len(names), desc=f"Running {name}")
            start = time.perf_counter()
            result = inpainting.inpaint(model, photo, hole, strategy=strategy)
            if DEVICE.type == "cuda":
                torch.cuda.synchronize()
            row = {"name": name, "image": result, "ms": 1000 * (time.perf_counter() - start)}
            if scores:
                row["psnr"], row["ssim"], row["l1_hole"] = _scores(photo, result, hole)
            if on_result is not None:
                on_result(row)
        except USER_ERRORS as err:
            row = {"name": name, "error": public_message(err)}
        except Exception as err:  # noqa: BLE001 - one broken model must not cost the others' results
            LOG.exception("model %s failed", name)
            row = {"name": name, "error": f"failed ({type(err).__name__}): {public_message(err)}"[:300]}
        rows.append(row)
    if all("error" in row for row in rows):
        raise inpainting.InputError("; ".join(f"{row['name']}: {row['error']}" for row in rows))
    return rows


def inpaint_files(image_file: str | None, mask_file: str | None, model: str, strategy: str) -> str:
    """``/inpaint``: an image file and a mask file (white or alpha = hole) -> the result as a PNG file."""
    with user_errors():
        if not image_file:
            raise inpainting.InputError("no image: send an image file")
        if not mask_file:
            raise inpainting.InputError("no mask: send a mask image (white or opaque = hole)")
        try:
            with Image.open(image_file) as header:
                _check_pixels(header.size)
        except Image.DecompressionBombError:
            raise inpainting.InputError(
                f"the image is refused: its header declares more than {2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} "
                f"megapixels (a decompression bomb?); accepted: photos up to {MAX_PIXELS / 1e6:.0f} megapixels") from None
        except OSError:
            pass  # not an image: load_image below says so clearly
        photo = load_image(image_file).pil
        hole = load_mask(mask_file, size=photo.size)
        _check_hole(hole)
        (row,) = run_models(photo, hole, _model_names(model)[:1], strategy or "auto", scores=False)
        return _save_png(row["image"], _output_folder() / f"{_safe_name(row['name'])}.png")


def _check_not_blank(photo: Image.Image) -> None:
    """The editor's empty canvas (after an unreadable, empty or truncated upload the editor keeps
    it) is one colour: refuse it rather than "fill" a blank picture."""
    extrema = photo.getextrema() if photo.mode in ("RGB", "RGBA") else photo.convert("RGB").getextrema()
    if all(low == high for low, high in extrema[:3]):
        raise inpainting.InputError(
            "the photo is blank (a single colour): the upload may have failed (an empty, truncated or non-image "
            "file leaves the editor's canvas blank); upload, paste or pick a photo (PNG, JPEG, WebP, BMP, TIFF)")


def _preview(photo: Image.Image, hole: np.ndarray) -> Image.Image:
    """The masked input for the gallery, shrunk to at most :data:`PREVIEW_MAX_PIXELS` (a preview:
    the ZIP has the photo and the mask at full size)."""
    scale = math.sqrt(PREVIEW_MAX_PIXELS / (photo.width * photo.height))
    if scale < 1:
        size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
        photo = photo.resize(size, Image.Resampling.BOX)
        hole = np.asarray(Image.fromarray(hole).resize(size, Image.Resampling.BOX)) > 0  # a thin stroke stays visible
    return editing.masked_preview(photo, hole)


def _compare(editor: dict | None, names, strategy: str, progress=None) -> dict:
    with user_errors():
        editor = editor or {}
        photo, hole = editing.photo_and_mask(editor.get("background"), editor.get("layers") or [])
        _check_not_blank(photo)
        _check_pixels(photo.size)
        _check_hole(hole)
    folder = _output_folder()
    # The PNGs are written by a second thread while the models run (PIL's encoder releases the GIL).
    with ThreadPoolExecutor(max_workers=1) as writer:
        photo_path = writer.submit(_save_png, photo, folder / "photo.png")
        mask_path = writer.submit(_save_png, Image.fromarray(hole), folder / "mask.png")
        masked_path = writer.submit(lambda: _save_png(_preview(photo, hole), folder / "masked-input.png"))
        paths = {}

        def write(row):
            paths[row["name"]] = writer.submit(_save_png, row.pop("image"), folder / f"{_safe_name(row['name'])}.png")

        with user_errors():
            rows = run_models(photo, hole, _model_names(names), strategy or "auto", progress, on_result=write)
        for row in rows:
            if row["name"] in paths:
                row["path"] = paths[row["name"]].result()
        photo_path, mask_path, masked_path = photo_path.result(), mask_path.result(), masked_path.result()
    done = [row for row in rows if "error" not in row]
    gallery = [(masked_path, "masked input")] + [(r["path"], f"{r['name']} · {r['ms']:.0f} ms") for r in done]
    return {"photo": photo_path, "mask": mask_path, "gallery": gallery, "table": _table(rows),
            "results": {r["name"]: r["path"] for r in done}, "errors": {r["name"]: r["error"] for r in rows if "error" in r}}


def compare(editor: dict | None, models: list[str], strategy: str, progress=gr.Progress()):
    """``/compare``: the editor value and model names -> gallery (masked input, then results) and score table."""
    run = _compare(editor, models, strategy, progress)
    return run["gallery"], run["table"]


# ---------------------------------------------------------------------------------------- UI callbacks

def _with_mask_image(editor: dict | None, use_mask: bool, mask_image: Image.Image | None) -> dict | None:
    """The editor value with the mask image (when switched on) added as one more painted layer."""
    if not editor or not use_mask or mask_image is None or editor.get("background") is None:
        return editor
    with user_errors():
        hole = load_mask(mask_image, size=editor["background"].size)
    return {**editor, "layers": [*(editor.get("layers") or []), editing.mask_layer(hole)]}


ORIGINAL = "original photo"  # the first side of the comparison view, besides any result


def zip_results(run: dict | None) -> str | None:
    """One ZIP with the photo, the mask (white = hole) and every result, lossless PNGs. Made after
    the results are shown (a follow-up step of Fill), so they do not wait for it."""
    if not run or not run.get("results"):
        return None
    folder = Path(run["photo"]).parent
    path = folder / "inpainting-results.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for file in [run["photo"], run["mask"], *run["results"].values()]:
            archive.write(file, arcname=Path(file).name)
    return str(path)


def _status(run: dict) -> str:
    done = ", ".join(f"{name}" for name in run["results"])
    failed = "; ".join(f"**{name}** failed: {reason}" for name, reason in run["errors"].items())
    return f"Done: {done}." + (f" {failed}" if failed else "")


def run_ui(editor, use_mask, mask_image, selected, strategy, progress=gr.Progress()):
    run = _compare(_with_mask_image(editor, use_mask, mask_image), selected, strategy, progress)
    names = list(run["results"])
    first = names[0]
    return (
        run["gallery"], run["table"], list(run["results"].values()),
        gr.update(choices=[ORIGINAL, *names], value=first), gr.update(choices=[ORIGINAL, *names], value=ORIGINAL),
        (run["photo"], run["results"][first]), run, _status(run),
    )


def _side(run: dict, name: str | None) -> str | None:
    return run["photo"] if name == ORIGINAL else run["results"].get(name)


def choose_result(run: dict | None, name: str | None, versus: str | None = ORIGINAL):
    """The comparison view: result ``name`` (or the original) on one side, ``versus`` on the other."""
    if not run or _side(run, name) is None or _side(run, versus) is None:
        return gr.update()
    return _side(run, versus), _side(run, name)


def select_from_gallery(run: dict | None, evt: gr.SelectData):
    names = list((run or {}).get("results", {}))
    index = evt.index - 1  # item 0 is the masked input
    return gr.update(value=names[index]) if 0 <= index < len(names) else gr.update()


def brush_for(size: tuple[int, int] | None) -> gr.Brush:
    """The editor's brush for a photo of ``size`` (width, height): a radius of
    :data:`BRUSH_FRACTION` of the short side (at least 4 px), so a stroke covers as much of a 12 MP
    photo as of a small one; Gradio's own default is a fixed 25 px, a hair-line on a large photo."""
    radius = EXAMPLE_BRUSH_RADIUS if size is None else max(4, round(min(size) * BRUSH_FRACTION))
    return gr.Brush(default_size=radius, colors=BRUSH_COLORS, color_mode="defaults")


def _photo_size(path: str) -> tuple[int, int] | None:
    try:
        with Image.open(path) as image:  # reads the header only
            return image.size
    except (OSError, UnidentifiedImageError):
        return None


def _payload_size(payload, component: gr.ImageEditor | None = None) -> tuple[int, int] | None:
    """The photo's size from the editor's value as sent (``preprocess=False``: nothing decoded but
    the image header), or from a decoded value (a dict of PIL images)."""
    payload = payload if isinstance(payload, dict) else getattr(payload, "model_dump", lambda: None)()
    background = (payload or {}).get("background")
    if isinstance(background, Image.Image):
        return background.size
    try:
        if (payload or {}).get("id") and component is not None:  # the browser's edits wait in blob storage
            cached = component.blob_storage.get(payload["id"])
            if cached is not None and cached.background is not None:
                with Image.open(io.BytesIO(cached.background)) as image:
                    return image.size
        path = background.get("path") if isinstance(background, dict) else None
        return _photo_size(path) if path else None
    except (OSError, UnidentifiedImageError, TypeError):
        return None


def on_upload(payload, component: gr.ImageEditor | None = None):
    """A new photo: forget the previous original; a brush sized to the photo (from its header only:
    the event must be quick, the editor waits for it before taking strokes)."""
    return None, gr.update(brush=brush_for(_payload_size(payload, component)))


def _fresh_photo(path: str) -> tuple:
    """Editor value (with a brush sized to it), mask toggle and mask image for a new photo with nothing painted."""
    return gr.update(value={"background": path, "layers": [], "composite": path}, brush=brush_for(_photo_size(path))), \
        False, None


def use_result(run: dict | None, name: str | None, original: str | None):
    if run and name == ORIGINAL:
        raise gr.Error("pick a result (not the original photo) under 'Compare this result' first", print_exception=False)
    if not run or name not in run.get("results", {}):
        raise gr.Error("no result yet: run a model first", print_exception=False)
    return *_fresh_photo(run["results"][name]), original or run["photo"]


def revert(original: str | None, run: dict | None):
    photo = original or (run or {}).get("photo")
    if not photo:
        raise gr.Error("nothing to revert to: no photo has been inpainted yet", print_exception=False)
    return *_fresh_photo(photo), None


def _editor_with_mask(photo: Image.Image, hole: np.ndarray, folder: Path) -> dict:
    """An editor value that shows ``hole`` as a painted layer over ``photo``, editable there.

    Files, and no composite: Gradio 6.31's editor shows a value's composite *as its photo*, so a
    composite with the strokes would bake them into the photo (erased strokes would stay red, and
    the next Fill would see them). The layer lands on the photo thanks to :data:`EDITOR_JS`."""
    background = photo.convert("RGBA")
    layer = Image.fromarray(editing.mask_layer(hole))
    folder.mkdir(parents=True, exist_ok=True)
    return {"background": _save_png(background, folder / "photo.png"),
            "layers": [_save_png(layer, folder / "mask-layer.png")], "composite": None}


def edit_mask(editor, use_mask, mask_image, operation: str, pixels: float):
    """Grow, shrink, invert or clear the whole mask (painted layers and mask image). The result is
    put back in the editor as one painted layer over the (upright) photo; the mask image is cleared."""
    editor = _with_mask_image(editor, use_mask, mask_image)
    if not editor or editor.get("background") is None:
        raise gr.Error("no photo: upload, paste or pick an example photo first", print_exception=False)
    with user_errors():
        photo, hole = editing.photo_and_mask(editor["background"], editor.get("layers") or [])
    if operation == "clear":
        hole = np.zeros_like(hole)
    elif operation == "invert":
        hole = editing.invert_mask(hole)
    else:
        hole = editing.resize_mask(hole, int(pixels) if operation == "grow" else -int(pixels))
    return gr.update(value=_editor_with_mask(photo, hole, _output_folder()), brush=brush_for(photo.size)), False, None


def add_model(spec: str, choices_now: list[str] | None):
    spec = (spec or "").strip()
    if not spec:
        raise gr.Error("type a Hub repo id (org/name) or a local folder first", print_exception=False)
    choices = model_choices()
    if spec not in {value for _, value in choices}:
        choices.append((f"{spec}: added by you (loaded on first run)", spec))
    return gr.update(choices=choices, value=list(dict.fromkeys([*(choices_now or []), spec]))), ""


EXAMPLES_CACHE = Path(tempfile.gettempdir()) / "inpainting-hub-examples"  # not swept like OUTPUT_DIR


def _examples() -> list[list]:
    """``[editor value]`` rows from examples/*_mask.png: each photo with its mask as a painted layer,
    so the mask shows over the photo and can be edited there."""
    out = []
    for mask in sorted(EXAMPLES_DIR.glob("*_mask.png")):
        photo = mask.with_name(mask.name.replace("_mask", ""))
        if photo.is_file():
            with Image.open(photo) as image:
                upright, hole = editing.photo_and_mask(image, [editing.mask_layer(load_mask(mask, size=image.size))])
            out.append([_editor_with_mask(upright, hole, EXAMPLES_CACHE / photo.stem)])
    return out


def _device_text() -> str:
    if DEVICE.type == "cuda":
        return f"Device: **GPU** ({torch.cuda.get_device_name(DEVICE)})"
    return f"Device: **{DEVICE.type.upper()}** ({torch.get_num_threads()} threads)"


# ---------------------------------------------------------------------------------------- layout

class PhotoEditor(gr.ImageEditor):
    """``gr.ImageEditor`` (same front end) whose unreadable files give a short message, not a crash."""

    is_template = True

    @staticmethod
    def _with_alpha(layer):
        """A layer file without transparency (an API client's grey or black-and-white mask) becomes
        an RGBA file whose alpha is its white (> 127) part, as :mod:`inpainting.editing` reads such
        layers; Gradio would otherwise make it opaque, the whole photo a hole."""
        path = getattr(layer, "path", None)
        if not path:
            return layer
        with Image.open(path) as image:
            if "A" in image.getbands() or "transparency" in image.info:
                return layer
            alpha = editing.mask_from_layers([image], image.size)
        rgba = np.zeros((*alpha.shape, 4), np.uint8)
        rgba[alpha] = (255, 255, 255, 255)
        converted = Path(path).with_name(Path(path).stem + "-alpha.png")
        Image.fromarray(rgba).save(converted)
        return layer.model_copy(update={"path": str(converted)})

    def _without_composite(self, payload):
        """The payload without its composite: the app reads the photo and the layers only, and
        decoding a third full-size image costs as much as the photo (~0.4 s at 12 MP)."""
        if payload.id is not None:
            cached = self.blob_storage.get(payload.id)
            if cached is not None and cached.composite is not None:
                self.blob_storage[payload.id] = cached.model_copy(update={"composite": None})
            return payload
        return payload.model_copy(update={"composite": None})

    def preprocess(self, payload):
        try:
            if payload is not None:
                payload = self._without_composite(payload)
            if payload is not None and payload.id is None and payload.layers:
                payload = payload.model_copy(update={"layers": [self._with_alpha(layer) for layer in payload.layers]})
            return super().preprocess(payload)
        except Image.DecompressionBombError:
            raise gr.Error(
                f"the photo or a mask layer is refused: its header declares more than "
                f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} megapixels (a decompression bomb?); accepted: photos up "
                f"to {MAX_PIXELS / 1e6:.0f} megapixels", print_exception=False) from None
        except (UnidentifiedImageError, OSError) as err:
            raise gr.Error(
                f"the photo or a mask layer is not a readable image ({err.__class__.__name__}); "
                "accepted: PNG, JPEG, WebP, BMP, TIFF", print_exception=False,
            ) from None


#: Run on page load (``launch(js=...)``). Gradio 6.31's editor sizes a layer it loads from a file by
#: the bounds of everything in its image container, and those include the brush preview at the
#: largest canvas seen so far (800 x 800 at first): a layer file the photo's size is then centred in
#: that box, away from the photo (on the 480 x 320 coffee example, 160 px right and 240 px down).
#: The patch sizes that layer by the photo (the background layer), so the file lands on it 1:1.
EDITOR_JS = """
() => {
  const patch = (manager) => {
    const proto = Object.getPrototypeOf(manager);
    if (proto.__inpainting_hub_patched || typeof proto.add_layer_from_url !== "function") return;
    const original = proto.add_layer_from_url;
    proto.add_layer_from_url = function (url) {
      const container = this.image_container, background = this.background_layer;
      if (!container || !background) return original.call(this, url);
      const photo = background.getLocalBounds();
      const size = { x: 0, y: 0, width: photo.width, height: photo.height };
      container.getLocalBounds = () => size;  // read synchronously, before the file loads
      try { return original.call(this, url); } finally { delete container.getLocalBounds; }
    };
    proto.__inpainting_hub_patched = true;
  };
  const started = Date.now();
  const timer = setInterval(() => {
    const manager = window.editor && window.editor.layer_manager;
    if (manager) patch(manager);
    if (manager || Date.now() - started > 120000) clearInterval(timer);
  }, 50);
}
"""

# At phone width the editor's tool palette floats over the left of the canvas, on the photo: there
# the drawing area starts right of it, so the photo is fitted beside the palette, not under it.
CSS = """
@media (max-width: 640px) {
  #editor .pixi-target { left: 50px !important; width: calc(100% - 50px) !important; }
}
"""


def build_app() -> gr.Blocks:
    entries = inpainting.available_models()
    with gr.Blocks(title="Inpainting Hub", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(
            "# Inpainting Hub\nPaint over what to remove (any colour), pick one or more models and press **Fill**. "
            "Learned models from five research reports and the classical OpenCV methods, side by side."
        )
        with gr.Row():
            with gr.Column(scale=3):
                editor = PhotoEditor(
                    label="Photo: paint the area to fill", type="pil", image_mode="RGBA", format="png",
                    sources=("upload", "clipboard"), transforms=(),
                    brush=brush_for(None), elem_id="editor",
                )
                pixels = gr.Slider(1, 64, value=8, step=1, label="Grow / shrink the mask by (px)")
                with gr.Row():
                    grow = gr.Button("Grow mask", size="sm")
                    shrink = gr.Button("Shrink mask", size="sm")
                    invert = gr.Button("Invert mask", size="sm")
                    clear = gr.Button("Clear mask", size="sm")
                use_mask_file = gr.Checkbox(label="Use a mask image", info="Upload one (white or opaque = hole) "
                                            "in addition to, or instead of, painting.")
                mask_file = gr.Image(label="Mask image", type="pil", image_mode=None, format="png", visible=False,
                                     sources=("upload", "clipboard"), elem_id="mask-image")
                examples = _examples()
                gr.Examples(examples, inputs=[editor], elem_id="examples",
                            example_labels=[Path(row[0]["background"]).parent.name.replace("_", ": ", 1)
                                            for row in examples],
                            label="Examples (pre-painted masks; the painted areas were intact)")
            with gr.Column(scale=2):
                picker = gr.CheckboxGroup(
                    model_choices(), value=default_selection(entries), label="Models", elem_id="models",
                    info="Learned and classical; several at once are compared side by side.",
                )
                with gr.Row():
                    extra = gr.Textbox(label="Add a model", placeholder="Hub repo id (org/name) or local folder", scale=3)
                    add = gr.Button("Add", size="sm", scale=1)
                strategy = gr.Radio(list(inpainting.STRATEGIES), value="auto", label="Large images",
                                    info="auto: whole image when small, else crop around the mask or resize")
                gr.Markdown(_device_text())
                with gr.Row():
                    run = gr.Button("Fill", variant="primary", elem_id="run", scale=3)
                    cancel = gr.Button("Cancel", elem_id="cancel", scale=1, interactive=False)
                status = gr.Markdown("", elem_id="status", min_height=40)
        gallery = gr.Gallery(label="Masked input and results", format="png", columns=4, height="auto",
                             object_fit="contain", elem_id="gallery")
        with gr.Row():
            chosen = gr.Dropdown(label="Compare this result", choices=[], interactive=True, elem_id="chosen")
            versus = gr.Dropdown(label="with", choices=[], interactive=True, elem_id="versus")
        slider = gr.ImageSlider(label="Side by side at full size (drag the handle)", type="filepath", format="png",
                                elem_id="compare-view", height=720)
        with gr.Row():
            use = gr.Button("Use the compared result as the new photo")
            back = gr.Button("Revert to the original photo")
        with gr.Row():
            with gr.Column():
                gr.Markdown("**Reconstruction score** against the uploaded photo, around the hole (its box with a "
                            "margin, at most a quarter megapixel): PSNR, SSIM and L1 on the hole. Meaningful when the painted "
                            "area was intact (e.g. the examples). A model that failed says why in its row.")
                table = gr.Dataframe(headers=TABLE_HEADERS, label="Reconstruction score", interactive=False)
                downloads = gr.File(label="Downloads (lossless PNG)", file_count="multiple", elem_id="downloads")
                download_all = gr.File(label="Download all (ZIP: photo, mask, every result)",
                                       elem_id="download-all")
        last_run, original = gr.State(None), gr.State(None)

        # API-only components (hidden): /inpaint and /compare with plain arguments.
        with gr.Group(visible=False):
            api_image, api_mask = gr.File(label="image", type="filepath"), gr.File(label="mask", type="filepath")
            api_model = gr.Textbox(label="model", value=FALLBACK_MODEL)
            api_models = gr.Dropdown(label="models", multiselect=True, allow_custom_value=True,
                                     choices=[e.name for e in entries], value=default_selection(entries))
            api_result = gr.File(label="result")
            api_inpaint, api_compare = gr.Button("inpaint"), gr.Button("compare")

        inference = dict(concurrency_limit=CONCURRENCY, concurrency_id="inference")
        private = dict(api_visibility="private")
        # Quick editing steps skip the queue: a plain request each, never waiting behind a Fill. Queued,
        # they shared the page's one event stream, and Gradio 6.31's front end loses an event that is
        # sent as that stream closes (the previous event's last message): its spinner then stays over
        # the editor for good (seen about once in five runs of the browser test's Clear after Fill).
        quick = dict(api_visibility="private", queue=False)
        # Fill: disabled while the run goes on (progress on the status line beside it), Cancel stops it.
        busy = lambda on: (gr.update(interactive=not on), gr.update(interactive=on))  # noqa: E731
        job = run.click(lambda: (*busy(True), None), None, [run, cancel, download_all], queue=False, **private).then(
            run_ui, [editor, use_mask_file, mask_file, picker, strategy],
            [gallery, table, downloads, chosen, versus, slider, last_run, status],
            show_progress_on=[status], **inference, **private)
        job.then(lambda: busy(False), None, [run, cancel], queue=False, **private)
        job.success(zip_results, last_run, download_all, **quick)
        cancel.click(lambda: (*busy(False), "Cancelled."), None, [run, cancel, status], cancels=[job], queue=False,
                     **private)
        api_inpaint.click(inpaint_files, [api_image, api_mask, api_model, strategy], api_result, api_name="inpaint", **inference)
        api_compare.click(compare, [editor, api_models, strategy], [gallery, table], api_name="compare", **inference)
        gr.api(list_models, api_name="models", queue=False)

        chosen.change(choose_result, [last_run, chosen, versus], slider, **quick)
        versus.change(choose_result, [last_run, chosen, versus], slider, **quick)
        gallery.select(select_from_gallery, last_run, chosen, **quick)
        photo_outputs = [editor, use_mask_file, mask_file]
        use.click(use_result, [last_run, chosen, original], [*photo_outputs, original], **quick)
        back.click(revert, [original, last_run], [*photo_outputs, original], **quick)
        for button, operation in ((grow, "grow"), (shrink, "shrink"), (invert, "invert"), (clear, "clear")):
            button.click(edit_mask, [editor, use_mask_file, mask_file, gr.State(operation), pixels], photo_outputs, **quick)
        use_mask_file.change(lambda on: gr.update(visible=on), use_mask_file, mask_file, **quick)
        editor.upload(lambda payload: on_upload(payload, editor), editor, [original, editor], preprocess=False,
                      show_progress="hidden", queue=False,
                      **private)
        add.click(add_model, [extra, picker], [picker, extra], **quick)
        extra.submit(add_model, [extra, picker], [picker, extra], **quick)
    return demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)


demo = build_app()


def launch(blocks: gr.Blocks | None = None, **kwargs):
    """Serve the app (``launch`` with the app's CSS and editor patch) and return what ``launch`` returns;
    ``blocks`` (default: the module's ``demo``) is an app from :func:`build_app`, keyword arguments go to
    ``launch``."""
    return (demo if blocks is None else blocks).launch(css=CSS, js=EDITOR_JS, **kwargs)


if __name__ == "__main__":
    launch()
