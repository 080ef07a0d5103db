"""More shapes from FORMAT.md: handoff pointers, execution groups, legacy archives, headers."""

from __future__ import annotations

import pytest
from wsbuilder import execution_md, make_workspace, plan_md, subplan_md

from llmflow_tui.model import load

NOW = 1_795_000_000.0
P = "work-space/plans/FOO"


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(
    "handoff",
    [
        "⏳ Next: Achievement 1.2",
        "**Next**: start Achievement 1.2 after the review",
        "- Achievement 1.2: Build ← **NEXT**",
    ],
)
def test_handoff_next_pointer_shapes(tmp_path, handoff):
    extra = f"## 🔄 Current Status & Handoff\n\n{handoff}\n\n### Notes\n\nmore\n"
    make_workspace(tmp_path, {f"{P}/PLAN_FOO.md": plan_md("FOO", extra=extra)})
    assert load(tmp_path, cache=False, now=NOW).plan("FOO").handoff_next == "1.2"


def test_last_handoff_section_wins(tmp_path):
    extra = (
        "## 🔄 Current Status & Handoff\n\n⏳ Next: Achievement 1.1\n\n"
        "## Archive\n\nold\n\n## Current Status & Handoff (updated)\n\n⏳ Next: Achievement 1.2\n"
    )
    make_workspace(tmp_path, {f"{P}/PLAN_FOO.md": plan_md("FOO", extra=extra)})
    assert load(tmp_path, cache=False, now=NOW).plan("FOO").handoff_next == "1.2"


def test_execution_groups_parallel_and_phases(tmp_path):
    par = execution_md("FOO", "1.1", 2).replace(
        "**Execution Number**: 02", "**Execution Number**: 02 of 03"
    )
    phase = execution_md("FOO", "1.2", 1).replace(
        "**Execution Number**: 01", "**Execution Number**: 01 (Phase 1 of 3)\n**Phase**: 1 of 3"
    )
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO"),
            f"{P}/execution/EXECUTION_TASK_FOO_11_02.md": par,
            f"{P}/execution/EXECUTION_TASK_FOO_12_01.md": phase,
        },
    )
    plan = load(tmp_path, cache=False, now=NOW).plan("FOO")
    (x,) = plan.achievement("1.1").executions
    assert x.kind == "parallel"
    (y,) = plan.achievement("1.2").executions
    assert y.kind == "phase" and y.phase == (1, 3)


def test_legacy_archive_folders_and_nested_archived_suffix(tmp_path):
    make_workspace(
        tmp_path,
        {
            "PLAN_OLD.md": plan_md("OLD", [("1.1", "A"), ("1.2", "B")]),
            "old-archive/execution/EXECUTION_TASK_OLD_11_01.md": execution_md(
                "OLD", "1.1", final_status="Complete"
            ),
            "old-archive/execution/feedbacks/APPROVED_11.md": "ok",
            "documentation/archive/old/SUBPLAN_OLD_12.md": subplan_md("OLD", "1.2"),
            "work-space/subplans/SUBPLAN_OLD_12_NESTED_ARCHIVED.md": subplan_md("OLD", "1.2"),
        },
    )
    plan = load(tmp_path, cache=False, now=NOW).plan("OLD")
    one = plan.achievement("1.1")
    assert one.state == "approved"  # archived feedback still records the approval
    assert all(x.archived for x in one.executions)
    two = plan.achievement("1.2")
    assert two.subplan is None and len(two.subplans) == 2  # shown, but not live work
    assert two.state == "not_started"


def test_archived_feedback_is_found_by_a_dated_archive_folders_name(tmp_path):
    # Archiving moves a plan's finished work to documentation/archive/<feature>-<date>/: its
    # approvals are still its approvals. One named for no plan is said, not dropped.
    arch = "documentation/archive"
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO", [("1.1", "A"), ("1.2", "B"), ("1.3", "C")]),
            f"{arch}/foo-nov2025/execution/feedbacks/APPROVED_11.md": "# APPROVED\n",
            f"{arch}/foo-partial-nov-2025/execution/feedbacks/APPROVED_12.md": "# APPROVED\n",
            f"{arch}/gone-2025-11-07/execution/feedbacks/APPROVED_11.md": "# APPROVED\n",
        },
    )
    ws = load(tmp_path, cache=False)
    plan = ws.plan("FOO")
    assert [a.state for a in plan.achievements] == ["approved", "approved", "not_started"]
    assert plan.next == "1.3"
    gone = [p for p in ws.problems if "gone-2025-11-07" in p.path]
    assert len(gone) == 1 and "belong to no plan" in gone[0].message
    assert "reads as GONE" in gone[0].message


