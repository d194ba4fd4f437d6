"""Pipes: closing every unused end holds; a leaked send end is caught hanging."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.drive.strategies import trials
from sut.engine.invariants import NO_HANG
from sut.scenarios.pipe import Params
from tests.strategies import RACE_JITTER
from tests.verdicts import assert_trial_holds, minimal_counterexample

PIPE = sut.get("pipe")


# A run in which the receiver is expected to hang is stopped after this long:
# the receiver is ready within a few tenths of a second, even under spawn.
HANG_TIMEOUT = 1.0


# --- the correct program holds ---------------------------------------------

@given(trial=trials(PIPE))
def test_closed_ends_deliver_every_message_in_order_then_eof(start_method, trial) -> None:
    assert_trial_holds(PIPE, "closed-ends", trial, start_method)


# --- the leaked end is caught ----------------------------------------------

@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_leaked_end_leaves_the_receiver_waiting_for_eof_forever(start_method) -> None:
    # The hang needs no data at all: with nothing sent and main's send end
    # closed, the receiver's own copy of the send end keeps the pipe open.
    # Every failing run lasts HANG_TIMEOUT, so the search is narrow, and not
    # shrunk: the first trial Hypothesis tries is the smallest one there is
    # (no message), so shrinking could only replay that hang once more.
    params, seed, violations = minimal_counterexample(
        PIPE, "leaked-end",
        trials(PIPE, messages=st.integers(0, 2), jitter=st.just(RACE_JITTER), seeds=st.just(0)),
        start_method, invariants={NO_HANG}, shrink=False, timeout=HANG_TIMEOUT)
    assert (params, seed) == (Params(messages=0, jitter=RACE_JITTER), 0)
    assert [v.detail for v in violations] == [
        "receiver hung after 'ready' and was stopped at the deadline, waiting for EOF with "
        "nothing received (main had sent 0 messages and had closed its send end)"]
