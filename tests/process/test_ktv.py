"""KTV rooms: Semaphore(rooms) holds; no guard and a Lock are caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.drive.explore import explore
from sut.drive.strategies import trials
from sut.scenarios import ktv
from sut.scenarios.ktv import Params
from tests.strategies import RACE_JITTER, race_jitter
from tests.verdicts import assert_trial_holds, minimal_counterexample

KTV = sut.get("ktv")


# --- the correct program holds ---------------------------------------------

@given(trial=trials(KTV))
def test_semaphore_admits_at_most_rooms_and_fills_them(start_method, trial) -> None:
    assert_trial_holds(KTV, "semaphore", trial, start_method)


# --- the broken programs are caught, with their minimal counterexample -----

@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_unguarded_lets_two_people_into_one_room(start_method) -> None:
    params, seed, violations = minimal_counterexample(
        KTV, "unguarded", trials(KTV, jitter=race_jitter()), start_method,
        invariants={ktv.capacity.name})
    assert (params, seed) == (Params(people=2, rooms=1, jitter=RACE_JITTER), 0)
    assert [v.detail for v in violations] == [
        "2 people inside 1 room at once: person 0 and person 1"]


@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_lock_uses_one_of_two_rooms_while_people_wait(start_method) -> None:
    # Over-serialization is structural, not a matter of timing: only the
    # counts are searched, which spares the shrinker the slow (timed-out)
    # evaluations that jitter and seed would add.
    params, seed, violations = minimal_counterexample(
        KTV, "lock", trials(KTV, people=st.integers(1, 4), rooms=st.integers(1, 3),
                            jitter=st.just(RACE_JITTER), seeds=st.just(0)),
        start_method, invariants={ktv.rooms_fill_up.name})
    assert (params, seed) == (Params(people=2, rooms=2, jitter=RACE_JITTER), 0)
    assert [v.invariant for v in violations] == [ktv.rooms_fill_up.name]


# --- its people are interchangeable: explored as one ---------------------------------

def _outcomes(variant: str, *, cache: bool) -> set[tuple[tuple[str, ...], tuple[object, ...]]]:
    """What every run of an exploration of 2 people and 1 room ends with: the invariants
    it broke, and what each person recorded and how it ended, whoever it was."""
    found: set[tuple[tuple[str, ...], tuple[object, ...]]] = set()

    def evaluate(schedule: tuple[int, ...]):
        result, violations = KTV.evaluate(Params(people=2, rooms=1), variant,
                                          start_method="fork", schedule=schedule)
        people = sorted((tuple(event.label for event in result.events_by(outcome.name)),
                         outcome.status) for outcome in result.workers)
        found.add((tuple(sorted({violation.invariant for violation in violations})),
                   tuple(people)))
        return result, violations

    assert explore(evaluate, cache=cache).complete
    return found


@pytest.mark.slow  # the full exploration runs 620 interleavings (20 taken as one)
def test_taking_people_as_one_finds_every_outcome_of_the_full_exploration() -> None:
    # The people are declared interchangeable (Run.interchangeable): states that differ
    # only by who is who are one. Exploring so must find what exploring every order finds.
    assert _outcomes("unguarded", cache=True) == _outcomes("unguarded", cache=False)
