"""Where workers run: one start method, and the primitives of its context.

Every process and synchronization primitive a scenario uses comes from a
:class:`Backend`, so the start method is chosen in one place and never through
the global ``set_start_method``. The backend remembers the queues and pipe
ends it handed out and closes them in :meth:`Backend.close`.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.queues
import queue as queue_module
import time
import warnings
from collections.abc import Callable
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier, Event, Lock, Semaphore
from typing import Any

START_METHODS = ("fork", "forkserver", "spawn")


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


def join_queue(queue: multiprocessing.queues.JoinableQueue[Any], timeout: float) -> bool:
    """``queue.join()`` bounded by ``timeout``: whether every task was marked done.

    ``JoinableQueue.join`` takes no timeout; this waits on the same condition
    and counter it uses (private attributes, stable since Python 3.4).
    """
    deadline = time.monotonic() + timeout
    condition = queue._cond  # type: ignore[attr-defined]
    unfinished = queue._unfinished_tasks  # type: ignore[attr-defined]
    with condition:
        while not unfinished._semlock._is_zero():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            condition.wait(remaining)
    return True


class Backend:
    """Processes and primitives of one ``multiprocessing`` start method."""

    def __init__(self, start_method: str) -> None:
        self.start_method = validate_start_method(start_method)
        self.context: BaseContext = multiprocessing.get_context(start_method)
        self._queues: list[multiprocessing.queues.Queue[Any]] = []
        self._connections: list[multiprocessing.connection.Connection] = []

    def Process(self, target: Callable[..., object], args: tuple[Any, ...],
                name: str) -> BaseProcess:
        # daemon: if the harness itself dies, its workers die with it.
        process: BaseProcess = self.context.Process(  # type: ignore[attr-defined]
            target=target, args=args, name=name, daemon=True)
        return process

    def start(self, process: BaseProcess) -> None:
        """Start ``process``.

        Python 3.12+ warns when forking a process that has threads. The test
        process has some that are not ours (xdist's I/O thread, the faulthandler
        watchdog); the forked workers only run scenario code, which touches no
        lock those threads could hold, and ``fork`` is a start method under
        test - so the warning is silenced here, and only here.
        """
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks",
                                    category=DeprecationWarning)
            process.start()

    def Lock(self) -> Lock:
        return self.context.Lock()

    def Semaphore(self, value: int) -> Semaphore:
        return self.context.Semaphore(value)

    def Event(self) -> Event:
        return self.context.Event()

    def Barrier(self, parties: int) -> Barrier:
        return self.context.Barrier(parties)

    def Queue(self, maxsize: int = 0) -> multiprocessing.queues.Queue[Any]:
        queue: multiprocessing.queues.Queue[Any] = self.context.Queue(maxsize)
        self._queues.append(queue)
        return queue

    def JoinableQueue(self, maxsize: int = 0) -> multiprocessing.queues.JoinableQueue[Any]:
        queue: multiprocessing.queues.JoinableQueue[Any] = self.context.JoinableQueue(maxsize)
        self._queues.append(queue)
        return queue

    def Pipe(self, duplex: bool = True) -> tuple[
            multiprocessing.connection.Connection, multiprocessing.connection.Connection]:
        left, right = self.context.Pipe(duplex)
        self._connections += [left, right]
        return left, right

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
        for connection in self._connections:
            connection.close()
        self._queues.clear()
        self._connections.clear()
