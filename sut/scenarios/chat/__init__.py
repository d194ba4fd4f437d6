"""Chat - the tutorial's first program: a TCP server with a process per connection.

The server accepts clients on 127.0.0.1 and starts a handler process for each;
a handler answers every message with the message plus a suffix. Here the
server (:mod:`sut.chat.server`) runs for real, on a free loopback port, in a
process of its own, and scripted clients talk to it over real sockets. Each
client sends its lines cut into ``send`` calls exactly as told - a cut may
fall inside a multibyte character - and either stays to read every reply or
hangs up somewhere on the way. Then the server is stopped with SIGTERM.

Variants differ only in the handler they wire in (:mod:`sut.chat.handlers`):

- ``framed``: the line protocol. Lines are reassembled across ``recv`` calls
  and each gets exactly one reply; invalid UTF-8 gets ``ERR`` and the
  conversation goes on; a line over ``max_line`` gets ``ERR`` and the server
  hangs up; a client that leaves, politely or not, ends its handler cleanly.
- ``tutorial``: the tutorial's ``chat(conn)``: ``recv(1024).decode('utf-8')``,
  print, send the message plus the suffix, loop forever. One ``recv`` is
  taken for one message, and nothing ever ends the loop.

The params script the clients. ``messages`` holds, per client, the lines it
sends (any text; raw bytes that are not UTF-8 as surrogateescape characters).
``chunking`` holds, per client, the sizes of its ``send`` calls (none: a call
per line). ``disconnects`` says after how many bytes a client stops sending
(none: it sends everything), and ``resets`` whether it then hangs up with a
reset instead of half-closing and reading its replies. On the command line
these four are JSON: ``messages='[["héllo"], ["", "x"]]'``.

Invariants: every line gets exactly one reply, intact and in order; no reply
reaches another client; once a client is done the server closes the
connection and sends nothing more; every client is served; a handler ends
with exit 0 and no traceback however its client left; malformed input never
kills the server or another client; never more than ``max_clients`` handlers
at once; on SIGTERM the server exits 0 and leaves no child and no open file.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sut
from sut.chat import eventlog
from sut.chat.handlers import Handler, framed, tutorial
from sut.chat.protocol import NEWLINE, display, expected_replies
from sut.chat.server import ServerConfig
from sut.scenarios.chat.driver import STRAY_LIMIT, ClientRecord, drive
from sut.scenarios.chat.harness import STOP_TIMEOUT, Accepts, LogWatcher, ServerExit, ServerProcess
from sut.scenarios.chat.params import Params as Params

# After the client threads are done, how much longer they may take to return.
JOIN_SLACK = 1.0
# How much of a stray reply a violation quotes.
QUOTE = 24
# What the server's log says (sut.chat.server writes it): a connection accepted,
# a handler that could not start, began, ended or crashed, handlers terminated
# at shutdown, one reaped, and the server stopped; and what it logs as.
ACCEPT, START_FAILED, BEGIN, END, CRASH = "accept", "start-failed", "begin", "end", "crash"
TERMINATE, REAP, STOPPED = "terminate", "reap", "stopped"
SERVER = "server"


# --- variants and run ----------------------------------------------------------

# A variant's wiring is the handler the server runs for each connection.
VARIANTS = (
    sut.Variant("framed", "reassembles UTF-8 lines across recv calls, answers each once, ends "
                "cleanly when its client leaves", "holds", framed),
    sut.Variant("tutorial", "the tutorial's handler: recv(1024).decode('utf-8'), reply, "
                "loop forever", "violates", tutorial),
)


def run(params: Params, variant: sut.Variant[Handler], *, start_method: str, seed: int = 0,
        timeout: float = sut.DEFAULT_TIMEOUT) -> sut.Result:
    """Start the server, play every client's script at once, stop the server, gather the facts.

    ``tutorial`` is recorded only: the cuts are given, and made to arrive as cuts
    by the clients themselves, so nothing here is left to chance.
    """
    backend = sut.Backend(start_method)
    config = ServerConfig(handler=variant.wiring, suffix=params.suffix,
                          max_clients=params.max_clients, max_line=params.max_line)
    with (sut.Run(backend, "chat", variant.name, params.shown(), seed=seed,
                  timeout=timeout) as session,
          ServerProcess(backend, config, session.workdir) as server):
        records = _play(params, session, server)
        stopped = server.stop()
        entries = eventlog.read(server.log_path)
        result = session.result()
    return _as_logged(result, records, entries, stopped)


def _play(params: Params, session: sut.Run, server: ServerProcess) -> list[ClientRecord]:
    """Play every client's script at once, a thread each, and wait until the server has
    reaped their handlers; what each client sent and got."""
    deadline = time.monotonic() + session.remaining()
    records = [ClientRecord() for _ in range(params.clients)]
    watcher = LogWatcher(server.log_path, server.process)
    try:
        threads = [threading.Thread(
            target=drive, name=f"chat client {i}", daemon=True,
            args=(params.script(i), server.address, watcher, session.probe(f"client {i}"),
                  deadline, params.suffix, params.max_line, records[i]))
            for i in range(params.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(session.remaining() + JOIN_SLACK)
        # A handler must end on its own once its client is gone: wait for
        # that before stopping the server (which would end it anyway).
        connections = {(record.port, record.connection) for record in records
                       if record.port is not None}
        watcher.wait_reaped(connections, deadline)
        watcher.wait_ready(deadline)
    finally:
        watcher.close()
    return records


def _as_logged(result: sut.Result, records: list[ClientRecord], entries: list[dict[str, Any]],
               stopped: ServerExit) -> sut.Result:
    """The run with the server's log in it: its events among the clients', the server
    and a handler per client as its workers, and what every client sent and got."""
    workers = _handler_names(records, entries)
    events = sorted([*result.events, *_server_events(entries, workers)], key=lambda e: e.t_ns)
    logged = dataclasses.replace(result, events=tuple(events), workers=(
        _server_outcome(entries, stopped), *_handler_outcomes(entries, workers)))
    return logged.with_final({
        "clients": [{"port": record.port, "sent": record.sent.hex(),
                     "received": record.received.hex(), "end": record.end}
                    for record in records],
        "server": {"alive_at_stop": stopped.alive_at_stop, "exitcode": stopped.exitcode,
                   "stopped_in": stopped.stopped_in},
        "stopped": next((entry for entry in entries if entry["who"] == SERVER
                         and entry["event"] == STOPPED), None),
    })


def _handler_names(records: list[ClientRecord],
                   entries: list[dict[str, Any]]) -> dict[int, str]:
    """Each handler's name by its number: ``handler i`` for the one that took client i.

    A port alone does not say whose a connection was: the kernel may give a
    closed client's port to a later client of the run; :class:`Accepts` pairs them.
    """
    accepts = Accepts()
    for entry in entries:
        accepts.note(entry)
    return {handler: f"handler {i}" for i, record in enumerate(records) if record.port is not None
            and (handler := accepts.handler((record.port, record.connection))) is not None}


def _client_order(name: str) -> tuple[int, str]:
    """``handler 2`` before ``handler 10``; handlers of unknown clients last."""
    number = name.rpartition(" ")[2]
    return (int(number), "") if number.isdigit() else (1 << 30, name)


def _handler_name(entry: dict[str, Any], workers: dict[int, str]) -> str:
    return workers.get(entry.get("handler", -1), f"handler #{entry.get('handler')}")


def _server_events(entries: list[dict[str, Any]], workers: dict[int, str]) -> list[sut.Event]:
    """The log as events: the server's own, and each handler's under its client's number."""
    events = []
    for entry in entries:
        data = {key: value for key, value in entry.items()
                if key not in ("t_ns", "who", "event", "peer", "handler", "traceback")}
        if entry["who"] == SERVER:
            worker = SERVER
            if "peer" in entry:
                data = {"handler": _handler_name(entry, workers), **data}
        else:
            worker = _handler_name(entry, workers)
        events.append(sut.Event(t_ns=entry["t_ns"], worker=worker, label=entry["event"], data=data))
    return events


