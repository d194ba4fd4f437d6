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


def _worker_order(name: str) -> tuple[str, int]:
    role, _, number = name.rpartition(" ")
    return (role, int(number)) if number.isdigit() else (name, -1)


def names(workers: list[str]) -> str:
    """``buyer 0 and buyer 1``; ``a, b and c`` - in worker order, whatever the input's."""
    ordered = sorted(workers, key=_worker_order)
    if len(ordered) <= 1:
        return "".join(ordered)
    return ", ".join(ordered[:-1]) + " and " + ordered[-1]


def amount(count: int, noun: str) -> str:
    """``1 ticket``, ``2 tickets``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
