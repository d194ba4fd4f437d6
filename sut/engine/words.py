"""How evidence is phrased: counts with their noun, lists of numbers and of workers."""

from __future__ import annotations


def _worker_order(name: str) -> tuple[str, int]:
    role, _, number = name.rpartition(" ")
    return (role, int(number)) if number.isdigit() else (name, -1)


def listing(items: list[str]) -> str:
    """``a``; ``a and b``; ``a, b and c`` - in the order given."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def numbers(values: list[int]) -> str:
    """``none``; ``0``; ``0 and 1``; ``0, 2 and 1`` - in the order given."""
    return listing([str(value) for value in values]) or "none"


def names(workers: list[str]) -> str:
    """``buyer 0 and buyer 1``; ``a, b and c`` - in worker order, whatever the input's."""
    return listing(sorted(workers, key=_worker_order))


def amount(count: int, noun: str) -> str:
    """``1 ticket``, ``2 tickets``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
