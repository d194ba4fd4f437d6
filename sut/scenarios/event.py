"""Event - the tutorial's Event semantics, across processes.

The tutorial teaches an Event as a flag: it starts clear (``is_set()`` is
False), ``set()`` makes every ``wait()`` return, ``clear()`` makes ``wait()``
block again. Here main (a parent-side participant) drives the flag while
``waiters`` processes watch it, in three phases that backend Barriers make
certain - nobody's observation races with the next phase's change:

1. every waiter records ``is_set()`` at its start (False) and meets main at
   ``started``; main sets the event only after that meeting;
2. main sets the event while the waiters block in ``wait()``, which must
   return True, and then ``is_set()`` must say True; everyone meets at
   ``woken`` before main clears, so no waiter is still looking at the set
   event when it is cleared;
3. main clears the event and meets the waiters at ``cleared``; only then does
   each waiter call ``wait(timeout)``, which must return False, and not
   before ``timeout`` seconds (on the monotonic clock; there is no upper
   bound, which would only measure the machine's load).

"The wait returns once main has set the event" is judged without a timing
assumption: a waiter first waits a short slice; if that ends without the event,
it waits until main announces (on a Semaphore) that it has called ``set()``,
and then ``wait(0)`` must return True. A correct event never depends on the
slice's length; a broken one costs one slice, not a deadline.

Variants differ only in the event they wire in:

- ``event``: the backend's ``multiprocessing.Event``;
- ``thread-event``: a ``threading.Event`` handed to the processes - a real
  mistake. Under fork each child gets its own copy, which main's ``set()``
  never reaches; under spawn and forkserver it cannot be pickled, and the
  waiters never start. Main gives up at once when a waiter could not start
  rather than waiting for it until the deadline.

Invariants: the event starts clear; ``set()`` wakes the waiters; ``is_set()``
agrees with the last ``set()``/``clear()``; after ``clear()``, ``wait(timeout)``
returns False and only after ``timeout``; every waiter reports each phase
once; clean exits, main's included.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sut.engine import (
    DEFAULT_TIMEOUT,
    Backend,
    Probe,
    Result,
    Run,
    Schedule,
    Violation,
    shaking,
)
from sut.engine.invariants import clean_exit
from sut.engine.params import jitter, positive_int, seconds
from sut.engine.scenario import Scenario, Variant

MAX_TIMEOUT = 1.0
# How long a waiter's first wait lasts beyond the jitter (main sets the event
# after at most one jitter pause). It only decides how soon a broken event is
# noticed: a correct one is judged after main's announcement, whatever this is.
WAKE_GRACE = 0.05
# A timed wait ends on the system clock (sem_timedwait takes a CLOCK_REALTIME
# deadline) but is measured here on the monotonic clock, and NTP may slew the
# one against the other by up to 0.05%: a wait measured this much short of its
# timeout has still kept it.
CLOCK_SLEW = 0.001
# The waiters' phases, in order: each reports one of these events.
WAITER_POINTS = ("start", "woke", "timed-wait")


@dataclass(frozen=True)
class Params:
    """Two waiters; a cleared event is waited on for 0.1 s."""

    waiters: int = 2
    timeout: float = 0.1
    jitter: float = 0.05

    def __post_init__(self) -> None:
        positive_int("waiters", self.waiters)
        seconds("timeout", self.timeout, at_most=MAX_TIMEOUT)
        jitter(self.jitter)


# --- the program -----------------------------------------------------------

@dataclass(frozen=True)
class Phases:
    """The meetings of main and the waiters (Barriers of waiters + 1), and main's announcement.

    ``set_was_called`` is released once per waiter after main's ``set()``
    has returned: a fact about main, from a primitive other than the one on test.
    """

    started: Any
    woken: Any
    cleared: Any
    set_was_called: Any

    def abort(self) -> None:
        """Break every meeting, so no waiter waits for a main that gave up."""
        for barrier in (self.started, self.woken, self.cleared):
            barrier.abort()


def waiter(probe: Probe, event: Any, phases: Phases, timeout: float, wake_slice: float,
           start_timeout: float) -> None:
    # Phase 1: main has not set anything yet; it waits for us at `started`.
    probe.point("start", is_set=event.is_set())
    phases.started.wait(start_timeout)

    # Phase 2: main sets the event (after its own pause) while we block here.
    woke = event.wait(wake_slice)
    if not woke:
        # Main was slower than the slice, or its set() never reaches this
        # process: once main says it has called set(), the event must be set.
        phases.set_was_called.acquire(True, start_timeout)
        woke = event.wait(0)
    # is_set() is read before `woken`: main cannot have cleared it yet.
    probe.point("woke", returned=woke, is_set=event.is_set())
    phases.woken.wait(start_timeout)

    # Phase 3: main has cleared the event before letting us past `cleared`.
    phases.cleared.wait(start_timeout)
    began = time.monotonic()
    returned = event.wait(timeout)
    waited = time.monotonic() - began
    probe.record("timed-wait", returned=returned, waited=waited, is_set=event.is_set())


def drive(run: Run, main: Probe, event: Any, phases: Phases, waiters: int) -> None:
    """Main's side: set, then clear, each once every waiter has seen the previous phase.

    Every meeting is bounded by the run's deadline; a broken meeting (a waiter
    that crashed, hung or never started) makes main record where it gave up
    and break the remaining meetings, instead of raising in the parent.
    """
    main.record("created", is_set=event.is_set())
    missing = [f"waiter {i}" for i in range(waiters) if not run.started(f"waiter {i}")]
    if missing:
        main.record("gave-up", at="start", reason=f"{missing[0]} could not start")
        phases.abort()
        return
    at = "started"
    try:
        phases.started.wait(run.remaining())
        main.point("setting")  # the waiters are blocked in wait() meanwhile
        event.set()
        main.record("set", is_set=event.is_set())
        for _ in range(waiters):
            phases.set_was_called.release()
        at = "woken"
        phases.woken.wait(run.remaining())
        event.clear()
        main.record("cleared", is_set=event.is_set())
        at = "cleared"
        phases.cleared.wait(run.remaining())
    except threading.BrokenBarrierError:
        main.record("gave-up", at=at, reason="the meeting broke: a waiter never came")
        phases.abort()


@dataclass(frozen=True)
class Wiring:
    event: Literal["process", "thread"]


VARIANTS = (
    Variant("event", "the backend's multiprocessing Event", "holds", Wiring("process")),
    Variant("thread-event", "a threading.Event handed to the processes: a copy per child "
            "under fork, unpicklable under spawn", "violates", Wiring("thread")),
)


def run(params: Params, variant: Variant, *, start_method: str, seed: int = 0,
        timeout: float = DEFAULT_TIMEOUT, schedule: Schedule | None = None) -> Result:
    """Set and clear an event under the waiters' eyes once, and return what they saw."""
    wiring: Wiring = variant.wiring
    backend = Backend(start_method)
    with Run(backend, "event", variant.name, asdict(params),
             mode=shaking(params.jitter, schedule), seed=seed, timeout=timeout) as watch:
        event = backend.Event("event") if wiring.event == "process" else threading.Event()
        meeting = params.waiters + 1  # main meets the waiters at every phase
        phases = Phases(backend.Barrier(meeting, "started"), backend.Barrier(meeting, "woken"),
                        backend.Barrier(meeting, "cleared"),
                        backend.Semaphore(0, "set was called"))
        main = watch.probe("main")
        for i in range(params.waiters):
            watch.spawn(f"waiter {i}", waiter, event, phases, params.timeout,
                        params.jitter + WAKE_GRACE, timeout)
        drive(watch, main, event, phases, params.waiters)
        return watch.result()


