"""Traffic light: cars that wait for the Event pass on green; cars that do not are caught."""

from __future__ import annotations

import pytest

from sut.scenarios.traffic import SCENARIO, Params
from tests import handmade

check = SCENARIO.check

# --- the checker, on hand-made results -------------------------------------

def _road(*steps, cars=1, cycles=1, **kwargs):
    return handmade.result("traffic", Params(cars=cars, cycles=cycles), list(steps), **kwargs)


def _found(road):
    return [(v.invariant, v.detail) for v in check(road)]


def test_check_accepts_a_car_that_waits_for_green() -> None:
    road = _road(("light", "red", {"cycle": 1}), ("car 0", "waiting", {}),
                 ("light", "green", {"cycle": 1}), ("car 0", "saw-green", {}),
                 ("car 0", "pass", {}), ("light", "stop", {"cycles": 1}))
    assert check(road) == []


# Two cars and two cycles of the light: each car's pass on red, told with when that red
# began and ended.
@pytest.mark.parametrize(("steps", "details"), [
    pytest.param([("light", "red", {"cycle": 1}), ("car 0", "pass", {}),
                  ("light", "green", {"cycle": 1}), ("light", "red", {"cycle": 2}),
                  ("car 1", "waiting", {}), ("car 1", "pass", {}),
                  ("light", "green", {"cycle": 2}), ("light", "stop", {"cycles": 2})],
                 ["car 0 passed at 1 ms while the light was red (red from 0 ms until 2 ms)",
                  "car 1 saw red at 4 ms, then passed at 5 ms while the light was still red "
                  "(red from 3 ms until 6 ms)"],
                 id="on-red-or-still-on-the-red-it-saw"),
    # The Event starts clear: a pass before the light records anything is on
    # red. A car that saw red, let a green go by and passed on the next red
    # passed on a red, not "still" on the one it saw.
    pytest.param([("car 0", "pass", {}), ("light", "red", {"cycle": 1}),
                  ("car 1", "waiting", {}), ("light", "green", {"cycle": 1}),
                  ("light", "red", {"cycle": 2}), ("car 1", "pass", {}),
                  ("light", "green", {"cycle": 2}), ("light", "stop", {"cycles": 2})],
                 ["car 0 passed at 0 ms while the light was red (red from the start until 3 ms)",
                  "car 1 saw red at 2 ms, then passed at 5 ms while the light was red "
                  "(red from 4 ms until 6 ms)"],
                 id="red-before-the-light-s-first-change-and-after-a-green"),
])
def test_check_finds_cars_passing_on_red_and_says_when(steps, details) -> None:
    road = _road(*steps, cars=2, cycles=2)
    assert _found(road) == [("green-only", detail) for detail in details]


def test_check_is_not_fooled_when_the_light_changes_colour_beside_its_record() -> None:
    # A light that changes colour first and records it under the lock later: the
    # records say green while the car saw red, or red while it saw green.
    turned_red = _road(("light", "red", {"cycle": 1}), ("light", "green", {"cycle": 1}),
                       ("car 0", "pass", {}), ("car 0", "crossed", {"green": False}),
                       ("light", "red", {"cycle": 2}), ("light", "green", {"cycle": 2}),
                       ("light", "stop", {"cycles": 2}), cycles=2)
    assert _found(turned_red) == [
        ("green-only", "car 0 passed at 2 ms on green, but the light was red at 3 ms, the car "
                       "still in the crossing: the light changed colour without the crossing "
                       "lock")]
    turned_green = _road(("light", "red", {"cycle": 1}), ("car 0", "pass", {}),
                         ("car 0", "crossed", {"green": True}), ("light", "green", {"cycle": 1}),
                         ("light", "stop", {"cycles": 1}))
    assert _found(turned_green) == [
        ("green-only", "car 0 passed at 1 ms while the light's records said red (red from 0 ms "
                       "until 3 ms), but saw green at 2 ms, still in the crossing: the light "
                       "changed colour without the crossing lock")]


def test_check_wants_every_car_to_pass_exactly_once() -> None:
    road = _road(("light", "red", {"cycle": 1}), ("light", "green", {"cycle": 1}),
                 ("light", "stop", {"cycles": 1}), ("car 0", "pass", {}), ("car 0", "pass", {}),
                 ("car 1", "drive", {}), cars=3, statuses={"car 1": "hung"})
    assert _found(road) == [
        ("no-hang", "car 1 hung after 'drive' and was stopped at the deadline"),
        ("every-car-passes", "car 0 passed 2 times"),
        ("every-car-passes", "car 1 never passed"),
        ("every-car-passes", "car 2 never passed")]


def test_check_finds_the_tutorials_light_that_never_stops() -> None:
    colours = [("light", colour, {"cycle": cycle}) for cycle in (1, 2, 3)
               for colour in ("red", "green")]
    road = _road(*colours, ("car 0", "pass", {}), cycles=2, statuses={"light": "hung"})
    assert _found(road) == [
        ("no-hang", "light hung after 'green' and was stopped at the deadline"),
        ("light-stops", "the light showed red, green, red, green, red, green and never "
                        "stopped; 2 cycles are red, green, red, green, then stop on green")]


def test_check_finds_a_light_that_stops_on_red() -> None:
    road = _road(("light", "red", {"cycle": 1}), ("light", "green", {"cycle": 1}),
                 ("car 0", "pass", {}), ("light", "red", {"cycle": 2}),
                 ("light", "stop", {"cycles": 1}))
    assert _found(road) == [
        ("light-stops", "the light showed red, green, red and stopped; 1 cycle is red, green, "
                        "then stop on green")]


def test_check_tells_many_cycles_the_light_was_to_show_in_a_few_words() -> None:
    # A light stopped at the deadline after 1 of 50 cycles: the cycles asked for
    # are told, not listed (nor built) one by one.
    road = _road(("light", "red", {"cycle": 1}), ("light", "green", {"cycle": 1}),
                 ("car 0", "pass", {}), cycles=50, statuses={"light": "hung"})
    assert _found(road)[-1] == (
        "light-stops", "the light showed red, green and never stopped; 50 cycles are red, "
                       "green (50 times), then stop on green")


def test_params_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match=r"^cycles must be a whole number >= 1, got 0$"):
        Params(cycles=0)
    with pytest.raises(ValueError, match=r"^red must be a number of seconds from 0 to 2\.0"):
        Params(red=-0.1)
