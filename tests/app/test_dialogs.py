"""Dialogs (help, problems, log, save) and the command palette, as a user meets them."""

from __future__ import annotations

import re

from textual.command import CommandPalette
from textual.widgets import Input, Label
from textual.widgets._footer import FooterKey
from wsbuilder import make_workspace, plan_md

from llmflow_tui.app.main import LlmflowApp, MainScreen
from llmflow_tui.app.panes import PlanTree
from llmflow_tui.app.screens import HelpScreen, LogScreen, ProblemsScreen, SaveModal

from .test_app import DEMO, NOW, _isolated, demo_app, loaded  # noqa: F401 (a fixture)


def footer_keys(app) -> dict[str, str]:
    """The footer a user sees: the top screen's own, else the one showing through."""
    for screen in reversed(app.screen_stack):
        keys = {k.key_display: k.description for k in screen.query(FooterKey)}
        if keys:
            return keys
    return {}


async def test_dialog_footers_list_only_keys_that_work_there():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        main_only = {"r", "e", "m", "c", "s"}
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = footer_keys(app)
        assert not main_only & set(keys), keys
        assert {"p", "l"} <= set(keys) and keys["esc"] == "Close"
        # Every key the footer lists does what it says: p, l and ? go between dialogs.
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        keys = footer_keys(app)
        assert not main_only & set(keys) and "p" not in keys, keys
        assert keys["l"] == "Log" and keys["?"] == "Help"
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen)
        keys = footer_keys(app)
        assert not main_only & set(keys) and keys["p"] == "Problems", keys
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        # One dialog at a time: closing it shows the main screen again.
        assert isinstance(app.screen, MainScreen)
        assert {"r", "s", "p", "l"} <= set(footer_keys(app))
