"""A model cache for front ends (the app, services): load each model once, keep the most recently
used ones within a count and a memory bound, share them safely between threads.

>>> cache = ModelCache(capacity=3, max_bytes=2 * 1024**3)
>>> model = cache.get("pconv-unet-photos")        # loaded on first use, then reused
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import torch

from inpainting.loading import load_model, resolve_device

__all__ = ["ModelCache", "model_bytes"]


def model_bytes(model) -> int:
    """Memory held by a model's parameters and buffers, in bytes (0 for classical methods)."""
    if not isinstance(model, torch.nn.Module):
        return 0
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


class ModelCache:
    """Models by name (anything :func:`inpainting.load_model` accepts), least recently used dropped first.

    Args:
        capacity (int): most models kept loaded. Default 3.
        max_bytes (int | None): most parameter and buffer memory kept loaded, in bytes; the model
            just asked for always stays, even when it alone is larger. None: no memory bound.
        device (str | torch.device | None): where models are loaded (None: CUDA when available).

    Two threads asking for the same name wait for one load; different names load in parallel.
    """

    def __init__(self, capacity: int = 3, *, max_bytes: int | None = None, device=None):
        self.capacity = max(1, int(capacity))
        self.max_bytes = None if max_bytes is None else int(max_bytes)
        self.device = resolve_device(device)
        self._models: OrderedDict[str, torch.nn.Module] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}

    def __contains__(self, name: str) -> bool:
        with self._lock:
            return name in self._models

    def names(self) -> list[str]:
        """Loaded model names, least recently used first."""
        with self._lock:
            return list(self._models)

    def loaded_bytes(self) -> int:
        with self._lock:
            return sum(model_bytes(m) for m in self._models.values())

    def get(self, name: str):
        """The model called ``name``, loaded on first use (errors as :func:`inpainting.load_model`)."""
        with self._lock:
            if name in self._models:
                self._models.move_to_end(name)
                return self._models[name]
            load_lock = self._load_locks.setdefault(name, threading.Lock())
        with load_lock:  # a second caller for the same name waits for the first load
            with self._lock:
                if name in self._models:
                    self._models.move_to_end(name)
                    return self._models[name]
            model = load_model(name, device=self.device)
            with self._lock:
                self._models[name] = model
                self._evict()
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            return model

    def _evict(self) -> None:
        """Drop the least recently used models beyond the count or the memory bound (lock held)."""
        while len(self._models) > self.capacity:
            self._models.popitem(last=False)
        if self.max_bytes is not None:
            while len(self._models) > 1 and sum(model_bytes(m) for m in self._models.values()) > self.max_bytes:
                self._models.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
