"""Stress: rerun one configuration, tally each outcome, tell acceptable from forbidden."""

from __future__ import annotations

import pytest

from sut.cli import main
from sut.drive.stress import Finding, Histogram, report, stress
from sut.engine import Violation
from sut.scenarios.ticket import Params
from tests import handmade


def _fake(broken_on: dict[int, list[str]]):  # seed -> invariants that run broke
    def evaluate(seed: int):
        run = handmade.result("ticket", Params(buyers=1, tickets=1), [])
        return run, [Violation(name, f"{name} at seed {seed}")
                     for name in broken_on.get(seed, [])]
    return evaluate


def test_runs_are_tallied_by_the_invariants_they_broke_most_frequent_first() -> None:
    histogram = stress(_fake({1: ["b", "a"], 3: ["a", "b"], 4: ["c"]}), runs=5)
    assert [(t.finding.broken, t.count, t.first_seed, t.evidence)
            for t in histogram.tallies()] == [
        ((), 2, 0, ""), (("a", "b"), 2, 1, "b at seed 1"), (("c",), 1, 4, "c at seed 4")]
    assert (histogram.runs, histogram.forbidden, histogram.interrupted) == (5, 3, False)
    assert Finding(()).acceptable
    assert not Finding(("a",)).acceptable


def test_the_report_gives_count_share_verdict_and_how_to_rerun_the_first_forbidden() -> None:
    histogram = Histogram(seconds=2.0)
    for seed, broken in enumerate([[], ["no-oversell"], [], []]):
        histogram.add(seed + 10, [Violation(name, "sold 2 of 1") for name in broken])
    assert report(histogram, what="ticket --variant unlocked", replay="python -m sut run x") == (
        "stressed ticket --variant unlocked: 4 runs in 2.0 s (500 ms a run)\n"
        "count  share  verdict     outcome               first seen\n"
        "    3  75.0%  acceptable  every invariant held  seed 10\n"
        "    1  25.0%  forbidden   broke no-oversell     seed 11: sold 2 of 1\n"
        "rerun the first forbidden outcome (its seed fixes the jitter, not the OS scheduler): "
        "python -m sut run x --seed 11")


def test_a_stress_loop_looking_for_a_bug_stops_at_the_first_forbidden_run() -> None:
    histogram = stress(_fake({2: ["a"], 3: ["a"]}), runs=10, until_forbidden=True)
    assert (histogram.runs, histogram.forbidden) == (3, 1)
    assert stress(_fake({}), runs=10, seconds=0.0).runs == 1  # out of time after one run


def test_seeds_count_up_from_the_first_and_ctrl_c_keeps_what_was_gathered() -> None:
    seen: list[int] = []

    def evaluate(seed: int):
        if len(seen) == 3:
            raise KeyboardInterrupt
        seen.append(seed)
        return _fake({})(seed)

    histogram = stress(evaluate, runs=10, first_seed=7)
    assert seen == [7, 8, 9]
    assert (histogram.runs, histogram.interrupted) == (3, True)
    with pytest.raises(ValueError, match="runs must be >= 1, got 0"):
        stress(evaluate, runs=0)


@pytest.mark.parametrize(("args", "error"), [
    (["--runs", "0"], "--runs must be >= 1, got 0"),
    (["--timeout", "0"], "--timeout must be > 0 seconds, got 0"),
    (["people=x"], "people"),
])
def test_stress_command_rejects_bad_input_in_one_line(args: list[str], error: str,
                                                      capsys) -> None:
    assert main(["stress", "ktv", "--variant", "semaphore", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sut: error: ")
    assert error in err
    assert err.count("\n") == 1
