"""The chat's limits, without processes: a handler's idle and line timeouts, CRLF line ends,
a log that cannot be written, and a client whose limits follow the server's."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import threading
import time

import pytest

from sut.chat import eventlog
from sut.chat.client import LineTooLong, _Replies, read_line
from sut.chat.handlers import Limits, framed
from sut.chat.protocol import (
    LineFramer,
    err_idle,
    err_slow,
    err_too_long,
    expected_replies,
    max_reply,
)
from sut.chat.server import ServerConfig
from sut.cli import main

# The handler's timeouts in these tests (QUICK where only an upper bound is checked),
# and how much longer it may take to act on one. QUICK is what each of those tests
# waits for real, so it is short: nothing there races it - the client stays silent,
# drips a line that cannot finish, or never reads, and load only makes that more so -
# and what a loaded machine may take on top of it is MARGIN's, unchanged.
QUICK = 0.02
SHORT = 0.1
MARGIN = 1.0
# A test socket waits at most this long for anything.
SOCKET_TIMEOUT = 5.0


def _handler_on(limits: Limits) -> tuple[socket.socket, threading.Thread]:
    """``framed`` serving one end of a socket pair in a thread; the client's end."""
    server_end, client_end = socket.socketpair()
    client_end.settimeout(SOCKET_TIMEOUT)
    thread = threading.Thread(target=framed, args=(server_end, "_ok", limits), daemon=True)
    thread.start()
    return client_end, thread


def _read_all(sock: socket.socket) -> bytes:
    got = b""
    while data := sock.recv(4096):
        got += data
    return got


def test_a_silent_client_gets_err_and_is_hung_up_on_after_the_idle_timeout() -> None:
    limits = Limits(idle_timeout=QUICK, line_timeout=SOCKET_TIMEOUT)
    client, handler = _handler_on(limits)
    with client:
        began = time.monotonic()
        assert _read_all(client) == (err_idle(QUICK) + "\n").encode()
        handler.join(QUICK + MARGIN)
        assert not handler.is_alive()
        assert time.monotonic() - began < 2 * QUICK + MARGIN


def test_a_client_that_drips_a_line_gets_err_after_the_line_timeout() -> None:
    # One byte at a time, each well within the idle timeout: only the line timeout,
    # counted from the line's first byte, ends it.
    limits = Limits(idle_timeout=SOCKET_TIMEOUT, line_timeout=2 * QUICK)
    client, handler = _handler_on(limits)
    with client:
        client.sendall(b"ok\n")
        assert client.recv(64) == b"ok_ok\n"
        client.setblocking(False)
        got = b""
        deadline = time.monotonic() + 2 * QUICK + MARGIN
        while handler.is_alive() and time.monotonic() < deadline:
            try:
                client.send(b"x")
                got += client.recv(4096)
            except BlockingIOError:
                pass
            except OSError:
                break  # hung up on
            time.sleep(QUICK / 4)
        handler.join(MARGIN)
        assert not handler.is_alive()
        client.settimeout(SOCKET_TIMEOUT)
        # It went on dripping after the hang-up: a reset may follow the ERR.
        with contextlib.suppress(ConnectionResetError):
            while data := client.recv(4096):
                got += data
        assert got == (err_slow(2 * QUICK) + "\n").encode()


def test_lines_that_keep_coming_in_time_are_all_answered() -> None:
    limits = Limits(idle_timeout=3 * SHORT, line_timeout=3 * SHORT)
    client, handler = _handler_on(limits)
    with client:
        for i in range(3):  # longer in all than either timeout
            time.sleep(SHORT)
            client.sendall(f"{i}\r\n".encode())
            assert client.recv(64) == f"{i}_ok\n".encode()
        client.shutdown(socket.SHUT_WR)
        assert _read_all(client) == b""
    handler.join(MARGIN)
    assert not handler.is_alive()


