"""The state engine on small, realistic workspaces: every state, flag, reason and problem."""

from __future__ import annotations

import time

import pytest
from wsbuilder import execution_md, make_workspace, plan_md, subplan_md, write

from llmflow_tui.model import load

NOW = time.mktime((2026, 11, 24, 12, 0, 0, 0, 0, -1))
P = "work-space/plans/FOO"


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def states(ws, plan="FOO"):
    return {a.id: a.state for a in ws.plan(plan).achievements}


def messages(ws):
    return [p.message for p in ws.problems]


def base(tmp_path, extra_files=None, **plan_kw):
    files = {f"{P}/PLAN_FOO.md": plan_md("FOO", **plan_kw)}
    files.update(extra_files or {})
    return make_workspace(tmp_path, files)


def test_every_achievement_state_from_files(tmp_path):
    ach = [(f"1.{i}", f"A{i}") for i in range(1, 8)]
    root = base(
        tmp_path,
        {
            # approved after a fix
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
            f"{P}/execution/feedbacks/FIX_11.md": "# FIX\n",
            f"{P}/execution/feedbacks/APPROVED_11.md": "# APPROVED\n",
            # needs fix with a resolution
            f"{P}/execution/feedbacks/FIX_12.md": "# FIX\n",
            f"{P}/execution/feedbacks/FIX_12_RESOLUTION.md": "# done\n",
            # awaiting review
            f"{P}/execution/EXECUTION_TASK_FOO_13_01.md": execution_md(
                "FOO", "1.3", final_status="✅ Complete"
            ),
            # executing 1/2
            f"{P}/execution/EXECUTION_TASK_FOO_14_01.md": execution_md(
                "FOO", "1.4", final_status="✅ Complete"
            ),
            f"{P}/execution/EXECUTION_TASK_FOO_14_02.md": execution_md("FOO", "1.4", 2),
            # subplan ready
            f"{P}/subplans/SUBPLAN_FOO_15.md": subplan_md("FOO", "1.5"),
            # needs fix without resolution
            f"{P}/execution/feedbacks/FIX_16.md": "# FIX\n",
        },
        achievements=ach,
    )
    ws = load(root, cache=False, now=NOW)
    assert states(ws) == {
        "1.1": "approved",
        "1.2": "needs_fix",
        "1.3": "awaiting_review",
        "1.4": "executing",
        "1.5": "subplan_ready",
        "1.6": "needs_fix",
        "1.7": "not_started",
    }
    plan = ws.plan("FOO")
    a = {x.id: x for x in plan.achievements}
    assert a["1.1"].flags == ("had_fixes",)
    assert "resolution_submitted" in a["1.2"].flags
    assert "resolution_submitted" not in a["1.6"].flags
    assert a["1.4"].executions_done == (1, 2)
    assert "APPROVED_11.md" in a["1.1"].reason
    assert a["1.3"].reasons[0].path.endswith("EXECUTION_TASK_FOO_13_01.md")
    assert plan.state == "needs_attention"


