"""Exhaustive exploration over hand-made runs: what it prunes, and when it must not."""

from __future__ import annotations

from sut.drive.explore import explore
from sut.engine import Result, Violation, WorkerOutcome
from sut.engine.coordinator import Step
from sut.engine.model import Op


def _run(schedule: tuple[int, ...], *, unseen: str = "",
         state: int | None = 7) -> tuple[Result, list[Violation]]:
    """Two workers, two decisions; every state looks the same to the fingerprint."""
    workers = ("a", "b")
    taken = [workers[entry] for entry in schedule] + ["a", "a"]
    steps = tuple(Step(worker, Op(worker, "point", "x"), "go", workers, worker == "a", state, 0)
                  for worker in taken[:2])
    outcomes = tuple(WorkerOutcome(name, "ok", 0) for name in workers)
    return Result("fake", "v", {}, "fork", 0, (), outcomes, steps=steps,
                  schedule=schedule, unseen=unseen), []


def test_equal_fingerprints_are_visited_once() -> None:
    exploration = explore(_run)
    assert (exploration.runs, exploration.complete, exploration.unpruned) == (2, True, "")


def test_runs_sharing_what_the_schedule_cannot_see_are_not_pruned() -> None:
    exploration = explore(lambda schedule: _run(schedule, unseen="a was handed a Lock"))
    assert (exploration.runs, exploration.unpruned) == (4, "a was handed a Lock")
    assert exploration.runs == explore(_run, cache=False).runs


def test_runs_without_fingerprints_are_not_pruned() -> None:
    exploration = explore(lambda schedule: _run(schedule, state=None))
    assert exploration.runs == explore(_run, cache=False).runs
    assert exploration.unpruned.startswith("a run took no fingerprints of its states")
