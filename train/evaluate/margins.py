"""Paired margins between models of one evaluation, and the photo bar of issue 14 as a verdict.

Every model of an evaluation is scored on the same image/mask pairs, so ``model − baseline`` is a
per-pair difference: its mean and a 95 % interval (1.96 standard errors) say whether one model
beats another, bucket by bucket. The bar a general photo model has to meet (issue 14), per
evaluation set:

* **fidelity**: PSNR and SSIM above every baseline in every NVIDIA bucket from (0.1, 0.2] up,
  each margin's interval above zero;
* **realism**: SWD over all pairs below every baseline, the interval below zero.

::

    python -m train.evaluate.margins outputs/eval/photos-val-256 --models pconv-unet-photos runs/candidate

prints one Markdown row per model: its weakest PSNR and SSIM cells (by the lower end of the
interval, with the bucket and the baseline), its SWD margins, and whether each half is met;
``--reference NAME`` adds the paired margins over that model (a candidate against the shipped one);
``--cells`` adds, per model, every fidelity cell (bucket × baseline × PSNR/SSIM) with the ones whose
interval reaches zero marked, so the slack a candidate leaves in each cell can be read off.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from train.evaluate.results import load_results

__all__ = ["paired_margin", "Cell", "BarVerdict", "bar_verdict", "find_model", "verdict_rows", "cell_rows", "main"]

#: The classical methods the bar is measured against.
BAR_BASELINES = ("opencv-telea", "opencv-ns")
#: The first NVIDIA bucket the fidelity half covers (thinner strokes are left out).
BAR_FIRST_BUCKET = "(0.1, 0.2]"


def paired_margin(results: dict, model: str, baseline: str, bucket: str | None, metric: str) -> tuple[float, float]:
    """Mean per-pair difference ``model − baseline`` in ``bucket`` (None: every bucket) and its 95 %
    half-width (1.96 standard errors; nan with fewer than two pairs). Pairs without a value (nan,
    e.g. an empty hole) are left out; with several masks per image, the image's masks are averaged
    first, so the interval counts images, not masks."""
    diffs = []
    for name in results["buckets"] if bucket is None else [bucket]:
        a = np.asarray(results["models"][model]["per_image"][name][metric], dtype=float)
        b = np.asarray(results["models"][baseline]["per_image"][name][metric], dtype=float)
        diff = a - b
        per_image = int(results["settings"].get("masks_per_image", 1))
        if per_image > 1 and len(diff) % per_image == 0:  # pairs n*k .. n*k+k-1 share image n
            diff = diff.reshape(-1, per_image).mean(1)
        diffs.append(diff)
    diff = np.concatenate(diffs)
    diff = diff[np.isfinite(diff)]
    if len(diff) == 0:
        return float("nan"), float("nan")
    return float(diff.mean()), float(1.96 * diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")


@dataclass(frozen=True)
class Cell:
    """One paired margin: ``metric`` of the model minus ``baseline``'s in ``bucket`` (None: all pairs)."""

    metric: str
    baseline: str
    bucket: str | None
    mean: float
    half: float

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half

    def text(self) -> str:
        digits = {"ssim": 4, "swd": 1}.get(self.metric, 2)
        return f"{self.mean:+.{digits}f} ± {self.half:.{digits}f}".replace("-", "−")


@dataclass(frozen=True)
class BarVerdict:
    """The bar for one model on one evaluation: every fidelity cell, the realism margins, and the verdict."""

    model: str
    fidelity: tuple[Cell, ...]  # PSNR and SSIM, per bucket from the first bar bucket, per baseline
    realism: tuple[Cell, ...]  # SWD over all pairs, per baseline

    def weakest(self, metric: str) -> Cell:
        """The fidelity cell of ``metric`` with the lowest lower end."""
        return min((c for c in self.fidelity if c.metric == metric), key=lambda c: c.low)

    @property
    def meets_fidelity(self) -> bool:
        return all(c.low > 0 for c in self.fidelity)

    @property
    def meets_realism(self) -> bool:
        return all(c.high < 0 for c in self.realism)

    @property
    def meets_bar(self) -> bool:
        return self.meets_fidelity and self.meets_realism


def find_model(results: dict, name: str) -> str:
    """The model of ``results`` called ``name``, or else the one whose last path part is ``name``'s (a run
    folder is evaluated under its path, ``runs/candidate``); a clear error when none or several match."""
    names = list(results["models"])
    if name in names:
        return name
    matches = [n for n in names if Path(n).name == Path(name).name]
    if len(matches) == 1:
        return matches[0]
    what = "no model" if not matches else f"{len(matches)} models ({', '.join(matches)})"
    raise KeyError(f"{what} called {name!r} in this evaluation; it has: {', '.join(names)}")


