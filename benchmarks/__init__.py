"""Benchmark scripts (run from the repository root as ``python -m benchmarks.<name>``); they print figures, they are not tests."""
