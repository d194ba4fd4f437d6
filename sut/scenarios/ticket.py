"""Ticket office - the tutorial's 12306 example: a JSON file guarded by a lock.

The database is a file holding ``{"count": N}``. Every buyer first queries the
count (the tutorial's ``check_ticket``, outside any lock), then buys: reads the
count, and if a ticket is left writes the count minus one. Optional readers
keep querying while the sale runs, and the first buyer to reach one of its
points can be killed (SIGKILL) there, to see what a crash leaves behind.

Variants differ only in the lock and the write they wire in:

- ``tutorial``: the tutorial's program - a ``multiprocessing.Lock`` around
  read-sleep-decrement-write, and a write that truncates the file and then
  dumps the new document. A reader outside the lock can see the empty file in
  between, and a buyer killed while holding the Lock never releases it.
- ``unlocked``: the same without the lock: two buyers read the same count and
  both sell the last ticket.
- ``locked``: an ``flock`` on a lock file (the kernel releases it when its
  holder dies, which a ``multiprocessing.Lock`` never is) and a write to a
  temporary file that then atomically replaces the database, so any reader at
  any moment sees a whole document, the old one or the new one.

Invariants: sold <= tickets; final count = tickets - sold; no count below
zero; every buyer exits cleanly and reports bought or sold out; the file is a
valid document at every moment and after a buyer dies mid-purchase.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import sut
from sut.engine.strict import check_json

# The points of a buyer, in order; ``kill_at`` names one of them.
QUERY, READ, WRITING = "query", "read", "writing"
BUYER_POINTS = (QUERY, READ, WRITING)
# What a buyer records once it has bought a ticket, or found none left; what a
# reader records of a document it could not parse (the text is the evidence),
# and how many queries it made.
BOUGHT, SOLD_OUT, TORN, QUERIES = "bought", "sold-out", "torn", "queries"
# A reader re-reads the file this often: far shorter than any write window.
READER_INTERVAL = 0.001


@dataclass(frozen=True)
class Params(sut.Checked):
    """Parameters of one sale. ``tickets=0`` is a sold-out office.

    Limits (docs/LIMITS.md): ``buyers`` 1 to 1024 and ``readers`` 0 to 1024, at
    most 1024 together (``MAX_PROCESSES``: each is a process); ``tickets`` 0 to
    100,000 (``MAX_ITEMS``).
    """

    buyers: int = sut.processes(5)
    tickets: int = sut.items(3)
    jitter: float = sut.param(0.05, sut.jitter_width)
    readers: int = sut.processes(0, at_least=0)
    kill_at: str = sut.param("", sut.one_of, ("", *BUYER_POINTS))


def parse_database(text: str, source: str) -> int:
    """The count in a database document; ``ValueError`` naming ``source`` otherwise (a
    document nested deeper than :data:`~sut.engine.strict.MAX_JSON_DEPTH` too)."""
    check_json(text, source, max_text=MAX_DATABASE_BYTES)
    try:
        document = json.loads(text)
    except ValueError:
        raise ValueError(f"{source} is not a JSON document: {text[:40]!r}") from None
    count = document.get("count") if isinstance(document, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f'{source} must hold an object with a whole-number "count" >= 0, '
                         f"got {text[:40]!r}")
    return count


# The largest database file read, in bytes: the document is ``{"count": N}``.
MAX_DATABASE_BYTES = 1 << 20


def read_database(path: str | Path) -> int:
    """The ticket count in the database file at ``path`` (read, never written).

    The read is bounded: only a regular file of at most :data:`MAX_DATABASE_BYTES`
    is read (not a device such as ``/dev/zero``, nor a FIFO, which is opened
    without waiting for a writer).

    Raises:
        ValueError: the file is missing, unreadable, not a regular file, too large,
            or not a valid database.
    """
    source = f"database file {str(path)!r}"
    return parse_database(_read_bounded(path, source), source)


def _read_bounded(path: str | Path, source: str) -> str:
    """The text of the regular file at ``path``, if it is at most MAX_DATABASE_BYTES."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ValueError(f"{source} does not exist") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ValueError(f"{source} cannot be read: {exc}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ValueError(f"{source} is not a regular file")
    with open(descriptor, "rb") as file:
        try:
            data = file.read(MAX_DATABASE_BYTES + 1)  # what the size said may have grown
        except OSError as exc:
            raise ValueError(f"{source} cannot be read: {exc}") from None
    if len(data) > MAX_DATABASE_BYTES:
        raise ValueError(f"{source} is larger than the limit of {MAX_DATABASE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{source} cannot be read: {exc}") from None


# --- the program -----------------------------------------------------------

def read_count(db: Path, probe: sut.Probe) -> int:
    """Read the count; a torn document is recorded as evidence, then raised."""
    text = db.read_text(encoding="utf-8")
    try:
        return parse_database(text, "the database")
    except ValueError:
        probe.record(TORN, text=text)
        raise


