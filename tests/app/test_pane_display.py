"""What each pane shows at the sizes users run it: tree labels and progress names fitted to
the width, the dependency view scrollable, a visible focus on every pane."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual import events
from wsbuilder import execution_md, make_workspace, plan_md, plans_named

from llmflow_tui.app.main import LlmflowApp
from llmflow_tui.app.panes import DependencyView, PlanTree, ProgressPane

from .test_app import loaded

NOW = time.mktime((2026, 11, 24, 12, 0, 0, 0, 0, -1))
DEMO = Path(__file__).resolve().parents[2] / "llmflow_tui" / "demo"
LONG = ["ENTITY-RESOLUTION-REFACTOR", "GRAPHRAG-OBSERVABILITY-VALIDATION", "GRAPHRAG-PIPELINE"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("LLMFLOW_POLL", raising=False)


def long_names_ws(tmp_path):
    many = [(f"{i}.{j}", f"Step {i}.{j}") for i in range(1, 6) for j in range(1, 6)]
    files = {
        f"work-space/plans/{n}/PLAN_{n}.md": plan_md(n, many + [("6.1", "Last")]) for n in LONG
    }
    # Every execution done, nothing reviewed, no status header: "✔?", a two-cell icon.
    done = "GRAPHRAG-OBSERVABILITY-EXCELLENCE"
    plan = plan_md(done, [("1.1", "A")], status="").replace("**Status**:   \n", "")
    files[f"work-space/plans/{done}/PLAN_{done}.md"] = plan
    files[f"work-space/plans/{done}/execution/EXECUTION_TASK_{done}_11_01.md"] = execution_md(
        done, "1.1", status="✅ Complete"
    )
    return make_workspace(tmp_path / "ws", files)


def tree_line(tree: PlanTree, node) -> str:
    """The line ``node`` takes on screen, as the user reads it (guides included)."""
    strip = tree.render_line(node._line - round(tree.scroll_offset.y))
    return "".join(segment.text for segment in strip)[: tree.scrollable_content_region.width]


async def test_tree_labels_shorten_the_name_not_the_count(tmp_path):
    app = LlmflowApp(long_names_ws(tmp_path), watch=False, cache=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        for size in ((80, 24), (60, 24), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            for name in LONG:
                line = tree_line(tree, tree._plan_nodes[name])
                assert line.rstrip().endswith(" 0/26"), (size, line)
                assert name[:4] in line and name[-4:] in line, (size, line)
        # Where there is room the whole name shows.
        assert "GRAPHRAG-OBSERVABILITY-VALIDATION  0/26" in tree_line(
            tree, tree._plan_nodes["GRAPHRAG-OBSERVABILITY-VALIDATION"]
        )


async def test_progress_names_get_the_room_and_start_in_one_column(tmp_path):
    app = LlmflowApp(long_names_ws(tmp_path), watch=False, cache=False, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.query_one(ProgressPane)
        lines = ["".join(s.text for s in table.render_line(y)) for y in range(table.row_count + 1)]
        header, rows = lines[0], lines[1:]
        # Numeric columns as wide as their headers, one space apart.
        assert "ready run rev blkd fix stale ETA" in header, header
        names = {}
        for row in rows:
            icon, rest = row.split(maxsplit=1)
            names[row.index(rest)] = names.get(row.index(rest), []) + [rest.split(" ░")[0]]
        assert len(names) == 1, lines  # "✔?" and "●" rows alike
        shown = next(iter(names.values()))
        assert any(icon.startswith("✔?") for icon in (r.split()[0] for r in rows)), rows
        graphrag = [n for n in shown if n.startswith("GRAPHRAG")]
        assert len(graphrag) == 3 and len(set(graphrag)) == 3, shown
        assert all(len(n) >= 16 for n in shown), shown


async def test_dependency_view_scrolls_to_its_last_line():
    app = LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", watch=False)
    async with app.run_test(size=(120, 30)) as pilot:  # AUTH's view is taller than the pane
        await loaded(pilot)
        app.query_one(PlanTree).select_path("AUTH")
        await loaded(pilot)
        deps = app.query_one(DependencyView)
        assert "◆ PLATFORM: BILLING (complete) waits for it" in str(deps.text)
        assert deps.max_scroll_y > 0  # more than the pane shows
        for _ in range(4):  # tab reaches it
            if deps.has_focus:
                break
            await pilot.press("tab")
        assert deps.has_focus
        await pilot.press("end")
        await pilot.pause()
        body = deps.query_one("#deps-text")
        assert deps.scroll_y == deps.max_scroll_y
        # The last line is inside the window the pane shows.
        assert deps.scroll_y + deps.scrollable_content_region.height >= body.outer_size.height
        await pilot.press("k")
        await pilot.pause()
        assert deps.scroll_y == deps.max_scroll_y - 1


def pane_of(widget):
    """The main-screen pane ``widget`` is in (the preview's TextArea is in #preview)."""
    for node in widget.ancestors_with_self:
        if node.id in ("tree", "progress", "deps", "preview"):
            return node
    return None


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_focused_pane_shows_it_and_takes_keys(size):
    app = LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", watch=False)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        assert tree.has_focus
        focused_border = tree.styles.border_top
        seen = set()
        for _ in range(5):
            await pilot.press("tab")
            await pilot.pause()
            pane = pane_of(app.focused)
            assert pane is not None and pane.display, app.focused
            seen.add(pane.id)
            assert pane.styles.border_top == focused_border, pane.id
            others = [p for p in app.query("#tree, #progress, #deps, #preview") if p is not pane]
            assert all(p.styles.border_top != focused_border for p in others)
        wanted = {"tree", "progress", "deps", "preview"} if size[0] >= 100 else {"tree", "preview"}
        assert seen == wanted
        # At 80x24 the other pane tab reaches is the preview: j scrolls it.
        while pane_of(app.focused).id != "preview":
            await pilot.press("tab")
        text = app.query_one("#preview-text")
        assert text.max_scroll_y > 0
        await pilot.press("j", "j")
        await pilot.pause()
        assert text.scroll_y == 2


async def test_the_root_label_keeps_its_counts_in_a_narrow_tree(tmp_path):
    # A long workspace folder name gives way; the plans done and approved counts stay.
    root = long_names_ws(tmp_path).rename(tmp_path / "a-rather-long-checkout-folder-name-here")
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        line = tree_line(tree, tree.root).rstrip()
        assert line.endswith("0/4 done · 0/79 approved")
        assert line.startswith("▼ a-rat…here")  # the name, cut in the middle


async def test_a_wrapped_wave_line_keeps_the_lines_below_it(tmp_path):
    # A plan with as many lines as the one shown before, but one of them long enough to wrap:
    # the view must be measured again, or the lines below the wrap are cut off.
    many = [(f"{i}.{j}", f"Step {i}.{j}") for i in range(1, 8) for j in range(1, 5)]
    root = make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/LONG/PLAN_LONG.md": plan_md("LONG", many),
            "work-space/plans/SHORT/PLAN_SHORT.md": plan_md("SHORT"),
        },
    )
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree, view = app.query_one(PlanTree), app.query_one(DependencyView)
        for name in ("SHORT", "LONG"):
            tree.select_path(name)
            await loaded(pilot)
        assert view.text.plain.count("\n") == 3  # as many lines as SHORT's view
        body = view.query_one("#deps-text")
        shown = ["".join(s.text for s in body.render_line(y)) for y in range(body.size.height)]
        assert any("28 to start" in line for line in shown)
        assert shown[-1].startswith("ETA ")


