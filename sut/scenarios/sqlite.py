"""Ticket office on a real database: the same sale, its tickets in SQLite.

The database is a file in the run's folder: one table ``tickets`` holding one
row, its ``count``, in rollback-journal (``journal=delete``) or WAL mode. Every
buyer opens a connection of its own (a busy timeout of BUSY_TIMEOUT seconds)
and buys one ticket if one is left. Optional readers keep reading the count
while the sale runs, and the first buyer to reach one of its points can be
killed (SIGKILL) there - inside its transaction - to see what a crash leaves.

Variants differ only in how a buyer buys:

- ``read-then-update``: ``SELECT count``, then ``UPDATE tickets SET count =
  ?`` and ``commit()`` - what Python's ``sqlite3`` makes of the JSON office's
  program: it opens a transaction before the UPDATE, not before the SELECT,
  so two buyers read the same count and both sell the last ticket.
- ``deferred``: ``BEGIN``, then the same: a deferred transaction takes no
  lock until it reads, and a reader that then wants to write while another
  connection holds the write lock fails at once with SQLITE_BUSY - SQLite
  does not wait for it, whatever the busy timeout.
- ``immediate``: ``BEGIN IMMEDIATE``: the write lock first, so the read and
  the write are one; a second buyer waits (for the busy timeout) instead.
- ``conditional-update``: ``UPDATE tickets SET count = count - 1 WHERE count
  > 0`` and its ``rowcount``: the check and the write are one statement.

Invariants: those of the JSON office (sold <= tickets; final count = tickets
- sold; no count below zero; every process exits cleanly), and: every buyer
that was not killed gets an answer, bought or sold out; after the sale the
database passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sut
from sut.engine.sqlite_model import JOURNALS
from sut.scenarios import ticket

# The points of a buyer; ``kill_at`` names one of them. READ: it has read the count
# (inside its transaction, where it has one); WRITTEN: it has written, not committed.
READ, WRITTEN = "read", "written"
BUYER_POINTS = (READ, WRITTEN)
BOUGHT, SOLD_OUT, QUERIES = ticket.BOUGHT, ticket.SOLD_OUT, ticket.QUERIES
# How long a connection waits for a lock another holds (sqlite3's ``timeout``).
BUSY_TIMEOUT = 5.0
READER_INTERVAL = 0.001

SELECT = "SELECT count FROM tickets"
UPDATE = "UPDATE tickets SET count = ?"
DECREMENT = "UPDATE tickets SET count = count - 1 WHERE count > 0"


@dataclass(frozen=True)
class Params(sut.Checked):
    """Parameters of one sale; as the JSON office's, and the journal mode."""

    buyers: int = sut.processes(3)
    tickets: int = sut.items(1)
    jitter: float = sut.param(0.05, sut.jitter_width)
    readers: int = sut.processes(0, at_least=0)
    kill_at: str = sut.param("", sut.one_of, ("", *BUYER_POINTS))
    journal: str = sut.param("delete", sut.one_of, JOURNALS)


def read_database(path: str | Path) -> int:
    """The count in the SQLite database at ``path`` (opened read-only, never written).

    Raises:
        ValueError: the file is missing, not a regular file (a FIFO, a device), not a
            SQLite database, or has no table ``tickets`` holding one count >= 0.
    """
    source = f"database file {str(path)!r}"
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        raise ValueError(f"{source} does not exist") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ValueError(f"{source} cannot be read: {exc}") from None
    if not regular:
        raise ValueError(f"{source} is not a regular file")
    try:
        uri = f"{Path(path).absolute().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0)) as connection:
            rows = connection.execute(SELECT).fetchall()
    except sqlite3.Error as exc:
        raise ValueError(f"{source} is not a SQLite database with a table tickets(count): "
                         f"{exc}") from None
    count = rows[0][0] if len(rows) == 1 else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"{source} must hold one row in tickets, its count a whole number "
                         f">= 0, got {rows[:3]!r}")
    return count


