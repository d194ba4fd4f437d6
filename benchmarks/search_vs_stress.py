"""The suite's search against the tutorial's way: rerun the program and hope.

For every broken variant, side by side in one run:

- the search the demo makes (``python -m sut demo``): a derandomized
  Hypothesis search over small configurations and schedules (or, for the
  chat, over its clients' scripts) - its time, its runs, and the minimal
  configuration it ends on, with a schedule that replays it every time;
- a plain stress loop, as the tutorial would find the bug: run the program
  (no jitter - the tutorial has none) under the real OS scheduler again and
  again until one run breaks an invariant, or ``--runs`` runs have held, or
  ``--seconds`` have passed. Once on the scenario's default configuration -
  what a user would run - and once on the minimal configuration the search
  found (told where to look). Its first bad run is neither minimal nor
  replayable: the OS scheduler chose it.

    python -m benchmarks.search_vs_stress [--runs 500] [--seconds 30] [--start-method fork]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Iterator
from typing import Any

STRESS_RUNS = 500
STRESS_SECONDS = 30.0
# A stress run that hangs (a consumer waiting for a sentinel that never
# comes) is called a hang after this long: what a patient user would wait.
STRESS_TIMEOUT = 2.0


@dataclasses.dataclass(frozen=True)
class Found:
    """What one search found, and what it cost."""

    scenario: str
    variant: str
    breaks: str
    params: Any
    runs: int
    seconds: float


def searches(start_method: str) -> Iterator[Found]:
    """Every search the demo makes, timed."""
    import sut
    from sut.drive import catalogue
    from sut.drive.minimal import minimal, minimal_schedule
    from sut.drive.strategies import small_configs
    from sut.engine import Result, Schedule, Violation
    from sut.engine.scenario import Scenario
    from sut.report.demo import SEARCH_DECISIONS, SEARCH_WORKERS

    for scenario in sut.catalogue():
        for variant in [v for v in scenario.variants if v.expected == "violates"]:
            runs = 0

            def scheduled(params: Any, schedule: Schedule, scenario: Scenario = scenario,
                          variant: str = variant.name) -> tuple[Result, list[Violation]]:
                nonlocal runs
                runs += 1
                return scenario.evaluate(params, variant, start_method=start_method,
                                         schedule=schedule)

            def scripted(params: Any, scenario: Scenario = scenario,
                         variant: str = variant.name) -> tuple[Result, list[Violation]]:
                nonlocal runs
                runs += 1
                return scenario.evaluate(params, variant, start_method=start_method)

            if scenario.schedulable:
                runs, began = 0, time.monotonic()
                params, _, violations = minimal_schedule(
                    scheduled, small_configs(scenario), invariants=variant.shows or None,
                    workers=SEARCH_WORKERS, decisions=SEARCH_DECISIONS)
                yield Found(scenario.name, variant.name, violations[0].invariant, params, runs,
                            time.monotonic() - began)
                continue
            for search in catalogue.searches(scenario).breaking:
                runs, began = 0, time.monotonic()
                params, _, _ = minimal(scripted, search.space, invariants={search.invariant})
                yield Found(scenario.name, variant.name, search.invariant, params, runs,
                            time.monotonic() - began)


def stress_loop(found: Found, params: Any, start_method: str, runs: int,
                seconds: float) -> str:
    """``12 runs, 0.31 s``: how long a stress loop on ``params`` took to its first bad
    outcome, or ``none in 500 runs, 30.0 s``."""
    import sut
    from sut.drive.stress import stress
    from sut.engine.invariants import amount

    scenario = sut.get(found.scenario)
    if any(field.name == "jitter" for field in dataclasses.fields(params)):
        params = dataclasses.replace(params, jitter=0.0)
    histogram = stress(lambda seed: scenario.evaluate(params, found.variant,
                                                      start_method=start_method, seed=seed,
                                                      timeout=STRESS_TIMEOUT),
                       runs=runs, until_forbidden=True, seconds=seconds)
    tries = (amount(histogram.runs, "run") if histogram.forbidden
             else f"none in {amount(histogram.runs, 'run')}")
    return f"{tries}, {histogram.seconds:.2f} s"


def table(start_method: str, runs: int, seconds: float) -> list[str]:
    import sut
    from sut.engine.params import describe_params

    rows = ["| scenario | variant | breaks | search: runs, time | minimal configuration "
            "| stress loop, default configuration | stress loop, minimal configuration |",
            "|---|---|---|---|---|---|---|"]
    for found in searches(start_method):
        default = stress_loop(found, sut.get(found.scenario).params(), start_method, runs,
                              seconds)
        minimal = stress_loop(found, found.params, start_method, runs, seconds)
        shown = " ".join(pair for pair in describe_params(found.params).split()
                         if not pair.startswith("jitter="))
        rows.append(f"| {found.scenario} | {found.variant} | {found.breaks} | {found.runs} "
                    f"runs, {found.seconds:.2f} s | {shown} | {default} | {minimal} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=STRESS_RUNS,
                        help="most runs of a stress loop (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=STRESS_SECONDS,
                        help="most seconds of a stress loop (default: %(default)s)")
    parser.add_argument("--start-method", default="fork",
                        choices=("fork", "forkserver", "spawn"))
    args = parser.parse_args(argv)
    print("\n".join(table(args.start_method, args.runs, args.seconds)))


if __name__ == "__main__":
    main()
