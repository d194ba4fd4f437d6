"""``python -m sut chat serve`` and ``python -m sut chat client``: the tutorial's chat, a
server with a process per connection, and its client.

They exit 0 when stopped or done, 1 when the connection failed, 2 for bad
usage, an address they cannot use, a log that is not a regular file, or (the
client) an input line longer than ``--max-line``. Numbers are ASCII digits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sut.chat import client as chat_client
from sut.chat import eventlog
from sut.chat import server as chat_server
from sut.chat.handlers import HANDLERS
from sut.chat.protocol import (
    DEFAULT_SUFFIX,
    IDLE_TIMEOUT,
    LINE_TIMEOUT,
    MAX_LINE,
    MAX_LINE_LIMIT,
    MAX_SUFFIX,
    MAX_TIMEOUT,
    check_suffix,
)
from sut.cli.common import (
    EXIT_HELD,
    EXIT_VIOLATED,
    Command,
    UsageError,
    emit,
    silence_stdout,
    start_method_option,
    whole,
)
from sut.engine.strict import decimal_number

MAX_PORT = 65535


def _address_options(command: argparse.ArgumentParser, host: str, port: str) -> None:
    """``--host`` and ``--port``, with what each means to this command."""
    command.add_argument("--host", default=chat_server.LOOPBACK,
                         help=f"{host} (default: %(default)s)")
    command.add_argument("--port", type=whole("--port", high=MAX_PORT),
                         default=chat_server.DEFAULT_PORT, help=f"{port} (default: %(default)s)")


def _max_line_option(command: argparse.ArgumentParser, meaning: str) -> None:
    command.add_argument("--max-line", type=whole("--max-line", low=1, high=MAX_LINE_LIMIT),
                         default=MAX_LINE,
                         help=f"{meaning}, at most {MAX_LINE_LIMIT} (default: %(default)s)")


def _seconds(name: str) -> Callable[[str], float]:
    """A ``type=`` for a timeout of the server: seconds, above 0, at most a day."""
    def parse(text: str) -> float:
        try:
            return decimal_number(name, text, high=MAX_TIMEOUT, unit=" seconds")
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _serve_options(command: argparse.ArgumentParser) -> None:
    _address_options(command, host="address to listen on",
                     port="port to listen on; 0 picks a free one")
    command.add_argument("--variant", choices=list(HANDLERS), default="framed",
                         help="framed: the line protocol; tutorial: the tutorial's handler "
                              "(default: %(default)s)")
    command.add_argument("--max-clients", default=chat_server.DEFAULT_MAX_CLIENTS,
                         type=whole("--max-clients", low=1, high=chat_server.MAX_CLIENTS),
                         help="handlers at once, at most "
                              f"{chat_server.MAX_CLIENTS}; the other clients wait "
                              "(default: %(default)s)")
    command.add_argument("--suffix", default=DEFAULT_SUFFIX,
                         help=f"appended to every line, at most {MAX_SUFFIX} bytes "
                              "(default: %(default)s)")
    _max_line_option(command, "longest line in bytes; a longer one gets ERR and ends the "
                              "connection")
    command.add_argument("--idle-timeout", type=_seconds("--idle-timeout"),
                         default=IDLE_TIMEOUT, metavar="SECONDS",
                         help="a client that sends nothing this long between lines gets ERR "
                              "and is hung up on (default: %(default)s)")
    command.add_argument("--line-timeout", type=_seconds("--line-timeout"),
                         default=LINE_TIMEOUT, metavar="SECONDS",
                         help="a client that takes longer to finish a line it started, or to "
                              "read its replies, is hung up on (default: %(default)s)")
    start_method_option(command, who="handler processes")
    command.add_argument("--log", metavar="PATH",
                         help="append what the server and its handlers do to PATH (a regular "
                              "file), as JSON lines")


def _checked_config(args: argparse.Namespace) -> chat_server.ServerConfig:
    """The server's configuration, every option checked before it binds."""
    try:
        args.suffix.encode("utf-8")  # bytes that were not UTF-8 come as lone surrogates
    except UnicodeEncodeError:
        raise UsageError(f"--suffix must be UTF-8 text, got {args.suffix!r}") from None
    if "\n" in args.suffix:
        raise UsageError(f"--suffix must not hold a line break, got {args.suffix!r}")
    try:
        check_suffix(args.suffix)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None
    if args.log is not None:
        eventlog.check_path(args.log)  # a FIFO would block, a device swallow the entries
    return chat_server.ServerConfig(
        handler=HANDLERS[args.variant], suffix=args.suffix, max_clients=args.max_clients,
        max_line=args.max_line, start_method=args.start_method, log=args.log,
        idle_timeout=args.idle_timeout, line_timeout=args.line_timeout)


def _serve(args: argparse.Namespace) -> int:
    config = _checked_config(args)
    try:
        listener = chat_server.bind(args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: "
                         f"{exc.strerror or exc}") from None
    emit(f"listening on {chat_server.address_of(listener)}")
    chat_server.serve(listener, config)
    return EXIT_HELD


def _client_options(command: argparse.ArgumentParser) -> None:
    _address_options(command, host="the server's address", port="the server's port")
    _max_line_option(command, "the server's --max-line: a longer input line is refused "
                              "before it is sent, and a reply may be this long plus "
                              f"{MAX_SUFFIX} bytes")


def _client(args: argparse.Namespace) -> int:
    port = args.port
    try:
        chat_client.chat(args.host, port, sys.stdin.buffer, sys.stdout.buffer,
                         interactive=sys.stdin.isatty(), max_line=args.max_line)
    except BrokenPipeError:
        silence_stdout()  # the reader of the replies went away (| head)
    except chat_client.ServerGone as exc:
        print(f"sut: error: {exc}", file=sys.stderr)
        return EXIT_VIOLATED
    except OSError as exc:
        print(f"sut: error: cannot talk to {args.host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_VIOLATED
    return EXIT_HELD


CHAT = Command("chat", "the tutorial's chat: a server with a process per connection, and its "
                       "client", subcommands=(
    Command("serve", "serve until SIGTERM, SIGHUP or Ctrl-C", _serve_options, _serve),
    Command("client", "send each line of input, print each reply", _client_options, _client)))
