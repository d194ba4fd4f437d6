"""Limits from the command line: the commands that once forked without end or ran out of
memory now stop at once, in one line, starting nothing."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from sut.engine.limits import MAX_PROCESSES, MAX_ROUNDS

# Far more than refusing takes (an interpreter's start and the import of sut), far
# less than the runs these commands once started.
REFUSED_WITHIN = 20.0


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (["run", "ticket", "--variant", "locked", "buyers=100000", "jitter=0", "--timeout", "5"],
     f"buyers must be at most {MAX_PROCESSES}"),
    (["run", "ktv", "--variant", "semaphore", "people=1000000000", "--timeout", "5"],
     f"people must be at most {MAX_PROCESSES}"),
    (["run", "traffic", "--variant", "event", "cycles=1000000000", "--timeout", "3"],
     f"cycles must be at most {MAX_ROUNDS}"),
    (["run", "bakery", "--variant", "sentinel-per-consumer", "buns=1000000000", "jitter=0",
      "--timeout", "3"], f"buns must be at most {MAX_ROUNDS}"),
    (["run", "ticket", "--variant", "locked", "buyers=1_0"],
     "buyers must be a whole number, got '1_0'"),
])
def test_a_command_asking_too_much_is_refused_at_once_in_one_line(args, message) -> None:
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "sut", *args], capture_output=True,
                          text=True, timeout=REFUSED_WITHIN, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"sut: error: {message}")
    assert done.stderr.count("\n") == 1
    assert time.monotonic() - began < REFUSED_WITHIN
