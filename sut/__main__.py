"""``python -m sut``: see ``sut.cli``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
