"""``load_model``: one loader for a shipped checkpoint name, a classical method, a local folder or a
Hub repo id; and ``available_models`` listing the names it accepts on their own."""
from __future__ import annotations

import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inpainting.hub import HUB_METADATA_KEY, WeightsError, read_config
from inpainting.registry import UnknownArchitectureError, create_model, get_architecture, list_architectures

__all__ = ["ModelEntry", "RENAMED", "REPLACED", "available_models", "canonical_name", "checkpoints_dir", "load_model",
           "local_model_folder", "resolve_device"]

#: Shipped checkpoints that were renamed: old name -> current name (the old names keep loading, with a notice).
RENAMED = {
    # a PConv U-Net with Liu et al.'s loss trained on CelebA faces, not on Places
    "pconv-unet-places-baseline": "pconv-unet-liu-celeba",
}

#: Shipped checkpoints replaced by the same recipe trained on other data: old name -> replacement.
#: The old names load the replacement, with a notice that says so (the Places reports' pairs, first
#: trained on faces or on 162 scene photos, are trained on 9,000 photos since issue 14).
REPLACED = {
    "pconv-rn-gan-celeba": "pconv-rn-gan-photos",
    "unet-mse-scenes": "unet-mse-photos",
    "two-stage-gan-scenes": "two-stage-gan-photos",
}

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def checkpoints_dir() -> Path:
    """Folder of the shipped checkpoints: ``$INPAINTING_CHECKPOINTS``; else ``<repo>/checkpoints``
    in a source checkout; else the ``inpainting_checkpoints`` data package that ``pip install .``
    installs beside the library."""
    env = os.environ.get("INPAINTING_CHECKPOINTS")
    if env:
        return Path(env)
    source = Path(__file__).resolve().parent.parent / "checkpoints"
    if source.is_dir():
        return source
    spec = importlib.util.find_spec("inpainting_checkpoints")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return source


@dataclass(frozen=True)
class ModelEntry:
    """One name :func:`load_model` accepts on its own, with what a front end shows and ranks by.

    Attributes:
        name, description: the name to load and a one-line description.
        kind: ``"learned"`` or ``"classical"``.
        architecture: the registry family.
        domain: ``"faces"``, ``"scenes"``, ``"photos"``, ``"objects"``; None = any (classical).
        native_size: the side the model was trained at (None for classical methods).
        evaluation: the checkpoint's evaluation summary (``set``, ``psnr``, ``ssim``, ...), if any.
        rank: an explicit preference among models of a domain (lower first), if the card sets one.
    """

    name: str
    description: str
    kind: str  # "learned" or "classical"
    architecture: str
    domain: str | None = None  # e.g. "faces", "scenes", "objects"; None = any
    native_size: int | None = None
    evaluation: dict[str, Any] | None = field(default=None, compare=False)
    rank: float | None = None

    def __iter__(self):  # allows ``for name, description in available_models()``
        return iter((self.name, self.description))


def _describe_checkpoint(folder: Path, config: dict[str, Any]) -> str:
    meta = config.get(HUB_METADATA_KEY) or {}
    if meta.get("description"):
        return str(meta["description"])
    parts = [config.get("architecture", "?")]
    if meta.get("dataset"):
        parts.append(f"trained on {meta['dataset']}")
    if meta.get("resolution"):
        parts.append(f"{meta['resolution']} px")
    return ", ".join(parts)


def available_models() -> list[ModelEntry]:
    """Shipped checkpoints (``checkpoints/<name>/``) then the classical methods, with one-line
    descriptions (family, training data, resolution)."""
    entries: list[ModelEntry] = []
    root = checkpoints_dir()
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if (p / "config.json").is_file()):
            try:
                config = json.loads((folder / "config.json").read_text())
            except json.JSONDecodeError:
                continue
            meta = config.get(HUB_METADATA_KEY) or {}
            entries.append(
                ModelEntry(
                    name=folder.name,
                    description=_describe_checkpoint(folder, config),
                    kind="learned",
                    architecture=str(config.get("architecture", "")),
                    domain=meta.get("domain"),
                    native_size=config.get("native_size"),
                    evaluation=meta.get("evaluation") if isinstance(meta.get("evaluation"), dict) else None,
                    rank=meta.get("rank") if isinstance(meta.get("rank"), (int, float)) else None,
                )
            )
    for info in list_architectures(kind="classical"):
        entries.append(ModelEntry(name=info.name, description=info.description, kind="classical", architecture=info.name))
    return entries


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as given, else CUDA when available, else CPU; a clear error for an unusable one."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {device!r}; accepted: cpu, cuda, cuda:N, mps, auto") from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available here; use 'cpu'")
    return resolved


