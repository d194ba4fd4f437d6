"""The suite's search against the tutorial's way: rerun the program and hope.

For every broken variant, side by side in one run:

- the search the demo makes (``python -m sut demo``): its small
  configurations explored smallest first until one breaks (or, for the
  chat, a derandomized search over its clients' scripts) - its time, its
  runs, and the minimal configuration it ends on, with a schedule that
  replays it every time;
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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sut.drive.hunt import Found

STRESS_RUNS = 500
STRESS_SECONDS = 30.0
# A stress run that hangs (a consumer waiting for a sentinel that never
# comes) is called a hang after this long: what a patient user would wait.
STRESS_TIMEOUT = 2.0


def searches(start_method: str) -> Iterator[Found]:
    """Every search the demo makes (:mod:`sut.drive.hunt`), counted and timed."""
    from sut.drive.hunt import hunt, targets

    return hunt(targets(), start_method=start_method)


def stress_loop(found: Found, params: Any, start_method: str, runs: int,
                seconds: float) -> str:
    """``12 runs, 0.31 s``: how long a stress loop on ``params`` took to its first bad
    outcome, or ``none in 500 runs, 30.0 s``."""
    from sut.drive.stress import stress
    from sut.engine.words import amount

    scenario, variant = found.target.scenario, found.target.variant.name
    if any(field.name == "jitter" for field in dataclasses.fields(params)):
        params = dataclasses.replace(params, jitter=0.0)
    histogram = stress(lambda seed: scenario.evaluate(params, variant,
                                                      start_method=start_method, seed=seed,
                                                      timeout=STRESS_TIMEOUT),
                       runs=runs, until_forbidden=True, seconds=seconds)
    tries = (amount(histogram.runs, "run") if histogram.forbidden
             else f"none in {amount(histogram.runs, 'run')}")
    return f"{tries}, {histogram.seconds:.2f} s"


def table(start_method: str, runs: int, seconds: float) -> list[str]:
    from sut.report.demo import configuration

    rows = ["| scenario | variant | breaks | search: runs, time | minimal configuration "
            "| stress loop, default configuration | stress loop, minimal configuration |",
            "|---|---|---|---|---|---|---|"]
    for found in searches(start_method):
        default = stress_loop(found, found.target.scenario.params(), start_method, runs,
                              seconds)
        minimal = stress_loop(found, found.params, start_method, runs, seconds)
        rows.append(f"| {found.target.scenario.name} | {found.target.variant.name} | "
                    f"{found.violations[0].invariant} | {found.runs} runs, "
                    f"{found.seconds:.2f} s | {configuration(found.params)} | {default} | "
                    f"{minimal} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=STRESS_RUNS,
                        help="most runs of a stress loop (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=STRESS_SECONDS,
                        help="most seconds of a stress loop (default: %(default)s)")
    from sut.engine import START_METHODS

    parser.add_argument("--start-method", default="fork", choices=START_METHODS)
    args = parser.parse_args(argv)
    print("\n".join(table(args.start_method, args.runs, args.seconds)))


if __name__ == "__main__":
    main()
