"""Markdown tables and reports from a ``results.json`` (for the app, model cards and RESULTS.md)."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Mapping, Sequence, Union

from train.evaluate.protocol import METRICS, NATIVE, NVIDIA, PROTOCOL, TABLE_METRICS
from train.evaluate.results import load_results


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

def _format(value: float | None, digits: int) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def markdown_table(
    results: Union[Mapping, str, os.PathLike],
    metrics: Sequence[str] | str | None = None,
    *,
    buckets: Sequence[str] | None = None,
    include_all: bool = True,
    models: Sequence[str] | None = None,
) -> str:
    """A Markdown table: rows = models, columns = metric per bucket, best per column in bold.

    Args:
        results: the dictionary :func:`evaluate` returns, or a ``results.json`` path / folder.
        metrics: metric names (:data:`METRICS`) or one name; default every recorded one of
            PSNR, SSIM, L1 hole, L1 whole, LPIPS. With one metric the columns are the buckets.
        buckets: bucket labels to show (default all, in evaluation order).
        include_all: add the ``all`` column (mean over every pair).
        models: row order / subset (default: as evaluated).

    The best value of each column (highest PSNR/SSIM, lowest L1/MSE/LPIPS, compared as shown,
    ties all bold) is in bold.
    """
    results = load_results(results)
    recorded = results["settings"]["metrics"]
    if metrics is None:
        metrics = [m for m in TABLE_METRICS if m in recorded]
    elif isinstance(metrics, str):
        metrics = [metrics]
    for metric in metrics:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
        if metric not in recorded:
            raise ValueError(f"metric {metric!r} was not recorded in these results (recorded: {', '.join(recorded)})")
    columns = list(buckets if buckets is not None else results["buckets"]) + (["all"] if include_all else [])
    names = list(models if models is not None else results["models"])
    for name in names:
        if name not in results["models"]:
            raise ValueError(f"model {name!r} is not in these results ({', '.join(results['models'])})")
    header = ["model"]
    cells: dict[str, list[str]] = {name: [] for name in names}
    for metric in metrics:
        info = METRICS[metric]
        for column in columns:
            header.append(column if len(metrics) == 1 else f"{info.label} {column}")
            shown = {name: _format(results["models"][name]["summary"][column].get(metric), info.digits) for name in names}
            numbers = [float(v) for v in shown.values() if v != "n/a"]
            best = (max if info.higher_is_better else min)(numbers) if numbers else None
            for name in names:
                text = shown[name]
                cells[name].append(f"**{text}**" if best is not None and text != "n/a" and float(text) == best and len(names) > 1 else text)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    lines += [f"| {name} | " + " | ".join(cells[name]) + " |" for name in names]
    return "\n".join(lines)


def markdown_report(results: Union[Mapping, str, os.PathLike], *, title: str | None = None) -> str:
    """The whole report: settings, protocol, one table per metric, timings and notes."""
    results = load_results(results)
    s = results["settings"]
    masks = ", ".join(
        f"NVIDIA irregular ({s['border']} border)" if m == NVIDIA else f"preset {m!r}" for m in s["masks"]
    )
    pairs_per_bucket = {len(v) for v in results["pairs"].values()}
    at = "native size" if s["size"] == NATIVE else f"{s['size']} px"
    shown_size = "each photo at its own size" if s["size"] == NATIVE else f"{s['size']}×{s['size']} px"
    lines = [
        f"# {title or 'Evaluation: ' + Path(s['images']).as_posix() + ' at ' + at}",
        "",
        f"- Images: `{s['images']}` ({s['images_available']} available), {shown_size}",
        f"- Masks: {masks}; {s['images_used_per_bucket']} images × {s['masks_per_image']} masks = "
        f"{'/'.join(str(n) for n in sorted(pairs_per_bucket))} pairs per bucket; seed {s['seed']}",
        f"- Strategy: `{s['strategy']}`; torch {s.get('torch')}",
    ]
    if s.get("command"):
        lines.append(f"- Command: `{s['command']}`")
    lines += ["", f"Protocol: {results.get('protocol', PROTOCOL)}", ""]
    if not results["models"]:
        return "\n".join(lines + ["No model evaluated yet.", ""])
    for metric in [m for m in TABLE_METRICS if m in s["metrics"]]:
        lines += [f"## {METRICS[metric].label}", "", markdown_table(results, metric), ""]
    lines += ["## Models", "", "| model | kind | architecture | device | s / image |", "|---|---|---|---|---:|"]
    for name, entry in results["models"].items():
        lines.append(
            f"| {name} | {entry.get('kind') or '-'} | {entry.get('architecture') or '-'} | {entry.get('device')} | "
            f"{entry['seconds_per_image']:.4f} |"
        )
    lines += ["", "Notes:", f"- {s['lpips_note']}"]
    capped = {n: e["psnr_capped"]["all"] for n, e in results["models"].items() if e["psnr_capped"]["all"]}
    if capped:
        lines.append(
            f"- PSNR capped at {s['psnr_cap_db']:g} dB for identical results: "
            + ", ".join(f"{n} ({c} images)" for n, c in capped.items())
        )
    lines.append("- Best value per column in bold. Per-image figures are in results.json.")
    return "\n".join(lines) + "\n"
