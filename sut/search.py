"""The search for the smallest input on which a program breaks an invariant.

A derandomized Hypothesis ``find`` with no example database: every search
starts cold and walks the same path, so the same minimum comes out every
time, on every machine - as long as a run is a function of its input (a
schedule, or a script with nothing left to timing). Imported only where a
search runs: worker processes never load Hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from typing import TypeVar

from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from .runtime.result import Result, Violation

Input = TypeVar("Input", bound=Hashable)


def minimal(evaluate: Callable[[Input], tuple[Result, list[Violation]]],
            space: st.SearchStrategy[Input], *, invariants: Collection[str] | None = None,
            max_examples: int = 100) -> tuple[Input, Result, list[Violation]]:
    """The smallest input drawn from ``space`` on which ``evaluate`` breaks an invariant.

    Only ``invariants`` count, if given, and only theirs are returned with the run.

    Raises:
        hypothesis.errors.NoSuchExample: nothing broke in ``max_examples``
            tries - for a broken variant, the suite lost sight of its bug.
    """
    runs: dict[Input, tuple[Result, list[Violation]]] = {}

    def breaks(drawn: Input) -> bool:
        result, violations = evaluate(drawn)
        violations = [v for v in violations if invariants is None or v.invariant in invariants]
        runs[drawn] = (result, violations)
        return bool(violations)

    search = settings(database=None, derandomize=True, max_examples=max_examples,
                      deadline=None, phases=(Phase.generate, Phase.shrink))
    found = find(space, breaks, settings=search)
    return (found, *runs[found])
