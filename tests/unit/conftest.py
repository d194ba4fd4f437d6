"""The unit tier starts no process: it is the inner loop (``pytest tests/unit -n 0``)."""

from __future__ import annotations

import multiprocessing.process
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a unit test started a process: it belongs in tests/process")


@pytest.fixture(autouse=True, scope="package")
def _no_processes() -> Iterator[None]:
    """Fail a unit test that starts a process, so the tier stays fast and says what it is.

    Patched once for the whole tier, from before its first test (and its module-scoped
    fixtures) to after its last, not again around each test: pytest leaves a package's
    fixtures before it runs a test of another folder, so no test of tests/process runs
    with it, whatever the order. (A test's own monkeypatch of these puts back _refuse.)
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(multiprocessing.process.BaseProcess, "start", _refuse)
        patch.setattr(subprocess.Popen, "__init__", _refuse)
        patch.setattr(os, "fork", _refuse)
        yield
