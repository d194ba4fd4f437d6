"""No orphans: a child process that dies with its parent.

Used by every process this package starts that runs code of its own - a run's
workers, the chat server's handlers - so that a parent killed with SIGKILL,
which runs no cleanup, still leaves nothing running. Linux only (``prctl``);
elsewhere the callers' own timeouts remain the guard.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing.forkserver
import os
import signal
import sys
from collections.abc import Callable

# prctl(2): the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Have the kernel send ``signum`` to this process when its parent dies; exit at once if
    ``parent`` - the pid of the process that started it - is gone already (it died
    before the request was made).

    Under forkserver the parent is the fork server: it lives as long as the
    process that uses it, once this process lets go of it (see
    :func:`release_fork_server`). ``parent`` is then the fork server's client.
    """
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent and not alive(parent):
        os._exit(1)


def _find_prctl() -> Callable[..., int] | None:
    """The C library's ``prctl``, where there is one (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up once, here: a forked worker then calls it without loading a library
# (each lookup builds a new ctypes class, and a worker's start-up is on every run).
_prctl = _find_prctl()


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists and has not ended: a zombie, dead but not yet
    reaped by its parent, has (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return True  # no /proc to ask: it exists
    return text[text.rfind(b")") + 2:][:1] != b"Z"


def release_fork_server() -> None:
    """Drop this process's end of the fork server's "alive" pipe, if it holds one.

    Every child a fork server starts is handed it, and the fork server runs
    until no process holds it: it would outlive its client by as long as its
    children live - and, being their parent, keep them alive in turn. Let go,
    it ends with its client and takes its children along (:func:`die_with_parent`).
    A process that starts children by forkserver itself starts a fork server
    of its own.
    """
    fork_server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(fork_server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        fork_server._forkserver_alive_fd = None  # type: ignore[union-attr]


def forget_fork_server() -> None:
    """In a process forked from one that started a fork server: let go of that server
    (:func:`release_fork_server`) and forget it - it is not this process's child, so
    this process cannot use it - so that the first start by forkserver here launches
    a fork server of its own."""
    release_fork_server()
    fork_server = getattr(multiprocessing.forkserver, "_forkserver", None)
    if fork_server is not None and hasattr(fork_server, "_forkserver_pid"):
        fork_server._forkserver_pid = None
        fork_server._forkserver_address = None
