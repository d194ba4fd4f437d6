"""The line protocol without sockets: framing across any cuts, replies, the model."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sut.chat.protocol import (
    ERR_INVALID,
    Frame,
    LineFramer,
    TooLong,
    encode_line,
    err_too_long,
    expected_replies,
    respond,
    stream_of,
)
from sut.scenarios.chat.search import LINES, at_the_limit

# Any bytes at all, line ends included, as a stream to frame.
STREAMS = st.lists(st.one_of(st.binary(max_size=12), LINES.map(encode_line),
                             st.just(b"\n"), st.just(b"\r\n")), max_size=8).map(b"".join)


@st.composite
def cut(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """``stream`` cut anywhere into pieces, as recv calls might return it."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(stream)), max_size=6))))
    edges = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(edges)]


def _frame(pieces: list[bytes], max_line: int) -> tuple[list[Frame], int]:
    framer = LineFramer(max_line)
    frames: list[Frame] = []
    most = 0
    for piece in pieces:
        frames += framer.feed(piece)
        most = max(most, framer.pending)
    return frames, most


@given(data=st.data(), stream=STREAMS, max_line=st.sampled_from([1, 4, 8, 64 * 1024]))
def test_any_cuts_give_the_model_s_replies_and_never_buffer_past_the_limit(
        data, stream, max_line) -> None:
    pieces = data.draw(cut(stream))
    frames, most = _frame(pieces, max_line)
    replies = [line.decode() for line in respond(frames, "!", max_line).split(b"\n")[:-1]]
    assert replies == expected_replies(stream, "!", max_line)
    assert most <= max_line + 1  # the one more: a CR that may be a CRLF's


@given(data=st.data(), params=at_the_limit(max_line=st.integers(1, 64)))
def test_lines_at_the_limit_one_more_or_less_any_cuts_give_the_model_s_replies(
        data, params) -> None:
    stream = stream_of(params.messages[0])
    frames, most = _frame(data.draw(cut(stream)), params.max_line)
    replies = respond(frames, "!", params.max_line).decode().split("\n")[:-1]
    assert replies == expected_replies(stream, "!", params.max_line)
    assert most <= params.max_line + 1


def test_a_character_cut_in_two_is_one_line_again() -> None:
    framer = LineFramer()
    assert framer.feed(b"h\xc3") == []
    assert framer.pending == 2
    assert framer.feed(b"\xa9\nbye\n") == [b"h\xc3\xa9", b"bye"]
    assert framer.pending == 0


def test_coalesced_lines_each_get_their_own_reply() -> None:
    frames = LineFramer().feed(b"a\n\nc\n")
    assert respond(frames, "_ok", 10) == b"a_ok\n_ok\nc_ok\n"


def test_invalid_utf8_gets_err_and_the_next_line_is_answered() -> None:
    frames = LineFramer().feed(b"\xff\xfe\nok\n")
    assert respond(frames, "_ok", 10) == f"{ERR_INVALID}\nok_ok\n".encode()


def test_a_line_too_long_ends_framing_before_its_line_end_arrives() -> None:
    framer = LineFramer(max_line=4)
    assert framer.feed(b"abcd") == []  # exactly the maximum: still a line
    assert framer.feed(b"e") == [TooLong()]
    assert (framer.overflowed, framer.pending) == (True, 0)
    assert framer.feed(b"\nmore\n") == []
    assert respond([TooLong()], "_ok", 4) == b"ERR line too long (over 4 bytes)\n"


def test_the_model_answers_whole_lines_only_and_stops_at_a_line_too_long() -> None:
    assert expected_replies(b"a\nunfinished", "!", 20) == ["a!"]
    assert expected_replies(b"a\n123456\nb\n", "!", 5) == ["a!", err_too_long(5)]
    assert expected_replies(b"a\n123456", "!", 5) == ["a!", err_too_long(5)]
    assert expected_replies(b"\xc3\n", "!", 5) == [ERR_INVALID]


def test_surrogateescape_characters_are_the_raw_bytes_they_stand_for() -> None:
    assert stream_of(["h\u00e9", "\udcff\udcfe", ""]) == b"h\xc3\xa9\n\xff\xfe\n\n"


def test_a_framer_needs_room_for_a_line() -> None:
    with pytest.raises(ValueError, match="max_line must be >= 1 byte, got 0"):
        LineFramer(max_line=0)
