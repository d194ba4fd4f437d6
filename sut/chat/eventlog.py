"""The server's event log: JSON lines that the server and its handlers append to one file.

Every entry is one ``write`` to a file opened with ``O_APPEND``, so processes
writing at once never interleave inside a line, and a process killed midway
leaves at most its last line cut short (the reader skips it). Entries carry a
system-wide monotonic time, so they sort together with the clients' events.

The log is how a test sees what happened inside the server - which handler
started and ended, how, and how many bytes it had read - without trusting the
server's word about its own correctness: the checker draws the conclusions.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


class EventLog:
    """Append-only writer; picklable, each process opens the file for itself."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_fd": None}

    def write(self, who: str, event: str, **data: Any) -> None:
        """Append ``{"t_ns", "who", "event", **data}`` as one line."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        entry = {"t_ns": time.monotonic_ns(), "who": who, "event": event, **data}
        os.write(self._fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def parse(raw: bytes) -> list[dict[str, Any]]:
    """The whole entries in ``raw``; a line cut short by a kill is skipped."""
    entries = []
    for line in raw.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def read(path: str | Path) -> list[dict[str, Any]]:
    """Every entry of the log at ``path`` (none if it does not exist yet)."""
    try:
        return parse(Path(path).read_bytes())
    except FileNotFoundError:
        return []


class LogTail:
    """Reads the entries added to a log since the last call, while it is being written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: Any = None
        self._rest = b""

    def poll(self) -> list[dict[str, Any]]:
        if self._file is None:
            try:
                self._file = self.path.open("rb")
            except FileNotFoundError:
                return []
        data = self._rest + self._file.read()
        whole, _, self._rest = data.rpartition(b"\n")
        return parse(whole)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
