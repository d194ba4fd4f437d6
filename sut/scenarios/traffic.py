"""Traffic light - the tutorial's Event example: cars wait for green at a crossing.

The light is an ``Event``: clear is red, set is green (the tutorial's "红灯->False
绿灯->True"). A light process starts red, then runs ``cycles`` cycles - red for
``red`` seconds, green for ``green`` seconds - and after its last green leaves
the light green for good and exits: the tutorial's light loops forever, so its
program never ends; ours must. Cars start together with the light (a barrier),
drive to the crossing (a jitter pause) and pass it.

"A car passes only on green" is judged from the events alone, and exactly: the
light changes the event while holding a ``crossing`` Lock and records the change
inside it, and every car records its pass while holding the same lock. The
light's changes and the passes are then totally ordered, and the colour at a
pass is the colour of the light's last change before it - whatever the timing.
A record made beside an action can drift from it, so the car does not take
the records' word alone: still in the crossing, after a moment there, it
looks at the light itself (``crossed``), and a light that turned red while a
car was in the crossing breaks the invariant too - as it does when the light
changes colour before it takes the lock (``unlocked-light``).
Times in the evidence count from the run's first event (in schedule mode,
which has no clock, they are places in the order of events: ``#4``).

Variants differ only in how the car looks at the light (its ``Wiring``):

- ``event``: reads ``is_set()`` on arrival (the tutorial's "car waiting"
  print), waits with ``e.wait()``, then takes the crossing lock and re-checks
  ``is_set()`` before it passes; if the light has turned red again meanwhile,
  it lets go (``red-again``) and waits again. The tutorial's own car - ``e.wait()``, then drive
  without re-checking - can pass on red: the light may turn red between the
  return of ``wait()`` and the pass, a window the probe widens here.
- ``ignores-light``: never looks at the light, just drives through;
- ``checks-once``: reads ``is_set()`` once on arrival and records that it is
  waiting if red - like the tutorial's print - but never calls ``wait()``, and
  drives on;
- ``unlocked-light``: the ``event`` car, but a light that changes colour
  first and only then takes the crossing lock to record it: a car already in
  the crossing sees the light turn red under it.

The light starts red, so a car that arrives during the first red phase passes
on red in both broken variants, whoever wins any race.

Invariants: a car passes only on green; every car passes exactly once; the
light shows its cycles, stops on green and exits cleanly; every car exits
cleanly.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import sut
from sut.engine.spans import SPELLED_OUT

# The tutorial's light stays 2 s in each colour.
MAX_PHASE = 2.0
# The labels of the light's changes; after its last green it records STOP.
RED, GREEN, STOP = "red", "green", "stop"
COLOURS = (RED, GREEN)
# A car's events: on its way, seeing red on arrival, out of wait() on green,
# missing that green under the crossing lock, passing, and out of the crossing
# (with the colour it saw then).
DRIVE, WAITING, SAW_GREEN, RED_AGAIN, PASS = "drive", "waiting", "saw-green", "red-again", "pass"
CROSSED = "crossed"


@dataclass(frozen=True)
class Params(sut.Checked):
    """Three cars; a light that goes red and green twice, 50 ms each.

    Limits (docs/LIMITS.md): ``cars`` 1 to 1023 (``MAX_PROCESSES`` less the
    light: each is a process); ``cycles`` 1 to 10,000 (``MAX_ROUNDS``);
    ``green`` and ``red`` 0 to 2 s.
    """

    # The light is a process of its own.
    fixed_processes: ClassVar[tuple[str, ...]] = ("the light",)

    cars: int = sut.processes(3, at_most=sut.MAX_PROCESSES - 1,
                              why=f"{sut.MAX_PROCESSES} processes at most, the light among them")
    cycles: int = sut.rounds(2)
    green: float = sut.param(0.05, sut.seconds, at_most=MAX_PHASE)
    red: float = sut.param(0.05, sut.seconds, at_most=MAX_PHASE)
    jitter: float = sut.param(0.05, sut.jitter_width)


# --- the program -----------------------------------------------------------

def traffic_light(probe: sut.Probe, light: Any, crossing: Any, cycles: int, red: float,
                  green: float, locks: bool, start: Any, start_timeout: float) -> None:
    """The tutorial's ``traffic_light``, bounded to ``cycles`` cycles.

    Its phases are the program's own sleeps, not jitter points: their lengths
    are the parameters, and a broken car's violation depends on the first red
    lasting ``red`` seconds at least. In schedule mode a phase lasts as long
    as the schedule says. Unless it ``locks``, it changes the colour before it
    takes the crossing lock to record the change.
    """
    start.wait(start_timeout)  # the light and the cars start together
    probe.record(RED, cycle=1)  # the Event starts clear: red (the tutorial's comment)
    for cycle in range(1, cycles + 1):
        probe.sleep(red)
        _change(light.set, crossing, locks)
        probe.record(GREEN, cycle=cycle)
        crossing.release()
        if cycle == cycles:
            break  # the last green stays on: every car still to come can pass
        probe.sleep(green)
        _change(light.clear, crossing, locks)
        probe.record(RED, cycle=cycle + 1)
        crossing.release()
    probe.record(STOP, cycles=cycles)  # the tutorial's `while True` never gets here


def _change(change: Callable[[], None], crossing: Any, locks: bool) -> None:
    """Change the light and take the crossing lock (left held: the change is recorded
    under it): changed under the lock if it ``locks`` - no car passes mid-change."""
    if locks:
        crossing.acquire()
        change()
    else:
        change()
        crossing.acquire()


@dataclass(frozen=True)
class Wiring:
    looks: bool  # reads is_set() on arrival, like the tutorial's "car waiting" print
    waits: bool  # waits for green, and re-checks it under the crossing lock
    light_locks: bool = True  # the light changes colour under the crossing lock


def car(probe: sut.Probe, light: Any, crossing: Any, wiring: Wiring, start: Any,
        timeout: float) -> None:
    """The tutorial's ``car``: look at the light as ``wiring`` says, then pass, once.

    Every car records its pass holding the crossing lock, the lock the light
    changes under; only the ``event`` car also waits and re-checks for green.
    """
    deadline = time.monotonic() + timeout
    start.wait(timeout)  # the cars and the light start together
    probe.point(DRIVE)  # on the way to the crossing: arrives after the jitter
    if wiring.looks and not light.is_set():
        probe.record(WAITING)  # the tutorial's print('car{}正在等待')
    while True:
        if wiring.waits:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the light stayed red for {timeout:g} s")
            if not light.wait(sut.harness_deadline(remaining)):  # e.wait(), bounded by the run
                # Timed out (the check above ends it), or woken by a green that
                # was gone before this car looked: Event.wait returns False then.
                continue
            # The tutorial's race: its car drives on here, though the light
            # may turn red between wait() returning and the car passing.
            probe.point(SAW_GREEN)
        with crossing:
            if not wiring.waits or light.is_set():
                probe.point(PASS)  # the time it takes to cross
                probe.record(CROSSED, green=light.is_set())  # what it sees, still there
                return
            probe.record(RED_AGAIN)  # missed the green: wait for the next one


VARIANTS = (
    sut.Variant("event", "waits for the Event, then re-checks green under the crossing lock",
                "holds", Wiring(looks=True, waits=True)),
    sut.Variant("ignores-light", "a car that never looks at the light and just drives",
                "violates", Wiring(looks=False, waits=False)),
    sut.Variant("checks-once", "a car that sees red on arrival, says it waits, but never "
                "calls wait() and drives on", "violates", Wiring(looks=True, waits=False)),
    sut.Variant("unlocked-light", "the event car, but a light that changes colour before it "
                "takes the crossing lock to record the change", "violates",
                Wiring(looks=True, waits=True, light_locks=False)),
)


def road(run: sut.Run, params: Params, wiring: Wiring) -> None:
    """The light through its cycles, and the cars waiting for green."""
    backend = run.backend
    light = backend.Event("light")  # clear = red, set = green
    crossing = backend.Lock("crossing")
    start = backend.Barrier(params.cars + 1, "start")
    run.spawn("light", traffic_light, light, crossing, params.cycles, params.red,
              params.green, wiring.light_locks, start, run.patience())
    # No car's name matters to the light, the others or the invariants.
    run.interchangeable(*(f"car {i}" for i in range(params.cars)))
    for i in range(params.cars):
        run.spawn(f"car {i}", car, light, crossing, wiring, start, run.patience())


# --- invariants ------------------------------------------------------------

def _at(result: sut.Result, event: sut.Event) -> str:
    """When ``event`` happened: ``101 ms`` into the run, or by a schedule - which
    has no clock - its place in the run's order of events (``#4``)."""
    if result.schedule is not None:
        return f"#{result.events.index(event) + 1}"
    return f"{(event.t_ns - result.events[0].t_ns) / 1e6:.0f} ms"


