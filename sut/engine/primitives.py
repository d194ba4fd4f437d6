"""The backend's primitives in schedule mode: the real ones, behind a gate.

Each wrapper asks its process's gate (:mod:`.gate`) before every operation
and then does the real operation, which the coordinator has made sure will
not block: it is chosen only once the model says it can happen. A wait with
a timeout that the coordinator times out is done for real with a timeout of
zero, so the real primitive gives its own answer (False, ``Empty``, a broken
barrier) at once - except ``Event.wait``, which waits its timeout (see there).
Outside schedule mode (no gate installed) a wrapper is the real primitive.

The wrappers are picklable whenever the real primitive is: they travel to
workers as arguments under every start method.
"""

from __future__ import annotations

import queue as queue_module
from typing import Any

from sut.engine.gate import current
from sut.engine.model import Kind


def _step(kind: Kind, target: str, *, timed: bool = False, detail: str = "") -> bool:
    """Ask the gate; True if the operation goes on, False if its wait times out."""
    gate = current()
    return gate is None or gate.step(kind, target, timed=timed, detail=detail) == "go"


class ScheduledLock:
    """A Lock, a Semaphore or a file lock: anything with ``acquire``/``release``."""

    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        if current() is None:
            return bool(self.real.acquire(block, timeout))
        if not block:
            _step("try-acquire", self.name)
            return bool(self.real.acquire(False))
        if _step("acquire", self.name, timed=timeout is not None):
            return bool(self.real.acquire())
        return bool(self.real.acquire(False))

    def release(self) -> None:
        _step("release", self.name)
        self.real.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class ScheduledEvent:
    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    def is_set(self) -> bool:
        return bool(self.real.is_set())

    def set(self) -> None:
        _step("set", self.name)
        self.real.set()

    def clear(self) -> None:
        _step("clear", self.name)
        self.real.clear()

    def wait(self, timeout: float | None = None) -> bool:
        if current() is None:
            return bool(self.real.wait(timeout))
        if _step("wait", self.name, timed=timeout is not None):
            return bool(self.real.wait())
        # Given up: unlike the other waits, this one lasts its timeout for real.
        # A program may time ``wait(timeout)`` (the event scenario does), and
        # the real event is clear and nobody can set it meanwhile: it returns
        # False after its timeout, as it would have.
        return bool(self.real.wait(timeout))


class ScheduledBarrier:
    """A Barrier: arrive, pass with the whole round, then resume one at a time."""

    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    @property
    def parties(self) -> int:
        return int(self.real.parties)

    def abort(self) -> None:
        """Break the real barrier (a harness giving up: no process waits at it)."""
        self.real.abort()

    def wait(self, timeout: float | None = None) -> int:
        if current() is None:
            return int(self.real.wait(timeout))
        _step("arrive", self.name)
        try:
            if _step("pass", self.name, timed=timeout is not None):
                return int(self.real.wait())
            return int(self.real.wait(0))  # alone at the real barrier: it breaks, and raises
        finally:
            # The round left the real barrier together; from here on, one at a time.
            _step("resume", self.name)


class ScheduledQueue:
    """A Queue or JoinableQueue; what is not an operation goes to the real queue."""

    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    def put(self, item: Any) -> None:
        _step("put", self.name, detail=repr(item))
        self.real.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if current() is None:
            return self.real.get(block, timeout)
        if not block:
            raise ValueError("schedule mode supports blocking get() only")
        if _step("get", self.name, timed=timeout is not None):
            return self.real.get()
        raise queue_module.Empty

    def task_done(self) -> None:
        _step("task-done", self.name)
        self.real.task_done()

    def join(self) -> None:
        _step("join", self.name)
        self.real.join()

    def ask_join(self) -> bool:
        """A ``join`` with a timeout: whether every task is done (else it timed out)."""
        return _step("join", self.name, timed=True)

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "real":  # not set yet: unpickling
            raise AttributeError(attribute)
        return getattr(self.real, attribute)


class ScheduledConnection:
    """One end of a Pipe: ``send`` puts into ``sends_into``, ``recv`` gets from ``receives_from``.

    The model treats a pipe direction as a channel whose end of file comes
    once every process holding the sending end has closed it.
    """

    def __init__(self, real: Any, sends_into: str | None, receives_from: str | None) -> None:
        self.real = real
        self.sends_into = sends_into
        self.receives_from = receives_from

    def send(self, obj: Any) -> None:
        if self.sends_into is not None:
            _step("put", self.sends_into, detail=repr(obj))
        self.real.send(obj)

    def recv(self) -> Any:
        if self.receives_from is not None:
            _step("get", self.receives_from)
        return self.real.recv()

    def close(self) -> None:
        if self.sends_into is not None and not self.real.closed:
            _step("close", self.sends_into)
        self.real.close()

    @property
    def closed(self) -> bool:
        return bool(self.real.closed)

    def fileno(self) -> int:
        return int(self.real.fileno())
