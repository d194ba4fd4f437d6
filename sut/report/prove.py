"""Verdicts on one variant, as a user's own code asks for them: its minimal
counterexample, every interleaving of a configuration, a replay.

These are the engine's searches (:mod:`sut.drive.hunt`, :mod:`sut.drive.explore`)
behind three calls that take a scenario and a variant's name, and results that
tell themselves - the lanes of the run, and the command that replays it::

    found = counterexample(bank.SCENARIO, "unlocked")
    print("\\n".join(found.drawn()))
    print(found.replay)  # python -m sut run bank:SCENARIO --variant unlocked ...

    every = interleavings(bank.SCENARIO, "locked", bank.Params(tellers=2))
    assert every.complete and not every.violating
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sut.drive import catalogue
from sut.drive.explore import MAX_RUNS, Exploration, explore
from sut.drive.hunt import Target, search
from sut.engine.backend import default_start_method
from sut.engine.coordinator import format_schedule
from sut.engine.params import describe_params
from sut.engine.result import Result, Violation
from sut.engine.runner import DEFAULT_TIMEOUT
from sut.engine.scenario import Scenario
from sut.report.lanes import breaking_moment, lanes

# Where searches run unless told otherwise: the cheapest start method (a run costs
# about a tenth of spawn's); the minimum found replays under every one.
SEARCH_METHOD = "fork"


def run_command(spelled: str, variant: str, params: Any, start_method: str,
                schedule: Sequence[int] | None = None) -> str:
    """``python -m sut run ...``: the command that runs this configuration again;
    ``spelled`` is the scenario as the command line names it
    (:func:`sut.drive.catalogue.spelling`)."""
    command = f"python -m sut run {spelled} --variant {variant}"
    if describe_params(params):
        command += f" {describe_params(params)}"
    if start_method != default_start_method():
        command += f" --start-method {start_method}"
    if schedule is not None:
        command += f" --schedule '{format_schedule(schedule)}'"
    return command


@dataclass(frozen=True)
class Counterexample:
    """The smallest configuration and schedule on which a variant breaks, and its run."""

    scenario: Scenario
    variant: str
    params: Any
    result: Result
    violations: list[Violation]
    runs: int  # how many runs the search made
    smallest: str  # how no smaller configuration was found to break

    @property
    def schedule(self) -> tuple[int, ...]:
        """The schedule that replays it (``()``: the default order)."""
        return self.result.schedule or ()

    @property
    def replay(self) -> str:
        """The command that runs it again, under the start method it was found under."""
        return run_command(catalogue.spelling(self.scenario), self.variant, self.params,
                           self.result.start_method, self.schedule)

    def drawn(self) -> list[str]:
        """The run drawn one lane per process, marking the event with which it broke."""
        moment = breaking_moment(self.result, self.violations[0].invariant, self.scenario.check)
        return lanes(self.result, self.violations, moment=moment)


def counterexample(scenario: Scenario, variant: str, *, start_method: str = SEARCH_METHOD,
                   invariants: Collection[str] | None = None) -> Counterexample:
    """The minimal counterexample of ``variant``: the scenario's small configurations
    explored smallest first, in every interleaving, until one breaks (the same answer
    every time; :mod:`sut.drive.smallest`). Only ``invariants`` count (default: those
    the variant ``shows``, or any).

    Raises:
        ValueError: an unknown variant, or a scenario with no schedule mode.
        hypothesis.errors.NoSuchExample: ``variant`` never broke.
    """
    chosen = scenario.variant(variant)
    wanted = invariants if invariants is not None else (chosen.shows or None)
    found = search(Target(scenario, chosen, wanted), start_method=start_method)
    return Counterexample(scenario, variant, found.params, found.result, found.violations,
                          found.runs, found.smallest.describe() if found.smallest else "")


def interleavings(scenario: Scenario, variant: str, params: Any, *,
                  start_method: str = SEARCH_METHOD, timeout: float = DEFAULT_TIMEOUT,
                  max_runs: int = MAX_RUNS, until_first: bool = False,
                  progress: Callable[[int, int], None] | None = None,
                  jobs: int = 1) -> Exploration:
    """Run ``variant`` with ``params`` in every interleaving (each distinct state once);
    ``Exploration.complete`` says whether all were run within ``max_runs``.
    ``progress(runs, left)`` is called after every run; ``jobs`` runs go on at once
    (the same interleavings are explored, on more cores).

    Raises:
        ValueError: an unknown variant, or a scenario with no schedule mode (from
            the first run).
    """
    return explore(lambda schedule: scenario.evaluate(params, variant, start_method=start_method,
                                                      timeout=timeout, schedule=schedule),
                   max_runs=max_runs, until_first=until_first, progress=progress, jobs=jobs)


def replay(scenario: Scenario, variant: str, params: Any, schedule: Sequence[int], *,
           start_method: str | None = None) -> tuple[Result, list[Violation]]:
    """Run ``variant`` with ``params`` by ``schedule`` once more, and check it."""
    return scenario.evaluate(params, variant, start_method=start_method or default_start_method(),
                             schedule=tuple(schedule))
