"""The unit tier starts no process: it is the inner loop (``pytest tests/unit -n 0``)."""

from __future__ import annotations

import multiprocessing.process
import os
import subprocess
from typing import Any

import pytest


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a unit test started a process: it belongs in tests/process")


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a unit test that starts a process, so the tier stays fast and says what it is."""
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", _refuse)
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse)
    monkeypatch.setattr(os, "fork", _refuse)
