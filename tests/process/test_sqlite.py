"""The ticket office on SQLite: both fixes hold, under jitter and with a buyer killed inside
its transaction; the starting count from a database of one's own. (The broken variants'
minimal counterexamples, and every interleaving of the fixes, are pinned in
tests/pinned.)"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sut
from sut.cli import main
from sut.drive.strategies import trials
from sut.engine.sqlite_model import JOURNALS
from sut.scenarios import sqlite
from sut.scenarios.sqlite import Params
from tests.verdicts import assert_trial_holds

SQLITE = sut.get("sqlite")
FIXES = [variant.name for variant in SQLITE.variants if variant.expected == "holds"]


@pytest.mark.parametrize("variant", FIXES)
@given(trial=trials(SQLITE, buyers=st.integers(1, 3), readers=st.integers(0, 1)))
def test_a_fix_sells_each_ticket_once_and_answers_every_buyer(start_method, variant,
                                                             trial) -> None:
    assert_trial_holds(SQLITE, variant, trial, start_method)


# (Every interleaving of a kill is explored in tests/pinned.)
@pytest.mark.parametrize("journal", JOURNALS)
@pytest.mark.parametrize("variant", FIXES)
def test_a_buyer_killed_inside_its_transaction_leaves_an_intact_database_and_the_others_finish(
        start_method: str, journal: str, variant: str) -> None:
    params = Params(buyers=2, tickets=1, kill_at=sqlite.WRITTEN, journal=journal)
    result, violations = SQLITE.evaluate(params, variant, start_method=start_method)
    assert violations == []
    assert sum(outcome.injected for outcome in result.workers) == 1
    (other,) = [outcome for outcome in result.workers if not outcome.injected]
    assert other.status == "ok"
    # Its purchase was rolled back: the other bought the one ticket.
    assert [event.worker for event in result.events_of(sqlite.BOUGHT)] == [other.name]
    assert result.final == {"count": 0, "integrity": "ok"}


def _database(path: Path, rows: list[int], journal: str = "delete") -> Path:
    with closing(sqlite3.connect(path)) as made:
        made.execute(f"PRAGMA journal_mode = {journal}")
        made.execute("CREATE TABLE tickets (count INTEGER NOT NULL)")
        made.executemany("INSERT INTO tickets VALUES (?)", [(row,) for row in rows])
        made.commit()
    return path


def test_the_starting_count_comes_from_a_database_which_is_left_as_it_was(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _database(tmp_path / "office.db", [2])
    before = db.read_bytes()
    code = main(["run", "sqlite", "--variant", "immediate", "buyers=3", "jitter=0",
                 "--db", str(db)])
    assert (code, db.read_bytes()) == (0, before)
    assert "tickets=2" in capsys.readouterr().out


@pytest.mark.parametrize(("made", "message"), [
    (lambda folder: folder / "none.db", "does not exist"),
    (lambda folder: folder, "is not a regular file"),
    (lambda folder: Path("/dev/zero"), "is not a regular file"),
    (lambda folder: (folder / "text.db").write_text("{}") and folder / "text.db",
     "is not a SQLite database with a table tickets(count): file is not a database"),
    (lambda folder: _database(folder / "two.db", [1, 2]), "must hold one row in tickets"),
    (lambda folder: _database(folder / "minus.db", [-1]), "must hold one row in tickets"),
])
def test_a_database_that_will_not_do_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], made, message: str) -> None:
    code = main(["run", "sqlite", "--variant", "immediate", "--db", str(made(tmp_path))])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1, err
