"""``docs/RACES.md``: the catalogue of races, written by the tool from what it finds.

For every scenario: its invariants, each variant's verdict, each broken
variant's minimal counterexample as lanes (and how its configuration was
checked to be the smallest) and as a picture, and what the tutorial's own
programs get wrong and why the fix works. The searches are the
demo's (:mod:`sut.report.demo`), so the document says what the tool finds today; a
test regenerates it and fails when the committed one no longer matches.

Numbers that differ from run to run - the pids in printed lines, how long a
timed wait took - are written as ``…``, so the same findings give the same
document.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from sut.drive import catalogue
from sut.drive.hunt import unscheduled
from sut.engine.result import Violation
from sut.engine.scenario import Scenario
from sut.report.demo import Verdict, show
from sut.report.lanes import lanes, side_by_side
from sut.report.picture import Drawing, svg

# Where the pictures go, beside the document.
PICTURES = "races"


def steady(text: str) -> str:
    """``text`` with what differs between runs of the same schedule (or script) left out."""
    text = re.sub(r"(\d+ : )\d+( is)", r"\1…\2", text)  # printing's pids
    text = re.sub(r"waited=[0-9.e-]+", "waited=…", text)  # the event's timed waits
    # A send to a peer that has gone: which error comes first is the kernel's choice.
    return re.sub(r"(BrokenPipeError|ConnectionResetError): \[Errno \d+\] [A-Za-z ]+",
                  "BrokenPipeError or ConnectionResetError", text)


class _Unsteady:
    """A payload that differs from run to run whatever the schedule, shown ``…``."""

    def __str__(self) -> str:
        return "…"


UNSTEADY = _Unsteady()
# The chat's pids and ports.
UNSTEADY_KEYS = frozenset({"pid", "port"})
# A chat client's half-close after its handler died fails or not as the
# kernel's reset of the connection comes before it or after: timing.
UNSTEADY_EVENTS = frozenset({"shutdown-failed"})


def _steady_drawing(drawing: Drawing) -> Drawing:
    # Before the lanes lay the payloads out and cut them short, so that they fall the same way.
    events = tuple(dataclasses.replace(event, data={
        key: UNSTEADY if key in UNSTEADY_KEYS else steady(value) if isinstance(value, str)
        else value for key, value in event.data.items()})
        for event in drawing.result.events if event.label not in UNSTEADY_EVENTS)
    return dataclasses.replace(
        drawing, result=dataclasses.replace(drawing.result, events=events),
        violations=[Violation(v.invariant, steady(v.detail)) for v in drawing.violations])


def document(*, start_method: str, progress: Callable[[str], None]) -> dict[str, str]:
    """The document and its pictures: relative path -> text."""
    files: dict[str, str] = {}
    parts = [header(start_method)]
    for scenario in catalogue.catalogue():
        text, files[f"{PICTURES}/{scenario.name}.svg"] = section(
            scenario, start_method=start_method, progress=progress)
        parts.append(text)
    files["RACES.md"] = "".join(parts).rstrip("\n") + "\n"
    return files


def header(start_method: str) -> str:
    """The top of the document."""
    return "\n".join([
        "# The races, and their fixes",
        "",
        "Written by `python -m sut races` from what the tool finds: every minimal",
        "counterexample below was searched for (the small configurations explored",
        "smallest first, in every interleaving, until one broke; for the chat, a",
        "derandomized Hypothesis search over its clients' scripts), every fix",
        "explored in every interleaving of the configurations its siblings broke in.",
        "A test regenerates this page and fails when it no longer matches. Numbers",
        "that differ from run to run (pids, ports, measured waits) are written `…`,",
        "which of EPIPE and ECONNRESET a dead connection gives is left open, and a",
        "chat client's failed half-close after its handler died is left out. Start",
        f"method: {start_method}.",
        "", ""])


def section(scenario: Scenario, *, start_method: str,
            progress: Callable[[str], None]) -> tuple[str, str]:
    """One scenario's part of the document, and its picture."""
    lines = [f"## {scenario.name}", "", scenario.description[:1].upper()
             + scenario.description[1:] + ".", "", scenario.invariants_in_prose, ""]
    why_not = unscheduled(scenario)
    if why_not is not None:
        lines += [f"No schedule mode: {why_not}. Each search below looks for "
                  f"one bug, over inputs with nothing left to timing.", ""]
    own = show([scenario.name], start_method=start_method, say=lambda text: None,
               progress=progress)
    drawings = [_steady_drawing(verdict.broken) for verdict in own if verdict.broken is not None]
    lines += _verdicts(scenario, own, drawings)
    picture = steady(svg(drawings))
    lines += [f"![The races of {scenario.name}, one lane per process]"
              f"({PICTURES}/{scenario.name}.svg)", ""]
    lines += ["**What the tutorial gets wrong, and why the fix works.** " + scenario.lesson, "",
              ""]
    return steady("\n".join(lines)), picture


def _verdicts(scenario: Scenario, own: list[Verdict],
              drawings: list[Drawing]) -> list[str]:
    rows = ["| variant | expected | verdict | minimal counterexample / evidence |",
            "|---|---|---|---|"]
    rows += [f"| `{v.variant}` | {v.expected} | {v.verdict} | {v.evidence} |" for v in own]
    rows.append("")
    titled = set()
    for verdict, drawn in zip([v for v in own if v.broken is not None], drawings, strict=True):
        variant = scenario.variant(verdict.variant)
        if variant.name not in titled:  # a variant may break in several ways
            rows += [f"### `{variant.name}`: {variant.description}", ""]
            titled.add(variant.name)
        if drawn.ordered:
            rows += [f"Breaks with {verdict.evidence}:", "", "```",
                     *lanes(drawn.result, drawn.violations, moment=drawn.moment), "```", ""]
            rows += [verdict.smallest, ""] if verdict.smallest else []
        else:
            rows += [f"Breaks {verdict.evidence}. {verdict.why}", "", "```",
                     *side_by_side(drawn.result, drawn.violations), "```", ""]
    return rows
