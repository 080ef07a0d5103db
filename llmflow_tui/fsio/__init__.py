"""The only code that writes to disk: atomic writes confined to a root, and cache files."""

from .atomic import (
    ConfinementError,
    FileExistsConflict,
    atomic_write_bytes,
    atomic_write_with,
    confine,
    write_text,
)

__all__ = [
    "ConfinementError",
    "FileExistsConflict",
    "atomic_write_bytes",
    "atomic_write_with",
    "confine",
    "write_text",
]
