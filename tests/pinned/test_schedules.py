"""Schedule mode on the scenarios: minimal interleavings, replay, exhaustive exploration.

Every broken variant whose failure depends on the interleaving is found by
exploring its small configurations smallest first (sut.drive.smallest), and
its minimum - configuration, schedule and the story of the run - is pinned
exactly (tests/pinned/minima.py, with the explored configurations): a run is
a function of its schedule, so the same story comes out of every replay,
under every start method. The searches
themselves run in test_races.py (docs/RACES.md is what they find, and must
stay so) and in ``python -m benchmarks.schedules``, which also checks they
end on these minima. Every correct variant holds in every interleaving of
small configurations, and on drawn schedules of larger ones.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sut
from sut.drive.explore import explore
from sut.drive.hunt import scheduled, unhuntable, unscheduled
from sut.drive.strategies import small_configs
from sut.engine import Result, Schedule, Violation
from sut.report.story import story
from sut.scenarios import bakery, ktv, ticket
from tests.pinned.minima import EXPLORED, MINIMA, Explored, Minimum
from tests.strategies import PICKS
from tests.verdicts import TEST_TIMEOUT, report

# The thorough profile's examples per property (conftest.py): it runs the slow checks too.
THOROUGH_EXAMPLES = 60


def _told(result: Result, violations: list[Violation]) -> str:
    """The run's story, less what differs from run to run: the pids that
    printing's lines carry, and how long the event's timed waits took."""
    told = re.sub(r"(\d+ : )\d+( is)", r"\1<pid>\2", story(result, violations))
    return re.sub(r"waited=[0-9.e-]+", "waited=<s>", told)


@pytest.mark.parametrize("minimum", MINIMA, ids=[minimum.name for minimum in MINIMA])
def test_the_minimal_schedule_replays_the_same_run(minimum: Minimum, start_method: str) -> None:
    result, violations = sut.get(minimum.scenario).evaluate(
        minimum.params, minimum.variant, start_method=start_method, timeout=TEST_TIMEOUT,
        schedule=minimum.schedule)
    assert result.schedule == minimum.schedule
    told = minimum.story
    expected = told if isinstance(told, str) else told[start_method]
    assert _told(result, violations) == expected, report(result, violations)


# Correct variants: every interleaving of each configuration pinned (the
# count is a fact of the program: it changes only with it). The default run
# explores the small ones, the gate's tier (pytest -m slow) those of a few
# seconds, and the thorough profile the rest too.
QUICK = 30  # interleavings at most, for an exploration in every run of the suite
GATE = 100  # at most, for an exploration in the gate's tier
EXPLORED_HERE = [
    pytest.param(explored, marks=[pytest.mark.slow] if explored.interleavings > QUICK else [],
                 id=f"{explored.scenario}-{explored.variant}-{explored.interleavings}")
    for explored in EXPLORED if explored.interleavings <= GATE
    or settings().max_examples >= THOROUGH_EXAMPLES]


@pytest.mark.parametrize("explored", EXPLORED_HERE)
def test_a_correct_variant_holds_in_every_interleaving(explored: Explored) -> None:
    scenario = sut.get(explored.scenario)
    exploration = explore(lambda schedule: scenario.evaluate(
        explored.params, explored.variant, start_method="fork", timeout=TEST_TIMEOUT,
        schedule=schedule))
    assert exploration.first is None, report(*exploration.first)
    assert (exploration.runs, exploration.complete) == (explored.interleavings, True)


# Checks of the engine itself, not of a program (the explorations above pin every
# program's counts under fork): the gate's, pytest -m slow.
@pytest.mark.slow
def test_exploration_is_the_same_under_every_start_method(start_method: str) -> None:
    scenario = sut.get("ticket")
    exploration = explore(lambda schedule: scenario.evaluate(
        ticket.Params(buyers=2, tickets=1, kill_at="read"), "locked", start_method=start_method,
        timeout=TEST_TIMEOUT, schedule=schedule))
    assert (exploration.runs, exploration.violating, exploration.complete) == (11, 0, True)


# Configurations small enough to search without remembering states, too:
# comparing both searches checks that a state's fingerprint misses nothing.
UNCACHED: list[tuple[str, str, Any]] = [
    ("ticket", "unlocked", ticket.Params(buyers=2, tickets=1)),
    ("bakery", "no-sentinel", bakery.Params(producers=1, consumers=1, buns=2)),
]
if settings().max_examples >= THOROUGH_EXAMPLES:  # seconds each, without the cache
    UNCACHED += [("ticket", "tutorial", ticket.Params(buyers=1, tickets=1, readers=1)),
                 ("ktv", "unguarded", ktv.Params(people=2, rooms=1))]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variant", "params"), UNCACHED)
def test_visiting_each_state_once_finds_every_outcome_the_full_search_finds(
        name: str, variant: str, params: Any) -> None:
    scenario = sut.get(name)

    def outcomes(cache: bool) -> tuple[int, set[tuple[Any, ...]]]:
        seen: set[tuple[Any, ...]] = set()

        def evaluate(schedule: tuple[int, ...]) -> tuple[Result, list[Violation]]:
            result, violations = scenario.evaluate(params, variant, start_method="fork",
                                                   timeout=TEST_TIMEOUT, schedule=schedule)
            seen.add((tuple(sorted((v.invariant, v.detail) for v in violations)),
                      repr(sorted(result.final.items()))))
            return result, violations

        return explore(evaluate, cache=cache).runs, seen

    cached_runs, cached = outcomes(cache=True)
    full_runs, full = outcomes(cache=False)
    assert cached == full
    assert cached_runs < full_runs


CORRECT = [(scenario.name, variant.name) for scenario in sut.catalogue() if scheduled(scenario)
           for variant in scenario.variants if variant.expected == "holds"]


@pytest.mark.parametrize(("name", "variant"), CORRECT, ids=[f"{n}-{v}" for n, v in CORRECT])
@given(data=st.data())
def test_a_correct_variant_holds_on_drawn_schedules(name: str, variant: str,
                                                    data: st.DataObject) -> None:
    # Under fork only, where runs are cheapest: a run by a schedule is the same
    # run under every start method (the replay and exploration tests above show
    # it), so the other two would add time, not cases.
    params = data.draw(small_configs(sut.get(name)), label="params")
    picks = data.draw(PICKS, label="picks")
    result, violations = sut.get(name).evaluate(
        params, variant, start_method="fork", timeout=TEST_TIMEOUT,
        schedule=Schedule(tuple(picks), relative=True))
    assert not violations, report(result, violations)


def test_every_variant_with_a_schedule_mode_is_searched_or_explored_in_every_run() -> None:
    pinned = {(minimum.scenario, minimum.variant) for minimum in MINIMA}
    explored = {(explored.scenario, explored.variant) for explored in EXPLORED
                if explored.interleavings <= QUICK}
    for scenario in sut.catalogue():
        why_not = unscheduled(scenario)
        if why_not is not None:
            assert why_not, f"{scenario.name} says neither how nor why not"
            assert unhuntable(scenario) is None, f"{scenario.name} is not searched either"
            continue
        for variant in scenario.variants:
            covered = pinned if variant.expected == "violates" else explored
            assert (scenario.name, variant.name) in covered
