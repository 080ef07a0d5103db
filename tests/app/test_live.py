"""Live updates in place (cursor, expansion), type-ahead, bursts of changes, polling, and the
bindings that hand the terminal over or leave the app (edit, quit, palette)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from wsbuilder import execution_md, make_workspace, plan_md, plans_named, subplan_md, write

from llmflow_tui.app import main as app_main
from llmflow_tui.app.main import LlmflowApp
from llmflow_tui.app.panes import NodeRef, PlanTree, ProgressPane, PromptPreview
from llmflow_tui.app.screens import ProblemsScreen

from .test_app import loaded, settled

NOW = time.mktime((2026, 11, 24, 12, 0, 0, 0, 0, -1))
PLAN = "work-space/plans/X/PLAN_X.md"


def achievement_nodes(plan_node) -> list:
    """A plan node's achievements (its PLAN and parallel.json files come after them)."""
    return [c for c in plan_node.children if c.data.kind == "achievement"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("LLMFLOW_POLL", raising=False)
    monkeypatch.delenv("WATCHFILES_FORCE_POLLING", raising=False)


def small_workspace(root: Path) -> Path:
    return make_workspace(
        root,
        {
            PLAN: plan_md("X", [("1.1", "One"), ("1.2", "Two")], deps={"1.2": "1.1"}),
            "work-space/plans/X/subplans/SUBPLAN_X_11.md": subplan_md("X", "1.1"),
            "work-space/plans/X/execution/EXECUTION_TASK_X_11_01.md": execution_md(
                "X", "1.1", final_status="✅ Complete"
            ),
        },
    )


def three_plans(root: Path) -> Path:
    """The small workspace (plan X) with plans Y and Z beside it."""
    small_workspace(root)
    return make_workspace(
        root, {f"work-space/plans/{n}/PLAN_{n}.md": plan_md(n) for n in ("Y", "Z")}
    )


async def wait_for(pilot, predicate, seconds: float = 10.0, again=None) -> bool:
    """Poll the app until ``predicate()``; ``again`` repeats the (idempotent) file write every
    2 s, in case it landed before the watcher was up on a busy machine."""
    deadline = time.monotonic() + seconds
    retry = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if predicate():
            return True
        if again is not None and time.monotonic() > retry:
            again()
            retry = time.monotonic() + 2.0
    return False


async def test_live_update_keeps_cursor_and_expansion_on_a_file_node(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await pilot.press("j", "enter", "j", "enter", "j", "j")  # X → 1.1 → its EXECUTION
        cursor = tree.cursor_node
        assert cursor.data.kind == "file" and cursor.data.path.endswith("_11_01.md")
        achievement_node = cursor.parent
        await pilot.pause(0.3)  # the watcher is up
        fb = root / "work-space/plans/X/execution/feedbacks"
        fb.mkdir(parents=True)
        approve = (fb / "APPROVED_11.md").write_text
        approve("ok")

        assert await wait_for(
            pilot, lambda: "✔ 1.1 One" in str(achievement_node.label), again=lambda: approve("ok")
        )
        # Same node objects, still expanded, cursor where it was; the new file is listed.
        assert tree.cursor_node is cursor
        assert achievement_node.is_expanded
        assert [c.data.kind for c in achievement_node.children] == ["file"] * 3
        assert "feedback APPROVED_11.md" in str(achievement_node.children[-1].label)
        assert app.selected == cursor.data
        # 1.2 was blocked by 1.1; it no longer is.
        assert "blocked" not in str(achievement_node.next_sibling.label)


async def test_new_achievement_rebuilds_children_but_keeps_the_cursor(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await pilot.press("j", "enter", "j", "j")
        assert tree.cursor_node.data == NodeRef("achievement", plan="X", achievement="1.2")
        await pilot.pause(0.3)

        def edit() -> None:
            text = plan_md(
                "X", [("1.0", "Zero"), ("1.1", "One"), ("1.2", "Two")], deps={"1.2": "1.1"}
            )
            (root / PLAN).write_text(text)

        edit()
        assert await wait_for(
            pilot, lambda: len(achievement_nodes(tree._plan_nodes["X"])) == 3, again=edit
        )
        assert tree.cursor_node.data == NodeRef("achievement", plan="X", achievement="1.2")
        assert app.selected.achievement == "1.2"


async def test_enter_then_typed_ahead_keys_land_on_achievements(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await pilot.press("j")
        # No pause between the keys: expansion must not wait for a message round-trip.
        tree.action_select_cursor()
        tree.action_cursor_down()
        assert tree.cursor_node.data.achievement == "1.1"
        await pilot.pause()
        assert app.selected.achievement == "1.1"


async def test_a_burst_of_changes_like_git_checkout(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.pause(0.3)

        def checkout() -> None:
            for i in range(60):
                rel = f"work-space/plans/P{i:02d}/PLAN_P{i:02d}.md"
                make_workspace(root, {rel: plan_md(f"P{i}")})
            (root / "work-space/plans/X/execution/EXECUTION_TASK_X_11_01.md").unlink(True)

        checkout()

        def done() -> bool:
            ws = app.ws
            return len(ws.plans) == 61 and ws.plan("X").achievement("1.1").state == "subplan_ready"

        assert await wait_for(pilot, done, again=checkout)
        assert app.query_one(ProgressPane).row_count == 61
        assert len(app.query_one(PlanTree)._plan_nodes) == 61


async def test_polling_mode_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMFLOW_POLL", "1")
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    assert app.poll
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert "polling" in str(app.query_one("#topbar").render())
        await pilot.pause(0.6)  # the first poll has seen the files
        fb = root / "work-space/plans/X/execution/feedbacks"
        fb.mkdir(parents=True)
        (fb / "FIX_11.md").write_text("fix it")
        assert await wait_for(
            pilot,
            lambda: app.ws.plan("X").achievement("1.1").state == "needs_fix",
            again=lambda: (fb / "FIX_11.md").write_text("fix it"),
        )


def app_with_editor(root: Path, editor: str, monkeypatch) -> tuple[LlmflowApp, list]:
    """An app whose ``e`` records the editor command it would run (no terminal to hand over
    in a test) in the list returned with it."""
    calls: list = []
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.setattr(app_main.subprocess, "call", lambda argv: calls.append(argv) or 0)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    return app, calls


async def test_edit_suspends_and_runs_the_editor(tmp_path, monkeypatch):
    root = small_workspace(tmp_path / "ws")
    app, calls = app_with_editor(root, "myeditor --wait", monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("e")  # the root has no file: nothing happens
        assert calls == []
        await pilot.press("j", "enter", "j", "e")  # achievement 1.1 → its SUBPLAN
        assert calls == [
            ["myeditor", "--wait", str(root / "work-space/plans/X/subplans/SUBPLAN_X_11.md")]
        ]
        assert any("edited" in line for line in app.activity)


async def test_edit_without_a_terminal_is_a_warning_not_a_crash(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "e")
        await pilot.pause()
        assert any("Cannot open an editor" in n.message for n in app._notifications)


async def test_quit_key_exits(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app._exit
    assert app.return_code == 0


async def test_command_palette_runs_a_namespaced_command(tmp_path):
    from textual.command import CommandPalette

    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"view: problems")
        await pilot.pause(0.3)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), 3)


async def test_narrow_footer_shows_the_keys_that_fit(tmp_path):
    from textual.widgets._footer import FooterKey

    from llmflow_tui.app.panes import KeyFooter

    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)

    def footer() -> tuple[list[str], bool]:
        """The keys the footer shows, and whether they all end before the palette key."""
        keys = [k for k in app.screen.query_one(KeyFooter).query(FooterKey)]
        palette = next(k for k in keys if k.has_class("-command-palette"))
        others = [k for k in keys if k is not palette]
        fit = all(k.region.right <= palette.region.x for k in others)
        return [k.key for k in others], fit and palette.region.right <= app.size.width

    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        tree.move_cursor(tree.root)  # the workspace: nothing to edit
        assert await wait_for(
            pilot, lambda: footer()[0][:4] == ["q", "question_mark", "r", "slash"]
        )
        keys, fits = footer()
        assert fits and {"c", "p", "l"} <= set(keys) and "e" not in keys, keys
        tree.move_cursor(tree._plan_nodes["X"])  # a plan: its PLAN file to edit
        assert await wait_for(pilot, lambda: "e" in footer()[0])
        keys, fits = footer()
        assert fits and {"q", "question_mark", "slash", "p", "r", "c"} <= set(keys), keys
        # Narrower: fewer keys, the most important first, still within the width.
        await pilot.resize_terminal(60, 24)
        assert await wait_for(pilot, lambda: "r" not in footer()[0])
        keys, fits = footer()
        assert fits and keys[:3] == ["q", "question_mark", "slash"], keys
        # The hidden ones still work.
        await pilot.press("l")
        assert type(app.screen).__name__ == "LogScreen"


async def test_filter_by_group(tmp_path):
    root = make_workspace(
        tmp_path / "ws",
        {
            PLAN: plan_md("X"),
            "work-space/plans/a_paused/Y/PLAN_Y.md": plan_md("Y"),
        },
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"paused", "enter")
        await pilot.pause()
        tree = app.query_one(PlanTree)
        assert set(tree._plan_nodes) == {"Y"}
        assert tree.has_focus


async def test_live_update_keeps_the_preview_scroll(tmp_path):
    from textual.widgets import TextArea

    root = small_workspace(tmp_path / "ws")
    subplan = root / "work-space/plans/X/subplans/SUBPLAN_X_11.md"
    body = subplan_md("X", "1.1") + "".join(f"line {i}\n" for i in range(200))
    subplan.write_text(body)
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "enter", "j")  # 1.1 → its SUBPLAN
        await settled(app)
        await pilot.pause()
        area = app.query_one("#preview-text", TextArea)
        assert area.text.startswith("# SUBPLAN")
        # Measured first (a busy machine may take a few refreshes), then scrolled.
        assert await wait_for(pilot, lambda: area.max_scroll_y >= 100)
        area.scroll_to(y=100, animate=False, immediate=True)
        assert await wait_for(pilot, lambda: area.scroll_y == 100)
        await pilot.pause(0.3)
        subplan.write_text(body + "one more line\n")
        assert await wait_for(
            pilot,
            lambda: area.text.endswith("one more line\n"),
            again=lambda: subplan.write_text(body + "one more line\n"),
        )
        # The new text is measured and the view put back where it was.
        assert await wait_for(pilot, lambda: area.scroll_y == 100, seconds=3)


async def test_theme_from_config_and_no_color(tmp_path, monkeypatch):
    root = small_workspace(tmp_path / "ws")
    (root / ".llmflow").mkdir()
    (root / ".llmflow/config.toml").write_text('theme = "nord"\n')
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert app.theme == "nord"
        assert app.animation_level == "none"
    (root / ".llmflow/config.toml").write_text('theme = "no-such-theme"\n')
    monkeypatch.setenv("NO_COLOR", "1")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    assert app.no_color
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert app.theme == "ansi-dark"  # the default follows the terminal's palette
        assert any("unknown theme" in line for line in app.activity)


async def test_a_new_plan_appears_in_order(tmp_path):
    root = make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/A/PLAN_A.md": plan_md("A"),
            "work-space/plans/C/PLAN_C.md": plan_md("C"),
            "work-space/plans/a_paused/P/PLAN_P.md": plan_md("P"),
        },
    )
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.pause(0.3)

        def add() -> None:
            make_workspace(root, {"work-space/plans/B/PLAN_B.md": plan_md("B")})

        add()
        tree = app.query_one(PlanTree)
        assert await wait_for(pilot, lambda: "B" in tree._plan_nodes, again=add)
        order = [c.data.plan or c.data.label for c in tree.root.children]
        assert order == [p.name for p in app.ws.plans if not p.group] + ["a_paused"]
        assert order[:3] == ["A", "B", "C"]


