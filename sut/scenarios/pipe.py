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

from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

from sut.engine import DEFAULT_TIMEOUT, Backend, Probe, Result, Run, Schedule, Violation, shaking
from sut.engine.invariants import amount, clean_exit, numbers
from sut.engine.params import jitter, non_negative_int
from sut.engine.scenario import Scenario, Variant


@dataclass(frozen=True)
class Params:
    """Parameters of one stream. ``messages=0`` is an empty stream: EOF must still end it."""

    messages: int = 3
    jitter: float = 0.05

    def __post_init__(self) -> None:
        non_negative_int("messages", self.messages)
        jitter(self.jitter)


# --- the program -----------------------------------------------------------

def receiver(probe: Probe, send_end: Connection, receive_end: Connection,
             close_unused: bool) -> None:
    """Receive until EOF, having closed (or not) the send end this process never uses.

    ``recv`` blocks for good, as in tutorial code: the run's deadline ends a
    receiver whose EOF never comes, and reports it hung.
    """
    if close_unused:
        send_end.close()  # this process never sends: its copy would hold the pipe open
    probe.record("ready")
    while True:
        try:
            message = receive_end.recv()
        except EOFError:
            probe.record("eof")
            break
        probe.point("received", message=message)  # a slow consumer
    receive_end.close()


def sender(probe: Probe, send_end: Connection, receive_end: Connection, messages: int) -> None:
    """Main's side: send the messages, then close the send end - EOF needs that too.

    ``send`` never blocks for long: the receiver reads all the while, whether
    or not its EOF will come, and a few small messages fit in the socket buffer.
    """
    receive_end.close()  # main never receives: its copy is the receiver's business
    for number in range(messages):
        try:
            send_end.send(number)
        except OSError as exc:  # the receiver is gone: an outcome, not a stuck test
            probe.record("send-failed", message=number, error=f"{type(exc).__name__}: {exc}")
            break
        probe.point("sent", message=number)
    send_end.close()
    probe.record("closed")


# --- variants and run ------------------------------------------------------

@dataclass(frozen=True)
class Wiring:
    receiver_closes_send_end: bool


VARIANTS = (
    Variant("closed-ends", "each process closes the pipe ends it does not use, main its send "
            "end once done: the receiver reads until EOF", "holds", Wiring(True)),
    Variant("leaked-end", "the receiver leaves its copy of the send end open, so EOF never "
            "comes", "violates", Wiring(False)),
)


def run(params: Params, variant: Variant, *, start_method: str, seed: int = 0,
        timeout: float = DEFAULT_TIMEOUT, schedule: Schedule | None = None) -> Result:
    """Stream the messages through one pipe and return what happened."""
    wiring: Wiring = variant.wiring
    backend = Backend(start_method)
    with Run(backend, "pipe", variant.name, asdict(params), mode=shaking(params.jitter, schedule),
             seed=seed, timeout=timeout) as stream:
        main = stream.probe("main")
        left, right = backend.Pipe(name="pipe")
        # Both ends go to the receiver, so it holds a send end under every start
        # method, not only under fork; once spawn returns, it has its copies and
        # main may close its own.
        stream.spawn("receiver", receiver, left, right, wiring.receiver_closes_send_end)
        sender(main, left, right, params.messages)
        return stream.result()


# --- invariants ------------------------------------------------------------

def _progress(result: Result, received: list[int]) -> str:
    """``after message 0 (1 of 1 message received; main had closed its send end)``."""
    messages: int = result.params["messages"]
    closed = "had closed" if result.events_of("closed") else "had not closed"
    if not received:
        return (f"with nothing received (main had sent {amount(messages, 'message')} "
                f"and {closed} its send end)")
    return (f"after message {received[-1]} ({len(received)} of "
            f"{amount(messages, 'message')} received; main {closed} its send end)")


def check(result: Result) -> list[Violation]:
    """The pipe invariants, from the sent/received/eof events alone."""
    messages: int = result.params["messages"]
    received = [event.data["message"] for event in result.events_of("received")]
    violations = clean_exit(
        result, waiting_for=lambda outcome: f", waiting for EOF {_progress(result, received)}")

    if received != list(range(messages)):
        failed = [event.describe() for event in result.events_of("send-failed")]
        violations.append(Violation(
            "in-order", f"main sent {numbers(list(range(messages)))}, the receiver got "
                        f"{numbers(received)}" + "".join(f"; {what}" for what in failed)))

    if not result.events_of("eof"):
        violations.append(Violation(
            "sees-eof", f"the receiver never saw EOF {_progress(result, received)}"))
    return violations



# What the tutorial's own programs get wrong, and why the fix works.
LESSON = (
    "A receiver sees end of file only once every copy of the send end is closed, its "
    "own included: the tutorial's receiver keeps the copy it was handed "
    "(``leaked-end``) and waits forever. Closing every end a process does not use "
    "(``closed-ends``) fixes it."
)


SCENARIO = Scenario(
    name="pipe",
    description="main streams messages through a Pipe to a receiver that reads until EOF",
    params=Params,
    variants=VARIANTS,
    run=run,
    check=check,
    lesson=LESSON,
    # Small configurations to search for minimal schedules in: ranges, or fixed values.
    small={"messages": (0, 3)},
)
