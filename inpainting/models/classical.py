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

__all__ = ["OpenCVTelea", "OpenCVNavierStokes"]


class _OpenCVInpainter(InpaintingModel, paper_url=None, repo_url="https://docs.opencv.org/4.x/df/d3d/tutorial_py_inpainting.html"):
    flag: int = cv2.INPAINT_TELEA

    def __init__(self, radius: int = 3):
        super().__init__()
        if radius < 1:
            raise ValueError(f"radius must be >= 1 pixel, got {radius}")
        self.radius = int(radius)

    @torch.inference_mode()
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(image)
        for i in range(image.shape[0]):
            rgb = (image[i].permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255.0 + 0.5).astype(np.uint8)
            hole = (mask[i, 0].cpu().numpy() > 0.5).astype(np.uint8) * 255
            # OpenCV's inpaint is channel-order agnostic; it only ever sees this array.
            filled = cv2.inpaint(np.ascontiguousarray(rgb), hole, self.radius, self.flag)
            out[i] = torch.from_numpy(filled).to(image.device, image.dtype).permute(2, 0, 1) / 255.0
        return out


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
