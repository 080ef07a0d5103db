"""Dialogs (help, problems, log, save) and the command palette, as a user meets them."""

from __future__ import annotations

import re

from textual.command import CommandPalette
from textual.widgets import Input, Label
from textual.widgets._footer import FooterKey
from wsbuilder import execution_md, make_workspace, plan_md

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


async def test_the_palette_offers_every_binding_once_namespaced():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        titles = [c.title for c in app.get_system_commands(app.screen_stack[-2])]
        assert all(re.match(r"[a-z]+: ", t) for t in titles), titles
        for title in ("view: filter", "view: progress", "view: deps", "view: preview"):
            assert title in titles
        assert [t for t in titles if "quit" in t.lower()] == ["app: quit"]
        assert len(titles) == len(set(titles))
        await pilot.press(*"view: deps", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert not app.query_one("#deps").has_class("hidden")


async def test_plan_go_to_from_a_dialog_closes_it_and_selects_the_plan():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("l", "ctrl+p")
        titles = [c.title for c in app.get_system_commands(app.screen_stack[-2])]
        assert "plan: go to AUTH" in titles
        await pilot.press(*"plan: go to AUTH", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.selected.kind == "plan" and app.selected.plan == "AUTH"


async def test_plan_go_to_shows_a_plan_below_the_view_with_its_children(tmp_path):
    files = {
        f"work-space/plans/P{i:02}/PLAN_P{i:02}.md": plan_md(
            f"P{i:02}", [("1.1", "One"), ("1.2", "Two"), ("1.3", "Three"), ("1.4", "Four")]
        )
        for i in range(60)
    }
    root = make_workspace(tmp_path / "ws", files)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        tree.select_path("P45", "1.1")  # expands P45
        await pilot.pause()
        tree.select_path("P00")
        await pilot.pause()
        tree.scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("ctrl+p", *"plan: go to P45", "enter")
        await pilot.pause()
        await pilot.pause()
        node = tree.cursor_node
        assert app.selected.plan == "P45" and node.is_expanded
        top = tree.scroll_offset.y
        height = tree.scrollable_content_region.height
        last_child = node.children[-1].line
        assert top <= node.line and last_child < top + height, (node.line, top, height)


async def test_a_second_save_offers_a_free_name(tmp_path):
    root = make_workspace(
        tmp_path / "ws", {"work-space/plans/X/PLAN_X.md": plan_md("X", [("1.1", "Only")])}
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "s", "enter")
        await pilot.pause()
        assert (root / ".llmflow/saved/X.md").exists()
        await pilot.press("s")
        assert app.screen.query_one(Input).value == ".llmflow/saved/X-2.md"
        await pilot.press("enter")
        await pilot.pause()
        assert (root / ".llmflow/saved/X-2.md").read_text() == app.query_one("#preview").text
        await pilot.press("s")
        assert app.screen.query_one(Input).value == ".llmflow/saved/X-3.md"


async def test_saving_from_the_bundled_demo_writes_under_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(DEMO.rglob("*"))
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "s")
        assert isinstance(app.screen, SaveModal)
        prompt = str(app.screen.query_one(Label).render())
        # Asserted before enter: the demo (inside the package) is never written to.
        assert "current folder" in prompt, prompt
        rel = app.screen.query_one(Input).value
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / rel).read_text() == app.query_one("#preview").text
    assert sorted(DEMO.rglob("*")) == before


async def test_the_save_dialog_has_its_own_footer_and_fits_a_small_screen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "s")
        await pilot.pause()
        assert isinstance(app.screen, SaveModal)
        keys = footer_keys(app)
        # Its own keys, not the main screen's (which do nothing while it is open).
        assert keys == {"esc": "Cancel", "⏎": "Save", "^p": "palette"}, keys
        dialog = app.screen.query_one("#dialog")
        assert dialog.region.width < 80 and dialog.region.height == 6  # one field: not a page
        field = app.screen.query_one(Input)
        assert dialog.region.contains_region(field.region)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert not list(tmp_path.rglob("*.md"))  # cancelled: nothing written


async def test_a_wrapped_log_entry_is_indented_under_its_text():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        paths = [f"work-space/plans/P{i}/PLAN_P{i}.md" for i in range(5)]
        app.log_activity("changed: " + ", ".join(paths))
        app.log_activity("reload requested")
        await pilot.press("l")
        await pilot.pause()
        log = app.screen.query_one("#log")
        lines = ["".join(s.text for s in log.render_line(y)).rstrip() for y in range(8)]
        lines = [line for line in lines if line]
        entry = re.compile(r"^\d\d:\d\d:\d\d  \S")
        # Three entries, three lines that start with a time; the long one's other lines are
        # indented to where its text starts.
        assert [bool(entry.match(line)) for line in lines].count(True) == 3, lines
        start = lines[1].index("changed:")
        continued = [line for line in lines if not entry.match(line)]
        assert len(continued) >= 1, lines
        assert all(line[:start].isspace() and line[start] != " " for line in continued), lines
        assert "reload requested" in lines[-1]
        shown = " ".join(line.strip() for line in lines)
        assert all(p in shown for p in paths)  # nothing lost to the wrap
        assert log.max_scroll_x == 0  # and nothing to scroll sideways to


async def open_help(pilot):
    """The help screen's table, opened once the workspace has loaded."""
    await loaded(pilot)
    await pilot.press("question_mark")
    await pilot.pause()
    return pilot.app.screen.query_one("#help-table")


