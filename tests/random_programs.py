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
import itertools
import queue as queue_module
import re
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from sut.engine import Backend, Probe, Result, Run, Schedule

OPERATIONS = ("increment", "locked-increment", "semaphore", "set", "wait", "put", "get",
              "send", "recv", "compare", "append", "read")
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
        shared["queue"].put(shared["mark"] or probe.worker)
    elif operation == "get":
        try:
            probe.record("got", item=shared["queue"].get(timeout=1.0))
        except queue_module.Empty:
            probe.record("got", item=None)
    elif operation == "send":
        shared["send"].send(shared["mark"] or probe.worker)
    elif operation == "recv":
        try:
            probe.record("received", item=shared["recv"].recv())
        except EOFError:
            probe.record("received", item="EOF")
    elif operation == "compare":  # whether a message names the receiver, said after a point
        try:
            item = shared["recv"].recv()
        except EOFError:
            item = "EOF"
        probe.point("received")
        probe.record("mine", it=item == probe.worker)
    elif operation == "append":
        text = path.read_text()
        path.write_text(text + (shared["mark"] or probe.worker))
    else:
        probe.record("read", text=path.read_text())


def run(program: Program, schedule: tuple[int, ...], *, alike: int = 0,
        named: bool = True) -> Result:
    """One run of ``program`` by ``schedule`` (fork), with what it left behind.

    Its first ``alike`` workers are declared interchangeable (their operations must be
    the same). A worker puts, sends and appends its name; unless ``named`` is False:
    then an ``x``, and nothing any worker does tells it from the others.
    """
    backend = Backend("fork")
    with Run(backend, "random", "program", {}, mode=Schedule(schedule), timeout=10.0) as watch:
        receive, send = backend.Pipe(duplex=False, name="pipe")
        shared = {"lock": backend.Lock("lock"), "semaphore": backend.Semaphore(1, "semaphore"),
                  "event": backend.Event("event"), "queue": backend.Queue(name="queue"),
                  "value": backend.Value("i", 0, lock=False, name="value"),
                  "send": send, "recv": receive, "file": str(watch.workdir / "shared.txt"),
                  "mark": "" if named else "x"}
        Path(shared["file"]).write_text("")
        watch.interchangeable(*(f"w{i}" for i in range(alike)))
        for i, operations in enumerate(program):
            watch.spawn(f"w{i}", interpret, operations, shared)
        send.close()
        with contextlib.suppress(OSError):
            receive.close()
        result = watch.result()
        left = {"value": shared["value"].value, "file": Path(shared["file"]).read_text()}
        return result.with_final(left)


def alike_programs(*, operations: int = 4) -> st.SearchStrategy[tuple[Program, int, bool]]:
    """Programs whose first 2 or 3 workers do the same operations (after them, at most
    one other worker), with how many are alike and whether the workers are named."""
    def build(same: tuple[str, ...], alike: int, other: tuple[str, ...],
              named: bool) -> tuple[Program, int, bool]:
        return (same,) * alike + ((other,) if other else ()), alike, named
    operations_of = st.sampled_from(OPERATIONS)
    return st.builds(build, st.lists(operations_of, min_size=1, max_size=2).map(tuple),
                     st.integers(2, 3), st.lists(operations_of, max_size=2).map(tuple),
                     st.booleans()).filter(
        lambda case: sum(map(len, case[0])) <= operations)


def unnamed(outcome: Outcome, alike: int) -> str:
    """``outcome`` as text, the first ``alike`` workers' names given back the least way:
    what an outcome and the outcome of its run with those workers swapped have in common."""
    seen, deadlock, final = outcome
    # A deadlock lists "w0 waits for ...; w1 waits for ..." in the order of their names.
    stuck = re.split(r"; (?=w[0-9] waits for )", deadlock or "")

    def renamed(text: str, order: dict[str, str]) -> str:
        return re.sub(r"w[0-9]", lambda match: order.get(match[0], match[0]), text)

    return min(repr((sorted(renamed(repr(entry), order) for entry in seen),
                     sorted(renamed(line, order) for line in stuck), renamed(repr(final), order)))
               for names in itertools.permutations(range(alike))
               for order in [{f"w{i}": f"w{j}" for i, j in enumerate(names)}])


def outcome(result: Result) -> Outcome:
    """What happened, without clocks: each process's records in its order, how each
    ended, the deadlock, and what the Value and the file hold at the end."""
    seen = tuple((worker.name, tuple((event.label, tuple(sorted(event.data.items())))
                                     for event in result.events_by(worker.name)),
                  worker.status) for worker in result.workers)
    return seen, result.deadlock, tuple(sorted(result.final.items()))
