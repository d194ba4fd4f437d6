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
  ends - exit 0, no traceback - when the client is done or gone.

Both take the connection as anything with the socket's ``recv``/``send``
methods, so the server can hand them a traced socket under test.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import Protocol

from sut.chat.protocol import LineFramer, respond

# framed reads this much at a time; tutorial reads the tutorial's 1024.
RECV_SIZE = 4096
SEED_RECV_SIZE = 1024
# After a line too long: how long, and how many bytes, the handler keeps reading
# (and discarding) before it closes. Closing with unread input makes the kernel
# reset the connection, which can destroy the ERR reply before the client reads it.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


class Conn(Protocol):
    """The part of a socket a handler uses."""

    def recv(self, size: int, /) -> bytes: ...
    def send(self, data: bytes, /) -> int: ...
    def sendall(self, data: bytes, /) -> None: ...
    def shutdown(self, how: int, /) -> None: ...
    def settimeout(self, value: float | None, /) -> None: ...
    def close(self) -> None: ...


Handler = Callable[[Conn, str, int], None]


def tutorial(conn: Conn, suffix: str, max_line: int) -> None:
    """The tutorial's handler, faithfully (only its insult is now ``suffix``)."""
    while True:
        msg = conn.recv(SEED_RECV_SIZE).decode("utf-8")  # one recv taken for one message
        print(msg)
        conn.send((msg + suffix).encode("utf-8"))  # send, not sendall, as in the tutorial
    conn.close()  # never reached, as in the tutorial


def framed(conn: Conn, suffix: str, max_line: int) -> None:
    """Answer every whole line once; end cleanly when the client is done or gone."""
    framer = LineFramer(max_line)
    try:
        while True:
            data = conn.recv(RECV_SIZE)
            if not data:
                return  # the client is done: an unfinished line gets no reply
            frames = framer.feed(data)
            if frames:
                conn.sendall(respond(frames, suffix, max_line))
            if framer.overflowed:
                _linger(conn)
                return
    except ConnectionError:
        return  # reset or broken pipe: the client is gone, which ends the conversation
    finally:
        with contextlib.suppress(OSError):  # already reset: nothing left to shut down
            conn.shutdown(socket.SHUT_RDWR)
        conn.close()


def _linger(conn: Conn) -> None:
    """Hang up after the ERR reply without resetting it away: FIN, then drain for a while."""
    with contextlib.suppress(OSError):  # already reset: the ERR line is lost either way
        conn.shutdown(socket.SHUT_WR)
    conn.settimeout(LINGER_SECONDS)
    drained = 0
    with contextlib.suppress(TimeoutError):
        while drained < LINGER_BYTES:
            data = conn.recv(RECV_SIZE)
            if not data:
                return
            drained += len(data)


HANDLERS: dict[str, Handler] = {"framed": framed, "tutorial": tutorial}
