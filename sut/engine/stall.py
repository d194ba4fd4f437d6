"""Whether a process is blocked: waiting in the kernel, and making no progress.

In schedule mode the coordinator waits for a running worker to reach its next
gate. One that blocks on something the engine does not know - a lock the
Backend did not make, held by a worker parked at a gate - would never get
there; until the deadline nothing told it apart from one that computes for a
while. :class:`StallWatch` does, from what the kernel says of the process:

- **blocked**: asleep (state ``S``) in a system call that waits for another
  process - a futex (a lock, semaphore or condition), a read of a pipe or
  socket, poll/select, a file lock, a child's end - with no timeout, and not
  one tick of CPU time nor one wake-up over the settle period;
- **not blocked**: running, asleep in a sleep (``time.sleep``) or in a wait
  with a timeout (``Event.wait(5)``), both of which end by themselves, or
  anything the watch cannot name.

Linux only, read from ``/proc/<pid>/``: ``stat`` (state, CPU ticks of every
thread), ``schedstat`` (the main thread's CPU nanoseconds and how many times
it ran, where the kernel keeps them), ``syscall`` (the call the main thread is
in, and its arguments: whether it has a timeout) and, where this machine's
system call numbers are not known here, ``wchan`` (the kernel function it
sleeps in). Where any of these cannot be read - another OS, a restricted
kernel, a process gone meanwhile - the watch says it cannot tell (None),
never that a process is blocked: the run's deadline stays the guard.
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

# How long a process must stay asleep, untouched, before it counts as blocked.
# A gated operation may legitimately wait on something already in flight: a
# queue's get waits for the item to come through the putter's feeder thread
# (a few milliseconds), and on a loaded machine (the flakiness campaign runs
# beside CPU hogs, two test workers per core) a runnable thread may wait tens
# of milliseconds for a CPU. Half a second is ten times the worst of those, so
# a real operation never looks blocked; and against the run's 10 s deadline a
# scenario that blocks outside its schedule still ends at once. A false
# "blocked" would be a false error of the scenario; a late one costs only
# those fractions of a second, and only in a run that is broken anyway.
SETTLE = 0.5

# What a process waits in, as the outcome says it.
FUTEX = "a futex (a lock, semaphore or condition)"
READ = "a read (a pipe, socket or file)"
WRITE = "a write (a full pipe or socket)"
POLL = "poll/select (waiting on file descriptors)"
SOCKET = "a socket's accept or connect"
CHILD = "a wait for a child process to end"
FILE_LOCK = "a file lock (flock or fcntl)"
IPC = "a System V or POSIX message queue or semaphore"
SIGNAL = "a wait for a signal"
SLEEP = "a sleep"


@dataclass(frozen=True)
class Call:
    """A system call a process can wait in: what it waits in, and where its timeout is."""

    waits_in: str
    timeout_arg: int | None = None  # the argument holding its timeout, if it takes one
    millis: bool = False  # that timeout is an int of milliseconds (negative: none), not a pointer


_TIMESPEC_4 = Call(POLL, 4)  # select, pselect6: (nfds, read, write, except, timeout)
CALLS = {
    "futex": Call(FUTEX, 3), "futex_waitv": Call(FUTEX, 3),
    "read": Call(READ), "readv": Call(READ), "pread64": Call(READ),
    "recvfrom": Call(READ), "recvmsg": Call(READ), "recvmmsg": Call(READ, 4),
    "write": Call(WRITE), "writev": Call(WRITE), "pwrite64": Call(WRITE),
    "sendto": Call(WRITE), "sendmsg": Call(WRITE),
    "poll": Call(POLL, 2, millis=True), "ppoll": Call(POLL, 2),
    "select": _TIMESPEC_4, "pselect6": _TIMESPEC_4,
    "epoll_wait": Call(POLL, 3, millis=True), "epoll_pwait": Call(POLL, 3, millis=True),
    "epoll_pwait2": Call(POLL, 3),
    "accept": Call(SOCKET), "accept4": Call(SOCKET), "connect": Call(SOCKET),
    "wait4": Call(CHILD), "waitid": Call(CHILD),
    "flock": Call(FILE_LOCK), "fcntl": Call(FILE_LOCK),
    "semop": Call(IPC), "semtimedop": Call(IPC, 3), "msgrcv": Call(IPC), "msgsnd": Call(IPC),
    "mq_timedreceive": Call(IPC, 4), "mq_timedsend": Call(IPC, 4),
    "pause": Call(SIGNAL), "rt_sigsuspend": Call(SIGNAL), "rt_sigtimedwait": Call(SIGNAL, 2),
    "nanosleep": Call(SLEEP), "clock_nanosleep": Call(SLEEP),
}

# System call numbers, by machine (64-bit processes only): x86_64 from
# asm/unistd_64.h, aarch64 from asm-generic/unistd.h (which has no poll,
# select, epoll_wait or pause: its C library uses ppoll, pselect6, epoll_pwait).
NUMBERS: dict[str, dict[int, str]] = {
    "x86_64": {
        0: "read", 1: "write", 7: "poll", 17: "pread64", 18: "pwrite64", 19: "readv",
        20: "writev", 23: "select", 34: "pause", 35: "nanosleep", 42: "connect",
        43: "accept", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg",
        61: "wait4", 65: "semop", 69: "msgsnd", 70: "msgrcv", 72: "fcntl", 73: "flock",
        128: "rt_sigtimedwait", 130: "rt_sigsuspend", 202: "futex", 220: "semtimedop",
        230: "clock_nanosleep", 232: "epoll_wait", 242: "mq_timedsend",
        243: "mq_timedreceive", 247: "waitid", 270: "pselect6", 271: "ppoll",
        281: "epoll_pwait", 288: "accept4", 299: "recvmmsg", 441: "epoll_pwait2",
        449: "futex_waitv",
    },
    "aarch64": {
        22: "epoll_pwait", 25: "fcntl", 32: "flock", 63: "read", 64: "write", 65: "readv",
        66: "writev", 67: "pread64", 68: "pwrite64", 72: "pselect6", 73: "ppoll",
        95: "waitid", 98: "futex", 101: "nanosleep", 115: "clock_nanosleep",
        133: "rt_sigsuspend", 137: "rt_sigtimedwait", 182: "mq_timedsend",
        183: "mq_timedreceive", 188: "msgrcv", 189: "msgsnd", 192: "semtimedop",
        193: "semop", 202: "accept", 203: "connect", 206: "sendto", 207: "recvfrom",
        211: "sendmsg", 212: "recvmsg", 242: "accept4", 243: "recvmmsg", 260: "wait4",
        441: "epoll_pwait2", 449: "futex_waitv",
    },
}

# Elsewhere, the kernel function a process sleeps in names the call (on
# kernels old and new). Only calls whose timeout, if any, sits in the same
# argument on every machine are named: poll and select do not qualify.
WCHANS = (
    ("futex", "futex"), ("pipe_read", "read"), ("unix_stream_read", "read"),
    ("sk_wait_data", "read"), ("pipe_write", "write"), ("do_wait", "wait4"),
    ("lock_inode_wait", "flock"), ("nanosleep", "nanosleep"),
)


class Wait(NamedTuple):
    """What a process waits in, and whether that wait ends by itself."""

    waits_in: str
    ends_by_itself: bool  # a sleep, or a wait with a timeout


def machine() -> str:
    """Whose system call numbers this interpreter's processes use ('' if none known)."""
    name = os.uname().machine.lower()
    name = {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)
    # A 32-bit interpreter on a 64-bit kernel makes the 32-bit calls, numbered otherwise.
    return name if name in NUMBERS and struct.calcsize("P") == 8 else ""


