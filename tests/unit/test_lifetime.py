"""A stop that comes while a finalizer runs is owed, not lost: Python would print it as
"Exception ignored" and go on, and the command with it. And where a run's folder goes."""

from __future__ import annotations

import multiprocessing.util
import os
import signal
import tempfile
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

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


@pytest.fixture
def stopping(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process stops on signals as the command line does, for the test's length."""
    monkeypatch.setattr(lifetime, "_owed", None)
    monkeypatch.setattr(lifetime, "stopped_by", None)
    saved = {signum: signal.getsignal(signum) for signum in lifetime.DEFERRED}
    lifetime.stopping_on_signals()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("stopping")
@pytest.mark.parametrize("finalize", [_by_del, _by_weakref_finalize,
                                      _by_multiprocessing_finalize])
@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGINT, KeyboardInterrupt),
                                                (signal.SIGTERM, lifetime.Stopped)])
def test_a_stop_in_a_finalizer_is_raised_at_the_next_step(
        finalize: Callable[[int], None], signum: int, raised: type[BaseException]) -> None:
    finalize(signum)  # the finalizer runs, and ends as it would have
    with pytest.raises(raised):
        lifetime.pay_owed_stop()
    lifetime.pay_owed_stop()  # owed once, paid once


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
