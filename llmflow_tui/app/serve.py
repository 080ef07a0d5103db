"""``llmflow serve``: the app in a browser through textual-serve, bound to 127.0.0.1 only."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def serve(root: Path, port: int) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        sys.stderr.write("llmflow serve needs textual-serve: pip install textual-serve\n")
        return 2
    command = f"{shlex.quote(sys.executable)} -m llmflow_tui.cli {shlex.quote(str(root))}"
    server = Server(command, host="127.0.0.1", port=port, title="llmflow")
    server.serve()
    return 0
