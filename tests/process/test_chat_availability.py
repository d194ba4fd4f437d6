"""The chat server stays available: idle and slow clients cannot hold every room, a log
that cannot be written does not stop it, and no handler outlives it (SIGHUP, SIGKILL).

Slow: real servers, real signals, and waits as long as the timeouts they check.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from sut.chat import eventlog
from sut.chat.handlers import framed
from sut.chat.protocol import err_idle, err_slow
from sut.chat.server import ServerConfig
from sut.engine import Backend
from sut.scenarios.chat.harness import ServerProcess
from tests.process.test_chat import (
    CLI_TIMEOUT,
    SHUTDOWN_BOUND,
    SOCKET_TIMEOUT,
    _cli_server,
)

pytestmark = pytest.mark.slow

# The handlers' timeouts here; a client that times out holds its room at most twice
# its timeout (the linger after the ERR), and the server takes a moment more to reap.
TIMEOUT = 0.3
MARGIN = 1.0
# How long a process killed with SIGKILL may take to be gone.
GONE_BOUND = 5.0


def _drip(sock: socket.socket, stop: threading.Event) -> None:
    """A slow client: a line started, then a byte every so often, never finished."""
    with contextlib.suppress(OSError):
        while not stop.wait(TIMEOUT / 3):
            sock.sendall(b"x")


def _all_of(sock: socket.socket) -> bytes:
    got = b""
    with contextlib.suppress(ConnectionResetError):
        while data := sock.recv(4096):
            got += data
    return got


def test_idle_and_slow_clients_cannot_keep_a_client_from_being_served(tmp_path) -> None:
    config = ServerConfig(handler=framed, max_clients=2, idle_timeout=TIMEOUT,
                          line_timeout=TIMEOUT)
    stop_dripping = threading.Event()
    with ServerProcess(Backend("fork"), config, tmp_path) as server, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as silent_1, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as silent_2, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as slow:
        dripper = threading.Thread(target=_drip, args=(slow, stop_dripping))
        dripper.start()
        try:
            began = time.monotonic()
            with socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as good:
                good.sendall(b"hello\n")
                assert good.recv(64) == b"hello_ok\n"
                served_in = time.monotonic() - began
            for silent in (silent_1, silent_2):
                assert _all_of(silent) == (err_idle(TIMEOUT) + "\n").encode()
            assert _all_of(slow).endswith((err_slow(TIMEOUT) + "\n").encode())
        finally:
            stop_dripping.set()
            dripper.join(SOCKET_TIMEOUT)
        assert server.stop().exitcode == 0
    # The silent ones leave after their idle timeout and its linger; then there is room.
    assert served_in < 2 * TIMEOUT + MARGIN
    assert [entry["exitcode"] for entry in eventlog.read(server.log_path)
            if entry["event"] == "reap"] == [0, 0, 0, 0]


def _served_handler(port: int, log: Path) -> tuple[socket.socket, int]:
    """A client with its handler running; the handler's pid."""
    client = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    client.sendall(b"a\n")
    assert client.recv(64) == b"a_ok\n"
    [begin] = [entry for entry in eventlog.read(log) if entry["event"] == "begin"]
    return client, begin["pid"]


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie waiting for whoever adopted it has)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_sighup_stops_the_server_like_sigterm(tmp_path) -> None:
    with _cli_server(tmp_path) as (server, port, log):
        client, handler = _served_handler(port, log)
        with client:
            asked = time.monotonic()
            server.send_signal(signal.SIGHUP)
            server.wait(CLI_TIMEOUT)
            assert time.monotonic() - asked < SHUTDOWN_BOUND
            assert (server.returncode, server.stderr.read()) == (0, b"")
            assert client.recv(64) == b""
        assert _gone(handler)
    entries = eventlog.read(log)
    [stopping] = [entry for entry in entries if entry["event"] == "stopping"]
    assert stopping["signal"] == "SIGHUP"
    assert [entry["exitcode"] for entry in entries if entry["event"] == "reap"] == [0]


# A handler dies with its server by PR_SET_PDEATHSIG, which only Linux has (elsewhere
# its own timeouts end it). Skipped by platform, so on Linux, where CI runs, a
# handler that outlives the server fails here.
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_no_handler_outlives_a_server_killed_outright(tmp_path, start_method) -> None:
    with _cli_server(tmp_path, "--start-method", start_method) as (server, port, log):
        client, handler = _served_handler(port, log)
        with client:
            server.kill()  # the server alone: its handlers get no signal from us
            server.wait(CLI_TIMEOUT)
            deadline = time.monotonic() + GONE_BOUND
            while not _gone(handler) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _gone(handler), f"handler {handler} still runs after its server was killed"


# The server with every log write failing as on a full disk (ENOSPC).
FULL_DISK_SERVER = """
import errno, os, sys
from sut.chat import eventlog
def no_space(fd, data):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
eventlog.os.write = no_space
from sut.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_log_that_cannot_be_written_is_reported_once_and_serving_goes_on(tmp_path) -> None:
    with _cli_server(tmp_path, python=("-c", FULL_DISK_SERVER)) as (server, port, log):
        for line in (b"one\n", b"two\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as client:
                client.sendall(line)
                assert client.recv(64) == line[:-1] + b"_ok\n"
        server.send_signal(signal.SIGTERM)
        server.wait(CLI_TIMEOUT)
        assert server.returncode == 0
        assert server.stderr.read().decode() == (
            f"sut: warning: cannot write the log {str(log)!r}: No space left on device; "
            "entries are lost, serving goes on\n")
