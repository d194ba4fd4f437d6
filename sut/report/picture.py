"""A run drawn as an SVG picture: what the lanes show, for a page.

One horizontal lane per process (main first, when it takes part), its events
as dots in the order they happened, labelled; a bar where the process holds a
lock or a semaphore (from the schedule's acquire and release steps); the
event with which the invariant breaks in red, with the violation under the
lanes. Plain SVG, written by hand: no dependency, and the same bytes for the
same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from sut.engine.result import Result, Violation
from sut.report.lanes import columns, lane_order

STEP = 34  # pixels between two events
LANE = 46  # pixels between two lanes
LEFT = 120  # room for the lanes' names
TOP = 92  # room for the title and the first lane's labels
LABEL = 22  # characters of an event's label shown
ROW, COLUMN = 22, 230  # side by side: pixels between two events, between two columns
HELD = "#cfe3f7"
BROKEN = "#c62828"


@dataclass(frozen=True)
class Drawing:
    """One run to draw: a title, the run, its violations, and where it broke."""

    title: str
    result: Result
    violations: list[Violation]
    moment: int | None = None
    # False for a run that nothing puts in one order: drawn side by side.
    ordered: bool = True


def _label(text: str) -> str:
    return text if len(text) <= LABEL else text[:LABEL - 1] + "…"


def _held(drawing: Drawing, x_of: dict[int, float]) -> list[tuple[str, str, float, float]]:
    """Who held what, from where to where: (process, primitive, x from, x to)."""
    events = drawing.result.events
    times = sorted([(event.t_ns, x_of[i]) for i, event in enumerate(events)])
    end = LEFT + STEP * (len(events) + 0.5)

    def x_at(t_ns: int) -> float:
        before = [x for t, x in times if t <= t_ns]
        return (before[-1] if before else LEFT) + STEP / 2

    open_: dict[tuple[str, str], float] = {}
    held = []
    for step in drawing.result.steps:
        key = (step.worker, step.op.target)
        if step.op.kind == "acquire" and step.reply == "go":
            open_[key] = x_at(step.t_ns)
        elif step.op.kind == "release" and key in open_:
            held.append((*key, open_.pop(key), x_at(step.t_ns)))
    # Still held at the end: drawn for a process that died or is stuck holding
    # it (a lock never released); a process that ended well took a signal.
    ended_well = {outcome.name for outcome in drawing.result.workers if outcome.status == "ok"}
    held += [(*key, start, end) for key, start in open_.items() if key[0] not in ended_well]
    return held


def _one(drawing: Drawing, top: float) -> tuple[list[str], float]:
    result = drawing.result
    order = lane_order(result)
    x_of = {i: float(LEFT + STEP * (i + 1)) for i in range(len(result.events))}
    y_of = {name: top + TOP + LANE * row for row, name in enumerate(order)}
    right = LEFT + STEP * (len(result.events) + 1)
    parts = [f'<text x="10" y="{top + 24}" font-size="15" font-weight="bold">'
             f'{escape(drawing.title)}</text>']
    for name, y in y_of.items():
        parts.append(f'<text x="10" y="{y + 4}" font-size="12">{escape(name)}</text>')
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{right}" y2="{y}" stroke="#999"/>')
    for worker, target, start, end in _held(drawing, x_of):
        y = y_of[worker]
        parts.append(f'<rect x="{start}" y="{y - 7}" width="{max(end - start, 4)}" height="14" '
                     f'fill="{HELD}" rx="3"><title>{escape(worker)} holds '
                     f'{escape(target)}</title></rect>')
        parts.append(f'<text x="{start + 3}" y="{y + 18}" font-size="9" fill="#1565c0">'
                     f'{escape(target)}</text>')
    for i, event in enumerate(result.events):
        x, y = x_of[i], y_of[event.worker]
        broken = i == drawing.moment
        colour = BROKEN if broken else "#333"
        told = event.describe()[len(event.worker) + 1:]
        if broken:
            parts.append(f'<line x1="{x}" y1="{top + TOP - 30}" x2="{x}" '
                         f'y2="{top + TOP + LANE * len(order) - 20}" stroke="{BROKEN}" '
                         f'stroke-dasharray="4 3"/>')
        parts.append(f'<circle cx="{x}" cy="{y}" r="{6 if broken else 4}" fill="{colour}">'
                     f'<title>{i + 1}. {escape(event.describe())}</title></circle>')
        parts.append(f'<text x="{x + 2}" y="{y - 9}" font-size="10" fill="{colour}" '
                     f'transform="rotate(-35 {x + 2} {y - 9})">{escape(_label(told))}</text>')
    notes, bottom = _notes(drawing, top + TOP + LANE * (len(order) - 1) + 34)
    return parts + notes, bottom


def _side_by_side(drawing: Drawing, top: float) -> tuple[list[str], float]:
    """A column per process, its events going down in its own order."""
    parts = [f'<text x="10" y="{top + 24}" font-size="15" font-weight="bold">'
             f'{escape(drawing.title)}</text>']
    x = 10.0
    bottom = top
    for name, cells in columns(drawing.result).items():
        first = top + 52 + ROW
        parts.append(f'<text x="{x}" y="{top + 52}" font-size="12" font-weight="bold">'
                     f'{escape(name)}</text>')
        parts.append(f'<line x1="{x + 4}" y1="{first - ROW / 2}" x2="{x + 4}" '
                     f'y2="{first + ROW * (len(cells) - 0.5)}" stroke="#999"/>')
        for row, cell in enumerate(cells):
            y = first + ROW * row
            if cell.loop:  # a note for a loop's rounds: no dot of its own
                parts.append(f'<text x="{x + 14}" y="{y + 4}" font-size="11" fill="#777" '
                             f'font-style="italic">{escape(cell.text)}</text>')
                continue
            broken = cell.first == drawing.moment
            colour = BROKEN if broken else "#333"
            parts.append(f'<circle cx="{x + 4}" cy="{y}" r="{6 if broken else 4}" '
                         f'fill="{colour}"><title>'
                         f'{escape(drawing.result.events[cell.first].describe())}</title>'
                         f'</circle>')
            parts.append(f'<text x="{x + 14}" y="{y + 4}" font-size="11" fill="{colour}">'
                         f'{escape(cell.text)}</text>')
        bottom = max(bottom, first + ROW * len(cells))
        x += COLUMN
    notes, bottom = _notes(drawing, bottom + 14, [
        "Each column in its own order: nothing lines the processes up in time."])
    return parts + notes, bottom


def _notes(drawing: Drawing, top: float, first: Sequence[str] = ()) -> tuple[list[str], float]:
    """The lines under a drawing: ``first``, the deadlock if any, the violation; and
    where the drawing ends."""
    notes = [*first, *([drawing.result.deadlock] if drawing.result.deadlock else []),
             *[f"{violation.invariant}: {violation.detail}"
               for violation in drawing.violations[:1]]]
    parts = []
    for note in notes:
        parts.append(f'<text x="10" y="{top}" font-size="12" fill="{BROKEN}">'
                     f'{escape(note)}</text>')
        top += 18
    return parts, top + 20


def svg(drawings: list[Drawing]) -> str:
    """One SVG document with every drawing, one under the other."""
    parts: list[str] = []
    top = 0.0
    width = LEFT + STEP * 2.0
    for drawing in drawings:
        drawn, top = (_one if drawing.ordered else _side_by_side)(drawing, top)
        parts += drawn
        notes = [drawing.result.deadlock or ""] + [
            f"{v.invariant}: {v.detail}" for v in drawing.violations[:1]]
        # Room for the last event's slanted label (or the columns), the bold title, the notes.
        lanes = (LEFT + STEP * (len(drawing.result.events) + 1) + 140 if drawing.ordered
                 else 10 + COLUMN * len(columns(drawing.result)))
        width = max(width, lanes, 20 + 9 * len(drawing.title),
                    20 + 6.5 * max(len(note) for note in notes))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{top:.0f}" '
            f'font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(parts) + "\n</svg>\n")
