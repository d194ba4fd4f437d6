"""The schedule model: which operations are enabled, and deadlocks named at once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sut.engine.model import Deadlock, Op, World


def _held_until(world: World, waiter: Op, reason: str, *, freed_by: Op,
                after: Sequence[Op] = ()) -> None:
    """Once ``after`` is applied, ``waiter`` waits for ``reason`` until ``freed_by`` is,
    and may go then."""
    for op in after:
        world.apply(op)
    assert world.waits_for(waiter) == reason
    world.apply(freed_by)
    assert world.enabled(waiter)


def _with_condition(*, recursive: bool = False) -> World:
    """A world with the condition ``ready`` on the lock (an RLock if ``recursive``) ``lock``."""
    world = World()
    world.lock("lock", recursive=recursive)
    world.condition("ready", "lock")
    return world


def test_a_lock_admits_one_holder_and_only_the_holder_releases_it() -> None:
    world = World()
    world.lock("lock")
    world.apply(Op("buyer 0", "acquire", "lock"))
    assert world.waits_for(Op("buyer 1", "acquire", "lock")) == "lock held by buyer 0"
    with pytest.raises(ValueError, match="buyer 1 releases lock, held by buyer 0"):
        world.apply(Op("buyer 1", "release", "lock"))
    world.apply(Op("buyer 0", "release", "lock"))
    assert world.enabled(Op("buyer 1", "acquire", "lock"))


def test_a_semaphore_admits_its_value_then_blocks() -> None:
    world = World()
    world.semaphore("rooms", 2)
    _held_until(world, Op("person 2", "acquire", "rooms"), "rooms (value 0)",
                after=[Op("person 0", "acquire", "rooms"), Op("person 1", "acquire", "rooms")],
                freed_by=Op("person 0", "release", "rooms"))


def test_an_event_starts_clear_and_wait_follows_set_and_clear() -> None:
    world = World()
    world.event("light")
    _held_until(world, Op("car 0", "wait", "light"), "light to be set",
                freed_by=Op("light", "set", "light"))
    world.apply(Op("light", "clear", "light"))
    assert not world.enabled(Op("car 0", "wait", "light"))


def test_a_pipe_blocks_when_empty_until_a_send_or_its_last_writer_closes() -> None:
    world = World()
    world.pipe("pipe", writers=["main"])
    assert world.waits_for(Op("receiver", "get", "pipe")) == (
        "a message or end of file on pipe (empty; its sending end is still open in main)")
    world.apply(Op("main", "put", "pipe"), "0")
    world.apply(Op("main", "put", "pipe"), "1")
    assert world.apply(Op("receiver", "get", "pipe")) == "0"  # first in, first out
    assert world.apply(Op("receiver", "get", "pipe")) == "1"
    assert not world.enabled(Op("receiver", "get", "pipe"))
    world.apply(Op("main", "close", "pipe"))
    assert world.apply(Op("receiver", "get", "pipe")) == ""  # end of file


def test_a_worker_that_ends_closes_its_pipe_ends_and_frees_its_flocks_only() -> None:
    world = World()
    world.pipe("pipe", writers=["main", "receiver"])
    world.lock("flock", freed_on_exit=True)
    world.lock("lock")
    world.apply(Op("buyer 0", "acquire", "flock"))
    world.apply(Op("buyer 1", "acquire", "lock"))
    for worker in ("receiver", "buyer 0", "buyer 1"):
        world.exit(worker)
    assert world.waits_for(Op("x", "get", "pipe")) == (
        "a message or end of file on pipe (empty; its sending end is still open in main)")
    assert world.enabled(Op("x", "acquire", "flock"))
    assert world.waits_for(Op("x", "acquire", "lock")) == (
        "lock held by buyer 1, which ended without releasing it")


def test_a_try_acquire_says_whether_it_got_the_lock() -> None:
    world = World()
    world.semaphore("seats", 1)
    assert world.apply(Op("person 0", "try-acquire", "seats")) is True
    assert world.apply(Op("person 1", "try-acquire", "seats")) is False


def test_a_barrier_broken_by_a_timeout_lets_every_wait_fail() -> None:
    world = World()
    world.barrier("meeting", 2)
    world.apply(Op("person 0", "arrive", "meeting"))
    world.time_out(Op("person 0", "pass", "meeting"))
    assert world.apply(Op("person 1", "arrive", "meeting")) is True
    assert world.apply(Op("person 1", "pass", "meeting")) is False  # BrokenBarrierError
    with pytest.raises(ValueError, match="cannot time out"):
        world.time_out(Op("person 1", "pass", "meeting"))


def test_a_joinable_queue_joins_once_every_item_is_done() -> None:
    world = World()
    world.queue("buns")
    world.apply(Op("producer 0", "put", "buns"), "(0, 0)")
    assert world.waits_for(Op("main", "join", "buns")) == "1 more task_done() on buns"
    world.apply(Op("consumer 0", "get", "buns"))
    world.apply(Op("consumer 0", "task-done", "buns"))
    assert world.enabled(Op("main", "join", "buns"))
    with pytest.raises(ValueError, match="more times than items were put"):
        world.apply(Op("consumer 0", "task-done", "buns"))


def test_equal_states_have_equal_snapshots() -> None:
    def world_after(*ops: Op) -> World:
        world = World()
        world.queue("q")
        world.lock("lock")
        for op in ops:
            world.apply(op, "item")
        return world

    a = world_after(Op("p", "put", "q"), Op("w", "acquire", "lock"))
    b = world_after(Op("w", "acquire", "lock"), Op("p", "put", "q"))
    assert a.snapshot() == b.snapshot()
    assert a.snapshot() != world_after(Op("p", "put", "q")).snapshot()


def test_a_barrier_lets_its_parties_pass_once_the_last_arrives_then_resets() -> None:
    world = World()
    world.barrier("start", 2)
    world.apply(Op("buyer 0", "arrive", "start"))
    assert world.waits_for(Op("buyer 0", "pass", "start")) == "1 more at barrier start"
    world.apply(Op("buyer 1", "arrive", "start"))
    world.apply(Op("buyer 0", "pass", "start"))
    world.apply(Op("buyer 1", "pass", "start"))
    world.apply(Op("buyer 0", "arrive", "start"))  # the next round
    assert world.waits_for(Op("buyer 0", "pass", "start")) == "1 more at barrier start"


def test_no_sentinel_consumers_are_a_deadlock_named_at_once() -> None:
    # A multiprocessing Queue never signals end of file: every process holding
    # it could still put, so its writers never drop to zero.
    world = World()
    world.queue("queue")
    world.apply(Op("producer 0", "put", "queue"))
    world.apply(Op("consumer 0", "get", "queue"))
    pending = {"consumer 0": Op("consumer 0", "get", "queue"),
               "consumer 1": Op("consumer 1", "get", "queue")}
    deadlock = world.deadlock(pending)
    assert deadlock == Deadlock({"consumer 0": "an item in queue (empty)",
                                 "consumer 1": "an item in queue (empty)"})
    assert deadlock.describe() == ("deadlock: consumer 0 waits for an item in queue (empty); "
                                   "consumer 1 waits for an item in queue (empty)")


def test_a_leaked_pipe_end_keeps_the_receiver_waiting_for_eof() -> None:
    world = World()
    world.pipe("pipe", writers=["main", "receiver"])  # the receiver's own leaked copy
    world.apply(Op("main", "close", "pipe"))
    assert world.deadlock({"receiver": Op("receiver", "get", "pipe")}) == Deadlock(
        {"receiver": "a message or end of file on pipe (empty; its sending end is still "
                     "open in receiver)"})


def test_no_deadlock_while_someone_can_run_or_nobody_waits() -> None:
    world = World()
    world.lock("lock")
    world.apply(Op("buyer 0", "acquire", "lock"))
    pending = {"buyer 0": Op("buyer 0", "release", "lock"),
               "buyer 1": Op("buyer 1", "acquire", "lock")}
    assert world.deadlock(pending) is None
    assert world.deadlock({}) is None


def test_the_model_refuses_what_it_does_not_know() -> None:
    world = World()
    world.lock("lock")
    with pytest.raises(ValueError, match="'lock' is already declared"):
        world.event("lock")
    with pytest.raises(ValueError, match="no primitive called 'queue' was declared"):
        world.enabled(Op("w", "get", "queue"))
    with pytest.raises(ValueError, match="'lock' is not an event"):
        world.enabled(Op("w", "wait", "lock"))
    with pytest.raises(ValueError, match="unknown operation 'dance'"):
        world.enabled(Op("w", "dance", "lock"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot start at -1"):
        world.semaphore("rooms", -1)
    world.apply(Op("v", "acquire", "lock"))
    with pytest.raises(ValueError, match="w cannot acquire now: it waits for lock held by v"):
        world.apply(Op("w", "acquire", "lock"))


def test_a_lock_where_a_semaphore_belongs_is_a_deadlock_at_the_first_wave() -> None:
    # The KTV `lock` variant: the first person in waits for company at the
    # first-wave barrier while holding the only "room"; the next cannot enter.
    world = World()
    world.lock("door")
    world.barrier("first wave", 2)
    world.apply(Op("person 0", "acquire", "door"))
    world.apply(Op("person 0", "arrive", "first wave"))
    deadlock = world.deadlock({"person 0": Op("person 0", "pass", "first wave"),
                               "person 1": Op("person 1", "acquire", "door")})
    assert deadlock is not None
    assert deadlock.describe() == ("deadlock: person 0 waits for 1 more at barrier first wave; "
                                   "person 1 waits for door held by person 0")


def test_an_rlock_lets_its_holder_take_it_again_and_frees_it_at_the_last_release() -> None:
    world = World()
    world.lock("rlock", recursive=True)
    _held_until(world, Op("b", "acquire", "rlock"), "rlock held by a",
                after=[Op("a", "acquire", "rlock"), Op("a", "acquire", "rlock"),
                       Op("a", "release", "rlock")],  # the first release keeps it
                freed_by=Op("a", "release", "rlock"))


def test_a_plain_lock_taken_again_by_its_holder_is_a_deadlock_named_at_once() -> None:
    world = World()
    world.lock("lock")
    world.apply(Op("a", "acquire", "lock"))
    assert world.deadlock({"a": Op("a", "acquire", "lock")}) == Deadlock(
        {"a": "lock held by a"})


def test_a_bounded_queue_makes_a_put_wait_for_room_and_answers_the_nowait_forms() -> None:
    world = World()
    world.queue("q", maxsize=1)
    assert world.apply(Op("p", "try-put", "q"), "1") is True
    assert world.waits_for(Op("p", "put", "q")) == "room in q (full: 1 items)"
    assert world.apply(Op("p", "try-put", "q"), "2") is False
    assert world.apply(Op("m", "size", "q")) == 1
    assert world.apply(Op("c", "try-get", "q")) == "1"
    assert world.apply(Op("c", "try-get", "q")) is False
    assert world.apply(Op("m", "size", "q")) == 0
    assert world.enabled(Op("p", "put", "q"))


def test_a_pipe_is_readable_with_a_message_or_at_end_of_file_only() -> None:
    world = World()
    world.pipe("p", writers=["main"])
    assert world.apply(Op("r", "peek", "p")) is False
    assert world.waits_for(Op("r", "readable", "p")) is not None
    world.apply(Op("main", "close", "p"))
    assert world.apply(Op("r", "peek", "p")) is True


def test_a_condition_releases_its_lock_to_sleep_and_wakes_only_when_notified() -> None:
    world = _with_condition(recursive=True)
    world.apply(Op("c", "acquire", "lock"))
    world.apply(Op("c", "acquire", "lock"))
    assert world.apply(Op("c", "sleep", "ready")) == 2  # how deep to take it again
    assert world.waits_for(Op("c", "wake", "ready")) == "a notify() of ready"
    world.apply(Op("p", "acquire", "lock"))  # free while c sleeps
    assert world.apply(Op("p", "notify", "ready"), "1") == 1
    assert world.enabled(Op("c", "wake", "ready"))
    world.apply(Op("c", "wake", "ready"))
    assert world.waits_for(Op("c", "acquire", "lock")) == "lock held by p"


def test_notify_wakes_the_longest_sleeper_and_notify_all_wakes_everyone() -> None:
    world = _with_condition()
    for worker in ("a", "b", "c"):
        world.apply(Op(worker, "acquire", "lock"))
        world.apply(Op(worker, "sleep", "ready"))
    world.apply(Op("p", "acquire", "lock"))
    world.apply(Op("p", "notify", "ready"), "1")
    assert [world.enabled(Op(w, "wake", "ready")) for w in "abc"] == [True, False, False]
    assert world.apply(Op("p", "notify-all", "ready")) == 2
    assert all(world.enabled(Op(w, "wake", "ready")) for w in "abc")


def test_a_wait_on_a_condition_without_its_lock_is_an_error() -> None:
    world = _with_condition()
    with pytest.raises(ValueError, match="without holding lock"):
        world.apply(Op("c", "sleep", "ready"))
    with pytest.raises(ValueError, match="without holding lock"):
        world.apply(Op("c", "notify", "ready"))


def test_a_timed_out_condition_wait_leaves_the_sleepers() -> None:
    world = _with_condition()
    world.apply(Op("c", "acquire", "lock"))
    world.apply(Op("c", "sleep", "ready"))
    world.time_out(Op("c", "wake", "ready"))
    world.apply(Op("p", "acquire", "lock"))
    assert world.apply(Op("p", "notify", "ready"), "1") == 0


def test_reading_a_shared_value_waits_for_its_lock_and_a_raw_one_never_does() -> None:
    world = World()
    world.lock("balance's lock", recursive=True)
    world.shared("balance", "balance's lock")
    world.shared("raw", None)
    world.apply(Op("a", "acquire", "balance's lock"))
    assert world.enabled(Op("a", "read", "balance"))  # its holder reads through it
    assert world.waits_for(Op("b", "write", "balance")) == "balance's lock held by a"
    assert world.enabled(Op("b", "read", "raw"))


def test_a_broken_barrier_lets_every_waiter_through_at_once() -> None:
    world = World()
    world.barrier("start", 3)
    world.apply(Op("a", "arrive", "start"))
    assert world.apply(Op("m", "waiting", "start")) == 1
    world.apply(Op("m", "abort", "start"))
    assert world.apply(Op("a", "pass", "start")) is False
