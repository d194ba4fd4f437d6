"""Guards a variant can wire in where a ``multiprocessing`` primitive would go."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any


class NoGuard:
    """A lock that does not lock: what an unguarded variant wires in."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


# How often a file lock taken with a timeout looks whether it is free.
_FLOCK_LOOK = 0.002


class FileLock:
    """An exclusive ``flock`` on a lock file.

    Unlike a ``multiprocessing.Lock``, the kernel releases it when the process
    holding it dies, so one worker killed inside cannot block all the others.
    Picklable: the descriptor is opened by whoever enters.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_fd": None}

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take the lock; without ``block``, only if it is free; with ``timeout``, if it
        is free within that many seconds (looked at every few milliseconds)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if block and deadline is None
                                                     else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if not block or deadline is None or time.monotonic() >= deadline:
                        os.close(fd)
                        return False
                    time.sleep(_FLOCK_LOOK)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        assert self._fd is not None
        os.close(self._fd)  # closing the only descriptor releases the flock
        self._fd = None

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