def write_truncating(db: Path, count: int, probe: sut.Probe) -> None:
    """The tutorial's write: ``open(..., 'w')`` empties the file before the dump."""
    with open(db, "w", encoding="utf-8") as file:
        probe.point(WRITING, count=count)  # the file is empty right now
        json.dump({"count": count}, file)


def write_atomic(db: Path, count: int, probe: sut.Probe) -> None:
    """Write a temporary file, then rename it over the database in one step.

    No fsync: the fault model is a killed process, and the page cache outlives
    it; only a power cut would need the data on disk.
    """
    temporary = db.with_name(f"{db.name}.{probe.worker.replace(' ', '-')}.tmp")
    temporary.write_text(json.dumps({"count": count}), encoding="utf-8")
    probe.point(WRITING, count=count)  # the new document exists only beside the old
    os.replace(temporary, db)


def buyer(probe: sut.Probe, db: Path, lock: Any, write: Callable[[Path, int, sut.Probe], None],
          start: Any, start_timeout: float) -> None:
    start.wait(start_timeout)  # all contenders start together
    probe.point(QUERY, count=read_count(db, probe))  # check_ticket: outside the lock
    with lock:
        count = read_count(db, probe)
        probe.point(READ, count=count)  # the race window: others may read this count too
        if count > 0:
            write(db, count - 1, probe)
            probe.record(BOUGHT, left=count - 1)
        else:
            probe.record(SOLD_OUT)


def reader(probe: sut.Probe, db: Path, start: Any, sale_over: Any, start_timeout: float) -> None:
    """Query the count over and over until the sale is over, as a waiting customer would."""
    start.wait(start_timeout)
    queries = 0
    while not sale_over.is_set():
        with contextlib.suppress(ValueError):  # a torn read is recorded as evidence
            read_count(db, probe)
        queries += 1
        probe.poll(READER_INTERVAL)
    probe.record(QUERIES, count=queries)


# --- variants and run ------------------------------------------------------

@dataclass(frozen=True)
class Wiring:
    lock: Literal["none", "process", "file"]
    write: Callable[[Path, int, sut.Probe], None]


VARIANTS = (
    sut.Variant("tutorial", "the tutorial's program: a Lock around read-sleep-write, and a write "
                "that truncates the file first", "violates", Wiring("process", write_truncating)),
    sut.Variant("unlocked", "the tutorial's program without the lock", "violates",
                Wiring("none", write_truncating), shows=("no-oversell", "consistent-count")),
    sut.Variant("locked", "an flock the kernel frees if its holder dies, and atomic "
                "write-then-rename", "holds", Wiring("file", write_atomic)),
)


def _make_lock(kind: str, backend: sut.Backend, workdir: Path) -> Any:
    if kind == "process":
        return backend.Lock("lock")
    if kind == "file":
        return backend.FileLock(workdir / "ticket.lock", "flock")
    return sut.NoGuard()


def open_sale(scenario: str, params: Any, variant: sut.Variant[Any], start_method: str,
              seed: int, timeout: float, schedule: sut.ScheduleLike | None,
              ) -> tuple[sut.Backend, sut.Run]:
    """The backend and the run of one sale - of this office, or of its sibling on
    SQLite: ``params.kill_at`` names the point where the first buyer to reach it dies."""
    backend = sut.Backend(start_method)
    kill = sut.Kill(params.kill_at) if params.kill_at else None
    return backend, sut.Run(backend, scenario, variant.name, asdict(params),
                            mode=sut.shaking(params.jitter, schedule), seed=seed,
                            timeout=timeout, kill=kill)


def run(params: Params, variant: sut.Variant[Wiring], *, start_method: str, seed: int = 0,
        timeout: float = sut.DEFAULT_TIMEOUT,
        schedule: sut.ScheduleLike | None = None) -> sut.Result:
    """Run one sale (by ``schedule``, if given) and return what happened."""
    wiring = variant.wiring
    backend, opened = open_sale("ticket", params, variant, start_method, seed, timeout,
                                schedule)
    with opened as sale:
        db = sale.workdir / "ticket.json"
        db.write_text(json.dumps({"count": params.tickets}), encoding="utf-8")
        lock = _make_lock(wiring.lock, backend, sale.workdir)
        start = backend.Barrier(params.buyers + params.readers, "start")
        sale_over = backend.Event("sale over")
        buyers = [f"buyer {i}" for i in range(params.buyers)]
        for name in buyers:
            sale.spawn(name, buyer, db, lock, wiring.write, start, sale.patience())
        for i in range(params.readers):
            sale.spawn(f"reader {i}", reader, db, start, sale_over,
                       sale.patience())
        sale.wait(buyers)
        sale_over.set()
        left = _left_behind(db)
        return sale.result().with_final(left)


def _left_behind(db: Path) -> dict[str, Any]:
    """The database file as the sale left it: its text, and its count if it is valid."""
    text = db.read_text(encoding="utf-8")
    try:
        count: int | None = parse_database(text, "the database")
    except ValueError:
        count = None
    return {"text": text, "count": count}


