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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .runtime.result import Event, Result, Violation

# A lane is at most this wide; longer events are cut with an ellipsis.
LANE_WIDTH = 26


def _told(event: Event) -> str:
    if event.label == "crash":
        return f"crashed: {event.data.get('error')}"
    told = event.describe()[len(event.worker) + 1:]
    return told if len(told) <= LANE_WIDTH else told[:LANE_WIDTH - 1] + "…"


def breaking_moment(result: Result, invariant: str,
                    check: Callable[[Result], list[Violation]]) -> int | None:
    """The index of the event with which ``invariant`` breaks, if one event does.

    The first prefix of the run's events on which ``check`` finds the
    invariant broken, when the empty prefix does not: an invariant judged on
    how processes ended or on the final state alone has no such event.
    """
    def broken(count: int) -> bool:
        prefix = dataclasses.replace(result, events=result.events[:count])
        return any(violation.invariant == invariant for violation in check(prefix))

    if broken(0):
        return None
    return next((count - 1 for count in range(1, len(result.events) + 1) if broken(count)),
                None)


def lanes(result: Result, violations: list[Violation], *,
          moment: int | None = None) -> list[str]:
    """The lines of the drawing; ``moment`` marks the event with which the first
    violation happens (see :func:`breaking_moment`)."""
    workers = [outcome.name for outcome in result.workers]
    others = sorted({event.worker for event in result.events} - set(workers))
    order = others + workers  # main first, then spawn order
    width = max([len(name) for name in order] + [len(_told(e)) for e in result.events] + [1])
    width = min(width, LANE_WIDTH) + 2
    lines = ["    #  " + "".join(name.ljust(width) for name in order).rstrip()]
    for number, event in enumerate(result.events, 1):
        column = order.index(event.worker)
        mark = f"   <== {violations[0].invariant} breaks here" if number - 1 == moment else ""
        lines.append(f"{number:5d}  " + " " * (width * column) + _told(event) + mark)
    if result.deadlock:
        lines.append(f"       {result.deadlock}")
    if violations:
        lines.append(f"   -> {violations[0].invariant}: {violations[0].detail}")
    else:
        lines.append("   -> every invariant held")
    return lines
