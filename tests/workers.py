"""Worker functions for the runtime tests: module level, so spawn can import them."""

from __future__ import annotations

import os
import pathlib
import signal
import time
from typing import Any

from sut.engine import Probe


def steps(probe: Probe, count: int) -> None:
    for i in range(count):
        probe.point("step", i=i)


def mark_then_point(probe: Probe, mark: Any) -> None:
    """Leave a file to say its own code began, then reach a point."""
    pathlib.Path(mark).touch()
    probe.point("began")


def crash(probe: Probe) -> None:
    probe.point("before")
    raise RuntimeError("the worker broke on purpose")


def hang(probe: Probe) -> None:
    probe.point("stuck here")
    time.sleep(3600)


def exit_with(probe: Probe, code: int) -> None:
    probe.point("exiting")
    raise SystemExit(code)


def put_all(probe: Probe, queue: Any, items: list[Any]) -> None:
    for item in items:
        queue.put(item)


def take_tasks(probe: Probe, queue: Any, count: int) -> None:
    for _ in range(count):
        queue.get(timeout=5)
        queue.task_done()


def take_turns(probe: Probe, lock: Any, steps: int) -> None:
    for i in range(steps):
        with lock:
            probe.point("inside", i=i)


def poll_forever(probe: Probe) -> None:
    while True:
        probe.poll(0.001)


def get_one(probe: Probe, queue: Any) -> None:
    probe.record("got", item=queue.get())


def write_lines(probe: Probe, path: Any, name: str, count: int) -> None:
    """Append ``name`` to the file at ``path``, ``count`` times, a named point before each."""
    for i in range(count):
        probe.point("write", i=i)
        with open(path, "a", encoding="utf-8") as file:
            file.write(name + "\n")


# --- lifetimes: what a run must end, whatever its workers do -------------------

def shrug_off_terminate(probe: Probe) -> None:
    """Ignore SIGTERM and compute for ever."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    probe.point("deaf")
    while True:
        pass


def start_a_grandchild(probe: Probe, pid_file: Any) -> None:
    """Fork a child that sleeps for ever, say its pid, and end without waiting for it."""
    child = os.fork()
    if child == 0:
        time.sleep(3600)
        os._exit(0)
    pathlib.Path(pid_file).write_text(str(child))
    probe.point("forked", pid=child)


def wait_for_ever(probe: Probe, queue: Any) -> None:
    """Block in a get no one will answer, with no timeout."""
    probe.point("waiting")
    queue.get()


def lose_the_log(probe: Probe) -> None:
    """Record a point into a full disk: the harness's own write fails (ENOSPC)."""
    probe.point("before")
    probe._fd = os.open("/dev/full", os.O_WRONLY)
    probe.point("into a full disk")


def report_held_signals(connection: Any) -> None:
    """Not a worker of a Run: a plain process, reporting the signals it starts with held."""
    connection.send(sorted(int(held) for held in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
    connection.close()
