"""A run drawn as lanes: one column per process, its events in the order they happened.

::

       #  buyer 0          buyer 1
       1  query count=1
       2                   query count=1
       3                   read count=1
       4  read count=1
     ...
       7                   writing count=0
       8                   bought left=0   <== no-oversell breaks here
      -> no-oversell: sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1

Main (the test process) gets the first lane when it has events of its own.

A run whose processes nothing puts in one order - a real run, not one by a
schedule, such as the chat's server talking to its clients over TCP - is
drawn by :func:`side_by_side` instead: each column in its own process's
order, the rows not lined up in time, and a block of events that repeats
over and over shown once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sut.engine.invariants import Invariants
from sut.engine.result import Event, Result, Violation

# A lane is at most this wide; longer events are cut with an ellipsis.
LANE_WIDTH = 26
# A block of up to this many events, repeated at least REPEATS times in a
# row, is shown once: how many times a loop went round is a fact of timing.
BLOCK, REPEATS = 2, 3
# How the cell with which the invariant breaks is marked, side by side.
MARK = "==> "


@dataclass(frozen=True)
class Cell:
    """What a column shows in one row: an event, or a note standing for the
    events ``first`` to ``last`` (indices into the run's events)."""

    first: int
    last: int
    text: str

    @property
    def loop(self) -> bool:
        return self.first != self.last


def lane_order(result: Result) -> list[str]:
    """Main and other non-worker lanes first (sorted), then the workers in spawn order."""
    workers = [outcome.name for outcome in result.workers]
    return sorted({event.worker for event in result.events} - set(workers)) + workers


def columns(result: Result) -> dict[str, list[Cell]]:
    """Each process's events in its own order, a block repeated over and over shown once."""
    own: dict[str, list[int]] = {name: [] for name in lane_order(result)}
    for index, event in enumerate(result.events):
        own[event.worker].append(index)
    told = [_told(event) for event in result.events]
    drawn: dict[str, list[Cell]] = {}
    for name, indices in own.items():
        cells: list[Cell] = []
        at = 0
        while at < len(indices):
            size = next((size for size in range(1, BLOCK + 1) if _repeats(
                [told[i] for i in indices[at:]], size) >= REPEATS), 0)
            if not size:
                cells.append(Cell(indices[at], indices[at], told[indices[at]]))
                at += 1
                continue
            rest = [told[i] for i in indices[at:]]
            end = at + size * _repeats(rest, size)
            # A last round cut short is the same loop, stopped where it happened to be.
            while end < len(indices) and told[indices[end]] == rest[(end - at) % size]:
                end += 1
            cells += [Cell(i, i, told[i]) for i in indices[at:at + size]]
            cells.append(Cell(indices[at + size], indices[end - 1],
                              f"(these {size} again and again)" if size > 1
                              else "(again and again)"))
            at = end
        drawn[name] = cells
    return drawn


def _repeats(texts: list[str], size: int) -> int:
    """How many times the first ``size`` texts come, one block after another."""
    block = texts[:size]
    rounds = 1
    while texts[size * rounds:size * (rounds + 1)] == block:
        rounds += 1
    return rounds


def _told(event: Event) -> str:
    if event.label == "crash":
        return _cut(f"crashed: {event.data.get('error')}")
    return _cut(event.describe()[len(event.worker) + 1:])


def _cut(text: str) -> str:
    return text if len(text) <= LANE_WIDTH else text[:LANE_WIDTH - 1] + "…"


def breaking_moment(result: Result, invariant: str,
                    check: Callable[[Result], list[Violation]]) -> int | None:
    """The index of the event with which ``invariant`` breaks, if one event does.

    The first prefix of the run's events on which the invariant is broken,
    when the empty prefix does not break it: an invariant judged on how
    processes ended or on the final state alone has no such event. Given a
    scenario's check (:class:`~sut.engine.invariants.Invariants`), each prefix
    is judged by the one invariant alone, not by all of them.
    """
    judge = check.reporting(invariant) if isinstance(check, Invariants) else check

    def broken(count: int) -> bool:
        prefix = dataclasses.replace(result, events=result.events[:count])
        return any(violation.invariant == invariant for violation in judge(prefix))

    if broken(0):
        return None
    return next((count - 1 for count in range(1, len(result.events) + 1) if broken(count)),
                None)


def lanes(result: Result, violations: list[Violation], *,
          moment: int | None = None) -> list[str]:
    """The lines of the drawing; ``moment`` marks the event with which the first
    violation happens (see :func:`breaking_moment`)."""
    order = lane_order(result)
    width = max([len(name) for name in order] + [len(_told(e)) for e in result.events] + [1])
    width = min(width, LANE_WIDTH) + 2
    lines = ["    #  " + "".join(name.ljust(width) for name in order).rstrip()]
    for number, event in enumerate(result.events, 1):
        column = order.index(event.worker)
        mark = f"   <== {violations[0].invariant} breaks here" if number - 1 == moment else ""
        lines.append(f"{number:5d}  " + " " * (width * column) + _told(event) + mark)
    if result.deadlock:
        lines.append(f"       {result.deadlock}")
    return [*lines, _ending(violations)]


def _ending(violations: list[Violation]) -> str:
    """The last line: what went wrong, in one sentence."""
    if violations:
        return f"   -> {violations[0].invariant}: {violations[0].detail}"
    return "   -> every invariant held"


def side_by_side(result: Result, violations: list[Violation], *,
                 moment: int | None = None) -> list[str]:
    """The lines of a drawing of :func:`columns`: each column in its own order."""
    drawn = columns(result)
    marked = {name: [(MARK if moment is not None and cell.first <= moment <= cell.last
                      else "") + _cut(cell.text) for cell in cells]
              for name, cells in drawn.items()}
    width = min(max([len(name) for name in drawn] + [
        len(text) for texts in marked.values() for text in texts] + [1]),
        LANE_WIDTH + len(MARK)) + 2
    lines = ["    " + "".join(name.ljust(width) for name in drawn).rstrip()]
    for row in range(max([len(texts) for texts in marked.values()] + [0])):
        lines.append("    " + "".join((texts[row] if row < len(texts) else "").ljust(width)
                                      for texts in marked.values()).rstrip())
    lines.append("    (each column in its own order: nothing lines the processes up in time)")
    if moment is not None and violations:
        lines.append(f"    {MARK}where {violations[0].invariant} breaks")
    return [*lines, _ending(violations)]
