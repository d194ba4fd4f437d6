"""Limits: how much one configuration may ask for, and whether this machine has room for it.

Two kinds of limit keep one command from taking a machine down (docs/LIMITS.md
has the table):

- **Bounds of the parameters**, the same on every machine: the most worker
  processes a configuration starts (:data:`MAX_PROCESSES`), the most rounds
  one worker's loop goes (:data:`MAX_ROUNDS`), the most items a run handles in
  all (:data:`MAX_ITEMS`). Each scenario's ``Params`` enforces them when it is
  built, so the API and the CLI refuse the same values.
- **What this machine leaves** for the processes a configuration starts,
  checked just before a run (:func:`check_processes`, which
  ``Scenario.evaluate`` calls): the user's ``RLIMIT_NPROC`` less what the
  user already runs, and the memory ``/proc/meminfo`` says is available.

Either refusal is one ``ValueError`` naming the limit.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

# The most worker processes one configuration starts. docs/PERFORMANCE.md's
# scale section: 512 to 1024 processes fit in 10 s on a 2-core machine (fork),
# and benchmarks/scale.py doubles up to this many.
MAX_PROCESSES = 1024
# The most rounds one worker's loop goes: the light's cycles, a producer's
# buns, the messages of a queue or a pipe. 10,000 rounds take 1-3 s at no
# jitter (fork) and about 2-5 events each.
MAX_ROUNDS = 10_000
# The most items one run handles in all: the buns of every producer together,
# the tickets on sale. 100,000 buns take about 11 s and 270 MB (fork, no jitter):
# the events of a run are kept in memory, about 500 bytes each.
MAX_ITEMS = 100_000

# What one worker costs in memory, by start method, rounded up from what was
# measured: the private memory (Private_Clean + Private_Dirty of
# /proc/PID/smaps_rollup) of the ticket office's buyers, and the drop of
# MemAvailable per buyer, 40 and 200 buyers at a time, Python 3.11 on Linux:
# fork 2.4-3.4 MB (copy-on-write from the parent), forkserver 5.1-5.7 MB
# (forked from the server, which preloads the scenarios), spawn 12.2-12.5 MB
# (a new interpreter importing the engine and its scenario).
MIB = 1024 * 1024
MEMORY_PER_PROCESS = {"fork": 4 * MIB, "forkserver": 6 * MIB, "spawn": 13 * MIB}
# The share of the available memory one configuration may take: the rest is for
# the run's parent, everyone else on the machine, and the page cache. (The chat's
# 1024 clients at once, 2049 processes under forkserver, ran in 7 s on a machine
# with 23 GiB available: a configuration that works must not be refused.)
MEMORY_SHARE = 0.75

PROC = Path("/proc")


@dataclass(frozen=True)
class Room:
    """What this machine leaves for new processes (None: it cannot tell, or sets no limit)."""

    processes: int | None
    memory: int | None  # bytes


@runtime_checkable
class StartsProcesses(Protocol):
    """Params that say how many worker processes a run with them starts."""

    def processes(self) -> int:
        """How many worker processes a run with these params starts."""
        ...

    def describe_processes(self) -> str:
        """The params that decide it, as the command line spells them (``buyers=5 readers=1``)."""
        ...


def check_room_for(params: object, start_method: str) -> None:
    """Raise ``ValueError`` unless this machine has room for the processes ``params`` start.

    Params that do not say how many they start (see :class:`StartsProcesses`)
    are not checked.
    """
    if isinstance(params, StartsProcesses):
        check_processes(params.processes(), start_method, asked=params.describe_processes())


def check_processes(count: int, start_method: str, *, asked: str = "",
                    room: Room | None = None) -> None:
    """Raise ``ValueError`` unless this machine has room for ``count`` more processes.

    ``asked`` is what the configuration asked for (``buyers=5000``), to name it
    in the message; ``room`` is what the machine leaves (default: :func:`room_here`).
    Memory is judged by :data:`MEMORY_PER_PROCESS` of ``start_method``.

    Raises:
        ValueError: ``count`` exceeds what ``RLIMIT_NPROC`` leaves this user, or
            the memory ``count`` workers of ``start_method`` take exceeds
            :data:`MEMORY_SHARE` of the memory available.

    Example::

        >>> check_processes(5001, "fork", asked="buyers=5000 readers=1",
        ...                 room=Room(processes=4000, memory=None))
        Traceback (most recent call last):
        ...
        ValueError: buyers=5000 readers=1 would start 5001 processes, but RLIMIT_NPROC leaves 4000
    """
    here = room_here(count) if room is None else room
    what = f"{asked or 'the configuration'} would start {count} processes"
    if here.processes is not None and count > here.processes:
        raise ValueError(f"{what}, but RLIMIT_NPROC leaves {max(here.processes, 0)}")
    if here.memory is not None:
        _check_memory(what, count, start_method, here.memory)


def _check_memory(what: str, count: int, start_method: str, available: int) -> None:
    # An unknown start method is taken to cost what the dearest known one does.
    per_process = MEMORY_PER_PROCESS.get(start_method, max(MEMORY_PER_PROCESS.values()))
    needed = count * per_process
    allowed = int(available * MEMORY_SHARE)
    if needed > allowed:
        raise ValueError(
            f"{what}, needing about {needed // MIB} MiB ({per_process // MIB} MiB each under "
            f"{start_method}), but only {allowed // MIB} MiB may be taken "
            f"({MEMORY_SHARE:.0%} of MemAvailable, {available // MIB} MiB)")


def room_here(needed: int = 0) -> Room:
    """What this machine leaves now for ``needed`` processes: processes under
    ``RLIMIT_NPROC`` (see :func:`processes_left`), available memory."""
    return Room(processes=processes_left(needed), memory=memory_available())


def processes_left(needed: int = 0) -> int | None:
    """How many more processes ``RLIMIT_NPROC`` lets this user start - at least, once that
    is known to be ``needed`` or more (None: no limit applies).

    The kernel counts every task (thread) of the user's real uid against the
    soft limit, and does not apply it to root. If the limit leaves ``needed``
    even were every task on the machine this user's, that is the answer, from
    one read of ``/proc/loadavg``; otherwise the user's tasks are counted one by
    one in ``/proc`` (where it cannot tell, the whole limit is left).
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    uid = os.getuid()
    if soft == resource.RLIM_INFINITY or uid == 0:
        return None
    everyone = tasks_on_machine()
    if everyone is not None and soft - everyone >= needed:
        return soft - everyone
    return soft - (tasks_of(uid) or 0)


def tasks_on_machine() -> int | None:
    """How many tasks the machine runs, every user's (``/proc/loadavg``'s ``1/523``)."""
    try:
        fields = (PROC / "loadavg").read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return None
    total = fields[3].partition("/")[2] if len(fields) > 3 else ""
    return int(total) if total.isascii() and total.isdigit() else None


def tasks_of(uid: int) -> int | None:
    """How many tasks (threads) the user ``uid`` runs, by ``/proc``; None where it cannot tell."""
    try:
        entries = [entry for entry in os.scandir(PROC) if entry.name.isdigit()]
    except OSError:
        return None
    tasks = 0
    for entry in entries:
        try:
            if entry.stat().st_uid == uid:
                tasks += len(os.listdir(entry.path + "/task"))
        except OSError:
            continue  # it ended while we looked: it no longer counts
    return tasks


def memory_available() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo``, in bytes; None where it cannot tell."""
    try:
        text = (PROC / "meminfo").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        fields = value.split()  # "   24237176 kB"
        if (name == "MemAvailable" and len(fields) == 2 and fields[1] == "kB"
                and fields[0].isascii() and fields[0].isdigit()):
            return int(fields[0]) * 1024
    return None