# --- invariants ------------------------------------------------------------

def _sold(result: sut.Result) -> int:
    return len(result.events_of(BOUGHT))


def _shared_reads(result: sut.Result) -> str:
    """Evidence of a lost update: ``buyer 0 and buyer 1 both read count=1``."""
    readers_of: dict[int, list[str]] = defaultdict(list)
    for event in result.events_of(READ):
        readers_of[event.data["count"]].append(event.worker)
    shared = [f"{sut.names(who)} {'both' if len(who) == 2 else 'all'} read count={count}"
              for count, who in sorted(readers_of.items(), reverse=True) if len(who) > 1]
    return "; ".join(shared) if shared else "no two buyers read the same count"


@sut.invariant("buyer-reports")
def buyer_reports(result: sut.Result) -> list[sut.Violation]:
    """Every buyer that exits cleanly reports one outcome: bought, or sold out."""
    violations = []
    for outcome in result.exited_cleanly("buyer"):
        reports = [event for event in result.events_by(outcome.name)
                   if event.label in (BOUGHT, SOLD_OUT)]
        if len(reports) != 1:
            violations.append(sut.Violation(
                "buyer-reports", f"{outcome.name} reported {len(reports)} outcomes, not one"))
    return violations


@sut.invariant("no-oversell")
def no_oversell(result: sut.Result) -> list[sut.Violation]:
    """No more tickets are sold than there were: sold <= tickets."""
    tickets: int = result.params["tickets"]
    sold = _sold(result)
    if sold <= tickets:
        return []
    return [sut.Violation(
        "no-oversell", f"sold {sold} of {sut.amount(tickets, 'ticket')}: {_shared_reads(result)}")]


@sut.invariant("consistent-count")
def consistent_count(result: sut.Result) -> list[sut.Violation]:
    """The count the sale leaves in a valid file is tickets - sold: no update was lost."""
    tickets: int = result.params["tickets"]
    sold = _sold(result)
    final = result.final.get("count")
    if final is None or final == tickets - sold:
        return []  # an invalid file is valid-file's to report
    return [sut.Violation(
        "consistent-count",
        f"final count is {final}, but {sut.amount(tickets, 'ticket')} - {sold} sold "
        f"= {tickets - sold}: {_shared_reads(result)}")]


@sut.invariant("count-not-negative")
def count_not_negative(result: sut.Result) -> list[sut.Violation]:
    """No buyer reads a count below zero, and the sale leaves none."""
    counts = [event.data["count"] for event in result.events_of(READ)]
    final = result.final.get("count")
    if final is not None:
        counts.append(final)
    if any(count < 0 for count in counts):
        return [sut.Violation("count-not-negative", f"the count went to {min(counts)}")]
    return []


@sut.invariant("valid-file")
def valid_file(result: sut.Result) -> list[sut.Violation]:
    """The file is a valid document after the sale, and to every reader at every moment."""
    violations = []
    if result.final.get("count") is None:
        violations.append(sut.Violation(
            "valid-file", f"after the run the database holds {result.final.get('text')!r}, "
                          "not a valid document"))
    torn: dict[str, list[str]] = defaultdict(list)
    for event in result.events_of(TORN):
        torn[event.worker].append(event.data["text"])
    for worker, texts in torn.items():
        times = f" ({len(texts)} reads)" if len(texts) > 1 else ""
        violations.append(sut.Violation(
            "valid-file", f"{worker} read {texts[0]!r}{times} while the file was being rewritten"))
    return violations


# The ticket invariants, from the events and the final file alone.
check = sut.Invariants(sut.exits_cleanly, buyer_reports, no_oversell, consistent_count,
                       count_not_negative, valid_file)


SCENARIO = sut.Scenario(
    name="ticket",
    description="buyers race for tickets in a JSON file guarded by a lock (the 12306 example)",
    params=Params, variants=VARIANTS, run=run, check=check,
    search=sut.Schedules(small={"buyers": (1, 3), "tickets": (0, 3), "readers": (0, 1)}),
    space={"buyers": (1, 4), "tickets": (0, 4), "jitter": sut.JITTER, "readers": (0, 1),
           "kill_at": sut.OneOf("", *BUYER_POINTS)},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "The tutorial's program locks the purchase, but its query (``check_ticket``) "
        "reads the file outside the lock, and its write empties the file (``open(..., "
        "'w')``) before ``json.dump`` fills it: a reader at that moment sees no document "
        "at all. Without the lock (``unlocked``) two buyers read the same count and both "
        "sell the last ticket; and a buyer killed holding a ``multiprocessing.Lock`` "
        "never releases it. ``locked`` takes an ``flock``, which the kernel frees when "
        "its holder dies, and writes a temporary file that ``os.replace`` swaps in at "
        "once: a reader sees the old document or the new one, never half of one."
    ),
)
