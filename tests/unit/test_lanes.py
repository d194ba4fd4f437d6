"""Lanes: a run drawn one column per process."""

from __future__ import annotations

import dataclasses
from typing import Any

from sut.engine import Result, Violation
from sut.engine.invariants import Invariants, invariant
from sut.report.lanes import Cell, breaking_moment, columns, lanes, side_by_side
from sut.scenarios import ticket
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


# --- side by side ------------------------------------------------------------

def _loop(rounds: int, *, then: list[tuple[str, str, dict[str, Any]]]) -> Result:
    """A server whose handler answers b'' over and over (the chat's seed), then stops."""
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("client 0", "done", {}), ("handler 0", "begin", {})]
    for _ in range(rounds):
        steps += [("handler 0", "recv", {"n": 0}), ("handler 0", "send", {"data": "_ok"})]
    return handmade.result("ticket", Params(buyers=1, tickets=1), steps + then)


def test_side_by_side_each_column_keeps_its_own_order_and_a_loop_is_shown_once() -> None:
    run = _loop(5, then=[("handler 0", "crash", {"error": "OSError: x"})])
    run = dataclasses.replace(run, workers=run.workers[1:])  # client 0 is not a worker
    drawn = side_by_side(run, [Violation("clean-close", "never closed")])
    lane = " " * 27  # the widest cell, "(these 2 again and again)", and two spaces
    assert drawn == [
        "    client 0" + lane[8:] + "handler 0",
        "    done" + lane[4:] + "begin",
        "    " + lane + "recv n=0",
        "    " + lane + "send data='_ok'",
        "    " + lane + "(these 2 again and again)",
        "    " + lane + "crashed: OSError: x",
        "    (each column in its own order: nothing lines the processes up in time)",
        "   -> clean-close: never closed",
    ]


def test_a_loop_stopped_half_way_round_or_gone_round_more_times_draws_the_same() -> None:
    def drawn(rounds: int, then: list[tuple[str, str, dict[str, Any]]]) -> list[Cell]:
        return columns(_loop(rounds, then=then))["handler 0"]

    crashed: tuple[str, str, dict[str, Any]] = ("handler 0", "crash", {"error": "OSError: x"})
    stopped = [crashed]
    half_way = [("handler 0", "recv", {"n": 0}), crashed]
    texts = [cell.text for cell in drawn(3, stopped)]
    assert texts == ["begin", "recv n=0", "send data='_ok'", "(these 2 again and again)",
                     "crashed: OSError: x"]
    assert [cell.text for cell in drawn(300, half_way)] == texts
    # The note stands for every event it hides.
    loop = drawn(3, stopped)[3]
    assert (loop.first, loop.last, loop.loop) == (4, 7, True)


def test_twice_is_not_a_loop_and_the_breaking_event_is_marked_in_its_column() -> None:
    run = _loop(2, then=[])
    drawn = side_by_side(run, [Violation("clean-close", "x")], moment=3)
    lane = " " * 21  # the widest cell, "==> send data='_ok'", and two spaces
    assert drawn[1:6] == [
        "    done" + lane[4:] + "begin",
        "    " + lane + "recv n=0",
        "    " + lane + "==> send data='_ok'",
        "    " + lane + "recv n=0",
        "    " + lane + "send data='_ok'"]
    assert drawn[-2] == "    ==> where clean-close breaks"


# --- the breaking moment -----------------------------------------------------

def test_the_breaking_moment_is_found_by_the_broken_invariant_alone() -> None:
    run = handmade.result("ticket", Params(buyers=2, tickets=1), [
        ("buyer 0", "read", {"count": 1}), ("buyer 1", "read", {"count": 1}),
        ("buyer 0", "bought", {"left": 0}), ("buyer 1", "bought", {"left": 0})],
        final={"text": '{"count": 0}', "count": 0})
    asked: list[int] = []

    @invariant("asked")
    def count_asked(result: Result) -> list[Violation]:
        """Holds, and counts how often it is asked."""
        asked.append(len(result.events))
        return []

    check = Invariants(count_asked, ticket.no_oversell)
    assert breaking_moment(run, "no-oversell", check) == 3  # the second "bought"
    assert asked == []
    # Any other check is judged whole, on every prefix, to the same moment.
    assert breaking_moment(run, "no-oversell", lambda result: check(result)) == 3
    assert asked == [0, 1, 2, 3, 4]
    # Judged by the count the sale left, it breaks before any event: no moment.
    assert breaking_moment(run, "consistent-count", ticket.check) is None
