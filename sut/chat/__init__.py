"""The tutorial's chat: a TCP server with a process per connection, and its client.

- :mod:`~sut.chat.protocol`: the line protocol - framing, replies, and the
  sequential model the tests judge against (pure, no sockets);
- :mod:`~sut.chat.handlers`: what a handler process does - ``framed``, and the
  tutorial's ``tutorial``;
- :mod:`~sut.chat.server`: bind, accept, a handler process per connection,
  at most ``max_clients`` at once, clean shutdown on SIGTERM/SIGHUP/SIGINT;
- :mod:`~sut.chat.client`: the interactive client of ``python -m sut chat client``;
- :mod:`~sut.chat.eventlog`, :mod:`~sut.scenarios.chat.harness`, :mod:`~sut.scenarios.chat.driver`:
  what the scenario and the tests use to run a server and script its clients.
"""

from __future__ import annotations
