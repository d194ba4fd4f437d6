"""Hypothesis strategies built from what scenarios declare (imported where a search or a
test draws: scenario modules and workers never load Hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sut.engine.scenario import Scenario


def small_configs(scenario: Scenario) -> st.SearchStrategy[Any]:
    """The scenario's small configurations to search for minimal schedules in."""
    if scenario.small is None:
        raise ValueError(f"{scenario.name} has no schedule mode: {scenario.unscheduled}")
    return st.builds(scenario.params, **{
        name: st.integers(*value) if isinstance(value, tuple) else st.just(value)
        for name, value in scenario.small.items()})
