"""The app driven with Textual's Pilot: every binding, live reload, and SVG snapshots."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from wsbuilder import archived_work_workspace, execution_md, make_workspace, plan_md, subplan_md

from llmflow_tui.app.main import LlmflowApp
from llmflow_tui.app.panes import (
    DependencyView,
    NodeRef,
    PlanTree,
    ProgressPane,
    PromptPreview,
)
from llmflow_tui.app.screens import HelpScreen, LogScreen, ProblemsScreen, SaveModal

DEMO = Path(__file__).resolve().parents[2] / "llmflow_tui" / "demo"
NOW = time.mktime((2026, 11, 24, 12, 0, 0, 0, 0, -1))


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("LLMFLOW_POLL", raising=False)


def demo_app(**kw) -> LlmflowApp:
    kw.setdefault("watch", False)
    return LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", **kw)


async def settled(app) -> None:
    """Wait for every worker but the file watcher (which runs until the app exits)."""
    busy = [w for w in app.workers if w.group != "watch"]
    if busy:  # an empty list would mean "all workers" to wait_for_complete
        await app.workers.wait_for_complete(busy)


async def loaded(pilot) -> None:
    app = pilot.app
    for _ in range(400):
        await pilot.pause()
        if app.ws is not None:
            break
    await settled(app)
    await pilot.pause()


def labels(tree: PlanTree) -> list[str]:
    out = []

    def walk(node):
        out.append(str(node.label))
        for child in node.children:
            walk(child)

    walk(tree.root)
    return out


async def test_tree_shows_groups_plans_and_states():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        text = labels(app.query_one(PlanTree))
        assert any("API-GATEWAY  1/6" in t for t in text)
        assert any("▣ paused" in t for t in text)
        assert any("AUTH" in t and "fix:2" in t and "stale:1" in t for t in text)
        assert any("[orphan]" in t for t in text)
        # ONBOARDING is complete by its documents only: its group says so apart.
        assert "▣ real-use-cases  0/1 complete · 1 ✔?" in text
        assert any("PLATFORM" in t and "3 plans" in t for t in text)
        rows = app.query_one(ProgressPane).row_count
        assert rows == len(app.ws.plans) == 7


async def test_navigation_expands_plan_and_shows_reason_and_brief():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter")  # API-GATEWAY, expanded lazily
        await pilot.press("j", "j")  # 1.1, 2.1
        assert app.selected.kind == "achievement" and app.selected.achievement == "2.1"
        details = str(app.query_one("#details").render())
        assert "executing" in details and "1/3 executions complete" in details
        preview = app.query_one(PromptPreview)
        assert "# Achievement 2.1: Rate limiting" in preview.text
        assert "Continue the open EXECUTION_TASK" in preview.text
        deps = str(app.query_one(DependencyView).text)
        assert "wave 1" in deps and "critical path" in deps
        # Arrow keys work like j/k.
        await pilot.press("down")
        assert app.selected.achievement == "2.2"
        assert "awaiting_review" in str(app.query_one("#details").render())


async def test_the_critical_path_never_waits_for_its_import(monkeypatch):
    from llmflow_tui.app import graph

    # As right after a start: networkx not imported yet. Selecting a plan must not import
    # it on the UI thread (that held the first key up); the path shows once it is there.
    monkeypatch.setattr(graph, "_networkx", type(graph._networkx)())
    monkeypatch.setattr(LlmflowApp, "_warm_imports", lambda self: None)
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j")  # API-GATEWAY
        await settled(app)
        deps = str(app.query_one(DependencyView).text)
        assert "critical path: working it out" in deps and "★" not in deps
        graph.import_networkx()
        from llmflow_tui.app.main import ImportsWarmed

        app.post_message(ImportsWarmed())
        await settled(app)
        await pilot.pause()
        deps = str(app.query_one(DependencyView).text)
        assert "critical path ★ 2.1 → 3.1" in deps


async def test_a_rendered_brief_keeps_one_line_per_key():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "j")  # API-GATEWAY 2.1
        await settled(app)
        await pilot.press("m")
        await pilot.pause()
        md = app.query_one("#preview-md")
        first = next(w for w in md.query("MarkdownParagraph"))
        plain = first._content.plain
        assert "Plan: API-GATEWAY" in plain
        assert "\nState: executing" in plain and "\nEffort: 3-4 hours" in plain


async def test_file_node_previews_the_document_text():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "enter", "j")  # 1.1 → its SUBPLAN
        await settled(app)
        await pilot.pause()
        assert app.selected.kind == "file"
        assert app.query_one(PromptPreview).text.startswith("# SUBPLAN: Routing core")
        # Markdown toggle renders it; a second press returns to raw text.
        await pilot.press("m")
        assert app.query_one(PromptPreview).rendered
        await pilot.press("m")
        assert not app.query_one(PromptPreview).rendered


async def test_filter_by_state_and_flag():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        await pilot.press(*"stale")
        await pilot.pause()
        text = labels(app.query_one(PlanTree))
        assert any("AUTH" in t for t in text)
        assert not any("BILLING" in t for t in text)
        assert [k.value for k in app.query_one(ProgressPane).rows] == ["AUTH"]
        summary = app.query_one(PromptPreview).text  # the workspace's, for what is shown
        assert "Filtered: 1 plan shown." in summary
        assert "- AUTH: " in summary and "- API-GATEWAY: " not in summary
        await pilot.press("escape")
        await pilot.pause()
        assert any("BILLING" in t for t in labels(app.query_one(PlanTree)))
        # The tree's badges filter too.
        await pilot.press("slash", *"orphan")
        await pilot.pause()
        assert [k.value for k in app.query_one(ProgressPane).rows] == ["LEGACY-EXPORT"]


async def test_workspace_dependency_view_shows_plan_waves_and_follows_the_filter():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        deps = app.query_one(DependencyView)
        text = str(deps.text)
        # GRAMMAPLAN_PLATFORM: BILLING depends on AUTH (its "Depends on" column).
        assert "◆ PLATFORM" in text
        assert "done: BILLING" in text  # BILLING is complete: not waiting on anything
        assert "ready now: 2 plans at once" in text
        await pilot.press("slash", *"stale")
        await pilot.pause(0.3)  # the filter is debounced
        await settled(app)
        text = str(deps.text)
        assert "filter: 1 of" in text
        assert "AUTH" in text and "API-GATEWAY" not in text


async def test_problems_help_log_screens():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        assert app.screen.problems[0].severity == "error"
        assert "unknown achievement 4.1" in app.screen.problems[0].message
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {"quit", "reload", "filter", "edit", "copy", "save", "problems", "log"} <= ids
        await pilot.press("escape")
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen)
        assert any("start: 6 plans, 1 orphan feature" in line for line in app.screen.lines)
        await pilot.press("escape")
        assert not isinstance(app.screen, LogScreen)


async def test_problem_list_moves_and_shows_the_whole_problem():
    from textual.widgets import Static

    from llmflow_tui.app.screens import ProblemList

    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("p")
        problems = app.screen.problems
        listing = app.screen.query_one(ProblemList)
        detail = app.screen.query_one("#problem-detail", Static)
        await pilot.press("end")
        await pilot.pause()
        assert listing.cursor == len(problems) - 1
        # The detail line holds what a cut list line may hide: the full path and message.
        assert problems[-1].message in str(detail.render())
        assert problems[-1].path in str(detail.render())
        await pilot.press("home", "j")
        await pilot.pause()
        assert listing.cursor == 1 and problems[1].message in str(detail.render())
        await pilot.press("k", "k")  # never above the first
        assert listing.cursor == 0


async def test_problem_enter_jumps_to_its_file():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("p", "enter")  # the first: an error in API-GATEWAY's parallel.json
        await pilot.pause()
        path = "work-space/plans/API-GATEWAY/parallel.json"
        assert app.selected == NodeRef("file", plan="API-GATEWAY", path=path)


async def test_copy_and_save_preview(tmp_path):
    root = make_workspace(
        tmp_path / "ws", {"work-space/plans/X/PLAN_X.md": plan_md("X", [("1.1", "Only")])}
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j")
        await pilot.press("c")
        assert app.clipboard.startswith("# X:")
        await pilot.press("s")
        assert isinstance(app.screen, SaveModal)
        await pilot.press("enter")
        await pilot.pause()
        saved = root / ".llmflow/saved/X.md"
        assert saved.read_text() == app.clipboard
        # Saving again never overwrites.
        saved.write_text("mine")
        await pilot.press("s", "enter")
        await pilot.pause()
        assert saved.read_text() == "mine"
        # A path typed in the dialog keeps its slashes ("/" is the filter key elsewhere).
        await pilot.press("s")
        from textual.widgets import Input

        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*"notes/x.md", "enter")
        await pilot.pause()
        assert (root / "notes/x.md").read_text() == app.clipboard


async def test_reload_key_picks_up_changes_without_watcher(tmp_path):
    root = make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/X/PLAN_X.md": plan_md("X", [("1.1", "Only")]),
            "work-space/plans/X/subplans/SUBPLAN_X_11.md": subplan_md("X", "1.1"),
        },
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert app.ws.plan("X").achievement("1.1").state == "subplan_ready"
        (root / "work-space/plans/X/execution/feedbacks").mkdir(parents=True)
        (root / "work-space/plans/X/execution/feedbacks/APPROVED_11.md").write_text("ok")
        await pilot.press("r")
        await settled(app)
        await pilot.pause()
        assert app.ws.plan("X").state == "complete"
        assert any(n.message.startswith("Reloaded: 1 plan") for n in app._notifications)


async def wait_for(pilot, predicate, seconds: float = 10.0, again=None) -> bool:
    """Poll the app until ``predicate()``; ``again`` repeats an idempotent file change every
    2 s in case it happened before the watcher was up on a busy machine."""
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


async def test_live_reload_keeps_selection(tmp_path):
    root = make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/X/PLAN_X.md": plan_md("X", [("1.1", "One"), ("1.2", "Two")]),
            "work-space/plans/X/execution/EXECUTION_TASK_X_11_01.md": execution_md(
                "X", "1.1", final_status="✅ Complete"
            ),
        },
    )
    app = LlmflowApp(root, watch=True, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter", "j")
        assert app.selected.achievement == "1.1"
        await pilot.pause(0.5)  # let the watcher start
        fb = root / "work-space/plans/X/execution/feedbacks"
        fb.mkdir(parents=True)
        (fb / "APPROVED_11.md").write_text("ok")

        def approved() -> bool:
            return app.ws.plan("X").achievement("1.1").state == "approved"

        assert await wait_for(pilot, approved, again=lambda: (fb / "APPROVED_11.md").touch())
        assert app.selected.achievement == "1.1"
        assert any("✔ 1.1 One" in t for t in labels(app.query_one(PlanTree)))

        # A new plan folder appears too, and a deletion disappears.
        def add() -> None:
            make_workspace(root, {"work-space/plans/NEW/PLAN_NEW.md": plan_md("NEW")})

        add()
        assert await wait_for(pilot, lambda: app.ws.plan("NEW") is not None, again=add)
        shutil.rmtree(root / "work-space/plans/NEW")
        assert await wait_for(pilot, lambda: app.ws.plan("NEW") is None)


async def test_narrow_layout_switches_panes():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.screen.has_class("narrow")
        assert app.query_one("#progress").has_class("hidden")
        await pilot.press("1")
        assert not app.query_one("#progress").has_class("hidden")
        assert app.query_one("#preview").has_class("hidden")
        # The progress table takes the whole width; enter on a row goes to that plan.
        assert app.query_one(PlanTree).has_class("hidden")
        assert app.query_one(ProgressPane).has_focus
        await pilot.press("j", "enter")
        await pilot.pause()
        assert not app.query_one(PlanTree).has_class("hidden")
        assert app.query_one(PlanTree).has_focus
        assert app.selected.kind == "plan" and app.selected.plan == "AUTH"
        assert not app.query_one("#preview").has_class("hidden")
        # 2 and 3 switch the right-hand pane beside the tree.
        await pilot.press("2")
        assert not app.query_one("#deps").has_class("hidden")
        assert app.query_one("#preview").has_class("hidden")
        await pilot.press("3")
        assert not app.query_one("#preview").has_class("hidden")
        assert app.query_one("#deps").has_class("hidden")
        assert not app.query_one(PlanTree).has_class("hidden")


async def test_command_palette_lists_namespaced_actions():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "workspace: reload" in titles and "view: problems" in titles


async def test_user_keymap_from_workspace_config(tmp_path):
    root = make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/X/PLAN_X.md": plan_md("X"),
            ".llmflow/config.toml": '[keys]\nproblems = "f2"\n',
        },
    )
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("f2")
        assert isinstance(app.screen, ProblemsScreen)


# -- SVG snapshots ------------------------------------------------------------------------


async def _settle(pilot) -> None:
    await loaded(pilot)


def test_snapshot_main_120x40(snap_compare):
    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=_settle)


def test_snapshot_achievement_120x40(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "j")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=before)


def test_snapshot_main_80x24(snap_compare):
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=_settle)


def test_snapshot_problems_120x40(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=before)


def test_snapshot_help_80x24(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=before)


def test_snapshot_help_120x40(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=before)


def test_snapshot_problems_80x24(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=before)


def _open_log(size):
    async def before(pilot):
        await loaded(pilot)
        # Clock times and durations vary from run to run.
        pilot.app.activity[:] = [
            re.sub(r"in \d+ ms", "in 9 ms", "12:00:00" + line[8:]) for line in pilot.app.activity
        ]
        await pilot.press("l")
        await pilot.pause()

    return before


def test_snapshot_log_120x40(snap_compare):
    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=_open_log((120, 40)))


def test_snapshot_log_80x24(snap_compare):
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=_open_log((80, 24)))


def test_snapshot_dependencies_80x24(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "j", "2")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=before)


def test_snapshot_rendered_document_120x40(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("j", "enter", "j", "enter", "j")  # 1.1 → its SUBPLAN
        await settled(pilot.app)
        await pilot.press("m")
        await pilot.pause(0.2)

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=before)


def test_snapshot_filter_120x40(snap_compare):
    async def before(pilot):
        await loaded(pilot)
        await pilot.press("slash", *"needs_fix")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=before)


async def test_a_failed_reload_is_shown_not_swallowed(tmp_path):
    root = make_workspace(tmp_path / "ws", {"work-space/plans/X/PLAN_X.md": plan_md("X")})
    app = LlmflowApp(root, watch=False, now=NOW, cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        shutil.rmtree(root)
        await pilot.press("r")
        await settled(app)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("load_workspace failed" in m and "not a folder" in m for m in messages)
        # The last good snapshot stays on screen.
        assert app.ws.plan("X") is not None


async def test_plan_dependency_view_names_the_plans_it_waits_for_and_that_wait_for_it():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        tree.select_path("AUTH")
        await settled(app)
        await pilot.pause()
        text = str(app.query_one(DependencyView).text)
        assert "◆ PLATFORM: BILLING (complete) waits for it" in text
        tree.select_path("BILLING")
        await settled(app)
        await pilot.pause()
        text = str(app.query_one(DependencyView).text)
        assert "◆ PLATFORM: waits for AUTH (needs attention)" in text


async def test_keys_typed_right_after_slash_go_to_the_filter():
    from textual import events
    from textual.widgets import Input

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        # All queued at once, as a fast typist, a paste or a busy start delivers them.
        for key, char in [("slash", "/"), ("A", "A"), ("U", "U"), ("T", "T"), ("H", "H")]:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        await settled(app)
        assert app.query_one("#filter", Input).value == "AUTH"
        # A "/" typed into the filter is text, not the filter key again.
        await pilot.press("slash")
        assert app.query_one("#filter", Input).value == "AUTH/"


async def test_the_workspace_view_counts_archived_plans_and_orphans_apart(tmp_path):
    # Archived plans are history: their unfinished achievements are not "ready now", and
    # they, like orphan features, are not counted as the workspace's plans.
    make_workspace(
        tmp_path,
        {
            "work-space/plans/LIVE/PLAN_LIVE.md": plan_md("LIVE", [("1.1", "One")]),
            "documentation/archive/old-nov2025/PLAN_OLD.md": plan_md("OLD", [("1.1", "Old")]),
            "work-space/execution/EXECUTION_TASK_LOST_11_01.md": execution_md("LOST", "1.1"),
        },
    )
    app = LlmflowApp(tmp_path, now=NOW, cache=False, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        summary = app.query_one(PromptPreview).text
        assert "## Ready now (across plans): 1 plan\n" in summary
        assert "- LIVE: 1.1" in summary and "OLD" not in summary.split("Ready now")[1]
        deps = str(app.query_one(DependencyView).text)
        assert "▣ plans: 1 plan, 0 in progress" in deps
        assert "▣ archived: 1 plan" in deps
        assert "▣ orphans: 1 orphan feature, 1 in progress" in deps


async def test_an_achievement_whose_work_was_archived_says_so(tmp_path):
    # Archived work is not counted (FORMAT: shown, never live work), but the tree says it is
    # there: a paused plan whose finished achievements were archived is not "untouched".
    archived_work_workspace(tmp_path)
    app = LlmflowApp(tmp_path, now=NOW, cache=False, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("j", "enter")
        text = labels(app.query_one(PlanTree))
        assert any(t.startswith("· 1.1 One") and t.endswith("archived (done)") for t in text)
        assert any(t == "· 1.2 Two" for t in text)


async def test_a_binary_or_control_character_file_is_not_dumped_into_the_preview(tmp_path):
    # Raw bytes would reach the terminal: escape sequences move its cursor and smear panes.
    make_workspace(
        tmp_path,
        {
            "work-space/plans/FOO/PLAN_FOO.md": plan_md("FOO", [("1.1", "One"), ("1.2", "Two")]),
            "work-space/plans/FOO/subplans/SUBPLAN_FOO_11.md": b"\x89PNG\x00\x1b[2J\xff" * 50,
            "work-space/plans/FOO/subplans/SUBPLAN_FOO_12.md": "# SUBPLAN\n\nred \x1b[31mtext\r\n",
        },
    )
    app = LlmflowApp(tmp_path, now=NOW, cache=False, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        preview = app.query_one(PromptPreview)
        tree.select_path("FOO", "1.1", "work-space/plans/FOO/subplans/SUBPLAN_FOO_11.md")
        await settled(app)
        await pilot.pause()
        assert preview.text.startswith("work-space/plans/FOO/subplans/SUBPLAN_FOO_11.md is a")
        assert "binary file" in preview.text and "\x1b" not in preview.text
        tree.select_path("FOO", "1.2", "work-space/plans/FOO/subplans/SUBPLAN_FOO_12.md")
        await settled(app)
        await pilot.pause()
        assert "red \ufffd[31mtext" in preview.text and "\x1b" not in preview.text


async def test_a_plan_complete_by_its_documents_offers_nothing_to_start_or_estimate(tmp_path):
    # "Complete (unverified)": no ready count, no ETA in hours, not under "Ready now"; and a
    # critical path through achievements without an Effort gets no made-up duration.
    no_effort = (
        "# PLAN: Bare\n\n**Status**: Active\n\n## 🎯 Desirable Achievements\n\n"
        "**Achievement 1.1**: One\n\n**Achievement 1.2**: Two\n- **Dependencies**: 1.1\n"
    )
    make_workspace(
        tmp_path,
        {
            "work-space/plans/OLD/PLAN_OLD.md": plan_md("OLD", status="✅ Complete"),
            "work-space/plans/OLD/execution/EXECUTION_TASK_OLD_11_01.md": execution_md(
                "OLD", "1.1", status="✅ Complete"
            ),
            "work-space/plans/BARE/PLAN_BARE.md": no_effort,
        },
    )
    app = LlmflowApp(tmp_path, now=NOW, cache=False, watch=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        assert app.ws.plan("OLD").state == "complete_unverified"
        table = app.query_one(ProgressPane)
        row = [str(c) for c in table.get_row("OLD")]
        assert row[2] == "—" and row[-1] == "done?"
        summary = app.query_one(PromptPreview).text
        assert "- BARE: 1.1" in summary and "- OLD:" not in summary
        app.query_one(PlanTree).select_path("BARE")
        await settled(app)
        await pilot.pause()
        deps = app.query_one(DependencyView).text
        assert "critical path ★ 1.1 → 1.2" in deps and "≈" not in deps
