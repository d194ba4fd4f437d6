"""The search and the hunt, without a process: what a search counts, where it ends, and
which searches the hunt makes, in what order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import sut
from sut.drive import catalogue
from sut.drive import hunt as hunting
from sut.drive.hunt import Found, Target, hunt, scheduled, targets, unhuntable, unscheduled
from sut.drive.minimal import counted, minimal
from sut.engine import Result, Violation

BIG = 7  # the made-up program below breaks "big" from this number on


def _result(number: int) -> Result:
    return Result(scenario="numbers", variant="made-up", params={"number": number},
                  start_method="fork", seed=0, events=(), workers=())


def _numbers(number: int) -> tuple[Result, list[Violation]]:
    """A made-up program: it breaks ``big`` from :data:`BIG` on, and ``odd`` on odd numbers."""
    violations = [Violation("big", f"{number} >= {BIG}")] if number >= BIG else []
    violations += [Violation("odd", f"{number} is odd")] if number % 2 else []
    return _result(number), violations


def test_counted_keeps_the_violations_of_the_invariants_named() -> None:
    violations = [Violation("big", "8 >= 7"), Violation("odd", "9 is odd")]
    assert counted(violations, None) == violations
    assert counted(violations, {"odd"}) == [Violation("odd", "9 is odd")]
    assert counted(violations, ()) == []


def test_minimal_shrinks_to_the_smallest_input_that_breaks_the_invariants_named() -> None:
    number, result, violations = minimal(_numbers, st.integers(0, 100), invariants={"big"})
    assert number == BIG
    assert result.params == {"number": BIG}
    assert violations == [Violation("big", "7 >= 7")]  # "odd" is broken too, but not counted


def test_minimal_without_shrinking_returns_the_first_input_that_broke_as_drawn() -> None:
    number, _, violations = minimal(_numbers, st.integers(0, 100), invariants={"big"},
                                    shrink=False)
    assert number >= BIG
    assert [v.invariant for v in violations] == ["big"]


def test_minimal_says_so_when_nothing_breaks() -> None:
    with pytest.raises(NoSuchExample):
        minimal(_numbers, st.integers(0, BIG - 1), invariants={"big"}, max_examples=10)


def test_the_hunt_searches_every_broken_variant_and_no_correct_one() -> None:
    chosen = targets()
    broken = {(scenario.name, variant.name) for scenario in sut.catalogue()
              for variant in scenario.variants if variant.expected == "violates"}
    assert {(t.scenario.name, t.variant.name) for t in chosen} == broken
    assert targets(sut.catalogue()) == chosen


def test_a_scheduled_variant_is_searched_once_for_the_invariants_it_shows() -> None:
    ticket = sut.get("ticket")
    assert scheduled(ticket)
    assert unscheduled(ticket) is None
    assert unhuntable(ticket) is None
    chosen = targets([ticket])
    assert [t.variant.name for t in chosen] == [
        v.name for v in ticket.variants if v.expected == "violates"]
    unlocked = next(t for t in chosen if t.variant.name == "unlocked")
    assert (unlocked.named, unlocked.space) == ("consistent-count, no-oversell", None)
    tutorial = next(t for t in chosen if t.variant.name == "tutorial")
    assert tutorial.named == "any"


def test_a_scripted_scenario_is_searched_once_per_declared_search() -> None:
    chat = sut.get("chat")
    assert not scheduled(chat)
    assert unscheduled(chat)
    assert unhuntable(chat) is None
    chosen = targets([chat])
    declared = catalogue.searches(chat).breaking
    broken = [v.name for v in chat.variants if v.expected == "violates"]
    assert [(t.variant.name, t.named, t.why) for t in chosen] == [
        (variant, search.invariant, search.why) for variant in broken for search in declared]
    assert all(t.space is not None for t in chosen)


def test_the_hunt_announces_each_search_before_it_starts(monkeypatch) -> None:
    said: list[str] = []

    def search(target: Target, *, start_method: str) -> Found:
        said.append(f"searched {target.variant.name} under {start_method}")
        return Found(target, None, _result(0), [], runs=1, seconds=0.0)

    monkeypatch.setattr(hunting, "search", search)
    chosen = targets([sut.get("bakery")])
    found: list[Any] = []
    for each in hunt(chosen, start_method="spawn",
                     starting=lambda target: said.append(f"starting {target.variant.name}")):
        found.append(each.target)
    assert found == chosen
    assert said == [line for target in chosen for line in (
        f"starting {target.variant.name}", f"searched {target.variant.name} under spawn")]
