"""Printing: a Lock or a join keeps each worker's lines together; unlocked ones interleave."""

from __future__ import annotations

import re

import pytest
from hypothesis import given

import sut
from sut.drive.explore import explore
from sut.scenarios import printing
from sut.scenarios.printing import Params
from tests.strategies import RACE_JITTER, printing_trials, race_jitter
from tests.verdicts import assert_trial_holds, minimal_counterexample

PRINTING = sut.get("printing")


# --- the correct programs hold ---------------------------------------------

@given(trial=printing_trials())
def test_locked_keeps_each_workers_lines_together(start_method, trial) -> None:
    assert_trial_holds(PRINTING, "locked", trial, start_method)


@given(trial=printing_trials())
def test_joined_keeps_lines_together_and_in_order(start_method, trial) -> None:
    assert_trial_holds(PRINTING, "joined", trial, start_method)


# --- the broken program is caught, with its minimal counterexample ---------

# Whoever prints first, its "done" line comes after the other's "running" line.
SPLIT = re.compile(r"worker ([01])'s lines were split by worker (?!\1)[01]: "
                   r"'\1 : \d+ is running' / .* / '\1 : \d+ is done'")


@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_unlocked_splits_a_workers_lines_with_two_workers(start_method) -> None:
    params, seed, violations = minimal_counterexample(
        PRINTING, "unlocked", printing_trials(jitter=race_jitter()), start_method,
        invariants={printing.adjacent_lines.name})
    assert (params, seed) == (Params(workers=2, jitter=RACE_JITTER), 0)
    assert violations
    assert all(SPLIT.fullmatch(v.detail) for v in violations), violations


# --- its pids are names: runs meet again -----------------------------------------------

def _outcomes(workers: int, *, cache: bool) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """What every run of an exploration of ``unlocked`` ends with: the invariants it
    broke, and the lines printed, each pid named by the order it first shows in."""
    found = set()
    params = Params(workers=workers)

    def evaluate(schedule: tuple[int, ...]):
        result, violations = PRINTING.evaluate(params, "unlocked", start_method="fork",
                                               schedule=schedule)
        seen: dict[str, str] = {}  # each pid by the order it first shows in
        lines = tuple(re.sub(printing.PID,
                             lambda m: seen.setdefault(m[0], f"pid {len(seen)}"), line)
                      for line in result.final["lines"])
        found.add((tuple(sorted({v.invariant for v in violations})), lines))
        return result, violations

    assert explore(evaluate, cache=cache).complete
    return found


@pytest.mark.parametrize("workers", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_taking_pids_for_names_finds_every_outcome_of_the_full_exploration(
        workers: int) -> None:
    # The terminal's pids are declared names (Run.pids_in): states of runs whose workers
    # got other pids are one. Exploring so must find what exploring every order finds.
    assert _outcomes(workers, cache=True) == _outcomes(workers, cache=False)
