"""What a process has open, read cheaply: the leak guard's readings find what the full
readings find. (That the guard fails a test that leaks is tests/process/test_leak_guard.py.)"""

from __future__ import annotations

import os

import pytest

from sut import leftovers


def test_the_children_read_from_each_thread_are_the_children_found_among_all_processes(
        ) -> None:
    # The test process's children here: the forkserver and the resource tracker the
    # guard starts before any test, if it is on.
    found = leftovers.children()
    assert leftovers.children(among=leftovers.child_pids()) == found
    if leftovers._kernel_lists_children():  # then they are read from the lists alone
        assert leftovers.child_pids() == set(found)


def test_without_a_list_of_children_every_process_is_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leftovers, "_kernel_lists_children", lambda: False)
    assert leftovers.child_pids() >= set(leftovers.children())
    assert leftovers.children(among=leftovers.child_pids()) == leftovers.children()


def test_the_numbers_of_open_descriptors_are_those_open_fds_reads() -> None:
    before = leftovers.fd_numbers()
    assert before == set(leftovers.open_fds())
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        assert leftovers.fd_numbers() - before == {fd}
        assert leftovers.open_fds(among=leftovers.fd_numbers() - before) == {fd: os.devnull}
    finally:
        os.close(fd)
    assert leftovers.fd_numbers() == before
    assert leftovers.open_fds(among=[fd]) == {}  # closed: nothing to read
