"""``python -m sut``: exit codes, JSON, human reports, one-line errors."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re

import pytest

import sut
from sut import cli
from sut.cli import main
from sut.cli.common import exit_code
from sut.drive import catalogue
from sut.engine import START_METHODS, default_start_method
from sut.engine.scenario import Scripts


def test_list_names_every_variant_with_its_verdict(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ticket: " in out
    assert "ktv: " in out
    assert re.search(r"unlocked +violates", out)
    assert re.search(r"semaphore +holds", out)
    assert main(["list", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)["scenarios"]
    ticket = next(entry for entry in catalogue if entry["name"] == "ticket")
    assert ticket["params"]["buyers"] == 5
    assert {"name": "locked", "expected": "holds"}.items() <= ticket["variants"][2].items()


@pytest.mark.parametrize(("args", "message"), [
    (["run", "ticket", "--variant", "unlocked", "buyers=0"],
     "buyers must be a whole number >= 1, got 0"),
    (["run", "ticket", "--variant", "unlocked", "buyers=-1"],
     "buyers must be a whole number >= 1, got -1"),
    (["run", "ticket", "--variant", "unlocked", "buyers=many"],
     "buyers must be a whole number, got 'many'"),
    (["run", "ktv", "--variant", "semaphore", "floors=3"], "unknown parameter 'floors'"),
    (["run", "ticket", "--variant", "sometimes"], "unknown variant 'sometimes' of ticket"),
    (["run", "lottery", "--variant", "x"], "unknown scenario 'lottery'"),
    (["run", "ticket"], "the following arguments are required: --variant"),
    (["run", "ticket", "--variant", "locked", "--frobnicate"], "unrecognized arguments"),
    (["run", "ticket", "--variant", "locked", "--timeout", "-1"], "--timeout must be > 0"),
    (["run", "ktv", "--variant", "lock", "--db", "x.json"], "--db only applies to the ticket"),
    (["list", "extra"], "unknown scenario 'extra'"),
    ([], "the following arguments are required: command"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, message) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("sut: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("{count: 3}", "is not a JSON document"),
    ('{"count": -1}', 'must hold an object with a whole-number "count" >= 0'),
    ('{"count": "3"}', 'must hold an object with a whole-number "count" >= 0'),
    ("[3]", 'must hold an object with a whole-number "count" >= 0'),
    (b"\xff\xfe", "cannot be read"),
])
def test_a_bad_database_file_is_one_line_and_exit_2(tmp_path, capsys, content, message) -> None:
    db = tmp_path / "ticket"
    if isinstance(content, bytes):
        db.write_bytes(content)
    elif content is not None:
        db.write_text(content)
    assert main(["run", "ticket", "--variant", "locked", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sut: error: database file '{db}' ")
    assert message in err


def test_db_and_tickets_together_are_refused(tmp_path, capsys) -> None:
    db = tmp_path / "ticket"
    db.write_text('{"count": 3}')
    assert main(["run", "ticket", "--variant", "locked", "tickets=2", "--db", str(db)]) == 2
    assert "give tickets=N or --db PATH, not both" in capsys.readouterr().err


# --- schedules ---------------------------------------------------------------


@pytest.mark.parametrize(("args", "error"), [
    (["explore", "ticket", "--variant", "locked", "--max-runs", "0"],
     "--max-runs must be >= 1, got 0"),
    (["explore", "chat", "--variant", "framed"],
     "chat cannot be explored: its bugs live in byte streams, not in an interleaving of "
     "processes: they are found by generated splits of the stream instead"),
    (["explore", "ticket", "--variant", "locked", "buyers=0"],
     "buyers must be a whole number >= 1, got 0"),
])
def test_explore_rejects_bad_input_in_one_line(args: list[str], error: str, capsys) -> None:
    assert main(args) == 2
    assert capsys.readouterr().err == f"sut: error: {error}\n"


# --- demo --------------------------------------------------------------------


@pytest.mark.parametrize(("neither", "error"), [
    (False, "unknown scenario 'nosuch'"),
    (True, "chat is not in the demo: its bugs live in byte streams"),
])
def test_demo_rejects_what_it_cannot_show_in_one_line(neither: bool, error: str, monkeypatch,
                                                      capsys) -> None:
    if neither:  # a scenario with neither a schedule mode nor searches
        chat = sut.get("chat")
        chat = dataclasses.replace(chat, search=Scripts(module="", why=chat.unscheduled))
        monkeypatch.setattr(catalogue, "get", lambda name: chat)
    assert main(["demo", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sut: error: {error}")
    assert err.count("\n") == 1


def test_demo_refuses_an_svg_path_it_cannot_write_before_searching(tmp_path, capsys) -> None:
    missing = tmp_path / "no" / "races.svg"
    assert main(["demo", "pipe", "--svg", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"sut: error: cannot write {str(missing)!r}: "
                            f"no folder {str(missing.parent)!r}\n")
    assert captured.out == ""


def test_races_refuses_a_folder_that_is_not_there(tmp_path, capsys) -> None:
    missing = tmp_path / "no-docs"
    assert main(["races", "--out", str(missing)]) == 2
    assert capsys.readouterr().err == (f"sut: error: cannot write in {str(missing)!r}: "
                                       "no such folder\n")
    assert not missing.exists()


# --- the commands and their options ------------------------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command of the parser by its words (``run``, ``chat serve``): those that run."""
    found: dict[str, argparse.ArgumentParser] = {}
    todo = [("", cli._build_parser())]
    while todo:
        words, parser = todo.pop()
        inner = [action for action in parser._actions
                 if isinstance(action, argparse._SubParsersAction)]
        if not inner:
            found[words] = parser
        todo += [(f"{words} {name}".strip(), child) for action in inner
                 for name, child in action.choices.items()]
    return found


def test_every_command_that_starts_processes_takes_the_same_start_method_option() -> None:
    commands = _commands()
    assert set(commands) == {"list", "run", "explore", "stress", "demo", "races", "chat serve",
                             "chat client"}
    for words in ("run", "explore", "stress", "demo", "races", "chat serve"):
        start_method = next(action for action in commands[words]._actions
                            if "--start-method" in action.option_strings)
        assert start_method.default == default_start_method(), words
        assert tuple(start_method.choices or ()) == START_METHODS, words


@pytest.mark.parametrize(("violated", "interrupted", "code"), [
    (False, False, cli.EXIT_HELD), (True, False, cli.EXIT_VIOLATED),
    (True, True, cli.EXIT_INTERRUPTED), (False, True, cli.EXIT_INTERRUPTED)])
def test_a_checking_command_exits_by_its_verdict(violated: bool, interrupted: bool,
                                                 code: int) -> None:
    assert exit_code(violated, interrupted=interrupted) == code


def test_key_value_pairs_may_stand_anywhere_but_only_where_a_command_takes_them(
        capsys) -> None:
    args = cli._parse(["run", "ticket", "buyers=2", "--variant", "locked", "tickets=1",
                       "--seed", "3", "readers=0"])
    assert (args.params, args.seed) == (["buyers=2", "tickets=1", "readers=0"], 3)
    assert main(["demo", "ticket", "--svg", "x.svg", "buyers=2"]) == 2
    assert "unrecognized arguments: buyers=2" in capsys.readouterr().err