async def test_copy_also_uses_a_local_clipboard_and_swallows_its_errors(tmp_path, monkeypatch):
    import pyperclip

    copied = []
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "c")
        await settled(app)
        assert copied == [app.clipboard] and app.clipboard.startswith("# X")

        def broken(text):
            raise pyperclip.PyperclipException("no xclip")

        monkeypatch.setattr(pyperclip, "copy", broken)
        await pilot.press("c")
        await settled(app)
        await pilot.pause()
        assert any("local clipboard: no xclip" in line for line in app.activity)


async def test_palette_has_plan_jumps_and_help_shows_remapped_keys(tmp_path):
    root = small_workspace(tmp_path / "ws")
    (root / ".llmflow").mkdir()
    (root / ".llmflow/config.toml").write_text('[keys]\nproblems = "f2"\n')
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "plan: go to X" in commands
        assert "file: edit" not in commands  # nothing to edit at the root
        assert commands["view: problems"].help.endswith("(f2)")
        commands["view: expand all plans"].callback()
        await pilot.pause()
        assert app.query_one(PlanTree)._plan_nodes["X"].is_expanded
        await pilot.press("question_mark")
        rows = {row[2]: row[0] for row in app.screen.rows}
        assert rows["problems"] == "f2"


async def test_names_first_then_states_and_input_stays_live(tmp_path, monkeypatch):
    import threading

    from llmflow_tui.model import load as real_load

    root = make_workspace(
        tmp_path / "ws",
        {PLAN: plan_md("X"), "work-space/plans/Y/PLAN_Y.md": plan_md("Y")},
    )
    release = threading.Event()

    def slow_load(path, **kw):
        kw["names"]((("X", None), ("Y", None)))
        kw["progress"](1, 2)
        assert release.wait(10)
        return real_load(path, **kw)

    monkeypatch.setattr(app_main, "load", slow_load)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(PlanTree)
        assert await wait_for(pilot, lambda: "X" in tree._plan_nodes, 5)
        assert str(tree._plan_nodes["X"].label) == "… X"
        assert "Reading the workspace" in str(app.query_one("#details").render())
        await pilot.press("j", "j")  # the keyboard works while files are read
        assert tree.cursor_node.data.plan == "Y"
        assert "Y: reading its files" in str(app.query_one("#details").render())
        release.set()
        await loaded(pilot)
        assert str(tree._plan_nodes["X"].label).startswith("○ X")
        assert tree.cursor_node.data.plan == "Y"
        assert app.query_one(ProgressPane).row_count == 2


