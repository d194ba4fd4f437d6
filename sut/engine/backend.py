"""Where workers run: one start method, and the primitives of its context.

Every process and synchronization primitive a scenario uses comes from a
:class:`Backend`, so the start method is chosen in one place and never through
the global ``set_start_method``. The backend remembers the queues and pipe
ends it handed out and closes them in :meth:`Backend.close`.

In schedule mode (:meth:`Backend.schedule_into`) each primitive is declared,
under its name, in the model of the schedule's coordinator, and handed out
behind a gate (:mod:`sut.engine.primitives`): the same interface, the real
primitive underneath. Names make a deadlock readable ("door held by person
0"); a primitive left unnamed is called after its kind and number.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import multiprocessing.queues
import multiprocessing.sharedctypes
import multiprocessing.synchronize
import queue as queue_module
import sys
import time
import warnings
from collections.abc import Callable
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sut.engine.databases import Database, read_shape
from sut.engine.guards import FileLock
from sut.engine.model import World
from sut.engine.primitives import (
    ScheduledArray,
    ScheduledBarrier,
    ScheduledCondition,
    ScheduledConnection,
    ScheduledEvent,
    ScheduledLock,
    ScheduledQueue,
    ScheduledValue,
)

START_METHODS = ("fork", "forkserver", "spawn")
# What the forkserver imports once, so that its children need not: the main
# module (else every child imports it again - pytest's, a script's), and the
# scenario modules that ask for it (:func:`preload_forkserver`). A worker then
# starts about as fast as under fork (see docs/PERFORMANCE.md).
FORKSERVER_PRELOAD = ["__main__"]


def default_start_method() -> str:
    """The platform's default start method (``fork`` on Linux before 3.14)."""
    return multiprocessing.get_all_start_methods()[0]


def validate_start_method(name: str) -> str:
    """``name`` if this platform has that start method, else ``ValueError``."""
    available = multiprocessing.get_all_start_methods()
    if name not in available:
        raise ValueError(f"unknown start method {name!r} "
                         f"(this platform has: {', '.join(available)})")
    return name


def drain(queue: multiprocessing.queues.Queue[Any], settle: float = 0.05) -> list[Any]:
    """Take every item left in ``queue``, once its writers are gone.

    ``empty()`` and ``qsize()`` are not facts about a multiprocessing queue
    (items travel through a feeder thread and a pipe), so this reads until
    nothing more arrives for ``settle`` seconds. Draining also keeps the
    feeder thread from dying on a closed pipe with a traceback on stderr.
    """
    left = []
    while True:
        try:
            left.append(queue.get(timeout=settle))
        except queue_module.Empty:
            return left


def join_queue(queue: Any, timeout: float) -> bool:
    """``queue.join()`` bounded by ``timeout``: whether every task was marked done.

    ``JoinableQueue.join`` takes no timeout; this waits on the same condition
    and counter it uses (private attributes, stable since Python 3.4).
    """
    if isinstance(queue, ScheduledQueue):
        if not queue.ask_join(timeout):
            return False
        queue = queue.real  # every task is done: the real wait returns at once
    deadline = time.monotonic() + timeout
    condition = queue._cond
    unfinished = queue._unfinished_tasks
    with condition:
        while not unfinished._semlock._is_zero():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            condition.wait(remaining)
    return True


def preload_forkserver(*modules: str) -> None:
    """Have the forkserver import the main module and ``modules`` when it starts.

    Each worker forks from the server, so what the server has imported, no
    worker imports again. It takes effect when the server starts (once per
    process): call it before anything starts the server. The modules add up
    over calls; every Backend of the forkserver method calls it.
    """
    FORKSERVER_PRELOAD.extend(name for name in modules if name not in FORKSERVER_PRELOAD)
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(FORKSERVER_PRELOAD))


# What a Backend makes: each is ``multiprocessing``'s own, or its gated twin in schedule mode.
PRIMITIVES = ("Lock", "RLock", "Condition", "Semaphore", "Event", "Barrier", "Value", "Array",
              "Queue", "JoinableQueue", "Pipe", "FileLock", "Sqlite")