def test_subplan_and_execution_header_variants(tmp_path):
    sub = (
        "# SUBPLAN: Odd\n\n**Parent PLAN**: PLAN_FOO.md\n**Achievement**: 1.2 - Build it\n"
        "**Estimated Time**: 2 hours\n**Status**: Design Phase Complete\n\n---\n"
    )
    ex = (
        "# EXECUTION TASK: Odd\n\n  **Achievement**: 1.2: Build it  \n  **Parent SUBPLAN**: x  \n"
        "  **Status**: 🎯 Executing  \n\n---\n\n## Completion Status\n\n**Status**: ✅ **COMPLETE**\n"
    )
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO"),
            # An old SUBPLAN numbered by a running counter: its header says which achievement.
            f"{P}/subplans/SUBPLAN_FOO_7.md": sub,
            f"{P}/execution/EXECUTION_TASK_FOO_12_01.md": ex,
        },
    )
    a = load(tmp_path, cache=False, now=NOW).plan("FOO").achievement("1.2")
    assert a.subplan == f"{P}/subplans/SUBPLAN_FOO_7.md"
    assert a.state == "awaiting_review"


def test_files_that_are_not_tasks_are_ignored(tmp_path):
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO"),
            f"{P}/execution/INDEX.md": "# Index\n**Status**: ✅ Complete\n",
            f"{P}/execution/EXECUTION_CASE-STUDY_FOO.md": "# case study\n",
            f"{P}/02.txt": "",
            f"{P}/README.md": "# readme\n",
        },
    )
    plan = load(tmp_path, cache=False, now=NOW).plan("FOO")
    assert plan.state == "not_started" and plan.markers == ("02",)


