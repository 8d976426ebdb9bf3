"""What the app costs beyond the models on a large photo (a benchmark, not a test).

    python -m benchmarks.app_cost --megapixels 12 --models opencv-telea opencv-ns patchmatch pconv-unet-scenes

Two figures, each against a target of issue 12:

* **Memory of one ``/inpaint``**: app.py is served in a child process; after one warm-up call per
  model (so the models are loaded, as in a running Space), its resident memory is sampled every
  5 ms while ``gradio_client`` sends one request per model with a ``--megapixels`` photo. Printed:
  the idle memory and each request's peak above it (target: at most 3 GB at 12 MP).
* **UI Fill overhead**: what a visitor waits for after pressing Fill (the editor's PNG payload
  decoded by the app's editor component, then ``app.run_ui``: every model, the scores, the PNGs) on
  the same photo in this process, against the sum of the same models' times measured alone.
  Overhead = (Fill time − summed model times) / summed model times (target: at most 20 % at 12 MP).
  The ZIP, made after the results are shown, is timed apart. Browser transfer is not included.

Medians over ``--repeats`` runs. The photo is scikit-image's ``chelsea`` tiled to size with a
painted-object hole (``inpainting.masks.object_blobs``, about 4 % of the photo).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from train.machine import cpu_label  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3


def large_photo(megapixels: float) -> tuple[np.ndarray, np.ndarray]:
    """A 4:3 photo of about ``megapixels`` (a real photo tiled) and an object-sized hole."""
    from skimage import data

    from inpainting.masks import object_blobs

    height = int(round((megapixels * 1e6 * 3 / 4) ** 0.5))
    width = int(round(height * 4 / 3))
    tile = data.chelsea()
    reps = (-(-height // tile.shape[0]), -(-width // tile.shape[1]), 1)
    photo = np.ascontiguousarray(np.tile(tile, reps)[:height, :width])
    hole = object_blobs(np.random.default_rng(0), (height, width), count=1, extent=(0.25, 0.25)).astype(bool)
    return photo, hole


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PeakRSS:
    """Peak resident memory of a process (and its children) sampled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.005):
        self.process, self.interval, self.peak = psutil.Process(pid), interval, 0
        self._stop = threading.Event()

    def rss(self) -> int:
        total = self.process.memory_info().rss
        for child in self.process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self) -> "PeakRSS":
        self.peak = self.rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def inpaint_memory(models: list[str], image: Path, mask: Path, small_image: Path, small_mask: Path,
                   repeats: int) -> tuple[float, dict[str, float]]:
    """(idle GiB after warm-up, {model: median peak GiB above idle over ``repeats`` requests})."""
    from gradio_client import Client, handle_file

    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "INPAINTING_APP_MAX_MODELS": str(len(models))}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        client = None
        for _ in range(600):
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.5)
        if client is None:
            raise RuntimeError("the app did not start")
        call = lambda model, img, msk: client.predict(handle_file(str(img)), handle_file(str(msk)), model, "auto",  # noqa: E731
                                                      api_name="/inpaint")
        for model in models:  # load every model, as a Space that has served requests
            call(model, small_image, small_mask)
        time.sleep(1.0)
        sampler = PeakRSS(server.pid)
        idle = sampler.rss()
        peaks: dict[str, float] = {}
        for model in models:
            values = []
            for _ in range(repeats):
                time.sleep(0.5)
                base = sampler.rss()
                with PeakRSS(server.pid) as peak:
                    call(model, image, mask)
                values.append((peak.peak - min(base, idle)) / GIB)
            peaks[model] = statistics.median(values)
        return idle / GIB, peaks
    finally:
        server.terminate()
        server.wait(timeout=30)


