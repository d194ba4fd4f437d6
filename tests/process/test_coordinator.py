"""The coordinator: one worker at a time, in the schedule's order, deadlocks named at once."""

from __future__ import annotations

import time

from sut.engine import Backend, Run, Schedule
from tests import workers

# Far longer than any run here takes: reaching it would mean the coordinator waited on a clock.
LONG = 30.0


def _order(run: Run) -> list[str]:
    return [f"{event.worker}:{event.data['i']}" for event in run.result().events
            if event.label == "inside"]


def test_the_default_schedule_runs_each_worker_as_far_as_it_gets(start_method: str) -> None:
    backend = Backend(start_method)
    with Run(backend, "test", "default", {}, mode=Schedule()) as run:
        lock = backend.Lock("lock")
        for name in ("a", "b"):
            run.spawn(name, workers.take_turns, lock, 2)
        assert _order(run) == ["a:0", "a:1", "b:0", "b:1"]


def test_workers_start_up_together_and_begin_their_own_code_one_at_a_time(
        start_method: str) -> None:
    backend = Backend(start_method)
    with Run(backend, "test", "start-up", {}, mode=Schedule(), timeout=LONG) as run:
        main = run.probe("main")
        marks = {name: run.workdir / f"{name}-began" for name in ("a", "b")}
        for name in ("a", "b"):
            run.spawn(name, workers.mark_then_point, marks[name])
        # b's spawn let a's own code begin; b started up meanwhile, but its own
        # code waits for main's next move, however long main takes to make it.
        assert marks["a"].exists()
        started = run.workdir / "events-1.started"
        deadline = time.monotonic() + LONG
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.exists()
        assert not marks["b"].exists()
        main.record("spawned")  # main's move: b's code runs first, up to its point
        assert marks["b"].exists()
        result = run.result()
    assert [(event.worker, event.label) for event in result.events] == [
        ("a", "began"), ("b", "began"), ("main", "spawned")]


def test_a_schedule_decides_the_interleaving_the_same_way_every_time(start_method: str) -> None:
    orders = []
    for _ in range(3):
        backend = Backend(start_method)
        # a acquires, passes its point, releases; then b does the same, and
        # past the schedule's end the default lets b, the last to go, go on.
        with Run(backend, "test", "scheduled", {}, mode=Schedule((0, 0, 0, 1, 1, 1))) as run:
            lock = backend.Lock("lock")
            for name in ("a", "b"):
                run.spawn(name, workers.take_turns, lock, 2)
            orders.append(_order(run))
    assert orders == [["a:0", "b:0", "b:1", "a:1"]] * 3


def test_a_queue_nobody_fills_is_a_deadlock_named_without_waiting_for_the_deadline(
        start_method: str) -> None:
    backend = Backend(start_method)
    began = time.monotonic()
    with Run(backend, "test", "deadlock", {}, mode=Schedule(), timeout=LONG) as run:
        queue = backend.Queue(name="inbox")
        run.spawn("reader", workers.get_one, queue)
        result = run.result()
    assert time.monotonic() - began < LONG / 3
    assert result.deadlock == "deadlock: reader waits for an item in inbox (empty)"
    outcome = result.worker("reader")
    assert (outcome.status, outcome.waiting_for) == ("deadlocked", "an item in inbox (empty)")
    assert outcome.describe() == ("reader is stuck before its first point: "
                                  "it waits for an item in inbox (empty)")


def test_an_item_put_by_main_lets_the_reader_go_on(start_method: str) -> None:
    backend = Backend(start_method)
    with Run(backend, "test", "main puts", {}, mode=Schedule(), timeout=LONG) as run:
        queue = backend.Queue(name="inbox")
        run.spawn("reader", workers.get_one, queue)
        queue.put("hello")  # main's operation: it happens while the reader waits at its gate
        result = run.result()
    assert result.deadlock is None
    assert [(e.label, e.data) for e in result.events] == [("got", {"item": "hello"})]


def test_code_that_hangs_outside_any_gate_is_still_stopped_at_the_deadline() -> None:
    backend = Backend("fork")
    with Run(backend, "test", "hang", {}, mode=Schedule(), timeout=0.5) as run:
        run.spawn("sleeper", workers.hang)
        outcome = run.result().worker("sleeper")
    assert (outcome.status, outcome.last_point) == ("hung", "stuck here")


def test_a_worker_that_polls_forever_is_a_livelock_stopped_by_the_step_limit() -> None:
    backend = Backend("fork")
    with Run(backend, "test", "livelock", {}, mode=Schedule(), timeout=LONG) as run:
        run.spawn("poller", workers.poll_forever)
        result = run.result()
    assert result.worker("poller").status == "hung"
    assert len(result.steps) > 1000


