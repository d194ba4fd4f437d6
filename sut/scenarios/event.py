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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import sut

MAX_TIMEOUT = 1.0
# How long a waiter's first wait lasts beyond the jitter (main sets the event
# after at most one jitter pause). It only decides how soon a broken event is
# noticed: a correct one is judged after main's announcement, whatever this is.
WAKE_GRACE = 0.05
# A timed wait of a multiprocessing Event ends at a deadline on the system clock
# (sem_timedwait takes a CLOCK_REALTIME one), which may be set while it waits - a
# machine restored from a snapshot has its clock set again - and ends it early on
# the monotonic clock: it is measured on both, and kept its timeout if either says
# so. NTP may slew the one against the other by up to 0.05%: a wait measured
# this much short of its timeout has still kept it.
CLOCK_SLEW = 0.001
# The waiters' phases, in order: each reports one of these events.
START, WOKE, TIMED_WAIT = "start", "woke", "timed-wait"
WAITER_POINTS = (START, WOKE, TIMED_WAIT)
# Main's events: the event as created, before and after its set() and clear(),
# and where it gave up on a meeting.
CREATED, SETTING, SET, CLEARED, GAVE_UP = "created", "setting", "set", "cleared", "gave-up"


@dataclass(frozen=True)
class Params(sut.Checked):
    """Two waiters; a cleared event is waited on for 0.1 s.

    Limits (docs/LIMITS.md): ``waiters`` 1 to 1024 (``MAX_PROCESSES``: each is
    a process); ``timeout`` 0 to 1 s.
    """

    waiters: int = sut.processes(2)
    timeout: float = sut.param(0.1, sut.seconds, at_most=MAX_TIMEOUT)
    jitter: float = sut.param(0.05, sut.jitter_width)


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


def waiter(probe: sut.Probe, event: Any, phases: Phases, timeout: float, wake_slice: float,
           start_timeout: float) -> None:
    # Phase 1: main has not set anything yet; it waits for us at `started`.
    probe.point(START, is_set=event.is_set())
    phases.started.wait(start_timeout)

    # Phase 2: main sets the event (after its own pause) while we block here.
    woke = event.wait(wake_slice)
    if not woke:
        # Main was slower than the slice, or its set() never reaches this
        # process: once main says it has called set(), the event must be set.
        phases.set_was_called.acquire(True, start_timeout)
        woke = event.wait(0)
    # is_set() is read before `woken`: main cannot have cleared it yet.
    probe.point(WOKE, returned=woke, is_set=event.is_set())
    phases.woken.wait(start_timeout)

    # Phase 3: main has cleared the event before letting us past `cleared`.
    phases.cleared.wait(start_timeout)
    began, began_by_the_clock = time.monotonic(), time.time()
    returned = event.wait(timeout)
    waited = max(time.monotonic() - began, time.time() - began_by_the_clock)
    probe.record(TIMED_WAIT, returned=returned, waited=waited, is_set=event.is_set())


def drive(run: sut.Run, main: sut.Probe, event: Any, phases: Phases, waiters: int) -> None:
    """Main's side: set, then clear, each once every waiter has seen the previous phase.

    Every meeting is bounded by the run's deadline; a broken meeting (a waiter
    that crashed, hung or never started) makes main record where it gave up
    and break the remaining meetings, instead of raising in the parent.
    """
    main.record(CREATED, is_set=event.is_set())
    missing = [f"waiter {i}" for i in range(waiters) if not run.started(f"waiter {i}")]
    if missing:
        main.record(GAVE_UP, at="start", reason=f"{missing[0]} could not start")
        phases.abort()
        return
    at = "started"
    try:
        phases.started.wait(run.remaining())
        main.point(SETTING)  # the waiters are blocked in wait() meanwhile
        event.set()
        main.record(SET, is_set=event.is_set())
        for _ in range(waiters):
            phases.set_was_called.release()
        at = "woken"
        phases.woken.wait(run.remaining())
        event.clear()
        main.record(CLEARED, is_set=event.is_set())
        at = "cleared"
        phases.cleared.wait(run.remaining())
    except threading.BrokenBarrierError:
        main.record(GAVE_UP, at=at, reason="the meeting broke: a waiter never came")
        phases.abort()


@dataclass(frozen=True)
class Wiring:
    event: Literal["process", "thread"]


VARIANTS = (
    sut.Variant("event", "the backend's multiprocessing Event", "holds", Wiring("process")),
    sut.Variant("thread-event", "a threading.Event handed to the processes: a copy per child "
                "under fork, unpicklable under spawn", "violates", Wiring("thread")),
)


