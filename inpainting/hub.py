"""The base class every model family derives from: ``nn.Module`` + ``PyTorchModelHubMixin``.

What it adds to the mixin:

* ``config.json`` records ``architecture`` (the registry name) so :func:`inpainting.load_model`
  can pick the class, and an optional ``inpainting_hub`` block (description, training data,
  resolution, domain) that :func:`inpainting.available_models` shows;
* loading is strict (every weight present, none unexpected) and only from safetensors;
* a model card template naming the family, its paper and its config.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError
from safetensors import SafetensorError
from torch import nn

__all__ = ["InpaintingModel", "WeightsError", "HUB_METADATA_KEY", "MODEL_CARD_TEMPLATE"]

HUB_METADATA_KEY = "inpainting_hub"
SAFETENSORS_NAME = "model.safetensors"

MODEL_CARD_TEMPLATE = """---
{{ card_data }}
---

# {{ title | default("Inpainting Hub model", true) }}

{{ description | default("An image-inpainting model from Inpainting Hub.", true) }}

- Architecture: `{{ architecture | default("unknown", true) }}` (Inpainting Hub registry name)
- Paper: {{ paper_url | default("n/a", true) }}
- Code: {{ repo_url | default("n/a", true) }}

## Use

```python
import inpainting
model = inpainting.load_model("{{ repo_id | default("path/to/this/folder", true) }}")
result = inpainting.inpaint(model, "photo.png", "mask.png")  # mask: white (255) = hole
```

{{ training | default("", true) }}

{{ evaluation | default("", true) }}
"""


class WeightsError(RuntimeError):
    """Weights that are missing, not safetensors, or do not match the model's config."""


class InpaintingModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="inpainting-hub",
    tags=["inpainting", "image-inpainting"],
    pipeline_tag="image-to-image",
    license="mit",
    model_card_template=MODEL_CARD_TEMPLATE,
):
    """Base of every Inpainting Hub model.

    Contract (see STYLE.md): ``forward(image, mask) -> image`` with ``image`` ``B×3×H×W`` in
    [0, 1] and ``mask`` ``B×1×H×W`` in {0, 1}, 1 = hole. The known pixels are pasted back by
    the inference path, not by the model. Subclasses are registered with
    :func:`inpainting.registry.register_model`, which sets ``architecture``, ``native_size``
    and ``pad_multiple``.
    """

    architecture: str = ""
    native_size: int | None = None
    pad_multiple: int = 1
    blind: bool = False
    # The largest side the inference path runs the model at (see inpainting.inference.work_limit):
    # None = twice the working size; a checkpoint records a measured one as inpainting_hub.max_side.
    max_side: int | None = None

    def unreached(self, mask: torch.Tensor) -> torch.Tensor | None:
        """Where the network would give no fill for the hole ``mask`` (B×1×H×W, 1 = hole, as
        :meth:`forward` gets it): B×1×H×W, 1 = a hole pixel no known pixel reaches (a
        partial-convolution network's running mask is still a hole there, so it comes out as one
        flat colour). None = every pixel gets a fill (a plain convolutional network). The inference
        path runs a model smaller until no hole pixel is unreached (:func:`inpainting.inference.reach_side`)."""
        return None

    # ------------------------------------------------------------------ saving
    def save_pretrained(self, save_directory: str | Path, *, metadata: dict[str, Any] | None = None,
                        model_card_kwargs: dict[str, Any] | None = None, **kwargs: Any):
        """Write ``config.json`` (init arguments + ``architecture`` [+ metadata]),
        ``model.safetensors`` and a model card ``README.md``.

        Args:
            save_directory: folder to write.
            metadata: free-form, JSON-serialisable facts shown by ``available_models()``
                (``description``, ``dataset``, ``resolution``, ``domain``, ...).
            model_card_kwargs: extra fields for the model card template
                (``title``, ``description``, ``training``, ``evaluation``).
        """
        config = dict(self._hub_mixin_config or {})
        config["architecture"] = self.architecture
        if metadata:
            config[HUB_METADATA_KEY] = metadata
        card_kwargs = {"architecture": self.architecture, "title": self.architecture}
        if metadata and "description" in metadata:
            card_kwargs["description"] = metadata["description"]
        card_kwargs.update(model_card_kwargs or {})
        return super().save_pretrained(save_directory, config=config, model_card_kwargs=card_kwargs, **kwargs)

    # ----------------------------------------------------------------- loading
    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        config: dict | None = None,
        **model_kwargs: Any,
    ):
        """Strict, safetensors-only loading (the mixin's default is lenient and may unpickle)."""
        if config is not None:
            recorded = config.get("architecture")
            if recorded and cls.architecture and recorded != cls.architecture:
                raise WeightsError(
                    f"{model_id}: config.json is for architecture {recorded!r}, not {cls.architecture!r}; "
                    "use inpainting.load_model() to pick the right class"
                )
        model = cls(**model_kwargs)
        if os.path.isdir(model_id):
            model_file = os.path.join(model_id, SAFETENSORS_NAME)
            if not os.path.isfile(model_file):
                raise WeightsError(
                    f"{model_id}: no {SAFETENSORS_NAME} in this folder (only safetensors weights are loaded, never pickle)"
                )
        else:
            try:
                model_file = hf_hub_download(
                    repo_id=model_id, filename=SAFETENSORS_NAME, revision=revision, cache_dir=cache_dir,
                    force_download=force_download, token=token, local_files_only=local_files_only,
                )
            except EntryNotFoundError:
                raise WeightsError(
                    f"{model_id}: the repository has no {SAFETENSORS_NAME} (only safetensors weights are loaded, never pickle)"
                ) from None
        try:
            model = cls._load_as_safetensor(model, model_file, map_location, strict)
        except SafetensorError as err:  # truncated, corrupt or not a safetensors file at all
            raise WeightsError(
                f"{model_id}: {SAFETENSORS_NAME} is not a readable safetensors file ({err}); "
                "download or save the model again"
            ) from None
        except RuntimeError as err:  # size mismatch, missing or unexpected keys
            raise WeightsError(f"{model_id}: the weights do not match the config: {err}") from err
        measured = ((config or {}).get(HUB_METADATA_KEY) or {}).get("max_side")
        if measured:
            model.max_side = int(measured)
        return model

    # ------------------------------------------------------------------- helpers
    @property
    def device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        for tensor in self.buffers():
            return tensor.device
        return torch.device("cpu")

    @property
    def config(self) -> dict[str, Any]:
        """The init arguments (what ``config.json`` records, less ``architecture``)."""
        return dict(self._hub_mixin_config or {})


def read_config(folder: str | Path) -> dict[str, Any]:
    """``config.json`` of a saved model folder, with a clear error when absent or unreadable."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise WeightsError(f"{folder}: no config.json (not a folder written by save_pretrained)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise WeightsError(f"{path}: not valid JSON ({err})") from err
