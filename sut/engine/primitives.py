"""The backend's primitives in schedule mode: the real ones, behind a gate.

Each wrapper asks its process's gate (:mod:`.gate`) before every operation
and then does the real operation, which the coordinator has made sure will
not block: it is chosen only once the model says it can happen. A wait with
a timeout that the coordinator times out is done for real with a timeout of
zero, so the real primitive gives its own answer (False, ``Empty``, a broken
barrier) at once - except ``Event.wait``, which waits its timeout (see there).
Outside schedule mode (no gate installed) a wrapper is the real primitive.

The model is held to the real primitive both ways. Waiting at the gate of
an ``acquire`` (of a lock, a semaphore, a file lock, or the lock of a shared
Value) or of an event's ``wait`` that the model says cannot go on, a process
asked by the coordinator tries the real primitive without blocking, undoes
it, and says whether it would have gone through: if so, the run ends there.
Let go on by the model, the real operation must go through within REAL_LAG
seconds (a queue's feeder thread, or a process still tearing down with an
flock, may lag a little); if it does not, :class:`~.gate.ModelDisagreement`.
Queues and pipes are held only the second way: their real emptiness lags
behind their feeders, so it is no fact to compare.

Every public method of a wrapper is one of three kinds, and
tests/unit/test_primitives.py holds each to its kind:

- gated: a step of the schedule (an operation, or a question the model
  answers, such as ``qsize()``);
- exact: it reads state that only gated operations change, so the real
  answer is the same wherever between two steps it is asked (``is_set()``),
  or it touches nothing shared (``Queue.close()``);
- refused: schedule mode cannot see it (``Connection.fileno()``, which
  would let the program wait outside the schedule): a ``ValueError`` that
  says so.

The wrappers are picklable whenever the real primitive is: they travel to
workers as arguments under every start method.
"""

from __future__ import annotations

import queue as queue_module
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

from sut.engine.feeding import Feeding
from sut.engine.gate import ModelDisagreement, as_timed, current
from sut.engine.model import Kind

T = TypeVar("T")

# How long a real operation the model let go on may take to go through.
REAL_LAG = 10.0


def _step(kind: Kind, target: str, *, timeout: float | None = None, detail: str = "",
          real: Callable[[], bool] | None = None) -> bool:
    """Ask the gate; True if the operation goes on, False if its wait times out.

    ``timeout``: the wait's, if it has one (see ``gate.Timed``). ``real``: would
    the real primitive let it through now (tried without blocking, and undone)."""
    gate = current()
    return gate is None or gate.step(kind, target, timed=as_timed(timeout), detail=detail,
                                     real=real).reply == "go"


def _disagree(what: str) -> NoReturn:
    raise ModelDisagreement(f"the model let {what}, but the real one held it back for "
                            f"{REAL_LAG:g} s: the model mistakes it")


def _ask(kind: Kind, target: str, detail: str = "",
         real: Callable[[], bool] | None = None) -> Any:
    """Ask the gate (schedule mode): what the model says the operation returns."""
    gate = current()
    assert gate is not None
    return gate.step(kind, target, detail=detail, real=real).answer


def _scheduled() -> bool:
    return current() is not None


def _refuse(what: str, why: str) -> NoReturn:
    raise ValueError(f"{what} is not available in schedule mode: {why}")


class ScheduledLock:
    """A Lock, an RLock, a Semaphore or a file lock: anything with ``acquire``/``release``."""

    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        if not _scheduled():
            return bool(self.real.acquire(block, timeout))
        if not block:
            if not _ask("try-acquire", self.name, real=self.free):
                return False
        elif not _step("acquire", self.name, timeout=timeout, real=self.free):
            return False
        if not self.real.acquire(True, REAL_LAG):
            _disagree(f"{self.name} be taken")
        return True

    def free(self) -> bool:
        """Whether the real one can be taken now (tried without blocking, and undone)."""
        if not self.real.acquire(False):
            return False
        self.real.release()
        return True

    def release(self) -> None:
        _step("release", self.name)
        self.real.release()

    def get_value(self) -> int:
        """A semaphore's value: exact, only gated operations change it."""
        return int(self.real.get_value())

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class ScheduledEvent:
    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    def is_set(self) -> bool:
        """Exact: only ``set`` and ``clear``, both gated, change the flag."""
        return bool(self.real.is_set())

    def set(self) -> None:
        _step("set", self.name)
        self.real.set()

    def clear(self) -> None:
        _step("clear", self.name)
        self.real.clear()

    def wait(self, timeout: float | None = None) -> bool:
        if not _scheduled():
            return bool(self.real.wait(timeout))
        called = time.monotonic()
        if _step("wait", self.name, timeout=timeout, real=self.real.is_set):
            if not self.real.wait(REAL_LAG):
                _disagree(f"a wait for {self.name} return")
            return True
        # Given up: unlike the other waits, this one lasts its timeout for real,
        # counted from the call as a real wait's is (the time it stood at the gate
        # counts). A program may time ``wait(timeout)`` (the event scenario does),
        # and the real event is clear and nobody can set it meanwhile: it returns
        # False once its timeout is over, as it would have.
        if timeout is not None:
            timeout = max(0.0, timeout - (time.monotonic() - called))
        return bool(self.real.wait(timeout))


