"""A run told in one line: what each worker did, in order, and what broke.

``buyer 0 read count=1 | buyer 1 read count=1 | buyer 0 writing count=0 |
buyer 1 writing count=0 -> no-oversell: sold 2 of 1 ticket``
"""

from __future__ import annotations

from sut.engine.result import Event, Result, Violation


def _told(event: Event) -> str:
    if event.label == "crash":  # the traceback is in the report, not in the story
        return f"{event.worker} crashed: {event.data.get('error')}"
    return event.describe()


def story(result: Result, violations: list[Violation]) -> str:
    """The events in the order they happened, then the first violation (or that all held)."""
    steps = " | ".join(_told(event) for event in result.events) or "(no events)"
    if result.deadlock:
        steps += f" | {result.deadlock}"
    if not violations:
        return f"{steps} -> every invariant held"
    return f"{steps} -> {violations[0].invariant}: {violations[0].detail}"
