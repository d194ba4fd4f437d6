"""The pytest plugin, installed with the package (entry point ``pytest11``): what a test
suite of one's own programs needs.

- ``start_method``: a test that takes it runs under each start method, or those
  ``--start-methods fork,spawn`` names (a parametrization, not a fixture, so a
  Hypothesis test can take it too).
- ``no_leaks``: a fixture - or the marker ``@pytest.mark.no_leaks`` - that fails
  the test if it leaves a child process, a zombie or a file descriptor behind.
  Opt-in: a suite that wants it everywhere says ``sut_no_leaks = true`` in its
  pytest configuration.
- :func:`~sut.report.assertions.assert_holds` and
  :func:`~sut.report.assertions.assert_breaks`, importable from here (or from
  ``sut``), whose failures show the lanes and the command that replays the run.
"""

from __future__ import annotations

import multiprocessing.forkserver
import multiprocessing.heap
import multiprocessing.resource_tracker
import os
import signal
from collections.abc import Iterator

import pytest

from sut import leftovers
from sut.engine.backend import START_METHODS
from sut.report.assertions import assert_breaks as assert_breaks
from sut.report.assertions import assert_holds as assert_holds

LEAK_MARKER = "no_leaks"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sut", "process synchronization (sut)")
    group.addoption("--start-methods", default=",".join(START_METHODS),
                    help="comma-separated start methods a test taking `start_method` runs "
                         "under (default: all of %(default)s)")
    parser.addini("sut_no_leaks", type="bool", default=False,
                  help="guard every test against leaked processes and file descriptors")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{LEAK_MARKER}: fail the test if it leaves a child "
                                       "process, a zombie or a file descriptor behind")
    _start_methods(config)  # a bad --start-methods is a usage error before collection


def _start_methods(config: pytest.Config) -> list[str]:
    chosen = [name for name in config.getoption("--start-methods").split(",") if name]
    unknown = sorted(set(chosen) - set(START_METHODS))
    if unknown or not chosen:
        raise pytest.UsageError(f"--start-methods: unknown {', '.join(unknown) or '(none)'}"
                                f" (known: {', '.join(START_METHODS)})")
    return chosen


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``start_method`` under each chosen start method."""
    if "start_method" in metafunc.fixturenames:
        metafunc.parametrize("start_method", _start_methods(metafunc.config))


@pytest.fixture(scope="session")
def _sut_long_lived_helpers() -> None:
    """Start ``multiprocessing``'s own long-lived helpers before any leak baseline.

    The forkserver and the resource tracker live as long as the test process,
    by design, and so does the first arena of the shared-memory heap that
    Barrier, Value and Array allocate from (a small arena is never given
    back). Started here, they are part of every baseline, not leaks. (A suite
    whose forkserver should preload its scenario modules overrides this fixture:
    ``preload_forkserver(...)``, then :func:`start_long_lived_helpers`.)
    """
    start_long_lived_helpers()


def start_long_lived_helpers() -> None:
    """The forkserver (if this platform has it), the resource tracker, the first heap arena."""
    if "forkserver" in START_METHODS:
        multiprocessing.forkserver.ensure_running()
    multiprocessing.resource_tracker.ensure_running()
    multiprocessing.heap.BufferWrapper(1)


@pytest.fixture
def no_leaks(_sut_long_lived_helpers: None) -> Iterator[None]:
    """Fail the test if it leaves a child process, a zombie or a file descriptor behind
    (each one it left is killed and reaped, so it poisons no later test)."""
    before, fds = leftovers.child_pids(), leftovers.fd_numbers()
    yield
    # A child the test left is one that was not there before it: only the new ones are
    # read (reading every process's stat twice a test cost 4 ms), and the pids compared
    # are this process's children, not every process's on the machine (listing /proc
    # twice a test cost more the busier the machine); an fd left open is one whose
    # number was not open before: only those are read.
    leaked_children = leftovers.children(among=leftovers.child_pids() - before)
    leaked_fds = leftovers.open_fds(among=leftovers.fd_numbers() - fds)
    for pid in leaked_children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    if leaked_children or leaked_fds:
        pytest.fail(f"leaked child processes {leaked_children} and file descriptors {leaked_fds}",
                    pytrace=False)


@pytest.fixture(autouse=True)
def _sut_guard_when_asked(request: pytest.FixtureRequest) -> None:
    """The leak guard, for a test marked ``no_leaks`` or a suite that asks for it."""
    if (request.node.get_closest_marker(LEAK_MARKER) is not None
            or request.config.getini("sut_no_leaks")):
        request.getfixturevalue("no_leaks")
