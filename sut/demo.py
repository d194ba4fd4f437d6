"""``python -m sut demo``: see every race, and every fix holding.

For each scenario with a schedule mode, every broken variant's minimal
counterexample is searched (a Hypothesis search over small configurations
and schedules, derandomized: the same answer every time) and drawn as lanes,
one per process, ending on what went wrong. Each correct variant is then run
in every interleaving of each configuration its broken siblings broke in. A
summary table ends the show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import registry
from .lanes import breaking_moment, lanes
from .picture import Drawing
from .runtime.params import describe_params
from .runtime.probe import Scheduled
from .runtime.result import Result, Violation
from .schedule.coordinator import format_schedule
from .schedule.explore import explore

# What a search draws (as the tests do): schedules naming 3 workers, covering 20 decisions.
SEARCH_WORKERS, SEARCH_DECISIONS = 3, 20


@dataclass(frozen=True)
class Verdict:
    """One row of the summary, and the run that broke, if one did."""

    scenario: str
    variant: str
    expected: str
    verdict: str
    evidence: str
    broken: Drawing | None = None  # the breaking run, its violations and moment

    @property
    def as_expected(self) -> bool:
        return self.expected == self.verdict


def _configuration(params: Any) -> str:
    """The parameters that matter in schedule mode (not jitter)."""
    return " ".join(pair for pair in describe_params(params).split() if
                    not pair.startswith("jitter="))


def show(names: Sequence[str], *, start_method: str, say: Callable[[str], None],
         progress: Callable[[str], None]) -> list[Verdict]:
    """Show the scenarios called ``names`` (all with a schedule mode if empty); the verdicts.

    Raises:
        ValueError: an unknown scenario, or one with no schedule mode.
    """
    chosen = [registry.get(name) for name in names] or [
        scenario for scenario in registry.catalogue() if scenario.schedulable]
    for scenario in chosen:
        if not scenario.schedulable:
            raise ValueError(f"{scenario.name} is not in the demo: {scenario.unscheduled}")
    verdicts: list[Verdict] = []
    for scenario in chosen:
        verdicts += _show_one(scenario, start_method, say, progress)
    say(_summary(verdicts))
    return verdicts


def _show_one(scenario: registry.Scenario, start_method: str, say: Callable[[str], None],
              progress: Callable[[str], None]) -> list[Verdict]:
    from .schedule.search import minimal_schedule  # Hypothesis: only when searching

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
            evaluate, scenario.small_configs(), invariants=variant.shows or None,
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


def _summary(verdicts: list[Verdict]) -> str:
    rows = [("scenario", "variant", "expected", "verdict", "counterexample / evidence")]
    rows += [(v.scenario, v.variant, v.expected,
              v.verdict if v.as_expected else f"{v.verdict} (!)", v.evidence) for v in verdicts]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[4] for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths) + "  " + "-" * 25)
    return "\n".join(lines)
