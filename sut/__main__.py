"""``python -m sut``: see ``sut.cli``."""

from __future__ import annotations

import sys
from typing import NoReturn


def _exit(code: int) -> NoReturn:
    """End with ``code``, even after a Ctrl-C that was caught.

    CPython marks a KeyboardInterrupt that left a string ``exec`` or ``eval`` as
    unhandled, even when a caller caught it later (``dataclasses`` builds its
    methods so: a Ctrl-C while a module loads often passes through one), and under
    ``python -m`` it then ends the process by SIGINT instead of with our code.
    Every string ``exec`` clears that mark as it starts: a Ctrl-C that got here
    was caught, so the mark is clearly wrong.
    """
    exec("pass", {})
    raise SystemExit(code)


try:
    from sut.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still loading: nothing to undo
    print("sut: interrupted", file=sys.stderr)
    _exit(130)

_exit(main())