def _server_outcome(entries: list[dict[str, Any]], stopped: ServerExit) -> sut.WorkerOutcome:
    own = [entry for entry in entries if entry["who"] == SERVER]
    crash = next((entry for entry in own if entry["event"] == CRASH), None)
    points = [entry["event"] for entry in own if entry["event"] != CRASH]
    status: sut.Status
    if crash is not None:
        status = "crashed"
    elif stopped.alive_at_stop and stopped.stopped_in is None:
        status = "hung"
    else:
        status = _status(stopped.exitcode)
    return sut.WorkerOutcome(name=SERVER, status=status, exitcode=stopped.exitcode,
                             last_point=points[-1] if points else None,
                             error=crash["error"] if crash else None,
                             traceback=crash["traceback"] if crash else None)


def _status(exitcode: int | None) -> sut.Status:
    if exitcode == 0:
        return "ok"
    if exitcode is not None and exitcode < 0:
        return "killed"
    return "failed"


def _handler_outcomes(entries: list[dict[str, Any]],
                      workers: dict[int, str]) -> list[sut.WorkerOutcome]:
    """How every handler the server started ended, from the log."""
    terminated = {number for entry in entries if entry["event"] == TERMINATE
                  for number in entry["handlers"]}
    outcomes = []
    accepts = sorted((entry for entry in entries if entry["event"] == ACCEPT),
                     key=lambda entry: _client_order(_handler_name(entry, workers)))
    for accept in accepts:
        number = accept["handler"]
        own = [entry for entry in entries if entry.get("handler") == number]
        crash = next((e for e in own if e["who"] == "handler" and e["event"] == CRASH), None)
        failed = next((e for e in own if e["event"] == START_FAILED), None)
        reap = next((e for e in own if e["event"] == REAP), None)
        points = [e["event"] for e in own if e["who"] == "handler" and e["event"] != CRASH]
        exitcode = reap["exitcode"] if reap else None
        status: sut.Status
        if failed is not None or crash is not None:
            status = "crashed"
        elif number in terminated or reap is None:
            status = "hung"
        else:
            status = _status(exitcode)
        error = (f"could not start: {failed['error']}" if failed
                 else crash["error"] if crash else None)
        outcomes.append(sut.WorkerOutcome(
            name=_handler_name(accept, workers), status=status, exitcode=exitcode,
            last_point=points[-1] if points else None, error=error,
            traceback=crash["traceback"] if crash else None))
    return outcomes


