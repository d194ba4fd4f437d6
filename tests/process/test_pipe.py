"""Pipes: closing every unused end holds; a leaked send end is caught hanging."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.scenarios.pipe import Params, check
from tests import handmade
from tests.strategies import RACE_JITTER, pipe_trials
from tests.verdicts import assert_holds, minimal_counterexample

PIPE = sut.get("pipe")


# A run in which the receiver is expected to hang is stopped after this long:
# the receiver is ready within a few tenths of a second, even under spawn.
HANG_TIMEOUT = 1.0


# --- the checker, on hand-made results -------------------------------------

def _stream(*steps, messages=1, **kwargs):
    return handmade.result("pipe", Params(messages=messages), list(steps), **kwargs)


def _found(stream):
    return [(v.invariant, v.detail) for v in check(stream)]


def test_check_accepts_a_stream_ended_by_eof() -> None:
    stream = _stream(("receiver", "ready", {}), ("main", "sent", {"message": 0}),
                     ("receiver", "received", {"message": 0}), ("main", "closed", {}),
                     ("receiver", "eof", {}))
    assert check(stream) == []


def test_check_accepts_an_empty_stream_ended_by_eof() -> None:
    stream = _stream(("receiver", "ready", {}), ("main", "closed", {}), ("receiver", "eof", {}),
                     messages=0)
    assert check(stream) == []


def test_check_finds_messages_missing_or_out_of_order() -> None:
    stream = _stream(("receiver", "received", {"message": 2}),
                     ("receiver", "received", {"message": 0}), ("main", "closed", {}),
                     ("receiver", "eof", {}), messages=3)
    assert _found(stream) == [("in-order", "main sent 0, 1 and 2, the receiver got 2 and 0")]


def test_check_names_a_send_that_failed() -> None:
    stream = _stream(("main", "send-failed", {"message": 0, "error": "BrokenPipeError: x"}),
                     ("main", "closed", {}), ("receiver", "eof", {}))
    assert _found(stream) == [
        ("in-order", "main sent 0, the receiver got none; "
                     "main send-failed message=0 error='BrokenPipeError: x'")]


def test_check_finds_a_receiver_that_never_saw_eof() -> None:
    stream = _stream(("receiver", "received", {"message": 0}))
    assert _found(stream) == [
        ("sees-eof", "the receiver never saw EOF after message 0 (1 of 1 message received; "
                     "main had not closed its send end)")]


def test_check_names_where_a_hung_receiver_was_stuck() -> None:
    stream = _stream(("receiver", "ready", {}), ("main", "sent", {"message": 0}),
                     ("receiver", "received", {"message": 0}), ("main", "sent", {"message": 1}),
                     ("receiver", "received", {"message": 1}), ("main", "closed", {}),
                     messages=2, statuses={"receiver": "hung"})
    assert _found(stream) == [
        ("no-hang", "receiver hung after 'received' and was stopped at the deadline, waiting "
                    "for EOF after message 1 (2 of 2 messages received; main had closed its "
                    "send end)"),
        ("sees-eof", "the receiver never saw EOF after message 1 (2 of 2 messages received; "
                     "main had closed its send end)")]


def test_check_reports_a_crashed_receiver() -> None:
    stream = _stream(("main", "closed", {}), statuses={"receiver": "crashed"}, messages=0)
    assert _found(stream) == [
        ("clean-exit", "receiver crashed before its first point: ValueError: boom"),
        ("sees-eof", "the receiver never saw EOF with nothing received (main had sent "
                     "0 messages and had closed its send end)")]


def test_params_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match="messages must be a whole number >= 0, got -1"):
        Params(messages=-1)


# --- the correct program holds ---------------------------------------------

@given(trial=pipe_trials())
def test_closed_ends_deliver_every_message_in_order_then_eof(start_method, trial) -> None:
    assert_holds(PIPE, "closed-ends", trial, start_method)


# --- the leaked end is caught ----------------------------------------------

def test_leaked_end_leaves_the_receiver_waiting_for_eof_forever(start_method) -> None:
    # The hang needs no data at all: with nothing sent and main's send end
    # closed, the receiver's own copy of the send end keeps the pipe open.
    # Every failing run lasts HANG_TIMEOUT, so the search is narrow, and not
    # shrunk: the first trial Hypothesis tries is the smallest one there is
    # (no message), so shrinking could only replay that hang once more.
    params, seed, violations = minimal_counterexample(
        PIPE, "leaked-end",
        pipe_trials(messages=st.integers(0, 2), jitter=st.just(RACE_JITTER), seeds=st.just(0)),
        start_method, invariants={"no-hang"}, shrink=False, timeout=HANG_TIMEOUT)
    assert (params, seed) == (Params(messages=0, jitter=RACE_JITTER), 0)
    assert [v.detail for v in violations] == [
        "receiver hung after 'ready' and was stopped at the deadline, waiting for EOF with "
        "nothing received (main had sent 0 messages and had closed its send end)"]
