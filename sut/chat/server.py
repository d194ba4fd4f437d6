"""The chat server: accept connections, one handler process per connection.

The tutorial's server loops on ``accept`` and starts ``Process(target=chat,
args=[conn])`` for every client, forever. This one does the same with the
edges filled in:

- at most ``max_clients`` handlers at once - the server holds a semaphore of
  that many rooms, like the KTV, and takes a room before it accepts. The
  others wait to be served in the listen backlog. The server gives a room
  back when it *reaps* the handler, not when the handler says it is done, so
  a handler that dies any way at all (even by SIGKILL) frees its room;
- SIGTERM, SIGHUP or SIGINT: stop accepting, shut down every connection (a
  handler blocked in ``recv`` or ``send`` wakes up to the end of its
  conversation), wait a moment for the handlers, terminate then kill
  stragglers, reap them all (each wait bounded), and return - the CLI then
  exits 0;
- no handler outlives a server killed outright (SIGKILL): on Linux a handler
  asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``; under
  ``forkserver`` its parent is the fork server, which ends with the server).
  Elsewhere, or if it lost that race, the handler's own timeouts end it;
- handlers started through an explicit ``multiprocessing`` context, never
  ``set_start_method``; under ``fork`` a handler first closes its copies of
  the server's sockets, or a client whose handler ended would not see its
  connection close while another handler still held it.

Optionally every step goes to an :class:`~sut.chat.eventlog.EventLog`: the
server's accepts, reaps and shutdown, and each handler's start, end, crash
(with its traceback) and every ``recv`` and ``send``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from sut import leftovers, orphans
from sut.chat import eventlog
from sut.chat.eventlog import EventLog
from sut.chat.handlers import Conn, Handler, Limits, framed
from sut.chat.protocol import (
    DEFAULT_SUFFIX,
    IDLE_TIMEOUT,
    LINE_TIMEOUT,
    MAX_LINE,
    check_count,
    check_suffix,
    display,
)

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 9595
DEFAULT_MAX_CLIENTS = 16
# At most this many handler processes at once: well within a user's process limit.
MAX_CLIENTS = 1024
# Connections that may wait to be served; the kernel caps it at somaxconn.
BACKLOG = 1024
# On shutdown: how long handlers get to finish once their connections are shut
# down, then how long terminated ones get before SIGKILL.
HANDLER_GRACE = 1.0
KILL_GRACE = 0.5
# After SIGKILL: how long the server waits to reap its handlers before it gives
# up on one the kernel cannot kill (stuck in a device) and says so in its log.
REAP_LIMIT = 5.0
# The signals that stop the server: a terminal's hang-up as well as kill and Ctrl-C.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
# After a failed accept (e.g. out of file descriptors), pause before the next.
ACCEPT_RETRY = 0.05

# Sockets only the server process may hold. A handler started by fork
# inherits copies of them, and closes them first thing (see _leave_server).
_SERVER_SOCKETS: list[socket.socket] = []


@dataclass(frozen=True)
class ServerConfig:
    """How to serve: the handler (the variant), the protocol limits, the start method.

    ``idle_timeout`` and ``line_timeout`` (seconds) are how long a handler waits
    for a client's next line to start and, once started, to end (see
    :mod:`sut.chat.handlers`); both above 0 and at most a day.

    Raises:
        ValueError: a limit out of range, or a suffix a line cannot carry.
    """

    handler: Handler = framed
    suffix: str = DEFAULT_SUFFIX
    max_clients: int = DEFAULT_MAX_CLIENTS
    max_line: int = MAX_LINE
    start_method: str = field(default_factory=lambda: multiprocessing.get_all_start_methods()[0])
    log: str | None = None
    # With a log: record every recv and send of the handlers too, not only
    # when they start and end.
    trace: bool = True
    idle_timeout: float = IDLE_TIMEOUT
    line_timeout: float = LINE_TIMEOUT

    def __post_init__(self) -> None:
        check_count("max_clients", self.max_clients, MAX_CLIENTS)
        check_suffix(self.suffix)
        Limits(self.max_line, self.idle_timeout, self.line_timeout)  # checks them

    @property
    def limits(self) -> Limits:
        """What each handler allows its client."""
        return Limits(self.max_line, self.idle_timeout, self.line_timeout)


def bind(host: str = LOOPBACK, port: int = DEFAULT_PORT) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one).

    Raises:
        OSError: the address cannot be used (in use, not local, unknown host).
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        # A restarted server may take its port back while old connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def address_of(listener: socket.socket) -> str:
    """``127.0.0.1:9595`` or ``[::1]:9595``: where ``listener`` listens."""
    host, port = listener.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- a handler process ------------------------------------------------------

class Traced:
    """A connection that logs every ``recv`` and ``send`` of its handler."""

    def __init__(self, conn: socket.socket, log: EventLog, number: int, peer: int) -> None:
        self._conn = conn
        self._log = log
        self._who = {"handler": number, "peer": peer}

    def recv(self, size: int, /) -> bytes:
        data = self._conn.recv(size)
        self._log.write("handler", "recv", n=len(data), data=display(data), **self._who)
        return data

    def send(self, data: bytes, /) -> int:
        sent = self._conn.send(data)
        self._log.write("handler", "send", n=sent, data=display(data[:sent]), **self._who)
        return sent

    def sendall(self, data: bytes, /) -> None:
        self._conn.sendall(data)
        self._log.write("handler", "send", n=len(data), data=display(data), **self._who)

    def shutdown(self, how: int, /) -> None:
        self._conn.shutdown(how)

    def settimeout(self, value: float | None, /) -> None:
        self._conn.settimeout(value)

    def close(self) -> None:
        self._conn.close()


def _leave_server(conn: socket.socket) -> None:
    """First thing in a handler: drop what belongs to the server process.

    Under fork the handler holds copies of the listening socket, the signal
    wake-up socket and every other client's connection; it closes them, and
    takes back the default signal handling (SIGINT and SIGHUP, which a
    terminal sends to the whole process group, are the server's to act on).
    """
    for sock in _SERVER_SOCKETS:
        if sock is not conn:
            sock.close()
    _SERVER_SOCKETS.clear()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def handler_main(handler: Handler, conn: socket.socket, config: ServerConfig, number: int,
                 peer: int, parent: int | None = None) -> None:
    """Run ``handler`` on ``conn``; a crash is logged with its traceback, then exit 1.

    ``parent``: the pid of this process's parent (the server, or its fork server).
    """
    orphans.release_fork_server()
    if parent is not None:
        orphans.die_with_parent(parent)
    _leave_server(conn)
    # The server reports a log that cannot be written; its handlers stay quiet.
    log = EventLog(config.log, report=False) if config.log else None
    traced: Conn = conn
    if log is not None:
        log.write("handler", "begin", handler=number, peer=peer, pid=os.getpid())
        if config.trace:
            traced = Traced(conn, log, number, peer)
    try:
        handler(traced, config.suffix, config.limits)
    except BaseException as exc:
        text = traceback.format_exc()
        if log is not None:
            log.write("handler", "crash", handler=number, peer=peer,
                      error=f"{type(exc).__name__}: {exc}", traceback=text)
        sys.stderr.write(text)  # what the tutorial's handler would show
        sys.stderr.flush()
        raise SystemExit(1) from None
    finally:
        conn.close()
    if log is not None:
        log.write("handler", "end", handler=number, peer=peer)


# --- the server ---------------------------------------------------------------

@dataclass
class _Live:
    number: int
    peer: int
    process: BaseProcess
    conn: socket.socket


class _Server:
    def __init__(self, listener: socket.socket, config: ServerConfig) -> None:
        self.listener = listener
        self.config = config
        self.context = multiprocessing.get_context(config.start_method)
        self.log = EventLog(config.log) if config.log else None
        self.rooms = threading.BoundedSemaphore(config.max_clients)
        self.live: dict[int, _Live] = {}  # by the handler's sentinel
        self.accepted = 0
        self.stop_signal: int | None = None

    def record(self, event: str, **data: Any) -> None:
        if self.log is not None:
            self.log.write("server", event, **data)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = signum  # the wake-up socket interrupts the wait

    def run(self) -> None:
        host, port = self.listener.getsockname()[:2]
        self.record("listening", host=host, port=port, pid=os.getpid(),
                    variant=self.config.handler.__name__, max_clients=self.config.max_clients)
        if self.config.start_method != "fork":
            # Their long-lived helpers are part of the baseline, not leaks.
            multiprocessing.resource_tracker.ensure_running()
            if self.config.start_method == "forkserver":
                # Handlers fork from a server that has their code loaded already.
                self.context.set_forkserver_preload([__name__])
                multiprocessing.forkserver.ensure_running()
        children, fds = leftovers.children(), leftovers.open_fds()
        self.listener.setblocking(False)
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        _SERVER_SOCKETS[:] = [self.listener, wake_r, wake_w]
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        previous_wakeup = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        try:
            self.record("ready")
            self._serve(wake_r)
            self._shut_down()
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            wake_r.close()
            wake_w.close()
            self.listener.close()
            _SERVER_SOCKETS.clear()
        self.record("stopped",
                    children=[f"pid {pid} {what}" for pid, what in leftovers.children().items()
                              if pid not in children],
                    fds=[f"fd {fd} -> {what}" for fd, what in leftovers.open_fds().items()
                         if fd not in fds])

    def _serve(self, wake_r: socket.socket) -> None:
        while self.stop_signal is None:
            waiting: list[Any] = [wake_r, *self.live]
            # A free room first: the others wait to be served in the backlog.
            room = self.rooms.acquire(blocking=False)
            if room:
                waiting.append(self.listener)
            ready = multiprocessing.connection.wait(waiting)
            if wake_r in ready:
                with contextlib.suppress(BlockingIOError):
                    wake_r.recv(64)
            self._reap([obj for obj in ready if isinstance(obj, int)])
            if room and not (self.listener in ready and self.stop_signal is None
                             and self._accept()):
                self.rooms.release()

    def _accept(self) -> bool:
        """Accept one client and start its handler; whether a handler now holds the room."""
        try:
            conn, address = self.listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return False  # gone before we got to it
        except OSError as exc:
            self.record("accept-failed", error=str(exc))
            time.sleep(ACCEPT_RETRY)  # e.g. out of descriptors: let handlers end first
            return False
        conn.setblocking(True)
        number, peer = self.accepted, address[1]
        self.accepted += 1
        self.record("accept", handler=number, peer=peer, live=len(self.live) + 1)
        process = self.context.Process(  # type: ignore[attr-defined]
            target=handler_main,
            args=(self.config.handler, conn, self.config, number, peer, self._handlers_parent()),
            name=f"chat handler {number}", daemon=True)
        try:
            process.start()
        except Exception as exc:
            self.record("start-failed", handler=number, peer=peer,
                        error=f"{type(exc).__name__}: {exc}")
            conn.close()
            return False
        self.live[process.sentinel] = _Live(number, peer, process, conn)
        _SERVER_SOCKETS.append(conn)
        return True

    def _handlers_parent(self) -> int | None:
        """The pid a handler's parent has: the server's, or under forkserver the fork
        server's (a private attribute of multiprocessing: None if it is not there)."""
        if self.config.start_method != "forkserver":
            return os.getpid()
        server = getattr(multiprocessing.forkserver, "_forkserver", None)
        pid = getattr(server, "_forkserver_pid", None)
        return pid if isinstance(pid, int) else None

    def _reap(self, sentinels: list[int]) -> None:
        for sentinel in sentinels:
            live = self.live.pop(sentinel)
            live.process.join()
            self.record("reap", handler=live.number, peer=live.peer, pid=live.process.pid,
                        exitcode=live.process.exitcode, live=len(self.live))
            live.process.close()
            _SERVER_SOCKETS.remove(live.conn)
            live.conn.close()  # the server's copy: now the connection really closes
            self.rooms.release()

    def _shut_down(self) -> None:
        signame = signal.Signals(self.stop_signal or signal.SIGTERM).name
        self.record("stopping", signal=signame, live=len(self.live))
        self.listener.close()  # clients still in the backlog are refused
        for live in self.live.values():
            with contextlib.suppress(OSError):  # already closed by the client
                live.conn.shutdown(socket.SHUT_RDWR)
        self._wait_for_handlers(HANDLER_GRACE)
        if self.live:
            self.record("terminate", handlers=sorted(live.number for live in self.live.values()))
            for live in self.live.values():
                live.process.terminate()
            self._wait_for_handlers(KILL_GRACE)
        for live in self.live.values():
            live.process.kill()
        self._wait_for_handlers(REAP_LIMIT)
        if self.live:
            self.record("unreaped", handlers=sorted(live.number for live in self.live.values()),
                        pids=sorted(live.process.pid or 0 for live in self.live.values()))

    def _wait_for_handlers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.live:
            left = max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(list(self.live), left)
            if not ready:
                return
            self._reap([obj for obj in ready if isinstance(obj, int)])


def serve(listener: socket.socket, config: ServerConfig) -> None:
    """Serve on ``listener`` until SIGTERM, SIGHUP or SIGINT, then shut down and return.

    Takes over the listening socket (it is closed on return). Must run in the
    main thread: it handles the signals.

    Raises:
        ValueError: ``config.log`` is not a regular file that can be appended to.
    """
    try:
        if config.log is not None:
            eventlog.check_path(config.log)
    except ValueError:
        listener.close()
        raise
    _Server(listener, config).run()


def serve_logged(listener: socket.socket, config: ServerConfig) -> None:
    """:func:`serve`, with a crash of the server itself logged before it propagates."""
    try:
        serve(listener, config)
    except BaseException as exc:
        if config.log is not None:
            EventLog(config.log).write("server", "crash", error=f"{type(exc).__name__}: {exc}",
                                       traceback=traceback.format_exc())
        raise


