"""The coordinator: one worker at a time, in the schedule's order, deadlocks named at once."""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time

import pytest

from sut.engine import Backend, Run, Schedule
from sut.engine.coordinator import _ready, format_schedule, parse_schedule
from sut.engine.gate import receive, send

# Far longer than any run here takes: reaching it would mean the coordinator waited on a clock.
LONG = 30.0


def test_main_waiting_for_what_no_worker_can_bring_gives_up_at_once_or_is_an_error() -> None:
    backend = Backend("fork")
    with Run(backend, "test", "main waits", {}, mode=Schedule(), timeout=LONG):
        queue = backend.Queue(name="inbox")
        began = time.monotonic()
        with pytest.raises(queue_module.Empty):
            queue.get(timeout=LONG)  # a timeout fires once nothing else can happen: now
        assert time.monotonic() - began < LONG / 3
        with pytest.raises(RuntimeError, match=r"main would wait forever for an item in inbox"):
            queue.get()


def test_schedules_read_and_print_as_comma_separated_indices() -> None:
    assert parse_schedule("0,1, m 2") == (0, 1, -1, 2)
    assert parse_schedule("") == ()
    assert format_schedule((0, -1, 0)) == "0,m,0"
    with pytest.raises(ValueError, match=r"a schedule lists worker indices like 0,1,m,0 "
                                         r"\(m is main\); 'x' is not one"):
        parse_schedule("0,x")
    with pytest.raises(ValueError, match=r"worker indices >= 0 \(-1 for main\)"):
        Schedule((-2,))


def test_the_coordinator_hears_from_the_workers_with_something_to_say_or_gone() -> None:
    pairs = [multiprocessing.Pipe() for _ in range(3)]
    ours = [our for our, _ in pairs]
    assert _ready(ours, 0.01) == []  # nobody said anything: after the timeout, nobody
    send(pairs[1][1], ("point", "read", None, "", False, (), ()))
    pairs[2][1].close()  # gone without a word: its end of file is something to read
    assert _ready(ours, LONG) == [ours[1], ours[2]]
    assert receive(ours[1]) == ("point", "read", None, "", False, (), ())
    for our, their in pairs:
        our.close()
        their.close()
