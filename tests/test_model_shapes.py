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
