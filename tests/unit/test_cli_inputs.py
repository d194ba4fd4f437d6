"""Every input a user types gets one line and exit 2, before any work starts: numbers
read strictly, schedules strictly, the database file read bounded, output paths
really tried, and a stdout that cannot be written told in one line.

No process starts here (the unit tier refuses one), so an input that used to be
accepted and run fails these tests at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from sut.cli import _parse, main
from sut.cli.common import UsageError, write_all, write_whole
from sut.engine.coordinator import MAX_STEPS, format_schedule, parse_schedule
from sut.engine.scenario import Scenario
from sut.engine.strict import (
    MAX_JSON_DEPTH,
    MAX_JSON_TEXT,
    MAX_TIMEOUT,
    check_timeout,
    decimal_number,
    json_depth,
    whole_number,
)
from sut.report import demo, races
from sut.scenarios import ticket
from sut.scenarios.chat.params import Params as ChatParams

# How long a refusal may take: it is decided before any process starts.
PROMPT = 5.0
CONFIGURING = {"run": ["run", "ticket", "--variant", "locked", "buyers=1"],
               "explore": ["explore", "ticket", "--variant", "locked", "buyers=1"],
               "stress": ["stress", "ticket", "--variant", "locked", "buyers=1"]}


def _refused(capsys: pytest.CaptureFixture[str], args: list[str], message: str = "") -> str:
    """Assert ``args`` exit 2 with one line on stderr holding ``message``; the line."""
    __tracebackhide__ = True
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("sut: error: ")
    assert captured.err.count("\n") == 1, captured.err
    assert message in captured.err
    return captured.err


# --- numbers ------------------------------------------------------------------

@pytest.mark.parametrize("command", sorted(CONFIGURING))
@pytest.mark.parametrize("timeout", ["inf", "nan", "-1", "1e9", "2147484", "3600.5", "1_0",
                                     "\u0663", "0x10", " 5", "5 ", "", "1e1", "0", "0.0"])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_up_to_the_limit_is_refused(
        capsys, command: str, timeout: str) -> None:
    _refused(capsys, [*CONFIGURING[command], "--timeout", timeout], "--timeout must be ")


@pytest.mark.parametrize(("text", "seconds"), [("3600", MAX_TIMEOUT), ("0.5", 0.5), (".5", 0.5),
                                               ("2.", 2.0), ("007", 7.0)])
def test_a_timeout_in_digits_up_to_the_limit_is_taken(text: str, seconds: float) -> None:
    assert _parse([*CONFIGURING["run"], "--timeout", text]).timeout == seconds


@pytest.mark.parametrize(("args", "message"), [
    ([*CONFIGURING["run"], "--seed", "\u0661"],
     "--seed must be a whole number from 0 to 4294967295 in digits 0-9, got '\u0661'"),
    ([*CONFIGURING["run"], "--seed", "1_0"], "got '1_0'"),
    ([*CONFIGURING["run"], "--seed", "-1"], "got '-1'"),
    ([*CONFIGURING["run"], "--seed", "+1"], "got '+1'"),
    ([*CONFIGURING["run"], "--seed", "4294967296"], "--seed must be at most 4294967295"),
    ([*CONFIGURING["run"], "--seed", "9" * 5000], "--seed must be a whole number"),
    ([*CONFIGURING["stress"], "--runs", "0"], "--runs must be >= 1, got 0"),
    ([*CONFIGURING["stress"], "--runs", "100001"], "--runs must be at most 100000"),
    ([*CONFIGURING["stress"], "--runs", "\u00b2"], "--runs must be a whole number"),
    ([*CONFIGURING["stress"], "--seed", "4294967295", "--runs", "2"],
     "--seed 4294967295 with --runs 2 goes past the last seed, 4294967295"),
    ([*CONFIGURING["explore"], "--max-runs", "1000001"], "--max-runs must be at most 1000000"),
    ([*CONFIGURING["explore"], "--max-runs", "\u0663"], "--max-runs must be a whole number"),
])
def test_a_whole_number_option_takes_ascii_digits_within_its_bounds_only(
        capsys, args: list[str], message: str) -> None:
    _refused(capsys, args, message)


def test_strict_numbers_name_what_they_refuse() -> None:
    assert whole_number("n", "0042", high=100) == 42
    assert decimal_number("t", "1.25", high=2) == 1.25
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        whole_number("n", "0", low=1, high=9)
    with pytest.raises(ValueError, match=r"^t must be at most 2, got 2.5$"):
        decimal_number("t", "2.5", high=2)


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -1, MAX_TIMEOUT + 1, True,
                                     "5"])
def test_the_api_refuses_a_timeout_past_the_limit_in_one_line(timeout: object) -> None:
    with pytest.raises(ValueError, match=r"^timeout must be a number of seconds greater than 0 "
                                         r"and at most 3600, got "):
        check_timeout(timeout)
    assert check_timeout(MAX_TIMEOUT) == MAX_TIMEOUT


# --- schedules ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "named"), [
    ("0,,1", "an empty entry"), (",0", "an empty entry"), ("0,", "an empty entry"),
    ("0, ,1", "an empty entry"), ("\u0663", "'\u0663'"), ("1_0", "'1_0'"), ("+1", "'+1'"),
    ("0,-1", "'-1'"), ("M", "'M'"), ("1234567", "'1234567'"), ("0;1", "'0;1'"),
])
def test_a_schedule_is_read_strictly(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=rf"^a schedule lists worker indices like 0,1,m,0 "
                                         rf"\(m is main\); {re.escape(named)} is not one$"):
        parse_schedule(text)


def test_a_schedule_is_bounded_and_only_an_empty_one_is_the_default_order() -> None:
    assert parse_schedule("") == parse_schedule("  ") == ()
    longest = (0, 1) * (MAX_STEPS // 2)
    assert parse_schedule(format_schedule(longest)) == longest
    with pytest.raises(ValueError, match=rf"^a schedule has at most {MAX_STEPS} entries"):
        parse_schedule(format_schedule((*longest, 0)))
    with pytest.raises(ValueError, match=rf"^a schedule has at most {MAX_STEPS} entries"):
        parse_schedule("0" * 10**6)


def test_a_schedule_with_an_empty_entry_is_refused_on_the_command_line(capsys) -> None:
    _refused(capsys, [*CONFIGURING["run"], "--schedule", "0,,1"], "an empty entry is not one")


# --- the database, and JSON on the command line -------------------------------

def _within(seconds: float, work: Callable[[], object], unblock: Callable[[], None]) -> object:
    """What ``work()`` returns or raises, which must come within ``seconds``; else
    ``unblock()`` frees it (a FIFO's reader waits for a writer) and the test fails."""
    __tracebackhide__ = True
    answers: list[object] = []

    def answer() -> None:
        try:
            answers.append(work())
        except Exception as exc:  # handed to the test, which looks at it
            answers.append(exc)

    worker = threading.Thread(target=answer, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        unblock()
        worker.join(seconds)
        pytest.fail(f"still waiting after {seconds} s")
    return answers[0]


def test_a_database_that_is_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path) -> None:
    fifo = tmp_path / "db"
    os.mkfifo(fifo)

    def unblock() -> None:
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    refusal = _within(PROMPT, lambda: ticket.read_database(fifo), unblock)
    assert isinstance(refusal, ValueError)
    assert str(refusal) == f"database file {str(fifo)!r} is not a regular file"


@pytest.mark.parametrize("path", ["/dev/zero", "/proc", "/dev/null"])
def test_a_database_that_is_not_a_regular_file_is_refused(capsys, path: str) -> None:
    _refused(capsys, [*CONFIGURING["run"], "--db", path],
             f"database file {path!r} is not a regular file")


def test_a_database_over_the_size_limit_is_refused_unread(tmp_path, capsys) -> None:
    db = tmp_path / "db"
    with open(db, "wb") as file:
        file.truncate(ticket.MAX_DATABASE_BYTES + 1)  # sparse: nothing to read but zeros
    _refused(capsys, [*CONFIGURING["run"], "--db", str(db)],
             f"database file {str(db)!r} is larger than the limit of 1048576 bytes")


@pytest.mark.parametrize("document", ["[" * 999, '{"count": ' + "[" * 5000, "{" * 100])
def test_a_database_nested_too_deep_is_refused_in_one_line(tmp_path, capsys,
                                                            document: str) -> None:
    db = tmp_path / "db"
    db.write_text(document)
    _refused(capsys, [*CONFIGURING["run"], "--db", str(db)],
             f"database file {str(db)!r} nests deeper than the limit of {MAX_JSON_DEPTH} levels")


def test_a_database_within_the_limits_is_read(tmp_path) -> None:
    db = tmp_path / "db"
    db.write_text('{"count": 3, "note": "' + "[" * 999 + '"}')  # brackets in a string do not nest
    assert ticket.read_database(db) == 3
    assert json_depth('[{"a": "]]]]"}, [[]]]') == 3


@pytest.mark.parametrize(("value", "message"), [
    ("[" * 2000, f"messages (JSON on the command line) nests deeper than the limit of "
                 f"{MAX_JSON_DEPTH} levels"),
    ('[["' + "x" * MAX_JSON_TEXT + '"]]', "messages (JSON on the command line) is 1048582 "
                                          "characters long, over the limit of 1048576"),
])
def test_json_on_the_command_line_nested_too_deep_or_too_long_is_one_line(
        capsys, value: str, message: str) -> None:
    _refused(capsys, ["run", "chat", "--variant", "framed", f"messages={value}"], message)
    with pytest.raises(ValueError, match=r"^messages \(JSON on the command line\) "):
        ChatParams(messages=value)  # type: ignore[arg-type]


# --- paths written ------------------------------------------------------------

@pytest.fixture
def _no_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test whose command searched: a refusal must come before the searches."""
    def searched(*args: object, **kwargs: object) -> None:
        raise AssertionError("the searches ran before the path was refused")

    monkeypatch.setattr(demo, "show", searched)
    monkeypatch.setattr(races, "document", searched)


@pytest.mark.usefixtures("_no_searches")
@pytest.mark.parametrize(("svg", "why"), [
    ("", "it names no file"), ("/", "it names no file"),
    ("/proc/x.svg", "the folder is not writable (No such file or directory)"),
    ("/dev/null", "it is not a regular file"),  # never replaced, even by root
])
def test_demo_refuses_an_svg_path_it_cannot_really_write_before_searching(
        capsys, svg: str, why: str) -> None:
    assert _refused(capsys, ["demo", "pipe", "--svg", svg]) == (
        f"sut: error: cannot write {svg!r}: {why}\n")


@pytest.mark.usefixtures("_no_searches")
def test_races_refuses_an_out_folder_it_cannot_write_in_before_searching(tmp_path,
                                                                         capsys) -> None:
    _refused(capsys, ["races", "--out", "/proc"], "cannot write in '/proc': ")
    (tmp_path / "races").write_text("a file where the pictures' folder goes")
    _refused(capsys, ["races", "--out", str(tmp_path)],
             f"cannot write in {str(tmp_path / 'races')!r}: not a folder")
    (tmp_path / "file").write_text("")
    _refused(capsys, ["races", "--out", str(tmp_path / "file")], "not a folder")


@pytest.mark.usefixtures("_no_searches")
def test_races_refuses_a_read_only_folder_before_searching(tmp_path, capsys,
                                                           monkeypatch) -> None:
    # The check makes a file to know (permissions alone do not tell: root writes in
    # a folder chmod 555); here the kernel's answer to a read-only folder.
    def read_only(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    _refused(capsys, ["races", "--out", str(tmp_path)], "Permission denied")


def test_races_writes_all_of_its_files_or_none(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "races" / "pipe.svg").mkdir(parents=True)  # the last file cannot be written
    monkeypatch.setattr(races, "document", lambda **kwargs: {"RACES.md": "# races\n",
                                                             "races/pipe.svg": "<svg/>"})
    _refused(capsys, ["races", "--out", str(tmp_path)],
             f"cannot write {str(tmp_path / 'races' / 'pipe.svg')!r}: it is a folder")
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["pipe.svg", "races"]


def test_a_failed_write_leaves_no_file_behind(tmp_path) -> None:
    target = tmp_path / "out.svg"
    with pytest.raises(UsageError, match=rf"^cannot write {str(target)!r}: .*surrogates"):
        write_whole(str(target), "a lone surrogate: \udcff")
    assert list(tmp_path.iterdir()) == []
    write_all({str(target): "whole"})
    assert target.read_text() == "whole"
    assert list(tmp_path.iterdir()) == [target]


# --- stdout -------------------------------------------------------------------

@contextlib.contextmanager
def _full_stdout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """stdout on /dev/full, where every flush fails with ENOSPC (set in the test itself:
    capsys sets its own stdout again as the test starts)."""
    with open("/dev/full", "w", encoding="utf-8") as full, monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", full)
        yield


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["--help"], ["run", "--help"]])
def test_a_stdout_that_cannot_be_written_is_one_line_and_exit_2(capsys, monkeypatch,
                                                                args: list[str]) -> None:
    with _full_stdout(monkeypatch):
        code = main(args)
    assert (code, capsys.readouterr().err) == (
        2, "sut: error: cannot write the output: No space left on device\n")


# --- demo ---------------------------------------------------------------------

def test_demo_shows_a_scenario_named_twice_once(monkeypatch) -> None:
    shown: list[str] = []

    def show_scheduled(scenario: Scenario, stage: object) -> list[demo.Verdict]:
        shown.append(scenario.name)
        return []

    monkeypatch.setattr(demo, "_show_scheduled", show_scheduled)
    demo.show(["pipe", "ticket", "pipe"], start_method="fork", say=lambda text: None,
              progress=lambda text: None)
    assert shown == ["pipe", "ticket"]


@pytest.mark.usefixtures("_no_searches")
def test_demo_refuses_an_unknown_name_naming_the_known_ones(capsys) -> None:
    _refused(capsys, ["demo", "ticket", "tickets"],
             "unknown scenario 'tickets' (known: ticket, sqlite, ktv")