def fill_overhead(models: list[str], photo: np.ndarray, hole: np.ndarray,
                  repeats: int) -> list[tuple[float, float, float]]:
    """``[(Fill seconds, summed model seconds, ZIP seconds)]`` once per repeat.

    Fill: what a visitor waits for between pressing Fill and seeing the results: the editor's
    payload (photo, painted layer and composite as PNG files, as the browser sends them) decoded
    by the app's editor component, then ``app.run_ui`` (every model, the scores, the PNGs). The
    summed model times are measured apart, the same models on the same photo with nothing else
    running (``app.run_models`` without scores), so work done beside a model cannot hide in its
    time. The ZIP is made after the results are shown (Fill's follow-up step): reported apart."""
    sys.path.insert(0, str(ROOT))
    import app
    from gradio.components.image_editor import EditorData
    from gradio.data_classes import FileData
    from inpainting import editing

    folder = Path(tempfile.mkdtemp(prefix="app-cost-"))
    background, layer = Image.fromarray(photo).convert("RGBA"), Image.fromarray(editing.mask_layer(hole))
    files = {"background": folder / "background.png", "layer": folder / "layer.png", "composite": folder / "composite.png"}
    for image, key in ((background, "background"), (layer, "layer"), (Image.alpha_composite(background, layer), "composite")):
        image.save(files[key], compress_level=1)
    payload = EditorData(background=FileData(path=str(files["background"])), layers=[FileData(path=str(files["layer"]))],
                         composite=FileData(path=str(files["composite"])))
    editor = app.PhotoEditor(type="pil", image_mode="RGBA", format="png")
    upright, mask = editing.photo_and_mask(background, [layer])

    def fill():
        return app.run_ui(editor.preprocess(payload), False, None, models, "auto", progress=None)

    fill()  # warm-up: loads the models
    out = []
    for _ in range(repeats):
        rows = app.run_models(upright, mask, models, "auto", scores=False)
        model_s = sum(row["ms"] for row in rows if "ms" in row) / 1000
        start = time.perf_counter()
        result = fill()
        total = time.perf_counter() - start
        start = time.perf_counter()
        app.zip_results(result[6])
        out.append((total, model_s, time.perf_counter() - start))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--megapixels", type=float, default=12.0)
    p.add_argument("--models", nargs="+", default=["opencv-telea", "opencv-ns", "patchmatch", "pconv-unet-scenes"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--skip-overhead", action="store_true")
    args = p.parse_args()

    photo, hole = large_photo(args.megapixels)
    folder = Path(tempfile.mkdtemp(prefix="app-cost-"))
    Image.fromarray(photo).save(folder / "photo.png")
    Image.fromarray((hole * 255).astype(np.uint8)).save(folder / "mask.png")
    Image.fromarray(photo[:256, :256]).save(folder / "small.png")
    small_hole = np.zeros((256, 256), np.uint8)
    small_hole[100:140, 90:160] = 255
    Image.fromarray(small_hole).save(folder / "small-mask.png")
    h, w = hole.shape
    print(f"machine: {cpu_label()}, {os.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / GIB:.0f} GiB, torch {torch.__version__}; photo {w}×{h} "
          f"({w * h / 1e6:.1f} MP), hole {100 * hole.mean():.1f} %; medians of {args.repeats}\n")
    if not args.skip_memory:
        idle, peaks = inpaint_memory(args.models, folder / "photo.png", folder / "mask.png", folder / "small.png",
                                     folder / "small-mask.png", args.repeats)
        print(f"app idle after loading the models: {idle:.2f} GiB resident\n")
        print("| /inpaint model | peak above idle (GiB) | target ≤ 3 GiB |\n|---|---:|---|")
        for model, value in peaks.items():
            print(f"| {model} | {value:.2f} | {'met' if value <= 3 else 'NOT met'} |")
        print()
    if not args.skip_overhead:
        runs = fill_overhead(args.models, photo, hole, args.repeats)
        total = statistics.median(t for t, _, _ in runs)
        models_s = statistics.median(m for _, m, _ in runs)
        zip_s = statistics.median(z for _, _, z in runs)
        overhead = statistics.median((t - m) / m for t, m, _ in runs)
        print("| Fill: decode + run_ui (s) | summed model times, alone (s) | overhead | target ≤ 20 % | ZIP after (s) |\n"
              "|---:|---:|---:|---|---:|")
        print(f"| {total:.2f} | {models_s:.2f} | {100 * overhead:.1f} % | {'met' if overhead <= 0.2 else 'NOT met'} "
              f"| {zip_s:.2f} |")


if __name__ == "__main__":
    main()