def parse_stat(text: str) -> tuple[str, int] | None:
    """The state letter and the CPU ticks (user + system, every thread) in a ``stat``."""
    # The command may hold spaces and parentheses: the fields start after the last ')'.
    fields = text[text.rfind(")") + 2:].split()
    if ")" not in text or len(fields) < 13 or not fields[11].isdigit() \
            or not fields[12].isdigit():
        return None
    return fields[0], int(fields[11]) + int(fields[12])


def parse_schedstat(text: str) -> tuple[int, int] | None:
    """The nanoseconds a thread ran and how many times it ran, from its ``schedstat``."""
    fields = text.split()
    if len(fields) < 3 or not (fields[0].isdigit() and fields[2].isdigit()):
        return None
    return int(fields[0]), int(fields[2])


def parse_syscall(text: str) -> tuple[int, tuple[int, ...]] | None:
    """The system call a ``syscall`` file shows, and its six arguments.

    None when the thread is in none: ``running`` (in user space), or ``-1``
    (in the kernel, but not in a system call: a page fault, say).
    """
    fields = text.split()
    try:
        number = int(fields[0])
        args = tuple(int(field, 16) for field in fields[1:7])
    except (IndexError, ValueError):
        return None
    return (number, args) if number >= 0 and len(args) == 6 else None


