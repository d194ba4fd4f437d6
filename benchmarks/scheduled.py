"""One scheduled run, against the physical floor, and where its time goes.

The run: the ticket office, 2 buyers, ``locked``, by the default schedule,
through the code path of ``python -m sut run ... --schedule ''`` (run and
check). The floor: start 2 bare processes (a target that does nothing) and
join them; beside them, the same run without a schedule (no jitter). All are
measured alternately; the ratios are what a scheduled run costs beyond
starting processes at all, and beyond running the program unscheduled. The
ratio depends on the memory of the process
that forks: a fork copies its page tables and an exit tears them down, and a
bare start and join is little else. So it is measured again from the same
process holding BALLAST MiB more, as a test process may.

What the processes spend, as means over the same runs: CPU time in user
space and in the kernel, and page faults - of this process, and of the
workers it reaped - against the bare start and join. Then where the time
goes, as medians over the same runs: starting the workers
(each starts up while the next is started, and runs its own code up to its
first gate at main's next spawn), the gates (every decision of the
schedule, the workers running between them, and their exit), reading the
logs back, checking, and the teardown.

And the floor of any scheduled run of this program (:func:`least`): the
ticket office's own work - its file, its barrier, its event, its flock, its
buyers' code in bare processes, taken one at a time as the default schedule
takes them, each of their gates a raw one-byte round trip to this process: no
log, no model, no check. What a scheduled run costs beyond it is the harness;
and what the harness costs by itself, a scheduled run of 2 workers that do
next to nothing shows (:func:`lock_once`).

    python -m benchmarks.scheduled [--repeat 40] [--start-method fork]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any
from unittest import mock

from benchmarks.overhead import bare, prepare

REPEAT = 40
PROCESSES = 2
# Seconds a buyer of the floor (least) may take to its next gate, or to end, or wait at
# its barrier.
LEAST_LIMIT = 60
# MiB more memory held for the second measurement (see _held).
BALLAST = 100
# The parts of a run, as what does them: (``Run`` or the ``runner`` module, name, part).
PARTS = (("Run", "spawn", "start the workers"), ("Run", "wait", "gates and exits"),
         ("runner", "read_log", "read the logs back"), ("Run", "close", "teardown"))
CHECK = "check"


def scheduled(start_method: str, spent: dict[str, float] | None = None, *,
              schedule: tuple[int, ...] | None = ()) -> float:
    """Seconds for one checked run of the ticket office with 2 buyers, by ``schedule``
    (None: unscheduled, without jitter), as ``Scenario.evaluate`` does it; the
    check's own seconds go into ``spent``."""
    import sut
    from sut.scenarios import ticket

    scenario = sut.get("ticket")
    params = ticket.Params(buyers=PROCESSES, tickets=PROCESSES, jitter=0.0)
    began = time.perf_counter()
    run: Any = scenario.run  # the ticket office takes a schedule
    result = run(params, scenario.variant("locked"), start_method=start_method, timeout=60,
                 schedule=schedule)
    checked = time.perf_counter()
    violations = scenario.check(result)
    took = time.perf_counter() - began
    if spent is not None:
        spent[CHECK] = spent.get(CHECK, 0.0) + time.perf_counter() - checked
    if violations or result.scenario_error:
        raise AssertionError(f"the locked ticket office broke: {violations or result}")
    return took


class _RawGates:
    """What a buyer of :func:`least` holds in place of its probe, its start barrier and
    its lock: the real barrier and flock, and at each gate of a scheduled run a one-byte
    round trip to main - nothing else (no event logged, no model, no check)."""

    def __init__(self, worker: str, gate: Connection, start: Any, lock_path: Path) -> None:
        from sut.engine.guards import FileLock

        self.worker = worker
        self.gate = gate
        self.start = start
        self.lock = FileLock(lock_path)

    def passing(self) -> None:
        os.write(self.gate.fileno(), b"g")
        os.read(self.gate.fileno(), 1)

    def point(self, label: str, **data: Any) -> None:  # as a probe
        self.passing()

    def record(self, label: str, **data: Any) -> None:
        pass

    def wait(self, timeout: float | None = None) -> None:  # as the barrier: arrive, resume
        self.passing()
        self.start.wait(timeout)
        self.passing()

    def __enter__(self) -> None:  # as the lock
        self.passing()
        self.lock.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.passing()
        self.lock.release()


def _least_buyer(gates: _RawGates, db: Path) -> None:
    from sut.scenarios import ticket

    gates.passing()  # started up
    plain: Any = gates  # probe, lock and barrier at once
    ticket.buyer(plain, db, plain, ticket.write_atomic, plain, LEAST_LIMIT)
    os.write(gates.gate.fileno(), b"x")  # over


