"""Assertions on verdicts, and the tests' minimal counterexample: sut's search
(:func:`sut.drive.minimal.minimal`) over trials - params and a jitter seed."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from hypothesis import strategies as st

from sut.drive.minimal import counted, minimal
from sut.drive.strategies import Trial
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


Evaluate = Callable[[Trial], tuple[Result, list[Violation]]]


def _trial_runner(scenario: Scenario, variant: str, start_method: str,
                  timeout: float) -> Evaluate:
    """``evaluate(trial)``: ``variant`` run once on a trial's params and seed, and checked."""
    def evaluate(trial: Trial) -> tuple[Result, list[Violation]]:
        params, seed = trial
        return scenario.evaluate(params, variant, start_method=start_method, seed=seed,
                                 timeout=timeout)

    return evaluate


def assert_holds(scenario: Scenario, variant: str, trial: Trial,
                 start_method: str) -> None:
    """Run ``variant`` on ``trial`` and fail with the evidence if any invariant breaks."""
    __tracebackhide__ = True
    result, violations = _trial_runner(scenario, variant, start_method, TEST_TIMEOUT)(trial)
    assert not violations, report(result, violations)


# Searches already done in this process: (scenario, variant, trials, invariants,
# shrink, replay, max_examples, timeout) -> the minimal trial.
_SEARCHED: dict[tuple[Any, ...], tuple[Any, int]] = {}
# Where a search runs: the cheapest start method (a run costs about a tenth of spawn's).
SEARCH_METHOD = "fork"


def _first_verdicts(evaluate: Evaluate) -> Evaluate:
    """``evaluate``, run once per trial: a trial seen again gets its first verdict back."""
    seen: dict[Trial, tuple[Result, list[Violation]]] = {}

    def once(trial: Trial) -> tuple[Result, list[Violation]]:
        if trial not in seen:
            seen[trial] = evaluate(trial)
        return seen[trial]

    return once


def minimal_counterexample(scenario: Scenario, variant: str,
                           trials: st.SearchStrategy[Trial], start_method: str, *,
                           invariants: Collection[str] | None = None, max_examples: int = 50,
                           shrink: bool = True, replay: bool = True,
                           timeout: float = TEST_TIMEOUT) -> tuple[Any, int, list[Violation]]:
    """The smallest trial on which ``variant`` breaks one of ``invariants`` (default: any).

    Deterministic by construction: sut's search (a derandomized Hypothesis
    search with no example database), so every run starts cold and walks the
    same path. Raises ``hypothesis.errors.NoSuchExample`` if the variant never
    breaks - which fails the calling test: a broken variant must stay caught.

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
    if key not in _SEARCHED:
        evaluate = _trial_runner(scenario, variant, SEARCH_METHOD, timeout)
        found, _, violations = minimal(evaluate if replay else _first_verdicts(evaluate),
                                       trials, invariants=wanted, max_examples=max_examples,
                                       shrink=shrink)
        _SEARCHED[key] = found
        if start_method == SEARCH_METHOD:  # the search's last run of its minimum is this run
            return (*found, violations)
    params, seed = _SEARCHED[key]
    _, violations = _trial_runner(scenario, variant, start_method, timeout)((params, seed))
    return params, seed, counted(violations, wanted)
