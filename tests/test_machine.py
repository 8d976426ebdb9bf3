"""The processor label that model cards and benchmarks record (train/machine.py)."""
from __future__ import annotations

import pytest
import torch

from train import machine, trainer
from train.machine import CpuInfo, cpu_info

_FLAGS_ZEN1 = "fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni"
_FLAGS_ZEN4 = _FLAGS_ZEN1 + " avx512f avx512dq avx512bw avx512vl avx512_bf16 avx512_vnni"


def _cpuinfo(*blocks: tuple[str, int, int, str]) -> str:
    return "\n".join(f"processor\t: {i}\nvendor_id\t: AuthenticAMD\ncpu family\t: {family}\nmodel\t\t: {model}\n"
                     f"model name\t: {name}\nflags\t\t: {flags}\n"
                     for i, (name, family, model, flags) in enumerate(blocks))


def test_a_cpu_without_avx512_is_told_apart_from_one_with_native_bf16():
    old = cpu_info(_cpuinfo(("AMD EPYC", 23, 1, _FLAGS_ZEN1)))
    new = cpu_info(_cpuinfo(("AMD EPYC", 25, 17, _FLAGS_ZEN4)))
    assert (old.family, old.model, old.native_bf16) == (23, 1, False)
    assert (new.family, new.model, new.native_bf16) == (25, 17, True)
    # The same "model name" (a virtual machine's), two labels.
    assert old.label() == "AMD EPYC (family 23, model 1; AVX2, no AVX-512, no native bf16)"
    assert new.label() == "AMD EPYC (family 25, model 17; AVX-512, native bf16)"
    amx = cpu_info(_cpuinfo(("Intel Xeon", 6, 143, _FLAGS_ZEN1 + " avx512f amx_bf16 amx_tile")))
    assert amx.native_bf16 and amx.label().endswith("AVX-512, native bf16)")


def test_only_the_first_processor_counts_and_the_flags_are_whole_words():
    text = _cpuinfo(("AMD EPYC", 23, 1, _FLAGS_ZEN1), ("Other", 25, 17, _FLAGS_ZEN4))
    info = cpu_info(text)
    assert info.name == "AMD EPYC" and not info.native_bf16 and "avx512f" not in info.flags
    # A flag that only starts like avx512_bf16 is not it.
    assert not cpu_info(_cpuinfo(("X", 6, 1, "avx2 avx512_bf16x"))).native_bf16


def test_without_a_readable_cpuinfo_the_label_is_the_platforms_name(tmp_path, monkeypatch):
    monkeypatch.setattr(machine, "CPUINFO", tmp_path / "missing")
    info = cpu_info()
    assert info.flags == frozenset() and info.family is None and not info.native_bf16
    assert info.label() == info.name and info.name
    # A cpuinfo without family or model numbers (as on ARM) still names what it knows.
    arm = cpu_info("processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n")
    assert arm.family is None and arm.label() == arm.name


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_follows_the_cpus_bf16(monkeypatch, native):
    flags = _FLAGS_ZEN4 if native else _FLAGS_ZEN1
    monkeypatch.setattr(machine, "cpu_info", lambda text=None: cpu_info(_cpuinfo(("AMD EPYC", 25, 17, flags))))
    assert machine.cpu_has_native_bf16() is native
    if not torch.cuda.is_available():
        assert trainer.resolve_precision("auto", "cpu") == ("bf16" if native else "no")
    assert machine.cpu_label().endswith("native bf16)" if native else "no native bf16)")


def test_the_label_of_a_known_cpu_is_built_from_its_parts():
    info = CpuInfo("Some CPU", family=6, model=85, flags=frozenset({"avx", "avx2"}))
    assert info.label() == "Some CPU (family 6, model 85; AVX2, no AVX-512, no native bf16)"
    assert CpuInfo("Old", family=6, model=15, flags=frozenset({"sse2"})).label() == \
        "Old (family 6, model 15; no AVX, no native bf16)"