# --- invariants ------------------------------------------------------------

def check(result: Result) -> list[Violation]:
    """The Event invariants, from what main and the waiters recorded."""
    timeout: float = result.params["timeout"]
    violations = clean_exit(result)
    for event in result.events_of("gave-up"):
        violations.append(Violation(
            "clean-exit", f"{event.worker} gave up at {event.data['at']!r}: "
                          f"{event.data['reason']}"))

    for event in result.events_of("created") + result.events_of("start"):
        if event.data["is_set"]:
            violations.append(Violation(
                "starts-clear", f"{event.worker} saw is_set() == True before anyone called set()"))

    for event in result.events_of("woke"):
        if not event.data["returned"]:
            violations.append(Violation(
                "set-wakes", f"main called set(), but {event.worker}'s wait() returned False"))

    for label, after, expected in (("set", "its set()", True), ("woke", "main's set()", True),
                                   ("cleared", "its clear()", False),
                                   ("timed-wait", "main's clear()", False)):
        for event in result.events_of(label):
            if event.data["is_set"] != expected:
                violations.append(Violation(
                    "is-set-agrees", f"{event.worker} saw is_set() == {event.data['is_set']} "
                                     f"after {after}"))

    for event in result.events_of("timed-wait"):
        if event.data["returned"]:
            violations.append(Violation(
                "clear-times-out", f"{event.worker}'s wait({timeout:g}) returned True "
                                   f"after main's clear()"))
        elif event.data["waited"] < timeout * (1 - CLOCK_SLEW):
            violations.append(Violation(
                "clear-times-out", f"{event.worker}'s wait({timeout:g}) returned False after "
                                   f"only {event.data['waited']:.3f} s"))

    for outcome in result.workers:
        if outcome.status != "ok" or not outcome.name.startswith("waiter"):
            continue  # a crash is clean-exit's to report
        labels = [event.label for event in result.events if event.worker == outcome.name]
        counts = [labels.count(point) for point in WAITER_POINTS]
        if counts != [1] * len(WAITER_POINTS):
            seen = ", ".join(f"{point!r} {count}x" for point, count in zip(WAITER_POINTS, counts,
                                                                              strict=True))
            violations.append(Violation(
                "reports", f"{outcome.name} reported {seen}, not each phase once"))
    return violations



# What the tutorial's own programs get wrong, and why the fix works.
LESSON = (
    "A ``multiprocessing.Event`` is one flag for every process. A ``threading.Event`` "
    "handed to processes is not: under fork each child gets its own copy, which "
    "main's ``set()`` never reaches; under spawn and forkserver it cannot even be "
    "pickled."
)


SCENARIO = Scenario(
    name="event",
    description="main sets and clears an Event while other processes wait on it",
    params=Params,
    variants=VARIANTS,
    run=run,
    check=check,
    lesson=LESSON,
    # Small configurations to search for minimal schedules in: ranges, or fixed values.
    small={"waiters": (1, 3), "timeout": 0.01},
)
