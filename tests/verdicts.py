"""Assertions on verdicts, and the tests' minimal counterexample: sut's search
(:func:`sut.drive.minimal.minimal`) over trials - params and a jitter seed."""

from __future__ import annotations

import os
import time
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


# Once a property failed, how long Hypothesis may go on shrinking its failure
# (every run of a regression that hangs costs the settle period of the hang
# detection, and shrinking a trial of params and a seed runs a hundred of them).
SHRINK_BUDGET = 10.0
# Per test: when it first failed, and how every trial it ran since went (the
# failure's report, or None where it held).
_FAILED: dict[str, tuple[float, dict[tuple[Any, ...], str | None]]] = {}


def assert_trial_holds(scenario: Scenario, variant: str, trial: Trial,
                       start_method: str) -> None:
    """Run ``variant`` on ``trial`` - drawn params and a jitter seed, by a property test -
    and fail with the evidence if any invariant breaks (``sut.assert_holds`` is the
    other way to say a variant holds: in every interleaving, by a schedule).

    Once the calling test failed, its shrinking gets SHRINK_BUDGET seconds: after
    that, a trial it ran already gets its verdict again (the failure reported
    replays), and one it did not is not run - it is let pass, which only ends
    the shrinking there. The test fails either way; the trial it reports is the
    smallest found within the budget.
    """
    __tracebackhide__ = True
    test = os.environ.get("PYTEST_CURRENT_TEST", "")
    key = (scenario.name, variant, start_method, trial)
    failed = _FAILED.get(test)
    if failed is not None and key in failed[1]:
        told = failed[1][key]
        assert told is None, told
        return
    if failed is not None and time.monotonic() - failed[0] > SHRINK_BUDGET:
        return
    result, violations = _trial_runner(scenario, variant, start_method, TEST_TIMEOUT)(trial)
    told = report(result, violations) if violations else None
    if told is not None or failed is not None:
        _FAILED.setdefault(test, (time.monotonic(), {}))[1][key] = told
    assert told is None, told


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
