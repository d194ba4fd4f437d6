"""Shared Hypothesis strategies: what the tests draw beyond each scenario's declared space.

A scenario declares the space its tests draw from (``space=`` in its
``SCENARIO``); :func:`sut.drive.strategies.trials` draws trials - params and
a jitter seed - from it, for every scenario alike. What is left here is what
tests choose: the jitter that hunts a race, the narrower spaces some
properties are cheaper in, and every scenario's whole space for the catalogue.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import sut
from sut.drive.strategies import Trial, trials
from sut.engine.scenario import Scenario

# The narrowest jitter that makes a race certain. Contenders start together and
# drift apart by at most a quarter of the width per point, while the window
# between two points stays open for three quarters of it: at 50 ms that is a
# 37 ms window against 12 ms of drift, a 25 ms margin for the OS scheduler.
RACE_JITTER = 0.05


def race_jitter() -> st.SearchStrategy[float]:
    """Jitter for hunting a race: shrinks to exactly RACE_JITTER, never below."""
    return st.sampled_from([RACE_JITTER, 1.5 * RACE_JITTER, 2 * RACE_JITTER])


# --- narrower spaces, where a property is as strong and cheaper ----------------

def ticket_trials(**dimensions: st.SearchStrategy[Any]) -> st.SearchStrategy[Trial]:
    """A sale with no readers and nobody killed, unless a test asks for them."""
    return trials(sut.get("ticket"), **{"readers": st.just(0), "kill_at": st.just(""),
                                        **dimensions})


def printing_trials(**dimensions: st.SearchStrategy[Any]) -> st.SearchStrategy[Trial]:
    """Up to three workers, unless a test asks for more."""
    return trials(sut.get("printing"), **{"workers": st.integers(1, 3), **dimensions})


def event_trials(**dimensions: st.SearchStrategy[Any]) -> st.SearchStrategy[Trial]:
    """Up to three waiters, each waiting at most 0.1 s on the cleared event: every run
    waits ``timeout`` once, so it is kept short unless a test asks otherwise."""
    return trials(sut.get("event"), **{"waiters": st.integers(1, 3),
                                       "timeout": st.floats(0, 0.1), **dimensions})


def whole_space(scenario: Scenario) -> st.SearchStrategy[Trial]:
    """Every trial of ``scenario``, with race jitter if it has jitter."""
    if "jitter" in (scenario.space or {}):
        return trials(scenario, jitter=race_jitter())
    return trials(scenario)


# Each scenario's whole space, for the catalogue test.
EVERY_TRIAL = {scenario.name: whole_space(scenario) for scenario in sut.catalogue()}


# --- schedule mode -------------------------------------------------------------
# A drawn schedule: relative picks (0 = the default), one per decision.
PICKS = st.lists(st.integers(0, 3), max_size=40)
