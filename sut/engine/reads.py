"""Which of the run's files a worker reads: what it read is part of its state.

In schedule mode an exploration takes two runs to be in the same state only
if every process could go on alike. A process that read a file holds what
it read; the file may have changed since. So each worker tells the
coordinator which of the run's files it opens for reading
(:func:`watch_opens` wraps ``open``), and the coordinator asks the kernel
which it still holds open (:func:`held_open`); their contents, as the
worker could see them, go into its history (:mod:`sut.engine.coordinator`).

Files opened by ``os.open`` or by C code (``sqlite3``) are not seen: a
scenario that shares data that way declares it (``Schedules(unseen=...)``)
and its exploration does not prune.
"""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def watch_opens(folder: Path, tell: Callable[[str], None]) -> None:
    """From now on in this process, ``tell(name)`` each time a file of ``folder`` is opened."""
    real_open = io.open
    inside = os.path.realpath(folder)  # as the kernel names the files opened in it

    def watched_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, bytes, os.PathLike)) and ("r" in mode or "+" in mode):
            where, name = os.path.split(_opened_path(opened, file))
            if where == inside:
                tell(name)
        return opened

    builtins.open = io.open = watched_open


def _opened_path(opened: Any, file: Any) -> str:
    """Where ``opened`` is, resolved: as the kernel names it (one system call, where
    resolving the name asks about each folder on the way), else ``file`` resolved."""
    try:
        return os.readlink(f"/proc/self/fd/{opened.fileno()}")
    except (OSError, AttributeError, ValueError):  # not Linux, or no file descriptor
        return os.path.realpath(os.fsdecode(file))


def held_open(pid: int, folder: Path) -> list[str] | None:
    """The files of ``folder`` that process ``pid`` holds open for reading, by name;
    None where the kernel does not say (not Linux, or the process is gone).

    Called at every step of a scheduled run: plain strings, no pathlib.
    """
    fds = f"/proc/{pid}/fd"
    try:
        entries = os.listdir(fds)
    except OSError:
        return None
    inside = f"{folder}{os.sep}"
    names = []
    for fd in entries:
        try:
            target = os.readlink(f"{fds}/{fd}")
            if not target.startswith(inside) or os.sep in target[len(inside):]:
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as info:
                flags = info.read().split("flags:")[1].split()[0]
        except (OSError, IndexError):
            continue  # closed meanwhile, or not a path
        if int(flags, 8) & os.O_ACCMODE != os.O_WRONLY:
            names.append(target[len(inside):])
    return sorted(set(names))
