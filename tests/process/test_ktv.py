"""KTV rooms: Semaphore(rooms) holds; no guard and a Lock are caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
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
