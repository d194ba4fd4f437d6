"""Invariants every scenario shares."""

from __future__ import annotations

from collections.abc import Callable

from sut.engine.result import Result, Violation, WorkerOutcome


def clean_exit(result: Result, *,
               waiting_for: Callable[[WorkerOutcome], str] | None = None) -> list[Violation]:
    """Every worker finished on its own with exit code 0 and no traceback.

    A worker still alive at the deadline, or stuck in a deadlock, breaks
    ``no-hang``; ``waiting_for`` may add what it was waiting for, as the scenario can tell from the
    events (``", waiting for EOF after message 2"``). Any other bad end breaks
    ``clean-exit``. A worker the run killed on purpose (``injected``) is
    exempt: its death is the fault under test, not a failure of the program.
    """
    violations = []
    for outcome in result.workers:
        if outcome.status == "ok" or outcome.injected:
            continue
        if outcome.status == "deadlocked":  # the model already said what it waits for
            violations.append(Violation("no-hang", outcome.describe()))
        elif outcome.status == "hung":
            waiting = waiting_for(outcome) if waiting_for is not None else ""
            violations.append(Violation("no-hang", outcome.describe() + waiting))
        else:
            violations.append(Violation("clean-exit", outcome.describe()))
    return violations


def _worker_order(name: str) -> tuple[str, int]:
    role, _, number = name.rpartition(" ")
    return (role, int(number)) if number.isdigit() else (name, -1)


def listing(items: list[str]) -> str:
    """``a``; ``a and b``; ``a, b and c`` - in the order given."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def numbers(values: list[int]) -> str:
    """``none``; ``0``; ``0 and 1``; ``0, 2 and 1`` - in the order given."""
    return listing([str(value) for value in values]) or "none"


def names(workers: list[str]) -> str:
    """``buyer 0 and buyer 1``; ``a, b and c`` - in worker order, whatever the input's."""
    return listing(sorted(workers, key=_worker_order))


def amount(count: int, noun: str) -> str:
    """``1 ticket``, ``2 tickets``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
