"""What a schedule's coordinator knows of SQLite's locking: whether a statement runs now,
waits, or fails at once.

One database file holding one number (the ticket office's count), and
connections - one a process - running these statements:

- ``begin`` (``BEGIN``, deferred: no lock until the first read or write) and
  ``begin-immediate`` (``BEGIN IMMEDIATE``: the write lock at once);
- ``select`` (read the count) and the two writes, ``update`` (``UPDATE ... SET
  count = ?``) and ``decrement`` (``UPDATE ... SET count = count - 1 WHERE
  count > 0``, which matches no row once the count is 0);
- ``commit`` and ``rollback``.

Python's ``sqlite3``, by default, opens a deferred transaction before a write
outside one, never before a ``select``: a ``select`` outside a transaction
reads and lets go at once.

A statement's :class:`Answer` is one of:

- ``run``: it does its work now;
- ``wait``: SQLite would call its busy handler, which retries for as long as
  the connection's busy timeout: the statement waits until what it waits for
  is gone, or fails with SQLITE_BUSY ("database is locked") when the timeout
  runs out;
- ``busy``: it fails at once with SQLITE_BUSY, whatever the busy timeout.
  SQLite does not call the busy handler for a connection that already reads
  in its transaction and now wants to write (two such readers would wait for
  each other for ever), nor, in WAL, for a transaction whose snapshot another
  connection's commit has made stale.

The rules. One writer at a time: the first write of a transaction, and
``begin-immediate``, take the write lock (the rollback journal's RESERVED
lock, WAL's write lock); another connection wanting it waits, or is ``busy``
as above. A committed write is what later reads see; a connection sees its
own uncommitted write. (SQLite writes a page only where its bytes change: a
write of the count it already holds changes nothing another connection sees.)

- Rollback journal (``delete``): a reader in a transaction holds a SHARED lock
  until it commits or rolls back. A writer's commit needs every other SHARED
  lock gone (EXCLUSIVE): it waits for them. A commit that gave up still holds
  PENDING: no connection may begin to read until it commits or rolls back.
- WAL (``wal``): readers never wait and never hold a writer up; a transaction
  reads the snapshot of its first read, however much is committed after.

A statement on the table is prepared first, and a connection's first one
reads the schema, which is a read like any other: until it could, a write
outside a transaction has not even begun one.

A connection closed - or its process killed: the kernel drops its locks, and
the next reader rolls back what it left in the journal - is rolled back.

This module is pure: no file, no process. ``tests/unit/test_sqlite_model.py``
holds it to the real SQLite, statement by statement.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import astuple, dataclass, field
from typing import Literal

from sut.engine.alike import Rename, renamed

Journal = Literal["delete", "wal"]
JOURNALS: tuple[Journal, ...] = ("delete", "wal")
Statement = Literal["begin", "begin-immediate", "select", "update", "decrement", "commit",
                    "rollback"]
STATEMENTS: tuple[Statement, ...] = ("begin", "begin-immediate", "select", "update",
                                     "decrement", "commit", "rollback")
Verdict = Literal["run", "wait", "busy"]


@dataclass(frozen=True)
class Answer:
    """What a statement does now, and why (for ``wait`` and ``busy``), in words."""

    verdict: Verdict
    why: str = ""


RUN = Answer("run")


@dataclass
class _Connection:
    in_transaction: bool = False
    reads: bool = False  # a read transaction: a SHARED lock (delete) or a snapshot (wal)
    snapshot: int = 0  # wal: the version its read transaction sees
    schema: bool = False  # it has read the schema (which a statement on the table needs)
    wrote: int | None = None  # the count it has written and not yet committed
    changed: bool = False  # a write of it changed the count (writing it again does not)


@dataclass
class Database:
    """One database's committed counts, its writer, and each connection's transaction."""

    journal: Journal
    count: int  # the count it starts with
    versions: list[int] = field(default_factory=list)  # every committed count, in order
    writer: str | None = None  # holds the write lock
    pending: bool = False  # delete: the writer's commit gave up, and holds PENDING
    connections: dict[str, _Connection] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.journal not in JOURNALS:
            raise ValueError(f"journal must be one of {', '.join(JOURNALS)}, "
                             f"got {self.journal!r}")
        self.versions = [self.count]

    @property
    def committed(self) -> int:
        """The count as a new connection reads it."""
        return self.versions[-1]

    def in_transaction(self, who: str) -> bool:
        return self._of(who).in_transaction

    # --- what a statement would do --------------------------------------------

    def answer(self, who: str, statement: Statement) -> Answer:
        """What ``statement`` of connection ``who`` does now; ``ValueError`` for one
        SQLite refuses outright (a ``begin`` inside a transaction)."""
        mine = self._of(who)
        if statement in ("begin", "begin-immediate") and mine.in_transaction:
            raise ValueError(f"{who} cannot begin inside its transaction")
        if statement == "begin" or statement == "rollback":
            return RUN
        if statement == "commit":
            return self._commit_waits(who)
        if self._held_back(who):
            return Answer("wait", f"{self.writer}'s commit, which holds PENDING")
        if statement == "select" or self.writer == who:
            return RUN
        return self._write_waits(who, upgrading=mine.reads)

    def _commit_waits(self, who: str) -> Answer:
        if self.journal == "wal" or self.writer != who:
            return RUN  # (a writer's commit needs EXCLUSIVE, whether it changed a row or not)
        readers = sorted(other for other, connection in self.connections.items()
                         if other != who and connection.reads)
        if not readers:
            return RUN
        return Answer("wait", f"{', '.join(readers)} to stop reading (SHARED)")

    def _write_waits(self, who: str, *, upgrading: bool) -> Answer:
        mine = self._of(who)
        if self.writer is not None:
            if upgrading:
                return Answer("busy", f"{self.writer} holds the write lock, and {who} "
                                      "already reads in its transaction")
            return Answer("wait", f"the write lock, held by {self.writer}")
        if self.journal == "wal" and mine.reads and mine.snapshot < len(self.versions) - 1:
            return Answer("busy", f"a commit since {who}'s transaction began to read "
                                  "made its snapshot stale")
        return RUN

    # --- doing it ---------------------------------------------------------------

    def run(self, who: str, statement: Statement, value: int = 0) -> int | None:
        """Do ``statement`` (its answer must be ``run``): the count a ``select`` reads,
        the rows a ``decrement`` changed (0 or 1); None otherwise. ``value`` is what an
        ``update`` writes."""
        answer = self.answer(who, statement)
        if answer.verdict != "run":
            raise ValueError(f"{who}'s {statement} cannot run now: {answer.verdict}, "
                             f"{answer.why}")
        mine = self._of(who)
        if statement == "rollback":
            self._end(who)
        elif statement == "commit":
            if mine.changed:
                self.versions.append(self._visible(who))
            self._end(who)
        elif statement == "select":
            mine.schema = True
            seen = self._visible(who)
            if mine.in_transaction:
                self._begin_reading(mine)
            return seen
        else:
            mine.in_transaction = True
            if statement != "begin":
                return self._write(who, statement, value)
        return None

    def _write(self, who: str, statement: Statement, value: int) -> int | None:
        """Take the write lock (``begin-immediate``) and write (``update``, ``decrement``)."""
        mine = self._of(who)
        mine.schema = mine.schema or statement != "begin-immediate"
        seen = self._visible(who)
        self._begin_reading(mine)
        self.writer = who
        if statement == "begin-immediate":
            return None
        if statement == "decrement" and seen <= 0:
            return 0
        mine.wrote = value if statement == "update" else seen - 1
        mine.changed = mine.changed or mine.wrote != seen
        return 1 if statement == "decrement" else None

    def fail(self, who: str, statement: Statement) -> None:
        """``statement`` failed with SQLITE_BUSY (at once, or when its wait gave up): what
        it leaves. A write outside a transaction has opened one (Python's ``BEGIN``
        before it) with no lock - once it could be prepared, with the schema read; a
        writer's commit holds PENDING."""
        if self.answer(who, statement).verdict == "run":
            raise ValueError(f"{who}'s {statement} would run now, not fail")
        mine = self._of(who)
        if statement in ("select", "update", "decrement") and not self._held_back(who):
            mine.schema = True  # it was prepared
        if statement in ("update", "decrement") and mine.schema:
            mine.in_transaction = True
        elif statement == "commit" and self.journal == "delete":
            self.pending = True

    def close(self, who: str) -> None:
        """Connection ``who`` is closed, or its process died: rolled back."""
        self._end(who)

    def snapshot(self, rename: Rename | None = None) -> Hashable:
        """The whole state, comparable: equal snapshots behave alike from here on.
        ``rename`` names the connections' processes otherwise (:mod:`.alike`)."""
        rename = rename or {}
        writer = None if self.writer is None else renamed(self.writer, rename)
        return (self.journal, tuple(self.versions), writer, self.pending,
                tuple(sorted((renamed(who, rename), astuple(connection))
                             for who, connection in self.connections.items())))

    # --- helpers ---------------------------------------------------------------

    def _held_back(self, who: str) -> bool:
        """Whether ``who`` may not begin to read: another's commit holds PENDING. Every
        statement on the table waits then - for the schema, before it is prepared, or
        for its first read."""
        return self.pending and not self._of(who).reads and self.writer != who

    def _of(self, who: str) -> _Connection:
        return self.connections.setdefault(who, _Connection())

    def _visible(self, who: str) -> int:
        """The count ``who`` reads now: its own write, its snapshot's (wal), or the last
        committed."""
        mine = self._of(who)
        if mine.wrote is not None:
            return mine.wrote
        if self.journal == "wal" and mine.reads:
            return self.versions[mine.snapshot]
        return self.committed

    def _begin_reading(self, mine: _Connection) -> None:
        if not mine.reads:
            mine.reads, mine.snapshot = True, len(self.versions) - 1

    def _end(self, who: str) -> None:
        self.connections[who] = _Connection(schema=self._of(who).schema)
        if self.writer == who:
            self.writer, self.pending = None, False
