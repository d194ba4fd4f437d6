"""The smallest breaking configuration and its first breaking interleaving, checked.

A small space lists whole, so a search need not guess where a program
breaks: it walks the configurations smallest first (in the order of
:mod:`sut.drive.sizes`) and explores each, every interleaving of it
(:mod:`sut.drive.explore`) within a budget of runs, until one breaks. That
one is the answer, and its run is the first breaking interleaving in the
exploration's order: the default order first, then the orders that leave it
latest. Every smaller configuration held in every interleaving, so the
answer is the smallest.

The walk counts a configuration's processes by a run of it, when it could be
the smallest left - and only up to the processes of the smallest one
counted so far: a run about to start one more stops there
(:mod:`sut.engine.counting`), since that configuration comes later anyway.
It is counted whole when it could be the smallest again.

A configuration whose interleavings outrun the budget is searched by as many
drawn schedules instead (Hypothesis, with its params fixed); the answer is
then only the smallest "among those searched", and its schedule the one the
shrinker ends on. :class:`Smallest` says which.

A program that does not break small may break only in a large
configuration, or not at all. So once the walk has made the search's
``max_examples`` runs, a drawn search over the whole small space
(Hypothesis: configuration and schedule together) looks for any
configuration that breaks, and the walk goes on up to it; where nothing
breaks, the search ends there.

Imported only where a search runs: it loads Hypothesis.

Example:
    params, result, violations, smallest = smallest_schedule(
        evaluate, ticket.Params, {"buyers": (1, 3), "tickets": (0, 3)},
        workers=3, decisions=20)
    print(smallest.describe())  # smallest: every interleaving of the 5 smaller ...
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from sut.drive.explore import explore, unfingerprinted
from sut.drive.minimal import Evaluate, counted, minimal_schedule
from sut.drive.sizes import Configuration, Size, configurations, continuous
from sut.drive.strategies import configs
from sut.engine.coordinator import fingerprinted
from sut.engine.counting import PastCount, counting_to
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
    counts the processes it starts (its exploration, which compares fingerprints,
    makes that run again with them).

    A relative schedule is the same run as another when it picks the same worker at
    every decision that run made: its entry at decision i (0 past its end) modulo the
    number of workers that could go on there. A search draws many such twins (entries
    past the last decision, or naming one of 3 workers where 2 could go on); they are
    answered by the run already made.
    """

    def __init__(self, evaluate: Evaluate) -> None:
        self._evaluate = evaluate
        self.made = 0  # runs made: not answered by one made before
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
            self.made += 1
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

    def processes(self, params: Any, most: int | None = None) -> int:
        """How many processes a run of ``params`` starts (by the default schedule).

        Raises:
            PastCount: more than ``most``: the run stopped there (no limit for None).
        """
        with counting_to(most):
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
    """The smallest configuration of ``small`` (built as ``params``) on which ``evaluate``
    breaks, its first breaking interleaving, and how it was checked; see the module
    docstring.

    ``workers``, ``decisions`` and ``max_examples`` are the drawn search's
    (:func:`sut.drive.minimal.minimal_schedule`); ``max_examples`` also bounds the
    runs of the walk before it draws. ``budget`` bounds each configuration's check.
    Only ``invariants`` count, if given. Returns the params, the run, its
    violations, and how the smaller configurations were checked.

    Raises:
        hypothesis.errors.NoSuchExample: nothing broke: not in any configuration the
            walk checked, nor in ``max_examples`` drawn tries.
    """
    runs = _Runs(evaluate)

    def search(space: st.SearchStrategy[Any], tries: int) -> Found:
        return minimal_schedule(runs, space, workers=workers, decisions=decisions,
                                invariants=invariants, max_examples=tries)

    name = continuous(small)
    if name is not None:
        return (*search(configs(params, small), max_examples),
                Smallest(budget=budget, continuous=name))
    walk = _Walk(runs, configurations(params, small), search, invariants, budget)
    found = walk.until(lambda _: walk.spent >= max_examples)
    if found is None and walk.left:  # nothing small broke so far: draw from the whole space
        drawn = search(configs(params, small), max_examples)
        found = walk.until(lambda after: walk.size(after) > walk.size(drawn[0])) or drawn
    if found is None:
        raise NoSuchExample(f"every configuration of {params.__name__}'s small space held")
    return (*found, walk.below(found[0]))


