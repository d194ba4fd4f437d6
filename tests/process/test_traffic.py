"""Traffic light: cars that wait for the Event pass on green; cars that do not are caught."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import sut
from sut.drive.strategies import trials
from sut.scenarios import traffic
from sut.scenarios.traffic import Params
from tests.strategies import RACE_JITTER
from tests.verdicts import assert_trial_holds, minimal_counterexample

TRAFFIC = sut.get("traffic")


# Trials on which a car that does not wait certainly passes on red. The light
# starts red and stays red for twice RACE_JITTER; the cars leave with it and
# drive for at most RACE_JITTER, so they arrive during the first red with a
# whole RACE_JITTER (50 ms) to spare for the OS scheduler.
ARRIVING_ON_RED = trials(TRAFFIC, red=st.just(2 * RACE_JITTER), jitter=st.just(RACE_JITTER))


# --- the correct program holds ---------------------------------------------

# green=0: the light flashes green at the waiting cars and at once turns red
# again. Each car is woken (or Event.wait returns False before its timeout),
# and its re-check under the crossing lock finds red - where the tutorial's
# car, which drives on once wait() returns, would pass on red.
@example(trial=(Params(cars=2, cycles=2, green=0.0, red=2 * RACE_JITTER, jitter=RACE_JITTER),
                0))
@given(trial=trials(TRAFFIC))
def test_event_cars_pass_once_only_on_green_and_the_light_stops(start_method, trial) -> None:
    assert_trial_holds(TRAFFIC, "event", trial, start_method)


# --- the broken programs are caught, with their minimal counterexample -----

@pytest.mark.parametrize(("variant", "evidence"), [
    ("ignores-light", r"car 0 passed at \d+ ms while the light was red "
                      r"\(red from \d+ ms until \d+ ms\)"),
    ("checks-once", r"car 0 saw red at \d+ ms, then passed at \d+ ms while the light was "
                    r"still red \(red from \d+ ms until \d+ ms\)"),
])
@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_a_car_that_does_not_wait_drives_through_the_first_red(start_method, variant,
                                                                evidence) -> None:
    params, seed, violations = minimal_counterexample(
        TRAFFIC, variant, ARRIVING_ON_RED, start_method, invariants={traffic.green_only.name})
    assert (params, seed) == (Params(cars=1, cycles=1, green=0.02, red=2 * RACE_JITTER,
                                     jitter=RACE_JITTER), 0)
    (violation,) = violations
    assert re.fullmatch(evidence, violation.detail), violation.detail
