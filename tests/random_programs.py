"""Small random programs on every kind of shared thing, for checking the exploration.

A program is data: for each worker, a few operations on a Lock, a Semaphore,
an Event, a Queue, a Pipe, a shared Value and a file of the run; one
module-level worker interprets it (so spawn could import it). Every
operation records what it saw, so a run's outcome - what each process saw,
in its own order, how each ended, and what was left in the Value and the
file - is a fact a test can compare across explorations.
"""

from __future__ import annotations

import contextlib
import queue as queue_module
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from sut.engine import Backend, Probe, Result, Run, Schedule

OPERATIONS = ("increment", "locked-increment", "semaphore", "set", "wait", "put", "get",
              "send", "recv", "append", "read")
Program = tuple[tuple[str, ...], ...]  # per worker, its operations in order
Outcome = tuple[Any, ...]



def programs(*, workers: int = 3, operations: int = 4) -> st.SearchStrategy[Program]:
    """Programs of 2 to ``workers`` workers doing 1 to ``operations`` operations in all,
    each at least one: few enough that every interleaving can be run."""
    return st.lists(st.lists(st.sampled_from(OPERATIONS), min_size=1,
                             max_size=operations - 1).map(tuple),
                    min_size=2, max_size=workers).map(tuple).filter(
        lambda program: sum(map(len, program)) <= operations)


def interpret(probe: Probe, operations: tuple[str, ...], shared: dict[str, Any]) -> None:
    for operation in operations:
        _do(probe, operation, shared)


def _do(probe: Probe, operation: str, shared: dict[str, Any]) -> None:
    value, path = shared["value"], Path(shared["file"])
    if operation == "increment":
        seen = value.value
        value.value = seen + 1
        probe.record("incremented", seen=seen)
    elif operation == "locked-increment":
        with shared["lock"]:
            seen = value.value
            value.value = seen + 1
        probe.record("incremented", seen=seen)
    elif operation == "semaphore":
        with shared["semaphore"]:
            probe.point("in")
    elif operation == "set":
        shared["event"].set()
    elif operation == "wait":
        probe.record("waited", woke=shared["event"].wait(0.01))
    elif operation == "put":
        shared["queue"].put(probe.worker)
    elif operation == "get":
        try:
            probe.record("got", item=shared["queue"].get(timeout=1.0))
        except queue_module.Empty:
            probe.record("got", item=None)
    elif operation == "send":
        shared["send"].send(probe.worker)
    elif operation == "recv":
        try:
            probe.record("received", item=shared["recv"].recv())
        except EOFError:
            probe.record("received", item="EOF")
    elif operation == "append":
        text = path.read_text()
        path.write_text(text + probe.worker[-1])
    else:
        probe.record("read", text=path.read_text())


def run(program: Program, schedule: tuple[int, ...]) -> Result:
    """One run of ``program`` by ``schedule`` (fork), with what it left behind."""
    backend = Backend("fork")
    with Run(backend, "random", "program", {}, mode=Schedule(schedule), timeout=10.0) as watch:
        receive, send = backend.Pipe(duplex=False, name="pipe")
        shared = {"lock": backend.Lock("lock"), "semaphore": backend.Semaphore(1, "semaphore"),
                  "event": backend.Event("event"), "queue": backend.Queue(name="queue"),
                  "value": backend.Value("i", 0, lock=False, name="value"),
                  "send": send, "recv": receive, "file": str(watch.workdir / "shared.txt")}
        Path(shared["file"]).write_text("")
        for i, operations in enumerate(program):
            watch.spawn(f"w{i}", interpret, operations, shared)
        send.close()
        with contextlib.suppress(OSError):
            receive.close()
        result = watch.result()
        left = {"value": shared["value"].value, "file": Path(shared["file"]).read_text()}
        return result.with_final(left)


def outcome(result: Result) -> Outcome:
    """What happened, without clocks: each process's records in its order, how each
    ended, the deadlock, and what the Value and the file hold at the end."""
    seen = tuple((worker.name, tuple((event.label, tuple(sorted(event.data.items())))
                                     for event in result.events_by(worker.name)),
                  worker.status) for worker in result.workers)
    return seen, result.deadlock, tuple(sorted(result.final.items()))
