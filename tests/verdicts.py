"""Assertions on verdicts, and the search for a minimal counterexample."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from sut.engine import Result, Violation
from sut.engine.scenario import Scenario

# A run in a test is declared hung after this long: ten times what the slowest
# correct run here takes, so reaching it means a real hang.
TEST_TIMEOUT = 5.0


def report(result: Result, violations: list[Violation]) -> str:
    """The violations and the timeline, as a failing test shows them."""
    lines = [f"{result.scenario}/{result.variant} {result.params} "
             f"[{result.start_method}, seed {result.seed}]"]
    lines += [f"  {v.invariant}: {v.detail}" for v in violations]
    lines += [f"  {event.describe()}" for event in result.events[:40]]
    return "\n".join(lines)


def assert_holds(scenario: Scenario, variant: str, trial: tuple[Any, int],
                 start_method: str) -> None:
    """Run ``variant`` on ``trial`` and fail with the evidence if any invariant breaks."""
    __tracebackhide__ = True
    params, seed = trial
    result, violations = scenario.evaluate(params, variant, start_method=start_method,
                                           seed=seed, timeout=TEST_TIMEOUT)
    assert not violations, report(result, violations)


# Searches already done in this process: (scenario, variant, trials, invariants,
# shrink, replay, max_examples, timeout) -> the minimal trial.
_SEARCHED: dict[tuple[Any, ...], tuple[Any, int]] = {}
# Where a search runs: the cheapest start method (a run costs about a tenth of spawn's).
SEARCH_METHOD = "fork"


def minimal_counterexample(scenario: Scenario, variant: str,
                           trials: st.SearchStrategy[tuple[Any, int]], start_method: str, *,
                           invariants: Collection[str] | None = None, max_examples: int = 50,
                           shrink: bool = True, replay: bool = True,
                           timeout: float = TEST_TIMEOUT) -> tuple[Any, int, list[Violation]]:
    """The smallest trial on which ``variant`` breaks one of ``invariants`` (default: any).

    Deterministic by construction: a derandomized search with no example
    database, so every run starts cold and walks the same path. Raises
    ``hypothesis.errors.NoSuchExample`` if the variant never breaks - which
    fails the calling test: a broken variant must stay caught.

    The search runs under fork, where runs are cheapest; the minimum it finds
    is then run again under ``start_method``, and the violations returned are
    that run's - so the caller checks that the bug shows under every start
    method, at the same minimum. (A process remembers its searches: the tests
    of the three start methods share one.)

    Hypothesis replays a breaking trial to confirm it (``FlakyFailure`` if it
    then holds). ``replay=False`` runs each trial once and keeps its first
    verdict: for asking whether a variant breaks at all, across trials some
    of whose races are only likely.
    """
    wanted = None if invariants is None else frozenset(invariants)
    key = (scenario.name, variant, repr(trials), wanted, shrink, replay, max_examples, timeout)
    latest: dict[tuple[Any, int], list[Violation]] = {}

    def violations_of(trial: tuple[Any, int], method: str) -> list[Violation]:
        params, seed = trial
        _, violations = scenario.evaluate(params, variant, start_method=method,
                                          seed=seed, timeout=timeout)
        return [v for v in violations if wanted is None or v.invariant in wanted]

    def breaks(trial: tuple[Any, int]) -> bool:
        if not replay and trial in latest:
            return bool(latest[trial])
        latest[trial] = violations_of(trial, SEARCH_METHOD)
        return bool(latest[trial])

    if key not in _SEARCHED:
        phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
        search = settings(database=None, derandomize=True, max_examples=max_examples,
                          deadline=None, phases=phases)
        _SEARCHED[key] = find(trials, breaks, settings=search)
        if start_method == SEARCH_METHOD:
            # find has already replayed the minimal trial: its violations are the last run's.
            params, seed = _SEARCHED[key]
            return params, seed, latest[params, seed]
    params, seed = _SEARCHED[key]
    return params, seed, violations_of((params, seed), start_method)
