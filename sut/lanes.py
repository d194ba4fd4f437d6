"""A run drawn as lanes: one column per process, its events in the order they happened.

::

       #  buyer 0          buyer 1
       1  query count=1
       2                   query count=1
       3                   read count=1
       4  read count=1
      ...
      -> no-oversell: sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1

Main (the test process) gets the first lane when it has events of its own.
"""

from __future__ import annotations

from .runtime.result import Event, Result, Violation

# A lane is at most this wide; longer events are cut with an ellipsis.
LANE_WIDTH = 26


def _told(event: Event) -> str:
    if event.label == "crash":
        return f"crashed: {event.data.get('error')}"
    told = event.describe()[len(event.worker) + 1:]
    return told if len(told) <= LANE_WIDTH else told[:LANE_WIDTH - 1] + "…"


def lanes(result: Result, violations: list[Violation]) -> list[str]:
    """The lines of the drawing; see the module docstring."""
    workers = [outcome.name for outcome in result.workers]
    others = sorted({event.worker for event in result.events} - set(workers))
    order = others + workers  # main first, then spawn order
    width = max([len(name) for name in order] + [len(_told(e)) for e in result.events] + [1])
    width = min(width, LANE_WIDTH) + 2
    lines = ["    #  " + "".join(name.ljust(width) for name in order).rstrip()]
    for number, event in enumerate(result.events, 1):
        column = order.index(event.worker)
        lines.append(f"{number:5d}  " + " " * (width * column) + _told(event))
    if result.deadlock:
        lines.append(f"       {result.deadlock}")
    if violations:
        lines.append(f"   -> {violations[0].invariant}: {violations[0].detail}")
    else:
        lines.append("   -> every invariant held")
    return lines
