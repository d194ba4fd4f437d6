"""The floor the scheduled benchmark holds a run against is the program's own work:
the ticket office's real code, run to its end, or the benchmark says it was not."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import scheduled
from sut.scenarios import ticket


def test_the_floor_runs_the_ticket_office_until_it_sold_out(start_method: str) -> None:
    assert scheduled.least(start_method) > 0


def _sells_nothing(db: Path, count: int, probe: object) -> None:
    pass


def test_the_floor_fails_when_the_program_left_its_work_undone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticket, "write_atomic", _sells_nothing)  # a forked buyer calls it
    with pytest.raises(AssertionError, match="left 2 tickets, its buyers exited \\[0, 0\\]"):
        scheduled.least("fork")


def test_the_harness_own_cost_is_a_whole_scheduled_run(start_method: str) -> None:
    assert scheduled.lock_once(start_method) > 0


def _takes_nothing(probe: object, lock: object) -> None:
    pass


def test_the_harness_own_cost_fails_when_its_workers_did_not_take_the_lock(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduled, "_lock_once", _takes_nothing)
    with pytest.raises(AssertionError, match="did not"):
        scheduled.lock_once("fork")
