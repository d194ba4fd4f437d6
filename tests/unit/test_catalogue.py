"""The catalogue: every registered variant gets the verdict it declares."""

from __future__ import annotations

import sut
from tests.strategies import EVERY_TRIAL


def test_every_scenario_has_a_strategy_for_its_whole_parameter_space() -> None:
    assert set(EVERY_TRIAL) == {scenario.name for scenario in sut.catalogue()}


def test_every_scenario_has_a_correct_and_a_broken_variant() -> None:
    for scenario in sut.catalogue():
        assert {variant.expected for variant in scenario.variants} == {"holds", "violates"}