async def test_enter_on_a_document_focuses_the_preview(tmp_path):
    from textual.widgets import TextArea

    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "enter", "j", "enter")  # 1.1's SUBPLAN
        await settled(app)
        await pilot.pause()
        area = app.query_one("#preview-text", TextArea)
        assert area.has_focus and area.text.startswith("# SUBPLAN")
        await pilot.press("escape")
        assert app.query_one(PlanTree).has_focus


async def test_a_problem_in_an_execution_file_jumps_to_that_file(tmp_path):
    root = small_workspace(tmp_path / "ws")
    # The header and the last Status line disagree: a warning about this file.
    (root / "work-space/plans/X/execution/EXECUTION_TASK_X_11_01.md").write_text(
        execution_md("X", "1.1", status="In Progress", final_status="✅ Complete")
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        problems = app.screen.problems
        row = next(i for i, p in enumerate(problems) if p.path.endswith("_11_01.md"))
        app.screen.query_one("ProblemList").cursor = row
        await pilot.press("enter")
        await pilot.pause()
        path = "work-space/plans/X/execution/EXECUTION_TASK_X_11_01.md"
        assert app.selected == NodeRef("file", plan="X", achievement="1.1", path=path)


async def test_queued_snapshots_coalesce_into_one_repaint(tmp_path, monkeypatch):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        shown = []
        original = app.show
        monkeypatch.setattr(app, "show", lambda ws: (shown.append(ws), original(ws)))
        first = app.ws.apply([root / PLAN])
        second = first.apply([root / PLAN])
        a, b = str(root / "SUBPLAN_X_12.md"), str(root / "b.swx")
        app.post_message(app_main.WorkspaceUpdated(first, [a], 0.01))
        app.post_message(app_main.WorkspaceUpdated(second, [b], 0.01))
        await pilot.pause()
        assert shown == [second]
        # One line for both; an editor's swap file is not worth a mention.
        assert app.activity[-1].endswith("changed: SUBPLAN_X_12.md (removed)")


async def test_footer_shows_edit_only_where_there_is_a_file(tmp_path):
    from textual.widgets._footer import FooterKey

    from llmflow_tui.app.panes import KeyFooter

    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)

    def keys() -> set[str]:
        footer = app.screen.query_one(KeyFooter)
        return {k.key for k in footer.query(FooterKey)}

    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        tree.move_cursor(tree.root)  # the workspace: no file to open
        assert await wait_for(pilot, lambda: "e" not in keys() and "q" in keys(), 3)
        tree.move_cursor(tree._plan_nodes["X"])  # a plan: its PLAN file
        assert await wait_for(pilot, lambda: "e" in keys(), 3)
        tree.move_cursor(tree.root)
        assert await wait_for(pilot, lambda: "e" not in keys(), 3)


