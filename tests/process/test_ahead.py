"""Runs made ahead by helper processes change nothing an exploration finds: the same
runs in the same order, the same errors where they came, whatever a helper does.

The runs here are made by hand (no scenario): each test forks real helpers, and
a tree of a few hundred runs is explored in well under a second.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

import sut
from sut.drive.explore import Exploration, explore
from sut.engine import Result, Violation, WorkerOutcome
from sut.engine.coordinator import Step
from sut.engine.model import Op

WORKERS = ("a", "b", "c")
DECISIONS = 5
Run = tuple[Result, list[Violation]]


def _run(schedule: tuple[int, ...]) -> Run:
    """Three workers, five decisions, each open to all three. The state counts each
    worker's steps (so orders that did the same merge); a run breaks where c went
    three times in a row."""
    taken = [WORKERS[entry] for entry in schedule][:DECISIONS]
    taken += ["a"] * (DECISIONS - len(taken))
    steps = tuple(Step(worker, Op(worker, "point", "x"), "go", WORKERS, worker == "a",
                       hash(tuple(taken[:depth + 1].count(name) for name in WORKERS)), 0)
                  for depth, worker in enumerate(taken))
    outcomes = tuple(WorkerOutcome(name, "ok", 0) for name in WORKERS)
    broken = "".join(taken).count("ccc") > 0
    violations = [Violation("no-ccc", "c went three times in a row")] if broken else []
    return Result("fake", "v", {}, "fork", 0, (), outcomes, steps=steps,
                  schedule=schedule), violations


def _explored(evaluate: Callable[[tuple[int, ...]], Run], jobs: int,
              **options: bool) -> tuple[Exploration, list[tuple[int, int]]]:
    progress: list[tuple[int, int]] = []
    exploration = explore(evaluate, jobs=jobs,
                          progress=lambda runs, left: progress.append((runs, left)),
                          **options)
    return exploration, progress


def _in_a_helper(main: int) -> bool:
    return os.getpid() != main


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("cache", [True, False])
def test_helpers_change_nothing_the_search_finds(jobs: int, cache: bool) -> None:
    alone, alone_progress = _explored(_run, 1, cache=cache)
    helped, helped_progress = _explored(_run, jobs, cache=cache)
    assert helped == alone
    assert helped_progress == alone_progress  # the same runs, in the same order
    assert alone.violating > 0


def test_every_run_is_made_once_and_helpers_make_some(tmp_path: Path) -> None:
    made = tmp_path / "made"

    def evaluate(schedule: tuple[int, ...]) -> Run:
        with made.open("a") as log:  # one write each: the helpers' lines do not mix
            log.write(f"{os.getpid()} {schedule}\n")
        return _run(schedule)

    exploration, _ = _explored(evaluate, 3)
    lines = [line.split(" ", 1) for line in made.read_text().splitlines()]
    schedules = [schedule for _, schedule in lines]
    assert len(schedules) == len(set(schedules)) == exploration.runs
    assert len({maker for maker, _ in lines}) > 1  # this process and at least one helper


def test_the_first_violation_is_the_same_when_the_search_stops_there() -> None:
    alone, _ = _explored(_run, 1, until_first=True)
    helped, _ = _explored(_run, 2, until_first=True)
    assert helped == alone
    assert alone.first is not None
    assert alone.first[0].schedule != ()


def test_what_a_run_made_ahead_raised_is_raised_where_the_search_comes_to_it() -> None:
    def evaluate(schedule: tuple[int, ...]) -> Run:
        if schedule == (0, 0, 2):
            raise ValueError(f"no run for {schedule}")
        return _run(schedule)

    for jobs in (1, 2):
        with pytest.raises(ValueError, match=r"no run for \(0, 0, 2\)"):
            explore(evaluate, jobs=jobs)


def test_an_exception_that_cannot_travel_is_raised_by_the_run_made_here() -> None:
    class Unpicklable(Exception):
        def __init__(self) -> None:
            super().__init__("made with a lambda")
            self.why = lambda: None

    def evaluate(schedule: tuple[int, ...]) -> Run:
        if schedule == (1,):
            raise Unpicklable
        return _run(schedule)

    with pytest.raises(Unpicklable):
        explore(evaluate, jobs=2)


def test_a_helper_that_dies_is_let_go_and_its_run_made_here() -> None:
    main = os.getpid()

    def evaluate(schedule: tuple[int, ...]) -> Run:
        if _in_a_helper(main) and schedule[:1] == (2,):
            os.kill(os.getpid(), signal.SIGKILL)
        return _run(schedule)

    assert _explored(evaluate, 2) == _explored(_run, 1)


def test_a_helper_stuck_past_its_patience_is_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from sut.drive import ahead
    monkeypatch.setattr(ahead, "PATIENCE", 0.5)
    main = os.getpid()

    def evaluate(schedule: tuple[int, ...]) -> Run:
        if _in_a_helper(main) and schedule == (1,):
            time.sleep(60)
        return _run(schedule)

    began = time.monotonic()
    assert _explored(evaluate, 2) == _explored(_run, 1)
    assert time.monotonic() - began < 15


def test_jobs_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="jobs must be at least 1, got 0"):
        explore(_run, jobs=0)


def test_helpers_make_real_runs_alike_under_every_start_method(start_method: str) -> None:
    # A helper is a fork of this process whatever the start method: under forkserver
    # it starts a fork server of its own, since its parent's is not its child.
    bakery = sut.get("bakery")
    params = bakery.params(producers=1, consumers=1, buns=1)

    def evaluate(schedule: tuple[int, ...]) -> Run:
        return bakery.evaluate(params, "joinable-queue", start_method=start_method,
                               schedule=schedule)

    _, alone_path = _explored(evaluate, 1)
    helped, helped_path = _explored(evaluate, 2)
    assert helped_path == alone_path
    assert (helped.runs, helped.violating, helped.complete) == (5, 0, True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_helper_stopped_as_it_starts_ends_quietly(
        signum: int, capfd: pytest.CaptureFixture[str]) -> None:
    # A helper starts with the stops held; one sent meanwhile comes as it lets them in.
    from sut.drive.ahead import Ahead

    with Ahead(_run, helpers=1) as ahead:
        ahead.run((), [(1,)])  # the first run with a prefix waiting: the helper starts
        for helper in ahead._started:
            assert helper.process.pid is not None
            os.kill(helper.process.pid, signum)
    assert capfd.readouterr().err == ""


def test_with_few_results_allowed_to_wait_helpers_take_what_the_search_needs_soon(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sut.drive import ahead
    monkeypatch.setattr(ahead, "MOST_KEPT", 1)
    assert _explored(_run, 3) == _explored(_run, 1)
