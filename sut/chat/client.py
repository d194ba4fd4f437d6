"""The tutorial's client: read a line, send it, print the reply - until the input ends.

The tutorial's client loops forever on ``input('>>>')``, sends the bytes and
prints one ``recv(1024)``. This one sends each line with its line end and
prints exactly one reply line per line, however the reply arrives in pieces.
It prompts only when a person is typing (stdin is a terminal), so piped
input gives just the replies; it ends cleanly at the end of the input, and
every wait for the server is bounded.
"""

from __future__ import annotations

import socket
from typing import BinaryIO

from sut.chat.protocol import MAX_LINE, NEWLINE, LineFramer, TooLong

PROMPT = b">>>"
# How long to wait for the server: to connect, and for each reply.
CONNECT_TIMEOUT = 5.0
REPLY_TIMEOUT = 10.0
# A reply is a line of at most the server's maximum plus the suffix: room to spare.
MAX_REPLY = 4 * MAX_LINE


class ServerGone(Exception):
    """The server closed the connection or stopped answering."""


class _Replies:
    """Reply lines from the server, one at a time, however they were cut."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._framer = LineFramer(MAX_REPLY)
        self._ready: list[bytes] = []

    def next(self) -> bytes:
        while not self._ready:
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                raise ServerGone(f"no reply within {REPLY_TIMEOUT:g} s") from None
            if not data:
                raise ServerGone("the server closed the connection")
            for frame in self._framer.feed(data):
                if isinstance(frame, TooLong):
                    raise ServerGone(f"a reply longer than {MAX_REPLY} bytes")
                self._ready.append(frame)
        return self._ready.pop(0)


def chat(host: str, port: int, stdin: BinaryIO, stdout: BinaryIO, *, interactive: bool,
         timeout: float = REPLY_TIMEOUT) -> None:
    """Talk to the server at ``host:port`` until ``stdin`` ends.

    Raises:
        OSError: cannot connect.
        ServerGone: the connection ended before a reply came.
    """
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
        sock.settimeout(timeout)
        replies = _Replies(sock)
        while True:
            if interactive:
                stdout.write(PROMPT)
                stdout.flush()
            line = stdin.readline()
            if not line:
                break  # end of input: we are done
            try:
                sock.sendall(line if line.endswith(NEWLINE) else line + NEWLINE)
            except OSError as exc:
                raise ServerGone(f"the connection broke: {exc}") from None
            stdout.write(replies.next() + NEWLINE)
            stdout.flush()
        if interactive:
            stdout.write(NEWLINE)
            stdout.flush()