def least(start_method: str) -> float:
    """Seconds for the ticket office's own work with 2 buyers and no harness, one buyer
    at a time through its gates (see :class:`_RawGates`): the least a scheduled run of
    it can cost."""
    import multiprocessing

    from sut.engine.lifetime import runs_folder
    from sut.scenarios import ticket

    context: Any = multiprocessing.get_context(start_method)
    with tempfile.TemporaryDirectory(dir=runs_folder()) as folder:
        db = Path(folder) / "ticket.json"
        ends, buyers = [], []
        try:
            began = time.perf_counter()
            db.write_text(json.dumps({"count": PROCESSES}), encoding="utf-8")
            # What the program makes: the buyers' start barrier, and the event that tells
            # its readers (none here) the sale is over.
            start, sale_over = context.Barrier(PROCESSES), context.Event()
            for i in range(PROCESSES):
                ours, theirs = context.Pipe()
                ends.append(ours)
                buyers.append(context.Process(target=_least_buyer, args=(
                    _RawGates(f"buyer {i}", theirs, start, Path(folder) / "lock"), db)))
                buyers[-1].start()
                theirs.close()
            _serve(ends)
            for buyer in buyers:
                buyer.join(LEAST_LIMIT)
            sale_over.set()
            took = time.perf_counter() - began
        finally:
            for buyer in buyers:
                if buyer.is_alive():
                    buyer.kill()
                    buyer.join()
            exits = [buyer.exitcode for buyer in buyers]
            for closing in (*ends, *buyers):
                closing.close()
        left = ticket.parse_database(db.read_text(encoding="utf-8"), "the database")
    if left != 0 or exits != [0] * PROCESSES:
        raise AssertionError(f"the ticket office's own work left {left} tickets, its buyers "
                             f"exited {exits}")
    return took


def _serve(ends: list[Connection]) -> None:
    """Take the buyers at ``ends`` through their gates as the default schedule does: each
    started up, all arrive at the barrier and pass it together, then the first to its
    end, then the next."""
    for _ in ("started up", "arrive"):
        for end in ends:
            if _passed(end):
                os.write(end.fileno(), b"g")
    for end in ends:
        while _passed(end):
            os.write(end.fileno(), b"g")


def _passed(end: Connection) -> bool:
    """Whether the buyer at ``end`` stopped at a gate (else it is over): AssertionError if
    it neither does nor ends within LEAST_LIMIT seconds."""
    if not end.poll(LEAST_LIMIT):
        raise AssertionError(f"a buyer of the ticket office's own work did not reach its next "
                             f"gate within {LEAST_LIMIT} s")
    return os.read(end.fileno(), 1) == b"g"


def _lock_once(probe: Any, lock: Any) -> None:
    with lock:
        probe.record("held")


def lock_once(start_method: str) -> float:
    """Seconds for a scheduled run of 2 workers whose own work is next to nothing - each
    takes a Lock and lets it go - started, driven, reaped and read back: the harness's
    own cost, where :func:`scheduled` adds the ticket office's work."""
    import sut

    began = time.perf_counter()
    backend = sut.Backend(start_method)
    with sut.Run(backend, "benchmark", "lock-once", {}, mode=sut.shaking(0.0, ()),
                 timeout=60) as run:
        lock = backend.Lock("lock")
        for i in range(PROCESSES):
            run.spawn(f"worker {i}", _lock_once, lock)
        result = run.result()
    took = time.perf_counter() - began
    if result.scenario_error or len(result.events_of("held")) != PROCESSES:
        raise AssertionError(f"the workers that take a lock once did not: {result}")
    return took


@contextlib.contextmanager
def timing_parts() -> Iterator[dict[str, float]]:
    """Time every part of a run (PARTS) while inside: seconds spent in each, summed."""
    from sut.engine import runner

    owners: dict[str, Any] = {"Run": runner.Run, "runner": runner}
    spent: dict[str, float] = dict.fromkeys((part for _, _, part in PARTS), 0.0)
    with contextlib.ExitStack() as patches:
        for owner, name, part in PARTS:
            timed = _timed(getattr(owners[owner], name), part, spent)
            patches.enter_context(mock.patch.object(owners[owner], name, timed))
        yield spent