async def test_resizing_the_terminal_rearranges_the_panes(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert not app.screen.has_class("narrow")
        await pilot.resize_terminal(80, 24)
        assert await wait_for(pilot, lambda: app.screen.has_class("narrow"), 3)
        await pilot.press("2")
        assert await wait_for(pilot, lambda: app.narrow_pane == "deps", 3)
        await pilot.resize_terminal(120, 40)
        assert await wait_for(pilot, lambda: not app.screen.has_class("narrow"), 3)
        assert app.query_one(PlanTree).display and not app.query_one(PlanTree).has_class("hidden")


async def test_esc_clears_a_kept_filter_and_titles_are_not_markup(tmp_path):
    root = small_workspace(tmp_path / "ws")
    make_workspace(root, {"work-space/plans/Y/PLAN_Y.md": plan_md("Y")})
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"X", "enter")
        tree = app.query_one(PlanTree)
        assert await wait_for(pilot, lambda: set(tree._plan_nodes) == {"X"}, 3)
        assert tree.has_focus
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: set(tree._plan_nodes) == {"X", "Y"}, 3)
        # A file name full of brackets is shown as written, never as markup.
        from llmflow_tui.app.panes import PromptPreview

        app.query_one(PlanTree).focus()
        await pilot.press("home")
        preview = app.query_one(PromptPreview)
        preview.show("[b]Q [@click=app.quit]x", "text")
        await pilot.pause()
        from textual.content import Content

        shown = Content.from_markup(preview.border_title)  # what the border draws
        assert shown.plain == "[b]Q [@click=app.quit]x" and not shown.spans


async def test_when_the_selected_plan_goes_the_panes_follow_the_highlight(tmp_path):
    import shutil

    root = three_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        tree.move_cursor(tree._plan_nodes["Y"])
        assert await wait_for(pilot, lambda: app.selected.plan == "Y", 3)
        shutil.rmtree(root / "work-space/plans/Y")
        app.show(app.ws.apply([root / "work-space/plans/Y"]))
        assert await wait_for(pilot, lambda: app.selected == tree.cursor_node.data, 3)
        assert app.selected.plan != "Y"


