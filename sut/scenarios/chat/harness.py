"""A chat server in its own process, started, watched and stopped for one run.

The server runs in a child process, as ``python -m sut chat serve`` would, so
it can be stopped with a real SIGTERM and start handler processes of its own.
That child is not daemonic: a daemonic process may not have children. So the
harness itself makes sure it never outlives the run: :meth:`ServerProcess.close`
stops, kills if need be, and reaps it whatever happened.

The listening socket is bound here, before the server starts, and handed to
it: the port is known at once, and clients that connect before the server is
up simply wait in the backlog.

:class:`LogWatcher` follows the server's event log while the run goes on: how
many bytes each connection's handler has read, which handlers have ended.

A connection is known by its client's port and which of the run's connections
from that port it is (:data:`Connection`): on loopback the kernel may give a
later client the port of an earlier one that has closed (``tcp_tw_reuse``).
Two connections from one port never overlap, and the server accepts them in
the order they connected, so the k-th client to connect from port P is served
by the handler of the k-th ``accept`` the server logged for P; past that, the
watcher follows the handler by its number, unique in the run.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
import types
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

import sut
from sut.chat import eventlog
from sut.chat.eventlog import LogTail
from sut.chat.server import LOOPBACK, ServerConfig, bind, serve_logged

# How long the server gets to exit after SIGTERM: its own shutdown grace
# (handlers, then terminated handlers) plus a margin.
STOP_TIMEOUT = 3.0
# How often a waiting client looks at the log again.
POLL_INTERVAL = 0.0005

# A client's connection: its port, and which of the run's connections from that
# port it is (0 the first).
Connection = tuple[int, int]


@dataclass(frozen=True)
class ServerExit:
    """How the server ended: whether it was still serving when told to stop, and how it exited."""

    alive_at_stop: bool
    exitcode: int | None
    stopped_in: float | None  # seconds from SIGTERM to exit; None if it had to be killed


def _serve_here(listener: socket.socket, config: ServerConfig, output: str) -> None:
    """The server process: its stdout and stderr (the tutorial handler's ``print``,
    tracebacks) go to a file."""
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                      closefd=False, buffering=1)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                      closefd=False, buffering=1)
    # This process is a server, not the program that started it (under pytest,
    # pytest): handlers started by spawn need not re-import that program's main
    # module, as they need not under `python -m sut chat serve`.
    sys.modules["__main__"] = types.ModuleType("__main__")
    serve_logged(listener, config)


class ServerProcess:
    """Bind on loopback, start the server with ``config`` in a child process, stop it later."""

    def __init__(self, backend: sut.Backend, config: ServerConfig, workdir: Path) -> None:
        self.log_path = workdir / "server.jsonl"
        self.output_path = workdir / "server.out"
        self.config = replace(config, log=str(self.log_path),
                              start_method=backend.start_method)
        listener = bind(LOOPBACK, 0)
        try:
            self.address: tuple[str, int] = listener.getsockname()[:2]
            # Not daemonic: the server starts handler processes of its own.
            self.process: BaseProcess = backend.context.Process(  # type: ignore[attr-defined]
                target=_serve_here, args=(listener, self.config, str(self.output_path)),
                name="chat server", daemon=False)
            backend.start(self.process)
        finally:
            listener.close()  # the server holds its own copy now
        self.exit: ServerExit | None = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def stop(self) -> ServerExit:
        """SIGTERM, then wait up to STOP_TIMEOUT for the server to exit (SIGKILL after that)."""
        if self.exit is not None:
            return self.exit
        alive = self.process.is_alive()
        stopped_in: float | None = None
        if alive:
            asked = time.monotonic()
            self.process.terminate()
            self.process.join(STOP_TIMEOUT)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
                self._kill_orphans()
            else:
                stopped_in = time.monotonic() - asked
        else:
            self.process.join()
        self.exit = ServerExit(alive, self.process.exitcode, stopped_in)
        return self.exit

    def _kill_orphans(self) -> None:
        """Kill the handlers a killed server left running (their pids are in its log)."""
        entries = eventlog.read(self.log_path)
        reaped = {entry["pid"] for entry in entries if entry["event"] == "reap"}
        for entry in entries:
            if entry["event"] == "begin" and entry["pid"] not in reaped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(entry["pid"], signal.SIGKILL)

    def close(self) -> None:
        """Stop the server if it still runs, and release the process."""
        self.stop()
        self.process.close()


class Accepts:
    """The handlers the server started, each by the connection it took: the k-th client
    to connect from port P is served by the handler of the k-th ``accept`` from P (see
    the module docstring)."""

    def __init__(self) -> None:
        self._by_port: dict[int, list[int]] = defaultdict(list)  # peer port -> handlers

    def note(self, entry: dict[str, Any]) -> None:
        """Take in one entry of the server's log (only an ``accept`` counts)."""
        if entry["event"] == "accept":
            self._by_port[entry["peer"]].append(entry["handler"])

    def handler(self, connection: Connection) -> int | None:
        """The number of the handler that took ``connection``; None before it was accepted."""
        port, ordinal = connection
        handlers = self._by_port.get(port, [])
        return handlers[ordinal] if ordinal < len(handlers) else None

    def handlers(self) -> set[int]:
        """Every handler accepted so far."""
        return {handler for handlers in self._by_port.values() for handler in handlers}


