"""Hypothesis strategies built from what scenarios declare (imported where a search or a
test draws: scenario modules and workers never load Hypothesis).

A scenario declares its spaces as plain data (:mod:`sut.engine.space`): the
small configurations its schedules are searched in, and the space its tests
draw trials from. Here each becomes a strategy, one way for every scenario.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sut.drive import catalogue
from sut.drive.sizes import kind
from sut.engine.scenario import Scenario, Schedules
from sut.engine.space import Dimension, Space

# A trial: the params of a run, and the seed of its jitter.
Trial = tuple[Any, int]
# Any seed of a run's jitter.
SEEDS = st.integers(min_value=0, max_value=2**16 - 1)


def drawn(dimension: Dimension) -> st.SearchStrategy[Any]:
    """The strategy for one declared dimension: ``(low, high)``, ``OneOf(...)`` or a value."""
    found = kind(dimension)
    if found == "one of":
        return st.sampled_from(dimension.values)
    if found == "whole":
        return st.integers(*dimension)
    if found == "continuous":
        return st.floats(*dimension)
    return st.just(dimension)


def configs(params: type, space: Space) -> st.SearchStrategy[Any]:
    """``params`` built from values drawn from ``space``, one per parameter."""
    return st.builds(params, **{name: drawn(dimension) for name, dimension in space.items()})


def small_configs(scenario: Scenario) -> st.SearchStrategy[Any]:
    """The scenario's small configurations to search for minimal schedules in."""
    if not isinstance(scenario.search, Schedules):
        raise ValueError(f"{scenario.name} has no schedule mode: {scenario.unscheduled}")
    return configs(scenario.params, scenario.search.small)


def trials(scenario: Scenario, *, seeds: st.SearchStrategy[int] | None = None,
           **dimensions: st.SearchStrategy[Any]) -> st.SearchStrategy[Trial]:
    """Trials of ``scenario``: params drawn from its declared space, and a seed.

    ``dimensions`` replace the declared strategy of a parameter (by name), in
    its place in the order of drawing. A scenario searched by script has
    nothing left to timing: its params come from its searches' ``anything``,
    each trial with seed 0 (which only names the run).

    Raises:
        ValueError: a dimension that names no parameter of the declared space.
    """
    if scenario.space is None:
        if dimensions:
            raise ValueError(f"{scenario.name} draws its params from its searches: "
                             f"{', '.join(dimensions)} cannot be replaced here")
        return st.tuples(catalogue.searches(scenario).anything,
                         seeds if seeds is not None else st.just(0))
    unknown = [name for name in dimensions if name not in scenario.space]
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))}: not in {scenario.name}'s space "
                         f"(known: {', '.join(scenario.space)})")
    return _trials(scenario.params, scenario.space, seeds if seeds is not None else SEEDS,
                   dimensions)


@st.composite
def _trials(draw: st.DrawFn, params: type, space: Space, seeds: st.SearchStrategy[int],
            dimensions: dict[str, st.SearchStrategy[Any]]) -> Trial:
    # One draw per parameter, in the declared order, then the seed: the order
    # the shrinker settles them in.
    values = {name: draw(dimensions[name] if name in dimensions else drawn(dimension))
              for name, dimension in space.items()}
    return params(**values), draw(seeds)