async def test_the_progress_table_keeps_the_tree_order_when_a_plan_comes_back(tmp_path):
    import shutil

    root = three_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.query_one(ProgressPane)

        def order() -> list[str]:
            return [k.value for k in table.rows]

        assert order() == ["X", "Y", "Z"]
        saved = tmp_path / "X"
        shutil.move(root / "work-space/plans/X", saved)
        app.show(app.ws.apply([root / "work-space/plans/X"]))
        await pilot.pause()
        assert order() == ["Y", "Z"]
        shutil.move(saved, root / "work-space/plans/X")
        app.show(app.ws.apply([root / "work-space/plans/X"]))
        await pilot.pause()
        assert order() == ["X", "Y", "Z"]
        await pilot.press("slash", *"Z", "enter")
        assert await wait_for(pilot, lambda: order() == ["Z"], 3)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: order() == ["X", "Y", "Z"], 3)


async def test_a_long_plan_name_never_pushes_the_eta_column_off_screen(tmp_path):
    long = "A-VERY-LONG-FEATURE-NAME-X"
    root = make_workspace(
        tmp_path / "ws", {f"work-space/plans/{long}/PLAN_{long}.md": plan_md(long)}
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    for size in ((120, 40), (80, 24)):
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            await pilot.press("1")  # the progress table at 80×24
            await pilot.pause()
            table = app.query_one(ProgressPane)
            widths = sum(c.get_render_width(table) for c in table.columns.values())
            assert widths <= table.scrollable_content_region.width
        app = LlmflowApp(root, watch=False, now=NOW, cache=False)


async def test_keys_typed_after_quit_do_nothing(tmp_path):
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j")  # the plan: "e" would open its PLAN
        assert app.check_action("edit", ()) is True
        await app.action_quit()  # quitting a big workspace takes a moment…
        # …and a key typed meanwhile ("q e") must not open an editor on the way out.
        assert app.check_action("edit", ()) is False
        assert app.check_action("reload", ()) is False


async def test_the_selected_plan_stays_in_view_when_the_filter_is_cleared(tmp_path):
    names = [f"P{i:03d}" for i in range(80)]
    root = plans_named(tmp_path / "ws", names)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)

        def in_view() -> bool:
            top = tree.scroll_offset.y
            return top <= tree.cursor_line < top + tree.scrollable_content_region.height

        await pilot.press("slash", *"P070", "enter", "j")
        assert await wait_for(pilot, lambda: app.selected.plan == "P070", 3)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: len(tree._plan_nodes) == 80, 3)
        assert await wait_for(pilot, lambda: tree.cursor_node.data.plan == "P070" and in_view(), 3)


async def test_clearing_the_filter_brings_back_the_plans_expanded_before_it(tmp_path):
    root = plans_named(tmp_path / "ws", ["ALPHA", "BETA", "GAMMA", "DELTA"])
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)

        def shown() -> dict[str, str]:
            """Each plan's line as drawn: its expand icon (▼ open, ▶ closed)."""
            lines = ["".join(s.text for s in tree.render_line(y)) for y in range(12)]
            return {
                name: next((line.split(name)[0][-4:] for line in lines if name in line), "")
                for name in ("ALPHA", "BETA", "GAMMA", "DELTA")
            }

        for name in ("ALPHA", "GAMMA"):
            tree.move_cursor(tree._plan_nodes[name])
            await pilot.press("enter")
        await pilot.press("slash", *"BETA", "enter")
        assert await wait_for(pilot, lambda: set(tree._plan_nodes) == {"BETA"}, 3)
        await pilot.press("enter")  # expanded while filtered
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: len(tree._plan_nodes) == 4, 3)
        await pilot.pause()
        icons = shown()
        assert all("▼" in icons[n] for n in ("ALPHA", "BETA", "GAMMA")), icons
        assert "▶" in icons["DELTA"], icons
        # Their achievements are on screen under them again.
        assert all(len(achievement_nodes(tree._plan_nodes[n])) == 2 for n in ("ALPHA", "GAMMA"))


def hold_the_load(monkeypatch):
    """Make the app's workspace load wait (as a big workspace's cold load does) until the
    returned event is set."""
    import threading

    release = threading.Event()
    real_load = app_main.load

    def slow_load(*args, **kwargs):
        release.wait(10)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(app_main, "load", slow_load)
    return release


async def test_the_progress_headings_are_spaced_while_the_workspace_loads(tmp_path, monkeypatch):
    root = plans_named(tmp_path / "ws", ["ALPHA", "BETA"])
    release = hold_the_load(monkeypatch)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await pilot.pause()
            assert app.ws is None  # still loading
            table = app.query_one(ProgressPane)
            header = "".join(s.text for s in table.render_line(0))
            assert header.split() == list(ProgressPane.COLUMNS), header
        finally:
            release.set()
        await loaded(pilot)
        header = "".join(s.text for s in table.render_line(0))
        assert header.split() == list(ProgressPane.COLUMNS), header


