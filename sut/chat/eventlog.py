"""The server's event log: JSON lines that the server and its handlers append to one file.

Every entry is one ``write`` to a file opened with ``O_APPEND``, so processes
writing at once never interleave inside a line, and a process killed midway
leaves at most its last line cut short (the reader skips it). Entries carry a
system-wide monotonic time, so they sort together with the clients' events.

The log is how a test sees what happened inside the server - which handler
started and ended, how, and how many bytes it had read - without trusting the
server's word about its own correctness: the checker draws the conclusions.

The log serves the server, never the other way round: a write that fails (a
full disk) loses that entry, is reported once on stderr, and serving goes on.
The log must be a regular file: a FIFO or a device could block the server or
swallow its entries (:func:`check_path`); it is opened without blocking.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

# Never blocks (a FIFO with no reader), never follows a device's rules of its own.
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK


def check_path(path: str | Path) -> None:
    """Make sure the log can be written at ``path``: a regular file (created if missing).

    Raises:
        ValueError: ``path`` is not a regular file, or cannot be opened for appending.
    """
    try:  # a FIFO would not open without a reader: refuse it by name first
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ValueError(f"the log {str(path)!r} must be a regular file")
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ValueError(f"cannot write the log {str(path)!r}: {exc.strerror or exc}") from None
    try:
        fd = os.open(path, _OPEN_FLAGS | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ValueError(f"cannot write the log {str(path)!r}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"the log {str(path)!r} must be a regular file")
    finally:
        os.close(fd)


class EventLog:
    """Append-only writer; picklable, each process opens the file for itself.

    ``report``: whether to say on stderr, once, that writing failed (the
    server does; its handlers stay quiet, or every handler would say it again).
    """

    def __init__(self, path: str | Path, *, report: bool = True) -> None:
        self.path = str(path)
        self.report = report
        self._fd: int | None = None
        self._failed = False

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "report": self.report, "_fd": None, "_failed": False}

    def write(self, who: str, event: str, **data: Any) -> None:
        """Append ``{"t_ns", "who", "event", **data}`` as one line; a failure loses
        the entry, never the caller's work."""
        entry = {"t_ns": time.monotonic_ns(), "who": who, "event": event, **data}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, _OPEN_FLAGS | os.O_CLOEXEC, 0o600)
            os.write(self._fd, line)
        except OSError as exc:
            self._failed_to_write(exc)

    def _failed_to_write(self, exc: OSError) -> None:
        if self._failed or not self.report:
            return
        self._failed = True
        message = f"sut: warning: cannot write the log {self.path!r}: {exc.strerror or exc}; " \
                  "entries are lost, serving goes on\n"
        try:
            sys.stderr.write(message)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # no stderr either: nothing left to tell

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
