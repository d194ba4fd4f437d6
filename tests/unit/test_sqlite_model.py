"""The SQLite model answers to the real SQLite.

Named cases first: the issue's table of the ticket office's four programs.
Then a differential test: Hypothesis draws a journal mode, 2-3 connections
and a program of statements among them, one at a time; each runs on a real
database file and on the model, which must agree at every step on what it
did - the count read, the rows changed, the wait, the SQLITE_BUSY - and on
which connection is in a transaction.

How a real statement shows the model's verdict (one thread, one statement at
a time, so nothing else can end a wait):

- ``run``: with a busy timeout of 0 it succeeds (one that had to wait would
  fail at once);
- ``wait``: with a busy timeout of WAIT it fails, and not before WAIT has
  passed (SQLite sleeps in its busy handler for the whole timeout);
- ``busy``: with a busy timeout of BUSY it fails long before BUSY has passed.
"""

from __future__ import annotations

import functools
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sut.engine.databases import STATEMENT_SQL, read_shape
from sut.engine.sqlite_model import JOURNALS, STATEMENTS, Answer, Database, Journal, Statement
from sut.scenarios.sqlite import create

# Seconds; every wait the test checks lasts this long for real, so it is short. Load
# cannot fail a wait's check: SQLite's busy handler sleeps out the whole timeout (and a
# sleep lasts at least what it asks), so a real wait takes at least WAIT however slow
# the machine. WAIT need only stay far above what a statement that fails at once takes,
# so that one cannot pass for a wait: 0.03 ms (0.14 ms at the most in 200 tries here),
# some 150 times less. To pass for one it would have to be held off the CPU for 20 ms
# within those microseconds - and a model that says "wait" where SQLite fails at once
# says so in every program that gets there, not in one.
WAIT = 0.02
BUSY = 2.0  # seconds; a statement that fails at once fails in far less than half of it
# Pure and quick but for the waits: many examples even in the default run.
EXAMPLES = 5 * settings().max_examples

# Each statement as the schedule mode's connection knows it first.
SQL: dict[Statement, str] = {statement: spellings[0]
                             for statement, spellings in STATEMENT_SQL.items()}


@functools.cache
def _made(journal: Journal, count: int) -> bytes:
    """The database file of ``count`` in ``journal`` mode, made as the ticket office on
    SQLite makes its own (``create``), once: each test copies it. ``create`` syncs the
    file to disk, a few milliseconds each time; the file it leaves is the same every
    time (closed, its journal or WAL gone, the journal mode in its header)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "made.db"
        create(path, count, journal)
        return path.read_bytes()


class RealDatabase:
    """A database file of one count, and a connection for each name."""

    def __init__(self, path: Path, journal: Journal, count: int, names: list[str]) -> None:
        path.write_bytes(_made(journal, count))
        self.path = path
        self.connections = {name: sqlite3.connect(path, timeout=0) for name in names}

    def do(self, who: str, statement: Statement, value: int, timeout: float
           ) -> tuple[int | str | None, float]:
        """Run it with ``timeout`` as the busy timeout: what it returned ("busy" for
        SQLITE_BUSY), and how long it took."""
        connection = self.connections[who]
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        began = time.monotonic()
        returned: int | str | None
        try:
            returned = self._execute(connection, statement, value)
        except sqlite3.OperationalError as exc:
            if "database is locked" not in str(exc):
                raise
            returned = "busy"
        return returned, time.monotonic() - began

    @staticmethod
    def _execute(connection: sqlite3.Connection, statement: Statement,
                 value: int) -> int | None:
        if statement == "commit":
            connection.commit()
        elif statement == "rollback":
            connection.rollback()
        elif statement == "select":
            count: int = connection.execute(SQL["select"]).fetchone()[0]
            return count
        elif statement == "update":
            connection.execute(SQL["update"], (value,))
        elif statement == "decrement":
            return connection.execute(SQL["decrement"]).rowcount
        else:
            connection.execute(SQL[statement])
        return None

    def committed(self) -> int:
        with closing(sqlite3.connect(self.path)) as fresh:
            count: int = fresh.execute(SQL["select"]).fetchone()[0]
            return count

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


@contextmanager
def database(path: Path, journal: Journal, count: int, names: list[str]
             ) -> Iterator[tuple[RealDatabase, Database]]:
    real = RealDatabase(path, journal, count, names)
    try:
        yield real, Database(journal, count)
    finally:
        real.close()


def step(real: RealDatabase, model: Database, who: str, statement: Statement,
         value: int = 0) -> Answer:
    """Run one statement on both; assert they did the same; the model's answer."""
    answer = model.answer(who, statement)
    if answer.verdict == "run":
        returned, _ = real.do(who, statement, value, 0)
        expected = model.run(who, statement, value)
        assert returned == expected, f"{who} {statement}: real {returned}, model {expected}"
    else:
        returned, took = real.do(who, statement, value, WAIT if answer.verdict == "wait"
                                 else BUSY)
        assert returned == "busy", (f"{who} {statement}: the model says {answer}, the real "
                                    f"one returned {returned!r}")
        if answer.verdict == "wait":
            assert took >= WAIT, f"{who} {statement} failed at once; the model says {answer}"
        else:
            assert took < BUSY / 2, f"{who} {statement} waited; the model says {answer}"
        model.fail(who, statement)
    for name, connection in real.connections.items():
        assert connection.in_transaction == model.in_transaction(name), (
            f"after {who} {statement}: {name} in a transaction? real "
            f"{connection.in_transaction}, model {model.in_transaction(name)}")
    return answer


