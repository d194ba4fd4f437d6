"""``docs/RACES.md``: the catalogue of races, written by the tool from what it finds.

For every scenario: its invariants, each variant's verdict, each broken
variant's minimal counterexample as lanes and as a picture, and what the
tutorial's own programs get wrong and why the fix works. The searches are the
demo's (:mod:`sut.demo`), so the document says what the tool finds today; a
test regenerates it and fails when the committed one no longer matches.

Numbers that differ from run to run - the pids in printed lines, how long a
timed wait took - are written as ``…``, so the same findings give the same
document.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from . import registry
from .demo import Verdict, show
from .lanes import lanes
from .picture import svg
from .runtime.result import Violation

# Where the pictures go, beside the document.
PICTURES = "races"


def steady(text: str) -> str:
    """``text`` with what differs between runs of the same schedule left out."""
    text = re.sub(r"(\d+ : )\d+( is)", r"\1…\2", text)  # printing's pids
    return re.sub(r"waited=[0-9.e-]+", "waited=…", text)  # the event's timed waits


def document(*, start_method: str, progress: Callable[[str], None]) -> dict[str, str]:
    """The document and its pictures: relative path -> text."""
    files: dict[str, str] = {}
    parts = [header(start_method)]
    for scenario in registry.catalogue():
        text, picture = section(scenario, start_method=start_method, progress=progress)
        parts.append(text)
        if picture is not None:
            files[f"{PICTURES}/{scenario.name}.svg"] = picture
    files["RACES.md"] = "".join(parts).rstrip("\n") + "\n"
    return files


def header(start_method: str) -> str:
    """The top of the document."""
    return "\n".join([
        "# The races, and their fixes",
        "",
        "Written by `python -m sut races` from what the tool finds: every minimal",
        "counterexample below was searched for (a derandomized Hypothesis search over",
        "small configurations and schedules), every fix explored in every",
        "interleaving of the configurations its siblings broke in. A test regenerates",
        "this page and fails when it no longer matches. Numbers that differ from run",
        f"to run (pids, measured waits) are written `…`. Start method: {start_method}.",
        "", ""])


def section(scenario: registry.Scenario, *, start_method: str,
            progress: Callable[[str], None]) -> tuple[str, str | None]:
    """One scenario's part of the document, and its picture (None without a schedule mode)."""
    lines = [f"## {scenario.name}", "", scenario.description[:1].upper()
             + scenario.description[1:] + ".", "", scenario.invariants, ""]
    picture = None
    if scenario.schedulable:
        own = show([scenario.name], start_method=start_method, say=lambda text: None,
                   progress=progress)
        lines += _verdicts(scenario, own)
        drawings = [dataclasses.replace(verdict.broken, violations=[
            Violation(v.invariant, steady(v.detail)) for v in verdict.broken.violations])
            for verdict in own if verdict.broken is not None]
        picture = steady(svg(drawings))
        lines += [f"![The races of {scenario.name}, one lane per process]"
                  f"({PICTURES}/{scenario.name}.svg)", ""]
    else:
        lines += [f"No schedule mode: {scenario.unscheduled}. Its minimal counterexamples "
                  f"are searched by `pytest tests/test_{scenario.name}.py`; see the README.", ""]
    lines += ["**What the tutorial gets wrong, and why the fix works.** " + scenario.lesson, "",
              ""]
    return steady("\n".join(lines)), picture


def _verdicts(scenario: registry.Scenario, own: list[Verdict]) -> list[str]:
    rows = ["| variant | expected | verdict | minimal counterexample / evidence |",
            "|---|---|---|---|"]
    rows += [f"| `{v.variant}` | {v.expected} | {v.verdict} | {v.evidence} |" for v in own]
    rows.append("")
    for verdict in own:
        if verdict.broken is None:
            continue
        variant = scenario.variant(verdict.variant)
        drawn = verdict.broken
        rows += [f"### `{variant.name}`: {variant.description}", "",
                 f"Breaks with {verdict.evidence}:", "", "```",
                 *lanes(drawn.result, drawn.violations, moment=drawn.moment), "```", ""]
    return rows
