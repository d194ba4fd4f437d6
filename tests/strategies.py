"""Shared Hypothesis strategies: the trials (params and jitter seed) of each scenario."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sut.scenarios import bakery, event, ktv, pipe, printing, queue, ticket, traffic
from sut.scenarios.chat import search as chat_search

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


# --- printing ------------------------------------------------------------------

@st.composite
def printing_trials(draw: st.DrawFn, *, workers: st.SearchStrategy[int] = st.integers(1, 3),
                    jitter: st.SearchStrategy[float] | None = None,
                    seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    params = printing.Params(workers=draw(workers),
                             jitter=draw(jitter if jitter is not None else any_jitter()))
    return params, draw(seeds)


# --- event ---------------------------------------------------------------------

@st.composite
def event_trials(draw: st.DrawFn, *, waiters: st.SearchStrategy[int] = st.integers(1, 3),
                 timeout: st.SearchStrategy[float] | None = None,
                 jitter: st.SearchStrategy[float] | None = None,
                 seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    # Every run waits `timeout` on the cleared event: kept short by default.
    params = event.Params(
        waiters=draw(waiters),
        timeout=draw(timeout if timeout is not None else st.floats(0, 0.1)),
        jitter=draw(jitter if jitter is not None else any_jitter()))
    return params, draw(seeds)


# --- traffic -------------------------------------------------------------------

# How long the light stays in one colour: long enough to arrive in, short
# enough to keep examples cheap. Sampled, so a search shrinks to the shortest.
PHASES = st.sampled_from([0.02, 0.05, 0.1])


@st.composite
def traffic_trials(draw: st.DrawFn, *, cars: st.SearchStrategy[int] = st.integers(1, 3),
                   cycles: st.SearchStrategy[int] = st.integers(1, 2),
                   green: st.SearchStrategy[float] = PHASES,
                   red: st.SearchStrategy[float] = PHASES,
                   jitter: st.SearchStrategy[float] | None = None,
                   seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    params = traffic.Params(cars=draw(cars), cycles=draw(cycles), green=draw(green),
                            red=draw(red),
                            jitter=draw(jitter if jitter is not None else any_jitter()))
    return params, draw(seeds)


# --- queue ---------------------------------------------------------------------

# The child's start-up delays a search draws from: on time, or certainly late.
# Main gets 0.15 s (its sleep) after the child could first have got; a late
# child gets 0.15 s after main has - far more than the drift between two
# processes released by one barrier.
ON_TIME = 0.0
LATE = 2 * queue.PARENT_SLEEP


def any_delay() -> st.SearchStrategy[float]:
    """Any start-up delay of the child, on time or late, zero included."""
    return st.floats(min_value=0, max_value=LATE)


@st.composite
def queue_trials(draw: st.DrawFn, *, messages: st.SearchStrategy[int] = st.integers(1, 4),
                 jitter: st.SearchStrategy[float] | None = None,
                 delay: st.SearchStrategy[float] | None = None,
                 seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    # The delay is drawn first, so the shrinker settles it before the message
    # count: a search for the late child then replays one hanging run fewer.
    late = draw(delay if delay is not None else any_delay())
    params = queue.Params(messages=draw(messages),
                           jitter=draw(jitter if jitter is not None else any_jitter()), delay=late)
    return params, draw(seeds)


# --- pipe ----------------------------------------------------------------------

@st.composite
def pipe_trials(draw: st.DrawFn, *, messages: st.SearchStrategy[int] = st.integers(0, 4),
                jitter: st.SearchStrategy[float] | None = None,
                seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    params = pipe.Params(messages=draw(messages),
                          jitter=draw(jitter if jitter is not None else any_jitter()))
    return params, draw(seeds)


# --- bakery --------------------------------------------------------------------

@st.composite
def bakery_trials(draw: st.DrawFn, *, producers: st.SearchStrategy[int] = st.integers(1, 3),
                  consumers: st.SearchStrategy[int] = st.integers(1, 3),
                  buns: st.SearchStrategy[int] = st.integers(1, 3),
                  jitter: st.SearchStrategy[float] | None = None,
                  seeds: st.SearchStrategy[int] = SEEDS) -> Trial:
    # Producer and consumer counts are drawn independently: the tutorial's
    # one-None-per-producer is right exactly when they happen to be equal.
    params = bakery.Params(producers=draw(producers), consumers=draw(consumers),
                           buns=draw(buns),
                           jitter=draw(jitter if jitter is not None else any_jitter()))
    return params, draw(seeds)


# --- chat ----------------------------------------------------------------------

def chat_trials(*, seeds: st.SearchStrategy[int] = st.just(0),
                **space: Any) -> st.SearchStrategy[Trial]:
    """The clients' scripts of :func:`sut.scenarios.chat.search.scripts`; nothing is left to
    timing, so the seed only names the run."""
    return st.tuples(chat_search.scripts(**space), seeds)


# Each scenario's whole parameter space, for the catalogue test.
EVERY_TRIAL: dict[str, st.SearchStrategy[Trial]] = {
    "ticket": ticket_trials(jitter=race_jitter(), readers=st.integers(0, 1),
                            kill_at=st.sampled_from(["", *ticket.BUYER_POINTS])),
    "ktv": ktv_trials(jitter=race_jitter()),
    "printing": printing_trials(workers=st.integers(1, 4), jitter=race_jitter()),
    "event": event_trials(waiters=st.integers(1, 4), timeout=st.floats(0, 0.2),
                          jitter=race_jitter()),
    "traffic": traffic_trials(jitter=race_jitter()),
    "queue": queue_trials(jitter=race_jitter()),
    "bakery": bakery_trials(jitter=race_jitter()),
    "pipe": pipe_trials(jitter=race_jitter()),
    "chat": chat_trials(),
}


# --- schedule mode -------------------------------------------------------------
# A drawn schedule: relative picks (0 = the default), one per decision.
PICKS = st.lists(st.integers(0, 3), max_size=40)