def waits_in(syscall: str, wchan: str, on: str) -> Wait | None:
    """What a thread asleep in ``syscall`` (``wchan``) on machine ``on`` waits in.

    None when it cannot tell: not in a system call, or in one it does not know.
    """
    call = parse_syscall(syscall)
    if call is None:
        return None
    number, args = call
    name = NUMBERS[on].get(number) if on in NUMBERS else next(
        (name for part, name in WCHANS if part in wchan), None)
    if name is None:
        return None
    known = CALLS[name]
    return Wait(known.waits_in, known.waits_in == SLEEP or _timed(known, args))


def _timed(call: Call, args: tuple[int, ...]) -> bool:
    if call.timeout_arg is None:
        return False
    value = args[call.timeout_arg]
    if call.millis:  # an int: -1 (as 32 or 64 bits) waits for ever
        return value & 0xFFFF_FFFF < 0x8000_0000
    return value != 0  # a pointer: NULL waits for ever


class _Sample(NamedTuple):
    state: str
    progress: tuple[int, ...]  # CPU ticks of the process; the main thread's CPU ns and runs
    syscall: str
    wchan: str


class StallWatch:
    """Tells, for a child process by pid, whether it is blocked (see the module docstring).

    Call :meth:`blocked` repeatedly while waiting for a process: it keeps each
    pid's last sample, and answers once the same blocked sample lasted
    ``settle`` seconds. Use a new watch (or :meth:`forget`) for each wait: a
    process that reached a gate since is not the same stall. Ask only about a
    process that should be running: one parked at its gate is blocked too, in
    a read of its pipe to the coordinator.
    """

    def __init__(self, settle: float = SETTLE, *, proc: str | os.PathLike[str] = "/proc",
                 on: str | None = None) -> None:
        self.settle = settle
        self.proc = Path(proc)
        self.on = machine() if on is None else on
        # Whether it can ever tell: on Linux, with /proc mounted.
        self.available = sys.platform.startswith("linux") and self.proc.is_dir()
        self._streaks: dict[int, tuple[float, tuple[str, tuple[int, ...]]]] = {}
        self._groups: dict[int, tuple[float, tuple[tuple[str, tuple[int, ...]], ...]]] = {}

    def blocked(self, pid: int, now: float) -> str | None:
        """What process ``pid`` is blocked in, if it has been for ``settle`` seconds
        as of ``now`` (monotonic seconds); None if it is not, or not yet, or the
        watch cannot tell."""
        sample = self._sample(pid) if self.available else None
        # Only an interruptible sleep: waits for another process are; D is the
        # kernel at work for this one (a disk read), which ends by itself.
        wait = (waits_in(sample.syscall, sample.wchan, self.on)
                if sample is not None and sample.state == "S" else None)
        if sample is None or wait is None or wait.ends_by_itself:
            self._streaks.pop(pid, None)
            return None
        key = (sample.syscall, sample.progress)
        streak = self._streaks.get(pid)
        if streak is None or streak[1] != key:
            self._streaks[pid] = (now, key)
            return None
        return wait.waits_in if now - streak[0] >= self.settle else None

    def groups_blocked(self, leaders: list[int], now: float) -> bool:
        """Whether every process group in ``leaders`` is blocked: every thread of every
        live process in it has been blocked (as :meth:`blocked` means it) for
        ``settle`` seconds as of ``now``. False if one is not, not yet, or the watch
        cannot tell.

        A run's worker leads a group of its own (:mod:`sut.engine.lifetime`), and
        what it starts - a server's handlers, a pool - joins it: a worker waiting
        for a child at work, or for a thread of its own at work or asleep for a
        while, is not blocked.
        """
        if not self.available or not leaders:
            return False
        # The leaders alone first: mostly one of them is at work or asleep for a
        # while, and that ends it before reading every process's stat.
        if any(self._group_sample([leader]) is None for leader in leaders):
            for leader in leaders:
                self._groups.pop(leader, None)
            return False
        members = groups(leaders, proc=self.proc)
        for leader in leaders:  # the first one not blocked ends it
            samples = self._group_sample(members.get(leader, []))
            if samples is None:
                self._groups.pop(leader, None)
                return False
            key = tuple((sample.syscall, sample.progress) for sample in samples)
            streak = self._groups.get(leader)
            if streak is None or streak[1] != key:
                self._groups[leader] = (now, key)
                return False
            if now - streak[0] < self.settle:
                return False
        return True

    def _group_sample(self, members: list[int]) -> list[_Sample] | None:
        """Every thread of the live processes in ``members``, each blocked in a wait that
        does not end by itself; None if any is not, or none is left."""
        samples = []
        for pid in members:
            for task in self._tasks(pid):
                sample = self._sample(pid, task)
                if sample is None or sample.state == "Z":
                    continue  # ended meanwhile: it holds nothing up
                wait = (waits_in(sample.syscall, sample.wchan, self.on)
                        if sample.state == "S" else None)
                if wait is None or wait.ends_by_itself:
                    return None
                samples.append(sample)
        return samples or None

    def _tasks(self, pid: int) -> list[str]:
        """The threads of ``pid``, its main thread first."""
        try:
            tasks = os.listdir(self.proc / str(pid) / "task")
        except OSError:
            return []
        return sorted(tasks, key=lambda task: (task != str(pid), int(task)))

    def forget(self, pid: int) -> None:
        """Drop what the watch saw of ``pid``: its next stall starts afresh."""
        self._streaks.pop(pid, None)

    def _sample(self, pid: int, task: str | None = None) -> _Sample | None:
        """The process's (its main thread's), or one thread's of it."""
        where = str(pid) if task is None else f"{pid}/task/{task}"
        stat = parse_stat(self._read(where, "stat") or "")
        syscall = self._read(where, "syscall")
        if stat is None or syscall is None:
            return None
        # Where the kernel keeps no schedstat, CPU ticks alone tell progress.
        runs = parse_schedstat(self._read(where, "schedstat") or "") or ()
        wchan = "" if self.on in NUMBERS else self._read(where, "wchan") or ""
        return _Sample(stat[0], (stat[1], *runs), syscall.strip(), wchan.strip())

    def _read(self, where: str, name: str) -> str | None:
        try:
            return (self.proc / where / name).read_text(encoding="ascii", errors="replace")
        except OSError:  # gone meanwhile, not ours to read, or not kept by this kernel
            return None