def _red_span(result: sut.Result, since: sut.Event | None, until: sut.Event | None) -> str:
    """``red from 0 ms until 101 ms``: the red phase a pass fell in."""
    began = "from the start" if since is None else f"from {_at(result, since)}"
    ended = f"until {_at(result, until)}" if until is not None else "and never green again"
    return f"red {began} {ended}"


@sut.invariant("green-only")
def green_only(result: sut.Result) -> list[sut.Violation]:
    """A car passes only on green, and the light stays green while it is in the crossing.

    The colour at a pass is the light's last recorded change before it; the car
    looks at the light itself once more, still in the crossing.
    """
    changes = [event for event in result.events
               if event.worker == "light" and event.label in COLOURS]
    violations = []
    for passed in result.events_of(PASS):
        # The colour at a pass is that of the light's last change before it;
        # before any, the Event is as created: clear, red.
        before = [change for change in changes if change.t_ns <= passed.t_ns]
        if before and before[-1].label == GREEN:
            violations += _turned_red_mid_pass(result, passed)
            continue
        # The red phase it fell in: from the first red after the last green
        # (from the start if the light had not recorded one) to the next green.
        last_green = max((i for i, change in enumerate(before) if change.label == GREEN),
                         default=-1)
        reds = before[last_green + 1:]
        since = reds[0] if reds else None
        until = next((change for change in changes
                      if change.t_ns > passed.t_ns and change.label == GREEN), None)
        span = _red_span(result, since, until)
        crossed = _crossed(result, passed)
        if crossed is not None and crossed.data.get("green"):
            violations.append(sut.Violation("green-only", (
                f"{passed.worker} passed at {_at(result, passed)} while the light's records "
                f"said red ({span}), but saw green at {_at(result, crossed)}, still in the "
                "crossing: the light changed colour without the crossing lock")))
            continue
        seen = [event for event in result.events_of(WAITING)
                if event.worker == passed.worker and event.t_ns <= passed.t_ns]
        if seen:
            still = "still " if since is None or seen[-1].t_ns >= since.t_ns else ""
            detail = (f"{passed.worker} saw red at {_at(result, seen[-1])}, then passed at "
                      f"{_at(result, passed)} while the light was {still}red ({span})")
        else:
            detail = (f"{passed.worker} passed at {_at(result, passed)} "
                      f"while the light was red ({span})")
        violations.append(sut.Violation("green-only", detail))
    return violations


