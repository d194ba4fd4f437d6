"""The hunt on real runs: a search ends on the minimum the suite pins, and counts its runs."""

from __future__ import annotations

import sut
from sut.drive.hunt import Target, search, targets
from tests.pinned.minima import MINIMA


def test_a_scheduled_search_ends_on_the_pinned_minimum_and_counts_its_runs() -> None:
    pinned = next(m for m in MINIMA if (m.scenario, m.variant) == ("pipe", "leaked-end"))
    pipe = sut.get("pipe")
    found = search(Target(pipe, pipe.variant("leaked-end")), start_method="fork")
    assert (found.params, found.result.schedule) == (pinned.params, pinned.schedule)
    assert found.violations[0].invariant == "no-hang"  # the first the pinned story tells
    # messages=0 is the simplest value, and every other starts as many processes.
    assert found.smallest is not None
    assert found.smallest.describe() == "smallest: no smaller configuration exists"
    assert found.runs >= 1
    assert found.seconds > 0


def test_a_scripted_search_ends_on_an_input_that_shows_its_one_bug() -> None:
    first = next(t for t in targets([sut.get("chat")]) if t.variant.name == "tutorial")
    found = search(first, start_method="fork")
    assert [v.invariant for v in found.violations] == [first.named]
    assert found.smallest is None  # a search by script checks no smaller configuration
    assert found.runs >= 1
