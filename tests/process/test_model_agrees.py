"""The model answers to the real primitives: a primitive it mistakes is an error of the
scenario, named at once - never a verdict resting on a model that is not the program's."""

from __future__ import annotations

import fcntl
import time

import pytest

from sut.drive.explore import explore
from sut.engine import Result, Schedule, Violation, primitives
from tests import programs

# The door's second worker waits while the first is inside: the model says so.
B_WAITS = (0, 1)


def test_an_flock_taken_shared_where_the_model_has_an_exclusive_lock_is_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The real lock file lets both in (LOCK_SH); the model lets one in at a time.
    monkeypatch.setattr(fcntl, "LOCK_EX", fcntl.LOCK_SH)  # fork: the workers inherit it
    result = programs.run_door("fork", "flock", Schedule(B_WAITS))
    assert result.scenario_error == (
        "the model says b's acquire of door waits for door held by a, but the real door "
        "would let it through: the model mistakes it")


def test_a_semaphore_one_larger_than_the_model_knows_is_named() -> None:
    result = programs.run_door("fork", "semaphore-one-larger", Schedule(B_WAITS))
    assert result.scenario_error == (
        "the model says b's acquire of door waits for door (value 0), but the real door "
        "would let it through: the model mistakes it")


def test_a_primitive_that_holds_back_what_the_model_lets_through_is_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(primitives, "REAL_LAG", 0.2)  # fork: the workers inherit it
    began = time.monotonic()
    result = programs.run_door("fork", "semaphore-one-smaller", Schedule(()))
    assert result.scenario_error is not None
    assert ("a crashed before its first point: ModelDisagreement: the model let door be "
            "taken, but the real one held it back for 0.2 s: the model mistakes it"
            ) in result.scenario_error
    assert time.monotonic() - began < 5


@pytest.mark.parametrize("door", ["flock", "semaphore"])
def test_a_primitive_the_model_knows_agrees_in_every_interleaving(door: str) -> None:
    def judged(schedule: tuple[int, ...]) -> tuple[Result, list[Violation]]:
        result = programs.run_door("fork", door, schedule)
        error = result.scenario_error
        return result, [Violation("agrees", error)] if error is not None else []

    exploration = explore(judged)
    assert (exploration.complete, exploration.runs, exploration.violating) == (True, 2, 0)
