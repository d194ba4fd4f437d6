"""An exploration's waiting interleavings, run ahead of it in helper processes.

An exploration (:mod:`sut.drive.explore`) is a depth-first search whose stack
holds the schedule prefixes it has still to run. It runs every one of them in
time - none is ever dropped, whatever it finds - and a run is a function of
its prefix. So any of them may be run early, elsewhere, and its result kept
until the search comes to it: the search takes the same path, counts the same
runs and finds the same things as alone, in less time where there are cores
to spare.

:class:`Ahead` forks helpers from this process (so they have the run's code,
its configuration and the checks with them) once the first run has left
prefixes waiting. Each helper runs the waiting prefix nearest the bottom of
the stack that nobody has taken - the search comes to it last, so helpers and
the search seldom want the same one - and sends its result back; this process
runs the top. Once ``MOST_KEPT`` results wait to be taken, helpers take the
prefixes nearest the top instead, which the search comes to soon: a long
exploration keeps a bounded number of results, and its helpers keep helping.
What a helper raises is raised here when the search comes to that prefix, as
it would have been. A helper that dies, or gives no answer within
``PATIENCE`` seconds, is let go and its prefix run here: helpers only ever
save time. Only what the search stops early for (its first violation, its
``max_runs``) was run for nothing.

Helpers die with this process, end when the exploration does (a helper in the
middle of a run is stopped as a Ctrl-C would stop it: its run cleans up), and
leave nothing behind.

Example:
    with Ahead(evaluate, helpers=1) as ahead:
        result, violations = ahead.run(prefix, todo)
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType

from sut.engine import lifetime
from sut.engine.result import Result, Violation

Prefix = tuple[int, ...]
Outcome = tuple[Result, list[Violation]]
Evaluate = Callable[[Prefix], Outcome]
# How long a helper may take over one run before it is let go and the run made
# here: far past any run's own deadline, so only a helper stuck outside its run.
PATIENCE = 600.0
# How long a helper told to stop may take to clean up its run and end.
_STOP_WITHIN = 10.0
# How many results made ahead may wait for the search to come to them (a few KB
# each) before helpers take the prefixes it comes to soonest.
MOST_KEPT = 2_000


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_jobs() -> int:
    """How many runs an exploration makes at once by default: two per core, since a
    run spends much of its time waiting - for its processes to start, answer and end
    (on 2 cores, 3-4 jobs explore 10-20% faster than 2)."""
    return 2 * _cores()


@dataclass
class _Helper:
    process: BaseProcess
    connection: Connection
    prefix: Prefix | None = None  # the prefix it is running, if any


@dataclass
class _Kept:
    """A result made ahead: a run, an exception to raise, or nothing (run it here)."""

    outcome: Outcome | None = None
    raised: BaseException | None = None


@dataclass
class Ahead:
    """Run an exploration's prefixes, ``helpers`` of them ahead at a time; see the
    module docstring."""

    evaluate: Evaluate
    helpers: int
    _started: list[_Helper] = field(default_factory=list)
    _kept: dict[Prefix, _Kept] = field(default_factory=dict)
    _claimed: set[Prefix] = field(default_factory=set)  # kept, or at a helper
    _low: int = 0  # every waiting prefix below this one is claimed
    _began: bool = False

    def __enter__(self) -> Ahead:
        if self.helpers < 0:
            raise ValueError(f"helpers must be >= 0, got {self.helpers}")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def run(self, prefix: Prefix, waiting: list[Prefix]) -> Outcome:
        """The result of running ``prefix`` - made ahead, or made now; ``waiting`` is the
        exploration's stack (its top is run next), from which helpers take work."""
        self._low = min(self._low, len(waiting))
        if waiting and not self._began:
            self._began = True
            self._start()
        while True:
            self._collect(block=False)
            if prefix in self._kept:
                return self._take(prefix)
            self._feed(waiting)
            if not any(helper.prefix == prefix for helper in self._started):
                return self.evaluate(prefix)
            # A helper is on it: meanwhile, run here what the search comes to next.
            following = self._highest(waiting)
            if following is not None:
                self._keep(following, self._made_here(following))
            else:
                self._collect(block=True)

    def close(self) -> None:
        """Stop every helper - one in the middle of a run as a Ctrl-C would - and reap it."""
        helpers, self._started = self._started, []
        with lifetime.signals_held():
            for helper in helpers:
                _stop(helper)
            deadline = time.monotonic() + _STOP_WITHIN
            for helper in helpers:
                _reap(helper, deadline)

    def _start(self) -> None:
        if not self.helpers:
            return
        for stream in (sys.stdout, sys.stderr):  # else a helper may write them out again
            stream.flush()
        context = multiprocessing.get_context("fork")  # the helper has this process's code
        with lifetime.signals_held():  # a Ctrl-C now must not leave a helper unknown
            for _ in range(self.helpers):
                ours, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(theirs, self.evaluate,
                                                               os.getpid()),
                                          name="exploration helper")
                try:
                    process.start()
                except OSError:  # no room for another process: fewer helpers, same runs
                    ours.close()
                    return
                finally:
                    theirs.close()
                self._started.append(_Helper(process, ours))

    def _feed(self, waiting: list[Prefix]) -> None:
        """Hand each idle helper a waiting prefix nobody has claimed: the lowest, or the
        highest once ``MOST_KEPT`` results wait."""
        for helper in self._started:
            if helper.prefix is not None:
                continue
            prefix = (self._lowest(waiting) if len(self._kept) < MOST_KEPT
                      else self._highest(waiting))
            if prefix is None:
                return
            try:
                helper.connection.send(prefix)
            except OSError:
                self._let_go(helper)
                continue
            helper.prefix = prefix
            self._claimed.add(prefix)

    def _lowest(self, waiting: list[Prefix]) -> Prefix | None:
        """The waiting prefix nearest the bottom that nobody has claimed, if any."""
        while self._low < len(waiting) and waiting[self._low] in self._claimed:
            self._low += 1
        return waiting[self._low] if self._low < len(waiting) else None

    def _highest(self, waiting: list[Prefix]) -> Prefix | None:
        """The waiting prefix nearest the top that nobody has claimed, if any."""
        return next((entry for entry in reversed(waiting) if entry not in self._claimed), None)

    def _collect(self, *, block: bool) -> None:
        """Keep what busy helpers have sent: what is there now, or (``block``) the first
        answer to come, within ``PATIENCE``."""
        busy = [helper for helper in self._started if helper.prefix is not None]
        if not busy:
            return
        ends: list[Connection | int] = [helper.connection for helper in busy]
        ready = wait(ends + [helper.process.sentinel for helper in busy],
                     PATIENCE if block else 0.0)
        for helper in busy:
            if helper.connection in ready or helper.process.sentinel in ready:
                self._receive(helper)
            elif block and not ready:  # stuck outside any run: its prefix is made here
                self._let_go(helper)

    def _receive(self, helper: _Helper) -> None:
        try:
            if not helper.connection.poll():
                raise EOFError  # only its sentinel is ready: it ended
            prefix, kept = helper.connection.recv()
        except (EOFError, OSError):
            self._let_go(helper)
            return
        self._keep(prefix, kept)
        helper.prefix = None

    def _keep(self, prefix: Prefix, kept: _Kept) -> None:
        self._kept[prefix] = kept
        self._claimed.add(prefix)

    def _made_here(self, prefix: Prefix) -> _Kept:
        try:
            return _Kept(outcome=self.evaluate(prefix))
        except Exception as exc:  # raised when the search comes to it, as it would be
            return _Kept(raised=exc)

    def _take(self, prefix: Prefix) -> Outcome:
        kept = self._kept.pop(prefix)
        self._claimed.discard(prefix)
        if kept.raised is not None:
            raise kept.raised
        return kept.outcome if kept.outcome is not None else self.evaluate(prefix)

    def _let_go(self, helper: _Helper) -> None:
        """A helper that died or hangs: stopped, and its prefix left to this process."""
        if helper.prefix is not None:
            self._claimed.discard(helper.prefix)
            self._low = 0
        self._started.remove(helper)
        with lifetime.signals_held():
            _stop(helper)
            _reap(helper, time.monotonic() + _STOP_WITHIN)


