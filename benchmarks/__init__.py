"""Measurements of the suite, runnable with ``python -m benchmarks.<name>``."""
