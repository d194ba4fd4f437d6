"""The smallest configuration, checked, without a process: a small space listed and put in
order of size, and a made-up program on which the shrinker stops at a local minimum and
the walk, smallest first, does not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from sut.drive.explore import explore
from sut.drive.minimal import minimal_schedule
from sut.drive.sizes import Configuration, configurations, continuous, kind, values
from sut.drive.smallest import Smallest, _Runs, smallest_schedule
from sut.drive.strategies import configs
from sut.engine import Result, Schedule, Violation, WorkerOutcome, counting
from sut.engine.coordinator import Step, fingerprinted
from sut.engine.model import Op
from sut.engine.space import OneOf

# --- a small space, listed and ordered -----------------------------------------------


@dataclass(frozen=True)
class Shop:
    buyers: int = 1
    tickets: int = 0
    kill_at: str = ""
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.tickets > 2 * self.buyers:
            raise ValueError("more than two tickets a buyer")


SHOP = {"buyers": (1, 2), "tickets": (0, 3), "kill_at": OneOf("", "read"), "jitter": 0.0}


def test_each_dimension_lists_its_values_simplest_first() -> None:
    assert [kind(d) for d in ((1, 3), (0.0, 0.5), (0, 0.5), OneOf("a"), 7, (False, True),
                              ("a", "b"))] == [
        "whole", "continuous", "continuous", "one of", "fixed", "fixed", "fixed"]
    assert values((1, 3)) == (1, 2, 3)
    assert values(OneOf("", "read")) == ("", "read")
    assert values(0.01) == (0.01,)
    assert values((False, True)) == ((False, True),)  # a value, as the search draws it
    assert values((0.0, 0.5)) == ()


def test_every_configuration_the_params_accept_is_listed_with_its_place() -> None:
    listed = configurations(Shop, SHOP)
    # buyers=1 takes at most 2 tickets: tickets=3 is refused, with either kill_at.
    assert len(listed) == 2 * 4 * 2 - 2
    assert listed[0] == Configuration(Shop(1, 0, ""), (0, 0, 0, 0))
    assert Configuration(Shop(2, 3, "read"), (1, 3, 1, 0)) in listed
    assert Configuration(Shop(2, 3, "read"), (1, 3, 1, 0)).distance == 5
    assert all(isinstance(each.params, Shop) for each in listed)


def test_a_float_range_cannot_be_listed() -> None:
    space = {**SHOP, "jitter": (0.0, 0.05)}
    assert continuous(space) == "jitter"
    assert continuous(SHOP) is None
    with pytest.raises(ValueError, match="jitter is continuous"):
        configurations(Shop, space)


def test_fewer_processes_come_first_then_values_nearer_the_simple_end_then_declared_order(
        ) -> None:
    # Made up: a run starts a process per buyer, and one more to kill.
    def processes(params: Shop) -> int:
        return params.buyers + (params.kill_at != "")

    ordered = sorted(configurations(Shop, SHOP),
                     key=lambda each: each.size(processes(each.params)))
    shown = [(c.params.buyers, c.params.tickets, c.params.kill_at) for c in ordered]
    assert shown[:7] == [(1, 0, ""), (1, 1, ""), (1, 2, ""),  # 1 process, by distance
                         # 2 processes at distance 1, then 2: the first parameter first.
                         (1, 0, "read"), (2, 0, ""), (1, 1, "read"), (2, 1, "")]
    # Two processes far from the simple end still come before three near it.
    assert shown.index((2, 3, "")) < shown.index((2, 0, "read"))


# --- a made-up program with a local minimum ------------------------------------------

LINES = 4  # each writer writes this many lines, one per step
# A drawn schedule covers every decision of a run of three writers (longer lists only
# give the shrinker more to cut).
DECISIONS = 3 * LINES


@dataclass(frozen=True)
class Writers:
    writers: int = 1
    pause: float = 0.0


def _pick(entry: int | None, schedule: Schedule, names: list[str], choices: tuple[str, ...],
          default: str) -> str:
    """Who goes on, as the coordinator reads an entry (see sut/engine/coordinator.py)."""
    if entry is None:
        return default
    if schedule.relative:
        return choices[(choices.index(default) + entry) % len(choices)]
    named = names[entry] if 0 <= entry < len(names) else None
    return named if named in choices else default


def _write(params: Writers, schedule: Schedule) -> tuple[Result, list[Violation]]:
    """The made-up program: each writer writes :data:`LINES` lines to one file, a step
    each. It breaks when three writers' lines interleave at all, and when two writers'
    alternate line by line - one interleaving, which random schedules seldom make."""
    names = [f"writer {i}" for i in range(params.writers)]
    for started in range(params.writers):
        counting.check(started)  # as a Run starts each: a count may stop it first
    left = dict.fromkeys(names, LINES)
    order: list[str] = []
    steps: list[Step] = []
    while any(left.values()):
        choices = tuple(name for name in names if left[name])
        default = order[-1] if order and order[-1] in choices else choices[0]
        entries = schedule.schedule
        who = _pick(entries[len(order)] if len(order) < len(entries) else None, schedule,
                    names, choices, default)
        # The state is the file written so far: every order is a state of its own. As
        # a coordinator's, only taken where an exploration compares states.
        state = hash(tuple(order)) if fingerprinted() else None
        steps.append(Step(who, Op(who, "point"), "go", choices, who == default, state,
                          len(order)))
        order.append(who)
        left[who] -= 1
    switched = [i for i, step in enumerate(steps) if not step.default]
    replay = tuple(names.index(who) for who in order[:switched[-1] + 1]) if switched else ()
    result = Result(scenario="writers", variant="made-up", params=vars(params),
                    start_method="fork", seed=0, events=(),
                    workers=tuple(WorkerOutcome(name, "ok", 0) for name in names),
                    final={"lines": order}, schedule=replay, steps=tuple(steps))
    return result, _check(order, params.writers)


def _check(order: list[str], writers: int) -> list[Violation]:
    runs = sum(1 for i, who in enumerate(order) if i == 0 or who != order[i - 1])
    if writers >= 3 and runs > writers:
        return [Violation("grouped", f"{writers} writers' lines interleave: {order}")]
    if writers == 2 and runs == len(order):
        return [Violation("grouped", f"two writers' lines alternate: {order}")]
    return []


SPACE = {"writers": (1, 3)}


def _alternates(result: Result) -> bool:
    lines = result.final["lines"]
    return all(a != b for a, b in itertools.pairwise(lines))


def test_the_made_up_program_breaks_two_writers_in_one_interleaving_only() -> None:
    exploration = explore(lambda prefix: _write(Writers(2), Schedule(prefix)))
    assert (exploration.runs, exploration.violating, exploration.complete) == (70, 2, True)
    # Until the first: what the check of a smaller configuration asks.
    first = explore(lambda prefix: _write(Writers(2), Schedule(prefix)), until_first=True)
    assert (first.violating, first.complete) == (1, False)
    assert first.first is not None
    assert _alternates(first.first[0])


def test_the_shrinker_alone_stops_at_three_writers() -> None:
    params, _, _ = minimal_schedule(_write, configs(Writers, SPACE), workers=3, decisions=DECISIONS)
    assert params == Writers(3)  # the bug of issue 13: two writers break too


def test_a_smaller_configuration_that_breaks_is_found_and_said_to_be_the_smallest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def drawn(*args: object, **kwargs: object) -> None:
        raise AssertionError("the walk drew a schedule")

    monkeypatch.setattr("sut.drive.smallest.minimal_schedule", drawn)
    made: list[tuple[int, bool]] = []  # writers, fingerprinted: each default run made

    def counted(params: Writers, schedule: Schedule) -> tuple[Result, list[Violation]]:
        result = _write(params, schedule)
        if result[0].schedule == ():
            made.append((params.writers, fingerprinted()))
        return result

    params, result, violations, smallest = smallest_schedule(
        counted, Writers, SPACE, workers=3, decisions=DECISIONS)
    # Put in order of size, two writers ran by the default schedule, without
    # fingerprints; the walk explores them, and runs that again with them. Three
    # writers were counted only as far as two: they come after two anyway. Without
    # a draw: the first breaking run in the exploration's order (the default order,
    # then those that leave it latest) is the one order in which two writers break.
    assert {(2, False), (2, True)} <= set(made)
    assert not any(writers == 3 for writers, _ in made)
    assert params == Writers(2)
    assert _alternates(result)
    assert [v.invariant for v in violations] == ["grouped"]
    assert _write(params, Schedule(result.schedule or ()))[0].final == result.final  # replays
    assert smallest == Smallest(smaller=1, explored=1, runs=1)
    assert smallest.proved
    assert smallest.describe() == ("smallest: every interleaving of the only smaller "
                                   "configuration explored (1 run)")


def test_past_its_runs_the_walk_draws_from_the_whole_space_and_goes_on_up_to_that(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two writers break in one interleaving of 70: not within 10 runs, nor in 10
    # drawn schedules. Three writers break in many.
    walked = smallest_schedule(_write, Writers, SPACE, workers=3, decisions=DECISIONS,
                               budget=10)
    drawn_from: list[str] = []
    search = minimal_schedule

    def drawn(runs: Any, space: st.SearchStrategy[Any], **kwargs: Any) -> Any:
        drawn_from.append(repr(space))
        return search(runs, space, **kwargs)

    monkeypatch.setattr("sut.drive.smallest.minimal_schedule", drawn)
    # Past 15 runs the walk stops at three writers and draws: the draw finds three
    # writers, and the walk goes on up to them - to the same answer.
    capped = smallest_schedule(_write, Writers, SPACE, workers=3, decisions=DECISIONS,
                               max_examples=15, budget=10)
    assert any("builds(Writers" in space for space in drawn_from)
    assert capped[0] == walked[0] == Writers(3)
    assert capped[1].schedule == walked[1].schedule
    assert capped[3] == walked[3] == Smallest(smaller=2, explored=1, searched=1, runs=1,
                                              budget=10)


@dataclass(frozen=True)
class Team:
    choice: int = 0


TEAMS = {0: 2, 1: 3, 2: 1}  # the processes each choice starts, against its order


def test_a_configuration_counted_past_a_smaller_one_is_counted_whole_when_its_turn_comes(
        ) -> None:
    counted: list[tuple[int, str]] = []  # each run by the default schedule, and how it went

    def team(params: Team, schedule: Schedule) -> tuple[Result, list[Violation]]:
        names = [f"worker {i}" for i in range(TEAMS[params.choice])]
        try:
            for started in range(len(names)):
                counting.check(started)
        except counting.PastCount:
            counted.append((params.choice, "stopped"))
            raise
        counted.append((params.choice, "whole"))
        result = Result(scenario="team", variant="made-up", params=vars(params),
                        start_method="fork", seed=0, events=(),
                        workers=tuple(WorkerOutcome(name, "ok", 0) for name in names),
                        final={}, schedule=(), steps=())
        return result, [Violation("team", "three")] if params.choice == 1 else []

    params, _, _, smallest = smallest_schedule(team, Team, {"choice": (0, 2)}, workers=3,
                                               decisions=3)
    # Two processes counted, three are stopped there: they come later. One process
    # comes first; then two; then three, counted whole now - and breaking.
    assert counted == [(0, "whole"), (1, "stopped"), (2, "whole"), (1, "whole")]
    assert params == Team(1)
    assert smallest == Smallest(smaller=2, explored=2, runs=2)


def _never_breaks(params: Writers, schedule: Schedule) -> tuple[Result, list[Violation]]:
    result, _ = _write(params, schedule)
    return result, []


@pytest.mark.parametrize("max_examples", [100, 1])
def test_a_program_that_never_breaks_is_said_to_hold_walked_or_drawn(max_examples: int) -> None:
    with pytest.raises(NoSuchExample):
        smallest_schedule(_never_breaks, Writers, SPACE, workers=3, decisions=DECISIONS,
                          max_examples=max_examples, budget=10)


def _write_three_break_in_turn(params: Writers, schedule: Schedule
                               ) -> tuple[Result, list[Violation]]:
    """:func:`_write`, but three writers break even when each writes all its lines in
    turn: the same local minimum (two writers break only when their lines alternate),
    reached by a search with no schedule left to shrink. For the tests below - how the
    configurations smaller than the answer are checked, and what the answer says -
    where how the shrinker reached the answer is not the question (the two tests above
    ask it, of :func:`_write`): a search takes about a quarter of the time."""
    result, violations = _write(params, schedule)
    if params.writers >= 3 and not violations:
        violations = [Violation("grouped", "three writers' lines, even in turn")]
    return result, violations


def test_a_smaller_configuration_too_big_to_explore_is_searched_and_said_so() -> None:
    params, _, _, smallest = smallest_schedule(_write_three_break_in_turn, Writers, SPACE,
                                               workers=3, decisions=DECISIONS, budget=10)
    assert params == Writers(3)  # two writers' one interleaving: not in 10 runs, nor drawn
    assert smallest == Smallest(smaller=2, explored=1, searched=1, runs=1, budget=10)
    assert not smallest.proved
    assert smallest.describe() == ("smallest among those searched: 1 of 2 smaller "
                                   "configurations explored completely, 1 searched by 10 "
                                   "schedules")


def test_with_nothing_smaller_or_a_continuous_parameter_the_answer_says_so() -> None:
    *_, alone = smallest_schedule(_write_three_break_in_turn, Writers, {"writers": (3, 3)},
                                  workers=3, decisions=DECISIONS)
    assert alone.describe() == "smallest: no smaller configuration exists"
    assert alone.proved
    # Two writers break too, in one interleaving: unchecked, as pause cannot be listed.
    params, *_, unlisted = smallest_schedule(_write_three_break_in_turn, Writers,
                                             {**SPACE, "pause": (0.0, 0.1)}, workers=3,
                                             decisions=DECISIONS)
    assert params == Writers(3)
    assert unlisted.describe() == "smallest not checked: pause is continuous"
    assert not unlisted.proved


def test_every_smaller_configuration_explored_is_counted_with_its_runs() -> None:
    assert Smallest(smaller=3, explored=3, runs=41).describe() == (
        "smallest: every interleaving of the 3 smaller configurations explored (41 runs)")




# --- a search's runs: none made twice -------------------------------------------------

@given(st.lists(st.tuples(st.integers(1, 3), st.lists(st.integers(0, 2), max_size=14)),
                min_size=1, max_size=12))
def test_a_run_answered_by_one_made_before_is_that_run(
        trials: list[tuple[int, list[int]]]) -> None:
    made: list[Schedule] = []

    def counted(params: Writers, schedule: Schedule) -> tuple[Result, list[Violation]]:
        made.append(schedule)
        return _write(params, schedule)

    runs = _Runs(counted)
    for writers, entries in trials:
        schedule = Schedule(tuple(entries), relative=True)
        answered, real = runs(Writers(writers), schedule), _write(Writers(writers), schedule)
        assert (answered[0].final, answered[0].schedule, answered[1]) == (
            real[0].final, real[0].schedule, real[1])
    assert len(made) <= len(trials)


def test_relative_schedules_that_pick_alike_are_one_run() -> None:
    made: list[Schedule] = []

    def counted(params: Writers, schedule: Schedule) -> tuple[Result, list[Violation]]:
        made.append(schedule)
        return _write(params, schedule)

    runs = _Runs(counted)
    two = Writers(2)
    # Two writers: 2 picks 0 where both can go on; past the last decision nothing counts.
    for entries in [(1,), (1, 0, 0), (3,), (1, 2, 2, 0, 0, 0, 0, 0, 0), (1,) + (0,) * 30]:
        runs(two, Schedule(entries, relative=True))
    assert [schedule.schedule for schedule in made] == [(1,)]
    runs(two, Schedule((1, 1), relative=True))  # another interleaving: made
    runs(Writers(3), Schedule((1,), relative=True))  # another configuration: made
    assert len(made) == 3
