"""Scripted chat clients, for the property tests: exact bytes, exact cuts, exact exits.

A :class:`Script` says what one client sends, how the bytes are cut into
``send`` calls, where it stops and how it leaves. :func:`drive` plays it
against a server over a real socket and records what came back.

The cuts must reach the server as cuts. Two ``send`` calls in a row may well
arrive in one ``recv`` (the kernel coalesces them); so after each ``send`` the
client waits until the server's log shows that its handler has read every
byte so far - the handler's next ``recv`` then starts exactly at the cut.
That makes every split a fact of the run, not a matter of timing: a
multibyte character cut in two arrives in two ``recv`` calls, every time.
(Lines meant to arrive together are sent in one call.)

A client that stays to the end half-closes its side (``shutdown(SHUT_WR)``,
like ``socat``) and reads until the server closes the connection: so it sees
every reply, and anything the server sends after them.
"""

from __future__ import annotations

import itertools
import socket
import struct
import time
from dataclasses import dataclass, field

import sut
from sut.chat.protocol import NEWLINE, display, expected_replies
from sut.scenarios.chat.harness import LogWatcher

# A client reads at most this many bytes more than the protocol owes it, then
# gives up: a server that keeps sending after the replies has shown enough.
STRAY_LIMIT = 256
RECV_SIZE = 4096


@dataclass(frozen=True)
class Script:
    """One client: the bytes it sends, the sizes of its send calls, where and how it stops.

    ``sizes`` cut the stream into send calls, the rest going in one last call;
    with no sizes, each line is one call. The client sends the first ``stop_at``
    bytes only (all when None); it then leaves with a reset (``reset``: RST,
    reading nothing) or by half-closing and reading every reply until the
    server closes the connection.
    """

    stream: bytes
    sizes: tuple[int, ...] = ()
    stop_at: int | None = None
    reset: bool = False

    def chunks(self) -> list[bytes]:
        data = self.stream[:self.stop_at] if self.stop_at is not None else self.stream
        cuts = []
        if self.sizes:
            offset = 0
            for size in self.sizes:
                offset += size
                if offset >= len(data):
                    break
                cuts.append(offset)
        else:
            cuts = [i + 1 for i, byte in enumerate(data) if byte == NEWLINE[0]]
        edges = [0, *(cut for cut in cuts if 0 < cut < len(data)), len(data)]
        return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@dataclass
class ClientRecord:
    """What one client did and got: the facts the checker judges."""

    port: int | None = None
    # Which of the run's connections from ``port`` this was (0 the first): the
    # kernel may give a closed client's port to a later one.
    connection: int = 0
    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    # eof (the server closed), reset, gave-up (stray bytes), timeout, hung-up (by script),
    # or "could not connect: ..."
    end: str = ""


def drive(script: Script, address: tuple[str, int], watcher: LogWatcher, probe: sut.Probe,
          deadline: float, suffix: str, max_line: int, record: ClientRecord) -> None:
    """Play ``script`` against the server at ``address``; fill in ``record``.

    Every blocking call is bounded by ``deadline``; nothing here raises for
    what the server does.
    """
    def left() -> float:
        return max(0.001, deadline - time.monotonic())

    try:
        sock = socket.create_connection(address, timeout=left())
    except OSError as exc:
        record.end = f"could not connect: {exc}"
        probe.record("connect-failed", error=str(exc))
        return
    with sock:
        record.port = sock.getsockname()[1]
        record.connection = watcher.connected(record.port)
        probe.record("connect", port=record.port)
        for chunk in script.chunks():
            try:
                sock.settimeout(left())
                sock.sendall(chunk)
            except OSError as exc:
                probe.record("send-failed", error=f"{type(exc).__name__}: {exc}")
                break
            record.sent += chunk
            probe.record("send", data=display(chunk))
            watcher.wait_read((record.port, record.connection), len(record.sent), deadline)
        if script.reset:
            # Linger 0: close() sends RST at once, whatever is unsent or unread.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            probe.record("reset")
            record.end = "hung-up"
            return
        probe.record("done")  # with sending: what comes next is the half-close
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the handler died and its kernel reset the connection
            probe.record("shutdown-failed", error=f"{type(exc).__name__}: {exc}")
        owed = sum(len(reply.encode("utf-8")) + 1
                   for reply in expected_replies(bytes(record.sent), suffix, max_line))
        record.end = _read_to_end(sock, probe, record.received, owed + STRAY_LIMIT, deadline)


def _read_to_end(sock: socket.socket, probe: sut.Probe, received: bytearray, limit: int,
                 deadline: float) -> str:
    line_start = 0
    try:
        while True:
            if time.monotonic() >= deadline:
                return "timeout"
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            # One byte past the limit at most: what a client gives up on is always the same.
            data = sock.recv(min(RECV_SIZE, limit + 1 - len(received)))
            if not data:
                return "eof"
            received += data
            while (end := received.find(NEWLINE, line_start)) >= 0:
                probe.record("reply", line=display(bytes(received[line_start:end])))
                line_start = end + 1
            if len(received) > limit:
                return "gave-up"
    except TimeoutError:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    except OSError as exc:
        return f"error: {type(exc).__name__}: {exc}"
    finally:
        if len(received) > line_start:
            probe.record("unfinished", data=display(bytes(received[line_start:line_start + 64])),
                         n=len(received) - line_start)
