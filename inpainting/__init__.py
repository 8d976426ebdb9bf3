"""Inpainting Hub: image-inpainting models, one registry, one inference path.

>>> import inpainting
>>> model = inpainting.load_model("opencv-telea")
>>> result = inpainting.inpaint(model, "photo.jpg", "mask.png")   # mask: white (255) = hole
"""
from inpainting.hub import InpaintingModel, WeightsError
from inpainting.inference import STRATEGIES, inpaint
from inpainting.io import InputError
from inpainting.loading import ModelEntry, available_models, load_model
from inpainting.registry import (
    ArchitectureInfo,
    UnknownArchitectureError,
    create_model,
    get_architecture,
    list_architectures,
    register_model,
)

__version__ = "0.1.0"

__all__ = [
    "ArchitectureInfo",
    "InpaintingModel",
    "InputError",
    "ModelEntry",
    "STRATEGIES",
    "UnknownArchitectureError",
    "WeightsError",
    "available_models",
    "create_model",
    "get_architecture",
    "inpaint",
    "list_architectures",
    "load_model",
    "register_model",
]


def __getattr__(name):  # lazy submodules: inpainting.masks, inpainting.metrics
    if name in ("masks", "metrics"):
        import importlib

        return importlib.import_module(f"inpainting.{name}")
    raise AttributeError(f"module 'inpainting' has no attribute {name!r}")
