"""``python -m sut demo``: see every race, and every fix holding.

For each scenario with a schedule mode, every broken variant's minimal
counterexample is searched (its small configurations explored smallest
first, in every interleaving, until one breaks: the same answer every time;
see :mod:`sut.drive.smallest`) and drawn as lanes, one per process, ending
on what went wrong. Each correct variant is then run in every interleaving
of each configuration its broken siblings broke in.

A scenario with no schedule mode (the chat) declares searches instead, one
per bug, over inputs with nothing left to timing; each minimum is drawn
side by side, each process in its own order. Its correct variants are run on
every input a broken sibling broke on, and on inputs drawn from the whole
space. A summary table ends the show.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis.errors import NoSuchExample

from sut.drive import catalogue
from sut.drive.hunt import Found, Target, hunt, scheduled, targets, unhuntable, whole_space
from sut.drive.minimal import minimal
from sut.engine.coordinator import format_schedule
from sut.engine.params import describe_params
from sut.engine.result import Result, Violation
from sut.engine.scenario import Scenario, Variant
from sut.engine.words import amount
from sut.report.lanes import breaking_moment, lanes, side_by_side
from sut.report.picture import Drawing
from sut.report.prove import interleavings

# Inputs drawn from a searched scenario's whole space for its correct variants.
DRAWN_INPUTS = 25

Run = tuple[Result, list[Violation]]


@dataclass(frozen=True)
class Verdict:
    """One row of the summary, and the run that broke, if one did."""

    scenario: str
    variant: str
    expected: str
    verdict: str
    evidence: str
    broken: Drawing | None = None  # the breaking run, its violations and moment
    why: str = ""  # why it breaks there, when a search says
    smallest: str = ""  # how the configuration was checked to be the smallest, if it was

    @property
    def as_expected(self) -> bool:
        return self.expected == self.verdict


@dataclass(frozen=True)
class _Stage:
    """Where the show runs and speaks: the start method, the story (``say``) and the
    progress notes beside it."""

    start_method: str
    say: Callable[[str], None]
    progress: Callable[[str], None]

    def hunt(self, scenario: Scenario) -> Iterable[Found]:
        """The searches for ``scenario``'s broken variants, each announced as it starts."""
        return hunt(targets([scenario]), start_method=self.start_method,
                    starting=lambda target: self.progress(_searching(target)))

    def runner(self, scenario: Scenario, variant: Variant) -> Callable[[Any], Run]:
        """``run(params)``: ``variant`` run once on ``params`` and checked."""
        return lambda params: scenario.evaluate(params, variant.name,
                                                start_method=self.start_method)


def configuration(params: Any) -> str:
    """The parameters that matter in schedule mode (not jitter)."""
    return " ".join(pair for pair in describe_params(params).split() if
                    not pair.startswith("jitter="))


def _searching(target: Target) -> str:
    what = ("its smallest race" if target.space is None
            else f"the smallest input that breaks {target.named}")
    return f"{target.scenario.name}: searching {target.variant.name} for {what} ..."


def _expecting(scenario: Scenario, verdict: str) -> list[Variant]:
    """``scenario``'s variants expected to get ``verdict``: ``violates`` or ``holds``."""
    return [variant for variant in scenario.variants if variant.expected == verdict]


def _verdict(scenario: Scenario, variant: Variant, verdict: str, evidence: str,
             broken: Drawing | None = None, why: str = "", smallest: str = "") -> Verdict:
    return Verdict(scenario.name, variant.name, variant.expected, verdict, evidence, broken,
                   why, smallest)


