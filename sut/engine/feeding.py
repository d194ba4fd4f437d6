"""A scheduled queue's items reach its pipe in the order the schedule put them.

``multiprocessing.Queue.put`` hands the item to a feeder thread of the putting
process, which writes it to the queue's pipe later. Two processes that put one
after the other each have their own feeder, so the second's item may reach the
pipe first: a get then returns an item the model did not say, and a run is no
longer a function of its schedule (under load, 1 exploration in 10 of two
workers each putting and getting took another path).

Here a put returns only once its process's feeder has begun to send the item.
The feeder sends holding the queue's write lock (shared by every process), so
from then on no later put can overtake it. It is told by wrapping the bound
``send_bytes`` the feeder is started with (``Queue._send_bytes``, set in every
process the queue reaches, fork or pickle, before its feeder starts).
"""

from __future__ import annotations

import os
import threading
from typing import Any


class _Begun:
    """How many items a feeder has begun to send: all the feeder's wrapper holds, so the
    queue, which holds the wrapper, is in no cycle (its semaphores then go as soon as
    it does, not whenever the garbage collector comes)."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.count = 0


class Feeding:
    """How many items this process's feeder of one queue has begun to send."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._pid = os.getpid()
        self._put = 0
        self._begun = begun = _Begun()
        send = real._send_bytes

        def counted(data: Any, *args: Any) -> Any:
            with begun.changed:
                begun.count += 1
                begun.changed.notify_all()
            return send(data, *args)
        real._send_bytes = counted

    def here(self) -> bool:
        """Whether this process is the one that counts (a forked child has its own)."""
        return self._pid == os.getpid()

    def put(self, obj: Any, patience: float) -> bool:
        """The real queue's ``put(obj)``, returned from once the feeder has begun to send
        ``obj`` (False: it had not within ``patience`` seconds)."""
        begun = self._begun
        with begun.changed:
            self._put += 1
            wanted = self._put
        self._real.put(obj)
        with begun.changed:
            return begun.changed.wait_for(lambda: begun.count >= wanted, patience)