async def test_help_wraps_a_long_action_instead_of_scrolling_sideways():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_help(pilot)
        assert table.max_scroll_x == 0 and not table.show_horizontal_scrollbar
        palette = next(i for i, row in enumerate(app.screen.rows) if row[0] == "ctrl+p")
        await pilot.press("end")  # the row is near the last
        await pilot.pause()
        # The row's lines on screen hold the whole description.
        region = table.region
        shown = [line[region.x : region.right].strip() for line in screen_lines(app)]
        shown = shown[region.y : region.bottom]
        first = next(i for i, line in enumerate(shown) if line.startswith("ctrl+p"))
        height = table.ordered_rows[palette].height
        lines = shown[first : first + height]
        assert height > 1 and lines[0].startswith("ctrl+p"), lines
        assert " ".join(lines).endswith("(also in a dialog)"), lines


def screen_lines(app) -> list[str]:
    """The screen as the terminal shows it, one string a row (scrollbars and borders
    drawn over the widgets' own lines)."""
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


def many_problems_workspace(root, plans: int = 30):
    """``plans`` plans, each with an execution file whose header and last Status line
    disagree: a long warning each, more than a problems list shows at once."""
    files = {}
    for i in range(plans):
        name = f"A-RATHER-LONG-FEATURE-NAME-{i:02}"
        files[f"work-space/plans/{name}/PLAN_{name}.md"] = plan_md(name, [("1.1", "One")])
        files[f"work-space/plans/{name}/execution/EXECUTION_TASK_{name}_11_01.md"] = execution_md(
            name, "1.1", status="In Progress", final_status="✅ Complete"
        )
    return make_workspace(root, files)


async def test_a_problem_too_long_for_its_row_ends_with_an_ellipsis_beside_the_scrollbar(
    tmp_path,
):
    root = many_problems_workspace(tmp_path / "ws")
    for size in ((120, 40), (80, 24)):
        app = LlmflowApp(root, watch=False, now=NOW, cache=False)
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            await pilot.press("p")
            await pilot.pause()
            listing = app.screen.query_one("#problem-list")
            assert listing.max_scroll_y > 0  # a scrollbar takes the right of each row
            region = listing.scrollable_content_region
            lines = screen_lines(app)[region.y : region.bottom]
            rows = [line[region.x : region.right].rstrip() for line in lines]
            assert all("warning" in row for row in rows), rows
            # Every row is cut, and says so just before the scrollbar.
            assert all(row.endswith("…") for row in rows), (size, rows)


async def test_a_long_problem_can_be_read_whole_below_the_list(tmp_path):
    name = "A-RATHER-LONG-FEATURE-NAME-THAT-WAS-ARCHIVED"
    arch = "documentation/archive/a-rather-long-feature-name-nov2025/execution"
    done = execution_md(name, "1.1", status="✅ Complete", final_status="✅ Complete")
    root = make_workspace(
        tmp_path / "ws",
        {
            f"work-space/plans/{name}/PLAN_{name}.md": plan_md(
                name,
                [("1.1", "One"), ("1.2", "Two")],
                header=f"**Archive Location**: {arch.rsplit('/', 1)[0]}/",
            ),
            f"{arch}/EXECUTION_TASK_{name}_11_01.md": done,
            # A copy left behind: a warning that names both paths, too long for 3 lines.
            f"work-space/plans/{name}/execution/EXECUTION_TASK_{name}_11_01.md": done,
        },
    )
    for size in ((120, 40), (80, 24)):
        app = LlmflowApp(root, watch=False, now=NOW, cache=False)
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            await pilot.press("p")
            problems = app.screen.problems
            row = next(i for i, p in enumerate(problems) if "also archived" in p.message)
            await pilot.press("home", *["j"] * row)
            await pilot.pause()
            message = problems[row].message
            assert len(message) > 200, message
            detail = app.screen.query_one("#problem-detail-scroll")
            region = detail.region
            shown = "".join(
                line[region.x : region.right]
                for line in screen_lines(app)[region.y : region.bottom]
            )
            # All of it on screen, wrapped (a long path folded at the edge): nothing cut off.
            assert re.sub(r"\s", "", message) in re.sub(r"[\s─]", "", shown), (size, shown)


async def test_help_scrolls_with_the_keys_and_shows_the_ids_at_80x24():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_help(pilot)
        region = table.region

        def rows() -> list[str]:
            lines = screen_lines(app)[region.y : region.bottom]
            return [line[region.x : region.right].strip() for line in lines]

        def shown(key: str, action: str) -> bool:
            return any(r.startswith(key) and action in r for r in rows())

        assert table.max_scroll_y > 0  # more rows than fit: the keys must reach them
        assert shown("q", "Quit llmflow") and not shown("p l ?", "In a dialog")
        # The keymap's ids are on screen, as the legend's ([keys] id = "key") needs.
        assert any(r.startswith("q") and r.endswith("quit") for r in rows()), rows()
        await pilot.press("end")
        await pilot.pause()
        assert shown("p l ?", "In a dialog") and not shown("q", "Quit"), rows()
        await pilot.press("home")
        await pilot.pause()
        assert shown("q", "Quit llmflow"), rows()
        for down, up in (("j", "k"), ("down", "up"), ("pagedown", "pageup")):
            await pilot.press(down)
            await pilot.pause()
            assert table.scroll_y > 0 and not shown("q", "Quit"), (down, rows())
            await pilot.press(up)
            await pilot.pause()
            assert table.scroll_y == 0 and shown("q", "Quit llmflow"), (up, rows())