def test_a_client_that_never_reads_its_replies_is_let_go() -> None:
    limits = Limits(max_line=1024, idle_timeout=SOCKET_TIMEOUT, line_timeout=2 * QUICK)
    client, handler = _handler_on(limits)
    with client:
        client.setblocking(False)
        line = b"y" * 1000 + b"\n"
        deadline = time.monotonic() + SOCKET_TIMEOUT
        while handler.is_alive() and time.monotonic() < deadline:
            try:
                client.send(line * 64)
            except BlockingIOError:
                time.sleep(QUICK / 4)
            except OSError:
                break
        handler.join(MARGIN)
        assert not handler.is_alive()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"idle_timeout": 0}, "idle_timeout must be a number of seconds above 0"),
    ({"line_timeout": float("nan")}, "line_timeout must be a number of seconds above 0"),
    ({"line_timeout": 1e12}, "at most 86400, got 1000000000000.0"),
    ({"max_line": 0}, "max_line must be a whole number from 1 to 16777216, got 0"),
    ({"max_clients": 5000}, "max_clients must be a whole number from 1 to 1024, got 5000"),
    ({"suffix": "é" * 600}, "suffix must be at most 1024 bytes, got 1200"),
])
def test_server_config_names_the_bad_limit(kwargs, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ServerConfig(**kwargs)


# --- CRLF ------------------------------------------------------------------------

def test_a_crlf_line_end_is_a_line_end() -> None:
    framer = LineFramer(max_line=4)
    assert framer.feed(b"hi\r\n\r\nabcd\r") == [b"hi", b""]
    assert framer.pending == 5  # exactly the maximum and what may be a CRLF's CR
    assert framer.feed(b"\na\r\r\n") == [b"abcd", b"a\r"]
    assert expected_replies(b"hi\r\nabcd\r\na\r\r\n", "_ok", 4) == ["hi_ok", "abcd_ok", "a\r_ok"]


def test_a_cr_not_followed_by_a_line_end_counts_toward_the_limit() -> None:
    framer = LineFramer(max_line=4)
    assert framer.feed(b"abcd\r") == []
    assert framer.feed(b"x") != []
    assert framer.overflowed
    assert expected_replies(b"abcd\rx", "_ok", 4) == [err_too_long(4)]
    assert expected_replies(b"abcd\r", "_ok", 4) == []


# --- the log -----------------------------------------------------------------------

def test_a_full_disk_loses_log_entries_says_so_once_and_raises_nothing(capsys) -> None:
    log = eventlog.EventLog(os.devnull.replace("null", "full"))  # /dev/full: ENOSPC
    log.write("server", "accept", handler=0)
    log.write("server", "reap", handler=0)
    log.close()
    err = capsys.readouterr().err
    assert err == ("sut: warning: cannot write the log '/dev/full': No space left on device; "
                   "entries are lost, serving goes on\n")


def test_handlers_logs_stay_quiet_about_a_failure(capsys) -> None:
    log = eventlog.EventLog("/dev/full", report=False)  # ENOSPC
    log.write("handler", "begin")
    log.close()
    assert capsys.readouterr().err == ""


def test_a_log_that_is_not_a_regular_file_is_refused_without_blocking(capsys, tmp_path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="must be a regular file"):
        eventlog.check_path(fifo)
    assert main(["chat", "serve", "--port", "0", "--log", str(fifo)]) == 2
    assert capsys.readouterr().err == f"sut: error: the log {str(fifo)!r} must be a regular file\n"
    with pytest.raises(ValueError, match="must be a regular file"):
        eventlog.check_path(tmp_path)


# --- the client follows the server's limits ---------------------------------------------

def test_the_client_reads_at_most_a_line_of_max_line_bytes_from_its_input() -> None:
    endless = io.BufferedReader(io.BytesIO(b"x" * 100_000))
    with pytest.raises(LineTooLong, match="line 3 of the input is longer than 8 bytes"):
        read_line(endless, 8, 3)
    assert endless.tell() <= 8 + 2
    lines = io.BufferedReader(io.BytesIO(b"12345678\r\n12345678\r"))
    assert read_line(lines, 8, 1) == b"12345678\r\n"
    assert read_line(lines, 8, 2) == b"12345678\r"  # the end of the input ends the line
    assert read_line(lines, 8, 3) == b""


def test_the_client_takes_replies_as_long_as_its_max_line_allows() -> None:
    # A server with --max-line 1 MiB answers a 300 KiB line: once past the client's
    # old fixed limit of 256 KiB.
    max_line = 1 << 20
    reply = b"r" * (300 * 1024) + b"_ok"
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(SOCKET_TIMEOUT)
        sender = threading.Thread(target=theirs.sendall, args=(reply + b"\n",))
        sender.start()
        assert _Replies(ours, max_line).next() == reply
        sender.join(SOCKET_TIMEOUT)
    assert max_reply(8) >= len(err_too_long(8))
