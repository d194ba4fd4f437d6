"""The plugin's leak guard itself: a test that leaves a process or a descriptor behind
fails - marked ``no_leaks``, or in a suite that turns the guard on for every test."""

from __future__ import annotations

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
@pytest.mark.parametrize("asked", ["marker", "ini"])
def test_guard_fails_tests_that_leak_and_passes_those_that_clean_up(
        pytester: pytest.Pytester, asked: str) -> None:
    if asked == "marker":
        pytester.makepyfile(test_leaky="import pytest\npytestmark = pytest.mark.no_leaks\n"
                                       + LEAKY_TESTS)
    else:
        pytester.makeini("[pytest]\nsut_no_leaks = true\n")
        pytester.makepyfile(test_leaky=LEAKY_TESTS)
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    outcome.assert_outcomes(passed=3, errors=2)
    outcome.stdout.fnmatch_lines(["*leaked child processes {*: '*'}*",
                                  "*file descriptors {*: '/dev/null'}*"])


@pytest.mark.slow
def test_without_the_guard_a_leak_goes_unseen(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaky=LEAKY_TESTS.replace("time.sleep(60)", "time.sleep(5)"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist").assert_outcomes(
        passed=3)
