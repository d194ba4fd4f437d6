"""The bare floor's child: a module that imports nothing, and a function that does nothing.

A process started with ``noop`` as its target costs what starting and joining
a process costs under its start method, and nothing more: under spawn and
forkserver the child imports this module, and it is empty.
"""


def noop() -> None:
    """Return at once."""

