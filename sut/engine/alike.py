"""Interchangeable processes: a state and its renamings, fingerprinted as one.

A scenario may declare workers interchangeable (``Run.interchangeable``):
they run the same function on equal arguments, and nothing in the run tells
them apart but their names. Then a state, and the state with their names
swapped, go on alike up to that swap, and the invariants judge both alike:
an exploration need visit only one of them (symmetry reduction).

A state is fingerprinted with the interchangeable workers renamed one
canonical way: within each set, the workers sorted by their own part of the
state (their history and what they are about to do) take the set's names in
order; where several are alike, every order of them is tried (up to
``MOST_RENAMINGS`` ways in all) and the least text is the one taken. Each of
those texts is the state itself under a renaming, so a state is only ever
taken for its own renaming, whatever ways were tried.

That holds only where every place a name can be is renamed: the model, the
pending operations and the order of the processes. A history and the shared
files are kept as digests or bytes, and a name in them cannot be renamed:
once a name shows there (:func:`mentions`), the run's states are fingerprinted
as they are, under a mark of their own, and compared as any other run's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence

# The most ways of naming the workers one fingerprint tries: beyond, the
# fingerprint is still the state's own, only not always the least one.
MOST_RENAMINGS = 24

Rename = Mapping[str, str]


class Mentioned(Exception):
    """A name of an interchangeable worker is where it cannot be renamed."""


def mentions(data: str | bytes, names: Iterable[str]) -> bool:
    """Whether ``data`` holds any of ``names`` anywhere in it."""
    if isinstance(data, bytes):
        return any(name.encode() in data for name in names)
    return any(name in data for name in names)


def renamed(value: str, rename: Rename) -> str:
    """``value`` as ``rename`` names it; Mentioned if it holds a name it does not
    equal (a name inside a longer text is not renamed)."""
    if value in rename:
        return rename[value]
    if rename and mentions(value, rename):
        raise Mentioned(value)
    return value


def renamings(sets: Sequence[Sequence[str]], keys: Mapping[str, str]) -> list[dict[str, str]]:
    """The ways to rename the workers of each of ``sets`` canonically, by ``keys``
    (each worker's own part of the state, as text); see the module docstring."""
    per_set = [list(_orders(members, keys)) for members in sets]
    ways = itertools.islice(itertools.product(*per_set), MOST_RENAMINGS)
    return [{old: new for way in product for old, new in way} for product in ways]


def _orders(members: Sequence[str], keys: Mapping[str, str]) -> Iterator[list[tuple[str, str]]]:
    """Each way to give ``members``' names, in order, to the members sorted by key."""
    names = sorted(members)
    ordered = sorted(members, key=keys.__getitem__)
    groups = [list(group) for _, group in itertools.groupby(ordered, key=keys.__getitem__)]
    for arrangement in itertools.islice(
            itertools.product(*(itertools.permutations(group) for group in groups)),
            MOST_RENAMINGS):
        workers = [worker for group in arrangement for worker in group]
        yield list(zip(workers, names, strict=True))