async def test_the_progress_table_follows_the_plan_selected_in_the_tree(tmp_path):
    names = [f"P{i:03d}" for i in range(40)]
    root = plans_named(tmp_path / "ws", names)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        table = app.query_one(ProgressPane)
        tree.select_path("P035")
        assert await wait_for(pilot, lambda: app.selected.plan == "P035", 3)
        await pilot.pause()
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "P035"
        top = table.scroll_offset.y
        row = table.cursor_row + 1  # the header line
        assert top <= row < top + table.scrollable_content_region.height


# -- "view: expand all plans" on many plans: in steps, cancellable, live updates meanwhile --
def sixty_plans(root: Path) -> Path:
    """60 plans of 5 achievements: several steps of ``EXPAND_STEP`` (lowered in the tests)."""
    five = [(f"1.{k}", f"Step {k}") for k in range(1, 6)]
    return make_workspace(
        root,
        {
            f"work-space/plans/P{i:02d}/PLAN_P{i:02d}.md": plan_md(f"P{i:02d}", five)
            for i in range(60)
        },
    )


def expanded_and_filled(tree: PlanTree) -> bool:
    return all(
        node.is_expanded and tree._filled.get(name) is tree._plans[name]
        for name, node in tree._plan_nodes.items()
    )


def filler_running(app) -> bool:
    return any(w.group == "expand" and w.is_running for w in app.workers)


@contextlib.contextmanager
def held_filler(monkeypatch):
    """Hold "expand all" between its steps until the returned event is set."""
    import asyncio

    release, waiting = asyncio.Event(), asyncio.Event()

    async def held(self) -> None:
        waiting.set()
        await release.wait()

    monkeypatch.setattr(PlanTree, "EXPAND_STEP", 12, raising=False)  # two plans a step
    monkeypatch.setattr(PlanTree, "_between_steps", held, raising=False)
    yield release, waiting
    release.set()


async def expand_all(app) -> None:
    commands = {c.title: c for c in app.get_system_commands(app.screen)}
    commands["view: expand all plans"].callback()


async def test_expand_all_fills_in_steps_and_keys_work_meanwhile(tmp_path, monkeypatch):
    root = sixty_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await pilot.press(*"j" * 11)
        assert tree.cursor_node.data == NodeRef("plan", plan="P10")
        row = tree.cursor_line - tree.scroll_offset.y
        monkeypatch.setattr(PlanTree, "EXPAND_STEP", 12, raising=False)  # two plans a step
        expanded_when_pressed = []
        down = tree.action_cursor_down

        def spy() -> None:
            expanded_when_pressed.append(sum(n.is_expanded for n in tree._plan_nodes.values()))
            down()

        monkeypatch.setattr(tree, "action_cursor_down", spy)
        await expand_all(app)
        await pilot.press("j")
        # Handled between two steps: the plans on screen were expanded, the rest were not.
        assert 0 < expanded_when_pressed[0] < 60
        await settled(app)
        await pilot.pause()
        assert expanded_and_filled(tree) and not filler_running(app)
        assert all(len(achievement_nodes(node)) == 5 for node in tree._plan_nodes.values())
        # The j landed on P10's first achievement (expanded at once, being on screen), and
        # the cursor kept its place on screen while lines were added above it.
        ref = NodeRef("achievement", plan="P10", achievement="1.1")
        assert tree.cursor_node.data == ref and app.selected == ref
        assert tree.cursor_line - tree.scroll_offset.y == row + 1


async def test_collapse_all_stops_a_running_expand_all(tmp_path, monkeypatch):
    root = sixty_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        with held_filler(monkeypatch) as (release, waiting):
            await expand_all(app)
            await expand_all(app)  # a second one replaces the first
            await pilot.pause()
            assert waiting.is_set()
            assert sum(w.group == "expand" and w.is_running for w in app.workers) == 1
            commands = {c.title: c for c in app.get_system_commands(app.screen)}
            commands["view: collapse all plans"].callback()
            release.set()
            assert await wait_for(pilot, lambda: not filler_running(app))
            await pilot.pause()
        assert not filler_running(app)
        assert not any(node.is_expanded for node in tree._plan_nodes.values())


