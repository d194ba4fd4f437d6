"""What a process has open right now: its children and its file descriptors.

Taken before and after something that must clean up after itself (a test, a
server's shutdown), the difference is what it left behind. Linux only: read
from /proc.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def children() -> dict[int, str]:
    """This process's children, zombies included: pid -> ``command (state S)``."""
    me = os.getpid()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command may hold spaces and parentheses: split after the last ')'.
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == me:
            found[int(entry.name)] = f"{command} (state {fields[0]})"
    return found


def open_fds() -> dict[int, str]:
    """This process's file descriptors: fd -> what it points at."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return found
