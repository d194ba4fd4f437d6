"""Bakery: a None per consumer, sent after the producers, holds; the tutorial's are caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.drive.strategies import trials
from sut.scenarios import bakery
from sut.scenarios.bakery import Params
from tests.strategies import RACE_JITTER
from tests.verdicts import assert_trial_holds, minimal_counterexample

BAKERY = sut.get("bakery")
# Broken variants here hang, and every run that hangs costs its whole timeout,
# so it is short: nothing but the hang is at stake - the one consumer eats its
# bun and is back in get() within 0.3 s even under spawn.
HANG_TIMEOUT = 1.0


# --- the correct programs hold ---------------------------------------------

@given(trial=trials(BAKERY))
def test_sentinel_per_consumer_feeds_everyone_and_stops_everyone(start_method, trial) -> None:
    assert_trial_holds(BAKERY, "sentinel-per-consumer", trial, start_method)


@given(trial=trials(BAKERY))
def test_joinable_queue_feeds_everyone_and_stops_everyone(start_method, trial) -> None:
    assert_trial_holds(BAKERY, "joinable-queue", trial, start_method)


def test_one_sentinel_is_right_when_producers_equal_consumers(start_method) -> None:
    # Each consumer takes one None; every bun is ahead of its own producer's
    # None, so all of them are ahead of the last None, which is taken too.
    assert_trial_holds(BAKERY, "one-sentinel", (Params(producers=2, consumers=2, buns=2), 0),
                       start_method)


# --- the broken programs are caught, with their minimal counterexample -----

# Both failures - a consumer left without a None, a None left without a
# consumer - are a matter of counting, not timing: only the counts are
# searched (jitter and seed fixed), which spares the shrinker evaluations
# that would each cost a whole timeout.
COUNT_TRIALS = trials(BAKERY, producers=st.integers(1, 3), consumers=st.integers(1, 3),
                      buns=st.integers(1, 2), jitter=st.just(RACE_JITTER), seeds=st.just(0))


@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_no_sentinel_leaves_the_one_consumer_waiting_forever(start_method) -> None:
    # The first trial Hypothesis tries is the simplest - every count at 1,
    # nothing below it - and it already hangs: a shrink pass could only run
    # it again, for a whole timeout each time.
    params, seed, violations = minimal_counterexample(
        BAKERY, "no-sentinel", COUNT_TRIALS, start_method,
        invariants={bakery.ends_by_sentinel.name}, shrink=False, timeout=HANG_TIMEOUT)
    assert (params, seed) == (Params(producers=1, consumers=1, buns=1, jitter=RACE_JITTER), 0)
    assert [v.detail for v in violations] == [
        "consumer 0 never got a None: it was still waiting in get() after eating bun 0 of "
        "producer 0 at the deadline (no None sent for 1 consumer)"]


@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_one_sentinel_leaves_a_none_behind_when_producers_outnumber_consumers(
        start_method) -> None:
    # Each consumer stops at the first None it gets, so of 2 Nones for 1
    # consumer one is always left over, whatever the timing. Shapes with more
    # consumers than producers are left out of this search: there a consumer
    # always waits forever (the next tests), nothing can be drained, and each
    # such trial would cost a whole timeout and never count.
    enough_nones = COUNT_TRIALS.filter(lambda trial: trial[0].consumers <= trial[0].producers)
    params, seed, violations = minimal_counterexample(
        BAKERY, "one-sentinel", enough_nones, start_method, invariants={bakery.queue_empty.name})
    assert (params, seed) == (Params(producers=2, consumers=1, buns=1, jitter=RACE_JITTER), 0)
    assert "1 None was left in the queue (2 Nones sent for 1 consumer)" in \
        [v.detail for v in violations]


def test_one_sentinel_stops_the_only_consumer_while_buns_may_remain(start_method) -> None:
    # Which buns the consumer missed is timing: usually the slower producer's
    # bun is still behind the faster one's None and is never eaten, but when
    # the two producers put at the same moment both buns get ahead of both
    # Nones. What never depends on timing: the consumer stops at its first
    # None, the other None is left, and no bun vanishes - each one was eaten
    # once or is still in the queue.
    params = Params(producers=2, consumers=1, buns=1, jitter=RACE_JITTER)
    result, violations = BAKERY.evaluate(params, "one-sentinel", start_method=start_method)
    assert {v.invariant for v in violations} <= {bakery.queue_empty.name,
                                                 bakery.exactly_once.name}
    assert len(result.events_of("got-none")) == 1
    eaten = [(e.data["producer"], e.data["bun"]) for e in result.events_of("eat")]
    left = [tuple(item) for item in result.final["leftover"] if item is not None]
    assert sorted(eaten + left) == [(0, 0), (1, 0)]
    assert ("queue-empty", "1 None was left in the queue (2 Nones sent for 1 consumer)") in \
        [(v.invariant, v.detail) for v in violations]


# One None for two consumers leaves the second waiting forever: that run is
# pinned in schedule mode (tests/pinned/minima.py, MINIMA), replayed under
# every start method, where the deadlock is named once nothing else can
# happen. Its jitter-mode test had to guess it with a wall-clock deadline by
# which the producer and the other consumer were to have finished; beside CPU
# hogs they sometimes had not (2 of 20 runs of the flakiness campaign), so the
# deadline, not the program, decided the verdict.
