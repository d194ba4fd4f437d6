"""A worker whose start-up is slow: importing this module (which a spawned
child does before it can run the worker) takes SLOW_START seconds.

The pause comes from the environment, so that the test process imports this
module at once and only its children wait.
"""

from __future__ import annotations

import os
import time

from sut.engine import Probe

# The variable that says how long importing this module takes, in seconds.
SLOW_START = "SUT_TEST_SLOW_START"

time.sleep(float(os.environ.get(SLOW_START, "0")))


def greet(probe: Probe) -> None:
    probe.point("hello")
