"""Schedule mode, measured: minimal counterexamples and exhaustive exploration.

For every minimal counterexample the suite pins: the time and the number of
runs the Hypothesis search takes to it (under one start method). For
every correct variant: the time and the number of interleavings to explore
every one of a configuration of 2 and of 3 participants (main counts when it
takes part). Everything runs in this one process, one after the other, so the
numbers compare with each other; print them as a Markdown table.

    python -m benchmarks.schedules [--start-method fork]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from typing import Any

import sut
from sut.drive.explore import explore
from sut.drive.minimal import minimal_schedule
from sut.drive.strategies import small_configs
from sut.engine import Result, Schedule, Violation, default_start_method
from sut.engine.coordinator import format_schedule
from sut.engine.scenario import Scenario
from sut.report.demo import SEARCH_DECISIONS, SEARCH_WORKERS
from sut.scenarios import bakery, event, ktv, pipe, printing, queue, ticket, traffic
from tests.pinned.test_schedules import MINIMA

# Correct variants: a configuration of 2 participants, then one of 3.
EXPLORED: list[tuple[str, str, Any]] = [
    ("ticket", "locked", ticket.Params(buyers=2, tickets=1)),
    ("ticket", "locked", ticket.Params(buyers=3, tickets=2)),
    ("ticket", "locked", ticket.Params(buyers=2, tickets=1, readers=1)),
    ("ktv", "semaphore", ktv.Params(people=2, rooms=1)),
    ("ktv", "semaphore", ktv.Params(people=3, rooms=2)),
    ("printing", "locked", printing.Params(workers=2)),
    ("printing", "locked", printing.Params(workers=3)),
    ("printing", "joined", printing.Params(workers=3)),
    ("bakery", "sentinel-per-consumer", bakery.Params(producers=1, consumers=1, buns=2)),
    ("bakery", "sentinel-per-consumer", bakery.Params(producers=1, consumers=2, buns=1)),
    ("bakery", "joinable-queue", bakery.Params(producers=2, consumers=1, buns=1)),
    ("pipe", "closed-ends", pipe.Params(messages=2)),
    ("traffic", "event", traffic.Params(cars=1, cycles=2)),
    ("traffic", "event", traffic.Params(cars=2, cycles=1)),
    ("queue", "one-way", queue.Params(messages=3)),
    ("queue", "two-way-two-queues", queue.Params(messages=2)),
    ("event", "event", event.Params(waiters=1, timeout=0.01)),
    ("event", "event", event.Params(waiters=2, timeout=0.01)),
]


def _participants(result: Result) -> int:
    return len(result.workers) + any(step.worker == "main" for step in result.steps)


def minimal_counterexamples(start_method: str) -> list[str]:
    """The searches the suite pins (tests/test_schedules.py), timed one by one."""
    rows = ["| scenario | variant | invariants | search time | runs | minimal configuration "
            "| schedule |", "|---|---|---|---:|---:|---|---|"]
    for name, variant, wanted, pinned_params, pinned_schedule, _ in MINIMA:
        scenario = sut.get(name)
        runs = 0

        def evaluate(params: Any, schedule: Schedule, scenario: Scenario = scenario,
                     variant: str = variant) -> tuple[Result, list[Violation]]:
            nonlocal runs
            runs += 1
            return scenario.evaluate(params, variant, start_method=start_method,
                                     schedule=schedule)

        began = time.monotonic()
        params, result, _ = minimal_schedule(evaluate, small_configs(scenario), invariants=wanted,
                                             workers=SEARCH_WORKERS, decisions=SEARCH_DECISIONS)
        took = time.monotonic() - began
        # The suite pins this minimum (and replays it); say so if the search moved.
        assert (params, result.schedule) == (pinned_params, pinned_schedule), (
            f"{name} {variant}: found {params} {result.schedule}, the suite pins "
            f"{pinned_params} {pinned_schedule}")
        rows.append(f"| {name} | {variant} | {', '.join(sorted(wanted or {'any'}))} | "
                    f"{took:.2f} s | {runs} | {_shown(params)} | "
                    f"{format_schedule(result.schedule or ()) or '(default)'} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def exhaustive(start_method: str) -> list[str]:
    rows = ["| scenario | variant | configuration | participants | interleavings | time |",
            "|---|---|---|---:|---:|---:|"]
    for name, variant, params in EXPLORED:
        scenario = sut.get(name)
        shape: list[Result] = []

        def evaluate(schedule: tuple[int, ...], scenario: Scenario = scenario,
                     variant: str = variant, params: Any = params,
                     shape: list[Result] = shape) -> tuple[Result, list[Violation]]:
            result, violations = scenario.evaluate(params, variant, start_method=start_method,
                                                   schedule=schedule)
            shape.append(result)
            return result, violations

        began = time.monotonic()
        exploration = explore(evaluate)
        took = time.monotonic() - began
        verdict = "" if exploration.violating == 0 else f" ({exploration.violating} VIOLATE)"
        rows.append(f"| {name} | {variant} | {_shown(params)} | "
                    f"{max(_participants(result) for result in shape)} | "
                    f"{exploration.runs}{verdict} | {took:.2f} s |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def _shown(params: Any) -> str:
    """``buyers=2 tickets=1 readers=0``: the parameters that matter here (not jitter)."""
    return " ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}"
                    for key, value in vars(params).items() if key != "jitter")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-method", default=default_start_method(),
                        choices=("fork", "forkserver", "spawn"))
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, start method {args.start_method}\n")
    print("\n".join(minimal_counterexamples(args.start_method)) + "\n")
    print("\n".join(exhaustive(args.start_method)))


if __name__ == "__main__":
    main()
