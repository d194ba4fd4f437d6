"""Chat: the framed server holds for any text, cuts and hang-ups; the tutorial's handler is caught.

The server runs for real on a loopback port; clients are real sockets. Besides
the scenario's properties: bad input next to good clients, the command line
(serve, client, SIGTERM, Ctrl-C), a real peer (socat) and a load test.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import example, given

import sut
from sut.chat import eventlog
from sut.chat.handlers import framed, tutorial
from sut.chat.protocol import MAX_LINE
from sut.chat.server import ServerConfig
from sut.cli import main
from sut.drive.strategies import trials
from sut.engine import Backend
from sut.scenarios.chat import Params
from sut.scenarios.chat.harness import ServerProcess
from tests.pinned.minima import TUTORIAL_COUNTEREXAMPLES
from tests.verdicts import TEST_TIMEOUT, assert_trial_holds

CHAT = sut.get("chat")
# Subprocesses of `python -m sut` get this long (they take well under a second).
CLI_TIMEOUT = 30.0
# Every socket a test opens waits at most this long.
SOCKET_TIMEOUT = 10.0
# SIGTERM or Ctrl-C must stop the server within "a couple of seconds".
SHUTDOWN_BOUND = 2.0


# --- the framed server holds ---------------------------------------------------

@given(trial=trials(CHAT))
# A character across the tutorial's 1024-byte recv boundary, in one send; every
# line of a client in one send; a line cut at every byte.
@example(trial=(Params(messages=(("a" * 1023 + "é",), ("a", "", "ü"), ("Ωμέγα",)),
                       chunking=((), (8,), (1,) * 11)), 0))
def test_framed_answers_every_line_once_whatever_the_text_cuts_and_hang_ups(
        start_method, trial) -> None:
    assert_trial_holds(CHAT, "framed", trial, start_method)


def test_framed_keeps_serving_everyone_while_others_misbehave(start_method) -> None:
    # Client 0 behaves; the others send binary garbage, a line too long, reset
    # the connection mid-character, and stop halfway through a line.
    params = Params(messages=(("first", "second", "thïrd"), ("\udcff\udcfe\udc80", "ok"),
                              ("x" * 40, "never answered"), ("résumé",), ("half a line",)),
                    disconnects=(None, None, None, 2, 4), resets=(False, False, False, True),
                    max_line=16)
    result, violations = CHAT.evaluate(params, "framed", start_method=start_method,
                                       timeout=TEST_TIMEOUT)
    assert violations == []
    replies = [[event.data["line"] for event in result.events
                if event.worker == f"client {i}" and event.label == "reply"] for i in range(5)]
    assert replies == [["first_ok", "second_ok", "thïrd_ok"], ["ERR invalid UTF-8", "ok_ok"],
                       ["ERR line too long (over 16 bytes)"], [], []]
    assert {worker.name: worker.status for worker in result.workers} == {
        "server": "ok", **{f"handler {i}": "ok" for i in range(5)}}


# A client whose handler is gone must see its connection close at once.
CLOSE_BOUND = 2.0


def _talk(port: int, line: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    sock.sendall(line)
    assert sock.recv(64) == line[:-1] + b"_ok\n"
    return sock


def test_a_dead_handler_s_connection_closes_while_later_clients_stay(
        start_method, tmp_path) -> None:
    # The tutorial's handler dies without closing anything. Under fork, the
    # second handler inherits a copy of the first client's socket: unless it
    # drops that copy, the first connection stays open as long as the second
    # client stays, and the first client waits for an end that never comes.
    config = ServerConfig(handler=tutorial, max_clients=2)
    with ServerProcess(Backend(start_method), config, tmp_path) as server, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as first, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as second:
        second.sendall(b"x")
        assert second.recv(64) == b"x_ok"  # both handlers are running now
        first.sendall(b"\xff")  # not UTF-8: the first handler dies
        first.settimeout(CLOSE_BOUND)
        with contextlib.suppress(ConnectionResetError):
            assert first.recv(64) == b""


def test_a_line_over_64_kib_gets_err_and_the_connection_closes(tmp_path) -> None:
    # The default limit: the handler holds at most 64 KiB of an unfinished
    # line, answers ERR, then reads and drops the rest until the client is done.
    with ServerProcess(Backend("fork"), ServerConfig(handler=framed), tmp_path) as server, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as client:
        client.sendall(b"ok\n" + b"x" * (4 * MAX_LINE))
        client.shutdown(socket.SHUT_WR)
        got = b""
        while data := client.recv(4096):
            got += data
    assert got == b"ok_ok\nERR line too long (over 65536 bytes)\n"


def test_a_handler_killed_outright_gives_its_room_back(tmp_path) -> None:
    config = ServerConfig(handler=framed, max_clients=1)
    with ServerProcess(Backend("fork"), config, tmp_path) as server, \
            _talk(server.address[1], b"first\n") as first, \
            socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as second:
        second.sendall(b"second\n")  # waits for the room
        [begin] = [e for e in eventlog.read(server.log_path) if e["event"] == "begin"]
        os.kill(begin["pid"], signal.SIGKILL)
        assert second.recv(64) == b"second_ok\n"
        assert first.recv(64) == b""
        stopped = server.stop()
    assert stopped.exitcode == 0
    assert [entry["exitcode"] for entry in eventlog.read(server.log_path)
            if entry["event"] == "reap"] == [-signal.SIGKILL, 0]


# --- the tutorial's handler is caught --------------------------------------------

RACES = (Path(__file__).resolve().parents[2] / "docs" / "RACES.md").read_text("utf-8")


@pytest.mark.parametrize("bug", list(TUTORIAL_COUNTEREXAMPLES))
def test_tutorial_s_minima_fail_under_every_start_method(start_method, bug) -> None:
    params, evidence = TUTORIAL_COUNTEREXAMPLES[bug]
    _, violations = CHAT.evaluate(params, "tutorial", start_method=start_method,
                                  timeout=TEST_TIMEOUT)
    for invariant, pattern in evidence.items():
        [detail] = [v.detail for v in violations if v.invariant == invariant]
        assert re.fullmatch(pattern, detail), detail


def test_tutorial_dies_on_a_character_across_its_1024_byte_recv(start_method) -> None:
    # One send, no cut: recv(1024) itself cuts the 'é' at bytes 1023-1024.
    params = Params(messages=(("a" * 1023 + "é",),))
    result, violations = CHAT.evaluate(params, "tutorial", start_method=start_method,
                                       timeout=TEST_TIMEOUT)
    assert result.worker("handler 0").error == (
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc3 in position 1023: "
        "unexpected end of data")
    [lost] = [v.detail for v in violations if v.invariant == "one-reply-per-line"]
    assert lost.startswith("client 0 sent 1 line and got 0 replies: no reply to line 0 'aaaa")


# --- the command line ------------------------------------------------------------

def _readline(stream, timeout: float) -> bytes:
    """One line from a subprocess's pipe, waiting at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no whole line within {timeout} s, got {line!r}")
        byte = os.read(stream.fileno(), 1)
        if not byte:
            break
        line += byte
    return line


