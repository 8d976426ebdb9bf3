"""Speed benchmark: latency, forward time, throughput and memory of every model, CPU or CUDA.

    python -m train.benchmark --models all --out outputs/benchmark/cpu

For each model (any :func:`inpainting.load_model` spec, or ``all``):

* latency of :func:`inpainting.inpaint` (what a user waits for: reading, padding, model,
  compositing), median and 90th percentile over ``--repeats`` runs after ``--warmup`` runs that
  are not counted, at 256×256 and 512×512 (a LaMa ``thick`` mask, seed 0) and on a 2048×1536 photo
  with brush strokes over a few percent of it and the ``crop`` strategy;
* the model-only forward time at 256×256 and 512×512 (``model(image * (1 - mask), mask)`` on
  tensors already on the device, synchronised on CUDA), median;
* throughput of the forward pass at 256×256 for batch sizes 1, 2, 4, ... up to ``--max-batch``
  (stopping at out-of-memory or when a batch takes longer than ``--max-batch-seconds``): the best
  images per second and its batch size;
* peak memory: the process's resident set size (RSS, sampled every 5 ms while the model runs;
  the RSS before the model's first run is recorded beside it, as the process holds the libraries
  and earlier models' caches too) and, on CUDA, ``torch.cuda.max_memory_allocated``;
* device name and torch threads.

The photo is scikit-image's ``chelsea`` (a dev requirement) scaled up, or a smooth synthetic image
without it. Output: ``benchmark.json`` (:data:`FORMAT`) and ``benchmark.md`` in ``--out``, and the
table on stdout. Figures are wall-clock times on a machine that may be shared: compare rows of one
run, not runs of different machines.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, Union

import cv2
import numpy as np
import psutil
import torch

import inpainting
from inpainting.inference import model_inputs
from inpainting.masks import get_mask_generator, mask_ratio
from train.machine import cpu_label

__all__ = ["FORMAT", "benchmark", "benchmark_model", "environment", "main", "markdown_table", "test_inputs"]

FORMAT = "inpainting-hub/benchmark/1"
SQUARE_SIZES = ((256, 256), (512, 512))
PHOTO_SIZE = (2048, 1536)  # width, height
PHOTO_STRATEGY = "crop"
THROUGHPUT_SIZE = 256
MIB = 2 ** 20


# --------------------------------------------------------------------------------------------
# inputs and environment
# --------------------------------------------------------------------------------------------

def _photo(width: int, height: int) -> np.ndarray:
    try:
        from skimage import data

        base = data.chelsea()
    except ImportError:  # scikit-image is a dev requirement; a smooth synthetic picture otherwise
        rng = np.random.default_rng(0)
        base = cv2.GaussianBlur(rng.integers(0, 256, (300, 450, 3), dtype=np.uint8), (0, 0), 5)
    return cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)


def _strokes(width: int, height: int) -> np.ndarray:
    """Two brush strokes over a few percent of the image: a typical object-removal mask."""
    mask = np.zeros((height, width), np.uint8)
    thickness = max(2, round(14 * width / 512))
    for (x0, y0), (x1, y1) in [((0.2, 0.3), (0.7, 0.35)), ((0.6, 0.6), (0.8, 0.9))]:
        cv2.line(mask, (int(x0 * width), int(y0 * height)), (int(x1 * width), int(y1 * height)), 1, thickness)
    return mask


def test_inputs(
    square_sizes: Sequence[tuple[int, int]] = SQUARE_SIZES, photo_size: tuple[int, int] | None = PHOTO_SIZE
) -> list[dict[str, Any]]:
    """The benchmark inputs: ``[{"name", "image", "mask", "strategy", "hole_ratio"}]``.

    Square sizes get a LaMa ``thick`` mask (seed 0) and strategy ``auto``; the photo (width,
    height) gets two brush strokes and strategy ``crop``.
    """
    thick = get_mask_generator("thick")
    cases = []
    for w, h in square_sizes:
        mask = thick(np.random.default_rng(0), (h, w))
        cases.append({"name": f"{w}×{h}", "image": _photo(w, h), "mask": mask, "strategy": "auto"})
    if photo_size:
        w, h = photo_size
        cases.append({"name": f"{w}×{h} photo ({PHOTO_STRATEGY})", "image": _photo(w, h), "mask": _strokes(w, h),
                      "strategy": PHOTO_STRATEGY})
    for case in cases:
        case["mask"] = case["mask"].astype(bool)  # a uint8 {0, 1} array would read as "no hole" (> 127)
        case["hole_ratio"] = round(mask_ratio(case["mask"]), 4)
    return cases


def environment(device: torch.device) -> dict[str, Any]:
    """Device name, torch threads and versions: the context every figure needs."""
    env = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_label(),
        "cpu": cpu_label(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    return env


# --------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------

class _PeakRSS:
    """Samples this process's RSS in a background thread; ``peak`` in bytes."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> "_PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], Any], *, warmup: int, repeats: int, device: torch.device) -> list[float]:
    """Seconds of each of ``repeats`` calls after ``warmup`` uncounted ones."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def _stats(times: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1000.0
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)), "min_ms": float(ms.min()),
            "runs": len(ms)}


def _model_device(model) -> torch.device:
    return getattr(model, "device", None) or torch.device("cpu")


def _forward_inputs(model, image: np.ndarray, mask: np.ndarray, batch: int = 1):
    """Exactly the tensors :func:`inpainting.inference.run_model` passes to the model."""
    return model_inputs(model, image, mask.astype(bool), batch=batch)


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in str(err).lower()


def _throughput(model, image, mask, *, max_batch: int, max_batch_seconds: float, repeats: int) -> dict[str, Any]:
    device = _model_device(model)
    per_batch: dict[int, float] = {}
    stopped = None
    batch = 1
    while batch <= max_batch:
        try:
            x, m = _forward_inputs(model, image, mask, batch)
            with torch.inference_mode():
                times = _timed(lambda: model(x, m), warmup=1, repeats=repeats, device=device)
            del x, m
        except (RuntimeError, torch.cuda.OutOfMemoryError) as err:
            if not _is_oom(err):
                raise
            stopped = f"out of memory at batch {batch}"
            if device.type == "cuda":
                torch.cuda.empty_cache()
            break
        seconds = float(np.median(times))
        per_batch[batch] = batch / seconds
        if seconds > max_batch_seconds:
            stopped = f"batch {batch} took {seconds:.2f} s > {max_batch_seconds:g} s"
            break
        batch *= 2
    best = max(per_batch, key=per_batch.get)
    return {"images_per_s": per_batch[best], "batch_size": best,
            "per_batch": {str(k): v for k, v in per_batch.items()}, "stopped": stopped,
            "size": f"{THROUGHPUT_SIZE}×{THROUGHPUT_SIZE}"}


def benchmark_model(
    model,
    cases: Sequence[Mapping[str, Any]],
    *,
    warmup: int = 2,
    repeats: int = 10,
    photo_repeats: int | None = None,
    max_batch: int = 32,
    max_batch_seconds: float = 2.0,
    throughput_repeats: int = 3,
) -> dict[str, Any]:
    """All the figures of one loaded model (see the module docstring)."""
    device = _model_device(model)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    result: dict[str, Any] = {"device": str(device), "latency": {}, "forward": {}}
    with _PeakRSS() as rss:
        result["rss_before_mib"] = rss.peak / MIB
        for case in cases:
            n = photo_repeats if (photo_repeats and case["strategy"] == PHOTO_STRATEGY) else repeats
            run = lambda case=case: inpainting.inpaint(model, case["image"], case["mask"], strategy=case["strategy"])  # noqa: E731
            result["latency"][case["name"]] = {**_stats(_timed(run, warmup=warmup, repeats=n, device=device)),
                                               "strategy": case["strategy"], "hole_ratio": case["hole_ratio"]}
        for case in cases:
            if case["strategy"] == PHOTO_STRATEGY:
                continue
            x, m = _forward_inputs(model, case["image"], case["mask"])
            with torch.inference_mode():
                result["forward"][case["name"]] = _stats(_timed(lambda: model(x, m), warmup=warmup, repeats=repeats, device=device))
            del x, m
        square = next((c for c in cases if c["image"].shape[:2] == (THROUGHPUT_SIZE, THROUGHPUT_SIZE)), None)
        if square is None:  # e.g. tests with other sizes: the first square case
            square = next(c for c in cases if c["strategy"] != PHOTO_STRATEGY)
        result["throughput"] = _throughput(model, square["image"], square["mask"], max_batch=max_batch,
                                           max_batch_seconds=max_batch_seconds, repeats=throughput_repeats)
        result["throughput"]["size"] = "×".join(str(v) for v in square["image"].shape[1::-1])
    result["peak_rss_mib"] = rss.peak / MIB
    result["cuda_peak_mib"] = torch.cuda.max_memory_allocated(device) / MIB if device.type == "cuda" else None
    return result


def benchmark(
    models: Union[str, Sequence[Any]],
    *,
    device: Union[str, torch.device, None] = None,
    square_sizes: Sequence[tuple[int, int]] = SQUARE_SIZES,
    photo_size: tuple[int, int] | None = PHOTO_SIZE,
    command: str | None = None,
    log: Callable[[str], None] = print,
    **options: Any,
) -> dict[str, Any]:
    """Benchmark ``models`` (specs, ``"all"``, model objects or ``(name, model)`` pairs).

    ``options`` go to :func:`benchmark_model` (warmup, repeats, photo_repeats, max_batch, ...).
    Returns the results dictionary written as ``benchmark.json``.
    """
    from train.evaluate import resolve_models

    resolved = resolve_models(models)
    target = inpainting.loading.resolve_device(device)
    cases = test_inputs(square_sizes, photo_size)
    results: dict[str, Any] = {
        "format": FORMAT,
        "environment": environment(target),
        "settings": {"inputs": [{k: c[k] for k in ("name", "strategy", "hole_ratio")} for c in cases],
                     "command": command, "created": _dt.datetime.now().isoformat(timespec="seconds"),
                     **{k: v for k, v in options.items()}},
        "models": {},
    }
    for name, spec in resolved:
        log(f"{name}: benchmarking on {target} ...")
        model = spec if isinstance(spec, torch.nn.Module) else inpainting.load_model(spec, device=target)
        model.eval()
        entry = benchmark_model(model, cases, **options)
        entry["parameters"] = int(sum(p.numel() for p in model.parameters()))
        results["models"][name] = entry
        del model
        if target.type == "cuda":
            torch.cuda.empty_cache()
    return results


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

def markdown_table(results: Union[Mapping, str, os.PathLike]) -> str:
    """The benchmark as Markdown: environment line, then one row per model."""
    if not isinstance(results, Mapping):
        path = Path(results)
        results = json.loads((path / "benchmark.json" if path.is_dir() else path).read_text())
    env = results["environment"]
    names = [c["name"] for c in results["settings"]["inputs"]]
    forward_names = [c["name"] for c in results["settings"]["inputs"] if c["strategy"] != PHOTO_STRATEGY]
    lines = [
        f"Device: {env['device']} ({env['device_name']}), {env['torch_threads']} torch threads, torch {env['torch']}"
        + (f", CUDA {env['cuda']}" if env.get("cuda") else "")
        + f". Latency of `inpainting.inpaint` in ms, median / p90 over {results['settings'].get('repeats', '?')} runs "
        f"after {results['settings'].get('warmup', '?')} warm-up runs.",
        "",
        "| model | params | " + " | ".join(f"inpaint {n}" for n in names) + " | "
        + " | ".join(f"forward {n}" for n in forward_names) + " | throughput (img/s @ batch) | peak RSS (MiB, before) | CUDA peak (MiB) |",
        "|---|---:|" + "---:|" * (len(names) + len(forward_names) + 3),
    ]
    for name, m in results["models"].items():
        latency = [f"{m['latency'][n]['median_ms']:.1f} / {m['latency'][n]['p90_ms']:.1f}" for n in names]
        forward = [f"{m['forward'][n]['median_ms']:.2f}" for n in forward_names]
        tp = m["throughput"]
        cuda = f"{m['cuda_peak_mib']:.0f}" if m.get("cuda_peak_mib") is not None else "-"
        lines.append(
            f"| {name} | {m.get('parameters', 0):,} | " + " | ".join(latency) + " | " + " | ".join(forward)
            + f" | {tp['images_per_s']:.1f} @ {tp['batch_size']} | {m['peak_rss_mib']:.0f} ({m['rss_before_mib']:.0f}) | {cuda} |"
        )
    inputs = "; ".join(f"{c['name']}: strategy {c['strategy']}, hole {100 * c['hole_ratio']:.1f} %" for c in results["settings"]["inputs"])
    lines += ["", f"Inputs: {inputs}. Forward: model only, on device tensors. Throughput: forward pass at "
              f"{next(iter(results['models'].values()))['throughput']['size'] if results['models'] else '-'}, best batch size. "
              "Peak RSS: whole process."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT such as 512x512, got {text!r}") from None
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return w, h


def main(argv: Sequence[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python -m train.benchmark", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--models", nargs="+", default=["all"], help="load_model specs or 'all'")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N; None: CUDA when available")
    p.add_argument("--threads", type=int, default=None, help="torch threads; None: torch's choice")
    p.add_argument("--warmup", type=int, default=2, help="uncounted runs before each measurement")
    p.add_argument("--repeats", type=int, default=10, help="counted runs per measurement")
    p.add_argument("--photo-repeats", type=int, default=None, help="counted runs on the photo; None: --repeats")
    p.add_argument("--sizes", nargs="+", type=_size, default=list(SQUARE_SIZES), help="square inputs, WxH")
    p.add_argument("--photo", type=_size, default=PHOTO_SIZE, help="photo size WxH (crop strategy)")
    p.add_argument("--no-photo", action="store_true")
    p.add_argument("--max-batch", type=int, default=32)
    p.add_argument("--max-batch-seconds", type=float, default=2.0)
    p.add_argument("--out", default=None, help="output folder; None: outputs/benchmark/<device type>")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        results = benchmark(
            args.models, device=args.device, square_sizes=args.sizes, photo_size=None if args.no_photo else args.photo,
            command="python -m train.benchmark " + shlex.join(argv), warmup=args.warmup, repeats=args.repeats,
            photo_repeats=args.photo_repeats, max_batch=args.max_batch, max_batch_seconds=args.max_batch_seconds,
        )
    except (ValueError, inpainting.WeightsError) as err:
        raise SystemExit(f"error: {err}") from None
    out = Path(args.out or Path("outputs") / "benchmark" / torch.device(results["environment"]["device"]).type)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    table = markdown_table(results)
    (out / "benchmark.md").write_text(f"# Speed benchmark\n\nCommand: `{results['settings']['command']}`\n\n{table}")
    print(table)
    print(f"Wrote {out / 'benchmark.json'} and {out / 'benchmark.md'}")
    return results


if __name__ == "__main__":
    main()
