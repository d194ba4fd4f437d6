"""Visiting each state once finds every outcome that running every interleaving finds.

The state cache of an exploration is sound only if its fingerprint covers
everything a process could go on differently by: the model, each process's
history, and every shared thing the run made. Hypothesis draws small programs
on all of them (tests/random_programs.py) and compares both explorations.
The default run tries a few programs; the thorough profile, many.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings

from sut.drive.explore import explore
from tests import random_programs
from tests.random_programs import Outcome, Program


def _outcomes(program: Program, *, cache: bool) -> set[Outcome] | None:
    """Every outcome an exploration of ``program`` finds (None: too many interleavings)."""
    found: set[Outcome] = set()

    def evaluate(schedule: tuple[int, ...]):
        result = random_programs.run(program, schedule)
        found.add(random_programs.outcome(result))
        return result, []

    exploration = explore(evaluate, cache=cache, max_runs=MAX_RUNS)
    return found if exploration.complete else None


# The thorough profile's examples per property (conftest.py): larger programs, and
# more of them; every other run tries a few small ones (a second or two each).
THOROUGH = settings().max_examples >= 60
SIZE = {"workers": 3, "operations": 4} if THOROUGH else {"workers": 2, "operations": 3}
EXAMPLES = settings().max_examples if THOROUGH else 3
MAX_RUNS = 1_000


@pytest.mark.timeout(1800 if THOROUGH else 300)  # thorough: minutes
@settings(max_examples=EXAMPLES)
@given(random_programs.programs(**SIZE))
def test_the_cached_exploration_finds_exactly_the_outcomes_of_the_full_one(
        program: Program) -> None:
    full = _outcomes(program, cache=False)
    assume(full is not None)  # a program too big to run every interleaving of
    assert _outcomes(program, cache=True) == full


def _path(program: Program, jobs: int) -> tuple[list[tuple[int, int]], tuple[object, ...]]:
    """The path an exploration of ``program`` takes in ``jobs`` (the stack's size after
    each run), and what it counts."""
    path: list[tuple[int, int]] = []
    exploration = explore(lambda schedule: (random_programs.run(program, schedule), []),
                          max_runs=MAX_RUNS, jobs=jobs,
                          progress=lambda runs, left: path.append((runs, left)))
    return path, (exploration.runs, exploration.complete, exploration.unpruned)


@pytest.mark.slow  # the gate's: tests/process/test_ahead.py holds helpers to it by default
@pytest.mark.timeout(1800 if THOROUGH else 300)
@settings(max_examples=EXAMPLES)
@given(random_programs.programs(**SIZE))
def test_runs_made_ahead_by_helpers_take_the_exploration_down_the_same_path(
        program: Program) -> None:
    # A helper's run must be the run this process would have made: the same fingerprints,
    # else the state cache prunes elsewhere and the path (or the count) differs.
    assert _path(program, jobs=3) == _path(program, jobs=1)


def _unnamed_outcomes(program: Program, alike: int, named: bool, *,
                      declared: bool) -> set[str] | None:
    """Every outcome an exploration of ``program`` finds, its alike workers unnamed (None:
    too many interleavings): with the state cache and the alike workers declared
    interchangeable, or every interleaving."""
    found: set[str] = set()

    def evaluate(schedule: tuple[int, ...]):
        result = random_programs.run(program, schedule, alike=alike if declared else 0,
                                     named=named)
        found.add(random_programs.unnamed(random_programs.outcome(result), alike))
        return result, []

    exploration = explore(evaluate, cache=declared, max_runs=MAX_RUNS)
    return found if exploration.complete else None


@pytest.mark.slow  # the gate's: tests/process/test_interchangeable.py holds it by default
@pytest.mark.timeout(1800 if THOROUGH else 300)
@settings(max_examples=EXAMPLES)
@given(random_programs.alike_programs(operations=SIZE["operations"]))
def test_taking_interchangeable_workers_as_one_finds_every_outcome_up_to_their_names(
        case: tuple[Program, int, bool]) -> None:
    # Named, the workers put, send and append their names: the renaming must notice and
    # stop, or states that differ only by whose name is where would be taken for one.
    program, alike, named = case
    full = _unnamed_outcomes(program, alike, named, declared=False)
    assume(full is not None)
    assert _unnamed_outcomes(program, alike, named, declared=True) == full
