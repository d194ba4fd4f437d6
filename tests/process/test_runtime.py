"""The runtime: outcomes of crashes, hangs and kills, bounded waits, no leftovers."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest

from sut.engine import Backend, Kill, Run, Schedule, runner
from sut.engine.backend import drain, join_queue
from sut.engine.counting import PastCount, counting_to
from tests import slow_start, workers


def test_events_come_back_in_time_order_with_payloads(start_method: str) -> None:
    with Run(Backend(start_method), "test", "steps", {}) as run:
        run.spawn("a", workers.steps, 3)
        run.spawn("b", workers.steps, 2)
        result = run.result()
    assert [outcome.status for outcome in result.workers] == ["ok", "ok"]
    times = [event.t_ns for event in result.events]
    assert times == sorted(times)
    assert [e.data["i"] for e in result.events if e.worker == "a"] == [0, 1, 2]
    assert result.start_method == start_method


def test_a_crash_is_an_outcome_with_its_traceback(start_method: str) -> None:
    with Run(Backend(start_method), "test", "crash", {}) as run:
        run.spawn("crasher", workers.crash)
        result = run.result()
    outcome = result.worker("crasher")
    assert outcome.status == "crashed"
    assert outcome.exitcode == 1
    assert outcome.error == "RuntimeError: the worker broke on purpose"
    assert outcome.traceback is not None
    assert "raise RuntimeError" in outcome.traceback
    assert outcome.last_point == "before"


def test_a_hang_is_reported_at_the_deadline_and_stopped(start_method: str) -> None:
    with Run(Backend(start_method), "test", "hang", {}, timeout=1.0) as run:
        run.spawn("sleeper", workers.hang)
        run.spawn("quick", workers.steps, 1)
        result = run.result()
    # The deadline counts from the last worker's start (start-up is not a hang: a
    # spawned interpreter on a loaded machine takes seconds), then the terminate
    # grace; each worker's first event is just after its start, on the same clock.
    started = max(min(event.t_ns for event in result.events_by(name)) for name in
                  ("sleeper", "quick")) / 1e9
    assert time.monotonic() - started < 1.0 + 3.0
    assert result.worker("sleeper").status == "hung"
    assert result.worker("sleeper").last_point == "stuck here"
    assert "hung after 'stuck here'" in result.worker("sleeper").describe()
    assert result.worker("quick").status == "ok"


# Spawn only: a spawned child imports the worker's module afresh, with the
# environment of the moment (a forkserver child has the server's).
def test_a_slow_start_up_is_not_a_hang(monkeypatch) -> None:
    # On a loaded machine a child interpreter may take seconds to get going:
    # the deadline counts from when the last worker started running its code.
    # The start-up takes longer than the timeout, which is still long enough,
    # under load, for the little the worker does once it runs and for its exit.
    monkeypatch.setenv(slow_start.SLOW_START, "1.5")
    with Run(Backend("spawn"), "test", "slow", {}, timeout=1.0) as run:
        run.spawn("late", slow_start.greet)
        result = run.result()
    assert result.worker("late").status == "ok"
    assert [event.label for event in result.events] == ["hello"]


def test_while_a_worker_starts_up_main_may_wait_as_long_as_the_deadline_can_move(
        monkeypatch) -> None:
    # A barrier given up on breaks for good: main's one wait at it must outlast a
    # slow start-up, which the deadline does not count.
    monkeypatch.setenv(slow_start.SLOW_START, "1.0")
    with Run(Backend("spawn"), "test", "slow", {}, timeout=0.3) as run:
        run.spawn("late", slow_start.greet)
        assert run.remaining() > runner.START_LIMIT - 5
        result = run.result()
        assert run.remaining() < 1  # started: the timeout from its start, at most
    assert result.worker("late").status == "ok"


def test_a_worker_that_never_gets_going_is_hung_at_the_start_limit(monkeypatch) -> None:
    monkeypatch.setenv(slow_start.SLOW_START, "60")
    monkeypatch.setattr(runner, "START_LIMIT", 0.5)
    began = time.monotonic()
    with Run(Backend("spawn"), "test", "stuck", {}, timeout=0.1) as run:
        run.spawn("never", slow_start.greet)
        result = run.result()
    assert time.monotonic() - began < 0.5 + 3.0  # the limit plus the terminate grace
    assert result.worker("never").describe() == (
        "never hung before its first point and was stopped at the deadline")


def test_an_exit_code_is_a_failed_outcome() -> None:
    with Run(Backend("fork"), "test", "exit", {}) as run:
        run.spawn("quitter", workers.exit_with, 3)
        result = run.result()
    assert (result.worker("quitter").status, result.worker("quitter").exitcode) == ("failed", 3)


def test_an_injected_kill_stops_the_worker_at_that_point(start_method: str) -> None:
    with Run(Backend(start_method), "test", "kill", {}, kill=Kill("step", "victim")) as run:
        run.spawn("victim", workers.steps, 3)
        run.spawn("bystander", workers.steps, 2)
        result = run.result()
    outcome = result.worker("victim")
    assert (outcome.status, outcome.exitcode, outcome.injected) == ("killed", -9, True)
    assert [e.label for e in result.events if e.worker == "victim"] == ["step", "killed"]
    assert result.worker("bystander").status == "ok"


def test_an_unnamed_kill_takes_exactly_one_worker_the_first_there() -> None:
    with Run(Backend("fork"), "test", "kill", {}, kill=Kill("step")) as run:
        for i in range(4):
            run.spawn(f"w{i}", workers.steps, 2)
        result = run.result()
    killed = [outcome.name for outcome in result.workers if outcome.status == "killed"]
    assert len(killed) == 1
    assert result.worker(killed[0]).injected
    assert [e.label for e in result.events if e.worker == killed[0]] == ["step", "killed"]


def test_leaving_the_run_early_stops_workers_and_removes_its_files() -> None:
    with Run(Backend("fork"), "test", "early", {}, timeout=30) as run:
        run.spawn("sleeper", workers.hang)
        workdir = run.workdir
    assert not workdir.exists()
    # The leak guard fails this test if the sleeper survived.


def test_worker_names_are_unique() -> None:
    with Run(Backend("fork"), "test", "names", {}) as run:
        run.spawn("same", workers.steps, 0)
        with pytest.raises(ValueError, match="'same' already exists"):
            run.spawn("same", workers.steps, 0)
        run.result()


def test_drain_takes_what_writers_left_and_closing_leaves_no_thread(start_method) -> None:
    backend = Backend(start_method)
    with Run(backend, "test", "queue", {}) as run:
        queue = backend.Queue()
        run.spawn("writer", workers.put_all, queue, list(range(100)))
        result = run.result()
        assert drain(queue) == list(range(100))
    assert result.worker("writer").status == "ok"


def test_a_parent_side_probe_joins_the_events(start_method) -> None:
    with Run(Backend(start_method), "test", "main", {}) as run:
        main = run.probe("main")
        main.record("before")
        run.spawn("w", workers.steps, 1)
        run.wait()
        main.record("after")
        result = run.result()
    assert [e.worker for e in result.events] == ["main", "w", "main"]
    with Run(Backend("fork"), "test", "names", {}) as run:
        run.probe("main")
        with pytest.raises(ValueError, match="'main' already exists"):
            run.spawn("main", workers.steps, 0)


def test_join_queue_is_bounded_and_true_once_every_task_is_done() -> None:
    backend = Backend("fork")
    with Run(backend, "test", "join", {}) as run:
        tasks = backend.JoinableQueue()
        for item in range(3):
            tasks.put(item)
        began = time.monotonic()
        assert not join_queue(tasks, 0.2)
        assert 0.2 <= time.monotonic() - began < 2
        run.spawn("taker", workers.take_tasks, tasks, 3)
        assert join_queue(tasks, 5)
        run.result()


def test_a_worker_that_cannot_start_is_a_crashed_outcome() -> None:
    import threading

    with Run(Backend("spawn"), "test", "unpicklable", {}) as run:
        run.spawn("w", workers.steps, threading.Lock())  # spawn cannot pickle it
        result = run.result()
    outcome = result.worker("w")
    assert outcome.status == "crashed"
    assert outcome.error is not None
    assert outcome.error.startswith("could not start: TypeError: cannot pickle")


@pytest.mark.parametrize("scheduled", [False, True])
def test_a_run_counting_its_processes_stops_before_one_past_the_count(
        start_method: str, scheduled: bool) -> None:
    mode = Schedule(()) if scheduled else None
    with counting_to(2), Run(Backend(start_method), "test", "count", {}, mode=mode) as run:
        run.spawn("a", workers.steps, 1)
        run.spawn("b", workers.steps, 1)
        with pytest.raises(PastCount) as past:
            run.spawn("c", workers.steps, 1)
    assert past.value.at_least == 3
    assert [worker.name for worker in run._workers] == ["a", "b"]  # c never started
    # Up to the count, a run goes as ever. The leak guard: nothing is left of either.
    with counting_to(2), Run(Backend(start_method), "test", "count", {}, mode=mode) as run:
        run.spawn("a", workers.steps, 1)
        run.spawn("b", workers.steps, 1)
        assert [outcome.status for outcome in run.result().workers] == ["ok", "ok"]


def test_a_program_that_swallows_the_stop_of_a_count_gets_no_result() -> None:
    with counting_to(0), Run(Backend("fork"), "test", "count", {}) as run:
        with contextlib.suppress(BaseException):  # a program that catches everything
            run.spawn("a", workers.steps, 1)
        with pytest.raises(PastCount):
            run.result()


def test_a_queue_s_pipe_closes_with_its_run_even_where_nothing_was_put(start_method: str
                                                                       ) -> None:
    # Its feeder thread never ran: the pipe would close only when the queue is collected
    # - which a run ended by an exception (its traceback holds it) may put off.
    made: list[Any] = []
    with pytest.raises(RuntimeError):
        _fail_after_making_a_queue(start_method, made)
    assert made[0]._reader.closed
    assert made[0]._writer.closed


def _fail_after_making_a_queue(start_method: str, made: list[Any]) -> None:
    with Run(Backend(start_method), "test", "queue", {}) as run:
        made.append(run.backend.Queue())
        raise RuntimeError("the run's own code failed")
