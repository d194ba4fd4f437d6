"""The chat scenario's parameters: the clients' scripts, spelled as the command line
takes them back (JSON for the per-client lists)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import sut
from sut.chat.protocol import (
    DEFAULT_SUFFIX,
    MAX_LINE,
    MAX_LINE_LIMIT,
    check_suffix,
    display,
    encode_line,
    stream_of,
)
from sut.engine.strict import check_json
from sut.scenarios.chat.driver import Script


def _json(name: str, text: str) -> Any:
    """``text`` as JSON; too long or nested too deep (:mod:`sut.engine.strict`'s limits),
    or not JSON, is one ``ValueError``."""
    check_json(text, f"{name} (JSON on the command line)")
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"{name} must be JSON on the command line, got {text!r}") from None


def _json_text(value: Any) -> str:
    """``value`` as JSON a reader can read: non-ASCII text as it is, but what does
    not print (controls, lone surrogates standing for raw bytes) escaped."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(char if char.isprintable() else json.dumps(char)[1:-1] for char in text)


def _per_client(name: str, value: Any, clients: int, item: Any) -> tuple[Any, ...]:
    if isinstance(value, str):
        value = _json(name, value)
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must list one entry per client, got {value!r}")
    if len(value) > clients:
        raise ValueError(f"{name} has {len(value)} entries, but there are only "
                         f"{sut.amount(clients, 'client')}")
    return tuple(item(i, entry) for i, entry in enumerate(value))


@dataclass(frozen=True)
class Params:
    """Who says what, cut how, and who leaves where; the server's limits.

    Entries missing at the end of ``chunking``, ``disconnects`` and ``resets``
    mean the default (a send per line, send everything, half-close), and are
    dropped: equal sessions compare equal.
    """

    messages: tuple[tuple[str, ...], ...] = (("hello", "wörld"), ("你好", ""))
    chunking: tuple[tuple[int, ...], ...] = ()
    disconnects: tuple[int | None, ...] = ()
    resets: tuple[bool, ...] = ()
    max_clients: int = 4
    max_line: int = MAX_LINE
    suffix: str = DEFAULT_SUFFIX

    def __post_init__(self) -> None:
        messages = self.messages
        if isinstance(messages, str):
            messages = _json("messages", messages)
        if not isinstance(messages, list | tuple) or not messages:
            raise ValueError(f"messages must list, for one client or more, the lines it sends, "
                             f"got {messages!r}")
        if len(messages) > sut.MAX_PROCESSES:
            raise ValueError(f"messages lists {len(messages)} clients, but at most "
                             f"{sut.MAX_PROCESSES} are allowed (a process each)")
        self._set("messages", tuple(self._lines(i, lines) for i, lines in enumerate(messages)))
        clients = len(self.messages)
        self._set("chunking", self._trim(_per_client(
            "chunking", self.chunking, clients, self._sizes), ()))
        self._set("disconnects", self._trim(_per_client(
            "disconnects", self.disconnects, clients, self._stop), None))
        self._set("resets", self._trim(_per_client(
            "resets", self.resets, clients, self._reset), False))
        sut.positive_int("max_clients", self.max_clients)
        sut.positive_int("max_line", self.max_line)
        if self.max_line > MAX_LINE_LIMIT:
            raise ValueError(f"max_line must be at most {MAX_LINE_LIMIT}, got {self.max_line}")
        check_suffix(self.suffix)

    def processes(self) -> int:
        """The processes a session starts: the server, a client each, and a handler for
        each client the server takes at once."""
        clients = len(self.messages)
        return 1 + clients + min(clients, self.max_clients)

    def describe_processes(self) -> str:
        return f"{len(self.messages)} clients (max_clients={self.max_clients})"

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # normalizing a frozen dataclass

    @staticmethod
    def _trim(entries: tuple[Any, ...], default: Any) -> tuple[Any, ...]:
        end = len(entries)
        while end and entries[end - 1] == default:
            end -= 1
        return entries[:end]

    @staticmethod
    def _lines(client: int, lines: Any) -> tuple[str, ...]:
        if not isinstance(lines, list | tuple):
            raise ValueError(f"messages: client {client} must have a list of lines, "
                             f"got {lines!r}")
        for number, line in enumerate(lines):
            where = f"messages: client {client}'s line {number}"
            if not isinstance(line, str):
                raise ValueError(f"{where} must be text, got {line!r}")
            if "\n" in line:
                raise ValueError(f"{where} holds a line break: {line!r}")
            try:
                encode_line(line)
            except UnicodeEncodeError:
                raise ValueError(f"{where} holds a lone surrogate that stands for no byte: "
                                 f"{line!r}") from None
        return tuple(lines)

    def _sizes(self, client: int, sizes: Any) -> tuple[int, ...]:
        if not isinstance(sizes, list | tuple) or any(
                isinstance(size, bool) or not isinstance(size, int) or size < 1
                for size in sizes):
            raise ValueError(f"chunking: client {client} must have a list of send sizes in "
                             f"bytes (whole numbers >= 1), got {sizes!r}")
        return tuple(sizes)

    def _stop(self, client: int, stop: Any) -> int | None:
        if stop is None:
            return None
        length = len(stream_of(self.messages[client]))
        if isinstance(stop, bool) or not isinstance(stop, int) or not 0 <= stop <= length:
            raise ValueError(f"disconnects: client {client} sends {sut.amount(length, 'byte')}, "
                             f"so it can stop after 0 to {length} of them (or null), "
                             f"got {stop!r}")
        return stop

    def _reset(self, client: int, reset: Any) -> bool:
        if not isinstance(reset, bool):
            raise ValueError(f"resets: client {client} must be true or false, got {reset!r}")
        return reset

    @property
    def clients(self) -> int:
        return len(self.messages)

    def script(self, client: int) -> Script:
        """What ``client`` does, as the driver plays it."""
        def entry(values: Sequence[Any], default: Any) -> Any:
            return values[client] if client < len(values) else default
        return Script(stream_of(self.messages[client]), sizes=entry(self.chunking, ()),
                      stop_at=entry(self.disconnects, None), reset=entry(self.resets, False))

    def arguments(self) -> str:
        """The params as the command line takes them, defaults left out:
        ``messages='[["héllo"]]' max_clients=1``."""
        given = []
        for field in fields(self):
            value = getattr(self, field.name)
            if value == field.default:
                continue
            text = _json_text(value) if isinstance(value, tuple) else str(value)
            given.append(f"{field.name}={shlex.quote(text)}")
        return " ".join(given)

    def shown(self) -> dict[str, Any]:
        """The params as a run reports them: JSON-ready, raw bytes shown as ``\\xff``."""
        shown = {field.name: getattr(self, field.name) for field in fields(self)}
        shown["messages"] = [[display(encode_line(line)) for line in lines]
                             for lines in self.messages]
        return shown
