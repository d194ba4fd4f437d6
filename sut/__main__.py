"""``python -m sut``: see ``sut.cli``."""

from __future__ import annotations

import sys

try:
    from sut.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still loading: nothing to undo
    print("sut: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
