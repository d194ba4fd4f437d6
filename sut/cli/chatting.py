"""``python -m sut chat serve`` and ``python -m sut chat client``: the tutorial's chat, a
server with a process per connection, and its client.

They exit 0 when stopped or done, 1 when the connection failed, 2 for bad
usage or an address they cannot use."""

from __future__ import annotations

import argparse
import sys

from sut.chat import client as chat_client
from sut.chat import server as chat_server
from sut.chat.handlers import HANDLERS
from sut.chat.protocol import DEFAULT_SUFFIX, MAX_LINE
from sut.cli.common import (
    EXIT_HELD,
    EXIT_VIOLATED,
    Command,
    UsageError,
    emit,
    silence_stdout,
    start_method_option,
)


def _address_options(command: argparse.ArgumentParser, host: str, port: str) -> None:
    """``--host`` and ``--port``, with what each means to this command."""
    command.add_argument("--host", default=chat_server.LOOPBACK,
                         help=f"{host} (default: %(default)s)")
    command.add_argument("--port", type=int, default=chat_server.DEFAULT_PORT,
                         help=f"{port} (default: %(default)s)")


def _port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, got {port}")
    return port


def _serve_options(command: argparse.ArgumentParser) -> None:
    _address_options(command, host="address to listen on",
                     port="port to listen on; 0 picks a free one")
    command.add_argument("--variant", choices=list(HANDLERS), default="framed",
                         help="framed: the line protocol; tutorial: the tutorial's handler "
                              "(default: %(default)s)")
    command.add_argument("--max-clients", type=int, default=chat_server.DEFAULT_MAX_CLIENTS,
                         help="handlers at once; the other clients wait (default: %(default)s)")
    command.add_argument("--suffix", default=DEFAULT_SUFFIX,
                         help="appended to every line (default: %(default)s)")
    command.add_argument("--max-line", type=int, default=MAX_LINE,
                         help="longest line in bytes; a longer one ends the connection "
                              "(default: %(default)s)")
    start_method_option(command, who="handler processes")
    command.add_argument("--log", metavar="PATH",
                         help="append what the server and its handlers do to PATH, as JSON "
                              "lines")


def _checked_config(args: argparse.Namespace) -> chat_server.ServerConfig:
    """The server's configuration, every option checked before it binds."""
    if args.max_clients < 1:
        raise UsageError(f"--max-clients must be >= 1, got {args.max_clients}")
    if args.max_line < 1:
        raise UsageError(f"--max-line must be >= 1 byte, got {args.max_line}")
    try:
        args.suffix.encode("utf-8")  # bytes that were not UTF-8 come as lone surrogates
    except UnicodeEncodeError:
        raise UsageError(f"--suffix must be UTF-8 text, got {args.suffix!r}") from None
    if "\n" in args.suffix:
        raise UsageError(f"--suffix must not hold a line break, got {args.suffix!r}")
    if args.log is not None:
        try:
            with open(args.log, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"cannot write the log {args.log!r}: {exc.strerror or exc}") from None
    return chat_server.ServerConfig(
        handler=HANDLERS[args.variant], suffix=args.suffix, max_clients=args.max_clients,
        max_line=args.max_line, start_method=args.start_method, log=args.log)


def _serve(args: argparse.Namespace) -> int:
    config = _checked_config(args)
    try:
        listener = chat_server.bind(args.host, _port(args.port))
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: "
                         f"{exc.strerror or exc}") from None
    emit(f"listening on {chat_server.address_of(listener)}")
    chat_server.serve(listener, config)
    return EXIT_HELD


def _client_options(command: argparse.ArgumentParser) -> None:
    _address_options(command, host="the server's address", port="the server's port")


def _client(args: argparse.Namespace) -> int:
    port = _port(args.port)
    try:
        chat_client.chat(args.host, port, sys.stdin.buffer, sys.stdout.buffer,
                         interactive=sys.stdin.isatty())
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
    Command("serve", "serve until SIGTERM or Ctrl-C", _serve_options, _serve),
    Command("client", "send each line of input, print each reply", _client_options, _client)))
