"""The Textual app. Imported lazily: ``llmflow status`` must not pay for Textual."""

from __future__ import annotations

from pathlib import Path


def run_app(root: Path, *, poll: bool = False) -> int:
    from .main import LlmflowApp

    app = LlmflowApp(Path(root), poll=poll)
    app.run()
    return app.return_code or 0
