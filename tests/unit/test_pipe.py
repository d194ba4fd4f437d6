"""Pipes: closing every unused end holds; a leaked send end is caught hanging."""

from __future__ import annotations

import pytest

from sut.scenarios.pipe import SCENARIO, Params
from tests import handmade

check = SCENARIO.check

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


def test_check_tells_a_long_stream_cut_short_as_a_span() -> None:
    stream = _stream(("receiver", "ready", {}), ("main", "sent", {"message": 0}),
                     ("receiver", "received", {"message": 0}), messages=500,
                     statuses={"receiver": "hung"})
    assert ("in-order", "main sent 0 to 499, the receiver got 0") in _found(stream)


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
