"""A SQLite database from the Backend: connections whose every statement is a step.

``backend.Sqlite(path)`` names a database file the scenario has made: one
table ``tickets`` holding one row, its ``count`` - the shape the model knows
(:mod:`.sqlite_model`). It returns a :class:`Database`, which travels to the
workers; each connects with :meth:`Database.connect`, one connection a
process.

Outside schedule mode a connection is a plain ``sqlite3`` connection. In
schedule mode it is a :class:`ScheduledConnection`: each statement first
asks the gate, which lets it go on when the model says it runs - or fails
at once with SQLITE_BUSY - or gives up its wait (the busy timeout, a timeout
of the program: the schedule may let it run out at any decision). The real
statement then runs with a busy timeout of zero, so it never waits for
real, and must do what the model said: the count it reads, the rows it
changes, SQLITE_BUSY or not; else :class:`~.gate.ModelDisagreement`.

Schedule mode knows the statements in :data:`STATEMENT_SQL` (spelled in any
case and spacing) and refuses any other with a ``ValueError``: the model
could only guess what it locks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sut.engine.gate import ModelDisagreement, as_timed, current
from sut.engine.sqlite_model import JOURNALS, Journal, Statement

# The statements the model knows, as SQL; the table and column the model knows.
STATEMENT_SQL: dict[Statement, tuple[str, ...]] = {
    "begin": ("BEGIN", "BEGIN DEFERRED", "BEGIN TRANSACTION", "BEGIN DEFERRED TRANSACTION"),
    "begin-immediate": ("BEGIN IMMEDIATE", "BEGIN IMMEDIATE TRANSACTION"),
    "select": ("SELECT count FROM tickets",),
    "update": ("UPDATE tickets SET count = ?",),
    "decrement": ("UPDATE tickets SET count = count - 1 WHERE count > 0",),
    "commit": ("COMMIT", "END", "COMMIT TRANSACTION", "END TRANSACTION"),
    "rollback": ("ROLLBACK", "ROLLBACK TRANSACTION"),
}
_BY_SQL = {" ".join(sql.upper().split()): statement
           for statement, spellings in STATEMENT_SQL.items() for sql in spellings}


def statement_of(sql: str) -> Statement:
    """Which statement of the model ``sql`` is; ``ValueError`` if the model does not know it."""
    statement = _BY_SQL.get(" ".join(sql.upper().split()).rstrip(";").rstrip())
    if statement is None:
        known = "; ".join(spellings[0] for spellings in STATEMENT_SQL.values())
        raise ValueError(f"schedule mode does not know the statement {sql!r} (it knows: "
                         f"{known})")
    return statement


def read_shape(path: Path) -> tuple[Journal, int]:
    """The journal mode and the count of the database at ``path``; ``ValueError`` if it
    is not of the shape the model knows."""
    try:
        uri = f"{path.absolute().as_uri()}?mode=ro"  # escaped: a folder may be named "a #b?c"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            journal = str(connection.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            rows = connection.execute("SELECT count FROM tickets").fetchall()
    except sqlite3.Error as exc:
        raise ValueError(f"{path} is not a SQLite database with a table tickets(count): "
                         f"{exc}") from None
    if journal not in JOURNALS:
        raise ValueError(f"{path}: schedule mode knows the journal modes "
                         f"{', '.join(JOURNALS)}, not {journal!r}")
    if len(rows) != 1 or not isinstance(rows[0][0], int):
        raise ValueError(f"{path}: the table tickets must hold one whole-number count, "
                         f"holds {rows[:3]!r}")
    return journal, rows[0][0]


@dataclass(frozen=True)
class Database:
    """A database file the processes share; ``name``: its name in the model (schedule
    mode), else None."""

    path: Path
    name: str | None = None

    def connect(self, timeout: float = 5.0) -> Any:
        """A connection, with ``timeout`` seconds of busy timeout: a ``sqlite3``
        connection, or in schedule mode one whose statements are steps."""
        if self.name is None or current() is None:
            return sqlite3.connect(self.path, timeout=timeout)
        return ScheduledConnection(sqlite3.connect(self.path, timeout=0), self.name, timeout)


# The exception classes a connection carries as attributes.
_ERRORS = ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
           "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
           "NotSupportedError")


def _refuse(name: str) -> NoReturn:
    raise ValueError(f"Connection.{name} is not available in schedule mode: the model knows "
                     "only execute (of the statements it knows), commit, rollback and close")


class _Rows:
    """What a statement returned, read before it is checked against the model."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows


class ScheduledConnection:
    """A connection in schedule mode (see the module docstring)."""

    def __init__(self, real: sqlite3.Connection, name: str, timeout: float) -> None:
        self.real = real
        self.name = name
        self.timeout = timeout

    @property
    def in_transaction(self) -> bool:
        """Exact: only its own statements change it."""
        return self.real.in_transaction

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Rows:
        statement = statement_of(sql)
        if statement.startswith("begin") and self.real.in_transaction:
            self.real.execute(sql)  # SQLite refuses it at once, and nothing changes
        value = int(parameters[0]) if statement == "update" else 0
        expected = self._ask(statement, value)
        return self._real(statement, expected, lambda: self.real.execute(sql, parameters))

    def commit(self) -> None:
        self._real("commit", self._ask("commit"), self.real.commit)

    def rollback(self) -> None:
        self._real("rollback", self._ask("rollback"), self.real.rollback)

    def close(self) -> None:
        """Close it; a transaction still open is rolled back (a step)."""
        if self.real.in_transaction:
            self.rollback()
        self.real.close()

    def __getattr__(self, name: str) -> Any:
        """Anything else of a connection - a cursor, ``executescript``, a function the
        database calls, ``with`` - could lock what the model does not know of; its
        exception classes are sqlite3's own."""
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _ERRORS:
            return getattr(sqlite3, name)
        _refuse(name)

    def __enter__(self) -> NoReturn:
        _refuse("__enter__")

    def __exit__(self, *exc_info: object) -> NoReturn:
        _refuse("__exit__")

    def _ask(self, statement: Statement, value: int = 0) -> Any:
        """Wait at the gate: what the model says the statement does ("busy", or what
        it returns)."""
        gate = current()
        assert gate is not None, "a scheduled connection outside schedule mode"
        granted = gate.step(statement, self.name, timed=as_timed(self.timeout),
                            detail=str(value))
        return "busy" if granted.reply == "timeout" else granted.answer

    def _real(self, statement: Statement, expected: Any, run: Any) -> _Rows:
        """Run the real statement; it must do what the model said (``expected``)."""
        try:
            cursor = run()
        except sqlite3.OperationalError as exc:
            if expected == "busy" and "database is locked" in str(exc):
                raise
            raise ModelDisagreement(f"the model let {statement} on {self.name} run, but "
                                    f"the real one failed: {exc}") from None
        if expected == "busy":
            raise ModelDisagreement(f"the model says {statement} on {self.name} fails with "
                                    "SQLITE_BUSY, but the real one ran")
        rows = cursor.fetchall() if isinstance(cursor, sqlite3.Cursor) else []
        rowcount = cursor.rowcount if isinstance(cursor, sqlite3.Cursor) else -1
        got = rows[0][0] if statement == "select" and rows else rowcount
        if statement in ("select", "decrement") and got != expected:
            raise ModelDisagreement(f"the model says {statement} on {self.name} returns "
                                    f"{expected}, the real one {got}")
        return _Rows(rows, rowcount)
