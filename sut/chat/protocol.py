"""The ``framed`` chat protocol: UTF-8 lines in, exactly one reply line per line out.

TCP is a byte stream: one ``recv`` is neither one message nor whole UTF-8. So
the server reassembles lines from whatever pieces arrive (:class:`LineFramer`)
and answers each whole line (:func:`respond`):

- ``TEXT\\n`` gets ``TEXT + suffix + \\n``;
- a line that is not valid UTF-8 gets ``ERR invalid UTF-8`` and the
  conversation goes on;
- a line longer than ``max_line`` bytes gets ``ERR line too long ...`` and the
  server hangs up. It notices as soon as ``max_line`` bytes without a line end
  are in, so it never buffers more than that.

:func:`expected_replies` is the same protocol as a plain sequential model - a
whole stream split at its line ends - against which the property tests judge
what a server really sent. Everything here is pure: no sockets.

Raw bytes that are not UTF-8 travel in ``str`` as Python's ``surrogateescape``
characters (U+DC80..U+DCFF), the way ``os.fsdecode`` carries them:
:func:`encode_line` turns them back into those bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

NEWLINE = b"\n"
# A line (without its line end) may be this long; a longer one ends the conversation.
MAX_LINE = 64 * 1024
# Appended to every line: neutral, unlike the tutorial's "_sb".
DEFAULT_SUFFIX = "_ok"
ERR_INVALID = "ERR invalid UTF-8"


def err_too_long(max_line: int) -> str:
    """The reply to a line over ``max_line`` bytes, after which the server hangs up."""
    return f"ERR line too long (over {max_line} bytes)"


def encode_line(text: str) -> bytes:
    """``text`` as bytes; surrogateescape characters become the raw bytes they stand for."""
    return text.encode("utf-8", "surrogateescape")


def stream_of(lines: tuple[str, ...] | list[str]) -> bytes:
    """Every line with its line end: the bytes a client sends."""
    return b"".join(encode_line(line) + NEWLINE for line in lines)


def display(data: bytes) -> str:
    """``data`` as readable text for a report: invalid bytes shown as ``\\xff``."""
    return data.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class TooLong:
    """A line grew past the maximum before its line end arrived."""


Frame = bytes | TooLong


class LineFramer:
    """Reassemble lines from a byte stream cut anywhere, holding at most ``max_line`` bytes.

    ``feed`` takes whatever one ``recv`` returned and gives back the lines it
    completed (without their line ends). Once a line is too long it gives
    :class:`TooLong` and nothing after it: the conversation is over.

    Example::

        framer = LineFramer(max_line=10)
        assert framer.feed(b"h\\xc3") == []
        assert framer.feed(b"\\xa9\\nbye\\n") == [b"h\\xc3\\xa9", b"bye"]
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be >= 1 byte, got {max_line}")
        self.max_line = max_line
        self.overflowed = False
        self._partial = bytearray()  # the line in progress: never holds a line end

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back (at most ``max_line``)."""
        return len(self._partial)

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        if self.overflowed:
            return frames
        start = 0
        # Only the new data can hold a line end: the partial line never does.
        while (end := data.find(NEWLINE, start)) >= 0:
            line = bytes(self._partial) + data[start:end]
            self._partial.clear()
            if len(line) > self.max_line:
                return self._overflow(frames)
            frames.append(line)
            start = end + 1
        if len(self._partial) + len(data) - start > self.max_line:
            return self._overflow(frames)
        self._partial += data[start:]
        return frames

    def _overflow(self, frames: list[Frame]) -> list[Frame]:
        self.overflowed = True
        self._partial.clear()
        frames.append(TooLong())
        return frames


def reply_text(frame: Frame, suffix: str, max_line: int) -> str:
    """The reply to one frame, without its line end."""
    if isinstance(frame, TooLong):
        return err_too_long(max_line)
    try:
        return frame.decode("utf-8") + suffix
    except UnicodeDecodeError:
        return ERR_INVALID


def respond(frames: list[Frame], suffix: str, max_line: int) -> bytes:
    """The reply lines to ``frames``, ready to send in one call."""
    return b"".join(reply_text(frame, suffix, max_line).encode("utf-8") + NEWLINE
                    for frame in frames)


def expected_replies(stream: bytes, suffix: str, max_line: int) -> list[str]:
    """The model: what a framed server answers to a client that sent ``stream`` and stopped.

    Split at the line ends, answer each whole line; a line over ``max_line``
    (finished or not) gets the too-long error and nothing after it does. An
    unfinished last line within the limit gets no reply.
    """
    *lines, unfinished = stream.split(NEWLINE)
    replies: list[str] = []
    for line in lines:
        if len(line) > max_line:
            return [*replies, err_too_long(max_line)]
        replies.append(reply_text(line, suffix, max_line))
    if len(unfinished) > max_line:
        replies.append(err_too_long(max_line))
    return replies

