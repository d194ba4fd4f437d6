"""Event: a multiprocessing Event keeps the tutorial's promises; a threading.Event does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.engine.invariants import CLEAN_EXIT
from sut.scenarios import event
from sut.scenarios.event import Params
from tests.strategies import RACE_JITTER, event_trials
from tests.verdicts import assert_trial_holds, minimal_counterexample

EVENT = sut.get("event")


# --- the correct program holds ---------------------------------------------

@given(trial=event_trials())
def test_event_starts_clear_wakes_every_waiter_and_times_out_once_cleared(
        start_method, trial) -> None:
    assert_trial_holds(EVENT, "event", trial, start_method)


# --- the broken program is caught, with its minimal counterexample ---------

@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_thread_event_never_reaches_a_single_waiter(start_method) -> None:
    # The mistake is structural, not a matter of timing: only the number of
    # waiters is searched. Under fork the child waits on its own copy; under
    # spawn and forkserver the event cannot even be sent to it.
    params, seed, violations = minimal_counterexample(
        EVENT, "thread-event", event_trials(jitter=st.just(RACE_JITTER), timeout=st.just(0.1),
                                            seeds=st.just(0)),
        start_method, invariants={event.set_wakes.name, CLEAN_EXIT})
    assert (params, seed) == (Params(waiters=1, timeout=0.1, jitter=RACE_JITTER), 0)
    if start_method == "fork":
        assert [(v.invariant, v.detail) for v in violations] == [
            ("set-wakes", "main called set(), but waiter 0's wait() returned False")]
    else:
        assert [(v.invariant, v.detail) for v in violations] == [
            ("clean-exit", "waiter 0 crashed before its first point: could not start: "
                           "TypeError: cannot pickle '_thread.lock' object"),
            ("clean-exit", "main gave up at 'start': waiter 0 could not start")]
