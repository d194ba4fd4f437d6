"""Suite-wide settings: Hypothesis profiles, xdist workers, the forkserver's preload.

The start methods and the leak guard are the plugin's (sut.pytest_plugin), which
this suite uses as any other would; pyproject.toml turns its guard on everywhere.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import is_hypothesis_test, settings

from sut.engine import START_METHODS, backend
from sut.pytest_plugin import start_long_lived_helpers
from sut.scenarios import MODULES

# Profiles, chosen by HYPOTHESIS_PROFILE or --hypothesis-profile. Every example
# starts real processes, so there is no per-example deadline (a slow machine
# is not a failure: the Runner's own deadline catches hangs).
settings.register_profile("default", max_examples=4, deadline=None)
settings.register_profile("ci", max_examples=6, deadline=None, derandomize=True,
                          print_blob=True)
settings.register_profile("thorough", max_examples=60, deadline=None)
settings.load_profile(os.getenv("HYPOTHESIS_PROFILE", "default"))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two xdist workers per core.

    The tests mostly wait - jitter pauses widening race windows, deadlines
    that detect hangs - and use well under half of the CPU with one worker
    per core; two per core halve the wall time (see README, Budgets).
    """
    return 2 * (os.cpu_count() or 1)


@pytest.fixture(scope="session")
def _sut_long_lived_helpers() -> None:
    """The plugin's helpers (sut.pytest_plugin), with the forkserver preloading the
    scenario modules, as the Backend would have had it started the server."""
    if "forkserver" in START_METHODS:
        backend.preload_forkserver(*MODULES)
    start_long_lived_helpers()


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The property tests under spawn are the gate's (``slow``), not the default run's.

    A run under spawn starts a fresh interpreter per process - about ten times
    what fork costs - and a property test makes a run per example: together they
    took a third of the default run's time. Under spawn the default run keeps
    every other test (each pinned minimum replayed, each regression, the
    runtime's); the gate (`.ci/run`) runs the property tests under spawn too.
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (callspec is not None and callspec.params.get("start_method") == "spawn"
                and is_hypothesis_test(getattr(item, "obj", None))):
            item.add_marker(pytest.mark.slow)
