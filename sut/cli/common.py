"""What every command shares: exit codes, one-line errors, the options more than one
command takes (declared here once), and printing and writing that survive a reader
who went away or a folder that is not there."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, TypeVar

from sut.engine import DEFAULT_TIMEOUT, START_METHODS, default_start_method
from sut.engine.strict import MAX_TIMEOUT, timeout_seconds, whole_number

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

EXIT_HELD, EXIT_VIOLATED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

T = TypeVar("T")


def exit_code(violated: bool, *, interrupted: bool = False) -> int:
    """The exit code of a command that checked invariants: 1 if one was violated, 130 if
    it was interrupted before it was done, else 0."""
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_VIOLATED if violated else EXIT_HELD


class UsageError(Exception):
    """Bad usage or input: reported as one line, exit code 2."""


# argparse says "argument --runs: must be ..." of a value a ``type=`` refused; the
# line then reads "--runs must be ...", as the checks after parsing say it.
_REFUSED_VALUE = re.compile(r"argument (-[^:]+): (-[^ ]+ )?(must )")


class Parser(argparse.ArgumentParser):
    """A parser whose errors are :class:`UsageError`, not an exit with the usage, and
    whose help survives a stdout that cannot be written."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(_REFUSED_VALUE.sub(r"\1 \3", message, count=1))

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        """The help; to stdout as :func:`emit` writes (``--help > /dev/full``: one line)."""
        if file is not None:
            super().print_help(file)
        else:
            emit(self.format_help().rstrip("\n"))


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


# The bounds of the whole numbers the commands take: a jitter seed (each stress run
# takes the next, and a report prints it back as ``--seed``), and run counts.
MAX_SEED = 2**32 - 1


def _argument_type(read: Callable[[str], T]) -> Callable[[str], T]:
    """``read`` as an argparse ``type=``: its ``ValueError`` becomes the usage error."""
    def parse(text: str) -> T:
        try:
            return read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def whole(name: str, *, low: int = 0, high: int) -> Callable[[str], int]:
    """A ``type=`` for option ``name``: a whole number from ``low`` to ``high``, in digits
    0-9 only (no sign, underscore or other script's digits)."""
    return _argument_type(functools.partial(whole_number, name, low=low, high=high))


def seed_option(command: argparse.ArgumentParser, meaning: str) -> None:
    """``--seed``: a jitter seed from 0 to :data:`MAX_SEED`."""
    command.add_argument("--seed", type=whole("--seed", high=MAX_SEED), default=0,
                         help=f"{meaning}, from 0 to {MAX_SEED} (default: %(default)s)")


def configuration_options(
        command: argparse.ArgumentParser,
        params: str = "scenario parameters; unspecified ones get their defaults") -> None:
    """The options of a command that runs one configuration: run, explore, stress."""
    command.add_argument("scenario", help="a scenario: its name (see `list`), module:NAME or "
                                          "path/to/file.py:NAME")
    command.add_argument("--variant", required=True, help="a variant of the scenario")
    command.add_argument("params", nargs="*", metavar="KEY=VALUE", help=params)
    start_method_option(command)
    command.add_argument("--timeout", type=_argument_type(timeout_seconds), default=DEFAULT_TIMEOUT,
                         help=f"seconds before a run's live workers count as hung, more than 0 "
                              f"and at most {MAX_TIMEOUT:g} (default: %(default)s)")


# --- printing and writing -----------------------------------------------------

def emit(text: str) -> None:
    """Print ``text``; if the reader went away (``| head``), stop printing quietly.

    Raises:
        UsageError: stdout cannot be written (``> /dev/full``).
    """
    if sys.stdout is None:  # started with stdout closed: there is no one to tell
        return
    try:
        print(text, flush=True)
    except BrokenPipeError:
        silence_stdout()
    except OSError as exc:
        silence_stdout()
        raise UsageError(f"cannot write the output: {exc.strerror or exc}") from None


def silence_stdout() -> None:
    """Point stdout at /dev/null and drop what it still holds, so that the flush at exit
    does not fail again (and print a traceback)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    # What the failed write left buffered now goes to /dev/null.
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()


def note(text: str) -> None:
    """A line of progress on stderr, beside the report on stdout (dropped if stderr
    cannot be written: progress is no reason to stop)."""
    with contextlib.suppress(OSError):
        print(text, file=sys.stderr, flush=True)


# --- writing files --------------------------------------------------------------

def _cannot_write(path: str, why: str) -> UsageError:
    return UsageError(f"cannot write {path!r}: {why}")


def check_writable(path: str) -> None:
    """Refuse ``path`` before the work that is to be written there, not after.

    A file is really made (and removed) in its folder: permissions alone do not tell
    (root may write anywhere ``os.access`` looks, yet not in ``/proc``). ``path`` itself
    may be missing or a regular file, which the write replaces - never a folder, a
    device or a pipe.
    """
    if not path or os.path.basename(path) in ("", ".", ".."):
        raise _cannot_write(path, "it names no file")
    if "\0" in path:
        raise _cannot_write(path, "it holds a NUL character")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _cannot_write(path, f"no folder {folder!r}")
    if os.path.isdir(path):
        raise _cannot_write(path, "it is a folder")
    if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
        raise _cannot_write(path, "it is not a regular file")
    why_not = _cannot_make_a_file_in(folder)
    if why_not is not None:
        raise _cannot_write(path, f"the folder is not writable ({why_not})")


def check_writable_folder(folder: str) -> None:
    """Refuse ``folder`` unless it is a folder a file can really be made in."""
    if "\0" in folder or not os.path.isdir(folder):
        raise UsageError(f"cannot write in {folder!r}: "
                         + ("not a folder" if os.path.lexists(folder) else "no such folder"))
    why_not = _cannot_make_a_file_in(folder)
    if why_not is not None:
        raise UsageError(f"cannot write in {folder!r}: {why_not}")


def _cannot_make_a_file_in(folder: str) -> str | None:
    """Why no file can be made in ``folder`` (one is made and removed to know), or None."""
    try:
        probe, probe_path = tempfile.mkstemp(prefix=".sut-check-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(probe)
    os.remove(probe_path)
    return None


def write_whole(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file, then a rename."""
    write_all({path: text})


def write_all(files: Mapping[str, str]) -> None:
    """Write each ``path: text`` whole, and all of them or none: every text goes to a
    temporary file beside its path first, and only when all are written are they
    renamed into place.

    Raises:
        UsageError: naming the path that could not be written; no temporary file is
            left behind.
    """
    written: list[tuple[str, str]] = []  # (temporary file, path)
    path = ""
    try:
        for path, text in files.items():
            check_writable(path)
            written.append((_temporary_copy(path, text), path))
        while written:
            temporary, path = written[0]
            os.replace(temporary, path)
            written.pop(0)
    except (OSError, UnicodeError) as exc:
        raise _cannot_write(path, getattr(exc, "strerror", None) or str(exc)) from None
    finally:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                os.remove(temporary)


def _temporary_copy(path: str, text: str) -> str:
    """``text`` written to a temporary file beside ``path``; its name."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    return temporary