async def test_a_live_update_during_expand_all_ends_in_the_new_state(tmp_path, monkeypatch):
    root = sixty_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.pause(0.3)  # the watcher is up
        tree = app.query_one(PlanTree)
        seven = [(f"1.{k}", f"Step {k}") for k in range(1, 8)]

        def edit() -> None:  # one plan on screen and one not yet filled change; one goes
            for name in ("P01", "P50"):
                (root / f"work-space/plans/{name}/PLAN_{name}.md").write_text(plan_md(name, seven))
            (root / "work-space/plans/P55/PLAN_P55.md").unlink(missing_ok=True)

        with held_filler(monkeypatch) as (release, waiting):
            await expand_all(app)
            await pilot.pause()
            assert waiting.is_set() and not tree._plan_nodes["P50"].is_expanded
            edit()
            assert await wait_for(pilot, lambda: "P55" not in tree._plan_nodes, again=edit)
            assert filler_running(app)  # the update landed while the filler waited
            release.set()
            await settled(app)
        await pilot.pause()
        assert expanded_and_filled(tree) and len(tree._plan_nodes) == 59
        assert len(achievement_nodes(tree._plan_nodes["P01"])) == 7
        assert len(achievement_nodes(tree._plan_nodes["P50"])) == 7
        assert len(achievement_nodes(tree._plan_nodes["P49"])) == 5


async def test_collapse_all_moves_a_cursor_inside_a_plan_to_the_plan(tmp_path):
    root = sixty_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await expand_all(app)
        await settled(app)
        tree.select_path("P50", "1.3")
        await pilot.pause()
        row = tree.cursor_line - tree.scroll_offset.y
        assert 0 <= row < tree.scrollable_content_region.height
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["view: collapse all plans"].callback()
        await pilot.pause()
        assert not any(node.is_expanded for node in tree._plan_nodes.values())
        assert tree.cursor_node.data == NodeRef("plan", plan="P50")
        assert app.selected == NodeRef("plan", plan="P50")
        assert tree.cursor_line - tree.scroll_offset.y == row  # the plan where the cursor was


async def plan_added_first(pilot, root: Path, shown) -> bool:
    """Write a plan whose name sorts first (A-FIRST) and wait until ``shown()``."""

    def add() -> None:
        write(root, "work-space/plans/A-FIRST/PLAN_A-FIRST.md", plan_md("A-FIRST"))

    add()
    return await wait_for(pilot, shown, again=add)


