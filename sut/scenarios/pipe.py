"""Pipes - a receiver that reads a Pipe until EOF, and the ends that must be closed first.

Main makes ``left, right = Pipe()`` and hands both ends to a receiver child, as
tutorial-style code does. Main sends ``messages`` numbers on ``left`` and then
closes it; the receiver reads ``right`` until ``recv`` raises ``EOFError``.

EOF comes only when *every* copy of the send end is closed - in every
process. Main's copy is one; the receiver holds another: passed as an
argument under every start method (and, under fork, inherited besides). So
the variants differ only in what the receiver does with the end it never
sends on:

- ``closed-ends``: it closes it first thing (and main closes its copy of the
  receiving end it never reads, and its send end once done): EOF ends the
  stream;
- ``leaked-end``: it leaves it open. Its own copy keeps the pipe open, so EOF
  never comes, and the receiver waits forever after its last message.

Invariants: every message arrives, in order; the receiver sees EOF; nobody
waits forever; every process exits cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import ClassVar

import sut
from sut.engine.spans import is_count_up, told

# The receiver's events: ready to receive, a message received, the end of the
# stream; main's: a message sent, a send that failed, its send end closed.
READY, RECEIVED, EOF = "ready", "received", "eof"
SENT, SEND_FAILED, CLOSED = "sent", "send-failed", "closed"


@dataclass(frozen=True)
class Params(sut.Checked):
    """Parameters of one stream. ``messages=0`` is an empty stream: EOF must still end it.

    Limits (docs/LIMITS.md): ``messages`` 0 to 10,000 (``MAX_ROUNDS``). A run
    starts one process, the receiver.
    """

    fixed_processes: ClassVar[tuple[str, ...]] = ("the receiver",)

    messages: int = sut.rounds(3, at_least=0)
    jitter: float = sut.param(0.05, sut.jitter_width)


# --- the program -----------------------------------------------------------

def receiver(probe: sut.Probe, send_end: Connection, receive_end: Connection,
             close_unused: bool) -> None:
    """Receive until EOF, having closed (or not) the send end this process never uses.

    ``recv`` blocks for good, as in tutorial code: the run's deadline ends a
    receiver whose EOF never comes, and reports it hung.
    """
    if close_unused:
        send_end.close()  # this process never sends: its copy would hold the pipe open
    probe.record(READY)
    while True:
        try:
            message = receive_end.recv()
        except EOFError:
            probe.record(EOF)
            break
        probe.point(RECEIVED, message=message)  # a slow consumer
    receive_end.close()


def sender(probe: sut.Probe, send_end: Connection, receive_end: Connection, messages: int) -> None:
    """Main's side: send the messages, then close the send end - EOF needs that too.

    ``send`` never blocks for long: the receiver reads all the while, whether
    or not its EOF will come, and a few small messages fit in the socket buffer.
    """
    receive_end.close()  # main never receives: its copy is the receiver's business
    for number in range(messages):
        try:
            send_end.send(number)
        except OSError as exc:  # the receiver is gone: an outcome, not a stuck test
            probe.record(SEND_FAILED, message=number, error=f"{type(exc).__name__}: {exc}")
            break
        probe.point(SENT, message=number)
    send_end.close()
    probe.record(CLOSED)


# --- variants and run ------------------------------------------------------

@dataclass(frozen=True)
class Wiring:
    receiver_closes_send_end: bool


VARIANTS = (
    sut.Variant("closed-ends", "each process closes the pipe ends it does not use, main its send "
                "end once done: the receiver reads until EOF", "holds", Wiring(True)),
    sut.Variant("leaked-end", "the receiver leaves its copy of the send end open, so EOF never "
                "comes", "violates", Wiring(False)),
)


def stream(run: sut.Run, params: Params, wiring: Wiring) -> None:
    """Main streams the messages through one pipe to the receiver."""
    main = run.probe("main")
    left, right = run.backend.Pipe(name="pipe")
    # Both ends go to the receiver, so it holds a send end under every start
    # method, not only under fork; once spawn returns, it has its copies and
    # main may close its own.
    run.spawn("receiver", receiver, left, right, wiring.receiver_closes_send_end)
    sender(main, left, right, params.messages)


# --- invariants ------------------------------------------------------------

def _progress(result: sut.Result, received: list[int]) -> str:
    """``after message 0 (1 of 1 message received; main had closed its send end)``."""
    messages: int = result.params["messages"]
    closed = "had closed" if result.events_of(CLOSED) else "had not closed"
    if not received:
        return (f"with nothing received (main had sent {sut.amount(messages, 'message')} "
                f"and {closed} its send end)")
    return (f"after message {received[-1]} ({len(received)} of "
            f"{sut.amount(messages, 'message')} received; main {closed} its send end)")


def _received(result: sut.Result) -> list[int]:
    return [event.data["message"] for event in result.events_of(RECEIVED)]


@sut.invariant(sut.CLEAN_EXIT, sut.NO_HANG)
def exits_cleanly(result: sut.Result) -> list[sut.Violation]:
    """Every process exits cleanly; a receiver that waits forever says for what."""
    received = _received(result)
    return sut.clean_exit(
        result, waiting_for=lambda outcome: f", waiting for EOF {_progress(result, received)}")


@sut.invariant("in-order")
def in_order(result: sut.Result) -> list[sut.Violation]:
    """Every message sent arrives, once, in the order sent."""
    messages: int = result.params["messages"]
    received = _received(result)
    if is_count_up(received, messages):
        return []
    failed = [event.describe() for event in result.events_of(SEND_FAILED)]
    # What main was to send, told as a span if long: never a list as long as ``messages``.
    sent = sut.listing(told(range(messages))) or "none"
    return [sut.Violation(
        "in-order", f"main sent {sent}, the receiver got "
                    f"{sut.numbers(received)}" + "".join(f"; {what}" for what in failed))]


@sut.invariant("sees-eof")
def sees_eof(result: sut.Result) -> list[sut.Violation]:
    """The receiver sees the stream end: EOF, once every copy of the send end is closed."""
    if result.events_of(EOF):
        return []
    return [sut.Violation(
        "sees-eof", f"the receiver never saw EOF {_progress(result, _received(result))}")]


# The pipe invariants, from the sent/received/eof events alone.
SCENARIO = sut.declare(
    "pipe", "main streams messages through a Pipe to a receiver that reads until EOF",
    params=Params, program=stream, variants=VARIANTS,
    invariants=[exits_cleanly, in_order, sees_eof],
    small={"messages": (0, 3)},
    space={"messages": (0, 4), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "A receiver sees end of file only once every copy of the send end is closed, its "
        "own included: the tutorial's receiver keeps the copy it was handed "
        "(``leaked-end``) and waits forever. Closing every end a process does not use "
        "(``closed-ends``) fixes it."
    ),
)