# --- invariants ------------------------------------------------------------------

def _quote(data: bytes) -> str:
    text = display(data[:QUOTE])
    return repr(text + "…") if len(data) > QUOTE else repr(text)


def _replies_count(count: int) -> str:
    return f"{count} {'reply' if count == 1 else 'replies'}"


def _waiting_for(outcome: sut.WorkerOutcome) -> str:
    if outcome.name == SERVER:
        return f", still running {STOP_TIMEOUT:g} s after SIGTERM"
    return ": it was still running when the server shut its connection down"


@sut.invariant(sut.CLEAN_EXIT, sut.NO_HANG)
def exits_cleanly(result: sut.Result) -> list[sut.Violation]:
    """The server and every handler exit cleanly, however their clients left."""
    return sut.clean_exit(result, waiting_for=_waiting_for)


@dataclass(frozen=True)
class _Owed:
    """Per client, the lines it sent and the replies it is owed; and whose reply each is."""

    lines: list[list[bytes]]
    replies: list[list[bytes]]
    reply_to: dict[bytes, tuple[int, int]]  # reply -> (client, line)


def _owed(result: sut.Result) -> _Owed:
    suffix, max_line = result.params["suffix"], result.params["max_line"]
    lines: list[list[bytes]] = []
    owed: list[list[bytes]] = []
    for client in result.final["clients"]:
        sent = bytes.fromhex(client["sent"])
        lines.append(sent.split(NEWLINE)[:-1])
        owed.append([reply.encode("utf-8") for reply in expected_replies(sent, suffix, max_line)])
    reply_to = {reply: (j, k) for j, replies in enumerate(owed) for k, reply in enumerate(replies)}
    return _Owed(lines, owed, reply_to)


