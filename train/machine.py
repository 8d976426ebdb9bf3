"""Which processor a figure was measured on, named so that figures from different machines can be told apart.

Wall times and speeds in model cards, benchmarks and ``docs/measurements`` depend on the CPU more than on
anything the project controls: this project's sessions have run on 2-core AMD EPYCs with and without
AVX-512 BF16, and the same training step took 0.74 s on one and 2.6 s on the other (float32 there, since
PyTorch's bf16 convolutions are slow without native bf16). A virtual machine's ``model name`` often says
only "AMD EPYC", so :func:`cpu_label` adds the CPU family and model numbers and the instruction sets that
decide PyTorch's speed::

    AMD EPYC (family 23, model 1; AVX2, no AVX-512, no native bf16)

Linux only reads ``/proc/cpuinfo``; elsewhere the label is what :mod:`platform` knows.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuInfo", "cpu_info", "cpu_label", "cpu_has_native_bf16"]

CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class CpuInfo:
    """The first processor of ``/proc/cpuinfo``: its name, family and model numbers and its flags."""

    name: str
    family: int | None = None
    model: int | None = None
    flags: frozenset[str] = frozenset()

    @property
    def native_bf16(self) -> bool:
        """bf16 arithmetic in hardware (AVX-512 BF16 or AMX), where bf16 autocast pays off."""
        return "avx512_bf16" in self.flags or "amx_bf16" in self.flags

    @property
    def vector_isa(self) -> str:
        """The widest vector instruction set: AVX-512, AVX2, AVX or none known."""
        if "avx512f" in self.flags:
            return "AVX-512"
        if "avx2" in self.flags:
            return "AVX2, no AVX-512"
        if "avx" in self.flags:
            return "AVX, no AVX2"
        return "no AVX"

    def label(self) -> str:
        if not self.flags and self.family is None:
            return self.name  # nothing more is known (not Linux, or an unreadable cpuinfo)
        generation = [f"family {self.family}"] if self.family is not None else []
        generation += [f"model {self.model}"] if self.model is not None else []
        features = [self.vector_isa, "native bf16" if self.native_bf16 else "no native bf16"]
        return f"{self.name} ({', '.join(generation)}{'; ' if generation else ''}{', '.join(features)})"


def _fallback_name() -> str:
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_info(text: str | None = None) -> CpuInfo:
    """Parse ``text`` (default: this machine's ``/proc/cpuinfo``) into a :class:`CpuInfo`; only the first
    processor's block counts (the others repeat it). Without a readable cpuinfo: the platform's name, no
    flags."""
    if text is None:
        try:
            text = CPUINFO.read_text()
        except OSError:
            return CpuInfo(_fallback_name())
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the end of the first processor's block
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())

    def number(key: str) -> int | None:
        try:
            return int(fields[key])
        except (KeyError, ValueError):
            return None

    return CpuInfo(name=fields.get("model name") or _fallback_name(), family=number("cpu family"),
                   model=number("model"), flags=frozenset(fields.get("flags", "").split()))


def cpu_label() -> str:
    """This machine's processor, e.g. ``AMD EPYC (family 23, model 1; AVX2, no AVX-512, no native bf16)``."""
    return cpu_info().label()


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX; Linux ``/proc/cpuinfo`` flags)."""
    return cpu_info().native_bf16
