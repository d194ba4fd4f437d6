"""Lanes: a run drawn one column per process."""

from __future__ import annotations

import dataclasses

from sut.lanes import lanes
from sut.runtime import Violation
from sut.scenarios.ticket import Params
from tests import handmade


def test_each_process_gets_a_lane_and_main_comes_first() -> None:
    run = handmade.result("ticket", Params(buyers=2, tickets=1), [
        ("buyer 0", "read", {"count": 1}), ("main", "set", {}),
        ("buyer 1", "read", {"count": 1}), ("buyer 0", "crash", {"error": "ValueError: x"})])
    # Main is the test process, not a worker.
    run = dataclasses.replace(run, workers=run.workers[:1] + run.workers[2:])
    drawn = lanes(run, [Violation("no-oversell", "sold 2 of 1 ticket")])
    lane = " " * 24  # the widest event, "crashed: ValueError: x", and two spaces
    assert drawn == [
        "    #  main" + lane[4:] + "buyer 0" + lane[7:] + "buyer 1",
        "    1  " + lane + "read count=1",
        "    2  set",
        "    3  " + lane * 2 + "read count=1",
        "    4  " + lane + "crashed: ValueError: x",
        "   -> no-oversell: sold 2 of 1 ticket",
    ]


def test_a_long_event_is_cut_and_a_clean_run_says_so() -> None:
    run = handmade.result("ticket", Params(buyers=1, tickets=1),
                          [("buyer 0", "torn", {"text": "x" * 60})])
    drawn = lanes(run, [])
    assert drawn[1].endswith("…")
    assert len(drawn[1].strip()) <= 5 + 2 + 26
    assert drawn[-1] == "   -> every invariant held"
