"""Queues: one way and two queues hold; the tutorial's single two-way queue is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.drive.strategies import trials
from sut.scenarios import queue
from sut.scenarios.queue import LATE, Params
from tests.strategies import RACE_JITTER
from tests.verdicts import assert_trial_holds, minimal_counterexample

QUEUE = sut.get("queue")


# A run in which the child is expected to hang is stopped after this long,
# counted from the child's start (its start-up - seconds, for a spawned child
# on a loaded machine - counts neither here nor at the meeting): main gets its
# own message back 0.15 s after the meeting; the rest is margin for a loaded machine.
HANG_TIMEOUT = 1.0
# A child that starts at once: it takes main's messages before main's sleep is over.
ON_TIME = 0.0


# --- the correct programs hold ---------------------------------------------

@given(trial=trials(QUEUE))
def test_one_way_delivers_every_message_once_and_in_order(start_method, trial) -> None:
    assert_trial_holds(QUEUE, "one-way", trial, start_method)


@given(trial=trials(QUEUE))
def test_two_queues_answer_every_message_however_late_the_child_starts(
        start_method, trial) -> None:
    assert_trial_holds(QUEUE, "two-way-two-queues", trial, start_method)


# --- the tutorial's single two-way queue is caught -------------------------

@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_single_queue_gives_main_its_own_message_when_the_child_starts_late(
        start_method) -> None:
    # An on-time child takes main's messages before main's sleep is over; a
    # late one leaves the first in the queue, main takes it as the reply, and
    # the child then waits forever (so every failing run lasts HANG_TIMEOUT).
    params, seed, violations = minimal_counterexample(
        QUEUE, "two-way-single-queue",
        trials(QUEUE, messages=st.integers(1, 2), jitter=st.just(RACE_JITTER),
               delay=st.sampled_from([ON_TIME, LATE]), seeds=st.just(0)),
        start_method, invariants={queue.not_to_sender.name}, timeout=HANG_TIMEOUT)
    assert (params, seed) == (Params(messages=1, jitter=RACE_JITTER, delay=LATE), 0)
    assert [v.detail for v in violations] == ["main got its own message 0 back"]
