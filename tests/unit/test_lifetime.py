"""A stop that comes while a finalizer or a weakref callback runs is owed, not lost: Python
would print it as "Exception ignored" and go on, and the command with it. And where a
run's folder goes."""

from __future__ import annotations

import multiprocessing.connection
import multiprocessing.forkserver
import multiprocessing.popen_fork
import multiprocessing.popen_forkserver
import multiprocessing.util
import os
import signal
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from sut.engine import lifetime


class _Thing:
    pass


def _signal_itself(signum: int) -> None:
    signal.raise_signal(signum)
    sum(range(1000))  # bytecodes to run the handler in: still inside the finalizer


class _SignalsItselfWhenCollected:
    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        _signal_itself(self.signum)


def _by_del(signum: int) -> None:
    _SignalsItselfWhenCollected(signum)  # collected at once


def _by_weakref_finalize(signum: int) -> None:
    weakref.finalize(_Thing(), _signal_itself, signum)


def _by_multiprocessing_finalize(signum: int) -> None:
    # How a multiprocessing semaphore removes itself when it is collected.
    multiprocessing.util.Finalize(_Thing(), _signal_itself, (signum,))


def _by_weakref_callback(signum: int) -> None:
    # A callback of no module the handler knows (a WeakValueDictionary's entry goes
    # by one): the stop is raised there, and Python drops it on its way out.
    thing = _Thing()
    reference = weakref.ref(thing, lambda _: _signal_itself(signum))
    del thing
    assert reference() is None


@pytest.fixture
def stopping(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process stops on signals as the command line does, for the test's length."""
    monkeypatch.setattr(lifetime, "_owed", None)
    monkeypatch.setattr(lifetime, "stopped_by", None)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)  # put back after
    monkeypatch.setattr(lifetime, "_previous_hook", lifetime._previous_hook)
    saved = {signum: signal.getsignal(signum) for signum in lifetime.DEFERRED}
    lifetime.stopping_on_signals()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("stopping")
@pytest.mark.parametrize("finalize", [_by_del, _by_weakref_finalize,
                                      _by_multiprocessing_finalize, _by_weakref_callback])
@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGINT, KeyboardInterrupt),
                                                (signal.SIGTERM, lifetime.Stopped)])
def test_a_stop_in_a_finalizer_is_raised_at_the_next_step(
        finalize: Callable[[int], None], signum: int, raised: type[BaseException]) -> None:
    finalize(signum)  # the finalizer runs, and ends as it would have
    with pytest.raises(raised):
        lifetime.pay_owed_stop()
    lifetime.pay_owed_stop()  # owed once, paid once


@pytest.mark.usefixtures("stopping")
def test_a_dropped_exception_that_is_no_stop_goes_to_the_usual_hook(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[BaseException | None] = []
    monkeypatch.setattr(lifetime, "_previous_hook", lambda args: seen.append(args.exc_value))
    thing = _Thing()
    reference = weakref.ref(thing, lambda _: 1 / 0)
    del thing
    assert reference() is None
    assert isinstance(seen[0], ZeroDivisionError)
    lifetime.pay_owed_stop()  # nothing owed


def _frame_noting_a_fork_childs_exit(monkeypatch: pytest.MonkeyPatch) -> FrameType:
    """The frame of multiprocessing's ``poll`` of a forked child, as it has just reaped
    the child and not yet noted its exit code."""
    frames = []

    def waitpid(pid: int, flag: int) -> tuple[int, int]:
        frames.append(sys._getframe(1))
        return pid, 0

    monkeypatch.setattr(os, "waitpid", waitpid)
    popen: Any = object.__new__(multiprocessing.popen_fork.Popen)
    popen.pid, popen.returncode = 12345, None
    assert popen.poll() == 0
    return frames[0]


def _frame_noting_a_fork_server_childs_exit(monkeypatch: pytest.MonkeyPatch) -> FrameType:
    """The same frame under forkserver, whose server sends the exit code."""
    frames = []

    def read_signed(fd: int) -> int:
        frames.append(sys._getframe(1))
        return 0

    monkeypatch.setattr(multiprocessing.forkserver, "read_signed", read_signed)
    monkeypatch.setattr(multiprocessing.connection, "wait", lambda *args, **kwargs: True)
    popen: Any = object.__new__(multiprocessing.popen_forkserver.Popen)
    popen.sentinel, popen.returncode = -1, None
    assert popen.poll() == 0
    return frames[0]


@pytest.mark.usefixtures("stopping")
@pytest.mark.parametrize("frame_of", [_frame_noting_a_fork_childs_exit,
                                      _frame_noting_a_fork_server_childs_exit])
def test_a_stop_while_multiprocessing_notes_a_childs_exit_code_is_owed(
        frame_of: Callable[[pytest.MonkeyPatch], FrameType],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Raised there, the child would stay reaped with its exit code unknown: running
    # for good, as far as multiprocessing can tell, and impossible to close.
    frame = frame_of(monkeypatch)
    lifetime._stop(signal.SIGINT, frame)  # as the handler is called there
    with pytest.raises(KeyboardInterrupt):
        lifetime.pay_owed_stop()


@pytest.mark.usefixtures("stopping")
def test_a_stop_anywhere_else_is_raised_at_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        _signal_itself(signal.SIGINT)
    lifetime.pay_owed_stop()  # nothing owed


def test_a_run_folder_goes_where_the_user_said_else_into_memory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() asks the environment again
    in_memory = os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK)
    assert lifetime.runs_folder.__wrapped__() == (
        "/dev/shm" if in_memory else tempfile.gettempdir())
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert lifetime.runs_folder.__wrapped__() == str(tmp_path)
