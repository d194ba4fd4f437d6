"""Printing: a Lock or a join keeps each worker's lines together; unlocked ones interleave."""

from __future__ import annotations

import pytest

from sut.scenarios.printing import Params, check
from tests import handmade
from tests.checked import assert_refused

# --- the checker, on hand-made results -------------------------------------

def _terminal(*lines, workers=2, promises_order=False, **kwargs):
    steps = [(f"worker {n}", "done", {"n": n}) for n in range(workers)]
    return handmade.result("printing", Params(workers=workers), steps,
                           final={"lines": list(lines), "promises_order": promises_order},
                           **kwargs)


def _found(terminal):
    return [(v.invariant, v.detail) for v in check(terminal)]


def test_check_accepts_whole_pairs_in_any_order_when_none_is_promised() -> None:
    terminal = _terminal("1 : 11 is running", "1 : 11 is done",
                         "0 : 10 is running", "0 : 10 is done")
    assert check(terminal) == []


# A worker's two lines must stand together, "running" first.
@pytest.mark.parametrize(("lines", "detail"), [
    pytest.param(("0 : 10 is running", "1 : 11 is running", "1 : 11 is done", "0 : 10 is done"),
                 "worker 0's lines were split by worker 1: '0 : 10 is running' / "
                 "'1 : 11 is running' / '1 : 11 is done' / '0 : 10 is done'",
                 id="split-lines-name-who-printed-in-between"),
    pytest.param(("0 : 10 is done", "0 : 10 is running", "1 : 11 is running", "1 : 11 is done"),
                 "worker 0 printed 'done' before 'running': '0 : 10 is done' came before "
                 "'0 : 10 is running'",
                 id="a-done-line-before-its-running-line"),
])
def test_check_finds_a_worker_s_lines_apart_or_out_of_order(lines, detail) -> None:
    assert _found(_terminal(*lines)) == [("adjacent-lines", detail)]


def test_check_wants_both_lines_of_every_worker_once() -> None:
    terminal = _terminal("0 : 10 is running", "0 : 10 is done", "0 : 10 is done")
    assert _found(terminal) == [
        ("prints-once", "worker 0 printed 1 'running' and 2 'done' lines, not one of each"),
        ("prints-once", "worker 1 printed 0 'running' and 0 'done' lines, not one of each")]


def test_check_finds_a_torn_line() -> None:
    terminal = _terminal("0 : 10 is running", "0 : 10 is d", "0 : 10 is done", workers=1)
    assert _found(terminal) == [
        ("whole-lines", "line 2 of the terminal is not a line work(n) prints: '0 : 10 is d'"),
        ("adjacent-lines", "worker 0's lines were split by 1 garbled line: "
                           "'0 : 10 is running' / '0 : 10 is d' / '0 : 10 is done'")]


def test_check_holds_a_joined_run_to_its_order_and_only_a_joined_run() -> None:
    lines = ("1 : 11 is running", "1 : 11 is done", "0 : 10 is running", "0 : 10 is done")
    assert check(_terminal(*lines)) == []
    assert _found(_terminal(*lines, promises_order=True)) == [(
        "in-order", "the workers printed in the order 1, 0, although each was joined before "
                    "the next one started")]


def test_check_reports_a_crashed_worker_once() -> None:
    terminal = _terminal("0 : 10 is running", "0 : 10 is done",
                         statuses={"worker 1": "crashed"})
    assert _found(terminal) == [
        ("clean-exit", "worker 1 crashed after 'done': ValueError: boom")]


def test_params_name_the_bad_value() -> None:
    assert_refused(Params, workers=(0, "workers must be a whole number >= 1, got 0"),
                   jitter=(-0.1, "jitter must be a number of seconds from 0 to 1.0"))
