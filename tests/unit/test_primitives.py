"""Every public method of every primitive the Backend offers, held to its kind in schedule
mode: gated (a step of the schedule), exact (reads only what gated operations change, or
touches nothing shared) or refused (a clear error). Nothing falls through to the real one."""

from __future__ import annotations

import multiprocessing
import pickle
import sqlite3
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest

from sut.engine import databases, gate, primitives
from sut.engine.gate import (
    Check,
    Granted,
    Outlasting,
    Timed,
    assume_long_enough,
    harness_deadline,
)

GATED, EXACT, REFUSED = "gated", "exact", "refused"
Call = Callable[[Any], object]


class _Gate:
    """A coordinator that lets everything go, counting the steps."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.timed: list[Timed] = []

    def step(self, kind: str, target: str = "", *, timed: Timed = None,
             detail: str = "", real: Check | None = None) -> Granted:
        self.steps.append(kind)
        self.timed.append(timed)
        return Granted("go", 1)

    def catch_up(self) -> None:
        """No worker to start."""


def _reads(name: str) -> Call:
    return lambda p: getattr(p, name)


def _calls(name: str) -> Call:
    return lambda p: getattr(p, name)()


def _public(kind: type) -> set[str]:
    return {attribute for attribute in dir(kind) if not attribute.startswith("_")}


def _lock() -> primitives.ScheduledLock:
    return primitives.ScheduledLock(mock.MagicMock(), "lock")


def _queue() -> primitives.ScheduledQueue:
    """Around a stand-in whose feeder sends each item as it is put (a put waits for that)."""
    real = mock.MagicMock()
    real.put.side_effect = lambda item: real._send_bytes(b"")
    return primitives.ScheduledQueue(real, "q", 2)


# Per primitive: how to make its wrapper (around a stand-in for the real one),
# and each public method of the real primitive - its kind and how to call it.
LOCKING: dict[str, tuple[str, Call]] = {
    "acquire": (GATED, lambda p: p.acquire()), "release": (GATED, lambda p: p.release()),
    "__enter__": (GATED, lambda p: p.__enter__()), "__exit__": (GATED, lambda p: p.__exit__()),
}
SHARED: dict[str, tuple[str, Call]] = {
    **LOCKING, "get_lock": (EXACT, lambda p: p.get_lock()),
    "get_obj": (REFUSED, lambda p: p.get_obj()),
}
PRIMITIVES: dict[str, tuple[Callable[[], Any], dict[str, tuple[str, Call]]]] = {
    "Lock": (_lock, LOCKING),
    "RLock": (_lock, LOCKING),
    "Semaphore": (_lock, {**LOCKING, "get_value": (EXACT, lambda p: p.get_value())}),
    "Event": (lambda: primitives.ScheduledEvent(mock.MagicMock(), "e"), {
        "set": (GATED, lambda p: p.set()), "clear": (GATED, lambda p: p.clear()),
        "wait": (GATED, lambda p: p.wait()), "is_set": (EXACT, lambda p: p.is_set())}),
    "Barrier": (lambda: primitives.ScheduledBarrier(mock.MagicMock(), "b"), {
        "wait": (GATED, lambda p: p.wait()), "abort": (GATED, lambda p: p.abort()),
        "n_waiting": (GATED, lambda p: p.n_waiting), "reset": (REFUSED, lambda p: p.reset()),
        "broken": (EXACT, lambda p: p.broken), "parties": (EXACT, lambda p: p.parties)}),
    "JoinableQueue": (_queue, {
        "put": (GATED, lambda p: p.put(1)), "put_nowait": (GATED, lambda p: p.put_nowait(1)),
        "get": (GATED, lambda p: p.get()), "get_nowait": (GATED, lambda p: p.get_nowait()),
        "qsize": (GATED, lambda p: p.qsize()), "empty": (GATED, lambda p: p.empty()),
        "full": (GATED, lambda p: p.full()), "task_done": (GATED, lambda p: p.task_done()),
        "join": (GATED, lambda p: p.join()), "close": (EXACT, lambda p: p.close()),
        "join_thread": (EXACT, lambda p: p.join_thread()),
        "cancel_join_thread": (EXACT, lambda p: p.cancel_join_thread())}),
    "Condition": (lambda: primitives.ScheduledCondition(mock.MagicMock(), "c", _lock()), {
        **LOCKING, "wait": (GATED, lambda p: p.wait()),
        "wait_for": (GATED, lambda p: p.wait_for(iter([False, True]).__next__)),
        "notify": (GATED, lambda p: p.notify()), "notify_all": (GATED, lambda p: p.notify_all())}),
    "Value": (lambda: primitives.ScheduledValue(mock.MagicMock(), "v", _lock()), {
        **SHARED, "value": (GATED, lambda p: p.value)}),
    "Array": (lambda: primitives.ScheduledArray(mock.MagicMock(), "a", _lock()), {
        **SHARED, "__getitem__": (GATED, lambda p: p[0]),
        "__setitem__": (GATED, lambda p: p.__setitem__(0, 1)),
        "__len__": (EXACT, lambda p: len(p))}),
    "Connection": (lambda: primitives.ScheduledConnection(mock.MagicMock(closed=False), "to",
                                                          "from"), {
        "send": (GATED, lambda p: p.send(1)), "send_bytes": (GATED, lambda p: p.send_bytes(b"")),
        "recv": (GATED, lambda p: p.recv()), "recv_bytes": (GATED, lambda p: p.recv_bytes()),
        "poll": (GATED, lambda p: p.poll()), "close": (GATED, lambda p: p.close()),
        "recv_bytes_into": (REFUSED, lambda p: p.recv_bytes_into(bytearray(1))),
        "fileno": (REFUSED, lambda p: p.fileno()),
        "__enter__": (EXACT, lambda p: p.__enter__()), "__exit__": (GATED, lambda p: p.__exit__()),
        "closed": (EXACT, lambda p: p.closed), "readable": (EXACT, lambda p: p.readable),
        "writable": (EXACT, lambda p: p.writable)}),
    "Sqlite": (lambda: databases.ScheduledConnection(mock.MagicMock(), "db", 5.0), {
        "execute": (GATED, lambda p: p.execute("UPDATE tickets SET count = ?", (1,))),
        "commit": (GATED, lambda p: p.commit()), "rollback": (GATED, lambda p: p.rollback()),
        "close": (GATED, lambda p: p.close()),
        "in_transaction": (EXACT, lambda p: p.in_transaction),
        **{error: (EXACT, _reads(error)) for error in databases._ERRORS},
        # The rest - cursors, scripts, functions the database calls, settings, ``with`` -
        # could lock what the model does not know of.
        **{name: (REFUSED, _calls(name))
           for name in sorted({*_public(sqlite3.Connection), "__enter__", "__exit__"} - {
               "execute", "commit", "rollback", "close", "in_transaction",
               *databases._ERRORS})}}),
}
# Dunders that are part of a primitive's interface (the rest are Python's own).
INTERFACE_DUNDERS = ("__enter__", "__exit__", "__getitem__", "__setitem__", "__len__")


def _real(name: str) -> Any:
    if name == "Sqlite":
        return sqlite3.connect(":memory:")
    context = multiprocessing.get_context("fork")
    if name == "Connection":
        ends = context.Pipe()
        for end in ends:
            end.close()  # its methods are all there is to see
        return ends[0]
    if name in ("Value", "Array"):
        return context.Value("i", 0) if name == "Value" else context.Array("i", 2)
    return getattr(context, name)(*{"Semaphore": (1,), "Barrier": (2,)}.get(name, ()))


@pytest.mark.parametrize("name", PRIMITIVES)
def test_the_table_names_every_public_method_of_the_real_primitive(name: str) -> None:
    real = _real(name)
    public = {attribute for attribute in dir(real) if not attribute.startswith("_")}
    public |= {dunder for dunder in INTERFACE_DUNDERS if hasattr(type(real), dunder)}
    if isinstance(real, sqlite3.Connection):
        real.close()  # an unclosed database is a ResourceWarning (Python 3.13)
    assert set(PRIMITIVES[name][1]) == public


@pytest.mark.parametrize(("name", "method"), [(name, method) for name, (_, methods)
                                              in PRIMITIVES.items() for method in methods])
def test_each_method_is_gated_exact_or_refused_in_schedule_mode(name: str, method: str) -> None:
    make, methods = PRIMITIVES[name]
    kind, call = methods[method]
    wrapper, fake = make(), _Gate()
    gate.install(fake)
    try:
        if kind == REFUSED:
            with pytest.raises(ValueError, match="not available in schedule mode"):
                call(wrapper)
            return
        call(wrapper)
    finally:
        gate.install(None)
    assert bool(fake.steps) == (kind == GATED), fake.steps


def _timed_of(wait: Callable[[primitives.ScheduledQueue], object]) -> Timed:
    """What the gate is told of the timeout of ``wait`` on a queue."""
    fake = _Gate()
    gate.install(fake)
    try:
        wait(primitives.ScheduledQueue(mock.MagicMock(), "q"))
    finally:
        gate.install(None)
    return fake.timed[0]


def test_the_gate_is_told_whose_timeout_a_wait_has() -> None:
    assert _timed_of(lambda q: q.get()) is None
    assert _timed_of(lambda q: q.get(timeout=0.5)) == 0.5  # the program's: may fire any time
    assert _timed_of(lambda q: q.get(timeout=0)) == 0.0
    assert _timed_of(lambda q: q.get(timeout=harness_deadline(9.0))) == ""  # the harness's
    assert _timed_of(lambda q: q.get(timeout=assume_long_enough(0.5, "it answers"))) == (
        "it answers")


def test_a_barrier_asks_one_gate_to_arrive_and_pass_with_its_timeout_then_resumes() -> None:
    # The coordinator takes the arrival at once and answers for the pass: a round trip
    # less per party than a gate for each.
    fake, real = _Gate(), mock.MagicMock()
    gate.install(fake)
    try:
        primitives.ScheduledBarrier(real, "b").wait(0.5)
    finally:
        gate.install(None)
    assert (fake.steps, fake.timed) == (["arrive", "resume"], [0.5, None])
    real.wait.assert_called_once_with()  # the round passes the real barrier together


def test_an_outlasting_timeout_is_a_float_that_keeps_its_assumption_across_processes() -> None:
    timeout = assume_long_enough(0.5, "it answers within 0.5 s")
    copy = pickle.loads(pickle.dumps(timeout))
    assert (type(copy), copy, copy.assumption) == (Outlasting, 0.5, "it answers within 0.5 s")
    assert harness_deadline(2.0) + 1 == 3.0
    with pytest.raises(ValueError, match="needs the assumption in words"):
        assume_long_enough(0.5, "")