async def test_a_plan_added_above_keeps_the_cursor_row_on_screen(tmp_path):
    root = sixty_plans(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        height = tree.scrollable_content_region.height
        await pilot.press(*"j" * (height - 1))  # the last row on screen
        cursor = tree.cursor_node
        row = tree.cursor_line - tree.scroll_offset.y
        assert row == height - 1
        await pilot.pause(0.3)  # the watcher is up

        assert await plan_added_first(pilot, root, lambda: "A-FIRST" in tree._plan_nodes)
        await pilot.pause()
        # The new plan sorts first, one line above: the highlighted plan stays where it was.
        assert tree.cursor_node is cursor and app.selected == cursor.data
        assert tree.cursor_line - tree.scroll_offset.y == row


async def test_a_plans_own_documents_are_under_it_after_its_achievements(tmp_path):
    root = small_workspace(tmp_path / "ws")
    write(root, "work-space/plans/X/parallel.json", '{"achievements": []}')
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await pilot.press("j", "enter", "j")  # X, expanded: j still lands on 1.1
        assert app.selected == NodeRef("achievement", plan="X", achievement="1.1")
        node = tree._plan_nodes["X"]
        assert [str(c.label) for c in node.children[-2:]] == [
            "PLAN PLAN_X.md",
            "parallel parallel.json",
        ]
        tree.goto(node.children[-2])
        await pilot.pause()
        await settled(app)
        await pilot.pause()
        assert app.selected == NodeRef("file", plan="X", path=PLAN)
        assert app.query_one(PromptPreview).text.startswith("# PLAN: X")
        assert app.selected_file() == PLAN  # e edits the PLAN


async def test_markdown_toggle_keeps_the_reading_position(tmp_path):
    many = [(f"{p}.{k}", f"Achievement number {p}.{k}") for p in range(1, 5) for k in range(1, 9)]
    root = make_workspace(tmp_path / "ws", {PLAN: plan_md("X", many)})
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        await pilot.press("j", "enter")
        tree.select_path("X", None, PLAN)  # the PLAN's own text
        await settled(app)
        await pilot.pause()
        preview = app.query_one(PromptPreview)
        area = preview.query_one("#preview-text")
        area.scroll_end(animate=False)
        await pilot.pause()
        assert area.scroll_y > 0
        await pilot.press("m")
        md = preview.query_one("#preview-md-scroll")
        assert await wait_for(pilot, lambda: md.max_scroll_y and md.scroll_y > md.max_scroll_y / 2)
        await pilot.press("m")
        assert await wait_for(pilot, lambda: area.scroll_y > area.max_scroll_y / 2)


# -- the progress table keeps the highlighted plan at its screen row on live updates --
def highlighted(table: ProgressPane) -> tuple[str, int]:
    """The highlighted plan and its row on screen (row index minus the scroll)."""
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return key, table.cursor_row - table.scroll_offset.y


async def table_scrolled_to_a_middle_row(pilot) -> ProgressPane:
    """Focus the progress table, scroll it down and put the cursor mid-screen (scrolling to
    the cursor alone would leave it at the bottom, where it ends up anyway)."""
    table = pilot.app.query_one(ProgressPane)
    table.focus()
    height = table.scrollable_content_region.height - 1  # the header line
    await pilot.press(*"j" * (height + 4), *"k" * (height // 2))
    assert table.scroll_offset.y > 0
    assert 0 < table.cursor_row - table.scroll_offset.y < height - 1
    return table


async def test_a_plan_added_above_keeps_the_progress_rows_highlight_on_screen(tmp_path):
    root = plans_named(tmp_path / "ws", [f"P{i:02d}" for i in range(40)])
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = await table_scrolled_to_a_middle_row(pilot)
        before, top = highlighted(table), table.scroll_offset.y
        await pilot.pause(0.3)  # the watcher is up

        assert await plan_added_first(pilot, root, lambda: "A-FIRST" in table.rows)
        await pilot.pause()
        assert table.ordered_rows[0].key.value == "A-FIRST"
        # One row more above: the view moved down by one, the highlighted plan did not move.
        assert highlighted(table) == before
        assert table.scroll_offset.y == top + 1
        assert table.has_focus


async def test_a_plan_removed_above_keeps_the_progress_rows_highlight_on_screen(tmp_path):
    import shutil

    root = plans_named(tmp_path / "ws", [f"P{i:02d}" for i in range(40)])
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = await table_scrolled_to_a_middle_row(pilot)
        before, top = highlighted(table), table.scroll_offset.y
        await pilot.pause(0.3)  # the watcher is up

        def remove(name: str) -> None:
            shutil.rmtree(root / f"work-space/plans/{name}", ignore_errors=True)

        remove("P01")
        assert await wait_for(pilot, lambda: "P01" not in table.rows, again=lambda: remove("P01"))
        await pilot.pause()
        assert highlighted(table) == before
        assert table.scroll_offset.y == top - 1

        # The highlighted plan itself goes: the next one takes its place, at the same row.
        name, row = before
        following = table.ordered_rows[table.cursor_row + 1].key.value
        remove(name)
        assert await wait_for(pilot, lambda: name not in table.rows, again=lambda: remove(name))
        await pilot.pause()
        assert highlighted(table) == (following, row)


async def approved_live(pilot, root: Path) -> bool:
    """Write APPROVED_11.md for plan X and wait until the app shows 1.1 approved."""
    fb = root / "work-space/plans/X/execution/feedbacks"
    fb.mkdir(parents=True)
    approve = (fb / "APPROVED_11.md").write_text
    approve("ok")
    return await wait_for(
        pilot,
        lambda: pilot.app.ws.plan("X").achievement("1.1").state == "approved",
        again=lambda: approve("ok"),
    )


async def test_the_watcher_runs_in_a_child_process_that_ends_with_the_app(tmp_path):
    # Setting up inotify watches holds the GIL (0.3 s on a big tree): a child does it, and
    # quitting the app leaves no process behind.
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert await wait_for(pilot, lambda: getattr(app, "_watch_proc", None) is not None)
        child = app._watch_proc
        assert child.poll() is None  # running
        assert await approved_live(pilot, root)
        # The activity log says which file came and what it changed.
        assert any(
            "work-space/plans/X/execution/feedbacks/APPROVED_11.md" in line
            and "X 0/2 → 1/2" in line
            for line in app.activity
        )
    child.wait(timeout=5)  # it left with the app


async def test_without_a_watcher_process_the_app_watches_itself(tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    root = small_workspace(tmp_path / "ws")
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.pause(0.3)
        assert await approved_live(pilot, root)
        assert getattr(app, "_watch_proc", None) is None


async def test_edit_on_an_achievement_without_documents_opens_its_definition(tmp_path, monkeypatch):
    root = small_workspace(tmp_path / "ws")
    app, calls = app_with_editor(root, "vim", monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "j", "e")  # 1.2: no SUBPLAN → the PLAN, at 1.2
        line = app.ws.plan("X").achievement("1.2").line
        assert line > 1
        assert calls == [["vim", f"+{line}", str(root / PLAN)]]
    assert app_main.editor_argv(["code", "-w"], "/p.md", 7) == ["code", "-w", "-g", "/p.md:7"]
    assert app_main.editor_argv(["myeditor"], "/p.md", 7) == ["myeditor", "/p.md"]


async def test_keys_typed_before_the_plans_show_move_the_cursor_once_they_do(tmp_path, monkeypatch):
    # Right after a start, before the tree has anything to move over: j j is not lost.
    root = plans_named(tmp_path / "ws", ["ALPHA", "BETA", "GAMMA"])
    release = hold_the_load(monkeypatch)
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await pilot.pause()
            assert app.ws is None  # still loading
            await pilot.press("j", "j", "j", "k")
        finally:
            release.set()
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        assert tree.has_focus
        assert tree.cursor_node is not None and tree.cursor_node.data == NodeRef("plan", "BETA")