def shown_rows(table: ProgressPane) -> list[str]:
    """The progress table's lines on screen (header first), as the user reads them."""
    height = table.scrollable_content_region.height
    return ["".join(s.text for s in table.render_line(y)).rstrip() for y in range(height)]


async def test_the_progress_pane_shows_every_plan_of_a_small_workspace():
    app = LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table, deps = app.query_one(ProgressPane), app.query_one(DependencyView)
        rows = shown_rows(table)
        assert rows[0].split()[:2] == ["plan", "progress"]
        names = [p.name for p in app.ws.plans]
        assert len(names) == table.row_count == 7
        for name in names:  # every plan on a line of its own, none scrolled out of view
            assert sum(name in row for row in rows[1:]) == 1, (name, rows)
        assert table.max_scroll_y == 0 and not table.show_vertical_scrollbar
        # No blank lines below the last row either: the panes below get them.
        assert len(rows) == table.row_count + 1
        # The workspace's dependency view, every line of it.
        body = deps.query_one("#deps-text")
        assert deps.max_scroll_y == 0 and not deps.show_vertical_scrollbar
        shown = ["".join(s.text for s in body.render_line(y)) for y in range(body.size.height)]
        assert deps.scrollable_content_region.height >= len(shown) == 10
        assert shown[-1].startswith("▣ orphans: 1 orphan feature")
        # Moving between plans does not move the panes: the view keeps its height.
        tree = app.query_one(PlanTree)
        heights = {deps.outer_size.height}
        for name in names:
            tree.select_path(name)
            await loaded(pilot)
            heights.add(deps.outer_size.height)
        assert len(heights) == 1, heights


