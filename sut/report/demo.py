"""``python -m sut demo``: see every race, and every fix holding.

For each scenario with a schedule mode, every broken variant's minimal
counterexample is searched (a Hypothesis search over small configurations
and schedules, derandomized: the same answer every time) and drawn as lanes,
one per process, ending on what went wrong. Each correct variant is then run
in every interleaving of each configuration its broken siblings broke in.

A scenario with no schedule mode (the chat) declares searches instead, one
per bug, over inputs with nothing left to timing; each minimum is drawn
side by side, each process in its own order. Its correct variants are run on
every input a broken sibling broke on, and on inputs drawn from the whole
space. A summary table ends the show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sut.drive import catalogue
from sut.drive.explore import explore
from sut.drive.strategies import small_configs
from sut.engine.coordinator import format_schedule
from sut.engine.invariants import amount
from sut.engine.params import describe_params
from sut.engine.probe import Scheduled
from sut.engine.result import Result, Violation
from sut.engine.scenario import Scenario
from sut.report.lanes import breaking_moment, lanes, side_by_side
from sut.report.picture import Drawing

# What a search draws (as the tests do): schedules naming 3 workers, covering 20 decisions.
SEARCH_WORKERS, SEARCH_DECISIONS = 3, 20
# Inputs drawn from a searched scenario's whole space for its correct variants.
DRAWN_INPUTS = 25


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

    @property
    def as_expected(self) -> bool:
        return self.expected == self.verdict


def _configuration(params: Any) -> str:
    """The parameters that matter in schedule mode (not jitter)."""
    return " ".join(pair for pair in describe_params(params).split() if
                    not pair.startswith("jitter="))


def show(names: Sequence[str], *, start_method: str, say: Callable[[str], None],
         progress: Callable[[str], None]) -> list[Verdict]:
    """Show the scenarios called ``names`` (every one if empty); the verdicts.

    Raises:
        ValueError: an unknown scenario, or one that is neither scheduled nor searched.
    """
    chosen = [catalogue.get(name) for name in names] or catalogue.catalogue()
    for scenario in chosen:
        if not scenario.schedulable and not scenario.searches:
            raise ValueError(f"{scenario.name} is not in the demo: {scenario.unscheduled}")
    verdicts: list[Verdict] = []
    for scenario in chosen:
        show_one = _show_scheduled if scenario.schedulable else _show_searched
        verdicts += show_one(scenario, start_method, say, progress)
    say(_summary(verdicts))
    return verdicts


def _show_scheduled(scenario: Scenario, start_method: str, say: Callable[[str], None],
              progress: Callable[[str], None]) -> list[Verdict]:
    from sut.drive.minimal import minimal_schedule  # Hypothesis: only when searching

    say(f"== {scenario.name}: {scenario.description}")
    verdicts = []
    broke_in: list[Any] = []  # the configurations a broken variant broke in
    for variant in [v for v in scenario.variants if v.expected == "violates"]:
        progress(f"{scenario.name}: searching {variant.name} for its smallest race ...")
        runs = 0

        def evaluate(params: Any, schedule: Scheduled, variant: str = variant.name,
                     ) -> tuple[Result, list[Violation]]:
            nonlocal runs
            runs += 1
            return scenario.evaluate(params, variant, start_method=start_method,
                                     schedule=schedule)

        began = time.monotonic()
        params, result, violations = minimal_schedule(
            evaluate, small_configs(scenario), invariants=variant.shows or None,
            workers=SEARCH_WORKERS, decisions=SEARCH_DECISIONS)
        progress(f"{scenario.name}: {variant.name} broke in {time.monotonic() - began:.1f} s "
                 f"({runs} runs)")
        if params not in broke_in:
            broke_in.append(params)
        schedule = format_schedule(result.schedule or ()) or "(default)"
        moment = breaking_moment(result, violations[0].invariant, scenario.check)
        say(f"\n{variant.name} ({variant.description}) breaks with {_configuration(params)}, "
            f"schedule {schedule}:\n" + "\n".join(lanes(result, violations, moment=moment)))
        verdicts.append(Verdict(
            scenario.name, variant.name, variant.expected, "violates",
            f"{_configuration(params)}, schedule {schedule}",
            Drawing(f"{scenario.name} {variant.name}: {_configuration(params)}, "
                    f"schedule {schedule}", result, violations, moment)))
    for variant in [v for v in scenario.variants if v.expected == "holds"]:
        held = []
        for params in broke_in:
            progress(f"{scenario.name}: exploring {variant.name} with {_configuration(params)}")

            def run(schedule: tuple[int, ...], variant: str = variant.name, params: Any = params,
                    ) -> tuple[Result, list[Violation]]:
                return scenario.evaluate(params, variant, start_method=start_method,
                                         schedule=schedule)

            exploration = explore(run)
            if exploration.first is not None:
                result, violations = exploration.first
                say(f"\n{variant.name} BREAKS with {_configuration(params)}, though it should "
                    f"hold:\n" + "\n".join(lanes(result, violations)))
                verdicts.append(Verdict(scenario.name, variant.name, variant.expected,
                                        "violates", f"{_configuration(params)}, schedule "
                                        f"{format_schedule(result.schedule or ())}"))
                break
            every = (f"all {exploration.runs} interleavings" if exploration.runs > 1
                     else "the only interleaving")
            held.append(f"{every} of {_configuration(params)}")
        else:
            say(f"\n{variant.name} ({variant.description}) holds in "
                + "; in ".join(held) + ".")
            verdicts.append(Verdict(scenario.name, variant.name, variant.expected, "holds",
                                    "; ".join(held)))
    say("")
    return verdicts


def _show_searched(scenario: Scenario, start_method: str, say: Callable[[str], None],
                   progress: Callable[[str], None]) -> list[Verdict]:
    from hypothesis.errors import NoSuchExample  # Hypothesis: only when searching

    from sut.drive.minimal import minimal

    searches = catalogue.searches(scenario)
    say(f"== {scenario.name}: {scenario.description}")
    verdicts = []
    broke_on: list[Any] = []  # the inputs a broken variant broke on
    breakers = [v.name for v in scenario.variants if v.expected == "violates"]
    for variant in [v for v in scenario.variants if v.expected == "violates"]:
        def run(params: Any, variant: str = variant.name) -> tuple[Result, list[Violation]]:
            return scenario.evaluate(params, variant, start_method=start_method)

        found: dict[Any, tuple[list[str], str, Result, list[Violation]]] = {}
        for search in searches.breaking:
            progress(f"{scenario.name}: searching {variant.name} for the smallest input that "
                     f"breaks {search.invariant} ...")
            began = time.monotonic()
            params, result, violations = minimal(run, search.space,
                                                 invariants={search.invariant})
            progress(f"{scenario.name}: {variant.name} broke {search.invariant} in "
                     f"{time.monotonic() - began:.1f} s")
            if params in found:  # one input, several bugs
                found[params][0].append(search.invariant)
            else:
                found[params] = ([search.invariant], search.why, result, violations)
        for params, (invariants, why, result, violations) in found.items():
            broke_on.append(params)
            what = f"{' and '.join(invariants)}, with {_configuration(params)}"
            say(f"\n{variant.name} ({variant.description}) breaks {what}.\nWhy: {why}\n"
                + "\n".join(side_by_side(result, violations)))
            verdicts.append(Verdict(
                scenario.name, variant.name, variant.expected, "violates", what,
                Drawing(f"{scenario.name} {variant.name} breaks {what}", result, violations,
                        ordered=False), why))
    for variant in [v for v in scenario.variants if v.expected == "holds"]:
        progress(f"{scenario.name}: running {variant.name} on every input "
                 f"{' and '.join(breakers)} broke on, and on {DRAWN_INPUTS} drawn ones")
        drawn = 0

        def evaluate(params: Any, variant: str = variant.name,
                     ) -> tuple[Result, list[Violation]]:
            return scenario.evaluate(params, variant, start_method=start_method)

        def draw(params: Any) -> tuple[Result, list[Violation]]:
            nonlocal drawn
            drawn += 1
            return evaluate(params)

        broken = next((run for run in map(evaluate, broke_on) if run[1]), None)
        if broken is None:
            try:
                _, result, violations = minimal(draw, searches.anything,
                                                max_examples=DRAWN_INPUTS)
                broken = result, violations
            except NoSuchExample:
                pass
        if broken is not None:
            result, violations = broken
            say(f"\n{variant.name} BREAKS, though it should hold:\n"
                + "\n".join(side_by_side(result, violations)))
            verdicts.append(Verdict(scenario.name, variant.name, variant.expected, "violates",
                                    f"{violations[0].invariant}: {violations[0].detail}"))
            continue
        held = (f"the {amount(len(broke_on), 'input')} {' and '.join(breakers)} broke on, "
                f"and {drawn} drawn from the whole space")
        say(f"\n{variant.name} ({variant.description}) holds on {held}.")
        verdicts.append(Verdict(scenario.name, variant.name, variant.expected, "holds", held))
    say("")
    return verdicts


def _summary(verdicts: list[Verdict]) -> str:
    rows = [("scenario", "variant", "expected", "verdict", "counterexample / evidence")]
    rows += [(v.scenario, v.variant, v.expected,
              v.verdict if v.as_expected else f"{v.verdict} (!)", v.evidence) for v in verdicts]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[4] for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths) + "  " + "-" * 25)
    return "\n".join(lines)
