"""Queues: one way and two queues hold; the tutorial's single two-way queue is caught."""

from __future__ import annotations

from sut.engine.invariants import NO_HANG
from sut.scenarios.queue import Params, check
from tests import handmade
from tests.checked import assert_refused

# --- the checker, on hand-made results -------------------------------------

def _exchange(*steps, messages=1, left=(), **kwargs):
    return handmade.result("queue", Params(messages=messages), list(steps),
                           final={"left": [list(item) for item in left]}, **kwargs)


def _found(exchange):
    return [(v.invariant, v.detail) for v in check(exchange)]


def test_check_accepts_a_message_and_its_reply() -> None:
    exchange = _exchange(("main", "put", {"message": 0}), ("child", "ready", {}),
                         ("child", "got", {"sender": "main", "message": 0}),
                         ("child", "put", {"message": 0}),
                         ("main", "got", {"sender": "child", "message": 0}))
    assert check(exchange) == []


def test_check_finds_messages_taken_twice_left_behind_lost_or_never_put() -> None:
    exchange = _exchange(("main", "put", {"message": 0}), ("main", "put", {"message": 1}),
                         ("main", "put", {"message": 2}),
                         ("child", "got", {"sender": "main", "message": 0}),
                         ("child", "got", {"sender": "main", "message": 0}),
                         ("child", "got", {"sender": "main", "message": 3}),
                         messages=3, left=[("main", 1)])
    assert _found(exchange) == [
        ("exactly-once", "main's message 0 was taken 2 times"),
        ("exactly-once", "main's message 1 was never taken: it was still in the queue at the end"),
        ("exactly-once", "main's message 2 was never taken: nobody got it and it was not in the "
                         "queue either"),
        ("exactly-once", "main's message 3 was taken, but never put")]


def test_check_finds_a_sender_s_messages_out_of_order() -> None:
    exchange = _exchange(("main", "put", {"message": 0}), ("main", "put", {"message": 1}),
                         ("child", "got", {"sender": "main", "message": 1}),
                         ("child", "got", {"sender": "main", "message": 0}), messages=2)
    assert _found(exchange) == [("fifo", "child got main's messages in the order 1 and 0")]


def test_check_finds_a_message_back_at_its_sender() -> None:
    exchange = _exchange(("main", "put", {"message": 0}), ("child", "put", {"message": 0}),
                         ("main", "got", {"sender": "main", "message": 0}),
                         ("child", "got", {"sender": "child", "message": 0}))
    assert _found(exchange) == [("not-to-sender", "main got its own message 0 back"),
                                ("not-to-sender", "child got its own message 0 back")]


def test_check_finds_a_child_and_main_waiting_for_messages_that_never_came() -> None:
    exchange = _exchange(("main", "put", {"message": 0}),
                         ("main", "got", {"sender": "main", "message": 0}),
                         ("main", "no-reply", {"got": 1}), ("child", "ready", {}),
                         messages=2, statuses={"child": "hung"}, left=[("main", 1)])
    assert [detail for invariant, detail in _found(exchange) if invariant == NO_HANG] == [
        "child hung after 'ready' and was stopped at the deadline, waiting for a message that "
        "never came (it had got 0 of 2 messages)",
        "main waited for a reply that never came (it had got 1 of 2 replies)"]


def test_check_finds_a_child_that_never_started_and_one_that_crashed() -> None:
    assert _found(_exchange(("main", "no-child", {}), statuses={"child": "crashed"})) == [
        ("clean-exit", "child crashed before its first point: ValueError: boom"),
        ("no-hang", "main waited for the child to start, in vain")]


def test_params_name_the_bad_value() -> None:
    assert_refused(Params, messages=(0, "messages must be a whole number >= 1, got 0"),
                   delay=(-0.1, "delay must be a number of seconds from 0 to 1.0"))