async def test_a_big_workspace_scrolls_its_progress_pane_and_leaves_room_below(tmp_path):
    root = plans_named(tmp_path / "ws", [f"PLAN{i:02d}" for i in range(40)])
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.query_one(ProgressPane)
        deps, preview = app.query_one(DependencyView), app.query_one("#preview")
        rows = shown_rows(table)
        assert 8 <= len(rows) < 20 and table.max_scroll_y > 0, rows  # it scrolls
        assert table.show_vertical_scrollbar
        # The dependency view and the preview keep a usable height.
        assert deps.scrollable_content_region.height >= 6
        assert preview.outer_size.height >= 10


def screen_lines(tree: PlanTree) -> list[str]:
    """Every line the tree shows, as the user reads it."""
    height = tree.scrollable_content_region.height
    width = tree.scrollable_content_region.width
    return ["".join(s.text for s in tree.render_line(y))[:width].rstrip() for y in range(height)]


async def test_tree_labels_keep_their_end_in_a_narrow_tree():
    app = LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        for size in ((80, 24), (60, 24), (54, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            lines = screen_lines(tree)
            group = next(line for line in lines if "▣ r" in line)
            assert group.endswith(" 1 ✔?"), (size, group)
            orphan = next(line for line in lines if "0/1 [orphan]" in line)
            assert orphan.endswith(" 0/1 [orphan]"), (size, orphan)
            assert "● L" in orphan and "T  0/1" in orphan  # the name gave way, not the end
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "├ ▼ ▣ real-…cases  0/1 complete · 1 ✔?" in screen_lines(tree)
        # Documents under an achievement: the file name is cut in the middle, not its end.
        await pilot.press("j", "enter", "j", "enter")
        await pilot.pause()
        lines = screen_lines(tree)
        execution = next(line for line in lines if "EXEC 01 complete" in line)
        assert execution.endswith("_01.md") and "…" in execution, execution
        # Labels fit: nothing to scroll sideways to, no horizontal scrollbar.
        assert not tree.show_horizontal_scrollbar
        assert tree.max_scroll_x == 0


async def test_the_root_label_takes_a_short_form_before_losing_its_end(tmp_path):
    root = plans_named(tmp_path / "ws", [f"P{i:02d}" for i in range(40)])
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        assert screen_lines(tree)[0] == "▼ ws  0/40 done · 0/80 approved"
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert screen_lines(tree)[0] == "▼ ws  0/40 done · 0/80 ✔"
        await pilot.resize_terminal(44, 24)  # room for nothing more: the end says it is cut
        await pilot.pause()
        line = screen_lines(tree)[0]
        assert line.startswith("▼ ws  0/40") and line.endswith("…"), line


async def test_a_long_reason_ends_with_an_ellipsis_and_the_preview_has_it_whole():
    app = LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.query_one(PlanTree).select_path("AUTH", "2.1")
        await loaded(pilot)
        details = app.query_one("#details")
        lines = [
            "".join(s.text for s in details.render_line(y)).strip()
            for y in range(details.size.height)
        ]
        assert len(lines) == 2 and lines[0].startswith("AUTH 2.1: executing — "), lines
        assert lines[1].endswith("…"), lines  # it goes on
        # The preview's "Why" has every reason in full, file names included.
        preview = app.query_one("#preview-text").text
        why = preview.split("## Why", 1)[1].split("##", 1)[0]
        assert "stale: no activity for" in why and "EXECUTION_TASK_AUTH_21_01.md)" in why
        # A short reason is shown as it is.
        app.query_one(PlanTree).select_path("AUTH")
        await loaded(pilot)
        text = "".join(s.text for s in details.render_line(0)).strip()
        assert text == "AUTH: needs_attention — open FIX on 1.2, 1.3"
        assert "## Why\n\n- open FIX on 1.2, 1.3" in app.query_one("#preview-text").text


async def test_plans_with_nothing_to_start_do_not_say_done_or_ready(tmp_path):
    # A PLAN that could not be read has no achievements: nothing is "done" about it. A plan
    # complete by its documents (no reviews yet) has nothing to start, in every pane alike.
    root = make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/BROKEN/PLAN_BROKEN.md": b"\x00\x01binary\x00" * 50,
            "work-space/plans/OLD/PLAN_OLD.md": plan_md(
                "OLD", [("1.1", "A")], status="Complete", header=CHILD
            ),
            "work-space/plans/OLD/execution/EXECUTION_TASK_OLD_11_01.md": execution_md(
                "OLD", "1.1", final_status="✅ Complete"
            ),
            "work-space/GRAMMAPLAN_BIG.md": "# GRAMMAPLAN: Big\n",
        },
    )
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        broken = next(r for r in shown_rows(app.query_one(ProgressPane)) if "BROKEN" in r)
        assert broken.split()[-1] == "—", broken  # no ETA of "done" for an unread plan
        tree, deps = app.query_one(PlanTree), app.query_one(DependencyView)
        tree.select_path("BROKEN")
        await loaded(pilot)
        assert "no achievements read" in deps.text.plain
        assert "ETA done" not in deps.text.plain
        tree.select_path("OLD")
        await loaded(pilot)
        assert app.ws.plan("OLD").state == "complete_unverified"
        assert "ready now" not in deps.text.plain
        assert "nothing to start" in deps.text.plain
        lines = screen_lines(tree)
        assert any(line.endswith("grammaplan: 1 plan") for line in lines), lines


