"""Inpainting Hub: the Gradio app (a Hugging Face Space). Thin UI and API wiring over ``inpainting/``.

    python app.py            # honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT

API endpoints (see README): ``/inpaint`` (image file, mask file, model, strategy -> PNG file),
``/compare`` (editor value, model names, strategy -> gallery, table) and ``/models``.
Settings by environment: ``INPAINTING_APP_MAX_MODELS`` (models kept loaded, default 3),
``INPAINTING_APP_MAX_PIXELS`` (largest photo, default 16 megapixels), ``INPAINTING_APP_CONCURRENCY``
(inference calls at once, default 2), ``INPAINTING_APP_QUEUE_SIZE`` (waiting calls, default 64).
"""
from __future__ import annotations

import math
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

import inpainting
from inpainting import editing, metrics
from inpainting.hub import HUB_METADATA_KEY, read_config
from inpainting.io import load_image, load_mask
from inpainting.loading import checkpoints_dir, resolve_device

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
MAX_PIXELS = int(os.environ.get("INPAINTING_APP_MAX_PIXELS", 16_000_000))
CONCURRENCY = int(os.environ.get("INPAINTING_APP_CONCURRENCY", 2))
QUEUE_SIZE = int(os.environ.get("INPAINTING_APP_QUEUE_SIZE", 64))
OUTPUT_MAX_AGE_S = 3600
FALLBACK_MODEL = "opencv-telea"
PHOTO_DOMAINS = ("scenes", "photos")  # checkpoints meant for the photos visitors upload
PHOTO_CLASSICAL = ("patchmatch", "opencv-ns")  # preselected beside the best of them
DEVICE = resolve_device(None)
USER_ERRORS = (inpainting.InputError, inpainting.WeightsError, inpainting.UnknownArchitectureError)
TABLE_HEADERS = ["model", "PSNR (dB)", "SSIM", "L1 hole", "time (ms)"]
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")


# ---------------------------------------------------------------------------------------- models

class ModelCache:
    """Models by name, each loaded once; beyond ``capacity`` the least recently used is dropped."""

    def __init__(self, capacity: int, device: torch.device):
        self.capacity, self.device = max(1, capacity), device
        self._models: OrderedDict[str, torch.nn.Module] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}

    def __contains__(self, name: str) -> bool:
        with self._lock:
            return name in self._models

    def get(self, name: str) -> torch.nn.Module:
        with self._lock:
            if name in self._models:
                self._models.move_to_end(name)
                return self._models[name]
            load_lock = self._load_locks.setdefault(name, threading.Lock())
        with load_lock:  # a second caller for the same name waits for the first load
            with self._lock:
                if name in self._models:
                    return self._models[name]
            model = inpainting.load_model(name, device=self.device)
            with self._lock:
                self._models[name] = model
                while len(self._models) > self.capacity:
                    self._models.popitem(last=False)
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            return model


MODELS = ModelCache(MAX_MODELS, DEVICE)


def _metadata(entry: inpainting.ModelEntry) -> dict:
    folder = checkpoints_dir() / entry.name
    try:
        return read_config(folder).get(HUB_METADATA_KEY) or {}
    except inpainting.WeightsError:
        return {}


def _rank_key(entry: inpainting.ModelEntry) -> tuple:
    """Sort key, best first: metadata ``rank`` (lower is better), else ``evaluation.psnr`` (higher), else name."""
    meta = _metadata(entry)
    rank = meta.get("rank")
    psnr = (meta.get("evaluation") or {}).get("psnr") if isinstance(meta.get("evaluation"), dict) else None
    return (
        rank if isinstance(rank, (int, float)) else math.inf,
        -psnr if isinstance(psnr, (int, float)) else math.inf,
        entry.name,
    )


