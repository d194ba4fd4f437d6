"""Nothing outlives its run: workers die with the process that runs them, and a run's
cleanup is not cut short by a signal.

A worker, first thing, becomes the leader of a process group of its own (what
it starts joins it, so the runner can stop the whole group) and asks the
kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``): a runner killed
with SIGKILL, which runs no cleanup, still leaves no worker polling forever.
A group of its own also keeps a terminal's Ctrl-C, sent to the foreground
group, from the workers: the runner alone is interrupted, and it stops them.

The runner's side: :func:`stop_group` stops whatever is left of a worker's
group once the worker itself is gone, and :func:`signals_held` defers SIGINT,
SIGTERM and SIGHUP while a run cleans up (a second Ctrl-C must not leave
half the workers running). :func:`stopping_on_signals` makes SIGTERM and
SIGHUP stop a command the way Ctrl-C does, by an exception that runs every
cleanup on its way out. A stop that comes while a finalizer or a weakref
callback runs (one of multiprocessing's, as a semaphore is collected) is not
raised there - Python would print it as "Exception ignored" and go on, the
command with it - nor just after multiprocessing reaped a child and before it
noted its exit code (the child would count as running forever, and could not
be closed): it is owed, and :func:`pay_owed_stop` raises it where the run
takes its next step, or the command ends. One raised where Python drops it
anyway (a callback this module does not recognize) is caught on its way to
``sys.unraisablehook`` and owed the same way.

Linux-specific calls are made where they exist and skipped elsewhere: there
the run's deadline and ``daemon`` processes remain the guards.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from sut import orphans
from sut.engine import stall

# The signals a run's cleanup holds until it is done.
DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long stop_group waits for what it killed to be gone (they are not our
# children: we cannot reap them, only see them go).
_GONE_WITHIN = 2.0


def bind_to_runner(runner: int) -> None:
    """In a worker, first thing: lead a process group of its own, and die with the
    ``runner`` - the process that runs the run (under forkserver, by way of the fork
    server, which this worker lets go of).

    The worker starts with SIGINT, SIGTERM and SIGHUP held (the runner starts it
    inside :func:`signals_held`): a Ctrl-C a terminal sent its old group meanwhile
    is dropped here, not raised in the middle of its start-up.
    """
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what came for the old group: dropped
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a forked runner's handlers are not its
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, DEFERRED)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    orphans.release_fork_server()
    orphans.die_with_parent(runner)


def become_helper(parent: int) -> None:
    """In a process forked from ``parent`` to make runs for it (an exploration's helper):
    stop as a command does - each run cleaning up - on SIGINT, SIGTERM or SIGHUP, and
    when ``parent`` dies; start workers by forkserver through a fork server of its own.

    It starts with those signals held (``parent`` forks it inside :func:`signals_held`).
    """
    global stopped_by, _owed
    stopped_by = _owed = None
    stopping_on_signals()
    orphans.die_with_parent(parent, signal.SIGTERM)
    orphans.forget_fork_server()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, DEFERRED)


def stop_group(leader: int) -> None:
    """Kill what is left of the process group ``leader`` led - processes a worker
    started that outlived it - and wait (bounded) for them to be gone.

    Called once the worker is gone, so its pid may in principle name another
    group by now: only processes of this session are touched.
    """
    try:
        os.killpg(leader, 0)
    except (ProcessLookupError, PermissionError):
        return  # the common case: nothing is left
    members = stall.groups([leader]).get(leader, [])
    for pid in members:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + _GONE_WITHIN
    while members and time.monotonic() < deadline:
        members = [pid for pid in members if orphans.alive(pid)]
        if members:
            time.sleep(0.01)


# A folder in memory, where Linux has one.
_MEMORY = "/dev/shm"


@functools.cache
def runs_folder() -> str:
    """Where a run's folder goes: the temporary folder the user chose (``TMPDIR``,
    ``TEMP`` or ``TMP``), else memory (/dev/shm) where there is one to write in, else
    the system's temporary folder.

    A run's files are small and live for one run; on a disk's file system,
    creating and removing them costs more (about 1 ms a run on the ext4 of the
    machines in docs/PERFORMANCE.md), and a schedule's runs are many.
    """
    chosen = any(os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP"))
    if not chosen and os.path.isdir(_MEMORY) and os.access(_MEMORY, os.W_OK | os.X_OK):
        return _MEMORY
    return tempfile.gettempdir()


def folder_prefix(scenario: str) -> str:
    """The name a run's temporary folder starts with: it says which process made it."""
    return f"sut-{scenario}-{os.getpid()}-"