class Backend:
    """Processes and primitives of one ``multiprocessing`` start method."""

    def __init__(self, start_method: str) -> None:
        self.start_method = validate_start_method(start_method)
        self.context: BaseContext = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            preload_forkserver()
        self._queues: list[multiprocessing.queues.Queue[Any]] = []
        self._connections: list[multiprocessing.connection.Connection] = []
        self.world: World | None = None
        self._scheduled_ends: list[ScheduledConnection] = []
        self._numbers: dict[str, int] = {}
        self._memory: list[tuple[str, Any]] = []  # each shared Value or Array, raw

    def __getattr__(self, name: str) -> Any:
        """Only for a name the Backend does not have: say which primitives it offers."""
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"the Backend offers no primitive {name!r} (it offers "
                             f"{', '.join(PRIMITIVES)})")

    def shared_memory(self) -> tuple[tuple[str, bytes], ...]:
        """The contents of every shared Value and Array handed out (schedule mode).

        Read without their locks: the coordinator reads it while every
        process waits at a gate, so nobody is writing.
        """
        return tuple((name, bytes(raw)) for name, raw in self._memory)

    def schedule_into(self, world: World) -> None:
        """Schedule mode: declare every primitive from now on in ``world``, behind a gate."""
        self.world = world

    def hand_over(self, worker: str, args: tuple[Any, ...]) -> None:
        """Tell the model which pipe ends the new ``worker`` holds.

        A child holds every end passed to it; under fork it also inherits
        every end still open here, passed or not - which is how the
        tutorial's receiver ends up holding the send end it never uses.
        """
        if self.world is None:
            return
        passed = {id(arg) for arg in _flatten(args)}
        for end in self._scheduled_ends:
            if end.sends_into is not None and not end.closed and (
                    self.start_method == "fork" or id(end) in passed):
                self.world.add_writer(end.sends_into, worker)

    def _name(self, name: str | None, kind: str) -> str:
        if name is not None:
            return name
        self._numbers[kind] = self._numbers.get(kind, 0) + 1
        return f"{kind} {self._numbers[kind]}"

    def Process(self, target: Callable[..., object], args: tuple[Any, ...],
                name: str) -> BaseProcess:
        # daemon: if the harness itself dies, its workers die with it.
        process: BaseProcess = self.context.Process(  # type: ignore[attr-defined]
            target=target, args=args, name=name, daemon=True)
        return process

    def ready_to_start(self) -> None:
        """Under forkserver, start the fork server now if it is not running. Call it with
        no signal held: a fork server started while the runner holds SIGINT, SIGTERM and
        SIGHUP around a start (:func:`~sut.engine.lifetime.signals_held`) would hold
        some of them for good, and so would every process it forks - a program's own
        server then cannot be stopped."""
        if self.start_method == "forkserver":
            multiprocessing.forkserver.ensure_running()

    def start(self, process: BaseProcess) -> None:
        """Start ``process``.

        Python 3.12+ warns when forking a process that has threads. The test
        process has some that are not ours (xdist's I/O thread, the faulthandler
        watchdog); the forked workers only run scenario code, which touches no
        lock those threads could hold, and ``fork`` is a start method under
        test - so the warning is silenced here, and only here.
        """
        if sys.version_info < (3, 12):
            process.start()  # no such warning, and no cost of silencing it on every start
            return
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks",
                                    category=DeprecationWarning)
            process.start()

    # Each factory returns the real primitive, or in schedule mode its gated
    # wrapper with the same interface - hence ``Any``.

    def _gated(self, real: Any, kind: str, name: str | None,
               declare: Callable[[World, str], None], wrapper: Callable[[Any, str], Any]) -> Any:
        """``real``, or declared in the model under its name and wrapped (schedule mode)."""
        if self.world is None:
            return real
        name = self._name(name, kind)
        declare(self.world, name)
        return wrapper(real, name)

    def Lock(self, name: str | None = None) -> Any:
        return self._gated(self.context.Lock(), "lock", name, World.lock, ScheduledLock)

    def RLock(self, name: str | None = None) -> Any:
        return self._gated(self.context.RLock(), "rlock", name,
                           lambda world, name: world.lock(name, recursive=True), ScheduledLock)

    def Condition(self, lock: Any = None, name: str | None = None) -> Any:
        """A Condition on ``lock`` (a Lock or RLock of this backend; default a new RLock)."""
        if lock is None:
            lock = self.RLock(None if name is None else f"{name}'s lock")
        if self.world is None:
            return self.context.Condition(lock)
        if not isinstance(lock, ScheduledLock):
            raise ValueError("in schedule mode a Condition's lock must come from the backend")
        lock_name = lock.name
        return self._gated(self.context.Condition(lock.real), "condition", name,
                           lambda world, name: world.condition(name, lock_name),
                           lambda real, name: ScheduledCondition(real, name, lock))

    def Value(self, typecode_or_type: Any, *args: Any, lock: Any = True,
              name: str | None = None) -> Any:
        """A shared Value: guarded by a new RLock (``lock=True``), by ``lock`` (a Lock
        or RLock of this backend), or by nothing (``lock=False``)."""
        return self._shared(self.context.Value, ScheduledValue, "value", name, lock,
                            typecode_or_type, *args)

    def Array(self, typecode_or_type: Any, size_or_initializer: Any, *, lock: Any = True,
              name: str | None = None) -> Any:
        """A shared Array; ``lock`` as for :meth:`Value`."""
        return self._shared(self.context.Array, ScheduledArray, "array", name, lock,
                            typecode_or_type, size_or_initializer)

    def _shared(self, make: Callable[..., Any], wrapper: type[ScheduledValue | ScheduledArray],
                kind: str, name: str | None, lock: Any, *args: Any) -> Any:
        """A Value or an Array; in schedule mode declared with its lock and wrapped."""
        if self.world is None:
            return make(*args, lock=lock)
        if not isinstance(lock, (bool, ScheduledLock)):
            raise ValueError(f"in schedule mode a shared {kind}'s lock must come from the "
                             "backend")
        real = make(*args, lock=lock.real if isinstance(lock, ScheduledLock) else lock)
        name = self._name(name, kind)
        guard = lock if isinstance(lock, ScheduledLock) else None
        if lock is True:  # its own RLock, made with it
            guard = ScheduledLock(real.get_lock(), f"{name}'s lock")
            self.world.lock(guard.name, recursive=True)
        self.world.shared(name, guard.name if guard is not None else None)
        self._memory.append((name, real if lock is False else real.get_obj()))
        return wrapper(real, name, guard)

    def FileLock(self, path: Path, name: str | None = None) -> Any:
        """An ``flock`` on ``path``: a lock the kernel frees when its holder dies."""
        return self._gated(FileLock(path), "file lock", name,
                           lambda world, name: world.lock(name, freed_on_exit=True),
                           ScheduledLock)

    def Sqlite(self, path: Path, name: str | None = None) -> Database:
        """The SQLite database file at ``path``, which the scenario made: one table
        ``tickets`` holding one ``count`` (see :mod:`sut.engine.databases`). In schedule
        mode it is declared in the model with the journal mode and count it holds."""
        if self.world is None:
            return Database(Path(path))
        journal, count = read_shape(Path(path))
        name = self._name(name, "database")
        self.world.database(name, journal, count)
        return Database(Path(path), name)

    def Semaphore(self, value: int, name: str | None = None) -> Any:
        return self._gated(self.context.Semaphore(value), "semaphore", name,
                           lambda world, name: world.semaphore(name, value), ScheduledLock)

    def Event(self, name: str | None = None) -> Any:
        return self._gated(self.context.Event(), "event", name, World.event, ScheduledEvent)

    def Barrier(self, parties: int, name: str | None = None) -> Any:
        return self._gated(self.context.Barrier(parties), "barrier", name,
                           lambda world, name: world.barrier(name, parties), ScheduledBarrier)

    def Queue(self, maxsize: int = 0, name: str | None = None) -> Any:
        return self._queue(self.context.Queue(maxsize), maxsize, name)

    def JoinableQueue(self, maxsize: int = 0, name: str | None = None) -> Any:
        return self._queue(self.context.JoinableQueue(maxsize), maxsize, name)

    def _queue(self, real: multiprocessing.queues.Queue[Any], maxsize: int,
               name: str | None) -> Any:
        self._queues.append(real)
        return self._gated(real, "queue", name,
                           lambda world, name: world.queue(name, maxsize),
                           lambda real, name: ScheduledQueue(real, name, maxsize))

    def Pipe(self, duplex: bool = True, name: str | None = None) -> tuple[Any, Any]:
        """Two ends; in schedule mode each direction is a channel of the model.

        Without ``duplex`` the first end only receives and the second only
        sends, as with ``multiprocessing.Pipe(False)``.
        """
        left, right = self.context.Pipe(duplex)
        self._connections += [left, right]
        if self.world is None:
            return left, right
        name = self._name(name, "pipe")
        forward = f"{name} (left to right)" if duplex else name
        self.world.pipe(forward, writers=["main"])
        if duplex:
            backward = f"{name} (right to left)"
            self.world.pipe(backward, writers=["main"])
            ends = (ScheduledConnection(left, forward, backward),
                    ScheduledConnection(right, backward, forward))
        else:
            ends = (ScheduledConnection(left, None, forward),
                    ScheduledConnection(right, forward, None))
        self._scheduled_ends += ends
        return ends

    def feeding(self) -> bool:
        """Whether a queue of this process still holds items its feeder thread has not
        written to the queue's pipe yet (a worker waiting for one will get it)."""
        return any(getattr(queue, "_buffer", None) for queue in self._queues)

    def close(self) -> None:
        """Close every queue and pipe end handed out.

        Called after every worker is gone. Each queue's feeder thread is waited
        for: it owns the queue's write end until it exits, so returning earlier
        would leave that descriptor open behind the run. The wait is bounded:
        with every reader closed, a write of items no one will read fails at
        once (EPIPE) instead of blocking - scenarios ``drain`` first, so there
        are normally none.
        """
        for queue in self._queues:
            queue.close()
            queue.join_thread()
            # Its pipe's ends close with its feeder thread, if it ran here, or when the
            # queue is collected - which a run ended by an exception (its traceback
            # holds the run's frames) may put off until the garbage collector comes.
            for end in (getattr(queue, "_reader", None), getattr(queue, "_writer", None)):
                if end is not None:
                    end.close()
        for connection in self._connections:
            connection.close()
        self._queues.clear()
        self._connections.clear()
        self._scheduled_ends.clear()
        self._memory.clear()


# What a process may share with another that the backend did not make: where a
# worker is handed one, schedule mode cannot see everything the run shares.
_SHARING = (multiprocessing.synchronize.SemLock, multiprocessing.synchronize.Condition,
            multiprocessing.synchronize.Event, multiprocessing.synchronize.Barrier,
            multiprocessing.queues.Queue, multiprocessing.connection.Connection,
            multiprocessing.sharedctypes.SynchronizedBase, ctypes._SimpleCData, ctypes.Array)


def unseen_sharing(worker: str, args: tuple[Any, ...]) -> list[str]:
    """What of ``args``, handed to ``worker``, shares state the backend did not make."""
    return [f"{worker} was handed a {type(arg).__name__} the backend did not make"
            for arg in _flatten(args) if isinstance(arg, _SHARING)]


def _flatten(args: Any) -> list[Any]:
    """``args`` and what its tuples, lists and dicts hold, at any depth."""
    if isinstance(args, (tuple, list)):
        return [args] + [item for arg in args for item in _flatten(arg)]
    if isinstance(args, dict):
        return [args] + [item for value in args.values() for item in _flatten(value)]
    return [args]
