"""The smallest breaking configuration, checked: no smaller one breaks within a budget.

Hypothesis shrinks a breaking configuration and schedule together, and stops
where no change it tries still breaks: a local minimum. Three workers may
break on a schedule that shrinks well while two break only in one
interleaving that no shrink of that schedule reaches, and the search then
reports three. So once it has shrunk, every configuration of the small space
strictly smaller than the one found (in the order of :mod:`sut.drive.sizes`)
is checked, smallest first, by exploring every interleaving of it
(:mod:`sut.drive.explore`) within a budget of runs. The first that breaks is
the answer, its schedule searched again with its params fixed. One whose
interleavings outrun the budget is searched by as many drawn schedules
instead, and the answer is then only the smallest "among those searched".
:class:`Smallest` says which.

Imported only where a search runs: it loads Hypothesis.

Example:
    params, result, violations, smallest = smallest_schedule(
        evaluate, ticket.Params, {"buyers": (1, 3), "tickets": (0, 3)},
        workers=3, decisions=20)
    print(smallest.describe())  # smallest: every interleaving of the 5 smaller ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from sut.drive.explore import explore, unfingerprinted
from sut.drive.minimal import Evaluate, counted, minimal_schedule
from sut.drive.sizes import Configuration, configurations, continuous
from sut.drive.strategies import configs
from sut.engine.coordinator import fingerprinted
from sut.engine.probe import Schedule
from sut.engine.result import Result, Violation
from sut.engine.space import Space
from sut.engine.words import amount

# Runs for each smaller configuration: to explore it, or else to search it.
BUDGET = 100

Run = tuple[Result, list[Violation]]
Found = tuple[Any, Result, list[Violation]]  # params, the run, its violations
Search = Callable[[st.SearchStrategy[Any], int], Found]  # (params, tries): a schedule search


@dataclass(frozen=True)
class Smallest:
    """How a search checked that no configuration smaller than the one it found breaks.

    Of the ``smaller`` configurations in the small space, ``explored`` held in
    every interleaving (``runs`` runs in all); ``searched`` had more
    interleavings than ``budget`` runs and held on ``budget`` drawn schedules.
    ``continuous`` names a parameter whose values cannot be listed: then
    nothing was checked.
    """

    smaller: int = 0
    explored: int = 0
    searched: int = 0
    runs: int = 0
    budget: int = BUDGET
    continuous: str = ""

    @property
    def proved(self) -> bool:
        """Whether every smaller configuration was explored whole (none breaks)."""
        return not self.continuous and not self.searched

    def describe(self) -> str:
        """One line: ``smallest: every interleaving of the 3 smaller configurations
        explored (41 runs)``, or what was checked less than that."""
        if self.continuous:
            return f"smallest not checked: {self.continuous} is continuous"
        if not self.smaller:
            return "smallest: no smaller configuration exists"
        those = ("the only smaller configuration" if self.smaller == 1
                 else f"the {self.smaller} smaller configurations")
        if not self.searched:
            return f"smallest: every interleaving of {those} explored ({amount(self.runs, 'run')})"
        return (f"smallest among those searched: {self.explored} of "
                f"{amount(self.smaller, 'smaller configuration')} explored completely, "
                f"{self.searched} searched by {self.budget} schedules")


class _Runs:
    """``evaluate``, remembering every run by its schedule: a run is a function of its
    schedule, so none is run twice. A configuration's run by the default schedule
    counts the processes it starts, and is its exploration's first run.

    A relative schedule is the same run as another when it picks the same worker at
    every decision that run made: its entry at decision i (0 past its end) modulo the
    number of workers that could go on there. A search draws many such twins (entries
    past the last decision, or naming one of 3 workers where 2 could go on); they are
    answered by the run already made.
    """

    def __init__(self, evaluate: Evaluate) -> None:
        self._evaluate = evaluate
        self._runs: dict[Hashable, Run] = {}
        self._picks: dict[Any, list[tuple[tuple[int, ...], Run]]] = {}  # by params

    def __call__(self, params: Any, schedule: Schedule) -> Run:
        key = _key(params, schedule)
        known = self._runs.get(key)
        if known is None and schedule.relative:
            known = self._twin(params, schedule.schedule)
        # An exploration compares fingerprints: a search's run, which took none, will not do.
        if known is None or (fingerprinted() and unfingerprinted(known[0])):
            known = self._evaluate(params, schedule)
            if known[0].schedule == ():  # the shortest schedule that replays it: the default's
                self._runs[_key(params, Schedule())] = known
            if schedule.relative:
                self._picks.setdefault(params, []).append(
                    (_picks(schedule.schedule, known[0]), known))
        self._runs[key] = known
        return known

    def _twin(self, params: Any, entries: tuple[int, ...]) -> Run | None:
        """A run made by a relative schedule that picks as ``entries`` do, if any."""
        return next((run for picks, run in self._picks.get(params, ())
                     if _picks(entries, run[0]) == picks), None)

    def processes(self, params: Any) -> int:
        """How many processes a run of ``params`` starts (by the default schedule)."""
        return len(self(params, Schedule())[0].workers)


def _picks(entries: tuple[int, ...], result: Result) -> tuple[int, ...]:
    """What relative ``entries`` pick at each decision of ``result``: which of the workers
    that could go on there (the entry, 0 past the end, modulo their number)."""
    return tuple((entries[i] if i < len(entries) else 0) % len(step.choices)
                 for i, step in enumerate(result.steps))


def _key(params: Any, schedule: Schedule) -> Hashable:
    """What tells runs apart: the params, and the schedule less its relative zeros at the
    end (0 is the default's pick, as is every decision past the end)."""
    entries = schedule.schedule
    if schedule.relative:
        while entries and entries[-1] == 0:
            entries = entries[:-1]
    return params, schedule.relative and bool(entries), entries


def smallest_schedule(evaluate: Evaluate, params: type, small: Space, *, workers: int,
                      decisions: int, invariants: Collection[str] | None = None,
                      max_examples: int = 100, budget: int = BUDGET,
                      ) -> tuple[Any, Result, list[Violation], Smallest]:
    """:func:`sut.drive.minimal.minimal_schedule` over ``params`` built from ``small``,
    then every smaller configuration checked; see the module docstring.

    ``workers``, ``decisions``, ``invariants`` and ``max_examples`` are the
    schedule search's; ``budget`` bounds each smaller configuration's check.
    Returns the params, the run, its violations, and how it was checked.

    Raises:
        hypothesis.errors.NoSuchExample: nothing broke in ``max_examples`` tries.
    """
    runs = _Runs(evaluate)

    def search(space: st.SearchStrategy[Any], tries: int) -> Found:
        return minimal_schedule(runs, space, workers=workers, decisions=decisions,
                                invariants=invariants, max_examples=tries)

    found = search(configs(params, small), max_examples)
    name = continuous(small)
    if name is not None:
        return (*found, Smallest(budget=budget, continuous=name))
    everything = configurations(params, small)
    size = {each.params: each.size(runs.processes(each.params)) for each in everything}
    smaller = sorted((each for each in everything if size[each.params] < size[found[0]]),
                     key=lambda each: size[each.params])
    return _first_breaking(runs, smaller, found, search, invariants, budget)


def _first_breaking(runs: _Runs, smaller: list[Configuration], found: Found, search: Search,
                    invariants: Collection[str] | None, budget: int,
                    ) -> tuple[Any, Result, list[Violation], Smallest]:
    """The first of ``smaller`` (smallest first) that breaks, else ``found``; and how
    the ones before it were checked."""
    checked = Smallest(budget=budget)
    for configuration in smaller:
        broke, checked = _check(runs, configuration.params, checked, search, invariants)
        if broke is not None:
            return (*broke, checked)
    return (*found, checked)


def _check(runs: _Runs, params: Any, checked: Smallest, search: Search,
           invariants: Collection[str] | None) -> tuple[Found | None, Smallest]:
    """Whether ``params`` breaks - its smallest run found, or None - and ``checked``,
    with ``params`` counted in if it held."""
    def run(prefix: tuple[int, ...]) -> Run:
        result, violations = runs(params, Schedule(prefix))
        return result, counted(violations, invariants)

    budget = checked.budget
    exploration = explore(run, max_runs=budget, until_first=True)
    if exploration.first is not None:
        return _shrunk(search, params, exploration.first, budget), checked
    if exploration.complete:
        return None, dataclasses.replace(checked, smaller=checked.smaller + 1,
                                         explored=checked.explored + 1,
                                         runs=checked.runs + exploration.runs)
    try:  # too many interleavings to explore in the budget: search them instead
        return search(st.just(params), budget), checked
    except NoSuchExample:
        return None, dataclasses.replace(checked, smaller=checked.smaller + 1,
                                         searched=checked.searched + 1)


def _shrunk(search: Search, params: Any, explored: Run, tries: int) -> Found:
    """The smallest schedule that breaks ``params``, searched with the params fixed; or,
    if the search misses the interleavings the exploration found, its first."""
    try:
        return search(st.just(params), tries)
    except NoSuchExample:
        return (params, *explored)
