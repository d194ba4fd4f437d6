"""Invariants every scenario shares."""

from __future__ import annotations

from .result import Result, Violation


def clean_exit(result: Result) -> list[Violation]:
    """Every worker finished on its own with exit code 0 and no traceback.

    A worker the run killed on purpose (``injected``) is exempt: its death is
    the fault under test, not a failure of the program.
    """
    return [Violation("clean-exit", outcome.describe())
            for outcome in result.workers
            if outcome.status != "ok" and not outcome.injected]


def names(workers: list[str]) -> str:
    """``buyer 0 and buyer 1``; ``a, b and c``."""
    if len(workers) <= 1:
        return "".join(workers)
    return ", ".join(workers[:-1]) + " and " + workers[-1]
