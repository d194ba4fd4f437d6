"""The hunt: every broken variant's minimal counterexample, searched one after the other.

The demo, the races document and the benchmarks look for the same thing:
for each broken variant, the smallest input on which it breaks the
invariants it is the classic example of breaking. A scenario with a
schedule mode has its small configurations explored smallest first, until
one breaks (:func:`sut.drive.smallest.smallest_schedule`); one without (the
chat) is searched once per search it declares, one per bug, over inputs with
nothing left to timing (:func:`sut.drive.minimal.minimal`). :func:`hunt`
makes the searches, and counts and times each.

Hypothesis is imported when a search starts, not with this module: the
command line reads what a scenario's searches are without it.

Example:
    for found in hunt(targets([sut.get("ticket")]), start_method="fork"):
        print(found.target.variant.name, found.params, found.runs, f"{found.seconds:.1f} s")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sut.drive import catalogue
from sut.engine.probe import Schedule
from sut.engine.result import Result, Violation
from sut.engine.scenario import Scenario, Schedules, Scripts, Search, Variant
from sut.engine.space import Space

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from sut.drive.smallest import Smallest

# What a search draws (as the tests do): schedules naming 3 workers, covering 20 decisions.
SEARCH_WORKERS, SEARCH_DECISIONS = 3, 20


@dataclass(frozen=True)
class Target:
    """One search: a broken variant and the invariants that count (None: any).

    ``space`` is where the inputs are drawn from, for a scenario with no
    schedule mode, and ``why`` says why the program breaks there; None: the
    scenario's small configurations, each run by drawn schedules.
    """

    scenario: Scenario
    variant: Variant
    invariants: Collection[str] | None = None
    space: SearchStrategy[Any] | None = None
    why: str = ""

    @property
    def named(self) -> str:
        """The invariants that count, by name: ``consistent-count, no-oversell``, or ``any``."""
        return ", ".join(sorted(self.invariants or {"any"}))


@dataclass(frozen=True)
class Found:
    """What one search found - the minimal input, its run and violations - and its cost.

    ``smallest`` says how a schedule search checked that no smaller
    configuration breaks (None: a search by script, which checks nothing more).
    """

    target: Target
    params: Any
    result: Result
    violations: list[Violation]
    runs: int
    seconds: float
    smallest: Smallest | None = None


# What the hunt reads of a scenario's contract, read here only: one place to change.

def unscheduled(scenario: Scenario) -> str | None:
    """Why ``scenario`` has no schedule mode, or None: it has one (it is searched over
    its small configurations and schedules, not over its declared searches)."""
    return scenario.search.why if isinstance(scenario.search, Scripts) else None


def scheduled(scenario: Scenario) -> bool:
    """Whether ``scenario`` is searched over schedules (else over its declared searches)."""
    return unscheduled(scenario) is None


def unhuntable(scenario: Scenario) -> str | None:
    """Why ``scenario`` cannot be searched at all (searched by script, it names no
    searches), or None if it can."""
    search = scenario.search
    return search.why if isinstance(search, Scripts) and not search.module else None


def small_space(scenario: Scenario) -> Space:
    """The small configurations ``scenario``, which has a schedule mode, is searched in."""
    if not isinstance(scenario.search, Schedules):
        raise ValueError(f"{scenario.name} has no schedule mode: {scenario.unscheduled}")
    return scenario.search.small


def whole_space(scenario: Scenario) -> SearchStrategy[Any]:
    """Every input of ``scenario``, which has no schedule mode: to try correct variants on."""
    return catalogue.searches(scenario).anything


def _shown(variant: Variant) -> Collection[str] | None:
    """The invariants ``variant`` is the classic example of breaking (None: any)."""
    return variant.shows or None


def _declared(scenario: Scenario) -> tuple[Search, ...]:
    """The searches ``scenario``, which has no schedule mode, declares: one per bug."""
    return catalogue.searches(scenario).breaking


def targets(scenarios: Iterable[Scenario] | None = None) -> list[Target]:
    """The searches for the broken variants of ``scenarios`` (default: the catalogue).

    A variant with a schedule mode is searched once, for the invariants it
    shows; one without, once per search its scenario declares.
    """
    found = []
    for scenario in catalogue.catalogue() if scenarios is None else scenarios:
        broken = [variant for variant in scenario.variants if variant.expected == "violates"]
        if scheduled(scenario):
            found += [Target(scenario, variant, _shown(variant)) for variant in broken]
            continue
        found += [Target(scenario, variant, {search.invariant}, search.space, search.why)
                  for variant in broken for search in _declared(scenario)]
    return found


def hunt(chosen: Iterable[Target], *, start_method: str,
         starting: Callable[[Target], None] = lambda target: None) -> Iterator[Found]:
    """Search each of ``chosen`` in turn, under ``start_method``; what each found.

    ``starting(target)`` is called before each search (to say what is coming).

    Raises:
        hypothesis.errors.NoSuchExample: a target never broke - the suite lost
            sight of its bug.
    """
    for target in chosen:
        starting(target)
        yield search(target, start_method=start_method)


def search(target: Target, *, start_method: str) -> Found:
    """One search for ``target``'s minimal counterexample, counted and timed."""
    from sut.drive.minimal import minimal  # Hypothesis: only to search
    from sut.drive.smallest import smallest_schedule

    runs = 0

    def evaluate(params: Any, schedule: Schedule | None = None,
                 ) -> tuple[Result, list[Violation]]:
        nonlocal runs
        runs += 1
        return target.scenario.evaluate(params, target.variant.name, start_method=start_method,
                                        schedule=schedule)

    began = time.monotonic()
    if target.space is not None:
        params, result, violations = minimal(evaluate, target.space,
                                             invariants=target.invariants)
        return Found(target, params, result, violations, runs, time.monotonic() - began)
    params, result, violations, smallest = smallest_schedule(
        evaluate, target.scenario.params, small_space(target.scenario),
        invariants=target.invariants, workers=SEARCH_WORKERS, decisions=SEARCH_DECISIONS)
    return Found(target, params, result, violations, runs, time.monotonic() - began, smallest)