# --- the program -----------------------------------------------------------

Purchase = Callable[[Any, sut.Probe], None]


def _sell(connection: Any, probe: sut.Probe, count: int) -> None:
    """Having read ``count`` (in a transaction, if the purchase has one): sell one."""
    probe.point(READ, count=count)  # the race window: others may read this count too
    if count > 0:
        connection.execute(UPDATE, (count - 1,))
        probe.point(WRITTEN, count=count - 1)
        connection.commit()
        probe.record(BOUGHT, left=count - 1)
    else:
        connection.commit()
        probe.record(SOLD_OUT)


def read_then_update(connection: Any, probe: sut.Probe) -> None:
    _sell(connection, probe, connection.execute(SELECT).fetchone()[0])


def deferred(connection: Any, probe: sut.Probe) -> None:
    connection.execute("BEGIN")
    _sell(connection, probe, connection.execute(SELECT).fetchone()[0])


def immediate(connection: Any, probe: sut.Probe) -> None:
    connection.execute("BEGIN IMMEDIATE")
    _sell(connection, probe, connection.execute(SELECT).fetchone()[0])


def conditional_update(connection: Any, probe: sut.Probe) -> None:
    changed = connection.execute(DECREMENT).rowcount
    probe.point(WRITTEN, rows=changed)
    connection.commit()
    probe.record(BOUGHT if changed else SOLD_OUT)


def buyer(probe: sut.Probe, database: Any, purchase: Purchase, start: Any,
          start_timeout: float, busy_timeout: float) -> None:
    start.wait(start_timeout)  # all contenders start together
    connection = database.connect(busy_timeout)
    try:
        purchase(connection, probe)
    finally:
        connection.close()


def reader(probe: sut.Probe, database: Any, start: Any, sale_over: Any, start_timeout: float,
           busy_timeout: float) -> None:
    """Read the count over and over until the sale is over, as a waiting customer would."""
    start.wait(start_timeout)
    connection = database.connect(busy_timeout)
    queries = 0
    try:
        while not sale_over.is_set():
            connection.execute(SELECT).fetchone()
            queries += 1
            probe.poll(READER_INTERVAL)
    finally:
        connection.close()
    probe.record(QUERIES, count=queries)


# --- variants and run ------------------------------------------------------

VARIANTS = (
    sut.Variant("read-then-update", "SELECT the count, then UPDATE it and commit(): Python's "
                "sqlite3 begins the transaction at the UPDATE", "violates", read_then_update,
                shows=("no-oversell", "consistent-count")),
    sut.Variant("deferred", "BEGIN; SELECT; UPDATE; COMMIT: a reader that then writes fails "
                "with SQLITE_BUSY", "violates", deferred, shows=("buyer-answers",)),
    sut.Variant("immediate", "BEGIN IMMEDIATE; SELECT; UPDATE; COMMIT: the write lock first",
                "holds", immediate),
    sut.Variant("conditional-update", "UPDATE ... SET count = count - 1 WHERE count > 0, and "
                "its rowcount", "holds", conditional_update),
)


def create(path: Path, tickets: int, journal: str) -> None:
    """A database of ``tickets`` at ``path``, in ``journal`` mode."""
    with closing(sqlite3.connect(path)) as setup:
        setup.execute(f"PRAGMA journal_mode = {journal}")  # one of JOURNALS: checked
        setup.execute("CREATE TABLE tickets (count INTEGER NOT NULL)")
        setup.execute("INSERT INTO tickets VALUES (?)", (tickets,))
        setup.commit()


