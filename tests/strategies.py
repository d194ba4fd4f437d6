"""Shared Hypothesis strategies: the trials (params and jitter seed) of each scenario."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sut.scenarios import ktv, ticket

# The narrowest jitter that makes a race certain. Contenders start together and
# drift apart by at most a quarter of the width per point, while the window
# between two points stays open for three quarters of it: at 50 ms that is a
# 37 ms window against 12 ms of drift, a 25 ms margin for the OS scheduler.
RACE_JITTER = 0.05
# Correct variants are shaken with any jitter up to this, zero included.
MAX_JITTER = 0.05
SEEDS = st.integers(min_value=0, max_value=2**16 - 1)

Trial = tuple[Any, int]


def race_jitter() -> st.SearchStrategy[float]:
    """Jitter for hunting a race: shrinks to exactly RACE_JITTER, never below."""
    return st.sampled_from([RACE_JITTER, 1.5 * RACE_JITTER, 2 * RACE_JITTER])


def any_jitter() -> st.SearchStrategy[float]:
    return st.floats(min_value=0, max_value=MAX_JITTER)


@st.composite
def ticket_trials(draw: st.DrawFn, *, buyers: st.SearchStrategy[int] = st.integers(1, 4),
                  tickets: st.SearchStrategy[int] = st.integers(0, 4),
                  jitter: st.SearchStrategy[float] | None = None,
                  readers: st.SearchStrategy[int] = st.just(0),
                  kill_at: st.SearchStrategy[str] = st.just(""),
                  seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    params = ticket.Params(
        buyers=draw(buyers), tickets=draw(tickets),
        jitter=draw(jitter if jitter is not None else any_jitter()),
        readers=draw(readers), kill_at=draw(kill_at))
    return params, draw(seeds)


@st.composite
def ktv_trials(draw: st.DrawFn, *, people: st.SearchStrategy[int] = st.integers(1, 5),
               rooms: st.SearchStrategy[int] = st.integers(1, 4),
               jitter: st.SearchStrategy[float] | None = None,
               seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    params = ktv.Params(people=draw(people), rooms=draw(rooms),
                        jitter=draw(jitter if jitter is not None else any_jitter()))
    return params, draw(seeds)


# Each scenario's whole parameter space, for the catalogue test.
EVERY_TRIAL: dict[str, st.SearchStrategy[Trial]] = {
    "ticket": ticket_trials(jitter=race_jitter(), readers=st.integers(0, 1),
                            kill_at=st.sampled_from(["", *ticket.BUYER_POINTS])),
    "ktv": ktv_trials(jitter=race_jitter()),
}
