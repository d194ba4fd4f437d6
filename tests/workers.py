"""Worker functions for the runtime tests: module level, so spawn can import them."""

from __future__ import annotations

import time
from typing import Any

from sut.runtime import Probe


def steps(probe: Probe, count: int) -> None:
    for i in range(count):
        probe.point("step", i=i)


def crash(probe: Probe) -> None:
    probe.point("before")
    raise RuntimeError("the worker broke on purpose")


def hang(probe: Probe) -> None:
    probe.point("stuck here")
    time.sleep(3600)


def exit_with(probe: Probe, code: int) -> None:
    probe.point("exiting")
    raise SystemExit(code)


def put_all(probe: Probe, queue: Any, items: list[Any]) -> None:
    for item in items:
        queue.put(item)


def take_tasks(probe: Probe, queue: Any, count: int) -> None:
    for _ in range(count):
        queue.get(timeout=5)
        queue.task_done()
