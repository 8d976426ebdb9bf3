"""Size and forward latency of every learned family × preset (a benchmark script, not a test).

    python -m benchmarks.models --repeats 3
    python -m benchmarks.models --archs pconv-unet lama-ffc --sizes 256 --max-seconds 10

Prints a Markdown table: parameter count, float32 checkpoint size, and the median latency of one
forward pass (batch 1, eval mode, ``torch.inference_mode``, after one warm-up) over ``--repeats``
runs on the CPU at each ``--sizes``; with CUDA, also on the GPU in float32 and under bfloat16
autocast. A CPU measurement whose warm-up run takes longer than ``--max-seconds`` is skipped with a
note (and so is every larger size of that preset, estimated by the pixel ratio), as is one that
runs out of memory. The input is a smooth random image with a centred square hole (a quarter of
the area); latency does not depend on the content.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import inpainting


def make_inputs(size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    image = F.interpolate(torch.rand(1, 3, size // 16, size // 16, generator=g), size=(size, size), mode="bilinear")
    mask = torch.zeros(1, 1, size, size)
    mask[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return image.to(device), mask.to(device)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.inference_mode()
def time_forward(model, size: int, device: torch.device, repeats: int, *, bf16: bool = False,
                 max_seconds: float | None = None) -> tuple[float | None, str]:
    """Median seconds of one forward pass, or ``(None, reason)`` when skipped."""
    image, mask = make_inputs(size, device)
    image = image * (1 - mask)

    def once() -> float:
        _sync(device)
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            model(image, mask)
        _sync(device)
        return time.perf_counter() - start

    try:
        warm = once()
        if max_seconds is not None and warm > max_seconds:
            return None, f"skipped: one run took {warm:.1f} s"
        times = [once() for _ in range(repeats)]
    except (torch.OutOfMemoryError, RuntimeError) as err:  # CPU allocators raise RuntimeError
        if "memory" not in str(err).lower():
            raise
        if device.type == "cuda":
            torch.cuda.empty_cache()
        return None, "skipped: out of memory"
    return statistics.median(times), ""


def _fmt(seconds: float | None, note: str) -> str:
    if seconds is None:
        return note or "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="*", help="architectures (default: every learned family)")
    parser.add_argument("--presets", nargs="*", help="only these presets")
    parser.add_argument("--sizes", nargs="*", type=int, default=[256, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--max-seconds", type=float, default=4.0,
                        help="skip a CPU measurement whose warm-up run takes longer than this")
    parser.add_argument("--no-gpu", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    gpu = torch.device("cuda") if torch.cuda.is_available() and not args.no_gpu else None
    infos = [i for i in inpainting.list_architectures(kind="learned") if not args.archs or i.name in args.archs]

    header = ["family", "preset", "params", "fp32 MB"] + [f"CPU {s}²" for s in args.sizes]
    if gpu is not None:
        header += [f"GPU fp32 {s}²" for s in args.sizes] + [f"GPU bf16 {s}²" for s in args.sizes]
    rows = []
    for info in infos:
        for preset in info.presets:
            if args.presets and preset not in args.presets:
                continue
            torch.manual_seed(0)
            model = info.cls(**info.preset_config(preset)).eval()
            params = sum(p.numel() for p in model.parameters())
            size_mb = sum(t.numel() * 4 for t in model.state_dict().values()) / 1e6
            row = [f"`{info.name}`", f"`{preset}`", f"{params:,}", f"{size_mb:.1f}"]
            previous: tuple[int, float] | None = None
            for size in args.sizes:
                if previous is not None and previous[1] * (size / previous[0]) ** 2 > args.max_seconds:
                    row.append(f"skipped: est. {previous[1] * (size / previous[0]) ** 2:.0f} s")
                    continue
                seconds, note = time_forward(model, size, cpu, args.repeats, max_seconds=args.max_seconds)
                row.append(_fmt(seconds, note))
                previous = (size, seconds) if seconds is not None else (size, float("inf"))
            if gpu is not None:
                model.to(gpu)
                for bf16 in (False, True):
                    row += [_fmt(*time_forward(model, size, gpu, args.repeats, bf16=bf16)) for size in args.sizes]
            rows.append(row)
            print(f"done: {info.name} {preset}", flush=True, file=sys.stderr)
            del model

    print(f"\nForward latency, batch 1, median of {args.repeats} runs after a warm-up; "
          f"CPU: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads; "
          f"GPU: {torch.cuda.get_device_name(gpu) if gpu is not None else 'none (no CUDA)'}; torch {torch.__version__}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