_swept = False


def sweep_once() -> None:
    """Remove, once per process, the run folders left by processes that are gone: a
    runner killed with SIGKILL runs no cleanup, and only the next one can."""
    global _swept
    if _swept:
        return
    _swept = True
    for folder in Path(runs_folder()).glob("sut-*-*-*"):
        maker = folder.name.split("-")[-2]
        if maker.isdigit() and int(maker) != os.getpid() and not orphans.alive(int(maker)):
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends (main thread only; a
    signal that came meanwhile is delivered then)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class Stopped(KeyboardInterrupt):
    """A command stopped by SIGTERM or SIGHUP: it unwinds like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# The signal that stopped this process, once one did (a command that catches the
# interruption to report what it had still exits as stopped by it).
stopped_by: int | None = None


# A stop that came inside a finalizer, not raised yet (see _stop).
_owed: int | None = None
# The unraisable hook before ours (see stopping_on_signals).
_previous_hook: Callable[[Any], object] = sys.unraisablehook


def _stop(signum: int, frame: FrameType | None) -> None:
    global stopped_by, _owed
    if signum != signal.SIGINT:
        stopped_by = signum
    if _in_finalizer(frame) or _noting_an_exit(frame):
        _owed = signum  # raised here, it would be lost, or a reaped child forgotten
        return
    _raise_stop(signum)


def _raise_stop(signum: int) -> None:
    raise KeyboardInterrupt if signum == signal.SIGINT else Stopped(signum)


def _in_finalizer(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs inside a ``__del__``, a finalizer or a weakref callback
    (``weakref``'s own, as a WeakValueDictionary's entry goes), where an exception is
    printed as "Exception ignored" and dropped."""
    while frame is not None:
        name, module = frame.f_code.co_name, frame.f_globals.get("__name__")
        if name == "__del__" or module == "weakref" or (
                name == "__call__" and module == "multiprocessing.util"):
            return True
        frame = frame.f_back
    return False


def _noting_an_exit(frame: FrameType | None) -> bool:
    """Whether ``frame`` is multiprocessing asking a child's exit code: between the
    wait that reaps the child and the line that notes its code, a stop would leave
    the child reaped and its exit code unknown for good."""
    return frame is not None and frame.f_code.co_name == "poll" and frame.f_globals.get(
        "__name__") in ("multiprocessing.popen_fork", "multiprocessing.popen_forkserver")


def _owe_dropped_stop(unraisable: Any) -> None:
    """``sys.unraisablehook``: a stop raised where Python drops it is owed instead."""
    global _owed
    exc = unraisable.exc_value
    if isinstance(exc, Stopped):
        _owed = exc.signum
    elif isinstance(exc, KeyboardInterrupt):
        _owed = signal.SIGINT
    else:
        _previous_hook(unraisable)


def pay_owed_stop() -> None:
    """Raise the stop a finalizer had to leave owed, if one did (a run calls this
    wherever it takes a next step)."""
    global _owed
    if _owed is not None:
        signum, _owed = _owed, None
        _raise_stop(signum)


def stopping_on_signals() -> None:
    """Make SIGTERM and SIGHUP raise :class:`Stopped` in this (main) process, and
    SIGINT :class:`KeyboardInterrupt` - each at once, or owed if it came in a
    finalizer (see the module docstring)."""
    global _previous_hook
    for signum in DEFERRED:
        signal.signal(signum, _stop)
    if sys.unraisablehook is not _owe_dropped_stop:
        _previous_hook, sys.unraisablehook = sys.unraisablehook, _owe_dropped_stop
