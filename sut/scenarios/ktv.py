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
a timeout, and that wait is the evidence. That the timeout is long enough
for a correct guard's first wave to meet is an assumption of the scenario
(``assume_long_enough``): a schedule never lets it fire while someone of the
first wave could still come in, and reports say that it assumed so.

Invariants: never more than ``rooms`` inside; everyone enters and leaves once;
the rooms do fill up; every person exits cleanly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import sut

# How long the first people in wait for the others to join them, beyond the
# jitter (they arrive at most a quarter of it apart). It only detects a guard
# that admits too few: a correct one lets them all in at once.
FILL_GRACE = 0.3
# A person's points: at the door, then singing; what it records once in and
# before it leaves, and when it gave up waiting in a room for company.
ARRIVE, SING = "arrive", "sing"
ENTER, LEAVE, ALONE = "enter", "leave", "alone"


@dataclass(frozen=True)
class Params(sut.Checked):
    """The tutorial's evening: 5 people, 4 rooms.

    Limits (docs/LIMITS.md): ``people`` 1 to 1024 (``MAX_PROCESSES``: each is
    a process); ``rooms`` 1 to 1024 (more rooms than people is no different
    from as many).
    """

    people: int = sut.processes(5)
    rooms: int = sut.param(4, sut.positive_int, at_most=sut.MAX_PROCESSES,
                           why="as many as the most people one run starts")
    jitter: float = sut.param(0.05, sut.jitter_width)


def person(probe: sut.Probe, guard: Any, start: Any, first_wave_seats: Any, first_wave: Any,
           fill_timeout: float, start_timeout: float) -> None:
    start.wait(start_timeout)  # everyone arrives together
    probe.point(ARRIVE)
    with guard:
        probe.record(ENTER)
        if first_wave_seats.acquire(False):
            try:
                first_wave.wait(fill_timeout)
            except threading.BrokenBarrierError:
                probe.record(ALONE)
        probe.point(SING)  # the singing time
        probe.record(LEAVE)  # recorded before the room is given back


@dataclass(frozen=True)
class Wiring:
    guard: Literal["semaphore", "none", "lock"]


VARIANTS = (
    sut.Variant("semaphore", "Semaphore(rooms) at the door, the tutorial's program", "holds",
                Wiring("semaphore")),
    sut.Variant("unguarded", "no guard at the door", "violates", Wiring("none")),
    sut.Variant("lock", "a Lock where Semaphore(rooms) belongs: one room used at a time",
                "violates", Wiring("lock")),
)


def _make_guard(kind: str, backend: sut.Backend, rooms: int) -> Any:
    if kind == "semaphore":
        return backend.Semaphore(rooms, "rooms")
    if kind == "lock":
        return backend.Lock("door")
    return sut.NoGuard()


def evening(run: sut.Run, params: Params, wiring: Wiring) -> None:
    """One evening at the KTV: the guard at the door, and everyone let in to sing."""
    backend = run.backend
    guard = _make_guard(wiring.guard, backend, params.rooms)
    start = backend.Barrier(params.people, "start")
    first_wave = min(params.people, params.rooms)
    seats = backend.Semaphore(first_wave, "first-wave seats")
    meeting = backend.Barrier(first_wave, "first wave")
    fill = FILL_GRACE + params.jitter
    fill_timeout = sut.assume_long_enough(
        fill, f"the first {first_wave} people let in all meet within {fill:g} s of "
              "the first")
    # Nobody's name matters to the door, the rooms or the invariants.
    run.interchangeable(*(f"person {i}" for i in range(params.people)))
    for i in range(params.people):
        run.spawn(f"person {i}", person, guard, start, seats, meeting, fill_timeout,
                  run.patience())


# --- invariants ------------------------------------------------------------

@sut.invariant("capacity")
def capacity(result: sut.Result) -> Iterator[str]:
    """Never more people inside at once than there are rooms."""
    rooms: int = result.params["rooms"]
    inside: list[str] = []
    crowd: list[str] = []
    # "leave" is recorded before release and "enter" after acquire, so the
    # measured stays lie within the real ones; on a tie, leaving goes first.
    moves = sorted((e for e in result.events if e.label in (ENTER, LEAVE)),
                   key=lambda e: (e.t_ns, e.label == ENTER))
    for event in moves:
        if event.label == ENTER:
            inside.append(event.worker)
            if len(inside) > len(crowd):
                crowd = list(inside)
        elif event.worker in inside:
            inside.remove(event.worker)
    if len(crowd) > rooms:
        yield (f"{len(crowd)} people inside {sut.amount(rooms, 'room')} at once: "
               f"{sut.names(crowd)}")


@sut.invariant("enter-and-leave")
def enter_and_leave(result: sut.Result) -> Iterator[str]:
    """Everyone who exits cleanly entered once and left once."""
    for outcome in result.exited_cleanly():
        labels = [event.label for event in result.events_by(outcome.name)]
        if labels.count(ENTER) != 1 or labels.count(LEAVE) != 1:
            yield (f"{outcome.name} entered {labels.count(ENTER)} and left "
                   f"{labels.count(LEAVE)} times, not once each")


@sut.invariant("rooms-fill-up")
def rooms_fill_up(result: sut.Result) -> Iterator[str]:
    """With people waiting, every room fills: nobody sings alone while others wait outside."""
    rooms: int = result.params["rooms"]
    alone = result.events_of(ALONE)
    if not alone:
        return
    first = alone[0]
    waiting = [e.worker for e in result.events_of(ENTER)
               if e.t_ns > first.t_ns and e.worker != first.worker]
    yield (f"{first.worker} gave up waiting in a room for company while "
           f"{len(waiting) or 'no'} other {'person' if len(waiting) == 1 else 'people'} "
           f"{'was' if len(waiting) == 1 else 'were'} kept at the door "
           f"({min(rooms, len(result.workers))} of {rooms} rooms should have filled)")


# The KTV: its invariants judge the enter/leave events alone.
SCENARIO = sut.declare(
    "ktv", "people share a limited number of KTV rooms (Semaphore)",
    params=Params, program=evening, variants=VARIANTS,
    invariants=[capacity, enter_and_leave, rooms_fill_up],
    small={"people": (1, 4), "rooms": (1, 3)},
    space={"people": (1, 5), "rooms": (1, 4), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "``Semaphore(rooms)`` is the tutorial's program, and it holds. Without a guard "
        "(``unguarded``) more people sing than there are rooms. A Lock where the "
        "Semaphore belongs (``lock``) never overfills, but it serializes: one room in use "
        "while the others stand empty and people wait at the door - over-serialization is "
        "a bug too."
    ),
)
