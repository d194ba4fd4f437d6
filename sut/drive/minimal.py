"""The search for the smallest input on which a program breaks an invariant.

:func:`minimal` is a derandomized Hypothesis ``find`` with no example
database: every search starts cold and walks the same path, so the same
minimum comes out every time, on every machine - as long as a run is a
function of its input (a schedule, or a script with nothing left to timing).

:func:`minimal_schedule` is that search over a configuration and a schedule
- a list of worker indices, one per decision of the coordinator. Hypothesis
shrinks a breaking pair to the smallest it can: fewer workers, then fewer and
earlier context switches (a schedule that shrinks to zeros is mostly the
default; the run reports the shortest schedule that replays it). That is a
local minimum: a smaller configuration may break on a schedule no shrink
reaches. :mod:`sut.drive.smallest` walks a small space smallest first instead,
and draws only where exploring is out of its budget.

Imported only where a search runs: worker processes never load Hypothesis.

Example:
    params, result, violations = minimal_schedule(evaluate, ticket_params,
                                                  workers=3, decisions=20)
    print(result.schedule)  # the schedule that replays it: (0, 0, 1, 0)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from typing import Any, TypeVar

from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from sut.engine.probe import Schedule
from sut.engine.result import Result, Violation

Input = TypeVar("Input", bound=Hashable)
Evaluate = Callable[[Any, Schedule], tuple[Result, list[Violation]]]


def counted(violations: list[Violation],
            invariants: Collection[str] | None) -> list[Violation]:
    """The ``violations`` of ``invariants`` (every one, if None): those a search counts."""
    return [v for v in violations if invariants is None or v.invariant in invariants]


def minimal(evaluate: Callable[[Input], tuple[Result, list[Violation]]],
            space: st.SearchStrategy[Input], *, invariants: Collection[str] | None = None,
            max_examples: int = 100, shrink: bool = True,
            ) -> tuple[Input, Result, list[Violation]]:
    """The smallest input drawn from ``space`` on which ``evaluate`` breaks an invariant.

    Only ``invariants`` count, if given, and only theirs are returned with the
    run - the last run of the input found (Hypothesis runs it again to confirm
    it). ``shrink=False`` returns the first breaking input drawn, as drawn:
    for asking whether a program breaks at all.

    Raises:
        hypothesis.errors.NoSuchExample: nothing broke in ``max_examples``
            tries - for a broken variant, the suite lost sight of its bug.
    """
    runs: dict[Input, tuple[Result, list[Violation]]] = {}

    def breaks(drawn: Input) -> bool:
        result, violations = evaluate(drawn)
        runs[drawn] = (result, counted(violations, invariants))
        return bool(runs[drawn][1])

    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
    search = settings(database=None, derandomize=True, max_examples=max_examples,
                      deadline=None, phases=phases)
    found = find(space, breaks, settings=search)
    return (found, *runs[found])


def minimal_schedule(evaluate: Evaluate, params: st.SearchStrategy[Any], *, workers: int,
                     decisions: int, invariants: Collection[str] | None = None,
                     max_examples: int = 100) -> tuple[Any, Result, list[Violation]]:
    """The smallest configuration and schedule on which ``evaluate`` breaks an invariant.

    ``evaluate(params, schedule)`` runs one configuration by one schedule
    and checks it. A drawn schedule is ``relative`` (each entry picks among
    the workers that can go on, 0 being the default), its entries below
    ``workers``, and it covers at least ``decisions`` decisions - a short
    list would leave most of a run to the default, and most races unseen.
    Only ``invariants`` count, if given. Returns the params, the run (its
    ``schedule`` is the shortest that replays it) and its violations.

    Raises:
        ValueError: ``workers`` or ``decisions`` is below 1.
        hypothesis.errors.NoSuchExample: nothing broke in ``max_examples``
            tries - for a broken variant, the suite lost sight of its bug.
    """
    if workers < 1 or decisions < 1:
        raise ValueError(f"workers and decisions must be >= 1, got {workers} and {decisions}")
    schedules = st.lists(st.integers(0, workers - 1), min_size=decisions,
                         max_size=2 * decisions).map(tuple)

    def run(trial: tuple[Any, tuple[int, ...]]) -> tuple[Result, list[Violation]]:
        return evaluate(trial[0], Schedule(trial[1], relative=True))

    (found, _), result, violations = minimal(run, st.tuples(params, schedules),
                                            invariants=invariants, max_examples=max_examples)
    return found, result, violations