CHILD = "**Parent GrammaPlan**: GRAMMAPLAN_BIG.md"


async def test_a_burst_of_keys_scrolls_the_dependency_view_a_line_each(tmp_path):
    # A held key sends j's faster than the screen repaints: each one is a line.
    ids = [(f"{p}.{n}", f"Step {p}.{n}") for p in range(1, 9) for n in range(1, 6)]
    deps_of = {f"{p}.1": f"{p - 1}.5" for p in range(2, 9)}
    root = make_workspace(
        tmp_path / "ws", {"work-space/plans/LONG/PLAN_LONG.md": plan_md("LONG", ids, deps=deps_of)}
    )
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        app.query_one(PlanTree).select_path("LONG")
        await loaded(pilot)
        deps = app.query_one(DependencyView)
        deps.focus()
        await pilot.pause()
        assert deps.max_scroll_y >= 6, deps.text.plain
        for _ in range(6):
            app.post_message(events.Key("j", "j"))
        await pilot.pause()
        await pilot.pause()
        assert deps.scroll_y == 6
        for _ in range(4):
            app.post_message(events.Key("up", None))
        await pilot.pause()
        await pilot.pause()
        assert deps.scroll_y == 2
        await pilot.press("k", "k", "k", "k", "j")  # past the top, then down: one line
        assert deps.scroll_y == 1


async def test_a_long_flag_takes_a_short_word_before_the_title_gives_way():
    app = LlmflowApp(DEMO, now=NOW, cache=False, display_root="demo", watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        tree = app.query_one(PlanTree)
        tree.select_path("AUTH", "1.2")
        await loaded(pilot)

        def line() -> str:
            return next(x for x in screen_lines(tree) if " 1.2 " in x)

        assert line().endswith(" resolution_submitted"), line()  # room for the flag's name
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert line().endswith(" answered"), line()
        title = line().split(" 1.2 ", 1)[1].removesuffix(" answered")
        assert len(title) >= 9 and title.startswith("Sess"), line()


async def test_the_top_bar_drops_the_achievement_count_before_abbreviating(tmp_path):
    root = make_workspace(
        tmp_path / "a-rather-long-folder-name-for-a-workspace" / "ws",
        {
            "work-space/plans/ALPHA/PLAN_ALPHA.md": plan_md("ALPHA"),
            "work-space/subplans/SUBPLAN_LOST_11.md": "# SUBPLAN: x\n\n**Achievement**: 1.1\n",
        },
    )
    app = LlmflowApp(root, watch=False, cache=False, now=NOW)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot)

        def bar() -> str:
            return str(app.query_one("#topbar").render())

        assert "2 achievements · 0 errors, 1 warning (p)" in bar(), bar()
        full = bar().rstrip()
        # Too narrow for all of it: the count of achievements goes first, the words stay.
        await pilot.resize_terminal(len(full) - 5, 40)
        await pilot.pause()
        assert "1 plan, 1 orphan feature · 0 errors, 1 warning (p)" in bar(), bar()
        assert "achievements" not in bar()