def show(names: Sequence[str], *, start_method: str, say: Callable[[str], None],
         progress: Callable[[str], None]) -> list[Verdict]:
    """Show the scenarios called ``names`` (every one if empty; a name given twice is
    shown once, where first given); the verdicts.

    Raises:
        ValueError: an unknown scenario, or one that is neither scheduled nor searched.
    """
    chosen = [catalogue.get(name) for name in dict.fromkeys(names)] or catalogue.catalogue()
    for scenario in chosen:
        why_not = unhuntable(scenario)
        if why_not is not None:
            raise ValueError(f"{scenario.name} is not in the demo: {why_not}")
    stage = _Stage(start_method, say, progress)
    verdicts: list[Verdict] = []
    for scenario in chosen:
        say(f"== {scenario.name}: {scenario.description}")
        show_one = _show_scheduled if scheduled(scenario) else _show_searched
        verdicts += show_one(scenario, stage)
        say("")
    say(_summary(verdicts))
    return verdicts


# --- a scenario with a schedule mode ----------------------------------------

def _show_scheduled(scenario: Scenario, stage: _Stage) -> list[Verdict]:
    """Each broken variant's smallest race, drawn; each correct one explored in every
    interleaving of the configurations its siblings broke in."""
    verdicts = []
    broke_in: list[Any] = []  # the configurations a broken variant broke in
    for found in stage.hunt(scenario):
        stage.progress(f"{scenario.name}: {found.target.variant.name} broke in "
                       f"{found.seconds:.1f} s ({found.runs} runs)")
        if found.params not in broke_in:
            broke_in.append(found.params)
        verdicts.append(_race(found, stage.say))
    verdicts += [_explored(scenario, variant, broke_in, stage)
                 for variant in _expecting(scenario, "holds")]
    return verdicts


def _race(found: Found, say: Callable[[str], None]) -> Verdict:
    """A broken variant's smallest race, told as lanes, and how it was checked to be the
    smallest."""
    scenario, variant, result = found.target.scenario, found.target.variant, found.result
    where = (f"{configuration(found.params)}, schedule "
             f"{format_schedule(result.schedule or ()) or '(default)'}")
    moment = breaking_moment(result, found.violations[0].invariant, scenario.check)
    smallest = found.smallest.describe() if found.smallest is not None else ""
    told = lanes(result, found.violations, moment=moment) + ([smallest] if smallest else [])
    say(f"\n{variant.name} ({variant.description}) breaks with {where}:\n" + "\n".join(told))
    return _verdict(scenario, variant, "violates", where, Drawing(
        f"{scenario.name} {variant.name}: {where}", result, found.violations, moment),
        smallest=smallest)


def _explored(scenario: Scenario, variant: Variant, broke_in: list[Any],
              stage: _Stage) -> Verdict:
    """A correct variant run in every interleaving of each configuration in ``broke_in``."""
    held = []
    for params in broke_in:
        stage.progress(f"{scenario.name}: exploring {variant.name} with "
                       f"{configuration(params)}")
        exploration = interleavings(scenario, variant.name, params,
                                    start_method=stage.start_method)
        if exploration.first is not None:
            result, violations = exploration.first
            stage.say(f"\n{variant.name} BREAKS with {configuration(params)}, though it "
                      f"should hold:\n" + "\n".join(lanes(result, violations)))
            return _verdict(scenario, variant, "violates", f"{configuration(params)}, "
                            f"schedule {format_schedule(result.schedule or ())}")
        every = (f"all {exploration.runs} interleavings" if exploration.runs > 1
                 else "the only interleaving")
        assuming = "".join(f", assuming {assumption}" for assumption in exploration.assumed)
        held.append(f"{every} of {configuration(params)}{assuming}")
    stage.say(f"\n{variant.name} ({variant.description}) holds in " + "; in ".join(held) + ".")
    return _verdict(scenario, variant, "holds", "; ".join(held))


# --- a scenario searched for one bug at a time ------------------------------

