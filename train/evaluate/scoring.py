"""Running models on the pairs through :func:`inpainting.inpaint` and scoring the composites."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence, Union

import numpy as np
import torch

import inpainting
from inpainting import metrics as metrics_lib
from inpainting.loading import canonical_name
from train.evaluate.protocol import METRIC_CHUNK, PSNR_CAP_DB


# --------------------------------------------------------------------------------------------
# LPIPS (only with weights already on disk)
# --------------------------------------------------------------------------------------------

def lpips_status() -> tuple[bool, str]:
    """Whether LPIPS (AlexNet) can run without any download, and a note saying why (not)."""
    try:
        import torchvision
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity  # noqa: F401
    except ImportError as err:
        return False, f"LPIPS omitted: torchmetrics' LPIPS cannot be imported ({err})"
    url = torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url
    backbone = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    if not backbone.is_file():
        return False, (
            f"LPIPS omitted: its AlexNet backbone weights ({backbone.name}) are not in the local torch hub "
            f"cache ({backbone.parent}) and the evaluation downloads nothing"
        )
    return True, f"LPIPS: torchmetrics AlexNet LPIPS, backbone {backbone}"


def _lpips_fn(device: torch.device):
    from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    metric = LearnedPerceptualImagePatchSimilarity(net_type="alex", reduction="mean", normalize=True).to(device).eval()

    @torch.inference_mode()
    def per_image(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return metric.net(pred.to(device), target.to(device), normalize=True).flatten().cpu()

    return per_image


# --------------------------------------------------------------------------------------------
# running models
# --------------------------------------------------------------------------------------------

ModelLike = Union[str, os.PathLike, torch.nn.Module, tuple]


def resolve_models(models: Union[str, Sequence[ModelLike]]) -> list[tuple[str, ModelLike]]:
    """``[(name, spec or model)]``: ``"all"`` expands to :func:`inpainting.available_models`."""
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    out: list[tuple[str, ModelLike]] = []
    for item in models:
        if isinstance(item, (str, os.PathLike)) and os.fspath(item) == "all":
            out.extend((entry.name, entry.name) for entry in inpainting.available_models())
        elif isinstance(item, (str, os.PathLike)):
            name = canonical_name(os.fspath(item))  # a renamed checkpoint's old name: its new one
            out.append((name, name))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            out.append(item)
        elif isinstance(item, torch.nn.Module):
            out.append((getattr(item, "architecture", "") or type(item).__name__, item))
        else:
            raise TypeError(
                f"a model must be a load_model spec (name, folder, Hub id), 'all', a model object or a "
                f"(name, model) pair; got {type(item).__name__}"
            )
    names = [name for name, _ in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"model names given twice: {', '.join(duplicates)}")
    if not out:
        raise ValueError("no models to evaluate")
    return out


def _describe_model(spec: ModelLike, model: torch.nn.Module) -> dict[str, Any]:
    architecture = getattr(model, "architecture", "") or None
    kind = None
    if architecture:
        try:
            kind = inpainting.get_architecture(architecture).kind
        except inpainting.UnknownArchitectureError:
            kind = None
    return {
        "spec": os.fspath(spec) if isinstance(spec, (str, os.PathLike)) else f"<{type(model).__name__} object>",
        "kind": kind,
        "architecture": architecture,
        "device": str(getattr(model, "device", "cpu")),
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }


def _to_tensor(arrays: Sequence[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255.0


def _score(preds, targets, holes, lpips_fn) -> dict[str, list[float]]:
    if len({p.shape for p in preds}) > 1:  # native size: photos of different sizes, one at a time
        scores: dict[str, list[float]] = {}
        for one in zip(preds, targets, holes):
            for name, values in _score(*([x] for x in one), lpips_fn).items():
                scores.setdefault(name, []).extend(values)
        return scores
    pred, target = _to_tensor(preds), _to_tensor(targets)
    mask = torch.from_numpy(np.stack(holes)).float()[:, None]
    values = metrics_lib.evaluate_batch(pred, target, mask)
    values["swd"] = metrics_lib.swd_realism(pred, target, mask)
    if lpips_fn is not None:
        values["lpips"] = lpips_fn(metrics_lib.composite(pred, target, mask), target)
    return {name: [float(v) for v in tensor] for name, tensor in values.items()}


def _summarise(per_image: Mapping[str, Mapping[str, list[float]]], buckets: Sequence[str]):
    """Per bucket and overall means, and how many PSNRs were capped (raw values may be +inf)."""
    summary: dict[str, dict[str, float]] = {}
    capped: dict[str, int] = {}
    everything: dict[str, list[float]] = {}
    for bucket in list(buckets) + ["all"]:
        data = everything if bucket == "all" else per_image[bucket]
        if bucket != "all":
            for metric, values in data.items():
                everything.setdefault(metric, []).extend(values)
        summary[bucket] = {metric: float(np.nanmean(values)) for metric, values in data.items()}
        capped[bucket] = int(sum(v >= PSNR_CAP_DB for v in data.get("psnr", [])))
    return summary, capped


def _run_model(model, pairs, images, lpips_fn, *, strategy: str, progress: bool, name: str, keep=()):
    """Scores per bucket, the results of the pairs in ``keep`` ((bucket, position) keys) and the
    seconds spent in :func:`inpainting.inpaint`."""
    keep = set(keep)
    per_image: dict[str, dict[str, list[float]]] = {}
    outputs: dict[tuple[str, int], np.ndarray] = {}
    total = sum(len(v) for v in pairs.values())
    bar = _progress(total, f"{name}", progress)
    seconds = 0.0
    try:
        for bucket, bucket_pairs in pairs.items():
            scores: dict[str, list[float]] = {}
            for start in range(0, len(bucket_pairs), METRIC_CHUNK):
                chunk = bucket_pairs[start:start + METRIC_CHUNK]
                preds = []
                for offset, pair in enumerate(chunk):
                    t0 = time.perf_counter()
                    result = inpainting.inpaint(model, images[pair.image], pair.hole, strategy=strategy)
                    seconds += time.perf_counter() - t0
                    pred = np.asarray(result.convert("RGB"), dtype=np.uint8)
                    preds.append(pred)
                    if (bucket, start + offset) in keep:
                        outputs[(bucket, start + offset)] = pred
                    bar.update(1)
                chunk_scores = _score(preds, [images[p.image] for p in chunk], [p.hole for p in chunk], lpips_fn)
                for metric, values in chunk_scores.items():
                    scores.setdefault(metric, []).extend(values)
            if "psnr" in scores:
                scores["psnr"] = [min(v, PSNR_CAP_DB) for v in scores["psnr"]]
            per_image[bucket] = scores
    finally:
        bar.close()
    return per_image, outputs, seconds


class _Bar:
    """A minimal stand-in for tqdm when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return _Bar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with huggingface_hub
        return _Bar()
    return tqdm(total=total, desc=desc, unit="img", file=sys.stderr, dynamic_ncols=True)