@sut.invariant("one-reply-per-line", "intact-replies", "no-cross-talk", "clean-close")
def replies(result: sut.Result) -> list[sut.Violation]:
    """Each line gets one intact reply, in order, none another's; then the connection closes.

    Once a client is done sending, the server sends nothing more than the
    replies it owes, and closes the connection.
    """
    owed = _owed(result)
    violations: list[sut.Violation] = []
    for i, client in enumerate(result.final["clients"]):
        if client["end"] == "hung-up" or client["end"].startswith("could not connect"):
            continue  # it read nothing: only its handler and the others are judged
        *got, unfinished = bytes.fromhex(client["received"]).split(NEWLINE)
        violations += _reply_count(i, client["end"], got, owed)
        violations += _reply_contents(i, got, owed)
        if unfinished or client["end"] != "eof":
            violations.append(sut.Violation("clean-close", _unclean_close(i, client["end"],
                                                                          unfinished)))
    return violations


def _reply_count(i: int, end: str, got: list[bytes], owed: _Owed) -> list[sut.Violation]:
    """As many replies as client ``i`` was owed (one per line, but after a line too long)."""
    lines, replies = owed.lines[i], owed.replies[i]
    if len(got) == len(replies):
        return []
    owing = (f"sent {sut.amount(len(lines), 'line')}" if len(replies) == len(lines) else
             f"sent {sut.amount(len(lines), 'line')}, was owed {_replies_count(len(replies))},")
    missing = (f": no reply to line {len(got)} {display(lines[len(got)])!r}"
               if len(got) < len(replies) and len(got) < len(lines) else "")
    late = " by the deadline" if end == "timeout" else ""
    return [sut.Violation("one-reply-per-line",
                          f"client {i} {owing} and got {_replies_count(len(got))}{late}{missing}")]


def _reply_contents(i: int, got: list[bytes], owed: _Owed) -> list[sut.Violation]:
    """Each reply client ``i`` got is the one it was owed there, not another client's."""
    lines, replies = owed.lines[i], owed.replies[i]
    violations = []
    for k, reply in enumerate(got):
        if k < len(replies) and reply == replies[k]:
            continue
        origin = owed.reply_to.get(reply)
        if origin is not None and origin[0] != i and reply not in replies:
            j, line = origin
            violations.append(sut.Violation(
                "no-cross-talk", f"client {i} got {display(reply)!r}, the reply to client "
                                 f"{j}'s line {line} {display(owed.lines[j][line])!r}"))
        elif k < len(replies):
            line_text = display(lines[k]) if k < len(lines) else ""
            violations.append(sut.Violation(
                "intact-replies", f"client {i}'s reply to line {k} {line_text!r} was "
                                  f"{display(reply)!r}, not {display(replies[k])!r}"))
            break  # the first wrong reply is the evidence; the rest often follow from it
    return violations


def _unclean_close(client: int, end: str, unfinished: bytes) -> str:
    stray = (f"{sut.amount(len(unfinished), 'byte')} with no line end ({_quote(unfinished)})"
             if unfinished else "")
    if end == "gave-up":
        return (f"client {client} was done sending, but the server went on sending "
                f"({_quote(unfinished)}, over {STRAY_LIMIT} bytes more than it owed) and never "
                f"closed the connection")
    if end == "eof":
        return f"client {client} got {stray} after its replies"
    how = {"reset": "the connection was reset instead of closed",
           "timeout": "the server had not closed the connection by the deadline"}.get(end, end)
    return f"client {client} was done sending, but {how}" + (f", after {stray}" if stray else "")


