"""Bakery: a None per consumer, sent after the producers, holds; the tutorial's are caught."""

from __future__ import annotations

import re

import pytest

from sut.scenarios.bakery import Params, check, ends_by_sentinel, main_finishes, queue_empty
from tests import handmade

# --- the checker, on hand-made results -------------------------------------

def _day(*steps, producers=1, consumers=1, buns=1, leftover=(), **kwargs):
    params = Params(producers=producers, consumers=consumers, buns=buns)
    final = {"leftover": None if leftover is None else list(leftover)}
    return handmade.result("bakery", params, list(steps), final=final, **kwargs)


def _eat(consumer, maker, bun):
    return (f"consumer {consumer}", "eat", {"producer": maker, "bun": bun})


def _got_none(consumer):
    return (f"consumer {consumer}", "got-none", {})


MAIN_PUTS_NONES = ("main", "put-none", {"count": 2})


def test_check_accepts_two_consumers_recording_out_of_queue_order() -> None:
    # consumer 0 got bun 0 first, but consumer 1 recorded eating bun 1 before
    # consumer 0 recorded bun 0: across consumers that is no disorder.
    day = _day(_eat(1, 0, 1), _eat(0, 0, 0), _eat(0, 0, 2), MAIN_PUTS_NONES,
               _got_none(0), _got_none(1), consumers=2, buns=3)
    assert check(day) == []


def test_check_finds_buns_never_eaten_and_eaten_twice() -> None:
    day = _day(_eat(0, 0, 0), _eat(1, 0, 0), MAIN_PUTS_NONES, _got_none(0), _got_none(1),
               producers=2, consumers=2, buns=2)
    assert [(v.invariant, v.detail) for v in check(day)] == [
        ("exactly-once", "bun 1 of producer 0, bun 0 of producer 1 and bun 1 of producer 1 "
                         "were never eaten"),
        ("exactly-once", "bun 0 of producer 0 was eaten 2 times: by consumer 0 and consumer 1"),
    ]


def test_check_tells_long_runs_of_buns_never_eaten_as_spans() -> None:
    # Few buns missing in a row are named one by one, as ever; many as a span.
    day = _day(_eat(0, 0, 0), _eat(0, 0, 6), _eat(0, 1, 3), MAIN_PUTS_NONES, _got_none(0),
               producers=2, buns=10)
    assert [(v.invariant, v.detail) for v in check(day)] == [
        ("exactly-once", "buns 1 to 5 of producer 0, bun 7 of producer 0, bun 8 of producer "
                         "0, bun 9 of producer 0, bun 0 of producer 1, bun 1 of producer 1, "
                         "bun 2 of producer 1 and buns 4 to 9 of producer 1 were never eaten")]


def test_check_finds_a_consumer_that_saw_a_producer_out_of_order() -> None:
    day = _day(_eat(0, 0, 1), _eat(0, 0, 0), ("main", "put-none", {"count": 1}), _got_none(0),
               buns=2)
    assert [(v.invariant, v.detail) for v in check(day)] == [
        ("producer-order", "consumer 0 ate bun 0 of producer 0 after bun 1")]


def test_check_finds_consumers_that_never_got_a_none() -> None:
    day = _day(("consumer 0", "get", {}), _eat(0, 0, 0), ("consumer 0", "get", {}),
               ("producer 0", "put-none", {}), _got_none(1), ("consumer 2", "get", {}),
               ("main", "gave-up", {"waiting_for": "consumer 0 and consumer 2"}),
               consumers=3, leftover=None, statuses={"consumer 0": "hung", "consumer 2": "hung"})
    found = [(v.invariant, v.detail) for v in check(day)]
    assert ("no-hang", "consumer 0 hung after 'get' and was stopped at the deadline") in found
    assert [detail for invariant, detail in found if invariant == ends_by_sentinel.name] == [
        "consumer 0 never got a None: it was still waiting in get() after eating bun 0 of "
        "producer 0 at the deadline (1 None sent for 3 consumers)",
        "consumer 2 never got a None: it was still waiting in get() before eating any bun at "
        "the deadline (1 None sent for 3 consumers)"]


def test_check_finds_main_giving_up_a_wait() -> None:
    day = _day(_eat(0, 0, 0), ("main", "gave-up", {"waiting_for": "every bun to be marked done"}),
               ("consumer 0", "get", {}), leftover=None, statuses={"consumer 0": "hung"})
    assert [v.detail for v in check(day) if v.invariant == main_finishes.name] == [
        "main gave up waiting for every bun to be marked done: unbounded, "
        "it would wait forever"]


def test_check_finds_what_was_left_in_the_queue() -> None:
    day = _day(_eat(0, 0, 0), ("producer 0", "put-none", {}), ("producer 1", "put-none", {}),
               _got_none(0), producers=2, leftover=[[1, 0], None])
    assert [(v.invariant, v.detail) for v in check(day)] == [
        ("exactly-once", "bun 0 of producer 1 was never eaten"),
        ("queue-empty", "1 None was left in the queue (2 Nones sent for 1 consumer)"),
        ("queue-empty", "bun 0 of producer 1 was left in the queue"),
    ]


def test_check_does_not_judge_a_queue_it_could_not_drain() -> None:
    # A consumer stopped inside get() dies holding the queue's read lock:
    # run leaves "leftover" unset rather than report an empty queue it never saw.
    day = _day(_eat(0, 0, 0), ("consumer 0", "get", {}), leftover=None,
               statuses={"consumer 0": "hung"})
    assert queue_empty.name not in {v.invariant for v in check(day)}


def test_check_reports_a_crashed_producer() -> None:
    day = _day(("main", "put-none", {"count": 1}), _got_none(0),
               statuses={"producer 0": "crashed"})
    assert [(v.invariant, v.detail) for v in check(day)] == [
        ("clean-exit", "producer 0 crashed before its first point: ValueError: boom"),
        ("exactly-once", "bun 0 of producer 0 was never eaten")]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("producers", 0, "producers must be a whole number >= 1, got 0"),
    ("consumers", True, "consumers must be a whole number >= 1, got True"),
    ("buns", 1.5, "buns must be a whole number >= 1, got 1.5"),
    ("jitter", -0.1, "jitter must be a number of seconds from 0 to 1.0, got -0.1"),
])
def test_params_name_the_bad_value(field, value, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Params(**{field: value})


def test_check_finds_a_bun_still_eaten_when_main_was_told_every_bun_was_done() -> None:
    # task_done() before the work: main's join() returned while consumer 0 ate.
    ate: tuple[str, str, dict[str, object]] = ("consumer 0", "ate", {})
    told: tuple[str, str, dict[str, object]] = ("main", "buns-done", {})
    early = _day(_eat(0, 0, 0), told, ate, ("main", "put-none", {"count": 1}), _got_none(0))
    assert [(v.invariant, v.detail) for v in check(early)] == [
        ("done-means-eaten", "consumer 0 was still eating bun 0 of producer 0 when main's "
                             "join() returned: it was marked done before it was eaten")]
    in_time = _day(_eat(0, 0, 0), ate, told, ("main", "put-none", {"count": 1}), _got_none(0))
    assert check(in_time) == []
