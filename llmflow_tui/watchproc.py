"""The file watcher, run in a child process (``python -m llmflow_tui.watchproc ROOT``).

watchfiles sets up one inotify watch per folder while holding the GIL: 0.3 s on a
10,000-folder workspace, a frozen screen if the app's own process did it. The child prints
one JSON line per batch of changed paths (the first, empty, says it is watching) and stops
when its stdin closes: when the app stops it, exits or dies.

Imports nothing of llmflow's but this module: the child starts in a few tens of ms.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

IGNORED_DIRS = {".git", ".llmflow", "__pycache__", ".venv", "node_modules", ".mypy_cache"}
WATCH_OPTIONS = {"debounce": 60, "step": 30, "rust_timeout": 200, "poll_delay_ms": 250}


def watch_filter(change, path: str) -> bool:
    """Changes worth a look: not in tool folders, not an editor's swap or backup file."""
    parts = Path(path).parts
    if any(p in IGNORED_DIRS for p in parts):
        return False
    name = parts[-1] if parts else ""
    return not (name.endswith((".swp", ".tmp", "~")) or name.startswith(".#"))


def batches(root: str, *, poll: bool, stop: threading.Event):
    """Sets of changed paths below ``root``; the first is empty and comes once watching."""
    from watchfiles import watch

    ready = False
    for changes in watch(
        root,
        watch_filter=watch_filter,
        stop_event=stop,
        yield_on_timeout=True,
        force_polling=poll,
        recursive=True,
        **WATCH_OPTIONS,
    ):
        if changes or not ready:
            ready = True
            yield {path for _change, path in changes}


def main(argv: list[str]) -> int:
    root = argv[0]
    stop = threading.Event()

    def until_stdin_closes() -> None:
        try:
            sys.stdin.buffer.read()
        finally:
            stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    try:
        for paths in batches(root, poll="--poll" in argv[1:], stop=stop):
            sys.stdout.write(json.dumps(sorted(paths)) + "\n")
            sys.stdout.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
