"""Regenerate the SVG screenshots in screenshots/ from the bundled demo workspace."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmflow_tui.app.main import LlmflowApp  # noqa: E402

DEMO = ROOT / "llmflow_tui" / "demo"
OUT = ROOT / "screenshots"
NOW = time.mktime((2026, 11, 24, 12, 0, 0, 0, 0, -1))

SHOTS = [
    ("main-120x40", (120, 40), []),
    ("achievement-120x40", (120, 40), ["j", "enter", "j", "j"]),
    ("document-120x40", (120, 40), ["j", "enter", "j", "enter", "j", "m"]),
    ("filter-120x40", (120, 40), ["slash", *"needs_fix", "enter"]),
    ("problems-120x40", (120, 40), ["p"]),
    ("help-120x40", (120, 40), ["question_mark"]),
    ("log-120x40", (120, 40), ["l"]),
    ("main-80x24", (80, 24), []),
    ("dependencies-80x24", (80, 24), ["j", "enter", "j", "j", "2"]),
    ("progress-80x24", (80, 24), ["1"]),
    ("problems-80x24", (80, 24), ["p"]),
    ("help-80x24", (80, 24), ["question_mark"]),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str]) -> None:
    app = LlmflowApp(DEMO, watch=False, now=NOW, cache=False, display_root="demo")
    async with app.run_test(size=size) as pilot:
        while app.ws is None:
            await pilot.pause(0.01)
        await app.workers.wait_for_complete()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
        print(OUT / f"{name}.svg")


def main() -> None:
    os.environ["LLMFLOW_CACHE_DIR"] = tempfile.mkdtemp()
    OUT.mkdir(exist_ok=True)
    for name, size, keys in SHOTS:
        asyncio.run(shoot(name, size, keys))


if __name__ == "__main__":
    main()
