"""Event: a multiprocessing Event keeps the tutorial's promises; a threading.Event does not."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from sut.scenarios import event as event_scenario
from sut.scenarios.event import SCENARIO, Params
from tests import handmade
from tests.checked import assert_refused

check = SCENARIO.check

# --- the checker, on hand-made results -------------------------------------

# One waiter sees the whole story, as a correct Event tells it.
STORY: list[tuple[str, str, dict[str, Any]]] = [
    ("main", "created", {"is_set": False}),
    ("waiter 0", "start", {"is_set": False}),
    ("main", "setting", {}),
    ("main", "set", {"is_set": True}),
    ("waiter 0", "woke", {"returned": True, "is_set": True}),
    ("main", "cleared", {"is_set": False}),
    ("waiter 0", "timed-wait", {"returned": False, "waited": 0.1002, "is_set": False}),
]


def _watch(**changes):
    """The story with some of its events' data changed: ``woke={"returned": False}``."""
    steps = [(worker, label, data | changes.pop(label.replace("-", "_"), {}))
             for worker, label, data in STORY]
    return handmade.result("event", Params(waiters=1, timeout=0.1), steps, **changes)


def _found(result):
    return [(v.invariant, v.detail) for v in check(result)]


def test_check_accepts_the_story_of_a_correct_event() -> None:
    assert check(_watch()) == []


def test_check_finds_an_event_that_does_not_start_clear() -> None:
    assert _found(_watch(start={"is_set": True})) == [
        ("starts-clear", "waiter 0 saw is_set() == True before anyone called set()")]


def test_check_finds_a_waiter_that_set_never_woke() -> None:
    # What a threading.Event copied into a forked child shows.
    assert _found(_watch(woke={"returned": False, "is_set": False})) == [
        ("set-wakes", "main called set(), but waiter 0's wait() returned False"),
        ("is-set-agrees", "waiter 0 saw is_set() == False after main's set()")]


def test_check_finds_is_set_disagreeing_with_clear() -> None:
    assert _found(_watch(cleared={"is_set": True})) == [
        ("is-set-agrees", "main saw is_set() == True after its clear()")]


def test_check_finds_a_cleared_event_that_does_not_block() -> None:
    assert _found(_watch(timed_wait={"returned": True, "waited": 0.0, "is_set": False})) == [
        ("clear-times-out", "waiter 0's wait(0.1) returned True after main's clear()")]
    assert _found(_watch(timed_wait={"waited": 0.05})) == [
        ("clear-times-out", "waiter 0's wait(0.1) returned False after only 0.050 s")]


class _ClockSetForward:
    """A cleared multiprocessing Event, as its timed wait goes when the system clock is set
    ``step`` seconds forward meanwhile (a machine restored from a snapshot): the wait ends
    at its deadline on that clock, ``step`` early on the monotonic one."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.monotonic, self.wall = 100.0, 1.8e9
        self.waits = 0

    def time_module(self) -> SimpleNamespace:
        return SimpleNamespace(monotonic=lambda: self.monotonic, time=lambda: self.wall)

    def is_set(self) -> bool:
        return self.waits == 1  # set between the waiter's first wait and main's clear

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        if self.waits == 1:
            return True  # main's set() woke it
        assert timeout is not None
        self.monotonic += timeout - self.step
        self.wall += timeout
        return False


class _Records:
    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def point(self, label: str, **data: Any) -> None:
        self.data[label] = data

    record = point


def test_a_wait_the_system_clock_cut_short_kept_its_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    event = _ClockSetForward(step=0.0005)
    monkeypatch.setattr(event_scenario, "time", event.time_module())
    meeting = SimpleNamespace(wait=lambda timeout=None: 0, acquire=lambda *args: True)
    phases = event_scenario.Phases(meeting, meeting, meeting, meeting)
    records = _Records()
    event_scenario.waiter(records, event, phases, 0.1, 0.05, 1.0)  # type: ignore[arg-type]
    timed = records.data["timed-wait"]
    assert timed == {"returned": False, "waited": pytest.approx(0.1), "is_set": False}
    assert check(_watch(timed_wait=timed)) == []


def test_check_wants_every_phase_reported_once() -> None:
    steps = [step for step in STORY if step[1] != "timed-wait"]
    result = handmade.result("event", Params(waiters=1), steps)
    assert _found(result) == [
        ("reports", "waiter 0 reported 'start' 1x, 'woke' 1x, 'timed-wait' 0x, "
                    "not each phase once")]


def test_check_reports_a_waiter_that_never_started_and_main_giving_up() -> None:
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("main", "created", {"is_set": False}),
        ("main", "gave-up", {"at": "start", "reason": "waiter 0 could not start"})]
    result = handmade.result("event", Params(waiters=1), steps,
                             statuses={"waiter 0": "crashed"})
    assert _found(result) == [
        ("clean-exit", "waiter 0 crashed before its first point: ValueError: boom"),
        ("clean-exit", "main gave up at 'start': waiter 0 could not start")]


def test_params_name_the_bad_value() -> None:
    assert_refused(Params, waiters=(0, "waiters must be a whole number >= 1, got 0"),
                   timeout=(2, "timeout must be a number of seconds from 0 to 1.0"))
