"""``evaluate``: run models on the protocol's pairs and keep the figures in ``results.json``."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Mapping, Sequence, Union

import torch
from PIL import Image

import inpainting
from train.evaluate.examples import _example_positions, _write_examples
from train.evaluate.protocol import EvalSettings, FORMAT, NVIDIA, PROTOCOL, PSNR_CAP_DB, build_pairs, prepare_image
from train.evaluate.report import markdown_report
from train.evaluate.results import _finite, _safe_name, _write_json, load_results
from train.evaluate.scoring import ModelLike, _describe_model, _lpips_fn, _run_model, _summarise, lpips_status, resolve_models


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------

def evaluate(
    models: Union[str, Sequence[ModelLike]],
    settings: EvalSettings,
    *,
    out: Union[str, os.PathLike, None] = None,
    device: Union[str, torch.device, None] = None,
    overwrite: bool = False,
    examples: int = 4,
    progress: bool = True,
    lpips: bool | None = None,
    command: str | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Evaluate ``models`` on the pairs of ``settings``; returns the results dictionary.

    Args:
        models: ``"all"``, or load_model specs (shipped names, folders, Hub ids, classical names),
            model objects, or ``(name, model)`` pairs, mixed freely.
        settings: the data, masks, size, counts and seed (:class:`EvalSettings`).
        out: folder for ``results.json``, ``results.md`` and ``examples.png``; models already in
            its ``results.json`` (same settings) are skipped. None: nothing is written.
        device: where specs are loaded (default: CUDA when available). Model objects stay put.
        overwrite: re-run models already in ``results.json``, and replace a file of other settings.
        examples: number of pairs shown in ``examples.png``.
        progress: show a progress bar per model.
        lpips: add LPIPS (None: when its weights are on disk; True: fail if they are not).
        command: the command line recorded in the outputs.
        log: where progress messages go.
    """
    resolved = resolve_models(models)
    available, note = lpips_status()
    if lpips and not available:
        raise RuntimeError(note)
    use_lpips = available if lpips is None else bool(lpips)
    if lpips is False:
        note = "LPIPS omitted: turned off for this run"

    pairs, files = build_pairs(settings)
    buckets = list(pairs)
    root = Path(settings.images)
    images = {p.image: prepare_image(root / p.image, settings.size) for ps in pairs.values() for p in ps}
    metric_names = ["psnr", "ssim", "mse", "l1_whole", "l1_hole", "swd"] + (["lpips"] if use_lpips else [])
    settings_json = {
        **asdict(settings),
        "masks": list(settings.masks),
        "buckets": list(settings.buckets) if settings.buckets is not None else None,
        "images_resolved": str(root.resolve()),
        "images_available": len(files),
        "images_used_per_bucket": min(settings.images_per_bucket, len(files)),
        "lpips": use_lpips,
        "lpips_note": note,
        "psnr_cap_db": PSNR_CAP_DB,
        "metrics": metric_names,
        "command": command,
        "torch": torch.__version__,
    }
    fresh = {
        "format": FORMAT,
        "protocol": PROTOCOL,
        "settings": settings_json,
        "buckets": buckets,
        "pairs": {b: [p.to_json() for p in ps] for b, ps in pairs.items()},
        "examples": [list(p) for p in _example_positions(pairs, examples)],
        "models": {},
    }
    results = fresh
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        existing_path = out_dir / "results.json"
        if existing_path.is_file():
            existing = load_results(existing_path)
            same = (
                _comparable(existing["settings"]) == _comparable(settings_json)
                and existing.get("pairs") == _finite(fresh["pairs"])
            )
            if same:
                results = existing
                results["settings"]["command"] = command or results["settings"].get("command")
                if results.get("examples") != fresh["examples"]:  # other --examples: old pictures are stale
                    results["examples"] = fresh["examples"]
                    for stale in (out_dir / "examples").glob("*/*.png"):
                        stale.unlink()
            elif not overwrite:
                raise ValueError(
                    f"{existing_path} holds results of other settings ({_difference(existing['settings'], settings_json)}); "
                    "use another --out, or --overwrite to replace it"
                )
        results["settings"]["created"] = results["settings"].get("created") or _dt.datetime.now().isoformat(timespec="seconds")

    lpips_fn = None
    examples_at = [tuple(p) for p in results["examples"]]
    for name, spec in resolved:
        if name in results["models"] and not overwrite:
            log(f"{name}: already in {out_dir / 'results.json'}, skipped (--overwrite re-runs it)")
            continue
        model = spec if isinstance(spec, torch.nn.Module) else inpainting.load_model(spec, device=device)
        model.eval()
        if use_lpips and lpips_fn is None:
            lpips_fn = _lpips_fn(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
        per_image, outputs, seconds = _run_model(
            model, pairs, images, lpips_fn, strategy=settings.strategy, progress=progress, name=name, keep=examples_at
        )
        summary, capped = _summarise(per_image, buckets)
        count = sum(len(v) for v in pairs.values())
        results["models"][name] = {
            **_describe_model(spec, model),
            "seconds": round(seconds, 3),
            "seconds_per_image": seconds / count,
            "per_image": per_image,
            "summary": summary,
            "psnr_capped": capped,
        }
        log(f"{name}: " + ", ".join(f"{m} {summary['all'][m]:.4g}" for m in metric_names) + f" ({seconds:.1f} s)")
        if out_dir is not None:
            folder = out_dir / "examples" / _safe_name(name)
            folder.mkdir(parents=True, exist_ok=True)
            for i, key in enumerate(examples_at):
                Image.fromarray(outputs[key]).save(folder / f"{i}.png")
            _write_json(out_dir / "results.json", results)
        del model, outputs
    if out_dir is not None:
        _write_json(out_dir / "results.json", results)
        (out_dir / "results.md").write_text(markdown_report(results))
        _write_examples(out_dir, results, pairs, images)
    return _finite(results)


def _comparable(settings: Mapping) -> dict:
    keys = ("images_resolved", "size", "masks", "nvidia_root", "border", "buckets", "images_per_bucket",
            "masks_per_image", "seed", "strategy", "nvidia_bucket_size", "lpips", "psnr_cap_db")
    data = {k: settings.get(k) for k in keys}
    if NVIDIA not in (data["masks"] or []):
        data["nvidia_root"] = None
    elif data["nvidia_root"]:
        data["nvidia_root"] = str(Path(data["nvidia_root"]).resolve())
    return data


def _difference(old: Mapping, new: Mapping) -> str:
    a, b = _comparable(old), _comparable(new)
    changed = [f"{k}: {a[k]!r} -> {b[k]!r}" for k in a if a[k] != b[k]]
    return "; ".join(changed) or "the pairs differ"