@sut.invariant("served")
def served(result: sut.Result) -> list[sut.Violation]:
    """Every client is served: it connects, and a handler takes its connection."""
    violations = []
    accepted = {event.data.get("handler") for event in result.events
                if event.worker == SERVER and event.label == ACCEPT}
    for i, client in enumerate(result.final["clients"]):
        if client["end"].startswith("could not connect"):
            violations.append(sut.Violation("served", f"client {i} {client['end']}"))
        elif f"handler {i}" not in accepted:
            violations.append(sut.Violation("served", f"client {i} connected but no handler ever "
                                                  f"took its connection"))
    return violations


@sut.invariant("max-clients")
def max_clients(result: sut.Result) -> Iterator[str]:
    """Never more handlers alive at once than ``max_clients``, by the handlers' own events."""
    limit: int = result.params["max_clients"]
    moves = []
    for event in result.events:
        if event.worker.startswith("handler") and event.label == BEGIN:
            moves.append((event.t_ns, 1, event.worker))
        elif event.worker.startswith("handler") and event.label in (END, CRASH):
            moves.append((event.t_ns, 0, event.worker))
        elif event.worker == SERVER and event.label == REAP:
            moves.append((event.t_ns, 0, event.data["handler"]))
    alive: list[str] = []
    crowd: list[str] = []
    # On a tie an end goes first; an end already seen (then its reap) changes nothing.
    for _, begins, worker in sorted(moves):
        if begins:
            alive.append(worker)
            if len(alive) > len(crowd):
                crowd = list(alive)
        elif worker in alive:
            alive.remove(worker)
    if len(crowd) > limit:
        yield f"{len(crowd)} handlers alive at once with max_clients={limit}: {sut.names(crowd)}"


@sut.invariant("server-alive")
def server_alive(result: sut.Result) -> Iterator[str]:
    """The server keeps serving until it is told to stop: malformed input never kills it."""
    server = result.final["server"]
    if not server["alive_at_stop"]:
        yield f"the server had exited (code {server['exitcode']}) before it was told to stop"


@sut.invariant("clean-shutdown")
def clean_shutdown(result: sut.Result) -> Iterator[str]:
    """On SIGTERM the server says it stopped, leaving no child and no open file behind."""
    if not result.final["server"]["alive_at_stop"]:
        return  # server-alive's to report: it was never told to stop
    stopped = result.final.get("stopped")
    if stopped is None:
        yield "the server never reported that it had stopped after SIGTERM"
        return
    for kind, left in (("child process", stopped["children"]),
                       ("open file descriptor", stopped["fds"])):
        if left:
            yield (f"after SIGTERM the server left {sut.amount(len(left), kind)} behind: "
                   f"{'; '.join(left)}")


# The chat invariants, from what the clients sent and got and what the server logged.
check = sut.Invariants(exits_cleanly, replies, served, max_clients, server_alive, clean_shutdown)


SCENARIO = sut.Scenario(
    name="chat",
    description="a TCP chat server with a process per connection (the tutorial's socket example)",
    params=Params, variants=VARIANTS, run=run, check=check,
    # The searches import Hypothesis: the drive imports their module by name, where they run.
    search=sut.Scripts(module="sut.scenarios.chat.search",
                       why="its bugs live in byte streams, not in an interleaving of processes: "
                       "they are found by generated splits of the stream instead"),
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "``recv(1024)`` is not one message: TCP is a byte stream, so a line may come in "
        "pieces, several lines in one piece, a character split across two. The tutorial's "
        "handler replies once per ``recv``, decodes each piece on its own (a split "
        "character kills it) and loops on ``b''`` after its client leaves. ``framed`` "
        "reassembles lines across ``recv`` calls, bounds their length, answers invalid "
        "UTF-8 with ``ERR`` and ends when its client does."
    ),
)
