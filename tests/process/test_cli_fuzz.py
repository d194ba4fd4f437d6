"""Fuzzing ``python -m sut`` in fresh interpreters: whatever argument list a user
types, the command ends in bounded time and memory with exit 0, 1, 2 or 130,
exit 2 with one line on stderr, and never a traceback - not even from the
interpreter's last flush of a stdout that cannot be written.

Each command runs in its own session, in a temporary folder (so a relative
path lands there), with its address space limited: a read without bound
ends in MemoryError, a traceback, and fails the test.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings

from tests.cli_vocabulary import EXIT_CODES, argument_lists, make_places, placed

# A command's address space: far more than any command here needs, far less than
# reading /dev/zero without bound would take.
MEMORY_LIMIT = 2 << 30
# The longest a drawn command may take: each run is drawn with --timeout 2, and a
# fresh interpreter on a loaded 2-core machine takes a second or two to start.
WALL_LIMIT = 60.0
# Fresh interpreters are slow: the profile's count (sized for examples that start
# processes) times this.
EXAMPLES_PER_PROFILE_EXAMPLE = 5


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _sut(args: list[str], cwd: str, stdout: int | None = subprocess.PIPE) -> tuple[int, str]:
    """``python -m sut args``'s exit code and stderr, in a session of its own that is
    killed whole if it outlasts WALL_LIMIT (which fails the test)."""
    with subprocess.Popen([sys.executable, "-m", "sut", *args], cwd=cwd,
                          stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                          start_new_session=True, preexec_fn=_limit_memory) as command:
        try:
            _, err = command.communicate(timeout=WALL_LIMIT)
        except subprocess.TimeoutExpired:
            os.killpg(command.pid, signal.SIGKILL)
            command.communicate()
            pytest.fail(f"python -m sut {args} still ran after {WALL_LIMIT} s")
    return command.returncode, err.decode("utf-8", "replace")


def test_a_stdout_that_cannot_be_written_gets_one_line_and_exit_2(tmp_path) -> None:
    with open("/dev/full", "wb") as full:
        for args in (["list"], ["--help"]):
            code, err = _sut(args, str(tmp_path), stdout=full.fileno())
            assert (code, err) == (2, "sut: error: cannot write the output: "
                                      "No space left on device\n"), args


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """The commands' working folder, the fuzz's files made in it once."""
    with tempfile.TemporaryDirectory() as made:
        yield Path(made)


@pytest.fixture(scope="module")
def places(folder: Path) -> dict[str, str]:
    """The fuzz's files - a FIFO, a deep and a large database, folders: where each is."""
    return make_places(folder)


@pytest.mark.slow
@settings(max_examples=EXAMPLES_PER_PROFILE_EXAMPLE * settings().max_examples)
@given(args=argument_lists(cheap=True))
@example(args=["run", "ticket", "--variant", "locked", "--db", "/dev/zero"])
@example(args=["run", "ticket", "--variant", "locked", "--db", "<FIFO>"])
@example(args=["run", "ticket", "--variant", "locked", "--db", "<DEEP>"])
@example(args=["stress", "ticket", "--variant", "locked", "--timeout", "2147484"])
@example(args=["races", "--out", "/proc"])
def test_python_m_sut_ends_in_bounded_time_and_memory_without_a_traceback(
        folder: Path, places: dict[str, str], args: list[str]) -> None:
    typed = placed(args, places)
    began = time.monotonic()
    code, err = _sut(typed, str(folder))
    assert code in EXIT_CODES, (typed, err)
    assert "Traceback" not in err, (typed, err)
    assert "Exception ignored" not in err, (typed, err)
    if code == 2:
        assert err.startswith("sut: error: "), (typed, err)
        assert err.count("\n") == 1, (typed, err)
    assert time.monotonic() - began < WALL_LIMIT