class LogWatcher:
    """What the server's log says so far, shared by the threads that drive the clients."""

    def __init__(self, path: Path, server: BaseProcess) -> None:
        self._tail = LogTail(path)
        self._server_sentinel = server.sentinel
        self._lock = threading.Lock()
        self._connected: dict[int, int] = defaultdict(int)  # port -> connections made from it
        self._accepts = Accepts()
        self._read: dict[int, int] = defaultdict(int)  # handler -> bytes it read
        self._ended: set[int] = set()  # handlers that ended, crashed or were reaped
        self._reaped: set[int] = set()
        self.ready = False

    def connected(self, port: int) -> int:
        """Note a client's new connection from ``port``; which of the run's connections
        from that port it is (0 the first).

        Call it as soon as the connection is up, before it can close: the kernel
        gives a port again only once its last connection is closed, so then the
        connections from one port count in the order they connected.
        """
        with self._lock:
            ordinal = self._connected[port]
            self._connected[port] += 1
            return ordinal

    def _poll(self) -> None:
        """Take in the entries added to the log since the last poll (the lock held)."""
        for entry in self._tail.poll():
            event, handler = entry["event"], entry.get("handler")
            if event == "ready":
                self.ready = True
            elif handler is None:
                continue
            elif event == "recv":
                self._read[handler] += entry["n"]
            elif event == "accept":
                self._accepts.note(entry)
            elif event in ("end", "crash", "reap"):
                self._ended.add(handler)
                if event == "reap":
                    self._reaped.add(handler)

    def _until(self, done: Callable[[], bool], deadline: float) -> bool:
        while True:
            # Judged under the lock: another client's thread may be reading the log.
            with self._lock:
                self._poll()
                if done():
                    return True
            if multiprocessing.connection.wait([self._server_sentinel], 0):
                return False  # the server is gone: nothing more will happen
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)

    def _has_read(self, connection: Connection, total: int) -> bool:
        handler = self._accepts.handler(connection)
        return handler is not None and (self._read[handler] >= total or handler in self._ended)

    def wait_read(self, connection: Connection, total: int, deadline: float) -> bool:
        """Wait until the handler of ``connection`` has read ``total`` bytes, or has ended."""
        return self._until(lambda: self._has_read(connection, total), deadline)

    def wait_ready(self, deadline: float) -> bool:
        """Wait until the server handles its signals (stopping it before would just kill it)."""
        return self._until(lambda: self.ready, deadline)

    def _all_reaped(self, connections: set[Connection]) -> bool:
        handlers = {self._accepts.handler(connection) for connection in connections}
        return None not in handlers and (handlers | self._accepts.handlers()) <= self._reaped

    def wait_reaped(self, connections: set[Connection], deadline: float) -> bool:
        """Wait until the server has served ``connections`` and reaped their handlers, and
        every other handler it started."""
        return self._until(lambda: self._all_reaped(connections), deadline)

    def close(self) -> None:
        self._tail.close()
