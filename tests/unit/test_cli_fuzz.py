"""Fuzzing the command line in-process: whatever argument list a user types, ``main``
answers with an exit code of 0, 1, 2 or 130 - exit 2 with exactly one line on
stderr - and never raises.

The work itself is stubbed: a command whose input was all good reaches a run,
a search or the chat and stops there (:class:`_Reached`), so no process
starts and every example takes milliseconds. The same vocabulary drives
``python -m sut`` in fresh interpreters in tests/process/test_cli_fuzz.py.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sut.chat import client as chat_client
from sut.chat import server as chat_server
from sut.cli import main
from sut.engine.scenario import Scenario
from sut.report import demo, races
from tests.cli_vocabulary import EXIT_CODES, argument_lists, make_places, placed, with_nul

# Many cheap examples: the profile's count (sized for examples that start processes) times this.
EXAMPLES_PER_PROFILE_EXAMPLE = 5


class _Reached(Exception):
    """The command got past every check of its input to the work."""


def _reach(*args: Any, **kwargs: Any) -> Any:
    raise _Reached


@pytest.fixture(scope="module")
def places() -> Iterator[dict[str, str]]:
    """The fuzz's files - a FIFO, a deep and a large database, folders - made once."""
    with tempfile.TemporaryDirectory() as folder:
        yield make_places(Path(folder))


@contextlib.contextmanager
def _work_stubbed() -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for owner, name in [(Scenario, "evaluate"), (demo, "show"), (races, "document"),
                            (chat_server, "bind"), (chat_client, "chat")]:
            stack.enter_context(mock.patch.object(owner, name, _reach))
        yield


def _answer(args: list[str]) -> tuple[int, str]:
    """``main(args)``'s exit code (a command that reached its work: 0) and stderr."""
    err = io.StringIO()
    with _work_stubbed(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except _Reached:
            code = 0
        except SystemExit as exit_:  # --help
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, err.getvalue()


@settings(max_examples=EXAMPLES_PER_PROFILE_EXAMPLE * settings().max_examples)
@given(args=argument_lists(), nul=st.none() | st.integers(0, 20))
@example(args=["run", "ticket", "--variant", "locked", "--timeout", "inf"], nul=None)
@example(args=["run", "ticket", "--variant", "locked", "--db", "<FIFO>"], nul=None)
@example(args=["run", "chat", "--variant", "framed", "messages=" + "[" * 2000], nul=None)
@example(args=["races", "--out", "<RACES_IS_A_FILE>"], nul=None)
@example(args=["demo", "pipe", "--svg", "/proc/x.svg"], nul=None)
def test_every_argument_list_gets_an_exit_code_and_at_most_one_line(
        places: dict[str, str], args: list[str], nul: int | None) -> None:
    typed = placed(args, places)
    if nul is not None:
        typed = with_nul(typed, nul)
    code, err = _answer(typed)
    assert code in EXIT_CODES, (typed, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("sut: error: "), (typed, err)
        assert err.count("\n") == 1, (typed, err)
