"""Discovery and parsing on the layouts, shapes and traps of FORMAT.md §2–§6."""

from __future__ import annotations

import os

import pytest
from wsbuilder import execution_md, make_workspace, plan_md, subplan_md, write

from llmflow_tui.model import load, quick_names

NOW = 1_795_000_000.0


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def names(ws):
    return sorted(p.name for p in ws.plans)


def test_groups_loose_plans_flat_files_and_orphans(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/a_paused/SLOW/PLAN_SLOW.md": plan_md("SLOW"),
            "work-space/plans/a_paused/SLOW/pause.txt": "",
            "work-space/plans/a_paused/PLAN_LOOSE.md": plan_md("LOOSE"),
            "work-space/plans/MAIN/PLAN_MAIN.md": plan_md("MAIN"),
            "work-space/subplans/SUBPLAN_LOOSE_11.md": subplan_md("LOOSE", "1.1"),
            "work-space/execution/EXECUTION_TASK_GONE_21_01.md": execution_md("GONE", "2.1"),
            "PLAN_ROOT.md": plan_md("ROOT"),
            "SUBPLAN_ROOT_12.md": subplan_md("ROOT", "1.2"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["GONE", "LOOSE", "MAIN", "ROOT", "SLOW"]
    slow = ws.plan("SLOW")
    assert (slow.group, slow.group_label, slow.markers) == ("a_paused", "paused", ("pause",))
    loose = ws.plan("LOOSE")
    assert loose.group == "a_paused" and loose.folder is None
    assert loose.achievement("1.1").state == "subplan_ready"
    assert ws.plan("ROOT").achievement("1.2").subplan == "SUBPLAN_ROOT_12.md"
    gone = ws.plan("GONE")
    assert gone.orphan and gone.achievement("2.1").state == "executing"
    assert any("orphan feature GONE" in p.message for p in ws.problems)
    assert dict(quick_names(tmp_path))["SLOW"] == "a_paused"
    # Which plan a file belongs to: by its plan folder, else by the feature in its name.
    assert ws.plan_of("work-space/plans/a_paused/SLOW/pause.txt") is slow
    assert ws.plan_of("work-space/subplans/SUBPLAN_LOOSE_11.md") is loose
    assert ws.plan_of("SUBPLAN_ROOT_12.md").name == "ROOT"
    assert ws.plan_of("work-space/nowhere.md") is None


def test_traps_are_not_plans_and_stale_copies_are_not_scanned(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/MAIN/PLAN_MAIN.md": plan_md("MAIN"),
            "work-space/plans/MAIN/documentation/PLAN_SOMETHING.md": "# Notes on something\n",
            "work-space/plans/PLAN_SUMMARY.md": "# Summary of all plans\n",
            "work-space/plans/a_paused/PLAN_OVERVIEW.md": "# PLAN OVERVIEW: every plan\n",
            "work-space/plans/MAIN/MAIN-old/PLAN_MAIN.md": plan_md("MAIN"),
            "work-space/plans/MAIN/MAIN-old/execution/feedbacks/APPROVED_11.md": "ok",
            "work-space/work-space/plans/X/PLAN_X.md": plan_md("X"),
            "work-space/NORTH_STAR_VISION.md": "# PLAN: The vision\n",
            "work-space/plans/MAIN/completed.txt": "",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["MAIN"]
    assert ws.plan("MAIN").achievement("1.1").state == "not_started"
    assert ws.plan("MAIN").markers == ("completed",)
    assert [g.kind for g in ws.grammaplans] == ["north_star"]
    skipped = [p.path for p in ws.problems if "not scanned" in p.message]
    assert "work-space/plans/MAIN/MAIN-old" in skipped
    assert "work-space/work-space" in skipped


def test_nested_beats_flat_duplicate_subplan(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/MAIN/PLAN_MAIN.md": plan_md("MAIN"),
            "work-space/plans/MAIN/subplans/SUBPLAN_MAIN_11.md": subplan_md("MAIN", "1.1"),
            "work-space/subplans/SUBPLAN_MAIN_11.md": subplan_md("MAIN", "1.1") + "\nmore\n",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    a = ws.plan("MAIN").achievement("1.1")
    assert a.subplan == "work-space/plans/MAIN/subplans/SUBPLAN_MAIN_11.md"
    dup = [p for p in ws.problems if "duplicate SUBPLAN" in p.message]
    assert dup and dup[0].path == "work-space/subplans/SUBPLAN_MAIN_11.md"
    assert "differ" in dup[0].message


def test_archives_are_shown_but_not_live(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/MAIN/PLAN_MAIN.md": plan_md(
                "MAIN", header="**Archive Location**: documentation/archive/main/"
            ),
            "work-space/plans/MAIN/documentation/archive/main/EXECUTION_TASK_MAIN_11_01.md": (
                execution_md("MAIN", "1.1")
            ),
            "work-space/plans/MAIN/execution/EXECUTION_TASK_MAIN_11_02_ARCHIVED.md": (
                execution_md("MAIN", "1.1", 2)
            ),
            "work-space/plans/MAIN/execution/EXECUTION_TASK_MAIN_12_01.md": execution_md(
                "MAIN", "1.2", final_status="✅ Complete"
            ),
            "work-space/plans/MAIN/subplans/SUBPLAN_MAIN_12_ARCHIVED.md": "# SUBPLAN: Old\n",
        },
    )
    plan = load(tmp_path, cache=False, now=NOW).plan("MAIN")
    # An archived SUBPLAN is not the achievement's SUBPLAN, and the reason says it exists.
    two = plan.achievement("1.2")
    assert two.subplan is None
    assert any("1 archived SUBPLAN(s) not counted" in r.text for r in two.reasons)
    one = plan.achievement("1.1")
    assert all(x.archived for x in one.executions) and len(one.executions) == 2
    # In progress, but archived: history, not live work.
    assert one.state == "not_started"
    assert any("archived execution" in r.text for r in one.reasons)
    assert plan.achievement("1.2").state == "awaiting_review"


def test_an_archived_plan_still_shows_its_history(tmp_path):
    make_workspace(
        tmp_path,
        {
            "documentation/archive/old/PLAN_OLD.md": plan_md("OLD", [("1.1", "A")]),
            "documentation/archive/old/EXECUTION_TASK_OLD_11_01.md": execution_md(
                "OLD", "1.1", final_status="✅ Complete"
            ),
            "documentation/archive/old/SUBPLAN_OLD_11.md": subplan_md("OLD", "1.1"),
        },
    )
    plan = load(tmp_path, cache=False, now=NOW).plan("OLD")
    assert plan.archived and plan.achievement("1.1").state == "awaiting_review"
    assert plan.achievement("1.1").subplan == "documentation/archive/old/SUBPLAN_OLD_11.md"


def test_code_collision_is_reported(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/BIG/PLAN_BIG.md": plan_md("BIG", [("1.10", "Ten"), ("11.0", "X")]),
            "work-space/plans/BIG/subplans/SUBPLAN_BIG_110.md": subplan_md("BIG", "11.0"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert any("code collision" in p.message for p in ws.problems)
    # The SUBPLAN's own header breaks the tie.
    assert ws.plan("BIG").achievement("11.0").state == "subplan_ready"


def test_colliding_feedback_follows_its_siblings_or_is_not_counted(tmp_path):
    plan = plan_md("BIG", [("1.10", "Ten"), ("11.0", "X")])
    files = {
        "work-space/plans/BIG/PLAN_BIG.md": plan,
        "work-space/plans/BIG/execution/feedbacks/APPROVED_110.md": "ok",
    }
    make_workspace(tmp_path / "alone", files)
    ws = load(tmp_path / "alone", cache=False, now=NOW)
    assert {a.state for a in ws.plan("BIG").achievements} == {"not_started"}  # no guess
    assert any("could be achievement 1.10 or 11.0" in p.message for p in ws.problems)
    files["work-space/plans/BIG/execution/EXECUTION_TASK_BIG_110_01.md"] = execution_md(
        "BIG", "11.0", final_status="✅ Complete"
    )
    make_workspace(tmp_path / "siblings", files)
    ws = load(tmp_path / "siblings", cache=False, now=NOW)
    assert ws.plan("BIG").achievement("11.0").state == "approved"
    assert ws.plan("BIG").achievement("1.10").state == "not_started"


CQR = "work-space/plans/CQR"


def test_a_header_naming_another_achievement_than_the_file_name_is_reported(tmp_path):
    # A real SUBPLAN_CODE-QUALITY-REFACTOR_08_05.md says "**Achievement**: 8.5 - …": its
    # name's code 08 is 0.8. Names decide (FORMAT §3); the header only gets it reported.
    make_workspace(
        tmp_path,
        {
            f"{CQR}/PLAN_CQR.md": plan_md("CQR", [("0.8", "Eight"), ("8.5", "Formatting")]),
            f"{CQR}/subplans/SUBPLAN_CQR_08_05.md": subplan_md(
                "CQR", "8.5 - Automated Code Formatting"
            ),
            f"{CQR}/execution/EXECUTION_TASK_CQR_08_01.md": execution_md("CQR", "8.5"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("CQR")
    assert plan.achievement("0.8").state == "executing"
    assert plan.achievement("0.8").subplan == f"{CQR}/subplans/SUBPLAN_CQR_08_05.md"
    assert plan.achievement("8.5").state == "not_started"
    said = {
        (p.path, p.line, p.severity, p.message) for p in ws.problems if "header says" in p.message
    }
    assert said == {
        (
            f"{CQR}/subplans/SUBPLAN_CQR_08_05.md",
            5,
            "warning",
            "file name says 0.8, its header says 8.5: counted for 0.8 "
            "(rename it SUBPLAN_CQR_85_05.md if it is 8.5's, or correct the header)",
        ),
        (
            f"{CQR}/execution/EXECUTION_TASK_CQR_08_01.md",
            3,
            "warning",
            "file name says 0.8, its header says 8.5: counted for 0.8 "
            "(rename it EXECUTION_TASK_CQR_85_01.md if it is 8.5's, or correct the header)",
        ),
    }


@pytest.mark.parametrize(
    "header",
    [
        "0.8",
        "Achievement 0.8 - Title",
        "0.8: Title",
        "0.8.1 - A sub-achievement",
        "9.9 (not an achievement of this plan)",
        "",
    ],
)
def test_headers_that_agree_with_the_file_name_are_not_reported(tmp_path, header):
    make_workspace(
        tmp_path,
        {
            f"{CQR}/PLAN_CQR.md": plan_md("CQR", [("0.8", "Eight"), ("8.5", "Formatting")]),
            f"{CQR}/subplans/SUBPLAN_CQR_08.md": subplan_md("CQR", header),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert ws.plan("CQR").achievement("0.8").state == "subplan_ready"
    assert not [p for p in ws.problems if "header says" in p.message]


def test_a_counter_numbered_file_remapped_by_its_header_is_not_reported(tmp_path):
    # SUBPLAN_CQR_02.md is the second SUBPLAN written, for 8.5: code 02 matches no
    # achievement, so its header decides, silently.
    make_workspace(
        tmp_path,
        {
            f"{CQR}/PLAN_CQR.md": plan_md("CQR", [("0.8", "Eight"), ("8.5", "Formatting")]),
            f"{CQR}/subplans/SUBPLAN_CQR_02.md": subplan_md("CQR", "8.5"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert ws.plan("CQR").achievement("8.5").state == "subplan_ready"
    assert ws.plan("CQR").achievement("0.8").state == "not_started"
    assert [p.message for p in ws.problems if p.path.endswith("SUBPLAN_CQR_02.md")] == []


ACHIEVEMENT_SHAPES = """# PLAN: Shapes

**Status**: 🎯 Active
**Progress**: 0/9

---

## 📋 Achievement Index

- Achievement 0.1: Index only title
- ✅ Achievement 1.1: Setup
**Achievement 1.2**: Build (4-6h)

## 🎯 Desirable Achievements

### Priority 1: CORE

**Achievement 1.1**: Setup the thing ✅ **COMPLETE**

- **Effort**: ~20 minutes (completed)
- **Dependencies**: None

**Achievement 1.2: Build the thing** ⏱️ 4-6 hours

- Effort: 3-4 hours (was 2-3 hours)
- **Dependencies**: 1.1

### Achievement 2.1: Ship it (NEW - Gap Fix #1) ← **NEXT**

**Achievement 2.2/2.3**: not a definition
- [ ] Achievement 2.4: checkbox, not a definition
**Achievement 3.5.1**: a sub-achievement, not 3.5

**Achievement 2.2**: Optional polish (Optional) [REVISED 2025-11-11]

```markdown
## Current Status & Handoff
**Achievement 9.9**: inside a fence
```

## 🔄 Current Status & Handoff

⏳ Next: Achievement 1.2
"""


def test_every_achievement_shape(tmp_path):
    write(tmp_path, "work-space/plans/SHAPES/PLAN_SHAPES.md", ACHIEVEMENT_SHAPES)
    plan = load(tmp_path, cache=False, now=NOW).plan("SHAPES")
    got = {a.id: a.title for a in plan.achievements}
    assert got == {
        "0.1": "Index only title",
        "1.1": "Setup the thing",
        "1.2": "Build the thing",
        "2.1": "Ship it",
        "2.2": "Optional polish",
    }
    a = {x.id: x for x in plan.achievements}
    assert a["1.1"].marked_done and a["1.1"].source == "both"
    assert a["0.1"].source == "index"
    assert a["1.2"].dependencies == ("1.1",)
    assert (a["1.2"].effort.low, a["1.2"].effort.high, a["1.2"].effort.unit) == (4, 6, "hours")
    assert (a["1.1"].effort.high, a["1.1"].effort.unit) == (20, "minutes")
    assert plan.handoff_next == "1.2"
    assert plan.next == "0.1"


def test_messy_bytes_crlf_bom_and_binary(tmp_path):
    plan = plan_md("MESSY").replace("\n", "\r\n").encode("utf-8")
    write(tmp_path, "work-space/plans/MESSY/PLAN_MESSY.md", b"\xef\xbb\xbf" + plan + b"\xff\xfe")
    write(tmp_path, "work-space/plans/MESSY/subplans/SUBPLAN_MESSY_11.md", b"")
    write(tmp_path, "work-space/plans/MESSY/subplans/SUBPLAN_MESSY_12.md", b"\x00\x01\x02")
    ws = load(tmp_path, cache=False, now=NOW)
    plan_ = ws.plan("MESSY")
    assert [a.id for a in plan_.achievements] == ["1.1", "1.2"]
    assert plan_.status_text == "🎯 Active"
    msgs = {p.path.rsplit("/", 1)[-1]: p.message for p in ws.problems}
    assert msgs["SUBPLAN_MESSY_11.md"] == "empty file"
    assert "invalid UTF-8" in msgs["PLAN_MESSY.md"]
    assert "binary" in msgs["SUBPLAN_MESSY_12.md"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_is_a_problem(tmp_path):
    path = write(tmp_path, "work-space/plans/X/PLAN_X.md", plan_md("X"))
    sub = write(tmp_path, "work-space/plans/X/subplans/SUBPLAN_X_11.md", subplan_md("X", "1.1"))
    sub.chmod(0)
    try:
        ws = load(tmp_path, cache=False, now=NOW)
        assert any("cannot read" in p.message for p in ws.problems)
        assert path.exists()
    finally:
        sub.chmod(0o644)


def test_grammaplan_children(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/GRAMMAPLAN_BIG.md": "# GRAMMAPLAN: Big\n\n| Plan | Status |\n|---|---|\n"
            "| PLAN_A | active |\n| PLAN_MISSING | - |\n",
            "work-space/plans/A/PLAN_A.md": plan_md("A"),
            "work-space/plans/B/PLAN_B.md": plan_md(
                "B", header="**Parent GrammaPlan**: GRAMMAPLAN_BIG.md"
            ),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    (gp,) = ws.grammaplans
    assert gp.children == ("A", "MISSING", "B")
    assert ws.plan("B").parent == "BIG"
    assert any("PLAN_MISSING.md not found" in p.message for p in ws.problems)


def test_grammaplan_dependency_columns_are_cross_plan_edges(tmp_path):
    table = (
        "# GRAMMAPLAN: Big\n\n"
        "| Plan | Status | Depends on | Blocks |\n|---|---|---|---|\n"
        "| PLAN_A | ✅ | — | PLAN_C |\n"
        "| PLAN_B | active | PLAN_A, PLAN_GONE | |\n"
        "| PLAN_C | - | PLAN_B | |\n\n"
        "## Loop\n\n| Plan | Blocked by |\n|---|---|\n| PLAN_X | PLAN_Y |\n| PLAN_Y | PLAN_X |\n"
        "\n```\n| PLAN_FENCED | PLAN_A |\n```\n"
    )
    make_workspace(
        tmp_path,
        {
            "work-space/GRAMMAPLAN_BIG.md": table,
            **{f"work-space/plans/{f}/PLAN_{f}.md": plan_md(f) for f in "ABCXY"},
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    (gp,) = ws.grammaplans
    assert gp.children == ("A", "C", "B", "GONE", "X", "Y")
    assert gp.waits_for("B") == ("A", "GONE")
    assert gp.waits_for("C") == ("A", "B")  # "Blocks" on A's row and "Depends on" on C's
    assert gp.waits_for("A") == ()
    messages = [p.message for p in ws.problems]
    assert "PLAN_B depends on PLAN_GONE, which is not found" in messages
    assert any("cycle: X → Y → X" in m for m in messages)


def test_grammaplan_dependency_cells_may_number_the_plans_of_the_table(tmp_path):
    # The real shape: "Awaits PLAN 1", "PLAN 2, 3" refer to the table's rows.
    table = (
        "# GRAMMAPLAN: Work\n\n"
        "| Child PLAN | Status | Progress | Dependencies |\n"
        "| ---------- | ------ | -------- | ------------ |\n"
        "| PLAN_ONE   | ✅ 87.5% | 87.5% | Finalizing |\n"
        "| PLAN_TWO   | Ready  | 0%       | Awaits PLAN 1 |\n"
        "| PLAN_THREE | Planning | 0%     | PLAN 1       |\n"
        "| PLAN_FOUR  | Planning | 0%     | PLAN 2, 3    |\n"
        "| PLAN_FIVE  | Planning | 0%     | PLANs 1-2 and PLAN 9 |\n"
    )
    make_workspace(
        tmp_path,
        {
            "work-space/GRAMMAPLAN_WORK.md": table,
            **{
                f"work-space/plans/{f}/PLAN_{f}.md": plan_md(f)
                for f in ("ONE", "TWO", "THREE", "FOUR", "FIVE")
            },
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    (gp,) = ws.grammaplans
    assert gp.waits_for("ONE") == ()
    assert gp.waits_for("TWO") == ("ONE",) and gp.waits_for("THREE") == ("ONE",)
    assert gp.waits_for("FOUR") == ("TWO", "THREE")
    assert gp.waits_for("FIVE") == ("ONE", "TWO")  # there is no ninth row
    # The Progress column lags the files like any counter: reported where it is off.
    lagging = [(p.line, p.message) for p in ws.problems if "the table says" in p.message]
    assert lagging == [(5, "the table says ONE is at 87.5%; the files say 0/2 approved")]


def test_mangled_names_in_subplan_table_are_unescaped(tmp_path):
    sub = subplan_md("X", "1.1") + (
        "\n## Active EXECUTION_TASKs\n\n- EXECUTION*TASK*X\\_11_01.md\n- EXECUTION_TASK_X_11_02\n"
    )
    make_workspace(
        tmp_path,
        {
            "work-space/plans/X/PLAN_X.md": plan_md("X"),
            "work-space/plans/X/subplans/SUBPLAN_X_11.md": sub,
            "work-space/plans/X/execution/EXECUTION_TASK_X_11_01.md": execution_md(
                "X", "1.1", final_status="Complete"
            ),
        },
    )
    a = load(tmp_path, cache=False, now=NOW).plan("X").achievement("1.1")
    assert a.planned_executions == 2 and a.state == "executing"


def test_a_3000_line_plan(tmp_path):
    ach = [(f"{p}.{i}", f"Title {p}.{i}") for p in range(1, 6) for i in range(1, 11)]
    filler = "\n".join(f"Line {i} of the context with `code` and **bold**." for i in range(3000))
    write(tmp_path, "work-space/plans/HUGE/PLAN_HUGE.md", plan_md("HUGE", ach, extra=filler))
    plan = load(tmp_path, cache=False, now=NOW).plan("HUGE")
    assert len(plan.achievements) == 50


def test_archive_location_in_a_section_or_written_with_dot_slash(tmp_path):
    section = "\n## 🗄️ Archive Location\n\nFinished work goes to `work-space/plans/AL/old-stuff/`.\n"
    make_workspace(
        tmp_path,
        {
            "work-space/plans/AL/PLAN_AL.md": plan_md("AL", [("1.1", "One")]) + section,
            "work-space/plans/AL/old-stuff/SUBPLAN_AL_11.md": subplan_md("AL", "1.1"),
            "work-space/plans/BL/PLAN_BL.md": plan_md(
                "BL", [("1.1", "One")], header="**Archive Location**: `./done-work/`"
            ),
            "work-space/plans/BL/done-work/SUBPLAN_BL_11.md": subplan_md("BL", "1.1"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    for name in ("AL", "BL"):
        one = ws.plan(name).achievement("1.1")
        assert one.state == "not_started" and one.subplan is None and len(one.subplans) == 1


def test_archive_location_written_inside_a_sentence_is_not_one(tmp_path):
    # Only a line that starts with the key names the archive; prose that quotes it does not.
    prose = "\nWhen done, set the **Archive Location**: `work-space/plans/CL/later/` field.\n"
    make_workspace(
        tmp_path,
        {
            "work-space/plans/CL/PLAN_CL.md": plan_md("CL", [("1.1", "One")]) + prose,
            "work-space/plans/CL/later/SUBPLAN_CL_11.md": subplan_md("CL", "1.1"),
        },
    )
    one = load(tmp_path, cache=False, now=NOW).plan("CL").achievement("1.1")
    assert (
        one.state == "subplan_ready" and one.subplan == "work-space/plans/CL/later/SUBPLAN_CL_11.md"
    )


def test_a_plan_folder_named_plan_underscore_feature(tmp_path):
    # work-space/plans/PLAN_A/PLAN_A.md: a layout some workspaces use (see the case study).
    make_workspace(
        tmp_path,
        {
            "work-space/plans/PLAN_A/PLAN_A.md": plan_md("A", [("1.1", "One")]),
            "work-space/plans/PLAN_A/execution/EXECUTION_TASK_A_11_01.md": execution_md(
                "A", "1.1", final_status="✅ Complete"
            ),
            "work-space/plans/PLAN_A/execution/feedbacks/APPROVED_11.md": "ok",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("A")
    assert plan.folder == "work-space/plans/PLAN_A" and plan.group is None
    assert plan.achievement("1.1").state == "approved" and plan.state == "complete"
    assert dict(quick_names(tmp_path)) == {"A": None}


def test_the_same_execution_flat_and_nested_is_reported_and_counted_once(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/F/PLAN_F.md": plan_md("F", [("1.1", "One")]),
            "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md": execution_md(
                "F", "1.1", final_status="✅ Complete"
            ),
            "work-space/execution/EXECUTION_TASK_F_11_01.md": execution_md("F", "1.1"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    one = ws.plan("F").achievement("1.1")
    assert [x.path for x in one.live_executions] == [
        "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md"
    ]
    assert one.state == "awaiting_review"
    (dup,) = [p for p in ws.problems if "duplicate EXECUTION_TASK" in p.message]
    assert dup.path == "work-space/execution/EXECUTION_TASK_F_11_01.md"


def test_read_text_caps_a_huge_document_and_says_so(tmp_path):
    make_workspace(tmp_path, {"work-space/plans/F/PLAN_F.md": plan_md("F")})
    big = tmp_path / "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md"
    big.parent.mkdir(parents=True)
    big.write_text("# EXECUTION_TASK: F\n" + "x" * 700_000)
    ws = load(tmp_path, cache=False, now=NOW)
    text = ws.read_text("work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md", limit=512 * 1024)
    assert text.startswith("# EXECUTION_TASK") and len(text) < 530_000
    assert text.endswith("[… truncated: only the first 512 KB are shown]\n")


def test_feedback_that_belongs_to_no_plan_is_reported(tmp_path):
    # A plan folder renamed away from its PLAN's name: its APPROVED files carry no feature.
    make_workspace(
        tmp_path,
        {
            "work-space/plans/API-GW2/PLAN_API-GATEWAY.md": plan_md("API-GATEWAY"),
            "work-space/plans/API-GW2/execution/feedbacks/APPROVED_11.md": "ok",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    (p,) = [p for p in ws.problems if "belong to no plan" in p.message]
    assert p.path == "work-space/plans/API-GW2/execution/feedbacks/APPROVED_11.md"


def test_examples_named_outside_the_grammar_are_reported_not_counted(tmp_path):
    # A feature token never holds "_": these are examples and slips, not work.
    done = "# EXECUTION_TASK: Example\n\n**Status**: ✅ Complete\n"
    make_workspace(
        tmp_path,
        {
            "work-space/plans/ALPHA/PLAN_ALPHA.md": plan_md("ALPHA", [("2.1", "One")]),
            "work-space/plans/ALPHA/execution/EXECUTION_TASK_ALPHA_21_02_01_V2.md": done,
            "LLM/examples/EXECUTION_TASK_EXAMPLE_PARALLEL_01.md": done,
            "LLM/examples/SUBPLAN_EXAMPLE_MULTI-EXECUTION.md": "# SUBPLAN: Example\n",
            "LLM/examples/NORTH_STAR_EXAMPLE_LEARNING-SYSTEMS.md": "# NORTH_STAR: Example\n",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["ALPHA"]
    assert not ws.grammaplans
    (alpha,) = ws.plans
    assert [(a.id, a.state) for a in alpha.achievements] == [("2.1", "not_started")]
    flagged = sorted(p.path for p in ws.problems if "not counted: the name" in p.message)
    assert flagged == [
        "LLM/examples/EXECUTION_TASK_EXAMPLE_PARALLEL_01.md",
        "LLM/examples/NORTH_STAR_EXAMPLE_LEARNING-SYSTEMS.md",
        "LLM/examples/SUBPLAN_EXAMPLE_MULTI-EXECUTION.md",
        "work-space/plans/ALPHA/execution/EXECUTION_TASK_ALPHA_21_02_01_V2.md",
    ]


_GR = "GRAPHRAG-OBSERVABILITY-VALIDATION"
_GR_DIR = f"work-space/plans/a_real-use-cases/{_GR}"
_CUT = "work-space/execution/EXECUTION_TASK_OBSERVABILITY-VALIDATION_62_01.md"


def _cut_execution() -> str:
    # The real file: named with a cut-short feature, its header names the full SUBPLAN.
    return (
        "# EXECUTION_TASK: Observability validation 6.2\n\n"
        f"**SUBPLAN**: SUBPLAN_{_GR}_62  \n**Achievement**: 6.2  \n**Status**: In Progress\n\n"
        "---\n\n## Completion\n\n**Status**: ✅ **COMPLETE**\n"
    )


def _graphrag(root, *, cut: bool = True) -> None:
    files = {
        f"{_GR_DIR}/PLAN_{_GR}.md": plan_md(_GR, [("6.1", "One"), ("6.2", "Two")]),
        f"{_GR_DIR}/subplans/SUBPLAN_{_GR}_62.md": subplan_md(_GR, "6.2"),
    }
    make_workspace(root, {**files, _CUT: _cut_execution()} if cut else files)


def test_a_feature_token_cut_short_in_a_flat_name_joins_the_one_plan_it_ends(tmp_path):
    _graphrag(tmp_path)
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == [_GR]
    two = ws.plan(_GR).achievement("6.2")
    assert two.state == "awaiting_review"
    assert [x.path for x in two.executions] == [_CUT]
    assert ws.plan_of(_CUT).name == _GR
    (warn,) = [p for p in ws.problems if "cut short" in p.message]
    assert warn.path == _CUT and warn.severity == "warning"
    assert f"EXECUTION_TASK_{_GR}_62_01.md" in warn.message
    assert ws.plan_problems(_GR) and warn in ws.plan_problems(_GR)


def test_a_cut_short_token_matching_two_plans_stays_an_orphan(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/A-X/PLAN_A-X.md": plan_md("A-X"),
            "work-space/plans/B-X/PLAN_B-X.md": plan_md("B-X"),
            "work-space/execution/EXECUTION_TASK_X_11_01.md": execution_md("X", "1.1"),
            # Whole words only: "AX" is not a part of "A-X".
            "work-space/subplans/SUBPLAN_AX_11.md": subplan_md("AX", "1.1"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["A-X", "AX", "B-X", "X"]
    assert ws.plan("X").orphan and ws.plan("AX").orphan
    assert not any("cut short" in p.message for p in ws.problems)


def test_a_token_with_a_plan_of_its_own_is_never_taken_as_cut_short(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/A-X/PLAN_A-X.md": plan_md("A-X"),
            # Any PLAN_X.md anywhere, even archived, keeps X's flat files with X.
            "documentation/archive/x/PLAN_X.md": plan_md("X"),
            "work-space/execution/EXECUTION_TASK_X_11_01.md": execution_md("X", "1.1"),
            # A prefix is a whole-word part too: A-X starts with "A-".
            "work-space/subplans/SUBPLAN_A_11.md": subplan_md("A", "1.1"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["A-X", "X"]
    assert ws.plan_of("work-space/execution/EXECUTION_TASK_X_11_01.md").name == "X"
    assert ws.plan_of("work-space/subplans/SUBPLAN_A_11.md").name == "A-X"
    assert ws.plan("A-X").achievement("1.1").state == "subplan_ready"


def test_a_cut_short_file_follows_its_plan_as_it_comes_and_goes(tmp_path):
    make_workspace(tmp_path, {_CUT: _cut_execution()})
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["OBSERVABILITY-VALIDATION"] and ws.plan("OBSERVABILITY-VALIDATION").orphan
    _graphrag(tmp_path, cut=False)
    ws = ws.apply([tmp_path / f"{_GR_DIR}/PLAN_{_GR}.md", tmp_path / f"{_GR_DIR}/subplans"])
    assert names(ws) == [_GR] and ws.plan_of(_CUT).name == _GR
    assert ws.plan(_GR).achievement("6.2").state == "awaiting_review"
    assert any(p.path == _CUT and "cut short" in p.message for p in ws.problems)
    assert ws == load(tmp_path, cache=False, now=NOW)
    (tmp_path / f"{_GR_DIR}/PLAN_{_GR}.md").unlink()
    ws = ws.apply([tmp_path / f"{_GR_DIR}/PLAN_{_GR}.md"])
    assert ws.plan("OBSERVABILITY-VALIDATION").orphan
    assert not any("cut short" in p.message for p in ws.problems)
    assert ws == load(tmp_path, cache=False, now=NOW)
    assert ws.to_json() == load(tmp_path, cache=False, now=NOW).to_json()


def test_a_plan_folder_renamed_away_from_its_plan_is_still_its_plan_folder(tmp_path):
    old = "work-space/plans/a_paused/OLD-NAME"
    make_workspace(
        tmp_path,
        {
            f"{old}/PLAN_NEW-NAME.md": plan_md("NEW-NAME", [("1.1", "A"), ("1.2", "B")]),
            f"{old}/subplans/SUBPLAN_NEW-NAME_11.md": subplan_md("NEW-NAME", "1.1"),
            f"{old}/execution/EXECUTION_TASK_NEW-NAME_11_01.md": execution_md(
                "NEW-NAME", "1.1", final_status="✅ Complete"
            ),
            # Feedback names no feature: only its folder says whose it is.
            f"{old}/execution/feedbacks/APPROVED_11.md": "ok",
            f"{old}/subplans/SUBPLAN_NEW-NAME_12.md": subplan_md("NEW-NAME", "1.2"),
            f"{old}/pause.txt": "",
            # Traps that stay what they are: a summary named like a PLAN, a PLAN in the
            # plan's documentation/, a group holding plan folders and a loose PLAN.
            f"{old}/PLAN_SUMMARY.md": "# Summary of the plan\n",
            f"{old}/documentation/PLAN_SOMETHING.md": "# Notes\n",
            "work-space/plans/a_paused/PLAN_LOOSE.md": plan_md("LOOSE"),
            "work-space/plans/a_paused/subplans/SUBPLAN_LOOSE_11.md": subplan_md("LOOSE", "1.1"),
            "work-space/plans/a_paused/FOO/PLAN_FOO.md": plan_md("FOO"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert names(ws) == ["FOO", "LOOSE", "NEW-NAME"]
    plan = ws.plan("NEW-NAME")
    assert plan.folder == old and plan.group == "a_paused" and plan.markers == ("pause",)
    one, two = plan.achievements
    assert one.state == "approved" and one.feedback_files == (
        f"{old}/execution/feedbacks/APPROVED_11.md",
    )
    assert two.state == "subplan_ready"
    assert ws.plan_of(f"{old}/execution/feedbacks/APPROVED_11.md").name == "NEW-NAME"
    (p,) = [p for p in ws.problems if "differs from its folder" in p.message]
    assert p.path == f"{old}/PLAN_NEW-NAME.md" and p.severity == "warning"
    assert "OLD-NAME/ holds PLAN_NEW-NAME.md" in p.message
    assert not [p for p in ws.problems if "belong to no plan" in p.message]
    # The group with plan folders and a loose PLAN stays a group: LOOSE is its loose PLAN.
    loose = ws.plan("LOOSE")
    assert loose.folder is None and loose.group == "a_paused"
    assert ws.plan("FOO").group == "a_paused"
    # Built up and taken apart file by file, apply() agrees with a fresh load.
    fresh = load(tmp_path, cache=False, now=NOW)
    assert fresh.apply([tmp_path / old]) == fresh
    (tmp_path / f"{old}/subplans/SUBPLAN_NEW-NAME_11.md").unlink()
    (tmp_path / f"{old}/subplans/SUBPLAN_NEW-NAME_12.md").unlink()
    ws = ws.apply(
        [
            tmp_path / f"{old}/subplans/SUBPLAN_NEW-NAME_11.md",
            tmp_path / f"{old}/subplans/SUBPLAN_NEW-NAME_12.md",
        ]
    )
    assert ws == load(tmp_path, cache=False, now=NOW)
    assert ws.plan("NEW-NAME").folder == old  # its task still says so
    (tmp_path / f"{old}/execution/EXECUTION_TASK_NEW-NAME_11_01.md").unlink()
    ws = ws.apply([tmp_path / f"{old}/execution/EXECUTION_TASK_NEW-NAME_11_01.md"])
    assert ws == load(tmp_path, cache=False, now=NOW)
    assert ws.plan("NEW-NAME").folder is None  # nothing says it is a plan folder now


def test_a_plan_folder_renamed_with_a_plan_folder_inside_stays_a_group(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/RENAMED/PLAN_API-GATEWAY.md": plan_md("API-GATEWAY"),
            "work-space/plans/RENAMED/subplans/SUBPLAN_API-GATEWAY_11.md": subplan_md(
                "API-GATEWAY", "1.1"
            ),
            "work-space/plans/RENAMED/FOO/PLAN_FOO.md": plan_md("FOO"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert ws.plan("API-GATEWAY").achievement("1.1").state == "subplan_ready"
    assert ws.plan("API-GATEWAY").folder is None and ws.plan("FOO").group == "RENAMED"
    (p,) = [p for p in ws.problems if "is not named" in p.message]
    assert p.path == "work-space/plans/RENAMED/PLAN_API-GATEWAY.md"
    assert "the folder RENAMED/ holds this plan's subplans/" in p.message
    # Its plan folder goes: now it is the renamed plan folder of API-GATEWAY.
    import shutil

    shutil.rmtree(tmp_path / "work-space/plans/RENAMED/FOO")
    ws = ws.apply([tmp_path / "work-space/plans/RENAMED/FOO"])
    assert ws == load(tmp_path, cache=False, now=NOW)
    assert ws.plan("API-GATEWAY").folder == "work-space/plans/RENAMED"
    assert [p for p in ws.problems if "differs from its folder" in p.message]


def test_a_fifo_named_like_a_document_is_not_read_and_a_stray_copy_loses(tmp_path):
    import os

    make_workspace(
        tmp_path,
        {
            "work-space/plans/FOO/PLAN_FOO.md": plan_md("FOO", [("1.1", "One"), ("1.2", "Two")]),
            "work-space/plans/FOO/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1"),
            "work-space/plans/FOO/notes/SUBPLAN_FOO_11.md": "# SUBPLAN: an old draft\n",
        },
    )
    os.mkfifo(tmp_path / "work-space/plans/FOO/subplans/SUBPLAN_FOO_12.md")
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("FOO")
    assert plan.achievement("1.1").subplan == "work-space/plans/FOO/subplans/SUBPLAN_FOO_11.md"
    assert plan.achievement("1.2").state == "not_started"  # a FIFO is not a SUBPLAN
    assert not [p for p in ws.problems if "SUBPLAN_FOO_12" in p.path]
    assert ws == load(tmp_path, cache=False, now=NOW).apply([tmp_path / "work-space"])


def test_links_are_never_followed_out_of_or_around_the_workspace(tmp_path):
    outside = tmp_path / "elsewhere"
    make_workspace(
        outside,
        {
            "plans/AWAY/PLAN_AWAY.md": plan_md("AWAY"),
            "PLAN_LINKED.md": plan_md("LINKED"),
            "SUBPLAN_FOO_12.md": subplan_md("FOO", "1.2"),
        },
    )
    root = tmp_path / "ws"
    make_workspace(
        root,
        {
            "work-space/plans/FOO/PLAN_FOO.md": plan_md("FOO", [("1.1", "One"), ("1.2", "Two")]),
            "work-space/plans/FOO/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1"),
        },
    )
    # A linked folder, a linked PLAN and a linked SUBPLAN, and a loop back to the root.
    os.symlink(outside / "plans/AWAY", root / "work-space/plans/AWAY")
    os.symlink(outside / "PLAN_LINKED.md", root / "PLAN_LINKED.md")
    os.symlink(
        outside / "SUBPLAN_FOO_12.md", root / "work-space/plans/FOO/subplans/SUBPLAN_FOO_12.md"
    )
    os.symlink(root, root / "work-space/plans/FOO/loop")
    ws = load(root, cache=False, now=NOW)
    assert names(ws) == ["FOO"]
    foo = ws.plan("FOO")
    assert foo.achievement("1.1").state == "subplan_ready"
    assert foo.achievement("1.2").state == "not_started"
    assert ws == load(root, cache=False, now=NOW).apply([root / "work-space"])
