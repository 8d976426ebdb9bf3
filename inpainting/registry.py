"""The one registry of model families.

A family is registered once, by the :func:`register_model` decorator beside its class. The app,
the command lines, the training recipes, the evaluation and the tests all read this registry;
no family name is repeated in lists elsewhere (as in timm's ``register_model``).

A model's working size (``native_size``: the side it was trained at, from which the inference path
chooses the scale to run it at) is a config argument like any other, so it is declared once, as the
``native_size`` default of the family's ``__init__``; :attr:`ArchitectureInfo.native_size` reads
that default, and presets do not set it (a preset is an architecture, not a training size). A
trained model's own working size is the size it was trained at: the trainer passes its recipe's
``size`` as ``native_size``, so ``config.json`` records it. Classical methods take no
``native_size`` and have none (``None``: any size).
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = [
    "ArchitectureInfo",
    "UnknownArchitectureError",
    "register_model",
    "get_architecture",
    "list_architectures",
    "create_model",
    "UnknownNameError",
    "lookup",
]


class UnknownNameError(KeyError, ValueError):
    """A name that a name-to-object table (masks, losses, optimisers, discriminators, ...) does not
    hold. A ``KeyError`` and a ``ValueError``, so callers catching either see it."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


def lookup(table, name, what: str, hint: str = ""):
    """``table[name]``, or :class:`UnknownNameError` "unknown WHAT 'NAME'; known: A, B, ..." (the one
    message shape of every name table in the project)."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown {what} {name!r}; known: {', '.join(sorted(map(str, table)))}"
                               + (f" ({hint})" if hint else "")) from None


class UnknownArchitectureError(KeyError):
    """Raised for an architecture (or preset) name the registry does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ArchitectureInfo:
    """What the registry knows about one family.

    Attributes:
        name: registry name, written as ``architecture`` into every ``config.json``.
        cls: the ``nn.Module`` class.
        description: one line: what the family is and where it comes from.
        native_size: the family's default working size, read from the ``native_size`` default of
            ``cls.__init__`` (``None``: any size, e.g. OpenCV); see the module docstring.
        pad_multiple: inputs are padded to a multiple of this before the forward pass.
        presets: named configurations (keyword arguments of ``cls``).
        default_preset: preset used by :func:`create_model` when none is given.
        kind: ``"learned"`` or ``"classical"``.
        blind: ``True`` when the model does not see the mask.
    """

    name: str
    cls: type
    description: str
    pad_multiple: int
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_preset: str | None = None
    kind: str = "learned"
    blind: bool = False

    @property
    def native_size(self) -> int | None:
        return _native_size_default(self.cls)

    def preset_config(self, preset: str | None) -> dict[str, Any]:
        """A copy of the named preset's keyword arguments (``None``: the default preset)."""
        preset = preset if preset is not None else self.default_preset
        if preset is None:
            return {}
        if preset not in self.presets:
            raise UnknownArchitectureError(
                f"Unknown preset {preset!r} for architecture {self.name!r}; "
                f"known presets: {', '.join(sorted(self.presets)) or '(none)'}"
            )
        return copy.deepcopy(self.presets[preset])


_REGISTRY: dict[str, ArchitectureInfo] = {}


def _native_size_default(cls: type) -> int | None:
    """The ``native_size`` default of ``cls.__init__`` (``None`` when it takes no such argument)."""
    param = inspect.signature(cls.__init__).parameters.get("native_size")
    return None if param is None else param.default


def register_model(
    name: str,
    *,
    description: str,
    pad_multiple: int = 1,
    presets: dict[str, dict[str, Any]] | None = None,
    default_preset: str | None = None,
    kind: str = "learned",
    blind: bool = False,
) -> Callable[[type], type]:
    """Class decorator registering a model family under ``name``.

    The class gets ``architecture``, ``native_size`` (its ``__init__`` default, see the module
    docstring) and ``pad_multiple`` class attributes; a model overrides the last two per instance
    (its configured ``native_size``; a ``pad_multiple`` that depends on its depth). A learned family
    must take ``native_size: int`` with an int default; no preset may set it.
    """
    if kind not in ("learned", "classical"):
        raise ValueError(f"kind must be 'learned' or 'classical', got {kind!r}")
    presets = dict(presets or {})
    if default_preset is not None and default_preset not in presets:
        raise ValueError(f"default_preset {default_preset!r} is not one of the presets of {name!r}")

    def decorator(cls: type) -> type:
        if name in _REGISTRY and _REGISTRY[name].cls is not cls:
            raise ValueError(f"Architecture {name!r} is already registered by {_REGISTRY[name].cls.__qualname__}")
        default_size = _native_size_default(cls)
        if kind == "learned" and not isinstance(default_size, int):
            raise ValueError(f"{cls.__qualname__} ({name!r}) must take `native_size: int = <default working size>` "
                             "in __init__ and set self.native_size: the size it is trained at, recorded in config.json")
        in_presets = sorted(preset for preset, config in presets.items() if "native_size" in config)
        if in_presets:
            raise ValueError(f"preset(s) {', '.join(in_presets)} of {name!r} set native_size; the working size is the "
                             "__init__ default, and a trained model's is the size it was trained at")
        cls.architecture = name
        cls.native_size = default_size
        cls.pad_multiple = pad_multiple
        cls.blind = blind
        _REGISTRY[name] = ArchitectureInfo(
            name=name,
            cls=cls,
            description=description,
            pad_multiple=pad_multiple,
            presets=presets,
            default_preset=default_preset,
            kind=kind,
            blind=blind,
        )
        return cls

    return decorator


def _ensure_loaded() -> None:
    # Importing the models package runs every family's decorator.
    import inpainting.models  # noqa: F401


def get_architecture(name: str) -> ArchitectureInfo:
    """The registry entry for ``name``, or a clear error naming the known architectures."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownArchitectureError(
            f"Unknown architecture {name!r}; known architectures: {', '.join(sorted(_REGISTRY))}"
        ) from None


def list_architectures(kind: str | None = None) -> list[ArchitectureInfo]:
    """Every registered family (optionally only ``"learned"`` or ``"classical"``), sorted by name."""
    _ensure_loaded()
    infos = sorted(_REGISTRY.values(), key=lambda info: info.name)
    return [info for info in infos if kind is None or info.kind == kind]


def create_model(architecture: str, preset: str | None = None, **config: Any):
    """A new, untrained model of ``architecture``: the preset's config updated by ``config``.

    Follows timm's ``create_model``: ``create_model("pconv-unet", "tiny", norm="none")``.
    """
    info = get_architecture(architecture)
    kwargs = info.preset_config(preset)
    kwargs.update(config)
    return info.cls(**kwargs)
