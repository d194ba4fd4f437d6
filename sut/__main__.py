"""``python -m sut``: see ``sut.cli``."""

from __future__ import annotations

from sut.cli import main

raise SystemExit(main())
