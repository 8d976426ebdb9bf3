"""Classical inpainting from OpenCV, registered like any learned model.

* Telea, "An image inpainting technique based on the fast marching method", J. Graphics Tools 2004.
* Bertalmio, Bertozzi and Sapiro, "Navier-Stokes, fluid dynamics, and image and video inpainting",
  CVPR 2001.

Both run through the same inference path as learned models (padding, strategies, compositing),
so the app and the evaluation treat them alike. They have no weights.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from inpainting.hub import InpaintingModel
from inpainting.registry import register_model

__all__ = ["OpenCVTelea", "OpenCVNavierStokes", "opencv_fill", "edge_blend"]


def opencv_fill(image: torch.Tensor, mask: torch.Tensor, radius: int = 3, flag: int = cv2.INPAINT_NS) -> torch.Tensor:
    """OpenCV's inpainting of a ``B×3×H×W`` batch in [0, 1] (``mask`` ``B×1×H×W``, 1 = hole), on
    8-bit copies; the result has ``image``'s device and dtype and carries no gradient."""
    out = torch.empty_like(image)
    with torch.no_grad():
        for i in range(image.shape[0]):
            rgb = (image[i].detach().float().permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255.0 + 0.5).astype(np.uint8)
            hole = (mask[i, 0].detach().float().cpu().numpy() > 0.5).astype(np.uint8) * 255
            # OpenCV's inpaint is channel-order agnostic; it only ever sees this array.
            filled = cv2.inpaint(np.ascontiguousarray(rgb), hole, int(radius), flag)
            out[i] = torch.from_numpy(filled).to(image.device, image.dtype).permute(2, 0, 1) / 255.0
    return out


def edge_blend(fill: torch.Tensor, image: torch.Tensor, mask: torch.Tensor, width: float, radius: int = 3) -> torch.Tensor:
    """``fill`` deep in the hole, OpenCV Navier-Stokes along its edge.

    A hole pixel at Euclidean distance ``d`` from the nearest known pixel takes
    ``w * fill + (1 - w) * NS`` with ``w = clip((d - 0.5) / width, 0, 1)``: with ``width = 2`` the
    first ring of the hole is 1/4 learned, the second 3/4, the rest all learned. NS continues the
    known colours and edges smoothly into the hole, which is what the first pixels need; the learned
    fill carries the structure and texture inside. Gradients flow through ``fill`` only.

    Args:
        fill: ``B×3×H×W`` in [0, 1], a model's output.
        image: ``B×3×H×W`` in [0, 1]; only its known pixels are read.
        mask: ``B×1×H×W`` in {0, 1}, 1 = hole.
        width: band width in pixels (> 0).
        radius: NS neighbourhood radius in pixels.
    """
    if not width > 0:
        raise ValueError(f"edge_blend width must be > 0 pixels, got {width}")
    ns = opencv_fill(image, mask, radius, cv2.INPAINT_NS)
    weights = torch.empty_like(mask, dtype=torch.float32)
    for i in range(mask.shape[0]):
        hole = (mask[i, 0].detach().float().cpu().numpy() > 0.5).astype(np.uint8)
        dist = cv2.distanceTransform(hole, cv2.DIST_L2, 5)
        weights[i, 0] = torch.from_numpy(np.clip((dist - 0.5) / float(width), 0.0, 1.0))
    w = weights.to(fill.device, fill.dtype)
    return w * fill + (1 - w) * ns.to(fill.dtype)


class _OpenCVInpainter(InpaintingModel, paper_url=None, repo_url="https://docs.opencv.org/4.x/df/d3d/tutorial_py_inpainting.html"):
    flag: int = cv2.INPAINT_TELEA

    def __init__(self, radius: int = 3):
        super().__init__()
        if radius < 1:
            raise ValueError(f"radius must be >= 1 pixel, got {radius}")
        self.radius = int(radius)

    @torch.inference_mode()
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return opencv_fill(image, mask, self.radius, self.flag)


@register_model(
    "opencv-telea",
    description="Classical: OpenCV fast-marching inpainting (Telea 2004), no training, any size",
    pad_multiple=1,
    presets={"default": {"radius": 3}},
    default_preset="default",
    kind="classical",
)
class OpenCVTelea(_OpenCVInpainter, paper_url="https://doi.org/10.1080/10867651.2004.10487596"):
    """OpenCV Telea inpainting.

    Args:
        radius (int, default 3): neighbourhood radius in pixels considered for each filled pixel.
    """

    flag = cv2.INPAINT_TELEA


@register_model(
    "opencv-ns",
    description="Classical: OpenCV Navier-Stokes inpainting (Bertalmio et al. 2001), no training, any size",
    pad_multiple=1,
    presets={"default": {"radius": 3}},
    default_preset="default",
    kind="classical",
)
class OpenCVNavierStokes(_OpenCVInpainter, paper_url="https://doi.org/10.1109/CVPR.2001.990497"):
    """OpenCV Navier-Stokes inpainting.

    Args:
        radius (int, default 3): neighbourhood radius in pixels considered for each filled pixel.
    """

    flag = cv2.INPAINT_NS