def watch(run: sut.Run, params: Params, wiring: Wiring) -> None:
    """Set and clear an event under the waiters' eyes once."""
    backend = run.backend
    event = backend.Event("event") if wiring.event == "process" else threading.Event()
    meeting = params.waiters + 1  # main meets the waiters at every phase
    phases = Phases(backend.Barrier(meeting, "started"), backend.Barrier(meeting, "woken"),
                    backend.Barrier(meeting, "cleared"), backend.Semaphore(0, "set was called"))
    main = run.probe("main")
    # The slice is a real-time margin for main's pause; by a schedule, whether
    # the wait gives up is the schedule's choice, and giving up need not last.
    wake_slice = 0.0 if run.scheduled else params.jitter + WAKE_GRACE
    # No waiter's name matters to main, the event or the invariants.
    run.interchangeable(*(f"waiter {i}" for i in range(params.waiters)))
    for i in range(params.waiters):
        run.spawn(f"waiter {i}", waiter, event, phases, params.timeout, wake_slice,
                  run.patience())
    drive(run, main, event, phases, params.waiters)


# --- invariants ------------------------------------------------------------

@sut.invariant(sut.CLEAN_EXIT, sut.NO_HANG)
def exits_cleanly(result: sut.Result) -> list[sut.Violation]:
    """Every waiter exits cleanly, and so does main: it never gives up on a meeting."""
    violations = sut.clean_exit(result)
    for event in result.events_of(GAVE_UP):
        violations.append(sut.Violation(
            sut.CLEAN_EXIT, f"{event.worker} gave up at {event.data['at']!r}: "
                        f"{event.data['reason']}"))
    return violations


@sut.invariant("starts-clear")
def starts_clear(result: sut.Result) -> list[sut.Violation]:
    """The event starts clear: nobody sees it set before anyone called set()."""
    return [sut.Violation("starts-clear",
                          f"{event.worker} saw is_set() == True before anyone called set()")
            for event in result.events_of(CREATED) + result.events_of(START)
            if event.data["is_set"]]


@sut.invariant("set-wakes")
def set_wakes(result: sut.Result) -> list[sut.Violation]:
    """Main's set() wakes every waiter: its wait() returns True."""
    return [sut.Violation("set-wakes",
                          f"main called set(), but {event.worker}'s wait() returned False")
            for event in result.events_of(WOKE) if not event.data["returned"]]


# Who reads is_set() when, and what it must say: after main's set() True, after its clear()
# False - main itself and the waiters alike.
AGREEMENT = ((SET, "its set()", True), (WOKE, "main's set()", True),
             (CLEARED, "its clear()", False), (TIMED_WAIT, "main's clear()", False))


@sut.invariant("is-set-agrees")
def is_set_agrees(result: sut.Result) -> list[sut.Violation]:
    """is_set() agrees, in every process, with main's last set() or clear()."""
    return [sut.Violation("is-set-agrees", f"{event.worker} saw is_set() == {event.data['is_set']} "
                                       f"after {after}")
            for label, after, expected in AGREEMENT for event in result.events_of(label)
            if event.data["is_set"] != expected]


@sut.invariant("clear-times-out")
def clear_times_out(result: sut.Result) -> Iterator[str]:
    """After clear(), wait(timeout) returns False - and not before the timeout."""
    timeout: float = result.params["timeout"]
    for event in result.events_of(TIMED_WAIT):
        if event.data["returned"]:
            yield f"{event.worker}'s wait({timeout:g}) returned True after main's clear()"
        elif event.data["waited"] < timeout * (1 - CLOCK_SLEW):
            yield (f"{event.worker}'s wait({timeout:g}) returned False after only "
                   f"{event.data['waited']:.3f} s")


@sut.invariant("reports")
def reports(result: sut.Result) -> list[sut.Violation]:
    """Every waiter that exits cleanly reports each of its phases once."""
    violations = []
    for outcome in result.exited_cleanly("waiter"):  # a crash is clean-exit's to report
        labels = [event.label for event in result.events_by(outcome.name)]
        counts = [labels.count(point) for point in WAITER_POINTS]
        if counts != [1] * len(WAITER_POINTS):
            seen = ", ".join(f"{point!r} {count}x" for point, count in zip(WAITER_POINTS, counts,
                                                                              strict=True))
            violations.append(sut.Violation(
                "reports", f"{outcome.name} reported {seen}, not each phase once"))
    return violations


# The Event invariants, from what main and the waiters recorded.
SCENARIO = sut.declare(
    "event", "main sets and clears an Event while other processes wait on it",
    params=Params, program=watch, variants=VARIANTS,
    invariants=[exits_cleanly, starts_clear, set_wakes, is_set_agrees, clear_times_out, reports],
    small={"waiters": (1, 3), "timeout": 0.01},
    space={"waiters": (1, 4), "timeout": (0.0, 0.2), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "A ``multiprocessing.Event`` is one flag for every process. A ``threading.Event`` "
        "handed to processes is not: under fork each child gets its own copy, which "
        "main's ``set()`` never reaches; under spawn and forkserver it cannot even be "
        "pickled."
    ),
)