def run(params: Params, variant: sut.Variant[Purchase], *, start_method: str, seed: int = 0,
        timeout: float = sut.DEFAULT_TIMEOUT,
        schedule: sut.ScheduleLike | None = None) -> sut.Result:
    """Run one sale (by ``schedule``, if given) and return what happened."""
    backend, opened = ticket.open_sale("sqlite", params, variant, start_method, seed, timeout,
                                       schedule)
    with opened as sale:
        path = sale.workdir / "tickets.db"
        create(path, params.tickets, params.journal)
        database = backend.Sqlite(path, "tickets")
        start = backend.Barrier(params.buyers + params.readers, "start")
        sale_over = backend.Event("sale over")
        # A buyer holds the write lock only for its few statements.
        busy = sut.assume_long_enough(BUSY_TIMEOUT, "no buyer holds the write lock for "
                                                    f"{BUSY_TIMEOUT:g} s")
        buyers = [f"buyer {i}" for i in range(params.buyers)]
        for name in buyers:
            sale.spawn(name, buyer, database, variant.wiring, start, sale.patience(), busy)
        for i in range(params.readers):
            sale.spawn(f"reader {i}", reader, database, start, sale_over, sale.patience(),
                       busy)
        sale.wait(buyers)
        sale_over.set()
        result = sale.result()
        # Read once every process is gone: a killed buyer's journal is rolled back here.
        return result.with_final(_left_behind(path))


def _left_behind(path: Path) -> dict[str, Any]:
    """The database as the sale left it: its count, and what ``integrity_check`` says."""
    with closing(sqlite3.connect(path, timeout=0)) as connection:
        integrity = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
        count = connection.execute(SELECT).fetchone()[0]
    return {"count": count, "integrity": integrity}


# --- invariants ------------------------------------------------------------

@sut.invariant("buyer-answers")
def buyer_answers(result: sut.Result) -> Iterator[str]:
    """Every buyer that was not killed gets one answer: bought, or sold out."""
    for outcome in result.workers:
        if not outcome.name.startswith("buyer") or outcome.injected:
            continue
        answers = [event for event in result.events_by(outcome.name)
                   if event.label in (BOUGHT, SOLD_OUT)]
        if len(answers) != 1:
            failed = f": it failed with {outcome.error}" if outcome.error else ""
            yield f"{outcome.name} got {len(answers)} answers, not one{failed}"


@sut.invariant("intact-database")
def intact_database(result: sut.Result) -> Iterator[str]:
    """After the sale, a killed buyer's too, the database passes its integrity check."""
    if result.final.get("integrity") != "ok":
        yield f"integrity_check says: {result.final.get('integrity')}"


# The invariants, from the events and the database the sale left.
check = sut.Invariants(sut.exits_cleanly, buyer_answers, ticket.no_oversell,
                       ticket.consistent_count, ticket.count_not_negative, intact_database)


SCENARIO = sut.Scenario(
    name="sqlite",
    description="buyers race for tickets in a SQLite database (the ticket office on a "
                "real database)",
    params=Params, variants=VARIANTS, run=run, check=check,
    search=sut.Schedules(small={"buyers": (1, 3), "tickets": (0, 2), "readers": 0,
                                "kill_at": "", "journal": "delete"}),
    space={"buyers": (1, 4), "tickets": (0, 3), "jitter": sut.JITTER, "readers": (0, 1),
           "kill_at": sut.OneOf("", *BUYER_POINTS), "journal": sut.OneOf(*JOURNALS)},
    # What the programs people write get wrong, and why the fixes work.
    lesson=(
        "Python's ``sqlite3`` opens a transaction before an UPDATE but not before a "
        "SELECT, so reading the count and then writing it (``read-then-update``) is the "
        "JSON office's race again: two buyers read the same count and both sell the last "
        "ticket. Wrapping both in ``BEGIN`` (``deferred``) does not make them wait: a "
        "deferred transaction that has read cannot take the write lock another holds, and "
        "SQLite fails it at once with SQLITE_BUSY (\"database is locked\") rather than "
        "wait for a lock that waits for it - the busy timeout never applies. Take the "
        "write lock before reading (``BEGIN IMMEDIATE``: the others wait their busy "
        "timeout), or better, make the check and the write one statement "
        "(``UPDATE ... WHERE count > 0`` and its ``rowcount``): no transaction to get "
        "wrong."
    ),
)
