"""``python -m sut explore``: run every interleaving of a small configuration, and count
the ones that break an invariant."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

from sut.cli import common
from sut.cli.running import chosen, report, result_json
from sut.drive.ahead import default_jobs
from sut.drive.explore import MAX_RUNS, Exploration
from sut.drive.hunt import unscheduled
from sut.engine.coordinator import format_schedule
from sut.engine.params import describe_params
from sut.report.prove import interleavings

# The most interleavings `--max-runs` may ask for: at a few runs a second, days.
MOST_RUNS = 1_000_000
# The most runs `--jobs` may make at once (each is a process and its workers).
MOST_JOBS = 64


class _Progress:
    """``explored 120 interleavings, 35 waiting`` on a terminal's stderr, twice a second."""

    def __init__(self) -> None:
        self._shown = 0.0
        self._live = sys.stderr.isatty()

    def __call__(self, runs: int, left: int) -> None:
        if self._live and time.monotonic() - self._shown > 0.5:
            self._shown = time.monotonic()
            print(f"\rexplored {runs} interleavings, {left} waiting ",
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live and self._shown:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)


def _options(command: argparse.ArgumentParser) -> None:
    common.configuration_options(
        command, params="scenario parameters; keep them small (2-3 workers)")
    command.add_argument("--max-runs", type=common.whole("--max-runs", low=1, high=MOST_RUNS),
                         default=MAX_RUNS, help=f"stop after this many interleavings, at most "
                                                f"{MOST_RUNS} (default: %(default)s)")
    command.add_argument("--jobs", type=common.whole("--jobs", low=1, high=MOST_JOBS),
                         default=min(default_jobs(), MOST_JOBS),
                         help=f"runs made at once, 1 to {MOST_JOBS}; the same interleavings "
                              "are explored and counted whatever it is (default: two per "
                              "core this process may use, %(default)s here)")
    common.json_option(command)


def _explore(args: argparse.Namespace) -> int:
    scenario, variant, params = chosen(args)
    why_not = unscheduled(scenario)
    if why_not is not None:
        raise common.UsageError(f"{scenario.name} cannot be explored: {why_not}")
    progress = _Progress()
    began = time.monotonic()
    exploration = interleavings(scenario, variant.name, params, start_method=args.start_method,
                                timeout=args.timeout, max_runs=args.max_runs,
                                progress=progress, jobs=args.jobs)
    progress.done()
    took = time.monotonic() - began
    if args.json:
        document: dict[str, Any] = {
            "scenario": scenario.name, "variant": variant.name,
            "params": dataclasses.asdict(params), "start_method": args.start_method,
            "runs": exploration.runs, "violating": exploration.violating,
            "complete": exploration.complete, "seconds": round(took, 3),
            "unpruned": exploration.unpruned, "assumed": list(exploration.assumed),
            "first": result_json(*exploration.first) if exploration.first else None}
        common.emit(json.dumps(document, ensure_ascii=False))
    else:
        common.emit(_exploration_report(exploration, args.scenario, variant.name, params,
                                        args.start_method, took))
    return common.exit_code(bool(exploration.violating))


def _exploration_report(exploration: Exploration, spelled: str, variant: str, params: Any,
                        start_method: str, took: float) -> str:
    what = f"{spelled} --variant {variant} {describe_params(params)}".rstrip()
    scope = "every interleaving" if exploration.complete else (
        f"stopped at --max-runs {exploration.runs}; more interleavings remain")
    lines = [f"explored {exploration.runs} interleavings of {what} [{start_method}] "
             f"in {took:.1f} s ({scope}): {exploration.violating} violate"]
    if exploration.unpruned:
        lines.append(f"no state was taken for another: {exploration.unpruned}")
    if exploration.first is None:
        lines.append("HELD: every invariant held in every interleaving explored")
        lines += [f"assumed: {assumption}" for assumption in exploration.assumed]
    else:
        result, violations = exploration.first
        lines += [f"first violating schedule: {format_schedule(result.schedule or ())}", "",
                  report(result, violations, params, spelled)]
    return "\n".join(lines)


EXPLORE = common.Command("explore", "run every interleaving of a small configuration and "
                                    "count violations", _options, _explore, takes_params=True)
