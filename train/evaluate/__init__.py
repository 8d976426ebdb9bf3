"""Quality evaluation: any models, one set of image/mask pairs, one inference path, one table.

    python -m train.evaluate --models opencv-telea opencv-ns --images ../shared/data/celeba/val \\
        --size 64 --masks nvidia --images-per-bucket 100 --out outputs/eval/celeba-val-64

Protocol (:data:`PROTOCOL`, also written into the command's help, the JSON and the Markdown):

1. Images (every JPEG/PNG/WebP/BMP/TIFF under the folder, sorted by relative path) are
   centre-cropped to a square and resized to ``size``×``size`` (PIL bicubic, antialiased); with
   ``size="native"`` (``--size native``) each photo is evaluated whole, at its own size.
2. Masks: the NVIDIA irregular test masks (Liu et al. 2018, https://arxiv.org/abs/1804.07723),
   six hole-ratio buckets read by file index, optionally only the border-free or the
   border-touching half, resized with nearest-neighbour and re-binarized at 127
   (:class:`inpainting.masks.NvidiaIrregularMasks`); or seeded generator presets
   (:data:`inpainting.masks.MASK_PRESETS`: LaMa ``thin`` / ``medium`` / ``thick``, ``lines``,
   ``boxes``, ...), one bucket per preset. Masks whose hole vanishes at ``size`` are skipped.
   At native size, each mask (the NVIDIA file at its own 512×512, or a preset drawn at 512×512) is
   resized (nearest, re-binarised at 127) to the size of the photo it is paired with.
3. Pairing is deterministic from ``seed``: bucket ``k`` draws its images without replacement
   with ``numpy.random.default_rng([seed, k])`` and pairs each with ``masks_per_image`` masks
   (NVIDIA: drawn without replacement from the bucket's files by the same generator; presets:
   mask ``j`` drawn with ``default_rng([seed, k, j, attempt])``). The pairs do not depend on the
   models evaluated.
4. Every model runs through :func:`inpainting.inpaint` (strategy ``auto``), the path users get,
   so classical and learned models are treated alike (the model sees ``image * (1 - mask)``, the
   known pixels are pasted back).
5. Metrics from :mod:`inpainting.metrics` on the composited uint8 result: PSNR and SSIM over the
   whole image, L1 inside the hole and over the whole image, MSE, and the realism score
   :func:`inpainting.metrics.swd_realism` (sliced Wasserstein distance between Laplacian-pyramid
   patches of the fill and of the true image; lower is better, blur cannot win it). A per-image PSNR of +inf
   (identical images) is capped at :data:`PSNR_CAP_DB` = 100 dB in the per-image figures and the
   means, and the number of capped images is recorded. LPIPS (AlexNet, torchmetrics) is an extra
   column only when its backbone weights are already on disk; otherwise it is omitted with a note.

Outputs in ``--out``: ``results.json`` (:data:`FORMAT`, below), ``results.md`` (the tables, the
protocol and the command) and ``examples.png`` (per row: input with the hole in white, each
model's result, the original). Re-running with the same ``--out`` and settings skips the models
already in ``results.json`` (``--overwrite`` re-runs them); other settings are refused.

``results.json``::

    {
      "format": "inpainting-hub/evaluation/1",
      "protocol": "...",
      "settings": {"images", "images_resolved", "size", "masks", "nvidia_root", "border",
                   "buckets", "images_per_bucket", "masks_per_image", "seed", "strategy",
                   "nvidia_bucket_size", "lpips", "lpips_note", "psnr_cap_db", "metrics",
                   "images_available", "command", "torch", "created"},
      "buckets": ["(0.01, 0.1]", ...],               # column order
      "pairs": {bucket: [{"image": "rel/path.jpg", "mask": "02345" | "thick#3", "hole_ratio": 0.12}, ...]},
      "examples": [[bucket, position], ...],        # pairs shown in examples.png
      "models": {name: {"spec", "kind", "architecture", "device", "seconds", "seconds_per_image",
                        "per_image": {bucket: {metric: [float, ...]}},   # aligned with "pairs"
                        "summary": {bucket | "all": {metric: mean}},
                        "psnr_capped": {bucket | "all": int}}}
    }

:func:`markdown_table` and :func:`markdown_report` turn that dictionary (or the file) into
Markdown, for the app, the model cards and ``RESULTS.md``.

The package reads top to bottom: :mod:`~train.evaluate.protocol` (settings, images, seeded pairs),
:mod:`~train.evaluate.scoring` (models through ``inpaint``, metrics), :mod:`~train.evaluate.results`
(the file), :mod:`~train.evaluate.examples` (the grid), :mod:`~train.evaluate.run` (``evaluate``),
:mod:`~train.evaluate.report` (Markdown) and :mod:`~train.evaluate.cli` (``python -m train.evaluate``).
"""
from __future__ import annotations

from train.evaluate.protocol import (BORDERS, DEFAULT_NVIDIA_ROOT, FORMAT, METRICS, NATIVE, NVIDIA, PROTOCOL,
                                     PSNR_CAP_DB, TABLE_METRICS, EvalSettings, MetricInfo, Pair, build_pairs,
                                     fit_mask, list_images, prepare_image)
from train.evaluate.scoring import ModelLike, lpips_status, resolve_models
from train.evaluate.results import load_results
from train.evaluate.examples import NATIVE_CELL, hole_view
from train.evaluate.run import evaluate
from train.evaluate.report import markdown_report, markdown_table
from train.evaluate.cli import main

__all__ = [
    "BORDERS",
    "DEFAULT_NVIDIA_ROOT",
    "NATIVE",
    "NATIVE_CELL",
    "NVIDIA",
    "TABLE_METRICS",
    "MetricInfo",
    "ModelLike",
    "fit_mask",
    "hole_view",
    "FORMAT",
    "METRICS",
    "PROTOCOL",
    "PSNR_CAP_DB",
    "EvalSettings",
    "Pair",
    "build_pairs",
    "evaluate",
    "list_images",
    "load_results",
    "lpips_status",
    "main",
    "markdown_report",
    "markdown_table",
    "prepare_image",
    "resolve_models",
]
