"""Atomic, confined writes: temp file in the same folder, fsync, os.replace."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class ConfinementError(ValueError):
    """A path would leave the workspace root (``..`` or a symlink escape)."""


class FileExistsConflict(FileExistsError):
    """The target exists and overwriting was not explicitly allowed."""


def confine(root: Path, rel: str | Path) -> Path:
    """Resolve ``rel`` below ``root``; refuse anything that escapes it."""
    root_resolved = Path(root).resolve()
    candidate = (root_resolved / rel).resolve()
    if candidate != root_resolved and root_resolved not in candidate.parents:
        raise ConfinementError(f"{rel} is outside the workspace {root_resolved}")
    return candidate


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; with ``overwrite=False`` refuse an existing file."""
    return atomic_write_with(path, lambda handle: handle.write(data), overwrite=overwrite)


def atomic_write_with(
    path: Path, write: Callable[[BinaryIO], object], *, overwrite: bool = True
) -> Path:
    """Like ``atomic_write_bytes``, with ``write(handle)`` producing the content (a big
    pickle streamed to the file is never held whole in memory)."""
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsConflict(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private: give it the mode the file had, or the one any new
        # file gets (others on a shared box can read what was saved for them).
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if not overwrite:
            # link() fails if the target appeared meanwhile: no silent overwrite.
            try:
                os.link(tmp, path)
            except FileExistsError as exc:
                raise FileExistsConflict(f"{path} already exists") from exc
            except OSError:
                if path.exists():
                    raise FileExistsConflict(f"{path} already exists") from None
                os.replace(tmp, path)
            else:
                os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_text(root: Path, rel: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write UTF-8 text to ``root/rel`` atomically, confined to ``root``."""
    target = confine(root, rel)
    return atomic_write_bytes(target, text.encode("utf-8"), overwrite=overwrite)