def _timed(method: Callable[..., Any], part: str,
           spent: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - began
    return timed


# What a process spends, as ``resource.getrusage`` counts it: (field, what it is, scale).
SPENT = (("ru_utime", "CPU in user space", 1000.0), ("ru_stime", "CPU in the kernel", 1000.0),
         ("ru_minflt", "page faults", 1.0))


def _spent() -> list[float]:
    """Each SPENT field, of this process and then of its reaped children."""
    return [float(getattr(resource.getrusage(who), field))
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            for field, _, _ in SPENT]


def _accounted(measure: Callable[[], float], totals: list[float]) -> float:
    """``measure()``, its spending (see _spent) added to ``totals``."""
    before = _spent()
    took = measure()
    for i, (then, now) in enumerate(zip(before, _spent(), strict=True)):
        totals[i] += now - then
    return took


def _resident() -> int:
    """The most memory this process has held resident so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux


def _held(repeat: int, start_method: str) -> str:
    """The ratio again, from this process holding BALLAST MiB more: a fork's cost grows with
    the memory of the process that forks, and a bare start and join is little else."""
    ballast = bytearray(BALLAST * 2**20)  # zeroed by the allocator: every page resident
    floors, runs = [], []
    for _ in range(repeat):
        floors.append(bare(start_method, PROCESSES))
        runs.append(scheduled(start_method))
    floor, run = statistics.median(floors), statistics.median(runs)
    del ballast
    return (f"| the ticket office, scheduled, from this process holding {BALLAST} MiB more "
            f"({_resident()} MiB, as a test process with its suite and its data loaded may) "
            f"| {run * 1000:.1f} ms | {run / floor:.2f}x a bare start and join from there "
            f"({floor * 1000:.1f} ms) |")


# What the summary compares with a bare start and join, in its order: (key, what it is).
RUNS = (("least", "the ticket office's own work alone: its buyers one at a time through raw "
         "gates (the least any scheduled run of it can cost)"),
        ("plain", "the ticket office without a schedule (no jitter)"),
        ("scheduled", "**the ticket office, scheduled**"),
        ("lock_once", "2 workers that take a Lock once each, scheduled (the harness's own "
         "cost)"))


def _summary(repeat: int, start_method: str, floor: float,
             took: dict[str, list[float]]) -> list[str]:
    """Each of RUNS against the bare start and join (``floor``), as Markdown."""
    return [f"{start_method}, {PROCESSES} processes, median of {repeat}, alternating, from a "
            f"process that held at most {_resident()} MiB (about what a `python -m sut` "
            f"command holds):", "",
            "| run | median | against a bare start and join |", "|---|---:|---:|",
            f"| {PROCESSES} bare processes started and joined | {floor * 1000:.1f} ms | 1.00x |",
            *(f"| {what} | {statistics.median(took[key]) * 1000:.1f} ms "
              f"| {statistics.median(took[key]) / floor:.2f}x |" for key, what in RUNS),
            _held(repeat, start_method), ""]


def table(repeat: int, start_method: str) -> list[str]:
    """The ratios, what the processes spend, and the breakdown, as Markdown."""
    bare(start_method, PROCESSES)
    for warm_up in (scheduled, least, lock_once):
        warm_up(start_method)
    floors, parts = [], []
    took: dict[str, list[float]] = {key: [] for key, _ in RUNS}
    spent_bare, spent_run = [0.0] * 2 * len(SPENT), [0.0] * 2 * len(SPENT)
    for _ in range(repeat):
        floors.append(_accounted(lambda: bare(start_method, PROCESSES), spent_bare))
        took["plain"].append(scheduled(start_method, schedule=None))
        took["least"].append(least(start_method))
        took["lock_once"].append(lock_once(start_method))
        with timing_parts() as spent:
            took["scheduled"].append(
                _accounted(lambda: scheduled(start_method, spent), spent_run))
        parts.append(spent)
    rows = [*_summary(repeat, start_method, statistics.median(floors), took),
            "| spent, mean of a run | scheduled run | bare start and join |", "|---|---:|---:|"]
    for i, (who, (_, what, scale)) in enumerate(
            (who, spent) for who in ("this process", f"its {PROCESSES} processes")
            for spent in SPENT):
        shown = "{:.1f} ms" if scale > 1 else "{:.0f}"
        rows.append(f"| {what}, {who} | {shown.format(spent_run[i] * scale / repeat)} "
                    f"| {shown.format(spent_bare[i] * scale / repeat)} |")
    rows += ["", "| part of the scheduled run | median |", "|---|---:|"]
    rows += [f"| {part} | {statistics.median(spent[part] for spent in parts) * 1000:.1f} ms |"
             for part in [*(part for _, _, part in PARTS), CHECK]]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--start-method", default="fork")
    args = parser.parse_args(argv)
    prepare()
    print("\n".join(table(args.repeat, args.start_method)), file=sys.stdout)


if __name__ == "__main__":
    main()