@contextlib.contextmanager
def _cli_server(tmp_path: Path, *options: str, python: tuple[str, ...] = ("-m", "sut")):
    """``python -m sut chat serve --port 0`` (or ``python`` given other arguments), in its
    own session (a terminal's process group); its process, port and log."""
    log = tmp_path / "server.jsonl"
    process = subprocess.Popen(
        [sys.executable, *python, "chat", "serve", "--port", "0", "--log", str(log), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        line = _readline(process.stdout, CLI_TIMEOUT).decode()
        found = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", line)
        assert found, line
        yield process, int(found.group(1)), log
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=CLI_TIMEOUT)


def _client(port: int, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sut", "chat", "client", "--port", str(port)],
                          input=data, capture_output=True, timeout=CLI_TIMEOUT, check=False)


def _stop(process: subprocess.Popen[bytes], sig: int, *, group: bool) -> float:
    """Send ``sig`` (to the whole process group, as Ctrl-C does), return how long exit took."""
    asked = time.monotonic()
    if group:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    process.wait(CLI_TIMEOUT)
    return time.monotonic() - asked


def test_chat_client_sends_piped_lines_and_prints_one_reply_each(tmp_path) -> None:
    with _cli_server(tmp_path, "--suffix", " ✓") as (server, port, log):
        talked = _client(port, "hello\nwörld\n\n".encode() + b"\xff\xfe\nlast")
        assert (talked.returncode, talked.stderr) == (0, b"")
        assert talked.stdout.decode() == "hello ✓\nwörld ✓\n ✓\nERR invalid UTF-8\nlast ✓\n"
        assert _stop(server, signal.SIGTERM, group=False) < SHUTDOWN_BOUND
        assert server.returncode == 0
    entries = eventlog.read(log)
    assert [entry["exitcode"] for entry in entries if entry["event"] == "reap"] == [0]
    assert [(entry["children"], entry["fds"]) for entry in entries
            if entry["event"] == "stopped"] == [([], [])]


@pytest.mark.parametrize(("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM", "ctrl-c"])
def test_serve_stops_closes_every_connection_and_exits_0(tmp_path, sig, group) -> None:
    with _cli_server(tmp_path, "--max-clients", "1") as (server, port, log), \
            socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as served, \
            socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as waiting:
        served_port = served.getsockname()[1]
        served.sendall(b"a\n")
        assert served.recv(64) == b"a_ok\n"
        waiting.sendall(b"b\n")  # no room: it waits to be served
        assert _stop(server, sig, group=group) < SHUTDOWN_BOUND
        assert (server.returncode, server.stderr.read()) == (0, b"")
        assert served.recv(64) == b""  # its connection was closed, not left hanging
        with contextlib.suppress(ConnectionResetError):  # refused along with the backlog
            assert waiting.recv(64) == b""
    entries = eventlog.read(log)
    assert [(entry["peer"], entry["exitcode"]) for entry in entries
            if entry["event"] == "reap"] == [(served_port, 0)]
    [stopping] = [entry for entry in entries if entry["event"] == "stopping"]
    assert (stopping["signal"], stopping["live"]) == (signal.Signals(sig).name, 1)


def test_chat_client_prompts_in_a_terminal_and_ends_at_ctrl_d(tmp_path) -> None:
    with _cli_server(tmp_path) as (server, port, _):
        master, terminal = os.openpty()
        try:
            client = subprocess.Popen(
                [sys.executable, "-m", "sut", "chat", "client", "--port", str(port)],
                stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            os.write(master, b"hi\n\x04")  # a line, then Ctrl-D
            out, err = client.communicate(timeout=CLI_TIMEOUT)
        finally:
            os.close(master)
            os.close(terminal)
        assert (client.returncode, out, err) == (0, b">>>hi_ok\n>>>\n", b"")
        _stop(server, signal.SIGTERM, group=False)


def test_serve_on_a_port_in_use_and_a_client_with_no_server_fail_in_one_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        refused = subprocess.run(
            [sys.executable, "-m", "sut", "chat", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
        assert (refused.returncode, refused.stdout) == (2, "")
        assert refused.stderr == (f"sut: error: cannot listen on 127.0.0.1:{port}: "
                                  "Address already in use\n")
    alone = _client(port, b"hello\n")
    assert (alone.returncode, alone.stdout) == (1, b"")
    assert alone.stderr == (f"sut: error: cannot talk to 127.0.0.1:{port}: "
                            "Connection refused\n").encode()


def test_run_chat_through_the_registry(capsys) -> None:
    assert main(["run", "chat", "--variant", "tutorial", 'messages=[[""]]']) == 1
    out = capsys.readouterr().out
    assert "intact-replies: client 0's reply to line 0 '' was '', not '_ok'" in out
    assert main(["run", "chat", "--variant", "framed", 'messages=[["h\\u00e9"], []]',
                 "chunking=[[2]]", "--start-method", "spawn"]) == 0
    assert "HELD: every invariant held" in capsys.readouterr().out


# --- a real, independent peer -----------------------------------------------------

def test_socat_as_the_client(tmp_path) -> None:
    socat = shutil.which("socat")
    if socat is None:
        # The gate installs socat; anywhere else, a missing tool is no failure of ours.
        if os.environ.get("CI") == "true":
            pytest.fail("socat is missing: the CI gate must install it (apt-get install -y socat)")
        pytest.skip("socat is not installed (apt-get install -y socat)")
    with _cli_server(tmp_path) as (server, port, log):
        # socat sends what it reads, however it cuts it, half-closes at the end
        # of its input and waits for the server to close the connection.
        talked = subprocess.run([socat, "-t", "5", "-", f"TCP:127.0.0.1:{port}"],
                                input="héllo\n\n你好\n".encode() + b"\xc3\n" + b"x" * 9000 + b"\n",
                                capture_output=True, timeout=CLI_TIMEOUT, check=False)
        assert (talked.returncode, talked.stderr) == (0, b"")
        assert talked.stdout.decode() == (
            "héllo_ok\n_ok\n你好_ok\nERR invalid UTF-8\n" + "x" * 9000 + "_ok\n")
        _stop(server, signal.SIGTERM, group=False)
        assert server.returncode == 0
    assert [entry["exitcode"] for entry in eventlog.read(log) if entry["event"] == "reap"] == [0]


# --- load ------------------------------------------------------------------------

LOAD_CLIENTS = 100
LOAD_LINES = 50


def _converse(port: int, client: int, start: threading.Barrier, replies: list[bytes]) -> None:
    """Like the tutorial's client: send a line, wait for its reply, LOAD_LINES times."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        start.wait(SOCKET_TIMEOUT)
        file = sock.makefile("rb")
        for line in range(LOAD_LINES):
            sock.sendall(f"client {client} line {line} ✓\n".encode())
            replies.append(file.readline())
        sock.shutdown(socket.SHUT_WR)
        replies.append(file.read())  # then the server closes: nothing more
        file.close()


def test_load_100_clients_50_lines_each(tmp_path, record_property) -> None:
    config = ServerConfig(handler=framed, max_clients=LOAD_CLIENTS, trace=False)
    with ServerProcess(Backend("fork"), config, tmp_path) as server:
        replies: list[list[bytes]] = [[] for _ in range(LOAD_CLIENTS)]
        start = threading.Barrier(LOAD_CLIENTS + 1)
        threads = [threading.Thread(target=_converse, args=(server.address[1], i, start,
                                                            replies[i]))
                   for i in range(LOAD_CLIENTS)]
        for thread in threads:
            thread.start()
        start.wait(SOCKET_TIMEOUT)
        began = time.monotonic()
        for thread in threads:
            thread.join(CLI_TIMEOUT)
        elapsed = time.monotonic() - began
        stopped = server.stop()
    for i, got in enumerate(replies):
        assert got == [f"client {i} line {line} ✓_ok\n".encode() for line in range(LOAD_LINES)
                       ] + [b""], f"client {i}"
    entries = eventlog.read(server.log_path)
    assert (stopped.exitcode, [e for e in entries if e["event"] == "crash"]) == (0, [])
    assert [entry["exitcode"] for entry in entries
            if entry["event"] == "reap"] == [0] * LOAD_CLIENTS
    throughput = LOAD_CLIENTS * LOAD_LINES / elapsed
    record_property("lines_per_second", round(throughput))
    print(f"\n{LOAD_CLIENTS} clients x {LOAD_LINES} lines: {elapsed:.2f} s, "
          f"{throughput:.0f} lines/s on {os.cpu_count()} cores")
