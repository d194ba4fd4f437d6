"""Printing - the tutorial's first Lock example: processes fight over the terminal.

Each worker runs the tutorial's ``work(n)``: print ``"n : pid is running"``,
sleep, print ``"n : pid is done"``. The terminal is a file in the run's
workdir, and every line goes to it in one ``os.write`` on an ``O_APPEND``
descriptor - as ``print`` does with a line-buffered terminal - so no line is
ever torn and the file holds exactly what was printed, in the order it was
printed. The check reads that file (the events only corroborate it).

Variants differ only in the guard and the start they wire in:

- ``unlocked``: the tutorial's first program - all workers start together and
  print whenever they like, so their lines interleave;
- ``locked``: a ``Lock`` around both prints (the tutorial's fix): each
  worker's two lines stay together, in whatever order the workers get it;
- ``joined``: no lock, but main starts each worker and joins it before
  starting the next (``p.start(); p.join()``, the tutorial's "join has the
  same effect"): the lines stay together *and* come in the order 0..n-1.

Only ``joined`` promises an order. The promise belongs to the program, not to
its parameters, and ``check`` sees nothing but the Result, so ``run`` writes it
into the final state (``final["promises_order"]``, from the wiring) next to the
terminal's lines; a hand-made result states it the same way.

Invariants: each worker's running and done lines are adjacent; every worker
prints each of its two lines once; every line on the terminal is whole; clean
exits; and, where the order is promised, the workers print in order 0..n-1.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import sut

# Where a printed line holds its worker's pid ("n : pid is running"): a name.
PID = r"(?<= : )[0-9]+(?= is )"
# A line as work(n) prints it: "0 : 4242 is running".
LINE = re.compile(r"(?P<n>\d+) : (?P<pid>\d+) is (?P<what>running|done)")
# What a worker says, in order - the last word of its line on the terminal, and its event.
RUNNING, DONE = "running", "done"


@dataclass(frozen=True)
class Params(sut.Checked):
    """The tutorial's program: 3 workers.

    Limits (docs/LIMITS.md): ``workers`` 1 to 1024 (``MAX_PROCESSES``: each is
    a process).
    """

    workers: int = sut.processes(3)
    jitter: float = sut.param(0.05, sut.jitter_width)


# --- the program -----------------------------------------------------------

def say(terminal: int, line: str) -> None:
    """``print(line)``: one write of the whole line, appended at the terminal's end."""
    os.write(terminal, f"{line}\n".encode())


def work(probe: sut.Probe, n: int, guard: Any, start: Any, terminal: Path,
         start_timeout: float) -> None:
    """The tutorial's ``work(n)``, with ``time.sleep(random.random())`` as the probe's pause."""
    fd = os.open(terminal, os.O_WRONLY | os.O_APPEND)
    try:
        start.wait(start_timeout)  # the unlocked and locked workers start together
        with guard:
            pid = os.getpid()
            say(fd, f"{n} : {pid} is running")
            # The race window: without the lock, every other worker prints its
            # "running" line while this one sleeps between its two lines.
            probe.point(RUNNING, n=n)
            say(fd, f"{n} : {pid} is done")
            probe.record(DONE, n=n)
    finally:
        os.close(fd)


# --- variants and run ------------------------------------------------------

@dataclass(frozen=True)
class Wiring:
    guard: Literal["none", "lock"]
    # Main starts a worker only once the previous one has ended - and so
    # promises that the workers print in order.
    joined: bool


VARIANTS = (
    sut.Variant("unlocked", "the tutorial's first program: workers print whenever they like",
                "violates", Wiring("none", joined=False)),
    sut.Variant("locked", "a Lock around both prints, the tutorial's fix", "holds",
                Wiring("lock", joined=False)),
    sut.Variant("joined", "no lock; main starts each worker and joins it before the next",
                "holds", Wiring("none", joined=True)),
)


def run(params: Params, variant: sut.Variant[Wiring], *, start_method: str, seed: int = 0,
        timeout: float = sut.DEFAULT_TIMEOUT,
        schedule: sut.ScheduleLike | None = None) -> sut.Result:
    """Run the workers once and return what they printed."""
    wiring = variant.wiring
    backend = sut.Backend(start_method)
    with sut.Run(backend, "printing", variant.name, asdict(params),
                 mode=sut.shaking(params.jitter, schedule), seed=seed, timeout=timeout) as printing:
        terminal = printing.workdir / "terminal.txt"
        terminal.touch()
        printing.pids_in(terminal.name, PID)
        guard = backend.Lock("lock") if wiring.guard == "lock" else sut.NoGuard()
        # A joined worker has no one to wait for: main runs them one at a time.
        start = backend.Barrier(1 if wiring.joined else params.workers, "start")
        for n in range(params.workers):
            name = f"worker {n}"
            printing.spawn(name, work, n, guard, start, terminal, printing.patience())
            if wiring.joined:
                printing.wait([name])  # p.join(): bounded by the run's deadline
        result = printing.result()
        # Read once every worker is gone (result() has stopped any straggler).
        lines = terminal.read_bytes().decode("utf-8", errors="replace").splitlines()
        return result.with_final({"lines": lines, "promises_order": wiring.joined})


