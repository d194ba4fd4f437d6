"""Which of the run's files a worker reads (sut.engine.reads), in this process: the
names told when a file of the run's folder is opened for reading, and none else."""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import pytest

from sut.engine.reads import _opened_path, held_open, watch_opens


@pytest.fixture
def told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names ``watch_opens`` tells for ``tmp_path / "run"``; ``open`` is put back after."""
    monkeypatch.setattr(builtins, "open", builtins.open)
    monkeypatch.setattr(io, "open", io.open)
    names: list[str] = []
    (tmp_path / "run").mkdir()
    watch_opens(tmp_path / "run", names.append)
    return names


def test_a_file_of_the_folder_opened_to_read_is_told_by_its_name(tmp_path: Path,
                                                                 told: list[str]) -> None:
    run = tmp_path / "run"
    (run / "tickets.json").write_text("{}", encoding="utf-8")  # opened to write: not told
    (tmp_path / "outside").write_text("", encoding="utf-8")
    with open(run / "tickets.json", encoding="utf-8") as read:
        assert read.read() == "{}"
    with open(str(run / "tickets.json"), "r+b"), open(tmp_path / "outside", encoding="utf-8"):
        pass
    with open(os.fsencode(run / "tickets.json"), "rb"):
        pass
    assert told == ["tickets.json"] * 3


def test_a_link_is_told_by_the_file_it_opens(tmp_path: Path, told: list[str]) -> None:
    run = tmp_path / "run"
    (run / "count").write_text("1", encoding="utf-8")
    (tmp_path / "outside").write_text("", encoding="utf-8")
    (tmp_path / "into").symlink_to(run / "count")
    (run / "out").symlink_to(tmp_path / "outside")
    with open(tmp_path / "into", encoding="utf-8"), open(run / "out", encoding="utf-8"):
        pass
    assert told == ["count"]  # the name the kernel gives, as held_open reads it


def test_without_a_file_descriptor_the_name_is_resolved(tmp_path: Path) -> None:
    (tmp_path / "count").write_text("1", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "count")
    assert _opened_path(object(), tmp_path / "link") == os.path.realpath(tmp_path / "count")


def test_the_kernel_says_which_files_of_the_folder_a_process_holds_to_read(
        tmp_path: Path) -> None:
    (tmp_path / "read").write_text("", encoding="utf-8")
    with open(tmp_path / "read", encoding="utf-8"), open(tmp_path / "written", "w"):
        assert held_open(os.getpid(), tmp_path) == ["read"]
    assert held_open(os.getpid(), tmp_path) == []