def play(real: RealDatabase, model: Database,
         program: list[tuple[str, Statement] | tuple[str, Statement, int]]) -> list[str]:
    """Run ``program`` step by step; each answer's verdict."""
    return [step(real, model, *line).verdict for line in program]


# --- the ticket office's four programs, two buyers, one ticket -----------------------

@pytest.mark.parametrize("journal", JOURNALS)
def test_read_then_update_sells_the_last_ticket_twice(tmp_path: Path, journal: Journal) -> None:
    with database(tmp_path / "t.db", journal, 1, ["a", "b"]) as (real, model):
        verdicts = play(real, model, [("a", "select"), ("b", "select"), ("a", "update", 0),
                                      ("a", "commit"), ("b", "update", 0), ("b", "commit")])
        assert verdicts == ["run"] * 6  # both read 1 outside a transaction: both sell it
        assert model.committed == real.committed() == 0


@pytest.mark.parametrize("journal", JOURNALS)
def test_a_deferred_reader_that_then_writes_fails_at_once(tmp_path: Path,
                                                         journal: Journal) -> None:
    with database(tmp_path / "t.db", journal, 1, ["a", "b"]) as (real, model):
        verdicts = play(real, model, [("a", "begin"), ("a", "select"), ("b", "begin"),
                                      ("b", "select"), ("a", "update", 0), ("b", "update", 0)])
        assert verdicts[-1] == "busy"
        answer = model.answer("a", "commit")
        # A rollback journal's commit waits for b's read to end; WAL's does not.
        assert answer.verdict == ("wait" if journal == "delete" else "run")
        play(real, model, [("b", "rollback"), ("a", "commit")])
        assert model.committed == real.committed() == 0


@pytest.mark.parametrize("journal", JOURNALS)
def test_begin_immediate_waits_for_the_writer_then_reads_what_it_committed(
        tmp_path: Path, journal: Journal) -> None:
    with database(tmp_path / "t.db", journal, 1, ["a", "b"]) as (real, model):
        play(real, model, [("a", "begin-immediate"), ("a", "select")])
        assert step(real, model, "b", "begin-immediate") == Answer(
            "wait", "the write lock, held by a")
        play(real, model, [("a", "update", 0), ("a", "commit"), ("b", "begin-immediate")])
        assert model.run("b", "select") == 0  # sold out
        assert real.do("b", "select", 0, 0)[0] == 0


@pytest.mark.parametrize("journal", JOURNALS)
def test_the_conditional_decrement_sells_one_ticket_once(tmp_path: Path,
                                                        journal: Journal) -> None:
    with database(tmp_path / "t.db", journal, 1, ["a", "b"]) as (real, model):
        assert play(real, model, [("a", "decrement"), ("b", "decrement")]) == ["run", "wait"]
        assert model.run("a", "commit") is None
        real.do("a", "commit", 0, 0)
        assert model.run("b", "decrement") == real.do("b", "decrement", 0, 0)[0] == 0


def test_a_commit_that_gave_up_holds_new_readers_back(tmp_path: Path) -> None:
    with database(tmp_path / "t.db", "delete", 1, ["a", "b", "c"]) as (real, model):
        play(real, model, [("b", "begin"), ("b", "select"), ("a", "update", 0)])
        assert play(real, model, [("a", "commit"), ("c", "select")]) == ["wait", "wait"]
        assert play(real, model, [("b", "rollback"), ("a", "commit"), ("c", "select")]) == [
            "run"] * 3


def test_the_model_refuses_what_sqlite_refuses() -> None:
    model = Database("wal", 1)
    model.run("a", "begin")
    with pytest.raises(ValueError, match="cannot begin inside its transaction"):
        model.answer("a", "begin-immediate")
    with pytest.raises(ValueError, match="journal must be one of delete, wal"):
        Database("memory", 1)  # type: ignore[arg-type]


# --- random programs ---------------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(journal=st.sampled_from(JOURNALS), connections=st.integers(2, 3),
       count=st.integers(0, 2), data=st.data())
def test_random_programs_do_on_the_model_what_they_do_on_sqlite(
        tmp_path_factory: pytest.TempPathFactory, journal: Journal, connections: int,
        count: int, data: st.DataObject) -> None:
    names = [f"c{i}" for i in range(connections)]
    folder = tmp_path_factory.mktemp("sqlite")
    with database(folder / "t.db", journal, count, names) as (real, model):
        for _ in range(data.draw(st.integers(1, 14), label="statements")):
            who = data.draw(st.sampled_from(names))
            allowed = [one for one in STATEMENTS
                       if not (one.startswith("begin") and model.in_transaction(who))]
            statement = data.draw(st.sampled_from(allowed))
            step(real, model, who, statement, data.draw(st.integers(0, 2), label="value"))
        for name in names:
            step(real, model, name, "rollback")
        assert model.committed == real.committed()


@pytest.mark.parametrize("journal", JOURNALS)
def test_the_shape_is_read_from_a_folder_whose_name_a_uri_would_mistake(
        journal: Journal, tmp_path: Path) -> None:
    folder = tmp_path / "a #b?c%20"  # where the user's TMPDIR may put a run's folder
    folder.mkdir()
    create(folder / "tickets.db", 2, journal)
    assert read_shape(folder / "tickets.db") == (journal, 2)
