"""A program's own timeouts are choices of the schedule; the harness's and assumed ones are not.

Under load any process can be slower than any timeout, so a wait with a
timeout of the program's may give up at any decision of a schedule. The
asker of tests/programs.py waits half a second for a reply: long enough on
a quiet machine, so jitter finds its failure only by luck, and the default
schedule never (it lets a timeout fire only when nothing else can happen).
"""

from __future__ import annotations

import pytest

from sut.drive.explore import Exploration, explore
from sut.engine import Result, Schedule, Violation, assume_long_enough, harness_deadline
from tests import programs

ASSUMPTION = "the answerer replies within 0.5 s"


def _explore(wait: float) -> Exploration:
    return explore(lambda schedule: _judged(programs.run_request("fork", wait, schedule)))


def _judged(result: Result) -> tuple[Result, list[Violation]]:
    return result, programs.answered(result)


def test_the_default_schedule_lets_a_timeout_fire_only_when_nothing_else_can_happen() -> None:
    result = programs.run_request("fork", programs.REPLY_WAIT, Schedule(()))
    assert programs.answered(result) == []


def test_a_reply_timeout_cut_short_is_caught_by_exploration() -> None:
    exploration = _explore(programs.REPLY_WAIT)
    assert exploration.complete
    assert exploration.violating > 0
    assert exploration.first is not None
    replayed = programs.run_request("fork", programs.REPLY_WAIT,
                                    Schedule(exploration.first[0].schedule or ()))
    assert programs.answered(replayed) == exploration.first[1]
    assert exploration.assumed == ()


def test_the_timeout_firing_early_replays_under_every_start_method(start_method: str) -> None:
    for _ in range(3):  # on every run
        result = programs.run_request(start_method, programs.REPLY_WAIT, Schedule((0, 0)))
        assert [violation.invariant for violation in programs.answered(result)] == ["answered"]
        assert [(step.worker, step.reply) for step in result.steps][:2] == [
            ("asker", "go"), ("asker", "timeout")]


def test_a_timeout_assumed_long_enough_never_fires_early_and_the_verdict_says_so() -> None:
    exploration = _explore(assume_long_enough(programs.REPLY_WAIT, ASSUMPTION))
    assert (exploration.violating, exploration.complete) == (0, True)
    assert exploration.assumed == (ASSUMPTION,)


def test_a_harness_deadline_never_fires_early_and_is_no_assumption_of_the_program() -> None:
    exploration = _explore(harness_deadline(programs.REPLY_WAIT))
    assert (exploration.violating, exploration.complete) == (0, True)
    assert exploration.assumed == ()


@pytest.mark.parametrize("wait", [0.0, 60.0])
def test_any_length_of_the_programs_own_timeout_may_fire_early(wait: float) -> None:
    result = programs.run_request("fork", wait, Schedule((0, 0)))
    assert [violation.invariant for violation in programs.answered(result)] == ["answered"]
