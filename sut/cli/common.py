"""What every command shares: exit codes, one-line errors, the options more than one
command takes (declared here once), and printing and writing that survive a reader
who went away or a folder that is not there."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from sut.engine import DEFAULT_TIMEOUT, START_METHODS, default_start_method

EXIT_HELD, EXIT_VIOLATED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def exit_code(violated: bool, *, interrupted: bool = False) -> int:
    """The exit code of a command that checked invariants: 1 if one was violated, 130 if
    it was interrupted before it was done, else 0."""
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_VIOLATED if violated else EXIT_HELD


class UsageError(Exception):
    """Bad usage or input: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """A parser whose errors are :class:`UsageError`, not an exit with the usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _no_options(command: argparse.ArgumentParser) -> None:
    """A command that takes no options of its own (its subcommands do)."""


@dataclass(frozen=True)
class Command:
    """A command: its name and help, the options it declares, and what it does - or
    the subcommands that do."""

    name: str
    help: str
    options: Callable[[argparse.ArgumentParser], None] = _no_options
    perform: Callable[[argparse.Namespace], int] | None = None
    # KEY=VALUE pairs, which may stand before, between or after the options.
    takes_params: bool = False
    subcommands: tuple[Command, ...] = ()

    def declare(self, commands: argparse._SubParsersAction[Parser]) -> None:
        """Add this command (and its subcommands) to ``commands``."""
        command = commands.add_parser(self.name, help=self.help)
        self.options(command)
        command.set_defaults(takes_params=self.takes_params)
        if self.perform is not None:
            command.set_defaults(perform=self.perform)
        if self.subcommands:
            inner = command.add_subparsers(dest=f"{self.name}_command", required=True,
                                           parser_class=Parser)
            for subcommand in self.subcommands:
                subcommand.declare(inner)


# --- options more than one command takes --------------------------------------

def start_method_option(command: argparse.ArgumentParser,
                        who: str = "worker processes") -> None:
    """``--start-method``: how ``who`` start."""
    command.add_argument("--start-method", choices=START_METHODS, default=default_start_method(),
                         help=f"how {who} start (default: %(default)s)")


def json_option(command: argparse.ArgumentParser) -> None:
    """``--json``: one JSON object instead of the report."""
    command.add_argument("--json", action="store_true", help="print one JSON object")


def configuration_options(
        command: argparse.ArgumentParser,
        params: str = "scenario parameters; unspecified ones get their defaults") -> None:
    """The options of a command that runs one configuration: run, explore, stress."""
    command.add_argument("scenario", help="a scenario name (see `list`)")
    command.add_argument("--variant", required=True, help="a variant of the scenario")
    command.add_argument("params", nargs="*", metavar="KEY=VALUE", help=params)
    start_method_option(command)
    command.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                         help="seconds before a run's live workers count as hung "
                              "(default: %(default)s)")


# --- printing and writing -----------------------------------------------------

def emit(text: str) -> None:
    """Print ``text``; if the reader went away (``| head``), stop printing quietly."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def note(text: str) -> None:
    """A line of progress on stderr, beside the report on stdout."""
    print(text, file=sys.stderr, flush=True)


def check_writable(path: str) -> None:
    """Refuse ``path`` before the work that is to be written there, not after."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path!r}: no folder {folder!r}")
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path!r}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {path!r}: the folder is not writable")


def write_whole(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file, then a rename."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise UsageError(f"cannot write {path!r}: {exc.strerror or exc}") from None
