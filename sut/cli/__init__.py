"""``python -m sut``: list the scenarios, run one and read why it held or broke; explore
every interleaving, see every race (``demo``), write the catalogue of races (``races``).

Exit codes: 0 the invariants held, 1 one was violated, 2 bad usage or input
(one line on stderr naming the problem, never a traceback). ``chat serve``
and ``chat client`` exit 0 when stopped or done, 1 when the connection
failed, 2 for bad usage or an address they cannot use.

One module per command (or pair of commands); the options more than one
command takes are declared once, in :mod:`sut.cli.common`.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from sut.cli.chatting import CHAT
from sut.cli.common import EXIT_HELD as EXIT_HELD
from sut.cli.common import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from sut.cli.common import EXIT_USAGE as EXIT_USAGE
from sut.cli.common import EXIT_VIOLATED as EXIT_VIOLATED
from sut.cli.common import Parser, UsageError
from sut.cli.exploring import EXPLORE
from sut.cli.listing import LIST
from sut.cli.running import RUN
from sut.cli.showing import DEMO, RACES
from sut.cli.stressing import STRESS
from sut.engine import lifetime
from sut.engine.result import HarnessFailure

COMMANDS = (LIST, RUN, EXPLORE, STRESS, DEMO, RACES, CHAT)


def _build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m sut",
                    description="List the scenarios, run one and read why it held or broke.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.declare(commands)
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    # KEY=VALUE pairs may stand before, between or after the options;
    # argparse only takes one run of positionals, so the rest come back here.
    args, extra = _build_parser().parse_known_args(argv)
    unknown = [arg for arg in extra if not args.takes_params or arg.startswith("-")]
    if unknown:
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)}")
    if args.takes_params:
        args.params += extra
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sut``; returns the exit code.

    SIGTERM and SIGHUP stop a command as Ctrl-C does: every run it has going
    stops its workers and removes its files on the way out; the exit code is
    then 128 + the signal's number (130 for Ctrl-C).
    """
    try:
        lifetime.stopping_on_signals()
        args = _parse(argv)
        perform: Callable[[argparse.Namespace], int] = args.perform
        code = perform(args)
        lifetime.pay_owed_stop()  # one that came as the command ended is not lost
    except (UsageError, ValueError) as exc:
        print(f"sut: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessFailure as exc:
        print(f"sut: error: the harness failed, not the program: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if lifetime.stopped_by is None:
            print("sut: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
    if lifetime.stopped_by is not None:
        print(f"sut: stopped by {signal.Signals(lifetime.stopped_by).name}", file=sys.stderr)
        return 128 + lifetime.stopped_by
    return code