# --- invariants ------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    n: int
    pid: int
    what: str


def _parse(line: str, workers: int) -> _Line | None:
    match = LINE.fullmatch(line)
    if match is None or int(match["n"]) >= workers:
        return None
    return _Line(int(match["n"]), int(match["pid"]), match["what"])


def _parsed(result: sut.Result) -> list[_Line | None]:
    """The terminal's lines, each as work(n) printed it (None: not a line it prints)."""
    workers: int = result.params["workers"]
    return [_parse(line, workers) for line in result.final["lines"]]


@sut.invariant("whole-lines")
def whole_lines(result: sut.Result) -> list[sut.Violation]:
    """Every line on the terminal is one that work(n) prints, whole."""
    lines: list[str] = result.final["lines"]
    return [sut.Violation("whole-lines", f"line {number} of the terminal is not a line work(n) "
                                     f"prints: {line!r}")
            for number, (line, seen) in enumerate(zip(lines, _parsed(result), strict=True),
                                                  start=1)
            if seen is None]


@sut.invariant("prints-once")
def prints_once(result: sut.Result) -> Iterator[str]:
    """Every worker that exits cleanly prints its running line once and its done line once."""
    workers: int = result.params["workers"]
    printed = Counter((seen.n, seen.what) for seen in _parsed(result) if seen is not None)
    status = {outcome.name: outcome.status for outcome in result.workers}
    for n in range(workers):  # at most MAX_PROCESSES: each worker is a process
        if status.get(f"worker {n}", "ok") != "ok":
            continue  # clean-exit already says what became of it
        running, done = printed[n, RUNNING], printed[n, DONE]
        if (running, done) != (1, 1):
            yield f"worker {n} printed {running} 'running' and {done} 'done' lines, not one of each"


@sut.invariant("adjacent-lines")
def adjacent_lines(result: sut.Result) -> list[sut.Violation]:
    """Each worker's running and done lines are adjacent, in that order."""
    lines: list[str] = result.final["lines"]
    parsed = _parsed(result)
    violations = []
    for i, seen in enumerate(parsed):
        if seen is None or seen.what != RUNNING:
            continue
        done_at = next((j for j, other in enumerate(parsed)
                        if other == _Line(seen.n, seen.pid, DONE)), None)
        if done_at is None or done_at == i + 1:
            continue  # a missing line is prints-once's to report
        if done_at < i:
            violations.append(sut.Violation(
                "adjacent-lines", f"worker {seen.n} printed 'done' before 'running': "
                                  f"{lines[done_at]!r} came before {lines[i]!r}"))
            continue
        between = lines[i + 1:done_at]
        intruders = list(dict.fromkeys(f"worker {other.n}" for other in parsed[i + 1:done_at]
                                       if other is not None))
        by = sut.names(intruders) if intruders else sut.amount(len(between), "garbled line")
        violations.append(sut.Violation(
            "adjacent-lines", f"worker {seen.n}'s lines were split by {by}: "
                              + " / ".join(repr(line) for line in lines[i:done_at + 1])))
    return violations


@sut.invariant("in-order")
def in_order(result: sut.Result) -> list[sut.Violation]:
    """Where the program promises an order (joined), the workers print in order 0..n-1."""
    if not result.final.get("promises_order"):
        return []
    order = [seen.n for seen in _parsed(result) if seen and seen.what == RUNNING]
    if order == sorted(order):
        return []
    return [sut.Violation(
        "in-order", f"the workers printed in the order {', '.join(map(str, order))}, "
                    f"although each was joined before the next one started")]


# The printing invariants, from the terminal's lines alone (and the exits).
check = sut.Invariants(sut.exits_cleanly, whole_lines, prints_once, adjacent_lines, in_order)


SCENARIO = sut.Scenario(
    name="printing",
    description="workers print two lines each on a shared terminal (Lock or join)",
    params=Params, variants=VARIANTS, run=run, check=check,
    search=sut.Schedules(small={"workers": (1, 3)}),
    space={"workers": (1, 4), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "Without the lock (``unlocked``) a worker's two lines are split by another's. "
        "Both of the tutorial's fixes hold: a Lock around both prints (``locked``), or "
        "main joining each worker before it starts the next (``joined``, which also keeps "
        "the order)."
    ),
)