def test_completion_is_the_last_status_line_outside_fences(tmp_path):
    body = execution_md("FOO", "1.1", status="In Progress", final_status="✅ Complete")
    body += "\n```\n**Status**: In Progress\n```\n**Status**: [Update as you progress]\n"
    root = base(tmp_path, {f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": body})
    ws = load(root, cache=False, now=NOW)
    assert states(ws)["1.1"] == "awaiting_review"
    # The header still says In Progress: reported as a disagreement, not trusted.
    assert any("header says 'In Progress'" in m for m in messages(ws))


def test_design_phase_complete_is_not_complete(tmp_path):
    body = execution_md("FOO", "1.1", status="Design Phase Complete")
    root = base(tmp_path, {f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": body})
    ws = load(root, cache=False, now=NOW)
    assert states(ws)["1.1"] == "executing"


def test_one_phase_complete_then_final_status_in_progress_is_not_complete(tmp_path):
    # The shape of a real task: header In Progress, "Phase 1 COMPLETE" in the iteration log,
    # "**Final Status**: In Progress" at the end. Neither status line claims the whole task.
    body = execution_md("FOO", "1.1", status="In Progress")
    body += "**Status**: Phase 1 COMPLETE\n\n---\n\n## ✅ Completion Status\n\n"
    body += "**Current Phase**: 1/5  \n**Final Status**: In Progress\n"
    root = base(tmp_path, {f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": body})
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert a.state == "executing"
    assert a.executions_done == (0, 1)
    (x,) = a.executions
    assert (x.status_text, x.complete) == ("In Progress", False)
    # Without the final line, the phase line decides, and it is not complete either.
    body = body[: body.index("**Current Phase**")]
    root = base(tmp_path / "b", {f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": body})
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert a.state == "executing"
    assert a.executions[0].status_text == "Phase 1 COMPLETE"


@pytest.mark.parametrize(
    ("tail", "state"),
    [
        ("**Status**: ✅ Complete\n\n**Final Status**: In Progress\n", "executing"),
        ("**Status**: In Progress\n\n**Final Status**: ✅ Complete\n", "awaiting_review"),
        ("**Final Status**: Success\n", "awaiting_review"),
        ("**Status**: ✅ Complete\n\n**Final Status**: Partial success\n", "executing"),
        (
            "**Final Status**: ✅ Complete\n\n```\n**Final Status**: In Progress\n```\n",
            "awaiting_review",
        ),
        ("**Final Status**: In Progress\n\n**Final Status**: [Update when done]\n", "executing"),
    ],
)
def test_a_final_status_line_is_a_status_line(tmp_path, tail, state):
    body = execution_md("FOO", "1.1", status="In Progress") + "## Completion Status\n\n" + tail
    root = base(tmp_path, {f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": body})
    assert states(load(root, cache=False, now=NOW))["1.1"] == state


def test_a_task_that_is_itself_a_phase_is_complete_when_its_phase_is(tmp_path):
    def task(number, phase, final):
        body = execution_md("FOO", "1.1", number, status="In Progress", final_status=final)
        return body.replace("**Started**", f"**Phase**: {phase} of 3  \n**Started**", 1)

    root = base(
        tmp_path,
        {
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": task(1, 1, "✅ Phase 1 complete"),
            f"{P}/execution/EXECUTION_TASK_FOO_11_02.md": task(2, 2, "Phase 1 complete"),
        },
    )
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert [(x.phase, x.complete) for x in a.executions] == [((1, 3), True), ((2, 3), False)]
    assert a.state == "executing" and a.executions_done == (1, 2)


def test_blocked_and_ready_set_after_work_started(tmp_path):
    ach = [("1.1", "Base"), ("2.1", "Left"), ("2.2", "Right"), ("3.1", "Join")]
    root = base(
        tmp_path,
        {
            f"{P}/execution/feedbacks/APPROVED_11.md": "ok",
            f"{P}/execution/EXECUTION_TASK_FOO_21_01.md": execution_md("FOO", "2.1"),
        },
        achievements=ach,
        deps={"2.1": "1.1", "2.2": "1.1", "3.1": "2.1, 2.2"},
    )
    plan = load(root, cache=False, now=NOW).plan("FOO")
    # Approved dependencies are satisfied: the parallel wave 2.1 + 2.2 shows once 1.1 is done.
    assert plan.ready == ("2.1", "2.2")
    assert plan.waves == (("2.1", "2.2"), ("3.1",))
    assert plan.next == "2.1"
    join = plan.achievement("3.1")
    assert "blocked" in join.flags
    assert any("2.1, 2.2" in r.text for r in join.reasons)
    assert "blocked" not in plan.achievement("2.2").flags


def test_blocks_field_adds_reverse_edges_and_prose_is_only_a_hint(tmp_path):
    extra = """
    **Achievement 3.1**: Later

    - **Blocks**: 3.2
    - Note: builds on Achievement 1.1 in spirit

    **Achievement 3.2**: Last
    """
    root = base(tmp_path, achievements=[("1.1", "A")], extra=extra)
    plan = load(root, cache=False, now=NOW).plan("FOO")
    assert plan.achievement("3.2").dependencies == ("3.1",)
    assert plan.achievement("3.1").dependencies == ()
    assert plan.achievement("3.1").dependency_hints == ("1.1",)


def test_stale_uses_dates_inside_files(tmp_path):
    root = base(
        tmp_path,
        {
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", date="2026-10-01"
            ),
            f"{P}/execution/EXECUTION_TASK_FOO_12_01.md": execution_md(
                "FOO", "1.2", date="2026-11-23"
            ),
        },
    )
    plan = load(root, cache=False, now=NOW).plan("FOO")
    assert "stale" in plan.achievement("1.1").flags
    assert "stale" not in plan.achievement("1.2").flags
    assert any("no activity for" in r.text for r in plan.achievement("1.1").reasons)


def test_redo_supersedes_same_execution(tmp_path):
    root = base(
        tmp_path,
        {
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md("FOO", "1.1"),
            f"{P}/execution/EXECUTION_TASK_FOO_11_01_V2.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
            # `_02_01_V2` belongs to 0.2's first execution, not to 1.1's `_01`.
            f"{P}/execution/EXECUTION_TASK_FOO_02_01_V2.md": execution_md("FOO", "0.2"),
        },
        achievements=[("0.2", "Zero"), ("1.1", "One")],
    )
    plan = load(root, cache=False, now=NOW).plan("FOO")
    one = plan.achievement("1.1")
    assert one.state == "awaiting_review"
    live = one.live_executions
    assert len(live) == 1 and live[0].path.endswith("_V2.md") and live[0].kind == "redo"
    assert plan.achievement("0.2").state == "executing"


def test_planned_executions_from_subplan_count_towards_progress(tmp_path):
    root = base(
        tmp_path,
        {
            f"{P}/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1", planned=3),
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
        },
    )
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert a.state == "executing"
    assert a.executions_done == (1, 3)


def test_a_fenced_template_is_not_the_planned_execution_list(tmp_path):
    template = (
        "\n## Active EXECUTION_TASKs\n\n```markdown\n- [ ] EXECUTION_TASK_FOO_11_01\n"
        "- [ ] EXECUTION_TASK_FOO_11_02\n- [ ] EXECUTION_TASK_FOO_11_03\n```\n"
    )
    root = base(
        tmp_path,
        {
            f"{P}/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1") + template,
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
        },
    )
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert a.planned_executions is None and a.state == "awaiting_review"


def test_plan_states(tmp_path):
    make_workspace(
        tmp_path,
        {
            "work-space/plans/DONE/PLAN_DONE.md": plan_md("DONE", [("1.1", "A")]),
            "work-space/plans/DONE/execution/feedbacks/APPROVED_11.md": "ok",
            "work-space/plans/NEW/PLAN_NEW.md": plan_md("NEW", [("1.1", "A")]),
            "work-space/plans/OLD/PLAN_OLD.md": plan_md("OLD", [("1.1", "A")], status="Complete"),
            "work-space/plans/OLD/execution/EXECUTION_TASK_OLD_11_01.md": execution_md(
                "OLD", "1.1", status="✅ Complete"
            ),
        },
    )
    done_exec = execution_md("X", "1.1", status="✅ Complete")
    for name, status in (("LEGACY", "🎯 Active"), ("NOHEADER", None)):
        folder = f"work-space/plans/{name}"
        text = plan_md(name, [("1.1", "A")], status=status or "")
        if status is None:
            text = text.replace("**Status**:   \n", "")
        write(tmp_path, f"{folder}/PLAN_{name}.md", text)
        write(tmp_path, f"{folder}/execution/EXECUTION_TASK_{name}_11_01.md", done_exec)
    ws = load(tmp_path, cache=False, now=NOW)
    assert ws.plan("DONE").state == "complete"
    assert ws.plan("NEW").state == "not_started"
    assert ws.plan("OLD").state == "complete_unverified"
    # Every execution done and nothing reviewed: complete (unverified) only when the PLAN
    # does not say otherwise (all its documents must claim completion).
    assert ws.plan("NOHEADER").state == "complete_unverified"
    assert ws.plan("LEGACY").state == "active"


def test_progress_counter_and_checkmarks_that_disagree_are_reported(tmp_path):
    root = base(
        tmp_path,
        {f"{P}/execution/feedbacks/APPROVED_11.md": "ok"},
        achievements=[("1.1", "A"), ("1.2", "B ✅")],
        extra="**Progress**: 2/2\n",
    )
    ws = load(root, cache=False, now=NOW)
    msgs = messages(ws)
    assert any("**Progress** says 2/2 but the files say 1/2" in m for m in msgs)
    assert any("marks achievement 1.2 ✅" in m for m in msgs)


def test_index_checkmarks_in_a_plan_without_feedback_are_reported_once(tmp_path):
    index = "\n## 📋 Achievement Index\n\n- ✅ Achievement 1.1: A\n- [x] Achievement 1.2: B\n"
    root = base(tmp_path, achievements=[("1.1", "A"), ("1.2", "B"), ("1.3", "C")], extra=index)
    ws = load(root, cache=False, now=NOW)
    assert [a.marked_done for a in ws.plan("FOO").achievements] == [True, True, False]
    msgs = [m for m in messages(ws) if "✅" in m]
    assert msgs == [
        "PLAN marks 1.1, 1.2 ✅ but the plan has no feedback files (APPROVED_*.md): unverified"
    ]


def test_parallel_json_dependencies_cycles_and_unknown_ids(tmp_path):
    pj = """{
      "plan_name": "FOO",
      "parallelization_level": "level_2",
      "achievements": [
        {"achievement_id": "1.1", "dependencies": ["1.2"], "estimated_hours": "4-6"},
        {"achievement_id": "1.2", "dependencies": ["1.1"], "status": "complete"},
        {"achievement_id": "1.3", "dependencies": ["9.9"], "estimated_hours": null}
      ],
      "notes": ["a", "b"],
      "parallel_execution_waves": []
    }"""
    root = base(
        tmp_path,
        {f"{P}/parallel.json": pj},
        achievements=[("1.1", "A"), ("1.2", "B"), ("1.3", "C")],
    )
    ws = load(root, cache=False, now=NOW)
    msgs = messages(ws)
    assert any("dependency cycle: 1.1 → 1.2 → 1.1" in m for m in msgs)
    assert any("depends on unknown achievement 9.9" in m for m in msgs)
    plan = ws.plan("FOO")
    # A recorded status is shown, never trusted over feedback files.
    assert plan.achievement("1.2").recorded_status == "complete"
    assert plan.achievement("1.2").state == "not_started"
    assert plan.parallel_level == "level_2"


def test_an_achievement_that_depends_on_itself_is_a_cycle(tmp_path):
    pj = '{"achievements": [{"achievement_id": "1.1", "dependencies": ["1.1"]}]}'
    root = base(tmp_path, {f"{P}/parallel.json": pj}, achievements=[("1.1", "A"), ("1.2", "B")])
    ws = load(root, cache=False, now=NOW)
    assert any("dependency cycle: 1.1 → 1.1" in m for m in messages(ws))
    one = ws.plan("FOO").achievement("1.1")
    assert "blocked" in one.flags and ws.plan("FOO").ready == ("1.2",)


def test_invalid_parallel_json_reports_line_and_column(tmp_path):
    root = base(tmp_path, {f"{P}/parallel.json": '{\n  "achievements": [\n    {"a": 1,}\n]}'})
    ws = load(root, cache=False, now=NOW)
    bad = [p for p in ws.problems if p.path.endswith("parallel.json")]
    assert bad and bad[0].severity == "error" and bad[0].line == 3
    assert "column" in bad[0].message


def test_schema_problems_are_reported(tmp_path):
    root = base(tmp_path, {f"{P}/parallel.json": '{"achievements": [{"achievement_id": 5}]}'})
    ws = load(root, cache=False, now=NOW)
    assert any(m.startswith("schema:") for m in messages(ws))


def test_approved_wins_and_its_content_is_not_evidence(tmp_path):
    root = base(
        tmp_path,
        {
            f"{P}/execution/feedbacks/APPROVED_11.md": "# FIX REQUIRED\n**Status**: rejected\n",
            f"{P}/execution/feedbacks/FIX_11.md": "",
        },
    )
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert a.state == "approved" and a.feedback == "approved"
    assert a.flags == ("had_fixes",)


def test_skipped_counts_as_done(tmp_path):
    root = base(tmp_path, {f"{P}/execution/feedbacks/SKIPPED_11.md": "no longer needed"})
    a = load(root, cache=False, now=NOW).plan("FOO").achievement("1.1")
    assert a.state == "approved" and "skipped" in a.flags


@pytest.mark.parametrize(
    ("final", "state"),
    [
        ("✅ COMPLETE - all tests pass", "awaiting_review"),
        ("Ready for Review", "awaiting_review"),
        ("✅ **COMPLETE**", "awaiting_review"),
        ("⏸️ BLOCKED - waiting on the API", "executing"),
        ("Partially complete", "executing"),
        ("Design Phase Complete", "executing"),
        ("[Update as you progress]", "executing"),
        # One phase of several, or one step with more named next: not a complete execution.
        ("Phase 1 COMPLETE", "executing"),
        ("✅ Phase 2 of 3 complete", "executing"),
        ("Phases 1-2 complete", "executing"),
        ("Phase 1 complete, ready for review", "executing"),
        ("Analysis complete, ready to implement", "executing"),
        ("✅ Phase 1 complete - Ready for documentation updates", "executing"),
        ("Setup complete - next: Phase 2", "executing"),
        # The last phase, the whole task, or only review and other achievements ahead.
        ("Phase 3 of 3 complete", "awaiting_review"),
        ("Complete (3/3 phases)", "awaiting_review"),
        ("All phases complete", "awaiting_review"),
        (
            "✅ Complete - Ready for Achievement 1.2 (Extraction Stage Validation)",
            "awaiting_review",
        ),
        ("✅ Implementation complete", "awaiting_review"),
        ("Implementation complete, ready for review", "awaiting_review"),
        ("Documentation complete - next: Achievement 1.2", "awaiting_review"),
    ],
)
def test_status_words(tmp_path, final, state):
    body = execution_md("FOO", "1.1", status="In Progress", final_status=final)
    root = base(tmp_path, {f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": body})
    assert states(load(root, cache=False, now=NOW))["1.1"] == state


def test_subplan_tracking_lines_are_compared_with_the_files(tmp_path):
    tracking = (
        "\n## 📊 Subplan Tracking\n\n"
        "- SUBPLAN_T_11: Achievement 1.1 - Status: ✅ Complete\n"
        "- SUBPLAN_T_12.md - Status: In Progress\n"
        "- Achievement 1.3: ✅ done\n"
        "- SUBPLAN_T_99: an old running number\n"
        "```\n- SUBPLAN_T_12: Status: ✅ Complete (in a fence: not a claim)\n```\n"
    )
    make_workspace(
        tmp_path,
        {
            "work-space/plans/T/PLAN_T.md": plan_md(
                "T", [("1.1", "A"), ("1.2", "B"), ("1.3", "C")], extra=tracking
            ),
            "work-space/plans/T/subplans/SUBPLAN_T_11.md": subplan_md("T", "1.1"),
            "work-space/plans/T/execution/feedbacks/APPROVED_13.md": "ok",
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    messages = sorted(p.message for p in ws.problems if "Subplan Tracking" in p.message)
    assert messages == [
        "Subplan Tracking lists a SUBPLAN for achievement 1.2, but no SUBPLAN file exists",
        "Subplan Tracking says achievement 1.1 is complete, but there is no APPROVED_11.md "
        "(state: subplan ready)",
    ]


def test_approval_time_comes_from_the_review_date_before_the_mtime(tmp_path):
    import calendar
    import os

    fb = "work-space/plans/V/execution/feedbacks"
    make_workspace(
        tmp_path,
        {
            "work-space/plans/V/PLAN_V.md": plan_md("V", [("1.1", "A"), ("1.2", "B")]),
            f"{fb}/APPROVED_11.md": "# Review\n\n**Reviewer**: ana  \n**Review Date**: 2026-11-02\n",
            f"{fb}/APPROVED_12.md": "approved, no date\n",
        },
    )
    same = NOW - 3600  # a fresh clone: every file has the same mtime
    for name in ("APPROVED_11.md", "APPROVED_12.md"):
        os.utime(tmp_path / fb / name, (same, same))
    plan = load(tmp_path, cache=False, now=NOW).plan("V")
    first, second = plan.achievements
    assert first.approved_at == calendar.timegm((2026, 11, 2, 0, 0, 0))
    assert second.approved_at == pytest.approx(same)
    assert first.state == second.state == "approved"


def test_a_plan_with_no_achievement_list_takes_every_one_from_its_files(tmp_path):
    # A PLAN that defines no achievements: each SUBPLAN and task gives one, whichever file
    # happens to be read first (not only the first one while the rest are dropped).
    empty_plan = "# PLAN: Foo\n\n**Status**: Planning\n\n## Goal\n\nTo be written.\n"
    make_workspace(
        tmp_path,
        {
            "work-space/plans/FOO/PLAN_FOO.md": empty_plan,
            **{
                f"work-space/plans/FOO/subplans/SUBPLAN_FOO_{c}.md": subplan_md("FOO", a)
                for c, a in (("01", "0.1"), ("02", "0.2"), ("11", "1.1"))
            },
            "work-space/plans/FOO/execution/EXECUTION_TASK_FOO_02_01.md": execution_md(
                "FOO", "0.2"
            ),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("FOO")
    assert [(a.id, a.state) for a in plan.achievements] == [
        ("0.1", "subplan_ready"),
        ("0.2", "executing"),
        ("1.1", "subplan_ready"),
    ]
    messages = [p.message for p in ws.problems]
    assert not [m for m in messages if "matches no achievement" in m]
    assert any("no achievements found in this PLAN" in m for m in messages)


def test_an_archived_plans_open_execution_counts_but_is_not_stale(tmp_path):
    base = "documentation/archive/old-nov2025"
    make_workspace(
        tmp_path,
        {
            f"{base}/planning/PLAN_OLD.md": plan_md("OLD", [("1.1", "One")]),
            f"{base}/execution/EXECUTION_TASK_OLD_11_01.md": execution_md(
                "OLD", "1.1", date="2025-01-02"
            ),
        },
    )
    plan = load(tmp_path, cache=False, now=NOW).plan("OLD")
    one = plan.achievement("1.1")
    assert plan.archived and one.state == "executing"
    assert one.executions_done == (0, 1)  # its history, not "0/0"
    assert "stale" not in one.flags  # nobody is expected to work on an archived plan


def test_a_plan_claiming_completion_with_a_subplan_still_open_is_not_complete(tmp_path):
    # "Complete (unverified)" needs every document to claim completion: a SUBPLAN with no
    # task yet that says In Progress contradicts the PLAN's header.
    done = execution_md("X", "1.1", status="✅ Complete")
    for name, subplan_status in (("HALF", "In Progress"), ("WHOLE", "✅ Complete")):
        folder = f"work-space/plans/{name}"
        write(tmp_path, f"{folder}/PLAN_{name}.md", plan_md(name, status="Complete"))
        write(tmp_path, f"{folder}/execution/EXECUTION_TASK_{name}_11_01.md", done)
        write(
            tmp_path,
            f"{folder}/subplans/SUBPLAN_{name}_12.md",
            subplan_md(name, "1.2", status=subplan_status),
        )
    ws = load(tmp_path, cache=False, now=NOW)
    assert ws.plan("HALF").achievement("1.2").state == "subplan_ready"
    assert ws.plan("HALF").state == "active"
    assert ws.plan("WHOLE").state == "complete_unverified"


def test_a_plan_from_before_reviews_gets_one_warning_not_one_per_line(tmp_path):
    # No APPROVED or FIX anywhere: its Subplan Tracking claims are unverified as a whole, and
    # archived files numbered by an old counter are history, listed together.
    tracking = "\n## 📊 Subplan Tracking\n\n" + "".join(
        f"- SUBPLAN_FOO_{c}: Achievement {a} - ✅ Complete\n"
        for c, a in (("11", "1.1"), ("12", "1.2"), ("13", "1.3"))
    )
    old = "documentation/archive/foo-nov2025/execution"
    root = base(
        tmp_path,
        {f"{old}/EXECUTION_TASK_FOO_0{i}_01.md": "# EXECUTION_TASK\n\nold\n" for i in (7, 8, 9)},
        achievements=[("1.1", "A"), ("1.2", "B"), ("1.3", "C")],
        extra=tracking,
    )
    ws = load(root, cache=False, now=NOW)
    msgs = messages(ws)
    assert [m for m in msgs if "Subplan Tracking" in m] == [
        "Subplan Tracking says 1.1, 1.2, 1.3 complete, but the plan has no feedback files "
        "(APPROVED_*.md): unverified"
    ]
    assert [m for m in msgs if "match no achievement" in m] == [
        "3 archived file(s) named with codes that match no achievement of PLAN_FOO.md "
        "(07, 08, 09): not counted"
    ]


def test_live_copies_of_archived_files_are_reported_once_per_plan(tmp_path):
    arch = "documentation/archive/foo-nov2025"
    root = base(
        tmp_path,
        {
            f"{P}/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1"),
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md("FOO", "1.1"),
            f"{arch}/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1"),
            f"{arch}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
            f"{arch}/subplans/SUBPLAN_FOO_12.md": subplan_md("FOO", "1.2"),  # archived only
        },
    )
    ws = load(root, cache=False, now=NOW)
    assert ws.plan("FOO").achievement("1.1").state == "executing"  # the live copy counts
    left = [p for p in ws.problems if "also archived" in p.message]
    assert [(p.path, p.message) for p in left] == [
        (
            f"{P}/execution/EXECUTION_TASK_FOO_11_01.md",
            f"EXECUTION_TASK_FOO_11_01.md and 1 more are also archived (as {arch}/execution/"
            "EXECUTION_TASK_FOO_11_01.md, …): the live copies are counted (left behind when "
            "the work was archived?)",
        )
    ]


def test_a_plans_brief_quotes_the_handoff_only_where_it_disagrees(tmp_path):
    from llmflow_tui.actions.preview import plan_summary

    for name, pointer in (("SAME", "1.1"), ("LAG", "1.2")):
        write(
            tmp_path,
            f"work-space/plans/{name}/PLAN_{name}.md",
            plan_md(
                name, extra=f"\n## 📍 Current Status & Handoff\n\n⏳ Next: Achievement {pointer}\n"
            ),
        )
    ws = load(tmp_path, cache=False, now=NOW)
    assert "**Next**: 1.1  \n" in plan_summary(ws.plan("SAME"))
    assert "**Next**: 1.1 (handoff says 1.2)" in plan_summary(ws.plan("LAG"))


def test_a_paused_plans_archived_finished_work_is_history_and_said_so(tmp_path):
    # 1.1 and 1.2 were done and their SUBPLANs and tasks archived (no APPROVED file counted):
    # archives never count as live work, so they read not started — and the plan says why.
    arch = "work-space/plans/a_paused/FOO/archive"
    make_workspace(
        tmp_path,
        {
            "work-space/plans/a_paused/FOO/PLAN_FOO.md": plan_md(
                "FOO", [("1.1", "One"), ("1.2", "Two"), ("1.3", "Three")], status="⏸️ Paused"
            ),
            f"{arch}/subplans/SUBPLAN_FOO_11.md": subplan_md("FOO", "1.1"),
            f"{arch}/execution/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
            f"{arch}/execution/EXECUTION_TASK_FOO_12_01.md": execution_md(
                "FOO", "1.2", final_status="✅ Complete"
            ),
            # An archived run that never finished: not "done" history.
            f"{arch}/execution/EXECUTION_TASK_FOO_13_01.md": execution_md("FOO", "1.3"),
        },
    )
    ws = load(tmp_path, cache=False, now=NOW)
    plan = ws.plan("FOO")
    assert [(a.state, a.archived_work) for a in plan.achievements] == [
        ("not_started", "done"),
        ("not_started", "done"),
        ("not_started", "open"),
    ]
    assert plan.next == "1.1" and plan.progress == (0, 3)
    (warn,) = [p for p in ws.problems if "only archived work" in p.message]
    assert warn.path == "work-space/plans/a_paused/FOO/PLAN_FOO.md"
    assert warn.message.startswith("1.1, 1.2: only archived work, all of it complete")
    assert "'next' is 1.1" in warn.message and "APPROVED_11.md, APPROVED_12.md" in warn.message
    # The JSON contract is unchanged: archived runs are not listed as live executions.
    (js,) = ws.to_json()["plans"]
    assert [(a["id"], a["state"], a["executions"]) for a in js["achievements"]] == [
        ("1.1", "not_started", []),
        ("1.2", "not_started", []),
        ("1.3", "not_started", []),
    ]
    # Approved in the archive (an APPROVED file is the completion signal wherever it is):
    # done, and no longer reported.
    write(tmp_path, f"{arch}/execution/feedbacks/APPROVED_11.md", "ok")
    write(tmp_path, f"{arch}/execution/feedbacks/APPROVED_12.md", "ok")
    ws = ws.apply([tmp_path / arch / "execution/feedbacks"])
    assert ws == load(tmp_path, cache=False, now=NOW)
    assert ws.plan("FOO").next == "1.3" and ws.plan("FOO").progress == (2, 3)
    assert not [p for p in ws.problems if "only archived work" in p.message]
