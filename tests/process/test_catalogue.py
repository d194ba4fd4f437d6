"""The catalogue: every registered variant gets the verdict it declares."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis.errors import NoSuchExample

import sut
from tests.strategies import EVERY_TRIAL
from tests.verdicts import TEST_TIMEOUT, minimal_counterexample

CATALOGUE = [(scenario.name, variant.name) for scenario in sut.catalogue()
             for variant in scenario.variants]
# How many trials a variant declared correct must pass here (its own module's
# properties test it further, under every start method).
HOLDS_EXAMPLES = 6
# A broken variant must be caught within this many trials.
VIOLATES_EXAMPLES = 30
# Broken variants may hang; a shorter deadline keeps the search quick, and a
# hang is a violation anyway.
BROKEN_TIMEOUT = 1.5


def test_the_scenarios_and_their_workers_never_import_hypothesis_or_the_parent_side() -> None:
    # A spawned worker imports its scenario's module, and with it the engine:
    # the searches (and their Hypothesis), the drivers, the reports and the
    # coordinator are imported only where they run, in the test process.
    code = ("import importlib, sys\n"
            "from sut.scenarios import MODULES\n"
            "for name in MODULES:\n"
            "    importlib.import_module(name)\n"
            "parent_side = ('hypothesis', 'sut.drive', 'sut.report', 'sut.cli',\n"
            "               'sut.engine.coordinator', 'sut.scenarios.chat.search')\n"
            "loaded = sorted(name for name in sys.modules if name.startswith(parent_side))\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# Each scenario's own tests prove each variant under every start method; this
# catalogue-wide pass (half a minute of runs) is the gate's: pytest -m slow.
@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "variant"), CATALOGUE)
def test_variant_gets_its_declared_verdict(scenario: str, variant: str) -> None:
    chosen = sut.get(scenario)
    if chosen.variant(variant).expected == "violates":
        _, _, violations = minimal_counterexample(
            chosen, variant, EVERY_TRIAL[scenario], "fork", shrink=False, replay=False,
            max_examples=VIOLATES_EXAMPLES, timeout=BROKEN_TIMEOUT)
        assert violations
    else:
        with pytest.raises(NoSuchExample):
            minimal_counterexample(chosen, variant, EVERY_TRIAL[scenario], "fork", shrink=False,
                                   max_examples=HOLDS_EXAMPLES, timeout=TEST_TIMEOUT)
