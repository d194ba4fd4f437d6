"""The tutorial's client: read a line, send it, print the reply - until the input ends.

The tutorial's client loops forever on ``input('>>>')``, sends the bytes and
prints one ``recv(1024)``. This one sends each line with its line end and
prints exactly one reply line per line, however the reply arrives in pieces.
It prompts only when a person is typing (stdin is a terminal), so piped
input gives just the replies; it ends cleanly at the end of the input, and
every wait for the server is bounded.

Its limits follow the server's ``--max-line`` (give it the same value): it
reads at most ``max_line`` bytes of a line from its input (plus the line end)
and refuses a longer one before sending it (:class:`LineTooLong`), and it
takes replies up to :func:`~sut.chat.protocol.max_reply` of that - the
longest line plus the longest suffix.
"""

from __future__ import annotations

import itertools
import socket
from typing import BinaryIO

from sut.chat.protocol import (
    CR,
    MAX_LINE,
    NEWLINE,
    LineFramer,
    TooLong,
    max_reply,
    too_long_unfinished,
)

PROMPT = b">>>"
# How long to wait for the server: to connect, and for each reply.
CONNECT_TIMEOUT = 5.0
REPLY_TIMEOUT = 10.0


class ServerGone(Exception):
    """The server closed the connection or stopped answering."""


class LineTooLong(ValueError):
    """A line of the input is longer than the server takes: it is not sent."""


class _Replies:
    """Reply lines from the server, one at a time, however they were cut."""

    def __init__(self, sock: socket.socket, max_line: int) -> None:
        self._sock = sock
        self._limit = max_reply(max_line)
        self._framer = LineFramer(self._limit)
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
                    raise ServerGone(f"a reply longer than {self._limit} bytes")
                self._ready.append(frame)
        return self._ready.pop(0)


def read_line(stdin: BinaryIO, max_line: int, number: int) -> bytes:
    """The next line of ``stdin`` with its line end (b'' at the end of the input), read
    without holding more than ``max_line`` bytes and its line end.

    Raises:
        LineTooLong: the line is longer than ``max_line`` bytes (``number`` names it).
    """
    line = stdin.readline(max_line + len(CR + NEWLINE))
    # Without its \n (or at the end of the input, without one): a last \r is part
    # of the line end, the server strips it.
    if too_long_unfinished(line.removesuffix(NEWLINE), max_line):
        raise LineTooLong(f"line {number} of the input is longer than {max_line} bytes "
                          f"(the server's --max-line; give the client the same)")
    return line


def chat(host: str, port: int, stdin: BinaryIO, stdout: BinaryIO, *, interactive: bool,
         timeout: float = REPLY_TIMEOUT, max_line: int = MAX_LINE) -> None:
    """Talk to the server at ``host:port`` until ``stdin`` ends.

    ``max_line`` is the server's: a longer input line is refused before it is sent.

    Raises:
        OSError: cannot connect.
        ServerGone: the connection ended before a reply came.
        LineTooLong: an input line over ``max_line`` bytes (the lines before it
            were sent and answered).
    """
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
        sock.settimeout(timeout)
        replies = _Replies(sock, max_line)
        for number in itertools.count(1):
            if interactive:
                stdout.write(PROMPT)
                stdout.flush()
            line = read_line(stdin, max_line, number)
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
