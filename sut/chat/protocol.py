"""The ``framed`` chat protocol: UTF-8 lines in, exactly one reply line per line out.

TCP is a byte stream: one ``recv`` is neither one message nor whole UTF-8. So
the server reassembles lines from whatever pieces arrive (:class:`LineFramer`)
and answers each whole line (:func:`respond`):

- ``TEXT\\n`` gets ``TEXT + suffix + \\n``; a line may end in ``\\r\\n`` too (one
  ``\\r`` before the ``\\n`` is part of the line end, not of the line);
- a line that is not valid UTF-8 gets ``ERR invalid UTF-8`` and the
  conversation goes on;
- a line longer than ``max_line`` bytes gets ``ERR line too long ...`` and the
  server hangs up. It notices as soon as ``max_line`` bytes without a line end
  are in, so it never buffers more than that (one byte more if it is the
  ``\\r`` of a ``\\r\\n``);
- a client that sends nothing for the idle timeout, or takes longer than the
  line timeout to finish a line it started, gets ``ERR ...`` and the server
  hangs up (see :mod:`sut.chat.handlers`): an idle or slow client cannot hold
  a room for ever.

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
# Stripped from the end of a line: a line may end in CRLF (telnet, Windows files).
CR = b"\r"
# A line (without its line end) may be this long; a longer one ends the conversation.
MAX_LINE = 64 * 1024
# The longest a server may allow: a handler holds this much of a line at most.
MAX_LINE_LIMIT = 16 * 1024 * 1024
# Appended to every line: neutral, unlike the tutorial's "_sb".
DEFAULT_SUFFIX = "_ok"
# The longest suffix, in UTF-8 bytes: so a client knows how long a reply can be.
MAX_SUFFIX = 1024
ERR_INVALID = "ERR invalid UTF-8"
# How long a handler waits for a client that sends nothing between lines, and
# for the rest of a line once its first byte came: then ERR, and it hangs up.
IDLE_TIMEOUT = 60.0
LINE_TIMEOUT = 10.0
# The longest timeout a server takes: a day (socket timeouts overflow far above).
MAX_TIMEOUT = 24 * 3600.0


def err_too_long(max_line: int) -> str:
    """The reply to a line over ``max_line`` bytes, after which the server hangs up."""
    return f"ERR line too long (over {max_line} bytes)"


def err_idle(seconds: float) -> str:
    """The reply to a client silent for ``seconds`` between lines, before the server hangs up."""
    return f"ERR idle for {seconds:g} s"


def err_slow(seconds: float) -> str:
    """The reply to a client that took over ``seconds`` to finish a line, before the hang-up."""
    return f"ERR line not finished within {seconds:g} s"


def max_reply(max_line: int) -> int:
    """The longest reply (without its line end) a server with ``max_line`` sends."""
    return max(max_line, len(err_too_long(max_line))) + MAX_SUFFIX


def check_suffix(suffix: str) -> str:
    """``suffix``, if a server can append it to every line.

    Raises:
        ValueError: not text, a line break in it, not UTF-8, or over MAX_SUFFIX bytes.
    """
    if not isinstance(suffix, str) or "\n" in suffix:
        raise ValueError(f"suffix must be text without a line break, got {suffix!r}")
    try:
        size = len(suffix.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"suffix must be valid text, got {suffix!r}") from None
    if size > MAX_SUFFIX:
        raise ValueError(f"suffix must be at most {MAX_SUFFIX} bytes, got {size}")
    return suffix


def check_count(name: str, value: int, most: int) -> int:
    """``value``, if it is a whole number from 1 to ``most``.

    Raises:
        ValueError: not an int (a bool is not one), or out of bounds.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise ValueError(f"{name} must be a whole number from 1 to {most}, got {value!r}")
    return value


def check_timeout(name: str, seconds: float) -> float:
    """``seconds``, if it is a usable timeout: above 0, at most MAX_TIMEOUT.

    Raises:
        ValueError: not a number, 0 or less, NaN, or over MAX_TIMEOUT.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not (
            0 < seconds <= MAX_TIMEOUT):
        raise ValueError(f"{name} must be a number of seconds above 0 and at most "
                         f"{MAX_TIMEOUT:g}, got {seconds!r}")
    return float(seconds)


def encode_line(text: str) -> bytes:
    """``text`` as bytes; surrogateescape characters become the raw bytes they stand for."""
    return text.encode("utf-8", "surrogateescape")


def stream_of(lines: tuple[str, ...] | list[str]) -> bytes:
    """Every line with its line end: the bytes a client sends."""
    return b"".join(encode_line(line) + NEWLINE for line in lines)


def display(data: bytes) -> str:
    """``data`` as readable text for a report: invalid bytes shown as ``\\xff``."""
    return data.decode("utf-8", "backslashreplace")


def _without_cr(line: bytes) -> bytes:
    """``line`` without the ``\\r`` of a ``\\r\\n`` line end."""
    return line[:-1] if line.endswith(CR) else line


def too_long_unfinished(partial: bytes | bytearray, max_line: int) -> bool:
    """Whether ``partial``, a line without its ``\\n`` yet, is already over ``max_line``
    (a last ``\\r`` may still turn out to be part of a ``\\r\\n``)."""
    return len(partial) > max_line + (1 if partial.endswith(CR) else 0)


@dataclass(frozen=True)
class TooLong:
    """A line grew past the maximum before its line end arrived."""


Frame = bytes | TooLong


class LineFramer:
    """Reassemble lines from a byte stream cut anywhere, holding at most ``max_line`` bytes.

    ``feed`` takes whatever one ``recv`` returned and gives back the lines it
    completed (without their line ends, ``\\n`` or ``\\r\\n``). Once a line is too long it gives
    :class:`TooLong` and nothing after it: the conversation is over.

    Example::

        framer = LineFramer(max_line=10)
        assert framer.feed(b"h\\xc3") == []
        assert framer.feed(b"\\xa9\\nbye\\r\\n") == [b"h\\xc3\\xa9", b"bye"]
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be >= 1 byte, got {max_line}")
        self.max_line = max_line
        self.overflowed = False
        self._partial = bytearray()  # the line in progress: never holds a line end

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back (at most ``max_line``, or one more
        when the last is a ``\\r``)."""
        return len(self._partial)

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        if self.overflowed:
            return frames
        start = 0
        # Only the new data can hold a line end: the partial line never does.
        while (end := data.find(NEWLINE, start)) >= 0:
            line = _without_cr(bytes(self._partial) + data[start:end])
            self._partial.clear()
            if len(line) > self.max_line:
                return self._overflow(frames)
            frames.append(line)
            start = end + 1
        self._partial += data[start:]
        if too_long_unfinished(self._partial, self.max_line):
            return self._overflow(frames)
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

    Split at the line ends (a ``\\r`` before one is part of it), answer each
    whole line; a line over ``max_line`` (finished or not) gets the too-long
    error and nothing after it does. An unfinished last line within the limit
    gets no reply.
    """
    *lines, unfinished = stream.split(NEWLINE)
    replies: list[str] = []
    for line in map(_without_cr, lines):
        if len(line) > max_line:
            return [*replies, err_too_long(max_line)]
        replies.append(reply_text(line, suffix, max_line))
    if too_long_unfinished(unfinished, max_line):
        replies.append(err_too_long(max_line))
    return replies