class _Walk:
    """The configurations of a small space, counted and checked in order of size, smallest
    first (see the module docstring): explored in every interleaving within a budget of
    runs, or else searched by as many drawn schedules; remembering how each that held
    was checked."""

    def __init__(self, runs: _Runs, everything: list[Configuration], search: Search,
                 invariants: Collection[str] | None, budget: int) -> None:
        self._runs, self._search, self._invariants = runs, search, invariants
        self._budget = budget
        self._configurations = {each.params: each for each in everything}
        self._sizes: dict[Any, Size] = {}  # by params: of those counted to the end
        self._fewest: dict[Any, int] = {}  # by params: the processes of those counted past
        self._left = [each.params for each in everything]
        self._held: dict[Any, Smallest] = {}  # by params: how each that held was checked
        self.spent = 0  # runs the checks took: explored, or drawn

    def size(self, params: Any, most: int | None = None) -> Size:
        """The size of the configuration of ``params``, counted to the end.

        Raises:
            PastCount: it starts more than ``most`` processes (no limit for None).
        """
        if params not in self._sizes:
            self._sizes[params] = self._configurations[params].size(
                self._runs.processes(params, most))
        return self._sizes[params]

    def _least(self, params: Any) -> Size:
        """The size of the configuration of ``params``, or the least it can be."""
        if params in self._sizes:
            return self._sizes[params]
        return self._configurations[params].size(self._fewest.get(params, 0))

    def _next(self) -> Any | None:
        """The smallest configuration left, counted (None once none is left)."""
        while self._left:
            params = min(self._left, key=self._least)
            if params in self._sizes:
                return params
            counted = [self._sizes[other][0] for other in self._left if other in self._sizes]
            most = min(counted) if counted and params not in self._fewest else None
            try:
                self.size(params, most)
            except PastCount as past:
                self._fewest[params] = past.at_least
        return None

    @property
    def left(self) -> bool:
        """Whether any configuration is still to be checked."""
        return bool(self._left)

    def until(self, stop: Callable[[Any], bool]) -> Found | None:
        """The first configuration that breaks, checked smallest first (its first
        breaking run), or None once ``stop(the next one's params)`` or none is left. A
        configuration explored past its budget is searched only if ``stop`` still
        lets it: else it is the next one again (its runs are remembered)."""
        while (params := self._next()) is not None and not stop(params):
            exploration = explore(self._run(params), max_runs=self._budget, until_first=True)
            self.spent += exploration.runs
            if exploration.first is not None:
                return (params, *exploration.first)
            if not exploration.complete and stop(params):
                return None
            self._left.remove(params)
            if exploration.complete:
                self._held[params] = Smallest(smaller=1, explored=1, runs=exploration.runs,
                                              budget=self._budget)
                continue
            made = self._runs.made
            try:  # too many interleavings to explore in the budget: search them instead
                return self._search(st.just(params), self._budget)
            except NoSuchExample:
                self._held[params] = Smallest(smaller=1, searched=1, budget=self._budget)
            finally:
                self.spent += self._runs.made - made
        return None

    def _run(self, params: Any) -> Callable[[tuple[int, ...]], Run]:
        """Run ``params`` by a schedule prefix; only the invariants that count."""
        def run(prefix: tuple[int, ...]) -> Run:
            result, violations = self._runs(params, Schedule(prefix))
            return result, counted(violations, self._invariants)
        return run

    def below(self, answer: Any) -> Smallest:
        """How the configurations smaller than the one of params ``answer`` were checked,
        summed."""
        checked = [held for params, held in self._held.items()
                   if self.size(params) < self.size(answer)]
        return Smallest(smaller=len(checked), explored=sum(each.explored for each in checked),
                        searched=sum(each.searched for each in checked),
                        runs=sum(each.runs for each in checked), budget=self._budget)

