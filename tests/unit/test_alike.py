"""Interchangeable workers: the ways to rename them, and the model's state renamed."""

from __future__ import annotations

import pytest

from sut.engine.alike import MOST_RENAMINGS, Mentioned, mentions, renamed, renamings
from sut.engine.model import Op, World


def test_workers_take_their_sets_names_in_the_order_of_their_own_states() -> None:
    keys = {"a": "3 late", "b": "1 early", "c": "2 middle"}
    assert renamings([("a", "b", "c")], keys) == [{"b": "a", "c": "b", "a": "c"}]


def test_alike_workers_are_tried_in_every_order_and_sets_in_every_combination() -> None:
    keys = {"a": "same", "b": "same", "c": "other", "x": "1", "y": "1"}
    ways = renamings([("a", "b", "c"), ("x", "y")], keys)
    # c sorts first ("other" < "same"): it is named a; a and b share b and c, either way.
    assert sorted(tuple(sorted(way.items())) for way in ways) == sorted([
        (("a", "b"), ("b", "c"), ("c", "a"), ("x", "x"), ("y", "y")),
        (("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "x")),
        (("a", "c"), ("b", "b"), ("c", "a"), ("x", "x"), ("y", "y")),
        (("a", "c"), ("b", "b"), ("c", "a"), ("x", "y"), ("y", "x")),
    ])


def test_the_ways_tried_are_bounded() -> None:
    names = [f"w{i}" for i in range(6)]  # 720 orders of six alike workers
    ways = renamings([names], dict.fromkeys(names, "same"))
    assert len(ways) == MOST_RENAMINGS
    assert all(sorted(way.values()) == names for way in ways)


def test_a_name_is_renamed_only_where_it_is_the_whole_text() -> None:
    rename = {"car 0": "car 1", "car 1": "car 0"}
    assert renamed("car 0", rename) == "car 1"
    assert renamed("light", rename) == "light"
    with pytest.raises(Mentioned):
        renamed("'car 0'", rename)  # a queue's item naming a car: cannot be renamed
    assert mentions(b"sold to car 1", ["car 1"])
    assert not mentions("car", ["car 1"])


def _door_and_meeting(holder: str, *arrived: str) -> World:
    """A world whose lock ``door`` is held by ``holder`` and whose barrier of 3 has seen
    ``arrived`` arrive."""
    world = World()
    world.lock("door")
    world.barrier("meeting", 3)
    world.apply(Op(holder, "acquire", "door"))
    for worker in arrived:
        world.apply(Op(worker, "arrive", "meeting"))
    return world


def test_the_model_renames_every_worker_it_holds_and_sorts_again() -> None:
    world, swapped = _door_and_meeting("b", "a", "c"), _door_and_meeting("a", "b", "c")
    assert world.snapshot() != swapped.snapshot()
    assert world.snapshot({"a": "b", "b": "a"}) == swapped.snapshot()


def test_the_model_refuses_to_rename_a_name_inside_an_item() -> None:
    world = World()
    world.queue("buns")
    world.apply(Op("a", "put", "buns"), "'from a'")
    with pytest.raises(Mentioned):
        world.snapshot({"a": "b", "b": "a"})
    assert world.snapshot({"x": "y", "y": "x"}) == world.snapshot()
