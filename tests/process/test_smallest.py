"""The smallest configuration, checked on real runs: where the shrinker alone stops at
three processes, the walk through the small space, smallest first, finds two (issue 13)."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import pytest

from sut.drive.minimal import minimal_schedule
from sut.drive.smallest import Smallest, smallest_schedule
from sut.drive.strategies import configs
from sut.engine import Backend, Result, Run, Schedule, Violation
from tests import workers
from tests.verdicts import TEST_TIMEOUT

# Seconds of real runs each: the gate's tier (pytest -m slow); the unit tier checks the
# same search on a made-up program without processes.
pytestmark = pytest.mark.slow

LINES = 3  # each writer writes this many lines to one file, a named point before each
SPACE = {"writers": (1, 3)}


@dataclass(frozen=True)
class Writers:
    writers: int = 1


def _write(params: Writers, schedule: Schedule) -> tuple[Result, list[Violation]]:
    """A made-up program and invariant: it breaks when three writers' lines interleave at
    all, and when two writers' alternate line by line - one interleaving, which random
    schedules seldom make and no shrink of a three-writer schedule reaches."""
    backend = Backend("fork")
    with Run(backend, "writers", "made-up", asdict(params), mode=schedule,
             timeout=TEST_TIMEOUT) as run:
        path = run.workdir / "lines"
        path.touch()
        for i in range(params.writers):
            run.spawn(f"writer {i}", workers.write_lines, path, str(i), LINES)
        result = run.result()
        lines = path.read_text(encoding="utf-8").split()
    stretches = len([who for who, _ in itertools.groupby(lines)])
    broken = ((params.writers >= 3 and stretches > params.writers)
              or (params.writers == 2 and stretches == len(lines)))
    return result.with_final({"lines": lines}), (
        [Violation("grouped", f"the lines interleave: {' '.join(lines)}")] if broken else [])


def test_where_the_shrinker_stops_at_three_writers_the_smallest_search_finds_two() -> None:
    params, _, _ = minimal_schedule(_write, configs(Writers, SPACE), workers=3, decisions=20)
    assert params == Writers(3)  # a local minimum: two writers break too
    params, result, violations, smallest = smallest_schedule(
        _write, Writers, SPACE, workers=3, decisions=20)
    assert params == Writers(2)
    assert result.final["lines"] == ["0", "1"] * LINES
    assert [v.invariant for v in violations] == ["grouped"]
    assert smallest == Smallest(smaller=1, explored=1, runs=1)  # one writer: one interleaving
    replayed, _ = _write(params, Schedule(result.schedule or ()))
    assert replayed.final == result.final
