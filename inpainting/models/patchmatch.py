"""PatchMatch: fill a hole by copying patches from the rest of the photo.

Barnes, Shechtman, Finkelstein and Goldman, "PatchMatch: a randomized correspondence algorithm
for structural image editing", SIGGRAPH 2009, https://gfx.cs.princeton.edu/pubs/Barnes_2009_PAR/
(the method behind content-aware fill and InvokeAI's infill), as a coarse-to-fine pyramid with
patch voting (Wexler, Shechtman and Irani, "Space-time completion of video", TPAMI 2007), from the
``patchmatch-cython`` package (BSD-3, numpy only).

Where learned models and the diffusion-based classical methods blur or streak, PatchMatch
continues the photo's own texture (grass, rock, brick). It knows nothing the photo does not
show, so it cannot invent a face or a missing object part.

It runs through the same inference path as every model. Its cost grows with the hole's area
(measured on this project's 2-core CPU: about 1 s for a 768 px photo with a small hole, 9 s on
average over the NVIDIA buckets at 768 px, whose largest holes cover 60 % of the photo), so the
model declares ``max_side``: the inference path crops around the holes and shrinks each crop to
at most ``max_side`` pixels before calling it, then upsamples only the fill. At 768 an
object-sized hole in a 12-megapixel photo takes 9.7 s (median of 5, ``python -m
benchmarks.patchmatch_large``); at 1024 it took 22 s.
"""
from __future__ import annotations

import logging

import cv2
import numpy as np
import torch

from inpainting.hub import InpaintingModel
from inpainting.registry import register_model

__all__ = ["PatchMatch"]

logger = logging.getLogger(__name__)

BLENDS = ("poisson", "feather", "none")


def _fill_one(rgb: np.ndarray, hole: np.ndarray, *, patch_size: int, em_loops: int, blend: str, mask_feather: float,
              seed: int) -> np.ndarray:
    """PatchMatch on one H×W×3 uint8 image; falls back to smaller patches, then to Navier-Stokes,
    where the package cannot work (an image smaller than a patch, no complete source patch)."""
    from patchmatch_cython import inpaint_pyramid

    if hole.all():  # nothing to copy from; NS gives what it gives (a flat fill), never an error
        return cv2.inpaint(rgb, hole.astype(np.uint8), 3, cv2.INPAINT_NS)
    for size in dict.fromkeys((patch_size, 5, 3)):  # the configured size first, then smaller ones
        if size > patch_size or min(rgb.shape[:2]) < size:
            continue
        try:
            out = inpaint_pyramid(rgb, hole, patch_size=size, seed=seed, em_loops=em_loops,
                                  poisson_blend=blend == "poisson",
                                  mask_feather=float(mask_feather) if blend == "feather" else 0.0)
            return np.asarray(out, dtype=np.uint8)
        except ValueError as err:  # "no valid source patch centers", "mask covers the entire image"
            logger.info("patchmatch: patch %d failed on a %s image (%s); trying a smaller patch", size, rgb.shape[:2], err)
    logger.info("patchmatch: no patch size fits a %s image with %.0f%% hole; Navier-Stokes fill", rgb.shape[:2], 100 * hole.mean())
    return cv2.inpaint(rgb, hole.astype(np.uint8), 3, cv2.INPAINT_NS)


@register_model(
    "patchmatch",
    description="Classical: PatchMatch patch copying (Barnes et al. 2009), keeps the photo's texture, no training, any size",
    pad_multiple=1,
    presets={"default": {}},
    default_preset="default",
    kind="classical",
)
class PatchMatch(InpaintingModel, paper_url="https://doi.org/10.1145/1531326.1531330",
                 repo_url="https://github.com/Teriks/patchmatch-cython"):
    """PatchMatch inpainting (``patchmatch-cython``'s pyramid solver), seeded.

    Defaults chosen by measurement on ``photos/val`` and ``scenes/val`` (RESULTS.md, "PatchMatch
    settings").

    Args:
        patch_size (int, default 7): side of the square patches matched and copied (odd).
        em_loops (int, default 2): match/vote/re-match loops at the coarse pyramid levels.
        blend (str, default "poisson"): how the copied patches meet the known pixels: ``"poisson"``
            (the package's harmonic cross-fade over an 8 px band at the rim), ``"feather"`` (a soft
            ramp ``mask_feather`` px wide) or ``"none"`` (hard paste).
        mask_feather (float, default 4.0): ramp width in pixels for ``blend="feather"``.
        max_side (int, default 768): the inference path shrinks the image (or each crop around
            a hole) so its long side is at most this before the model runs; bounds the time.
        seed (int, default 0): random seed; the same input always gives the same output.
    """

    def __init__(self, patch_size: int = 7, em_loops: int = 2, blend: str = "poisson", mask_feather: float = 4.0,
                 max_side: int = 768, seed: int = 0):
        super().__init__()
        if patch_size < 3 or patch_size % 2 == 0:
            raise ValueError(f"patch_size must be an odd integer >= 3, got {patch_size}")
        if em_loops < 1:
            raise ValueError(f"em_loops must be >= 1, got {em_loops}")
        if blend not in BLENDS:
            raise ValueError(f"blend must be one of {', '.join(BLENDS)}, got {blend!r}")
        if mask_feather < 0:
            raise ValueError(f"mask_feather must be >= 0 pixels, got {mask_feather}")
        if max_side < 32:
            raise ValueError(f"max_side must be >= 32 pixels, got {max_side}")
        self.patch_size, self.em_loops, self.blend = int(patch_size), int(em_loops), blend
        self.mask_feather = float(mask_feather)
        self.max_side, self.seed = int(max_side), int(seed)

    @torch.inference_mode()
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(image)
        for i in range(image.shape[0]):
            rgb = (image[i].permute(1, 2, 0).clamp(0, 1).float().cpu().numpy() * 255.0 + 0.5).astype(np.uint8)
            hole = mask[i, 0].float().cpu().numpy() > 0.5
            filled = _fill_one(np.ascontiguousarray(rgb), hole, patch_size=self.patch_size, em_loops=self.em_loops,
                               blend=self.blend, mask_feather=self.mask_feather, seed=self.seed)
            out[i] = torch.from_numpy(filled).to(image.device, image.dtype).permute(2, 0, 1) / 255.0
        return out
