"""Assertions for a test suite: a variant holds in every interleaving, or breaks with a
minimal counterexample - and a failure says why, with the lanes of the run and the
command that replays it.

Plain ``AssertionError`` (no pytest needed), so they work in any test runner;
the pytest plugin (:mod:`sut.pytest_plugin`) offers them beside its fixtures::

    def test_the_lock_keeps_the_money(start_method):
        assert_holds("bank:SCENARIO", "locked", start_method=start_method)

    def test_without_the_lock_money_is_lost(start_method):
        found = assert_breaks("bank:SCENARIO", "unlocked", start_method=start_method)
        assert found.params.tellers == 2
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sut.drive import catalogue
from sut.drive.explore import MAX_RUNS, Exploration
from sut.drive.hunt import small_space
from sut.drive.sizes import configurations as listed
from sut.engine.backend import default_start_method
from sut.engine.params import describe_params
from sut.engine.scenario import Scenario
from sut.report.lanes import lanes
from sut.report.prove import (
    SEARCH_METHOD,
    Counterexample,
    counterexample,
    interleavings,
    run_command,
)
from sut.report.prove import replay as replay_run

# A default run of assert_holds explores at most this many configurations: a small
# space is a few values per parameter; more than this is a space too big to prove.
MAX_CONFIGURATIONS = 50


def _scenario(scenario: Scenario | str) -> Scenario:
    return catalogue.get(scenario) if isinstance(scenario, str) else scenario


def _configurations(scenario: Scenario, given: Iterable[Any] | None) -> list[Any]:
    """The params to explore: those given (a Mapping is the params' fields), or every
    configuration of the scenario's small space."""
    if given is not None:
        return [scenario.params(**one) if isinstance(one, Mapping) else one for one in given]
    every = [configuration.params for configuration in listed(scenario.params,
                                                              small_space(scenario))]
    if len(every) > MAX_CONFIGURATIONS:
        raise ValueError(f"{scenario.name}'s small space has {len(every)} configurations, "
                         f"more than {MAX_CONFIGURATIONS}: pass configurations=[...]")
    return every


def assert_holds(scenario: Scenario | str, variant: str, configurations: Iterable[Any] | None
                 = None, *, start_method: str | None = None,
                 max_runs: int = MAX_RUNS) -> list[Exploration]:
    """Run ``variant`` in every interleaving of each configuration (default: every one of
    the scenario's small space), under ``start_method`` (default: this platform's).

    ``scenario`` is a Scenario or how the command line names one
    (``"bank:SCENARIO"``). Returns each configuration's exploration.

    Raises:
        AssertionError: a run broke an invariant - the first found, drawn as lanes,
            with the command that replays it - or an exploration stopped at ``max_runs`` with
            interleavings left unrun - a proof with a hole is no proof.
        ValueError: an unknown variant, a scenario with no schedule mode, or a
            small space too large to list.
    """
    __tracebackhide__ = True
    chosen = _scenario(scenario)
    method = start_method or default_start_method()
    explored = []
    for params in _configurations(chosen, configurations):
        exploration = interleavings(chosen, variant, params, start_method=method,
                                    max_runs=max_runs, until_first=True)
        what = f"{chosen.name} {variant} with {describe_params(params) or 'its defaults'}"
        if exploration.first is not None:
            result, violations = exploration.first
            replay = run_command(catalogue.spelling(chosen), variant, params, method,
                                 result.schedule or ())
            raise AssertionError("\n".join([
                f"{what} broke in interleaving {exploration.runs} [{method}]:",
                *lanes(result, violations), f"replay: {replay}"]))
        if not exploration.complete:
            raise AssertionError(f"{what}: {exploration.runs} interleavings run, more left "
                                 f"(max_runs={max_runs}): not proved")
        explored.append(exploration)
    return explored


def assert_breaks(scenario: Scenario | str, variant: str, *, start_method: str | None = None,
                  invariants: Collection[str] | None = None) -> Counterexample:
    """The minimal counterexample of ``variant`` (searched under fork, where runs are
    cheapest, the same every time), replayed under ``start_method`` (default: this
    platform's): it must break there too, by the same schedule.

    Raises:
        AssertionError: ``variant`` never broke, or its counterexample did not break
            again under ``start_method``.
        ValueError: an unknown variant, or a scenario with no schedule mode.
    """
    __tracebackhide__ = True
    from hypothesis.errors import NoSuchExample

    chosen = _scenario(scenario)
    try:
        found = counterexample(chosen, variant, invariants=invariants)
    except NoSuchExample:
        raise AssertionError(f"{chosen.name} {variant} never broke "
                             f"{'any invariant' if not invariants else ', '.join(invariants)} "
                             "in its small configurations and drawn schedules") from None
    method = start_method or default_start_method()
    if method == SEARCH_METHOD:
        return found
    result, violations = replay_run(chosen, variant, found.params, found.schedule,
                                    start_method=method)
    again = Counterexample(chosen, variant, found.params, result, violations, found.runs,
                           found.smallest)
    if not violations:
        raise AssertionError(f"{chosen.name} {variant} broke under {SEARCH_METHOD}, but not "
                             f"under {method}: replay: {again.replay}")
    return again