def _turned_red_mid_pass(result: sut.Result, passed: sut.Event) -> list[sut.Violation]:
    """A pass on green by the light's records, whose car saw red still in the crossing:
    the light changed colour while the car was there, before it recorded the change."""
    crossed = _crossed(result, passed)
    if crossed is None or crossed.data.get("green", True):
        return []
    return [sut.Violation("green-only", (
        f"{passed.worker} passed at {_at(result, passed)} on green, but the light was red "
        f"at {_at(result, crossed)}, the car still in the crossing: the light changed "
        "colour without the crossing lock"))]


def _crossed(result: sut.Result, passed: sut.Event) -> sut.Event | None:
    """What the car of ``passed`` saw of the light, still in the crossing."""
    return next((event for event in result.events_by(passed.worker)
                 if event.label == CROSSED and event.t_ns >= passed.t_ns), None)


def _shows_its_cycles(shown: list[str], cycles: int) -> bool:
    """Whether ``shown`` is red, green ``cycles`` times, then stop - compared label by
    label, never built: a run cut short need not make a list as long as it was asked."""
    return (len(shown) == len(COLOURS) * cycles + 1 and shown[-1] == STOP
            and all(label == COLOURS[i % len(COLOURS)] for i, label in enumerate(shown[:-1])))


def _cycles_told(cycles: int) -> str:
    """``red, green, red, green``; with more cycles than that, ``red, green (1000 times)``."""
    if len(COLOURS) * cycles <= SPELLED_OUT:
        return ", ".join(COLOURS * cycles)
    return f"{', '.join(COLOURS)} ({cycles} times)"


@sut.invariant("every-car-passes")
def every_car_passes(result: sut.Result) -> list[sut.Violation]:
    """Every car passes the crossing exactly once."""
    passes_of = Counter(event.worker for event in result.events_of(PASS))
    violations = []
    for i in range(result.params["cars"]):  # at most MAX_PROCESSES: each car is a process
        name = f"car {i}"
        passes = passes_of[name]
        if passes != 1:
            violations.append(sut.Violation(
                "every-car-passes",
                f"{name} never passed" if passes == 0 else f"{name} passed {passes} times"))
    return violations


@sut.invariant("light-stops")
def light_stops(result: sut.Result) -> Iterator[str]:
    """The light shows its cycles - red, green, each time - then stops, on green."""
    cycles: int = result.params["cycles"]
    shown = [event.label for event in result.events
             if event.worker == "light" and event.label in (*COLOURS, STOP)]
    if _shows_its_cycles(shown, cycles):
        return
    colours = ", ".join(label for label in shown if label != STOP) or "nothing"
    stopped = "and stopped" if STOP in shown else "and never stopped"
    yield (f"the light showed {colours} {stopped}; {cycles} "
           f"{'cycle is' if cycles == 1 else 'cycles are'} {_cycles_told(cycles)}, then stop "
           "on green")


# The traffic invariants, from the light's changes and the cars' passes alone.
SCENARIO = sut.declare(
    "traffic", "cars wait at a traffic light driven by an Event (red = clear, green = set)",
    params=Params, program=road, variants=VARIANTS,
    invariants=[green_only, every_car_passes, light_stops],
    small={"cars": (1, 3), "cycles": (1, 2)},
    # How long the light stays in one colour: long enough to arrive in, short
    # enough to keep runs cheap; one of a few, so a search shrinks to the shortest.
    space={"cars": (1, 3), "cycles": (1, 2), "green": sut.OneOf(0.02, 0.05, 0.1),
           "red": sut.OneOf(0.02, 0.05, 0.1), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "The tutorial's light never stops; this one stops on green after its cycles. A "
        "car that ignores the light, or looks once and drives on, passes on red. The fix "
        "waits for the Event, then re-checks green under the crossing lock the light "
        "changes colour under, so a pass and a change of colour can never interleave."
    ),
)
