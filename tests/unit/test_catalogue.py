"""The catalogue: every scenario keeps the contract - named invariants, one way of being
searched, a declared space - and has a correct and a broken variant."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import strategies as st

import sut
from sut.drive import catalogue
from sut.drive.strategies import trials
from sut.engine import Result, Violation
from sut.engine.invariants import CLEAN_EXIT, NO_HANG, Invariants, invariant
from sut.engine.scenario import Schedules, Scripts, Variant
from sut.scenarios import ticket
from tests import handmade
from tests.strategies import EVERY_TRIAL

TICKET = sut.get("ticket")


def test_every_scenario_has_a_strategy_for_its_whole_parameter_space() -> None:
    assert set(EVERY_TRIAL) == {scenario.name for scenario in sut.catalogue()}


def test_every_scenario_has_a_correct_and_a_broken_variant() -> None:
    for scenario in sut.catalogue():
        assert {variant.expected for variant in scenario.variants} == {"holds", "violates"}


# --- the contract: named invariants, searched one way -----------------------------

def test_every_scenario_lists_its_invariants_by_name_with_what_each_promises() -> None:
    for scenario in sut.catalogue():
        names = [name for one in scenario.invariants for name in one.names]
        assert len(names) == len(set(names)), scenario.name
        assert names[:2] == [CLEAN_EXIT, NO_HANG], scenario.name  # every process exits
        for one in scenario.invariants:
            assert one.doc.endswith("."), (scenario.name, one.name, one.doc)
        for variant in scenario.variants:
            assert set(variant.shows) <= set(names), (scenario.name, variant.name)


def test_every_scenario_draws_trials_from_a_declared_space_or_from_its_searches() -> None:
    for scenario in sut.catalogue():
        assert (scenario.space is None) == isinstance(scenario.search, Scripts), scenario.name


def test_the_check_is_the_union_of_the_invariants_in_their_order() -> None:
    sale = handmade.result("ticket", ticket.Params(buyers=2, tickets=1), [
        ("buyer 0", "read", {"count": 1}), ("buyer 1", "read", {"count": 1}),
        ("buyer 0", "bought", {"left": 0}), ("buyer 1", "bought", {"left": 0})],
        statuses={"buyer 2": "crashed"}, final={"text": "", "count": None})
    found = TICKET.check(sale)
    assert found == [v for one in TICKET.invariants for v in one(sale)]
    assert [v.invariant for v in found] == [CLEAN_EXIT, "no-oversell", "valid-file"]


def test_a_variant_that_shows_an_undeclared_invariant_is_refused_naming_the_known_ones() -> None:
    typo = Variant("unlocked", "no lock", "violates", ticket.VARIANTS[1].wiring,
                   shows=("no-oversel",))
    with pytest.raises(ValueError, match=r"variant 'unlocked' of ticket shows unknown invariant "
                                         r"'no-oversel' \(known: clean-exit, no-hang, "
                                         r"buyer-reports, no-oversell, "):
        dataclasses.replace(TICKET, variants=(typo,))


def test_how_a_scenario_is_searched_agrees_with_whether_its_run_takes_a_schedule() -> None:
    with pytest.raises(ValueError, match="ticket is searched by script, but its run takes a "
                                         "schedule"):
        dataclasses.replace(TICKET, search=Scripts(module="nowhere", why="none"))
    with pytest.raises(ValueError, match="chat is searched by schedule, but its run takes no "
                                         "schedule"):
        dataclasses.replace(sut.get("chat"), search=Schedules(small={"max_clients": (1, 2)}))


def test_a_space_names_only_parameters() -> None:
    with pytest.raises(ValueError, match=r"ticket's space name 'byers', not a parameter "
                                         r"\(known: buyers, tickets, jitter, readers, kill_at\)"):
        dataclasses.replace(TICKET, space={"byers": (1, 2)})
    with pytest.raises(ValueError, match="ticket's small configurations name 'seats'"):
        dataclasses.replace(TICKET, search=Schedules(small={"seats": 1}))


def test_an_invariant_says_what_it_promises_and_reports_only_under_its_names() -> None:
    def undocumented(result: Result) -> list[Violation]:
        return []

    with pytest.raises(ValueError, match=r"invariant 'quiet' .* has no docstring"):
        invariant("quiet")(undocumented)

    @invariant("loud")
    def loud(result: Result) -> list[Violation]:
        """Says something under another name."""
        return [Violation("quiet", "boo")]

    with pytest.raises(ValueError, match=r"invariant 'loud' .* reported 'quiet', which it does "
                                         r"not declare"):
        loud(handmade.result("ticket", ticket.Params(), []))
    with pytest.raises(ValueError, match=r"invariant name.* loud declared twice"):
        Invariants(loud, loud)


def test_trials_replace_only_declared_dimensions() -> None:
    with pytest.raises(ValueError, match=r"'seats': not in ktv's space \(known: people, rooms, "
                                         r"jitter\)"):
        trials(sut.get("ktv"), seats=st.just(1))
    with pytest.raises(ValueError, match="chat draws its params from its searches"):
        trials(sut.get("chat"), clients=st.just(1))


def test_a_searched_scenario_s_searches_look_for_its_own_invariants() -> None:
    chat = sut.get("chat")
    assert {search.invariant for search in catalogue.searches(chat).breaking} <= set(
        chat.check.names)
    with pytest.raises(ValueError, match="ticket declares no searches"):
        catalogue.searches(TICKET)