def _stop(helper: _Helper) -> None:
    """Tell ``helper`` to end: by message when idle, by SIGTERM in the middle of a run
    (its run then cleans up and ends)."""
    with contextlib.suppress(OSError):
        helper.connection.send(None)
    if helper.prefix is not None and helper.process.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(helper.process.pid, signal.SIGTERM)


def _reap(helper: _Helper, deadline: float) -> None:
    """Wait for ``helper`` to end until ``deadline``, then kill it; let go of it."""
    helper.process.join(max(0.0, deadline - time.monotonic()))
    if helper.process.exitcode is None:
        helper.process.kill()
        helper.process.join()
    helper.process.close()
    helper.connection.close()


def _serve(connection: Connection, evaluate: Evaluate, parent: int) -> None:
    """A helper: run each prefix it is sent and send back what came of it, until told
    to stop, stopped by a signal, or its parent is gone."""
    try:
        try:
            lifetime.become_helper(parent)  # a stop that came while it started: raised here
            while (prefix := connection.recv()) is not None:
                try:
                    kept = _Kept(outcome=evaluate(prefix))
                except Exception as exc:
                    kept = _Kept(raised=exc)
                connection.send((prefix, _sendable(kept)))
        finally:
            # Ending: a stop that comes now (the exploration stops a helper it thinks
            # busy) must not be raised on the way out, where it would print.
            signal.pthread_sigmask(signal.SIG_BLOCK, lifetime.DEFERRED)
    except (KeyboardInterrupt, EOFError, OSError):
        pass  # stopped, or the exploration is gone: end quietly
    finally:
        connection.close()


def _sendable(kept: _Kept) -> _Kept:
    """``kept``, or nothing (the search then makes the run itself) if it would not
    arrive whole: a result or an exception that does not survive pickling."""
    try:
        pickle.loads(pickle.dumps(kept))
    except Exception:
        return _Kept()
    return kept
