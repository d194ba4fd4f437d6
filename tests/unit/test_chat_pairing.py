"""Chat: a client is paired with its own handler, even when a later client reuses its port.

On loopback the kernel may give a closed client's port to a later client of
the same run (``net.ipv4.tcp_tw_reuse``). A connection is then known by its
port and which of the run's connections from that port it is; the k-th from
port P is served by the handler of the k-th accept the server logged from P.
Here on hand-written logs: no server, no socket.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from sut.chat.protocol import MAX_LINE
from sut.scenarios.chat import Params, _as_logged, served
from sut.scenarios.chat.driver import ClientRecord
from sut.scenarios.chat.harness import LogWatcher, ServerExit
from tests import handmade

# Two clients of one run that got the same port, one after the other, and one between them.
PORT, OTHER = 50000, 50001
STOPPED = ServerExit(alive_at_stop=True, exitcode=0, stopped_in=0.01)


def _entry(who: str, event: str, **data: Any) -> dict[str, Any]:
    """One log entry as sut.chat.eventlog writes it (its time set by _numbered)."""
    return {"t_ns": 0, "who": who, "event": event, **data}


def _numbered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**entry, "t_ns": (i + 1) * 1_000_000} for i, entry in enumerate(entries)]


def _served_by(handler: int, peer: int, data: bytes = b"") -> list[dict[str, Any]]:
    """What the server and handler ``handler`` log serving one connection from ``peer``."""
    who = {"handler": handler, "peer": peer}
    return [_entry("server", "accept", **who, live=1),
            _entry("handler", "begin", **who, pid=100 + handler),
            *([_entry("handler", "recv", **who, n=len(data), data=data.decode())] if data else []),
            _entry("handler", "end", **who),
            _entry("server", "reap", **who, pid=100 + handler, exitcode=0, live=0)]


def _logged(records: list[ClientRecord], entries: list[dict[str, Any]]) -> Any:
    params = Params(messages=tuple(() for _ in records), max_line=MAX_LINE)
    result = handmade.result("chat", params, [])
    return _as_logged(result, records, _numbered(entries), STOPPED)


# --- the checker pairs FIFO per port ------------------------------------------

def test_clients_sharing_a_port_are_each_served_by_their_own_handler() -> None:
    # Client 0 came and went on PORT; client 2 then got PORT again.
    records = [ClientRecord(port=PORT), ClientRecord(port=OTHER),
               ClientRecord(port=PORT, connection=1)]
    logged = _logged(records, [*_served_by(0, PORT, b"a\n"), *_served_by(1, OTHER),
                               *_served_by(2, PORT, b"b\n")])
    assert served(logged) == []
    assert [worker.name for worker in logged.workers] == [
        "server", "handler 0", "handler 1", "handler 2"]
    reads = [(event.worker, event.data["data"]) for event in logged.events if event.label == "recv"]
    assert reads == [("handler 0", "a\n"), ("handler 2", "b\n")]


def test_a_client_whose_own_accept_is_missing_is_not_served() -> None:
    # Only one accept from PORT: it was the first client's, not the second's.
    records = [ClientRecord(port=PORT), ClientRecord(port=PORT, connection=1)]
    logged = _logged(records, _served_by(0, PORT))
    assert [v.detail for v in served(logged)] == [
        "client 1 connected but no handler ever took its connection"]
    assert [worker.name for worker in logged.workers] == ["server", "handler 0"]


# --- the watcher follows each connection's own handler ------------------------

class _Log:
    """A server log being written, and a watcher over it; the server stays up throughout."""

    def __init__(self, path: Path, server_up: int) -> None:
        self.path = path
        path.touch()
        # LogWatcher only asks whether the server's sentinel is ready (the server is gone).
        self.watcher = LogWatcher(path, cast(Any, SimpleNamespace(sentinel=server_up)))

    def write(self, *entries: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as log:
            for entry in _numbered(list(entries)):
                log.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def has_read(self, connection: tuple[int, int], total: int) -> bool:
        # The deadline has passed: one look at the log, no waiting.
        return self.watcher.wait_read(connection, total, time.monotonic())

    def all_reaped(self, connections: set[tuple[int, int]]) -> bool:
        return self.watcher.wait_reaped(connections, time.monotonic())


@pytest.fixture
def log(tmp_path: Path) -> Iterator[_Log]:
    # A pipe's read end stands for the server's sentinel: never ready while its write end is open.
    read_end, write_end = os.pipe()
    log = _Log(tmp_path / "server.jsonl", read_end)
    try:
        yield log
    finally:
        log.watcher.close()
        os.close(read_end)
        os.close(write_end)


def test_a_second_connection_from_a_port_does_not_see_the_first_handlers_reads_or_end(
        log: _Log) -> None:
    first, second = (PORT, log.watcher.connected(PORT)), (PORT, log.watcher.connected(PORT))
    assert (first, second) == ((PORT, 0), (PORT, 1))
    log.write(*_served_by(0, PORT, b"abcde"))
    assert log.has_read(first, 5)
    assert not log.has_read(second, 3)  # handler 0 read 5 bytes, not the second's handler
    assert not log.has_read(second, 10)  # handler 0 ended, not the second's handler
    assert not log.all_reaped({first, second})
    log.write(_entry("server", "accept", handler=1, peer=PORT, live=1),
              _entry("handler", "recv", handler=1, peer=PORT, n=2, data="xy"))
    assert log.has_read(second, 2)
    assert not log.has_read(second, 3)
    log.write(_entry("handler", "end", handler=1, peer=PORT))
    assert log.has_read(second, 3)  # its own handler ended: nothing more will be read
    assert not log.all_reaped({first, second})
    log.write(_entry("server", "reap", handler=1, peer=PORT, pid=101, exitcode=0, live=0))
    assert log.all_reaped({first, second})


def test_the_watcher_waits_for_every_handler_the_server_started_from_a_port(
        log: _Log) -> None:
    connection = (PORT, log.watcher.connected(PORT))
    # The server accepted PORT once more: that handler is not connection's, and still runs.
    log.write(*_served_by(0, PORT), _entry("server", "accept", handler=1, peer=PORT, live=1))
    assert not log.all_reaped({connection})
    log.write(_entry("server", "reap", handler=1, peer=PORT, pid=101, exitcode=0, live=0))
    assert log.all_reaped({connection})
