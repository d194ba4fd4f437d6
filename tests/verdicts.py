"""Assertions on verdicts, and the search for a minimal counterexample."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from sut.registry import Scenario
from sut.runtime import Result, Violation

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

    Hypothesis replays a breaking trial to confirm it (``FlakyFailure`` if it
    then holds). ``replay=False`` runs each trial once and keeps its first
    verdict: for asking whether a variant breaks at all, across trials some
    of whose races are only likely.
    """
    latest: dict[tuple[Any, int], list[Violation]] = {}

    def breaks(trial: tuple[Any, int]) -> bool:
        if not replay and trial in latest:
            return bool(latest[trial])
        params, seed = trial
        _, violations = scenario.evaluate(params, variant, start_method=start_method,
                                          seed=seed, timeout=timeout)
        latest[trial] = [v for v in violations if invariants is None or v.invariant in invariants]
        return bool(latest[trial])

    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
    search = settings(database=None, derandomize=True, max_examples=max_examples,
                      deadline=None, phases=phases)
    params, seed = find(trials, breaks, settings=search)
    # find has already replayed the minimal trial; its violations are the last run's.
    return params, seed, latest[params, seed]