def default_selection(entries: list[inpainting.ModelEntry]) -> list[str]:
    """The models preselected in the picker, for the photos visitors upload: the best learned model
    for photos (domain ``scenes``, ranked by checkpoint metadata, see :func:`_rank_key`), then the
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

@contextmanager
def user_errors():
    """Library errors about the input become short messages in the UI and API (``gr.Error``)."""
    try:
        yield
    except USER_ERRORS as err:
        raise gr.Error(str(err), print_exception=False) from None


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
    (image if image.mode in _PNG_MODES else image.convert("RGB")).save(path, format="PNG")
    return str(path)


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-80:]


def _tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)[None].float() / 255.0


def _scores(photo: Image.Image, result: Image.Image, hole: np.ndarray) -> tuple[float, float, float]:
    """PSNR, SSIM (whole composited image) and L1 on the hole of ``result`` against ``photo``."""
    target, pred = _tensor(photo), _tensor(result)
    mask = torch.from_numpy(np.array(hole, dtype=np.float32))[None, None]
    ssim = metrics.ssim(pred, target).item() if min(hole.shape) >= metrics.SSIM_KERNEL_SIZE else float("nan")
    return metrics.psnr(pred, target).item(), ssim, metrics.l1_hole(pred, target, mask).item()


def _table(rows: list[dict]) -> list[list]:
    return [[r["name"], round(r["psnr"], 2), round(r["ssim"], 4), round(r["l1_hole"], 4), round(r["ms"], 1)] for r in rows]


# ---------------------------------------------------------------------------------------- inference

@gpu
def run_models(photo: Image.Image, hole: np.ndarray, names: list[str], strategy: str, progress=None) -> list[dict]:
    """Every model on one photo: ``[{name, image, ms, psnr, ssim, l1_hole}]`` (load time excluded)."""
    rows = []
    for i, name in enumerate(names):
        if progress is not None and name not in MODELS:
            progress(i / len(names), desc=f"Loading {name} (first use)")
        model = MODELS.get(name)
        if progress is not None:
            progress(i / len(names), desc=f"Running {name}")
        start = time.perf_counter()
        result = inpainting.inpaint(model, photo, hole, strategy=strategy)
        if DEVICE.type == "cuda":
            torch.cuda.synchronize()
        ms = 1000 * (time.perf_counter() - start)
        psnr, ssim, l1 = _scores(photo, result, hole)
        rows.append({"name": name, "image": result, "ms": ms, "psnr": psnr, "ssim": ssim, "l1_hole": l1})
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
        except Image.DecompressionBombError as err:
            raise inpainting.InputError(f"the image is too large: {err}") from None
        except OSError:
            pass  # not an image: load_image below says so clearly
        photo = load_image(image_file).pil
        hole = load_mask(mask_file, size=photo.size)
        _check_hole(hole)
        (row,) = run_models(photo, hole, _model_names(model)[:1], strategy or "auto")
        return _save_png(row["image"], _output_folder() / f"{_safe_name(row['name'])}.png")


def _compare(editor: dict | None, names, strategy: str, progress=None) -> dict:
    with user_errors():
        editor = editor or {}
        photo, hole = editing.photo_and_mask(editor.get("background"), editor.get("layers") or [])
        _check_pixels(photo.size)
        _check_hole(hole)
        rows = run_models(photo, hole, _model_names(names), strategy or "auto", progress)
    folder = _output_folder()
    photo_path = _save_png(photo, folder / "photo.png")
    masked_path = _save_png(editing.masked_preview(photo, hole), folder / "masked-input.png")
    for row in rows:
        row["path"] = _save_png(row.pop("image"), folder / f"{_safe_name(row['name'])}.png")
    gallery = [(masked_path, "masked input")] + [(r["path"], f"{r['name']} · {r['ms']:.0f} ms") for r in rows]
    return {"photo": photo_path, "gallery": gallery, "table": _table(rows), "results": {r["name"]: r["path"] for r in rows}}


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


def run_ui(editor, use_mask, mask_image, selected, strategy, progress=gr.Progress()):
    run = _compare(_with_mask_image(editor, use_mask, mask_image), selected, strategy, progress)
    names = list(run["results"])
    first = names[0]
    return (
        run["gallery"], run["table"], list(run["results"].values()),
        gr.update(choices=names, value=first), (run["photo"], run["results"][first]), run,
    )


def choose_result(run: dict | None, name: str | None):
    if not run or name not in run["results"]:
        return gr.update()
    return run["photo"], run["results"][name]


def select_from_gallery(run: dict | None, evt: gr.SelectData):
    names = list((run or {}).get("results", {}))
    index = evt.index - 1  # item 0 is the masked input
    return gr.update(value=names[index]) if 0 <= index < len(names) else gr.update()


def _fresh_photo(path: str) -> tuple:
    """Editor value, mask toggle and mask image for a new photo with nothing painted."""
    return {"background": path, "layers": [], "composite": path}, False, None


def use_result(run: dict | None, name: str | None, original: str | None):
    if not run or name not in run["results"]:
        raise gr.Error("no result yet: run a model first", print_exception=False)
    return *_fresh_photo(run["results"][name]), original or run["photo"]


def revert(original: str | None, run: dict | None):
    photo = original or (run or {}).get("photo")
    if not photo:
        raise gr.Error("nothing to revert to: no photo has been inpainted yet", print_exception=False)
    return *_fresh_photo(photo), None


def edit_mask(editor, use_mask, mask_image, operation: str, pixels: float):
    """Grow, shrink, invert or clear the whole mask (painted layers and mask image). The result goes
    to the mask image and the painted layers are cleared: Gradio 6.31's editor misplaces layers
    set from the server, so the editor only ever holds what the visitor painted."""
    editor = _with_mask_image(editor, use_mask, mask_image)
    if not editor or editor.get("background") is None:
        raise gr.Error("no photo: upload, paste or pick an example photo first", print_exception=False)
    background = editor["background"]
    with user_errors():
        hole = editing.mask_from_layers(editor.get("layers") or [], background.size)
    if operation == "clear":
        hole = np.zeros_like(hole)
    elif operation == "invert":
        hole = editing.invert_mask(hole)
    else:
        hole = editing.resize_mask(hole, int(pixels) if operation == "grow" else -int(pixels))
    return {"background": background, "layers": [], "composite": None}, True, Image.fromarray(editing.mask_layer(hole))


def add_model(spec: str, choices_now: list[str] | None):
    spec = (spec or "").strip()
    if not spec:
        raise gr.Error("type a Hub repo id (org/name) or a local folder first", print_exception=False)
    choices = model_choices()
    if spec not in {value for _, value in choices}:
        choices.append((f"{spec}: added by you (loaded on first run)", spec))
    return gr.update(choices=choices, value=list(dict.fromkeys([*(choices_now or []), spec]))), ""


def _examples() -> list[list]:
    """``[photo, mask, True]`` rows for (editor, mask image, mask toggle) from examples/*_mask.png."""
    out = []
    for mask in sorted(EXAMPLES_DIR.glob("*_mask.png")):
        photo = mask.with_name(mask.name.replace("_mask", ""))
        if photo.is_file():
            out.append([str(photo), str(mask), True])
    return out


def _device_text() -> str:
    if DEVICE.type == "cuda":
        return f"Device: **GPU** ({torch.cuda.get_device_name(DEVICE)})"
    return f"Device: **{DEVICE.type.upper()}** ({torch.get_num_threads()} threads)"


# ---------------------------------------------------------------------------------------- layout

class PhotoEditor(gr.ImageEditor):
    """``gr.ImageEditor`` (same front end) whose unreadable files give a short message, not a crash."""

    is_template = True

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
            raise gr.Error(
                f"the photo or a mask layer is not a readable image ({err.__class__.__name__}); "
                "accepted: PNG, JPEG, WebP, BMP, TIFF", print_exception=False,
            ) from None


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
                    brush=gr.Brush(colors=["rgb(255, 0, 80)"], color_mode="defaults"), elem_id="editor",
                )
                pixels = gr.Slider(1, 64, value=8, step=1, label="Grow / shrink the mask by (px)")
                with gr.Row():
                    grow = gr.Button("Grow mask", size="sm")
                    shrink = gr.Button("Shrink mask", size="sm")
                    invert = gr.Button("Invert mask", size="sm")
                    clear = gr.Button("Clear mask", size="sm")
                use_mask_file = gr.Checkbox(label="Use a mask image", info="Upload one (white or opaque = hole) "
                                            "instead of painting; the mask buttons and the examples put their masks here.")
                mask_file = gr.Image(label="Mask image", type="pil", image_mode=None, format="png", visible=False,
                                     sources=("upload", "clipboard"), elem_id="mask-image")
                examples = _examples()
                gr.Examples(examples, inputs=[editor, mask_file, use_mask_file], elem_id="examples",
                            example_labels=[Path(row[0]).stem.replace("_", ": ", 1) for row in examples],
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
                run = gr.Button("Fill", variant="primary", elem_id="run")
        gallery = gr.Gallery(label="Masked input and results", format="png", columns=4, height="auto",
                             object_fit="contain", elem_id="gallery")
        with gr.Row():
            with gr.Column():
                chosen = gr.Dropdown(label="Chosen result", choices=[], interactive=True)
                slider = gr.ImageSlider(label="Before / after", type="filepath", format="png")
                with gr.Row():
                    use = gr.Button("Use this result as the new photo")
                    back = gr.Button("Revert to the original photo")
            with gr.Column():
                gr.Markdown("**Reconstruction score** against the uploaded photo: PSNR and SSIM on the whole "
                            "image, L1 on the hole. Meaningful when the painted area was intact (e.g. the examples).")
                table = gr.Dataframe(headers=TABLE_HEADERS, label="Reconstruction score", interactive=False)
                downloads = gr.File(label="Downloads (lossless PNG)", file_count="multiple", elem_id="downloads")
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
        run.click(run_ui, [editor, use_mask_file, mask_file, picker, strategy],
                  [gallery, table, downloads, chosen, slider, last_run], **inference, **private)
        api_inpaint.click(inpaint_files, [api_image, api_mask, api_model, strategy], api_result, api_name="inpaint", **inference)
        api_compare.click(compare, [editor, api_models, strategy], [gallery, table], api_name="compare", **inference)
        gr.api(list_models, api_name="models", queue=False)

        chosen.change(choose_result, [last_run, chosen], slider, **private)
        gallery.select(select_from_gallery, last_run, chosen, **private)
        photo_outputs = [editor, use_mask_file, mask_file]
        use.click(use_result, [last_run, chosen, original], [*photo_outputs, original], **private)
        back.click(revert, [original, last_run], [*photo_outputs, original], **private)
        for button, operation in ((grow, "grow"), (shrink, "shrink"), (invert, "invert"), (clear, "clear")):
            button.click(edit_mask, [editor, use_mask_file, mask_file, gr.State(operation), pixels], photo_outputs, **private)
        use_mask_file.change(lambda on: gr.update(visible=on), use_mask_file, mask_file, **private)
        editor.upload(lambda: None, None, original, **private)
        add.click(add_model, [extra, picker], [picker, extra], **private)
        extra.submit(add_model, [extra, picker], [picker, extra], **private)
    return demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)


demo = build_app()

if __name__ == "__main__":
    demo.launch()
