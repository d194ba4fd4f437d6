"""``python -m sut stress``: rerun one configuration many times under the real scheduler
and count each outcome (the tutorial's way to look for a race)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any

from sut.cli import common
from sut.cli.running import chosen
from sut.drive.stress import Histogram, report, stress
from sut.engine.params import describe_params
from sut.report.prove import run_command

# How many runs `stress` makes unless told, and at most (at a few runs a second, a day).
STRESS_RUNS = 100
MOST_RUNS = 100_000


class _Bar:
    """``[#######.......]  120/200 runs, 18 forbidden`` on a terminal's stderr."""

    WIDTH = 30

    def __init__(self, total: int) -> None:
        self._total = total
        self._shown = 0.0
        self._live = sys.stderr.isatty()

    def __call__(self, histogram: Histogram) -> None:
        if self._live and (time.monotonic() - self._shown > 0.1
                           or histogram.runs == self._total):
            self._shown = time.monotonic()
            filled = self.WIDTH * histogram.runs // self._total
            print(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {histogram.runs}/"
                  f"{self._total} runs, {histogram.forbidden} forbidden ",
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live and self._shown:
            print("\r" + " " * (self.WIDTH + 50) + "\r", end="", file=sys.stderr, flush=True)


def _options(command: argparse.ArgumentParser) -> None:
    common.configuration_options(command)
    command.add_argument("--runs", type=common.whole("--runs", low=1, high=MOST_RUNS),
                         default=STRESS_RUNS,
                         help=f"how many runs, at most {MOST_RUNS} (default: %(default)s)")
    common.seed_option(command, "the first run's jitter seed; each run takes the next")
    common.json_option(command)


def _histogram_json(histogram: Histogram) -> dict[str, Any]:
    return {"runs": histogram.runs, "seconds": round(histogram.seconds, 3),
            "interrupted": histogram.interrupted,
            "outcomes": [{"broken": list(tally.finding.broken),
                          "acceptable": tally.finding.acceptable, "count": tally.count,
                          "frequency": round(tally.count / histogram.runs, 4),
                          "first_seed": tally.first_seed, "evidence": tally.evidence}
                         for tally in histogram.tallies()]}


def _stress(args: argparse.Namespace) -> int:
    scenario, variant, params = chosen(args)
    if args.seed + args.runs - 1 > common.MAX_SEED:  # the last run's seed is printed as --seed
        raise common.UsageError(f"--seed {args.seed} with --runs {args.runs} goes past the last "
                                f"seed, {common.MAX_SEED}")
    bar = _Bar(args.runs)
    histogram = stress(
        lambda seed: scenario.evaluate(params, variant.name, start_method=args.start_method,
                                       seed=seed, timeout=args.timeout),
        runs=args.runs, first_seed=args.seed, progress=bar)
    bar.done()
    if args.json:
        common.emit(json.dumps({
            "scenario": scenario.name, "variant": variant.name,
            "params": dataclasses.asdict(params), "start_method": args.start_method,
            **_histogram_json(histogram)}, ensure_ascii=False))
    else:
        what = (f"{scenario.name} --variant {variant.name} {describe_params(params)}".rstrip()
                + f" [{args.start_method}]")
        common.emit(report(histogram, what=what, replay=run_command(
            args.scenario, variant.name, params, args.start_method)))
    return common.exit_code(bool(histogram.forbidden), interrupted=histogram.interrupted)


STRESS = common.Command("stress", "rerun one configuration many times under the real scheduler "
                                  "and count each outcome (the tutorial's way to look for a race)",
                        _options, _stress, takes_params=True)
