"""The leak guard itself: a test that leaves a process or a descriptor behind fails."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

LEAKY_TESTS = '''
import multiprocessing, os, time

def _sleep():
    time.sleep(60)

def test_leaves_a_process():
    multiprocessing.get_context("fork").Process(target=_sleep, daemon=True).start()

def test_leaves_a_descriptor():
    os.open(os.devnull, os.O_RDONLY)

def test_cleans_up():
    process = multiprocessing.get_context("fork").Process(target=_sleep, daemon=True)
    process.start()
    process.kill()
    process.join()
    process.close()
'''


# A check of the harness itself, in pytest sessions of its own: the gate's, pytest -m slow.
@pytest.mark.slow
def test_guard_fails_tests_that_leak_and_passes_those_that_clean_up(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest((Path(__file__).parents[2] / "conftest.py").read_text())
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=3, errors=2)
    outcome.stdout.fnmatch_lines(["*leaked child processes {*: '*'}*",
                                  "*file descriptors {*: '/dev/null'}*"])
