"""End-to-end ``/inpaint`` latency through ``gradio_client`` against the model-only time (a benchmark, not a test).

    python -m benchmarks.app_latency --model opencv-telea --size 512x512 --repeats 10

Serves app.py on 127.0.0.1 at a free port in this process (or uses ``--url`` of a running app),
then prints the median and min over ``--repeats`` calls (after one warm-up) of:

* model only: ``inpainting.inpaint`` on the arrays, in this process;
* end to end: ``Client.predict(image.png, mask.png, model, strategy, api_name="/inpaint")`` including
  upload, queueing, decoding, the PNG encoding of the result and its download.

The photo and mask are those of ``benchmarks.strategies`` (scikit-image's chelsea, two brush strokes).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import torch  # noqa: E402
from PIL import Image  # noqa: E402

import inpainting  # noqa: E402
from benchmarks.strategies import photo_and_mask  # noqa: E402
from train.machine import cpu_label  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="opencv-telea")
    p.add_argument("--size", default="512x512")
    p.add_argument("--strategy", default="auto")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--url", default=None, help="a running app; default: serve app.py in this process")
    args = p.parse_args()

    w, h = (int(v) for v in args.size.split("x"))
    image, mask = photo_and_mask(w, h)
    folder = Path(tempfile.mkdtemp(prefix="app-latency-"))
    Image.fromarray(image).save(folder / "image.png")
    Image.fromarray(mask).save(folder / "mask.png")

    model = inpainting.load_model(args.model)
    model_ms = _timed(lambda: inpainting.inpaint(model, image, mask, strategy=args.strategy), args.repeats)

    demo = None
    url = args.url
    if url is None:
        sys.path.insert(0, str(ROOT))
        import app

        demo = app.demo
        _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True)
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    call = lambda: client.predict(  # noqa: E731
        handle_file(str(folder / "image.png")), handle_file(str(folder / "mask.png")), args.model, args.strategy,
        api_name="/inpaint",
    )
    e2e_ms = _timed(call, args.repeats)
    if demo is not None:
        demo.close()

    print(f"machine: {cpu_label()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} torch "
          f"threads, torch {torch.__version__}; {args.model} at {w}×{h}, hole {100 * (mask > 127).mean():.1f} %, "
          f"strategy {args.strategy}; median (min) of {args.repeats} after 1 warm-up, ms\n")
    print("| path | median ms | min ms |\n|---|---|---|")
    for label, times in (("model only (inpainting.inpaint)", model_ms), ("end to end (gradio_client /inpaint)", e2e_ms)):
        print(f"| {label} | {statistics.median(times):.1f} | {min(times):.1f} |")
    overhead = statistics.median(e2e_ms) - statistics.median(model_ms)
    print(f"\napp overhead (median difference): {overhead:.1f} ms")


if __name__ == "__main__":
    main()
