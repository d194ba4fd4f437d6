"""The SVG picture of a run: well-formed, every process a lane, the violation marked."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import sut
from sut.report.lanes import breaking_moment
from sut.report.picture import Drawing, svg
from sut.scenarios import ktv, ticket

SVG = "{http://www.w3.org/2000/svg}"


def _drawn(name: str, variant: str, params: object, schedule: tuple[int, ...]) -> Drawing:
    scenario = sut.get(name)
    result, violations = scenario.evaluate(params, variant, start_method="fork",
                                           schedule=schedule)
    moment = breaking_moment(result, violations[0].invariant, scenario.check)
    return Drawing(f"{name} {variant}", result, violations, moment)


def test_a_race_is_drawn_with_a_lane_per_process_and_the_moment_in_red() -> None:
    drawing = _drawn("ticket", "unlocked", ticket.Params(buyers=2, tickets=1), (0, 0, 1, 1, 0))
    root = ElementTree.fromstring(svg([drawing]))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert texts[:3] == ["ticket unlocked", "buyer 0", "buyer 1"]
    assert "no-oversell: sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1" in texts
    red = [circle for circle in root.iter(f"{SVG}circle") if circle.get("fill") == "#c62828"]
    assert [circle.findtext(f"{SVG}title") for circle in red] == ["8. buyer 1 bought left=0"]


def test_a_held_lock_is_a_bar_and_the_same_run_draws_the_same_bytes() -> None:
    drawing = _drawn("ktv", "lock", ktv.Params(people=2, rooms=2), ())
    picture = svg([drawing])
    bars = [rect.findtext(f"{SVG}title") for rect in
            ElementTree.fromstring(picture).iter(f"{SVG}rect") if rect.findtext(f"{SVG}title")]
    assert bars == ["person 0 holds door", "person 1 holds door"]
    again = _drawn("ktv", "lock", ktv.Params(people=2, rooms=2), ())
    assert svg([again]).count("<circle") == picture.count("<circle")


