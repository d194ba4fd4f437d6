"""KTV rooms - the tutorial's Semaphore example: at most ``rooms`` people sing at once.

Every person arrives, waits at the door until the guard lets them in, sings,
and leaves. Variants differ only in the guard they wire in:

- ``semaphore``: ``Semaphore(rooms)``, the tutorial's program;
- ``unguarded``: no guard: with more people than rooms, too many are inside;
- ``lock``: a ``Lock`` where ``Semaphore(rooms)`` belongs: never too many
  inside, but one room in use while the others stand empty and people wait -
  over-serialization is a bug too.

To make "the rooms fill up" a certainty instead of a matter of timing, the
first ``min(people, rooms)`` people to get in wait for each other (a barrier)
before they sing. A correct guard lets all of them in at once, so they always
meet; a guard that lets fewer in leaves the first one waiting until
a timeout, and that wait is the evidence.

Invariants: never more than ``rooms`` inside; everyone enters and leaves once;
the rooms do fill up; every person exits cleanly.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sut.engine import DEFAULT_TIMEOUT, Backend, Probe, Result, Run, Schedule, Violation, shaking
from sut.engine.guards import NoGuard
from sut.engine.invariants import amount, clean_exit, names
from sut.engine.params import jitter, positive_int
from sut.engine.scenario import Scenario, Variant

# How long the first people in wait for the others to join them, beyond the
# jitter (they arrive at most a quarter of it apart). It only detects a guard
# that admits too few: a correct one lets them all in at once.
FILL_GRACE = 0.3


@dataclass(frozen=True)
class Params:
    """The tutorial's evening: 5 people, 4 rooms."""

    people: int = 5
    rooms: int = 4
    jitter: float = 0.05

    def __post_init__(self) -> None:
        positive_int("people", self.people)
        positive_int("rooms", self.rooms)
        jitter(self.jitter)


def person(probe: Probe, guard: Any, start: Any, first_wave_seats: Any, first_wave: Any,
           fill_timeout: float, start_timeout: float) -> None:
    start.wait(start_timeout)  # everyone arrives together
    probe.point("arrive")
    with guard:
        probe.record("enter")
        if first_wave_seats.acquire(False):
            try:
                first_wave.wait(fill_timeout)
            except threading.BrokenBarrierError:
                probe.record("alone")
        probe.point("sing")  # the singing time
        probe.record("leave")  # recorded before the room is given back


@dataclass(frozen=True)
class Wiring:
    guard: Literal["semaphore", "none", "lock"]


VARIANTS = (
    Variant("semaphore", "Semaphore(rooms) at the door, the tutorial's program", "holds",
            Wiring("semaphore")),
    Variant("unguarded", "no guard at the door", "violates", Wiring("none")),
    Variant("lock", "a Lock where Semaphore(rooms) belongs: one room used at a time",
            "violates", Wiring("lock")),
)


def _make_guard(kind: str, backend: Backend, rooms: int) -> Any:
    if kind == "semaphore":
        return backend.Semaphore(rooms, "rooms")
    if kind == "lock":
        return backend.Lock("door")
    return NoGuard()


def run(params: Params, variant: Variant, *, start_method: str, seed: int = 0,
        timeout: float = DEFAULT_TIMEOUT, schedule: Schedule | None = None) -> Result:
    """Run one evening at the KTV (by ``schedule``, if given) and return what happened."""
    wiring: Wiring = variant.wiring
    backend = Backend(start_method)
    with Run(backend, "ktv", variant.name, asdict(params), mode=shaking(params.jitter, schedule),
             seed=seed, timeout=timeout) as evening:
        guard = _make_guard(wiring.guard, backend, params.rooms)
        start = backend.Barrier(params.people, "start")
        first_wave = min(params.people, params.rooms)
        seats = backend.Semaphore(first_wave, "first-wave seats")
        meeting = backend.Barrier(first_wave, "first wave")
        for i in range(params.people):
            evening.spawn(f"person {i}", person, guard, start, seats, meeting,
                          FILL_GRACE + params.jitter, timeout)
        return evening.result()


def check(result: Result) -> list[Violation]:
    """The KTV invariants, from the enter/leave events alone."""
    rooms: int = result.params["rooms"]
    violations = clean_exit(result)

    inside: list[str] = []
    crowd: list[str] = []
    # "leave" is recorded before release and "enter" after acquire, so the
    # measured stays lie within the real ones; on a tie, leaving goes first.
    moves = sorted((e for e in result.events if e.label in ("enter", "leave")),
                   key=lambda e: (e.t_ns, e.label == "enter"))
    for event in moves:
        if event.label == "enter":
            inside.append(event.worker)
            if len(inside) > len(crowd):
                crowd = list(inside)
        elif event.worker in inside:
            inside.remove(event.worker)
    if len(crowd) > rooms:
        violations.append(Violation(
            "capacity",
            f"{len(crowd)} people inside {amount(rooms, 'room')} at once: {names(crowd)}"))

    for outcome in result.workers:
        if outcome.status != "ok":
            continue
        labels = [e.label for e in result.events if e.worker == outcome.name]
        if labels.count("enter") != 1 or labels.count("leave") != 1:
            violations.append(Violation(
                "enter-and-leave", f"{outcome.name} entered {labels.count('enter')} and left "
                                   f"{labels.count('leave')} times, not once each"))

    alone = result.events_of("alone")
    if alone:
        first = alone[0]
        waiting = [e.worker for e in result.events_of("enter")
                   if e.t_ns > first.t_ns and e.worker != first.worker]
        violations.append(Violation(
            "rooms-fill-up",
            f"{first.worker} gave up waiting in a room for company while "
            f"{len(waiting) or 'no'} other {'person' if len(waiting) == 1 else 'people'} "
            f"{'was' if len(waiting) == 1 else 'were'} kept at the door "
            f"({min(rooms, len(result.workers))} of {rooms} rooms should have filled)"))
    return violations



# What the tutorial's own programs get wrong, and why the fix works.
LESSON = (
    "``Semaphore(rooms)`` is the tutorial's program, and it holds. Without a guard "
    "(``unguarded``) more people sing than there are rooms. A Lock where the "
    "Semaphore belongs (``lock``) never overfills, but it serializes: one room in use "
    "while the others stand empty and people wait at the door - over-serialization is "
    "a bug too."
)


SCENARIO = Scenario(
    name="ktv",
    description="people share a limited number of KTV rooms (Semaphore)",
    params=Params,
    variants=VARIANTS,
    run=run,
    check=check,
    lesson=LESSON,
    # Small configurations to search for minimal schedules in: ranges, or fixed values.
    small={"people": (1, 4), "rooms": (1, 3)},
)
