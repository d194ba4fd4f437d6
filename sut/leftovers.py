"""What a process has open right now: its children and its file descriptors.

Taken before and after something that must clean up after itself (a test, a
server's shutdown), the difference is what it left behind. Linux only: read
from /proc.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable


def processes() -> set[int]:
    """The pid of every process this one can see."""
    return {int(name) for name in os.listdir("/proc") if name.isdigit()}


def children(among: Iterable[int] | None = None) -> dict[int, str]:
    """This process's children, zombies included: pid -> ``command (state S)``; of the
    processes ``among`` only, if given.

    Each process's ``stat`` is read with bare ``os`` calls: a hundred processes or
    more may be alive around this one.
    """
    me = os.getpid()
    found = {}
    for name in map(str, processes() if among is None else among):
        if (stat := _stat(name)) is not None:
            # The command may hold spaces and parentheses: split after the last ')'.
            close = stat.rindex(b")")
            state, parent = stat[close + 2:].split(None, 2)[:2]
            if int(parent) == me:
                command = stat[stat.index(b"(") + 1:close].decode(errors="replace")
                found[int(name)] = f"{command} (state {state.decode()})"
    return found


def _stat(pid: str) -> bytes | None:
    """The ``stat`` line of process ``pid``, or None if it is gone meanwhile."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def open_fds() -> dict[int, str]:
    """This process's file descriptors: fd -> what it points at."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return found
