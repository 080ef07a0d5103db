"""The app's entry points: importing the package stays cheap, and serve binds to localhost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_importing_the_app_package_does_not_import_textual():
    code = "import sys, llmflow_tui.app; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_serve_binds_to_localhost_and_runs_the_cli(monkeypatch, tmp_path):
    import textual_serve.server

    from llmflow_tui.app.serve import serve

    seen = {}

    class FakeServer:
        def __init__(self, command, host, port, title):
            seen.update(command=command, host=host, port=port)

        def serve(self):
            seen["served"] = True

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    assert serve(Path(tmp_path / "my ws"), 8123) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123 and seen["served"]
    assert "-m llmflow_tui.cli" in seen["command"]
    assert "'" + str(tmp_path / "my ws") + "'" in seen["command"]
