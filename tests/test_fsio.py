"""fsio: atomic writes confined to the workspace, never a silent overwrite, normal modes."""

from __future__ import annotations

import os
import stat

import pytest

from llmflow_tui.fsio import ConfinementError, FileExistsConflict, atomic_write_bytes, write_text


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_the_mode_of_any_new_file(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path, "saved/brief.md", "hello")
    finally:
        os.umask(old)
    assert path.read_text() == "hello"
    assert _mode(path) == 0o644  # readable by the others on a shared box, like `touch`
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_an_overwritten_file_keeps_its_mode(tmp_path):
    path = tmp_path / "cfg.md"
    path.write_text("old")
    os.chmod(path, 0o600)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and _mode(path) == 0o600


def test_no_silent_overwrite_and_no_escape(tmp_path):
    write_text(tmp_path, "a.md", "mine")
    with pytest.raises(FileExistsConflict):
        write_text(tmp_path, "a.md", "theirs")
    assert (tmp_path / "a.md").read_text() == "mine"
    with pytest.raises(ConfinementError):
        write_text(tmp_path / "ws", "../outside.md", "x")
    assert not (tmp_path / "outside.md").exists()
