"""Suite-wide settings: Hypothesis profiles, start methods, and the leak guard."""

from __future__ import annotations

import multiprocessing.forkserver
import multiprocessing.heap
import multiprocessing.resource_tracker
import os
import signal
from collections.abc import Iterator

import pytest
from hypothesis import settings

from sut import leftovers
from sut.engine import START_METHODS, backend
from sut.scenarios import MODULES

# Profiles, chosen by HYPOTHESIS_PROFILE or --hypothesis-profile. Every example
# starts real processes, so there is no per-example deadline (a slow machine
# is not a failure: the Runner's own deadline catches hangs).
settings.register_profile("default", max_examples=4, deadline=None)
settings.register_profile("ci", max_examples=6, deadline=None, derandomize=True,
                          print_blob=True)
settings.register_profile("thorough", max_examples=60, deadline=None)
settings.load_profile(os.getenv("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--start-methods", default=",".join(START_METHODS),
                     help="comma-separated start methods to test (default: all of %(default)s)")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two xdist workers per core.

    The tests mostly wait - jitter pauses widening race windows, deadlines
    that detect hangs - and use well under half of the CPU with one worker
    per core; two per core halve the wall time (see README, Budgets).
    """
    return 2 * (os.cpu_count() or 1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``start_method`` under each start method.

    A direct parametrization, not a fixture, so Hypothesis tests can take it.
    """
    if "start_method" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--start-methods").split(",")
        unknown = set(chosen) - set(START_METHODS)
        if unknown:
            raise pytest.UsageError(f"--start-methods: unknown {', '.join(sorted(unknown))}")
        metafunc.parametrize("start_method", chosen)


@pytest.fixture(scope="session")
def _long_lived_helpers() -> None:
    """Start multiprocessing's own long-lived helpers before any leak baseline.

    The forkserver and the resource tracker live as long as the test process,
    by design, and so does the first arena of the shared-memory heap that
    Barrier, Value and Array allocate from (a small arena is never given
    back). Started here, they are part of every baseline, not leaks.
    """
    if "forkserver" in START_METHODS:
        backend.preload_forkserver(*MODULES)  # as the Backend would, had it started the server
        multiprocessing.forkserver.ensure_running()
    multiprocessing.resource_tracker.ensure_running()
    multiprocessing.heap.BufferWrapper(1)


@pytest.fixture(autouse=True)
def _no_leaks(_long_lived_helpers: None) -> Iterator[None]:
    """Fail any test that leaves a child process, a zombie or a file descriptor behind."""
    children, fds = leftovers.children(), leftovers.open_fds()
    yield
    leaked_children = {pid: what for pid, what in leftovers.children().items()
                       if pid not in children}
    leaked_fds = {fd: what for fd, what in leftovers.open_fds().items() if fd not in fds}
    for pid in leaked_children:
        try:  # do not let one test's leak poison the next ones
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    if leaked_children or leaked_fds:
        pytest.fail(f"leaked child processes {leaked_children} and file descriptors {leaked_fds}",
                    pytrace=False)
