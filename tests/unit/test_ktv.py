"""KTV rooms: Semaphore(rooms) holds; no guard and a Lock are caught."""

from __future__ import annotations

import sut
from sut.scenarios.ktv import Params
from tests import handmade

KTV = sut.get("ktv")
check = KTV.check


# --- the checker, on hand-made results -------------------------------------

def _evening(*steps, people=2, rooms=1, **kwargs):
    return handmade.result("ktv", Params(people=people, rooms=rooms), list(steps), **kwargs)


def test_check_accepts_people_taking_turns() -> None:
    evening = _evening(("person 0", "enter", {}), ("person 0", "leave", {}),
                       ("person 1", "enter", {}), ("person 1", "leave", {}))
    assert check(evening) == []


def test_check_counts_everyone_inside_at_once() -> None:
    evening = _evening(("person 0", "enter", {}), ("person 1", "enter", {}),
                       ("person 1", "leave", {}), ("person 0", "leave", {}))
    assert [(v.invariant, v.detail) for v in check(evening)] == [
        ("capacity", "2 people inside 1 room at once: person 0 and person 1")]


def test_check_does_not_count_someone_who_already_left() -> None:
    evening = _evening(("person 0", "enter", {}), ("person 0", "leave", {}),
                       ("person 1", "enter", {}), ("person 2", "enter", {}),
                       ("person 1", "leave", {}), ("person 2", "leave", {}), people=3, rooms=2)
    assert check(evening) == []


def test_check_wants_everyone_to_enter_and_leave_once() -> None:
    evening = _evening(("person 0", "enter", {}), ("person 1", "arrive", {}))
    details = [v.detail for v in check(evening)]
    assert details == ["person 0 entered 1 and left 0 times, not once each",
                       "person 1 entered 0 and left 0 times, not once each"]


def test_check_finds_rooms_that_never_filled() -> None:
    evening = _evening(("person 0", "enter", {}), ("person 0", "alone", {}),
                       ("person 0", "leave", {}), ("person 1", "enter", {}),
                       ("person 1", "leave", {}), rooms=2)
    assert [(v.invariant, v.detail) for v in check(evening)] == [(
        "rooms-fill-up", "person 0 gave up waiting in a room for company while 1 other person "
                         "was kept at the door (2 of 2 rooms should have filled)")]


def test_check_reports_a_crashed_person() -> None:
    evening = _evening(("person 0", "enter", {}), ("person 0", "leave", {}),
                       statuses={"person 1": "crashed"})
    assert [v.detail for v in check(evening)] == [
        "person 1 crashed before its first point: ValueError: boom"]
