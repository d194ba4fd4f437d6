"""Schedule mode, measured: minimal counterexamples and exhaustive exploration.

For every minimal counterexample the suite pins (tests/pinned/minima.py): the
time and the number of runs the search takes to it (under one
start method), checked to end on the pinned minimum. For every configuration
of a correct variant the suite pins: the time and the number of
interleavings to explore every one, checked against the pinned count - in
one job, and in ``explore``'s default number (two per core).
Everything runs in this one process, one after the other, so the numbers
compare with each other; print them as a Markdown table.

    python -m benchmarks.schedules [--start-method fork]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from typing import Any

import sut
from sut.drive.ahead import default_jobs
from sut.drive.explore import Exploration, explore
from sut.drive.hunt import Found, Target, hunt
from sut.engine import START_METHODS, Result, Violation, default_start_method
from sut.engine.coordinator import format_schedule
from tests.pinned.minima import EXPLORED, MINIMA, Explored, Minimum

# What a search for a minimal counterexample and an exploration of 3 participants
# should take at most: the budgets the project holds them to.
SEARCH_BUDGET = 1.0
EXPLORATION_BUDGET = 3.0


def _participants(result: Result) -> int:
    return len(result.workers) + any(step.worker == "main" for step in result.steps)


def _target(pinned: Minimum) -> Target:
    """The search that ends on ``pinned``."""
    scenario = sut.get(pinned.scenario)
    return Target(scenario, scenario.variant(pinned.variant), pinned.invariants)


def _searched(found: Found, pinned: Minimum) -> str:
    """``found``'s row, once checked against the minimum the suite pins (and replays)."""
    target, result = found.target, found.result
    if (found.params, result.schedule) != (pinned.params, pinned.schedule):
        raise AssertionError(f"{pinned.scenario} {pinned.variant}: found {found.params} "
                             f"{result.schedule}, the suite pins {pinned.params} "
                             f"{pinned.schedule}")
    return (f"| {target.scenario.name} | {target.variant.name} | {target.named} | "
            f"{found.seconds:.2f} s | {found.runs} | {_shown(found.params)} | "
            f"{format_schedule(result.schedule or ()) or '(default)'} |")


def minimal_counterexamples(start_method: str) -> list[str]:
    """The searches the suite pins, timed one by one."""
    rows = ["| scenario | variant | invariants | search time | runs | minimal configuration "
            "| schedule |", "|---|---|---|---:|---:|---|---|"]
    chosen = [_target(pinned) for pinned in MINIMA]
    seconds = []
    for found, pinned in zip(hunt(chosen, start_method=start_method), MINIMA, strict=True):
        rows.append(_searched(found, pinned))
        seconds.append(found.seconds)
        print(rows[-1], file=sys.stderr, flush=True)
    return [*rows, "", _within(seconds, SEARCH_BUDGET, "searches")]


def _within(seconds: list[float], budget: float, what: str) -> str:
    """``11 of 15 searches within 1 s (the slowest: 2.31 s)``."""
    within = sum(took <= budget for took in seconds)
    return (f"{within} of {len(seconds)} {what} within {budget:g} s (the slowest: "
            f"{max(seconds, default=0.0):.2f} s).")


def _explored(explored: Explored, start_method: str,
              jobs: int) -> tuple[str, int, tuple[float, float]]:
    """The row of one exploration, timed in one job and in ``jobs``, each checked against
    the count the suite pins; its participants; its seconds in one job and in ``jobs``."""
    scenario = sut.get(explored.scenario)

    def evaluate(schedule: tuple[int, ...]) -> tuple[Result, list[Violation]]:
        return scenario.evaluate(explored.params, explored.variant, start_method=start_method,
                                 schedule=schedule)

    took = []
    for each in (1, jobs):
        began = time.monotonic()
        exploration = explore(evaluate, jobs=each)
        took.append(time.monotonic() - began)
        _check(explored, exploration)
    participants = _participants(evaluate(())[0])
    return (f"| {explored.scenario} | {explored.variant} | {_shown(explored.params)} | "
            f"{participants} | {exploration.runs} | {took[0]:.2f} s | {took[1]:.2f} s |",
            participants, (took[0], took[1]))


def _check(explored: Explored, exploration: Exploration) -> None:
    """Say so if the exploration no longer holds, or no longer counts what the suite pins."""
    found = (exploration.runs, exploration.violating, exploration.complete)
    if found != (explored.interleavings, 0, True):
        raise AssertionError(f"{explored.scenario} {explored.variant} {explored.params}: "
                             f"explored (runs, violating, complete) = {found}, the suite "
                             f"pins ({explored.interleavings}, 0, True)")


def exhaustive(start_method: str) -> list[str]:
    """Every exploration the suite pins, timed one by one: in one job, and in ``explore``'s
    default number of jobs (two per core)."""
    jobs = default_jobs()
    rows = ["| scenario | variant | configuration | participants | interleavings | time, "
            f"1 job | time, {jobs} jobs |", "|---|---|---|---:|---:|---:|---:|"]
    alone, helped = [], []
    for explored in EXPLORED:
        row, participants, took = _explored(explored, start_method, jobs)
        rows.append(row)
        if participants == 3:
            alone.append(took[0])
            helped.append(took[1])
        print(rows[-1], file=sys.stderr, flush=True)
    return [*rows, "",
            _within(alone, EXPLORATION_BUDGET, "explorations of 3 participants in 1 job"),
            _within(helped, EXPLORATION_BUDGET,
                    f"explorations of 3 participants in {jobs} jobs")]


def _shown(params: Any) -> str:
    """``buyers=2 tickets=1 readers=0``: the parameters that matter here (not jitter)."""
    return " ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}"
                    for key, value in vars(params).items() if key != "jitter")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-method", default=default_start_method(), choices=START_METHODS)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, start method {args.start_method}\n")
    print("\n".join(minimal_counterexamples(args.start_method)) + "\n")
    print("\n".join(exhaustive(args.start_method)))


if __name__ == "__main__":
    main()