class ScheduledBarrier:
    """A Barrier: arrive, pass with the whole round, then resume one at a time."""

    def __init__(self, real: Any, name: str) -> None:
        self.real = real
        self.name = name

    @property
    def parties(self) -> int:
        return int(self.real.parties)

    @property
    def n_waiting(self) -> int:
        """How many wait at the barrier: the model's count (the real barrier sees no
        one until the round is complete)."""
        if not _scheduled():
            return int(self.real.n_waiting)
        return int(_ask("waiting", self.name))

    @property
    def broken(self) -> bool:
        """Exact: only gated operations (a timed-out wait, ``abort``) break it."""
        return bool(self.real.broken)

    def abort(self) -> None:
        _step("abort", self.name)
        self.real.abort()

    def reset(self) -> None:
        if _scheduled():
            _refuse("Barrier.reset()", "the model does not know it")
        self.real.reset()

    def wait(self, timeout: float | None = None) -> int:
        if not _scheduled():
            return int(self.real.wait(timeout))
        try:
            # One gate for two operations: the coordinator takes the arrival at once (it
            # is no decision) and answers when the round passes, or the wait gives up.
            if _step("arrive", self.name, timeout=timeout):
                return int(self.real.wait())
            return int(self.real.wait(0))  # alone at the real barrier: it breaks, and raises
        finally:
            # The round left the real barrier together; from here on, one at a time.
            _step("resume", self.name)


class ScheduledQueue:
    """A Queue or JoinableQueue, bounded by ``maxsize`` (0: not bounded).

    ``qsize()``, ``empty()`` and ``full()`` are the model's answers: the real
    queue's lag behind its feeder thread, so its own answers are not facts.
    """

    def __init__(self, real: Any, name: str, maxsize: int = 0) -> None:
        self.real = real
        self.name = name
        self.maxsize = maxsize
        self._feeding: Feeding | None = None

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        if not _scheduled():
            self.real.put(obj, block, timeout)
        elif not block:
            self.put_nowait(obj)
        elif _step("put", self.name, timeout=timeout, detail=repr(obj)):
            self._put(obj)
        else:
            raise queue_module.Full

    def put_nowait(self, obj: Any) -> None:
        if not _scheduled():
            self.real.put_nowait(obj)
        elif _ask("try-put", self.name, repr(obj)):
            self._put(obj)  # there is room: it does not block
        else:
            raise queue_module.Full

    def __getstate__(self) -> dict[str, Any]:
        # What this process's feeder has sent is no other process's business.
        return {**self.__dict__, "_feeding": None}

    def _put(self, obj: Any) -> None:
        """The real put, in the schedule's order among every process's (:mod:`.feeding`)."""
        if self._feeding is None or not self._feeding.here():
            self._feeding = Feeding(self.real)
        if not self._feeding.put(obj, REAL_LAG):
            _disagree(f"an item put on {self.name} be sent by its feeder")

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if not _scheduled():
            return self.real.get(block, timeout)
        if not block:
            return self.get_nowait()
        if _step("get", self.name, timeout=timeout):
            return self._take()
        raise queue_module.Empty

    def get_nowait(self) -> Any:
        if not _scheduled():
            return self.real.get_nowait()
        if _ask("try-get", self.name) is False:
            raise queue_module.Empty
        return self._take()

    def _take(self) -> Any:
        """The item the model says is there: on its way, at most the feeder's lag."""
        try:
            return self.real.get(True, REAL_LAG)
        except queue_module.Empty:
            _disagree(f"an item be taken from {self.name}")

    def qsize(self) -> int:
        if not _scheduled():
            return int(self.real.qsize())
        return int(_ask("size", self.name))

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return bool(self.maxsize) and self.qsize() >= self.maxsize

    def task_done(self) -> None:
        _step("task-done", self.name)
        self.real.task_done()

    def join(self) -> None:
        _step("join", self.name)
        self.real.join()

    def ask_join(self, timeout: float) -> bool:
        """A ``join`` with a timeout: whether every task is done (else it timed out)."""
        return _step("join", self.name, timeout=timeout)

    # Exact: they touch only this process's side of the queue.

    def close(self) -> None:
        self.real.close()

    def join_thread(self) -> None:
        self.real.join_thread()

    def cancel_join_thread(self) -> None:
        self.real.cancel_join_thread()


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

    def send_bytes(self, buf: bytes, offset: int = 0, size: int | None = None) -> None:
        if self.sends_into is not None:
            _step("put", self.sends_into, detail=repr(bytes(buf)))
        self.real.send_bytes(buf, offset, size)

    def recv(self) -> Any:
        self._arrived()
        return self.real.recv()

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        self._arrived()
        return bytes(self.real.recv_bytes(maxlength))

    def _arrived(self) -> None:
        """Wait for the gate of a receive; then what the model says is there (a message,
        or end of file) must arrive for real."""
        if self.receives_from is None or not _scheduled():
            return
        _step("get", self.receives_from)
        if not self.real.poll(REAL_LAG):
            _disagree(f"a message be received from {self.receives_from}")

    def recv_bytes_into(self, buf: Any, offset: int = 0) -> int:
        if _scheduled():
            _refuse("Connection.recv_bytes_into()", "use recv_bytes()")
        return int(self.real.recv_bytes_into(buf, offset))

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Whether there is something to read (a message, or end of file): the model's
        answer; with a timeout, a wait the schedule may end either way."""
        if not _scheduled() or self.receives_from is None:
            return bool(self.real.poll(timeout))
        if timeout is not None and timeout <= 0:
            return bool(_ask("peek", self.receives_from))
        return _step("readable", self.receives_from, timeout=timeout)

    def close(self) -> None:
        if self.sends_into is not None and not self.real.closed:
            _step("close", self.sends_into)
        self.real.close()

    def __enter__(self) -> ScheduledConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return bool(self.real.closed)

    @property
    def readable(self) -> bool:
        return bool(self.real.readable)

    @property
    def writable(self) -> bool:
        return bool(self.real.writable)

    def fileno(self) -> int:
        if _scheduled():
            _refuse("Connection.fileno()", "a wait on the descriptor would be outside the "
                    "schedule; use poll() or recv()")
        return int(self.real.fileno())


class ScheduledCondition:
    """A Condition, kept by the model alone: its lock is the real one (gated), while
    who sleeps and who was notified is the model's - the real condition's own
    semaphores, whose ``notify`` waits for the woken to wake, are not used."""

    def __init__(self, real: Any, name: str, lock: ScheduledLock) -> None:
        self.real = real
        self.name = name
        self.lock = lock

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        return self.lock.acquire(block, timeout)

    def release(self) -> None:
        self.lock.release()

    def __enter__(self) -> bool:
        return self.lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, sleep until notified (or the schedule times the wait out),
        then take the lock again - as deep as it was held."""
        if not _scheduled():
            return bool(self.real.wait(timeout))
        depth = int(_ask("sleep", self.name))
        for _ in range(depth):
            self.lock.real.release()
        woken = _step("wake", self.name, timeout=timeout)
        for _ in range(depth):
            self.lock.acquire()
        return woken

    def wait_for(self, predicate: Callable[[], T], timeout: float | None = None) -> T:
        """Wait until ``predicate()`` holds; once a wait times out, the whole timeout
        is spent: what the predicate says then is the answer."""
        if not _scheduled():
            return self.real.wait_for(predicate, timeout)  # type: ignore[no-any-return]
        result = predicate()
        while not result:
            if not self.wait(timeout):
                return predicate()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if not _scheduled():
            self.real.notify(n)
            return
        _step("notify", self.name, detail=str(n))

    def notify_all(self) -> None:
        if not _scheduled():
            self.real.notify_all()
            return
        _step("notify-all", self.name)


