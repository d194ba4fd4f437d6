"""Where the chat's bugs are searched for: generated texts, cuts of the byte stream, hang-ups.

The chat has no schedule mode - its bugs live in byte streams, not in an
interleaving of processes - so its minimal counterexamples come from
searching the clients' scripts instead: which lines, cut into which ``send``
calls, and whether a client leaves early. Nothing in a script is left to
timing (the clients pace their sends so that a cut arrives as a cut), so a
derandomized search finds the same minimum every time.

This module imports Hypothesis; the demo and the tests import it, the
scenario and its worker processes never do.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

import sut
from sut.chat.protocol import MAX_LINE, encode_line, stream_of
from sut.scenarios.chat.params import Params

# Any text but the line end, multibyte characters included - so a drawn cut
# often falls inside one - and empty lines.
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=6)
# Raw bytes that are not UTF-8 (as surrogateescape characters): a framed
# server answers them with ERR and goes on.
GARBAGE = st.binary(min_size=1, max_size=4).map(
    lambda raw: raw.replace(b"\n", b"").decode("utf-8", "surrogateescape"))
LINES = st.one_of(TEXT, GARBAGE)
# The line limit: the real one, or one that a short line exceeds.
ANY_MAX_LINE = st.sampled_from([MAX_LINE, 8])
COIN = st.booleans()


@st.composite
def cuts(draw: st.DrawFn, stream: bytes) -> tuple[int, ...]:
    """Sizes of send calls cutting ``stream``: up to three cuts, often inside a character.

    No cut at all is one send for every line (coalesced). A cut just before a
    UTF-8 continuation byte splits a multibyte character across two sends -
    and, the client being paced, across two ``recv`` calls of the server.
    """
    if len(stream) <= 1:
        return (len(stream),) if stream else ()
    anywhere = st.integers(1, len(stream) - 1)
    inside = [i for i in range(1, len(stream)) if stream[i] & 0xC0 == 0x80]
    cut = st.one_of(st.sampled_from(inside), anywhere) if inside else anywhere
    chosen = sorted(set(draw(st.lists(cut, max_size=3))))
    if not chosen:
        return (len(stream),)
    return tuple(b - a for a, b in itertools.pairwise([0, *chosen]))


@st.composite
def scripts(draw: st.DrawFn, *, clients: st.SearchStrategy[int] = st.integers(1, 3),
            lines: st.SearchStrategy[int] = st.integers(0, 3),
            texts: st.SearchStrategy[str] = LINES,
            chunked: st.SearchStrategy[bool] = COIN,
            disconnects: st.SearchStrategy[bool] = COIN,
            resets: st.SearchStrategy[bool] = COIN,
            max_clients: st.SearchStrategy[int] = st.integers(1, 3),
            max_line: st.SearchStrategy[int] = ANY_MAX_LINE) -> Params:
    """The clients' scripts, as chat ``Params``.

    Per client: its lines; whether its bytes are cut into sends of drawn sizes
    (else a send per line) - several lines in one send are coalesced, a cut
    inside a character splits it; whether it stops sending after a drawn
    number of bytes (mid-line, mid-character); whether it then resets.
    """
    messages, chunking, stops, hangups = [], [], [], []
    for _ in range(draw(clients)):
        said = tuple(draw(texts) for _ in range(draw(lines)))
        stream = stream_of(said)
        messages.append(said)
        chunking.append(draw(cuts(stream)) if draw(chunked) else ())
        stops.append(draw(st.integers(0, len(stream))) if draw(disconnects) else None)
        hangups.append(draw(resets))
    return Params(messages=tuple(messages), chunking=tuple(chunking), disconnects=tuple(stops),
                  resets=tuple(hangups), max_clients=draw(max_clients),
                  max_line=draw(max_line))


# --- the protocol's edges --------------------------------------------------------
# Drawn rarely or never by ``scripts``: lines of exactly the limit, one byte
# more or less (and a CRLF's CR past it), many lines in one send, replies
# larger than a socket's send buffer. The breaking searches do not draw these:
# their minima stay as pinned.
SMALL_MAX_LINE = st.integers(1, 8)
# Lines this long answer with replies over a socket's default send buffer (16 KiB
# on Linux): the handler's sendall goes in several pieces.
BIG_MAX_LINE = MAX_LINE
# How many lines a pipelining client sends in one go.
PIPELINED = (16, 64)


@st.composite
def sized_text(draw: st.DrawFn, size: int) -> str:
    """Text of exactly ``size`` UTF-8 bytes: ASCII, two-byte characters, maybe a last CR
    (a CRLF line end then: the CR is not counted against the limit)."""
    crlf = size >= 1 and draw(COIN)
    body = size - 1 if crlf else size
    wide = draw(st.integers(0, body // 2))
    return "é" * wide + "x" * (body - 2 * wide) + ("\r" if crlf else "")


@st.composite
def at_the_limit(draw: st.DrawFn, *, max_line: st.SearchStrategy[int] = SMALL_MAX_LINE
                 ) -> Params:
    """A client whose lines are ``max_line`` bytes long, one more or one less."""
    limit = draw(max_line)
    sizes = draw(st.lists(st.sampled_from([limit - 1, limit, limit + 1]), min_size=1,
                          max_size=3))
    lines = [draw(sized_text(size)) for size in sizes]
    # max_line + 1 bytes ending in CR is a line of max_line and a CRLF: make it
    # one byte too long for real, half the time.
    lines = [line + "x" if line.endswith("\r") and len(encode_line(line)) > limit and draw(COIN)
             else line for line in lines]
    stream = stream_of(lines)
    chunking = (draw(cuts(stream)),) if draw(COIN) else ()
    return Params(messages=(tuple(lines),), chunking=chunking, max_clients=1, max_line=limit)


@st.composite
def pipelined(draw: st.DrawFn) -> Params:
    """Many lines in one send: the handler reads several lines in one recv."""
    lines = tuple(draw(st.lists(TEXT, min_size=PIPELINED[0], max_size=PIPELINED[1])))
    return Params(messages=(lines,), chunking=((len(stream_of(lines)),),), max_clients=1,
                  max_line=draw(st.sampled_from([MAX_LINE, 8])))


@st.composite
def big_replies(draw: st.DrawFn) -> Params:
    """Lines of the whole limit, sent at once: replies larger than a send buffer."""
    lines = tuple(draw(sized_text(BIG_MAX_LINE)) for _ in range(draw(st.integers(1, 2))))
    return Params(messages=(lines,), chunking=((len(stream_of(lines)),),), max_clients=1,
                  max_line=BIG_MAX_LINE)


EDGES = st.one_of(at_the_limit(), pipelined(), big_replies())


# Each search below looks for one invariant, narrowed to one client that
# stays to the end: the tutorial's handler fails on nearly everything, and a
# narrow space keeps the shrinking short.
ONE_CLIENT: dict[str, Any] = {
    "clients": st.just(1), "max_clients": st.just(1), "max_line": st.just(MAX_LINE),
    "disconnects": st.just(False), "resets": st.just(False)}
LOOPS_FOREVER = ("Its loop is `while True`: once the client is done, recv() returns b'' "
                 "for ever, and the handler answers each b'' with the suffix until a send "
                 "fails.")
WHOLE_LINES = scripts(chunked=st.just(False), **ONE_CLIENT)
SEARCHES = sut.Searches(
    breaking=(
        sut.Search("intact-replies", WHOLE_LINES,
                   "The handler replies msg + '_ok', and msg still ends in its line break: the "
                   "suffix lands at the start of the next line."),
        sut.Search("clean-close", WHOLE_LINES, LOOPS_FOREVER),
        sut.Search("clean-exit", WHOLE_LINES, LOOPS_FOREVER),
        sut.Search("one-reply-per-line",
                   scripts(texts=TEXT, lines=st.just(1), chunked=st.just(True), **ONE_CLIENT),
                   "A recv(1024) gave half a character, and decode('utf-8') of it raised: the "
                   "handler died, the line was never answered."),
        sut.Search("one-reply-per-line",
                   scripts(texts=GARBAGE, lines=st.just(1), chunked=st.just(False), **ONE_CLIENT),
                   "A byte that is not UTF-8 at all: decode('utf-8') raised, the handler died, "
                   "the line was never answered."),
    ),
    # The whole space, and its edges as often.
    anything=st.one_of(scripts(), EDGES),
)
