"""Schedule mode on the scenarios: minimal interleavings, replay, exhaustive exploration.

Every broken variant whose failure depends on the interleaving is found by a
Hypothesis search over schedules, and its minimum - configuration, schedule
and the story of the run - is pinned here exactly: a run is a function of its
schedule, so the same story comes out of every replay, under every start
method. The searches themselves run in test_races.py (docs/RACES.md is what
they find, and must stay so) and in ``python -m benchmarks.schedules``, which
also checks they end on these minima. Every correct variant holds in every
interleaving of small configurations, and on drawn schedules of larger ones.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sut
from sut.drive.explore import explore
from sut.drive.strategies import small_configs
from sut.engine import Result, Scheduled, Violation
from sut.report.story import story
from sut.scenarios import bakery, event, ktv, pipe, printing, queue, ticket, traffic
from tests.strategies import PICKS
from tests.verdicts import TEST_TIMEOUT, report

# The thorough profile's examples per property (conftest.py): it runs the slow checks too.
THOROUGH_EXAMPLES = 60


def _told(result: Result, violations: list[Violation]) -> str:
    """The run's story, less what differs from run to run: the pids that
    printing's lines carry, and how long the event's timed waits took."""
    told = re.sub(r"(\d+ : )\d+( is)", r"\1<pid>\2", story(result, violations))
    return re.sub(r"waited=[0-9.e-]+", "waited=<s>", told)


UNPICKLABLE = ("main created is_set=False | main gave-up at='start' reason='waiter 0 could "
               "not start' -> clean-exit: waiter 0 crashed before its first point: could not "
               "start: TypeError: cannot pickle '_thread.lock' object")

# scenario, variant, invariants searched for (None: any), then the minimum:
# params, schedule, story (or the story under each start method).
MINIMA: list[tuple[str, str, set[str] | None, Any, tuple[int, ...], str | dict[str, str]]] = [
    ("ticket", "unlocked", {"no-oversell", "consistent-count"},
     ticket.Params(buyers=2, tickets=1), (0, 0, 1, 1, 0),
     "buyer 0 query count=1 | buyer 1 query count=1 | buyer 1 read count=1 | "
     "buyer 0 read count=1 | buyer 0 writing count=0 | buyer 0 bought left=0 | "
     "buyer 1 writing count=0 | buyer 1 bought left=0 -> no-oversell: sold 2 of 1 ticket: "
     "buyer 0 and buyer 1 both read count=1"),
    ("ticket", "unlocked", {"valid-file"},
     ticket.Params(buyers=1, tickets=1, readers=1), (0, 0, 0, 0, 1),
     "buyer 0 query count=1 | buyer 0 read count=1 | buyer 0 writing count=0 | "
     "reader 0 torn text='' | buyer 0 bought left=0 | reader 0 queries count=2 -> "
     "valid-file: reader 0 read '' while the file was being rewritten"),
    ("ticket", "seed", None,
     ticket.Params(buyers=1, tickets=1, readers=1), (0, 0, 0, 0, 0, 1),
     "buyer 0 query count=1 | buyer 0 read count=1 | buyer 0 writing count=0 | "
     "reader 0 torn text='' | buyer 0 bought left=0 | reader 0 queries count=2 -> "
     "valid-file: reader 0 read '' while the file was being rewritten"),
    ("ktv", "unguarded", None, ktv.Params(people=2, rooms=1), (0, 0, 0, 0, 0, 0, 1),
     "person 0 arrive | person 0 enter | person 0 sing | person 1 arrive | person 1 enter | "
     "person 1 sing | person 1 leave | person 0 leave -> capacity: 2 people inside 1 room "
     "at once: person 0 and person 1"),
    ("ktv", "lock", None, ktv.Params(people=2, rooms=2), (),
     "person 0 arrive | person 0 enter | person 1 arrive | person 0 alone | person 0 sing | "
     "person 0 leave | person 1 enter | person 1 alone | person 1 sing | person 1 leave -> "
     "rooms-fill-up: person 0 gave up waiting in a room for company while 1 other person "
     "was kept at the door (2 of 2 rooms should have filled)"),
    ("printing", "unlocked", None, printing.Params(workers=2), (0, 0, 1),
     "worker 0 running n=0 | worker 1 running n=1 | worker 1 done n=1 | worker 0 done n=0 -> "
     "adjacent-lines: worker 0's lines were split by worker 1: '0 : <pid> is running' / "
     "'1 : <pid> is running' / '1 : <pid> is done' / '0 : <pid> is done'"),
    ("bakery", "no-sentinel", None, bakery.Params(producers=1, consumers=1, buns=1), (),
     "consumer 0 get | producer 0 bake bun=0 | producer 0 put bun=0 | "
     "consumer 0 eat producer=0 bun=0 | consumer 0 get | main gave-up waiting_for='consumer 0' "
     "| deadlock: consumer 0 waits for an item in buns (empty) -> no-hang: consumer 0 is "
     "stuck after 'get': it waits for an item in buns (empty)"),
    ("bakery", "one-sentinel", None, bakery.Params(producers=1, consumers=2, buns=1), (),
     "consumer 0 get | consumer 1 get | producer 0 bake bun=0 | producer 0 put bun=0 | "
     "producer 0 put-none | consumer 0 eat producer=0 bun=0 | consumer 0 get | "
     "consumer 0 got-none | main gave-up waiting_for='consumer 1' | deadlock: consumer 1 "
     "waits for an item in buns (empty) -> no-hang: consumer 1 is stuck after 'get': it "
     "waits for an item in buns (empty)"),
    ("traffic", "ignores-light", None, traffic.Params(cars=1, cycles=1), (0, 0, 0, 1),
     "light red cycle=1 | car 0 drive | car 0 pass | light green cycle=1 | light stop cycles=1 "
     "-> green-only: car 0 passed at #3 while the light was red (red from #1 until #4)"),
    ("traffic", "checks-once", None, traffic.Params(cars=1, cycles=1), (0, 0, 0, 1),
     "light red cycle=1 | car 0 drive | car 0 waiting | car 0 pass | light green cycle=1 | "
     "light stop cycles=1 -> green-only: car 0 saw red at #3, then passed at #4 while the "
     "light was still red (red from #1 until #5)"),
    ("queue", "two-way-single-queue", None, queue.Params(messages=1), (),
     "child ready | main put message=0 | main got sender='main' message=0 | deadlock: child "
     "waits for an item in to child (empty) -> no-hang: child is stuck after 'ready': it "
     "waits for an item in to child (empty)"),
    # A threading.Event fails by the start method, not by the interleaving:
    # a copy per child under fork, not picklable under the others.
    ("event", "thread-event", None, event.Params(waiters=1, timeout=0.01), (), {
        "fork": "waiter 0 start is_set=False | main created is_set=False | main setting | "
                "main set is_set=True | waiter 0 woke returned=False is_set=False | main "
                "cleared is_set=False | waiter 0 timed-wait returned=False waited=<s> "
                "is_set=False -> set-wakes: main called set(), but waiter 0's wait() "
                "returned False",
        "forkserver": UNPICKLABLE, "spawn": UNPICKLABLE}),
    ("pipe", "leaked-end", None, pipe.Params(messages=0), (),
     "receiver ready | main closed | deadlock: receiver waits for a message or end of file on "
     "pipe (left to right) (empty; its sending end is still open in receiver) -> no-hang: "
     "receiver is stuck after 'ready': it waits for a message or end of file on pipe "
     "(left to right) (empty; its sending end is still open in receiver)"),
]
MINIMA_IDS = [f"{name}-{variant}-{'+'.join(sorted(wanted or {'any'}))}"
              for name, variant, wanted, *_ in MINIMA]


@pytest.mark.parametrize(("name", "variant", "wanted", "params", "schedule", "told"), MINIMA,
                         ids=MINIMA_IDS)
def test_the_minimal_schedule_replays_the_same_run(name: str, variant: str,
                                                   wanted: set[str] | None, params: Any,
                                                   schedule: tuple[int, ...],
                                                   told: str | dict[str, str],
                                                   start_method: str) -> None:
    result, violations = sut.get(name).evaluate(params, variant, start_method=start_method,
                                                timeout=TEST_TIMEOUT, schedule=schedule)
    assert result.schedule == schedule
    expected = told if isinstance(told, str) else told[start_method]
    assert _told(result, violations) == expected, report(result, violations)


# Correct variants: every interleaving of a small configuration, and how many
# there are (the count is a fact of the program: it changes only with it).
EXHAUSTIVE: list[tuple[str, str, Any, int]] = [
    ("ticket", "locked", ticket.Params(buyers=2, tickets=1), 25),
    ("ticket", "locked", ticket.Params(buyers=1, tickets=1, readers=1), 16),
    ("ticket", "locked", ticket.Params(buyers=2, tickets=1, kill_at="read"), 11),
    ("ktv", "semaphore", ktv.Params(people=2, rooms=1), 31),
    ("ktv", "semaphore", ktv.Params(people=2, rooms=2), 28),
    ("printing", "locked", printing.Params(workers=2), 10),
    ("printing", "joined", printing.Params(workers=3), 1),
    ("bakery", "sentinel-per-consumer", bakery.Params(producers=1, consumers=2, buns=1), 71),
    ("bakery", "joinable-queue", bakery.Params(producers=2, consumers=1, buns=1), 54),
    ("pipe", "closed-ends", pipe.Params(messages=2), 19),
    ("traffic", "event", traffic.Params(cars=1, cycles=2), 72),
    ("queue", "one-way", queue.Params(messages=2), 10),
    ("queue", "two-way-two-queues", queue.Params(messages=2), 22),
    ("event", "event", event.Params(waiters=1, timeout=0.01), 13),
]


@pytest.mark.parametrize(("name", "variant", "params", "interleavings"), EXHAUSTIVE,
                         ids=[f"{name}-{variant}-{i}" for i, (name, variant, *_)
                              in enumerate(EXHAUSTIVE)])
def test_a_correct_variant_holds_in_every_interleaving(name: str, variant: str, params: Any,
                                                       interleavings: int) -> None:
    scenario = sut.get(name)
    exploration = explore(lambda schedule: scenario.evaluate(
        params, variant, start_method="fork", timeout=TEST_TIMEOUT, schedule=schedule))
    assert exploration.first is None, report(*exploration.first)
    assert (exploration.runs, exploration.complete) == (interleavings, True)


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
    UNCACHED += [("ticket", "seed", ticket.Params(buyers=1, tickets=1, readers=1)),
                 ("ktv", "unguarded", ktv.Params(people=2, rooms=1))]


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


CORRECT = [(scenario.name, variant.name) for scenario in sut.catalogue() if scenario.schedulable
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
        schedule=Scheduled(tuple(picks), relative=True))
    assert not violations, report(result, violations)


def test_every_variant_with_a_schedule_mode_is_searched_or_explored_here() -> None:
    pinned = {(name, variant) for name, variant, *_ in MINIMA}
    explored = {(name, variant) for name, variant, *_ in EXHAUSTIVE}
    for scenario in sut.catalogue():
        if not scenario.schedulable:
            assert scenario.unscheduled, f"{scenario.name} says neither how nor why not"
            assert scenario.searches, f"{scenario.name} is not searched either"
            continue
        for variant in scenario.variants:
            covered = pinned if variant.expected == "violates" else explored
            assert (scenario.name, variant.name) in covered