def bar_verdict(results: dict, model: str, baselines=BAR_BASELINES, first_bucket: str = BAR_FIRST_BUCKET) -> BarVerdict:
    """The bar of issue 14 for ``model`` against ``baselines`` on one evaluation's results."""
    model = find_model(results, model)
    baselines = [find_model(results, b) for b in baselines]
    nvidia = [b for b in results["buckets"] if b.startswith("(")]
    if first_bucket not in nvidia:
        raise ValueError(f"bucket {first_bucket!r} is not in this evaluation; its NVIDIA buckets: {', '.join(nvidia)}")
    buckets = nvidia[nvidia.index(first_bucket):]
    fidelity = tuple(Cell(metric, b, bucket, *paired_margin(results, model, b, bucket, metric))
                     for metric in ("psnr", "ssim") for bucket in buckets for b in baselines)
    realism = tuple(Cell("swd", b, None, *paired_margin(results, model, b, None, "swd")) for b in baselines)
    return BarVerdict(model, fidelity, realism)


def _short(name: str) -> str:
    return {"opencv-telea": "Telea", "opencv-ns": "NS"}.get(name, name)


def verdict_rows(results: dict, models, baselines=BAR_BASELINES, reference: str | None = None) -> list[str]:
    """A Markdown table: one row per model with its weakest cells, SWD margins and the verdict."""
    reference = find_model(results, reference) if reference else None
    head = ["model", "weakest ΔPSNR", "weakest ΔSSIM", *(f"ΔSWD vs {_short(b)}" for b in baselines)]
    if reference:
        head += [f"ΔPSNR / ΔSSIM / ΔSWD vs {reference}"]
    head += ["PSNR / SSIM / SWD", "fidelity half", "realism half"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 3) + "---|---|"]
    for name in models:
        verdict = bar_verdict(results, name, baselines)
        cells = [f"`{verdict.model}`"]
        for metric in ("psnr", "ssim"):
            weak = verdict.weakest(metric)
            cells.append(f"{weak.text()} ({_short(weak.baseline)}, {weak.bucket})")
        cells += [c.text() for c in verdict.realism]
        if reference:
            cells.append(" / ".join(Cell(m, reference, None, *paired_margin(results, verdict.model, reference, None, m))
                                    .text() for m in ("psnr", "ssim", "swd")))
        summary = results["models"][verdict.model]["summary"]["all"]
        cells.append(f"{summary['psnr']:.2f} / {summary['ssim']:.4f} / {summary['swd']:.1f}")
        cells += ["met" if verdict.meets_fidelity else "**not met**", "met" if verdict.meets_realism else "**not met**"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def cell_rows(results: dict, model: str, baselines=BAR_BASELINES) -> list[str]:
    """A Markdown table of every fidelity cell of ``model``'s bar: one row per bucket, a column per metric
    and baseline; a cell whose interval does not exclude zero is marked ✗."""
    verdict = bar_verdict(results, model, baselines)
    baselines = list(dict.fromkeys(c.baseline for c in verdict.fidelity))
    columns = [(m, b) for m in ("psnr", "ssim") for b in baselines]
    head = ["bucket", *(f"Δ{m.upper()} vs {_short(b)}" for m, b in columns)]
    rows = [f"`{verdict.model}`: every fidelity cell (✗: the interval reaches zero)", "",
            "| " + " | ".join(head) + " |", "|---|" + "---:|" * len(columns)]
    cells = {(c.bucket, c.metric, c.baseline): c for c in verdict.fidelity}
    for bucket in dict.fromkeys(c.bucket for c in verdict.fidelity):
        texts = []
        for m, b in columns:
            cell = cells[bucket, m, b]
            texts.append(cell.text() + ("" if cell.low > 0 else " ✗"))
        rows.append(f"| {bucket} | " + " | ".join(texts) + " |")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.evaluate.margins", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="an evaluation's output folder (or its results.json)")
    p.add_argument("--models", nargs="+", required=True, help="models of that evaluation (a unique name suffix will do)")
    p.add_argument("--against", nargs="+", default=list(BAR_BASELINES), help="baselines (default: Telea and NS)")
    p.add_argument("--reference", help="also give each model's paired margins over this model")
    p.add_argument("--cells", action="store_true", help="also print every fidelity cell of each model")
    args = p.parse_args(argv)
    try:
        results = load_results(args.results)
        rows = verdict_rows(results, args.models, args.against, args.reference)
        if args.cells:
            for name in args.models:
                rows += ["", *cell_rows(results, name, args.against)]
    except (KeyError, ValueError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