def test_plan_in_a_group_and_same_name_elsewhere_is_reported(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/a_paused/FOO/PLAN_FOO.md": plan_md("FOO"),
            "PLAN_FOO.md": plan_md("FOO"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    assert ws.plan("FOO").path == "work-space/plans/a_paused/FOO/PLAN_FOO.md"
    assert any("second PLAN for FOO" in p.message for p in ws.problems)


def test_dependency_ids_in_prose_values_and_none(tmp_path):
    extra = (
        "**Achievement 2.1**: Later\n\n- **Dependencies**: Achievement 1.1 (data), 1.2\n\n"
        "**Achievement 2.2**: Free\n\n- **Dependencies**: None\n"
    )
    make_workspace(tmp_path, {f"{P}/PLAN_FOO.md": plan_md("FOO", extra=extra)})
    plan = load(tmp_path, cache=False, now=NOW).plan("FOO")
    assert plan.achievement("2.1").dependencies == ("1.1", "1.2")
    assert plan.achievement("2.2").dependencies == ()
    assert plan.ready == ("1.1", "1.2", "2.2")


def _task(header: str, final: str = "✅ Complete") -> str:
    return (
        "# EXECUTION_TASK: Observability\n\n"
        f"**Achievement**: {header}  \n**Status**: In Progress\n\n---\n\n"
        f"## Completion Status\n\n**Status**: {final}\n"
    )


def _subplan(header: str, key: str = "Achievement") -> str:
    return f"# SUBPLAN: Work\n\n**{key}**: {header}  \n**Status**: Ready\n\n---\n\n## Objective\n"


@pytest.mark.parametrize(
    "header",
    [
        "Achievement 4.1 & 4.2 - Observability Stack Validated",
        "4.1 and 4.2",
        "Achievements 4.1, 4.2 (Observability)",
        "4.1/4.2",
    ],
)
def test_a_task_whose_header_names_two_achievements_counts_for_both(tmp_path, header):
    # The real shape (YoutubeRAG): a flat task numbered by a running counter (07 is no
    # achievement) whose header covers two achievements.
    make_workspace(
        tmp_path,
        {
            "PLAN_VAL.md": plan_md(
                "VAL", [("3.1", "Scripts"), ("4.1", "Stack"), ("4.2", "Queries")]
            ),
            "EXECUTION_TASK_VAL_07_01.md": _task(header),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("VAL")
    for aid in ("4.1", "4.2"):
        a = plan.achievement(aid)
        assert a.state == "awaiting_review", aid
        assert [x.path for x in a.executions] == ["EXECUTION_TASK_VAL_07_01.md"]
        assert any("covers 4.1 and 4.2" in r.text for r in a.reasons), a.reasons
    assert plan.next == "3.1" and plan.ready == ("3.1", "4.1", "4.2")
    assert not [p for p in ws.problems if "matches no achievement" in p.message]
    (js,) = ws.to_json()["plans"]
    states = {a["id"]: (a["state"], a["executions"]) for a in js["achievements"]}
    assert states["4.2"] == ("awaiting_review", ["EXECUTION_TASK_VAL_07_01.md"])


def test_a_shared_subplan_is_second_to_an_achievements_own(tmp_path):
    # A SUBPLAN named for 4.1 whose header covers 4.2 too; 4.2 has its own SUBPLAN and task.
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO", [("4.1", "Stack"), ("4.2", "Queries")]),
            f"{P}/subplans/SUBPLAN_FOO_41.md": _subplan("4.1 & 4.2"),
            f"{P}/execution/EXECUTION_TASK_FOO_41_01.md": _task("4.1 & 4.2", "In Progress"),
            f"{P}/subplans/SUBPLAN_FOO_42.md": _subplan("4.2"),
            f"{P}/execution/EXECUTION_TASK_FOO_42_01.md": _task("4.2"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    one, two = ws.plan("FOO").achievements
    assert one.subplan == f"{P}/subplans/SUBPLAN_FOO_41.md" and one.state == "executing"
    assert two.subplan == f"{P}/subplans/SUBPLAN_FOO_42.md"
    # Its own task and the shared one: neither supersedes the other, no duplicates.
    assert sorted(x.path for x in two.live_executions) == [
        f"{P}/execution/EXECUTION_TASK_FOO_41_01.md",
        f"{P}/execution/EXECUTION_TASK_FOO_42_01.md",
    ]
    assert two.state == "executing"
    assert not [p for p in ws.problems if "duplicate" in p.message]
    # A header that names another achievement than the name (3.1 here) is still reported.
    assert not [p for p in ws.problems if "file name says" in p.message]


def test_a_name_code_beats_a_two_achievement_header_that_does_not_name_it(tmp_path):
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO", [("3.1", "A"), ("4.1", "B"), ("4.2", "C")]),
            f"{P}/subplans/SUBPLAN_FOO_31.md": _subplan("4.1 & 4.2"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("FOO")
    assert [a.state for a in plan.achievements] == ["subplan_ready", "not_started", "not_started"]
    (p,) = [p for p in ws.problems if "file name says" in p.message]
    assert "file name says 3.1, its header says 4.1" in p.message


def test_a_subplan_for_a_sub_achievement_counts_for_its_parent(tmp_path):
    # The real shape (YoutubeRAG): SUBPLAN_09 (a running counter) for "Achievement 1.4.5",
    # which the PLAN lists only as a sub-item of 1.4; its task has no Achievement header.
    extra = "\n**Achievement 1.4.5**: Multiple PLANS Protocol\n\n- Parent: Achievement 1.4\n"
    make_workspace(
        tmp_path,
        {
            "PLAN_SLD.md": plan_md("SLD", [("1.3", "Docs"), ("1.4", "Templates")], extra=extra),
            "SUBPLAN_SLD_09.md": _subplan(
                "Achievement 1.4.5 (Multiple PLANS Protocol)", key="Achievement Addressed"
            ),
            "EXECUTION_TASK_SLD_09_01.md": "# EXECUTION_TASK: SLD 09\n\n**Status**: In Progress\n",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("SLD")
    assert [a.id for a in plan.achievements] == ["1.3", "1.4"]  # 1.4.5 is no achievement
    four = plan.achievement("1.4")
    assert four.subplan == "SUBPLAN_SLD_09.md"
    assert [x.path for x in four.executions] == ["EXECUTION_TASK_SLD_09_01.md"]
    assert four.state == "executing"
    why = " ".join(r.text for r in four.reasons)
    assert "is for sub-achievement 1.4.5: counted for 1.4" in why
    assert "counted with SUBPLAN_SLD_09.md" in why
    (warn,) = [p for p in ws.problems if "sub-achievement" in p.message]
    assert warn.path == "SUBPLAN_SLD_09.md" and warn.line == 3
    assert "counted for 1.4" in warn.message
    assert not [p for p in ws.problems if "matches no achievement" in p.message]


def test_a_sub_achievements_subplan_is_second_to_the_parents_own(tmp_path):
    make_workspace(
        tmp_path,
        {
            f"{P}/PLAN_FOO.md": plan_md("FOO", [("1.4", "Templates")]),
            f"{P}/subplans/SUBPLAN_FOO_14.md": _subplan("1.4"),
            f"{P}/subplans/SUBPLAN_FOO_145.md": _subplan("1.4.5"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    four = ws.plan("FOO").achievement("1.4")
    assert four.subplan == f"{P}/subplans/SUBPLAN_FOO_14.md"
    assert len(four.subplans) == 2
    assert not [p for p in ws.problems if "duplicate" in p.message]
