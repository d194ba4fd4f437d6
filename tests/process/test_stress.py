"""Stress: rerun one configuration, tally each outcome, tell acceptable from forbidden."""

from __future__ import annotations

import json

from sut.cli import main


def test_stress_command_counts_a_bug_that_breaks_every_run_and_exits_1(capsys) -> None:
    # A threading.Event copied into a forked child: set() never reaches it, every time.
    assert main(["stress", "event", "--variant", "thread-event", "waiters=1", "--runs", "2",
                 "--start-method", "fork"]) == 1
    out = capsys.readouterr().out
    assert "2  100.0%  forbidden  broke is-set-agrees, set-wakes  seed 0: " in out
    assert out.rstrip().endswith(
        "python -m sut run event --variant thread-event waiters=1 timeout=0.1 jitter=0.05 "
        "--seed 0")


def test_stress_command_json_lists_every_outcome(capsys) -> None:
    assert main(["stress", "ktv", "--variant", "semaphore", "people=2", "rooms=1", "jitter=0",
                 "--runs", "3", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["runs"], document["interrupted"]) == (3, False)
    assert document["outcomes"] == [{"broken": [], "acceptable": True, "count": 3,
                                     "frequency": 1.0, "first_seed": 0, "evidence": ""}]