def groups(leaders: list[int], *, proc: str | os.PathLike[str] = "/proc") -> dict[int, list[int]]:
    """The pids in each process group ``leaders`` lead, of this process's session (a
    group id a gone leader left may name another session's group by now)."""
    session, wanted = os.getsid(0), set(leaders)
    members: dict[int, list[int]] = {}
    for name in os.listdir(proc):
        if name.isdigit():
            fields = stat_fields(Path(proc) / name / "stat")
            if fields is not None and fields[2] in wanted and fields[3] == session:
                members.setdefault(fields[2], []).append(int(name))
    return members


def stat_fields(path: Path) -> tuple[str, int, int, int] | None:
    """(state, ppid, pgrp, session) from a ``stat`` file, or None if it cannot be read."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    if len(fields) < 4 or not all(field.lstrip("-").isdigit() for field in fields[1:4]):
        return None
    return fields[0], int(fields[1]), int(fields[2]), int(fields[3])


def describe_blocked(worker: str, last_point: str | None, waits_in: str) -> str:
    """The outcome of a worker blocked outside the schedule: where, in what, and the
    likely cause - an error of the scenario, not a verdict on the program."""
    where = f"after {last_point!r}" if last_point is not None else "before its first point"
    return (f"{worker} is blocked outside the schedule {where}, in {waits_in}: "
            "is it waiting on a primitive the Backend did not make?")
