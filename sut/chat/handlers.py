"""What one handler process does with its connection: the two variants of the program.

- :func:`tutorial` is the tutorial's ``chat(conn)``, line for line::

      while True:
          msg = conn.recv(1024).decode('utf-8')
          print(msg)
          conn.send((msg + '_sb').encode('utf-8'))
      conn.close()

  It takes one ``recv`` for one message, decodes whatever bytes it got, and
  never looks for the end of the conversation.
- :func:`framed` speaks the line protocol of :mod:`sut.chat.protocol`: it
  reassembles lines across ``recv`` calls, answers each exactly once, and
  ends - exit 0, no traceback - when the client is done or gone. It holds no
  room for ever: a client silent for ``idle_timeout`` between lines, or one
  that takes over ``line_timeout`` to finish a line it started (one byte a
  second), gets ``ERR ...`` and is hung up on; so is a client that does not
  read its replies for ``line_timeout`` (without the ERR: it is not reading).

Both take the connection as anything with the socket's ``recv``/``send``
methods, so the server can hand them a traced socket under test.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sut.chat.protocol import (
    IDLE_TIMEOUT,
    LINE_TIMEOUT,
    MAX_LINE,
    MAX_LINE_LIMIT,
    NEWLINE,
    LineFramer,
    check_count,
    check_timeout,
    err_idle,
    err_slow,
    respond,
)

# framed reads this much at a time; tutorial reads the tutorial's 1024.
RECV_SIZE = 4096
SEED_RECV_SIZE = 1024
# After a line too long: how long, and how many bytes, the handler keeps reading
# (and discarding) before it closes. Closing with unread input makes the kernel
# reset the connection, which can destroy the ERR reply before the client reads it.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
# The shortest wait a socket is given: a timeout of 0 would make it non-blocking.
MIN_WAIT = 0.001


class Conn(Protocol):
    """The part of a socket a handler uses."""

    def recv(self, size: int, /) -> bytes: ...
    def send(self, data: bytes, /) -> int: ...
    def sendall(self, data: bytes, /) -> None: ...
    def shutdown(self, how: int, /) -> None: ...
    def settimeout(self, value: float | None, /) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Limits:
    """What a handler allows its client: the longest line (at most 16 MiB), and how
    long it waits, in seconds, for a line to start (``idle_timeout``) and to finish
    (``line_timeout``).

    Raises:
        ValueError: a limit that is not a positive number (timeouts at most a day).
    """

    max_line: int = MAX_LINE
    idle_timeout: float = IDLE_TIMEOUT
    line_timeout: float = LINE_TIMEOUT

    def __post_init__(self) -> None:
        check_count("max_line", self.max_line, MAX_LINE_LIMIT)
        check_timeout("idle_timeout", self.idle_timeout)
        check_timeout("line_timeout", self.line_timeout)


Handler = Callable[[Conn, str, Limits], None]


def tutorial(conn: Conn, suffix: str, limits: Limits) -> None:
    """The tutorial's handler, faithfully (only its insult is now ``suffix``)."""
    while True:
        msg = conn.recv(SEED_RECV_SIZE).decode("utf-8")  # one recv taken for one message
        print(msg)
        conn.send((msg + suffix).encode("utf-8"))  # send, not sendall, as in the tutorial
    conn.close()  # never reached, as in the tutorial


def framed(conn: Conn, suffix: str, limits: Limits) -> None:
    """Answer every whole line once; end cleanly when the client is done, gone or too slow."""
    framer = LineFramer(limits.max_line)
    clock = _Patience(limits)
    try:
        while True:
            try:
                conn.settimeout(clock.left())
                data = conn.recv(RECV_SIZE)
            except TimeoutError:
                _hang_up(conn, clock.complaint(), clock.waited)
                return
            if not data:
                return  # the client is done: an unfinished line gets no reply
            frames = framer.feed(data)
            clock.received(bool(frames), framer.pending)
            if frames:
                conn.settimeout(limits.line_timeout)  # a client that never reads
                conn.sendall(respond(frames, suffix, limits.max_line))
            if framer.overflowed:
                _linger(conn, LINGER_SECONDS)
                return
    except (ConnectionError, TimeoutError):
        return  # reset, broken pipe or not reading: the client is gone or lost to us
    finally:
        with contextlib.suppress(OSError):  # already reset: nothing left to shut down
            conn.shutdown(socket.SHUT_RDWR)
        conn.close()


class _Patience:
    """When the handler stops waiting: ``idle_timeout`` after the last line ended (or
    the connection began), ``line_timeout`` after the first byte of an unfinished line."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._mid_line = False
        self._deadline = time.monotonic() + limits.idle_timeout

    @property
    def waited(self) -> float:
        """The timeout now running."""
        return self._limits.line_timeout if self._mid_line else self._limits.idle_timeout

    def left(self) -> float:
        return max(MIN_WAIT, self._deadline - time.monotonic())

    def complaint(self) -> str:
        """The ERR line for the timeout that ran out."""
        return err_slow(self.waited) if self._mid_line else err_idle(self.waited)

    def received(self, lines_ended: bool, pending: int) -> None:
        """Bytes came: ``lines_ended`` whether a line ended in them, ``pending`` the
        bytes of the unfinished line after them."""
        now = time.monotonic()
        if pending == 0:
            self._mid_line = False
            self._deadline = now + self._limits.idle_timeout
        elif lines_ended or not self._mid_line:  # a new line began in these bytes
            self._mid_line = True
            self._deadline = now + self._limits.line_timeout


def _hang_up(conn: Conn, complaint: str, waited: float) -> None:
    """Tell a client that timed out why, then hang up: it holds its room at most
    ``waited`` seconds more (what the linger may take)."""
    with contextlib.suppress(OSError):  # it cannot take the ERR line: hang up all the same
        conn.settimeout(waited)
        conn.sendall(complaint.encode("utf-8") + NEWLINE)
    _linger(conn, min(LINGER_SECONDS, waited))


def _linger(conn: Conn, seconds: float) -> None:
    """Hang up after an ERR reply without resetting it away: FIN, then drain for a while."""
    with contextlib.suppress(OSError):  # already reset: the ERR line is lost either way
        conn.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + seconds
    drained = 0
    with contextlib.suppress(OSError):  # timed out, or reset: either way, done
        while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(max(MIN_WAIT, left))
            data = conn.recv(RECV_SIZE)
            if not data:
                return
            drained += len(data)


HANDLERS: dict[str, Handler] = {"framed": framed, "tutorial": tutorial}
