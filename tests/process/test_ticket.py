"""Ticket office: the locked sale holds; the tutorial's programs are caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.scenarios import ticket
from sut.scenarios.ticket import Params
from tests.strategies import RACE_JITTER, race_jitter, ticket_trials
from tests.verdicts import assert_trial_holds, minimal_counterexample

TICKET = sut.get("ticket")
LOST_UPDATE = {ticket.no_oversell.name, ticket.consistent_count.name}


# --- the correct program holds ---------------------------------------------

@given(trial=ticket_trials())
def test_locked_never_oversells_or_loses_an_update(start_method, trial) -> None:
    assert_trial_holds(TICKET, "locked", trial, start_method)


@given(trial=ticket_trials(buyers=st.integers(1, 3), readers=st.integers(1, 2)))
def test_locked_file_is_whole_for_readers_at_every_moment(start_method, trial) -> None:
    assert_trial_holds(TICKET, "locked", trial, start_method)


@given(trial=ticket_trials(buyers=st.integers(1, 3), readers=st.integers(0, 1),
                           kill_at=st.sampled_from(ticket.BUYER_POINTS)))
def test_locked_survives_a_buyer_killed_mid_purchase(start_method, trial) -> None:
    assert_trial_holds(TICKET, "locked", trial, start_method)


# --- the broken programs are caught, with their minimal counterexample -----

@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_unlocked_oversells_with_two_buyers_and_one_ticket(start_method) -> None:
    params, seed, violations = minimal_counterexample(
        TICKET, "unlocked", ticket_trials(jitter=race_jitter()), start_method,
        invariants=LOST_UPDATE)
    assert (params, seed) == (Params(buyers=2, tickets=1, jitter=RACE_JITTER), 0)
    found = {v.invariant: v.detail for v in violations}
    assert found["no-oversell"] == "sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1"


@pytest.mark.slow  # a jitter-mode search: the gate's (see README)
def test_tutorial_shows_a_reader_the_truncated_file(start_method) -> None:
    # The tutorial's query runs outside the lock, while open(..., "w") has
    # emptied the file and json.dump has not yet written it.
    params, seed, violations = minimal_counterexample(
        TICKET, "tutorial", ticket_trials(buyers=st.integers(1, 3), jitter=race_jitter(),
                                      readers=st.integers(1, 2)),
        start_method, invariants={ticket.valid_file.name})
    assert (params, seed) == (Params(buyers=1, tickets=1, jitter=RACE_JITTER, readers=1), 0)
    assert any(v.detail.startswith("reader 0 read ''") for v in violations)


def test_tutorial_leaves_an_empty_file_when_a_buyer_dies_while_writing(start_method) -> None:
    params = Params(buyers=1, tickets=1, jitter=RACE_JITTER, kill_at="writing")
    result, violations = TICKET.evaluate(params, "tutorial", start_method=start_method)
    assert [v.detail for v in violations] == [
        "after the run the database holds '', not a valid document"]
    assert result.worker("buyer 0").injected


def test_tutorial_lock_is_never_released_by_a_buyer_killed_holding_it(start_method) -> None:
    # A multiprocessing.Lock has no owner the kernel knows of: its holder's
    # death leaves it locked for good, and every other buyer waits forever.
    params = Params(buyers=2, tickets=1, jitter=RACE_JITTER, kill_at="read")
    result, violations = TICKET.evaluate(params, "tutorial", start_method=start_method, timeout=1.5)
    (victim,) = [outcome.name for outcome in result.workers if outcome.injected]
    (other,) = {"buyer 0", "buyer 1"} - {victim}
    assert [(v.invariant, v.detail) for v in violations] == [
        ("no-hang", f"{other} hung after 'query' and was stopped at the deadline")]
