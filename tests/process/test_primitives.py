"""The primitives real programs use, scheduled against the real ones: each run is a
function of its schedule, each wait the model knows of, and exploration sees all they share.

Each test is one of the wrong verdicts the engine once gave, or a primitive the
Backend offers, run by schedules on the real primitive.
"""

from __future__ import annotations

import functools
import time

import pytest

from sut.drive.explore import explore
from sut.engine import Backend, Run, Schedule, Violation
from tests import programs


def _explore(run, check, **options):
    return explore(lambda schedule: (lambda result: (result, check(result)))(
        run(schedule)), **options)


def test_a_value_overwritten_between_a_write_and_its_read_back_is_found_with_the_cache() -> None:
    # A: the state's fingerprint once left shared memory out, and the cache
    # pruned the one branch where a's write lands between b's write and read.
    found = [_explore(lambda schedule: programs.run_overwrite("fork", schedule),
                      programs.overwritten, cache=cache) for cache in (True, False)]
    assert all(exploration.complete for exploration in found)
    assert found[0].violating > 0
    assert found[1].violating > 0


def test_the_overwrite_replays_under_every_start_method(start_method: str) -> None:
    result = programs.run_overwrite(start_method, (1, 0, 1))
    assert [v.detail for v in programs.overwritten(result)] == ["b wrote 2 and read back 1"]


def test_what_a_scheduled_queue_holds_is_the_same_on_every_run(start_method: str) -> None:
    # B: qsize(), empty() and full() once asked the real queue, behind its feeder thread.
    seen = set()
    for _ in range(3):
        result = programs.run_queue_questions(start_method, (-1, -1, -1, 0))
        assert result.final["left"] == [0, 1, 2, "empty"]
        seen.add(tuple(sorted(next(e for e in result.events if e.label == "sees").data.items())))
    assert seen == {(("empty", False), ("full", True), ("qsize", 3))}


def test_items_put_by_two_processes_are_in_the_queue_in_the_order_of_the_schedule(
        start_method: str) -> None:
    # Each process's feeder thread writes its items to the queue's pipe on its own: an
    # item slow to pickle, put first, once reached the pipe after one put later.
    result = programs.run_two_putters(start_method, (0, 1))
    assert [step.worker for step in result.steps if step.op.kind == "put"] == ["first", "second"]
    assert result.final["taken"] == ["slow", "quick"]


def test_a_fix_under_the_arrays_own_lock_holds_in_every_interleaving() -> None:
    # C: the lock of Array(...).get_lock() is the backend's now: no false hang.
    # (Every start method runs it below, by one schedule.)
    exploration = _explore(lambda schedule: programs.run_bank("fork", 2, 1, schedule=schedule),
                           programs.money_kept)
    assert (exploration.violating, exploration.complete) == (0, True)
    assert exploration.runs > 1


def test_main_reading_the_array_while_a_teller_holds_its_lock_waits_its_turn(
        start_method: str) -> None:
    # C: main's read once blocked on the real lock of a worker parked at a gate.
    began = time.monotonic()
    result = programs.run_bank(start_method, 1, 1, schedule=(0, -1), main_reads=True)
    assert time.monotonic() - began < programs.TIMEOUT / 2
    assert all(outcome.status == "ok" for outcome in result.workers)
    assert [e.data["total"] for e in result.events if e.label == "total"] == [100]
    assert programs.money_kept(result) == []


@functools.cache
def _lost_money() -> tuple[tuple[int, ...], list[Violation]]:
    """The first interleaving in which the unlocked transfer loses money (found once)."""
    exploration = _explore(lambda schedule: programs.run_bank("fork", 2, 1, locked=False,
                                                              schedule=schedule),
                           programs.money_kept, until_first=True)
    assert exploration.first is not None
    result, violations = exploration.first
    return result.schedule or (), violations


def test_the_unlocked_transfer_loses_money_in_some_interleaving(start_method: str) -> None:
    schedule, violations = _lost_money()
    replayed = programs.run_bank(start_method, 2, 1, locked=False, schedule=schedule)
    assert programs.money_kept(replayed) == violations


def test_a_condition_wait_for_holds_in_every_interleaving() -> None:
    def consumed(result):
        return [] if [(e.data["got"], e.data["value"]) for e in result.events
                      if e.label == "consumed"] == [(True, 1)] else ["not consumed"]

    exploration = _explore(lambda schedule: programs.run_condition("fork", schedule=schedule),
                           consumed)
    assert (exploration.violating, exploration.complete) == (0, True)


def test_a_wait_that_does_not_look_first_misses_an_early_notify_as_a_named_deadlock() -> None:
    # The producer notifies before the consumer sleeps: nobody is left to wake it.
    result = programs.run_condition("fork", checks_first=False, schedule=Schedule((1,)))
    assert result.deadlock == "deadlock: consumer waits for a notify() of ready"


def test_a_bounded_queue_makes_the_putter_wait_for_room() -> None:
    result = programs.run_bounded("fork", 3)
    assert [e.data["item"] for e in result.events if e.label == "got"] == [0, 1, 2]
    assert all(outcome.status == "ok" for outcome in result.workers)
    # No reader: the second put waits for room that never comes, named at once.
    stuck = programs.run_bounded("fork", 2, readers=0)
    assert stuck.deadlock == "deadlock: putter waits for room in q (full: 1 items)"


def test_a_worker_blocked_on_a_lock_the_backend_did_not_make_is_named_at_once(
        start_method: str) -> None:
    # C: such a worker was once called hung at the deadline - a false verdict.
    began = time.monotonic()
    result = programs.run_raw_lock(start_method)
    assert time.monotonic() - began < programs.TIMEOUT / 3
    outcome = result.worker("teller 1")
    assert outcome.status == "blocked"
    assert outcome.describe() == (
        "teller 1 is blocked outside the schedule before its first point, in a futex (a lock, "
        "semaphore or condition): is it waiting on a primitive the Backend did not make?")
    assert result.scenario_error == outcome.describe()


def test_main_at_a_barrier_no_worker_can_reach_gives_up_at_once() -> None:
    # Main arrives and waits to pass at one gate; the worker blocks on a lock main holds
    # that the Backend did not make, before it reaches the barrier.
    backend = Backend("fork")
    with Run(backend, "barrier", "main waits", {}, mode=Schedule(),
             timeout=programs.TIMEOUT) as run:
        lock = backend.context.Lock()
        lock.acquire()
        start = backend.Barrier(2, "start")
        run.spawn("teller", programs.take_raw_lock, lock)
        began = time.monotonic()
        with pytest.raises(RuntimeError, match=r"^main would wait forever for 1 more at "
                                               r"barrier start: a worker hangs outside any gate$"):
            start.wait()
        assert time.monotonic() - began < programs.TIMEOUT / 3
        lock.release()
        assert run.result().worker("teller").status == "ok"


def test_an_exploration_that_cannot_see_a_shared_lock_compares_no_states() -> None:
    # The raw lock is handed to the tellers: the run says so, and nothing is pruned.
    result = programs.run_raw_lock("fork")
    assert result.unseen == ("teller 0 was handed a Lock the backend did not make; "
                             "teller 1 was handed a Lock the backend did not make")