def _show_searched(scenario: Scenario, stage: _Stage) -> list[Verdict]:
    """Each broken variant's smallest input per bug, drawn side by side; each correct
    one run on every input its siblings broke on, and on drawn ones."""
    verdicts = []
    broke_on: list[Any] = []  # the inputs a broken variant broke on
    searched = itertools.groupby(stage.hunt(scenario), key=lambda found: found.target.variant)
    for _, found in searched:
        for params, bugs in _by_input(found, stage.progress).items():
            broke_on.append(params)
            verdicts.append(_bug(bugs, stage.say))
    breakers = " and ".join(variant.name for variant in _expecting(scenario, "violates"))
    verdicts += [_tried(scenario, variant, broke_on, breakers, stage)
                 for variant in _expecting(scenario, "holds")]
    return verdicts


def _by_input(searched: Iterable[Found],
              progress: Callable[[str], None]) -> dict[Any, list[Found]]:
    """A variant's searches by the input each ended on: one input, several bugs."""
    by_input: dict[Any, list[Found]] = {}
    for found in searched:
        progress(f"{found.target.scenario.name}: {found.target.variant.name} broke "
                 f"{found.target.named} in {found.seconds:.1f} s")
        by_input.setdefault(found.params, []).append(found)
    return by_input


def _bug(bugs: list[Found], say: Callable[[str], None]) -> Verdict:
    """The bugs a broken variant shows on one input, drawn side by side (the first
    search's run)."""
    first = bugs[0]
    scenario, variant, why = first.target.scenario, first.target.variant, first.target.why
    what = (f"{' and '.join(found.target.named for found in bugs)}, with "
            f"{configuration(first.params)}")
    say(f"\n{variant.name} ({variant.description}) breaks {what}.\nWhy: {why}\n"
        + "\n".join(side_by_side(first.result, first.violations)))
    return _verdict(scenario, variant, "violates", what, Drawing(
        f"{scenario.name} {variant.name} breaks {what}", first.result, first.violations,
        ordered=False), why)


def _tried(scenario: Scenario, variant: Variant, broke_on: list[Any], breakers: str,
           stage: _Stage) -> Verdict:
    """A correct variant run on every input in ``broke_on``, then on drawn ones."""
    stage.progress(f"{scenario.name}: running {variant.name} on every input {breakers} "
                   f"broke on, and on {DRAWN_INPUTS} drawn ones")
    run = stage.runner(scenario, variant)
    drawn: list[Any] = []  # every input drawn, as it is run
    broken = next((verdict for verdict in map(run, broke_on) if verdict[1]), None)
    if broken is None:
        broken = _drawn_break(scenario, run, drawn)
    if broken is not None:
        result, violations = broken
        stage.say(f"\n{variant.name} BREAKS, though it should hold:\n"
                  + "\n".join(side_by_side(result, violations)))
        return _verdict(scenario, variant, "violates",
                        f"{violations[0].invariant}: {violations[0].detail}")
    held = (f"the {amount(len(broke_on), 'input')} {breakers} broke on, "
            f"and {len(drawn)} drawn from the whole space")
    stage.say(f"\n{variant.name} ({variant.description}) holds on {held}.")
    return _verdict(scenario, variant, "holds", held)


def _drawn_break(scenario: Scenario, run: Callable[[Any], Run], drawn: list[Any]) -> Run | None:
    """A run that breaks among :data:`DRAWN_INPUTS` inputs drawn from ``scenario``'s whole
    space (each one kept in ``drawn``), or None."""
    def draw(params: Any) -> Run:
        drawn.append(params)
        return run(params)

    try:
        _, result, violations = minimal(draw, whole_space(scenario), max_examples=DRAWN_INPUTS)
    except NoSuchExample:
        return None
    return result, violations


def _summary(verdicts: list[Verdict]) -> str:
    rows = [("scenario", "variant", "expected", "verdict", "counterexample / evidence")]
    rows += [(v.scenario, v.variant, v.expected,
              v.verdict if v.as_expected else f"{v.verdict} (!)", v.evidence) for v in verdicts]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[4] for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths) + "  " + "-" * 25)
    return "\n".join(lines)