def _class_for(config: dict[str, Any], source: str):
    architecture = config.get("architecture")
    if not architecture:
        raise WeightsError(f"{source}: config.json has no 'architecture' entry, so the model class is unknown")
    try:
        return get_architecture(architecture).cls
    except UnknownArchitectureError as err:
        raise UnknownArchitectureError(f"{source}: {err}") from None


def canonical_name(name: str, *, notice: bool = True, replacements: bool = True) -> str:
    """The current name of a shipped checkpoint called ``name`` before a rename (:data:`RENAMED`) or a
    replacement (:data:`REPLACED`), with a short ``FutureWarning``; any other name unchanged. A folder
    of the old name in the checkpoints folder (a user's own) wins. ``replacements=False``: renames
    only (results recorded under a replaced name are another model's, not the replacement's)."""
    new = RENAMED.get(name) or (REPLACED.get(name) if replacements else None)
    if new is None or (checkpoints_dir() / name / "config.json").is_file():
        return name
    if notice:
        import warnings

        if name in RENAMED:
            message = f"model {name!r} is now called {new!r}; loading {new!r} (the old name will keep working)"
        else:
            message = (f"model {name!r} was replaced by {new!r}, the same recipe trained on real photos; loading "
                       f"{new!r} (the old weights are in the repository's history)")
        warnings.warn(message, FutureWarning, stacklevel=3)
    return new


def local_model_folder(spec: str | os.PathLike) -> Path | None:
    """The folder on this machine that :func:`load_model` reads for ``spec`` (a shipped name or a
    ``save_pretrained`` folder); None for classical methods, Hub repo ids and unknown names."""
    text = canonical_name(os.fspath(spec), notice=False)
    shipped = checkpoints_dir() / text
    if "/" not in text and "\\" not in text and (shipped / "config.json").is_file():
        return shipped
    if (Path(text) / "config.json").is_file():
        return Path(text)
    return None


def load_model(spec: str | os.PathLike, device: str | torch.device | None = None, **hub_kwargs: Any):
    """A model in eval mode on ``device`` (CUDA when available and not overridden).

    ``spec`` is, in the order tried:

    1. a classical method name (``opencv-telea``, ``opencv-ns``);
    2. a shipped checkpoint name, a folder ``checkpoints/<name>/`` (a renamed one's old name, with a
       notice: :data:`RENAMED`);
    3. a local folder written by ``save_pretrained``;
    4. a Hub repo id ``org/name`` (``hub_kwargs`` such as ``revision``, ``cache_dir``, ``token`` are
       passed to the download; offline mode uses the local Hugging Face cache).

    Loading is strict and safetensors-only; a config naming an unregistered architecture is
    refused with the list of known ones.
    """
    target = resolve_device(device)
    text = canonical_name(os.fspath(spec))
    classical = {info.name for info in list_architectures(kind="classical")}
    if text in classical:
        return create_model(text).to(target).eval()

    folder = local_model_folder(text) or (Path(text) if Path(text).is_dir() else None)

    if folder is not None:
        cls = _class_for(read_config(folder), str(folder))
        model = cls.from_pretrained(str(folder), map_location="cpu")
    elif _REPO_ID.match(text) and not Path(text).exists():
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError

        try:
            config_file = hf_hub_download(repo_id=text, filename="config.json", **hub_kwargs)
        except (EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError, OSError) as err:
            raise WeightsError(
                f"could not get config.json of Hub repo {text!r} ({err.__class__.__name__}); check the repo id, "
                "your network, or that it is in the local Hugging Face cache when offline"
            ) from None
        config = json.loads(Path(config_file).read_text())
        cls = _class_for(config, text)
        model = cls.from_pretrained(text, map_location="cpu", **hub_kwargs)
    else:
        names = [entry.name for entry in available_models()]
        shown = ", ".join(names[:6]) + (f", … {len(names) - 6} more: inpainting.available_models()" if len(names) > 6 else "")
        raise WeightsError(
            f"unknown model {text!r}: not a shipped or classical name ({shown}), "
            "not a folder with config.json, and not a Hub repo id of the form org/name"
        )
    return model.to(target).eval()