class _Shared:
    """What a shared Value and Array have alike: their lock, and no raw access."""

    def __init__(self, real: Any, name: str, lock: ScheduledLock | None) -> None:
        self.real = real
        self.name = name
        self.lock = lock

    def get_lock(self) -> ScheduledLock:
        if self.lock is None:
            raise AttributeError(f"{self.name} was made with lock=False: it has no lock")
        return self.lock

    def _free(self) -> bool:
        """Whether an access could take the real lock now (True if there is none)."""
        return self.lock is None or self.lock.free()

    def get_obj(self) -> Any:
        if _scheduled():
            _refuse("get_obj()", "access through the raw object would not be a step; "
                    "use the value itself")
        return self.real.get_obj() if self.lock is not None else self.real

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        return self.get_lock().acquire(block, timeout)

    def release(self) -> None:
        self.get_lock().release()

    def __enter__(self) -> bool:
        return self.get_lock().acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.get_lock().release()


class ScheduledValue(_Shared):
    """A shared Value: every read and write of ``value`` is a step (it waits, as the
    real one does, while another process holds its lock)."""

    @property
    def value(self) -> Any:
        _step("read", self.name, real=self._free)
        return self.real.value

    @value.setter
    def value(self, new: Any) -> None:
        _step("write", self.name, detail=repr(new), real=self._free)
        self.real.value = new


class ScheduledArray(_Shared):
    """A shared Array: every read and write of its items is a step."""

    def __len__(self) -> int:
        return len(self.real)  # fixed at its making: nothing shared

    def __getitem__(self, index: Any) -> Any:
        _step("read", self.name, real=self._free)
        return self.real[index]

    def __setitem__(self, index: Any, new: Any) -> None:
        _step("write", self.name, detail=repr((index, new)), real=self._free)
        self.real[index] = new

    def __iter__(self) -> Iterator[Any]:
        return iter(self[:])
