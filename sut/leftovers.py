"""What a process has open right now: its children and its file descriptors.

Taken before and after something that must clean up after itself (a test, a
server's shutdown), the difference is what it left behind. Linux only: read
from /proc.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterable


def processes() -> set[int]:
    """The pid of every process this one can see."""
    return {int(name) for name in os.listdir("/proc") if name.isdigit()}


def child_pids() -> set[int]:
    """The pid of each of this process's children, zombies included: a set among which
    :func:`children` finds them all.

    Each thread's ``task/<tid>/children`` lists the children it forked, or took over
    from a thread that ended: a few short reads, where listing ``/proc`` takes the
    longer the more processes the machine runs. Read again if a thread came or went
    meanwhile (its children may have moved to a thread already read); where the kernel
    keeps no such list (``CONFIG_PROC_CHILDREN``), or threads keep coming and going,
    every process this one can see.
    """
    task = f"/proc/{os.getpid()}/task"
    if _kernel_lists_children():
        for _ in range(3):
            threads = set(os.listdir(task))
            listed = [_read(f"{task}/{tid}/children") for tid in threads]
            if None not in listed and set(os.listdir(task)) == threads:
                return {int(pid) for pids in listed if pids is not None for pid in pids.split()}
    return processes()


@functools.cache
def _kernel_lists_children() -> bool:
    """Whether the kernel lists each thread's children (``CONFIG_PROC_CHILDREN``)."""
    return os.path.exists(f"/proc/self/task/{threading.get_native_id()}/children")


def children(among: Iterable[int] | None = None) -> dict[int, str]:
    """This process's children, zombies included: pid -> ``command (state S)``; of the
    processes ``among`` only, if given.

    Each process's ``stat`` is read with bare ``os`` calls: a hundred processes or
    more may be alive around this one.
    """
    me = os.getpid()
    found = {}
    for name in map(str, processes() if among is None else among):
        if (stat := _read(f"/proc/{name}/stat")) is not None:
            # The command may hold spaces and parentheses: split after the last ')'.
            close = stat.rindex(b")")
            state, parent = stat[close + 2:].split(None, 2)[:2]
            if int(parent) == me:
                command = stat[stat.index(b"(") + 1:close].decode(errors="replace")
                found[int(name)] = f"{command} (state {state.decode()})"
    return found


def _read(path: str) -> bytes | None:
    """All of the file at ``path`` in /proc, or None if what it tells of is gone meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks)


def open_fds(among: Iterable[int] | None = None) -> dict[int, str]:
    """This process's file descriptors: fd -> what it points at; of the descriptors
    ``among`` only, if given."""
    found = {}
    for fd in fd_numbers() if among is None else among:
        with contextlib.suppress(OSError):  # closed meanwhile
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return found


def fd_numbers() -> set[int]:
    """The numbers of this process's open file descriptors: :func:`open_fds` without
    reading what each points at."""
    found = set()
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            os.fstat(fd)
        except OSError:  # the listing's own descriptor, closed by now
            continue
        found.add(fd)
    return found
