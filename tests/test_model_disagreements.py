"""When the PLAN, its parallel.json and the feedback files disagree: which one decides, and
what the user is told (FORMAT.md §5, §8, §9)."""

from __future__ import annotations

import json
import time

import pytest
from wsbuilder import execution_md, make_workspace, plan_md

from llmflow_tui.model import load

NOW = time.mktime((2026, 11, 24, 12, 0, 0, 0, 0, -1))
P = "work-space/plans/FOO"
PLAN = f"{P}/PLAN_FOO.md"
PJ = f"{P}/parallel.json"


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems_about(ws, word: str):
    return [(p.path, p.line, p.severity, p.message) for p in ws.problems if word in p.message]


def approved(*codes: str) -> dict[str, str]:
    return {f"{P}/execution/feedbacks/APPROVED_{c}.md": "ok" for c in codes}


# The shape of a real plan: bold definitions with the title inside and ⏱️ effort, Blocks lines
# that repeat a chain, and a parallel.json that makes priority 3 independent.
TIMED_PLAN = """\
# PLAN: Foo

**Status**: 🎯 Active

## 🎯 Desirable Achievements

### Priority 1: CRITICAL

**Achievement 1.1: Discovery Prompt Created** ⏱️ 4-6 hours

- **Dependencies**: None
- **Blocks**: 2.1, 3.1

### Priority 2: HIGH

**Achievement 2.1: Batch Creation Implemented** ⏱️ 5-7 hours

- **Dependencies**: 1.1
- **Blocks**: 3.1

### Priority 3: MEDIUM

**Achievement 3.1: Interactive Menu Polished** ⏱️ 2-3 hours

- **Dependencies**: 2.1
- **Blocks**: None

**Achievement 3.2: Documentation and Examples Created** ⏱️ 3-5 hours

- **Dependencies**: 3.1
- **Blocks**: None

**Achievement 3.3: Testing and Validation** ⏱️ 2-3 hours

- **Dependencies**: 3.2
- **Blocks**: None

**Achievement 4.1: Release** ⏱️ 1 hour

- **Dependencies**: 3.3
"""


def timed_parallel_json(**overrides: list[str]) -> str:
    deps = {"1.1": [], "2.1": ["1.1"], "3.1": ["2.1"], "3.2": ["2.1"], "3.3": ["2.1"]}
    deps.update(overrides)
    items = [{"achievement_id": a, "title": a, "dependencies": d} for a, d in deps.items()]
    notes = "Priority 3 achievements (3.1, 3.2, 3.3) are independent and can run in parallel"
    return json.dumps(
        {
            "plan_name": "FOO",
            "parallelization_level": "level_2",
            "achievements": items,
            "notes": notes,
        },
        indent=2,
    )


def timed_workspace(tmp_path, pj: str):
    files = {PLAN: TIMED_PLAN, PJ: pj, **approved("11", "21")}
    for code in ("31", "32", "33"):
        aid = f"{code[0]}.{code[1]}"
        files[f"{P}/execution/EXECUTION_TASK_FOO_{code}_01.md"] = execution_md("FOO", aid)
    return make_workspace(tmp_path, files)


def test_parallel_json_dependencies_replace_the_plans_and_disagreements_are_reported(tmp_path):
    root = timed_workspace(tmp_path, timed_parallel_json())
    ws = load(root, cache=False, now=NOW)
    plan = ws.plan("FOO")
    deps = {a.id: a.dependencies for a in plan.achievements}
    # Listed in parallel.json: its dependencies only (no PLAN Dependencies or Blocks edges).
    assert deps["3.1"] == ("2.1",)
    assert deps["3.2"] == ("2.1",)
    assert deps["3.3"] == ("2.1",)
    # Not listed: the PLAN's.
    assert deps["4.1"] == ("3.3",)
    assert plan.ready == ("3.1", "3.2", "3.3")
    assert plan.waves == (("3.1", "3.2", "3.3"), ("4.1",))
    for aid in ("3.1", "3.2", "3.3"):
        assert "blocked" not in plan.achievement(aid).flags
    # One warning per disagreeing achievement, at the PLAN's Dependencies line. 3.1's PLAN
    # edges (2.1, and 1.1 through a Blocks line) only repeat a chain: no disagreement.
    deps_32 = line_of(TIMED_PLAN, "- **Dependencies**: 3.1")
    deps_33 = line_of(TIMED_PLAN, "- **Dependencies**: 3.2")
    assert problems_about(ws, "parallel.json is used") == [
        (
            PLAN,
            deps_32,
            "warning",
            "Achievement 3.2: the PLAN says it depends on 3.1, parallel.json on 2.1 — "
            "parallel.json is used",
        ),
        (
            PLAN,
            deps_33,
            "warning",
            "Achievement 3.3: the PLAN says it depends on 3.2, parallel.json on 2.1 — "
            "parallel.json is used",
        ),
    ]


def test_a_blocked_reason_names_the_file_that_decided_it(tmp_path):
    # 3.2 waits for 3.1 by parallel.json (the PLAN agrees); 4.1 waits for 3.3 by the PLAN.
    pj = timed_parallel_json(**{"3.2": ["3.1"]})
    root = timed_workspace(tmp_path, pj)
    plan = load(root, cache=False, now=NOW).plan("FOO")
    assert plan.ready == ("3.1", "3.3")
    by_pj = plan.achievement("3.2")
    assert "blocked" in by_pj.flags
    (reason,) = [r for r in by_pj.reasons if r.text.startswith("blocked")]
    assert reason.text == "blocked: waits for 3.1 (not approved) — dependencies from parallel.json"
    assert (reason.path, reason.line) == (PJ, line_of(pj, '"achievement_id": "3.2"'))
    by_plan = plan.achievement("4.1")
    (reason,) = [r for r in by_plan.reasons if r.text.startswith("blocked")]
    assert reason.text == "blocked: waits for 3.3 (not approved) — dependencies from PLAN_FOO.md"
    assert (reason.path, reason.line) == (PLAN, line_of(TIMED_PLAN, "- **Dependencies**: 3.3"))


def test_a_cycle_only_in_plan_edges_that_parallel_json_overrides_is_no_cycle(tmp_path):
    pj = '{"achievements": [\n{"achievement_id": "1.1", "dependencies": []},\n' + (
        '{"achievement_id": "1.2", "dependencies": ["1.1"]}\n]}'
    )
    text = plan_md("FOO", deps={"1.1": "1.2", "1.2": "1.1"})
    root = make_workspace(tmp_path, {PLAN: text, PJ: pj})
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "cycle") == []
    plan = ws.plan("FOO")
    assert plan.achievement("1.1").dependencies == ()
    assert plan.ready == ("1.1",)
    assert problems_about(ws, "parallel.json is used") == [
        (
            PLAN,
            line_of(text, "- **Dependencies**: 1.2"),
            "warning",
            "Achievement 1.1: the PLAN says it depends on 1.2, parallel.json on nothing — "
            "parallel.json is used",
        )
    ]


def test_a_cycle_parallel_json_decides_and_its_unknown_ids_point_at_its_lines(tmp_path):
    pj = (
        '{"parallel_execution_waves": [["1.2", "1.1"]],\n "achievements": [\n'
        '  {"achievement_id": "1.1", "dependencies": ["1.2"]},\n'
        '  {"achievement_id": "1.2", "dependencies": ["1.1", "9.9"]}\n]}'
    )
    root = make_workspace(tmp_path, {PLAN: plan_md("FOO"), PJ: pj})
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "cycle") == [
        (PJ, line_of(pj, '"achievement_id": "1.1"'), "error", "dependency cycle: 1.1 → 1.2 → 1.1")
    ]
    assert problems_about(ws, "unknown") == [
        (
            PJ,
            line_of(pj, '"achievement_id": "1.2"'),
            "error",
            "achievement 1.2 depends on unknown achievement 9.9",
        )
    ]
    assert ws.plan("FOO").ready == ()


# -- index ✅ marks that lag the files ------------------------------------------------------

INDEX = """
## 📋 Achievement Index

- ✅ Achievement 1.1: A
- Achievement 1.2: B
- ✅ Achievement 1.3: C
- Achievement 2.1: D
- Achievement 2.2: E
"""
ACH = [("1.1", "A"), ("1.2", "B"), ("1.3", "C"), ("2.1", "D"), ("2.2", "E")]


def test_a_checkmark_only_on_the_index_is_reported_at_the_index_line(tmp_path):
    text = plan_md("FOO", ACH, extra=INDEX)
    root = make_workspace(tmp_path, {PLAN: text, **approved("11")})
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "but there is no APPROVED") == [
        (
            PLAN,
            line_of(text, "- ✅ Achievement 1.3: C"),
            "warning",
            "PLAN marks achievement 1.3 ✅ but there is no APPROVED_13.md",
        )
    ]
    assert ws.plan("FOO").achievement("1.3").state == "not_started"


def test_a_checkmark_on_the_definition_is_reported_at_the_definition(tmp_path):
    ach = [("1.1", "A ✅"), ("1.2", "B")]
    text = plan_md("FOO", ach)
    root = make_workspace(tmp_path, {PLAN: text, **approved("12")})
    ws = load(root, cache=False, now=NOW)
    assert [(p[1], p[3]) for p in problems_about(ws, "but there is no APPROVED")] == [
        (
            line_of(text, "**Achievement 1.1**"),
            "PLAN marks achievement 1.1 ✅ but there is no APPROVED_11.md",
        )
    ]


def test_approved_achievements_missing_from_a_scoring_index_are_reported_once(tmp_path):
    text = plan_md("FOO", ACH, extra=INDEX)
    root = make_workspace(tmp_path, {PLAN: text, **approved("11", "12", "13", "21")})
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "Achievement Index") == [
        (
            PLAN,
            line_of(text, "- Achievement 1.2: B"),
            "warning",
            "Achievement Index has no ✅ for approved 1.2, 2.1",
        )
    ]
    assert problems_about(ws, "but there is no APPROVED") == []


def test_an_index_without_any_checkmark_keeps_no_score(tmp_path):
    index = INDEX.replace("✅ ", "")
    root = make_workspace(
        tmp_path, {PLAN: plan_md("FOO", ACH, extra=index), **approved("11", "12")}
    )
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "✅") == []


# -- statuses recorded in parallel.json -----------------------------------------------------


def test_recorded_statuses_the_files_contradict_are_reported_once_per_file(tmp_path):
    pj = """{
  "plan_name": "FOO",
  "priority_groups": [{"priority": 1, "achievements": ["1.1", "1.2", "1.3"]}],
  "achievements": [
    {"achievement_id": "1.1", "dependencies": [], "status": "complete"},
    {"achievement_id": "1.2", "dependencies": [], "status": "not_started"},
    {"achievement_id": "1.3", "dependencies": [], "status": "complete"},
    {"achievement_id": "1.4", "dependencies": [], "status": "in_progress"},
    {"achievement_id": "1.5", "dependencies": [], "status": "not_started"},
    {"achievement_id": "1.6", "dependencies": [], "status": "in_progress"}
  ]
}"""
    ach = [(f"1.{i}", f"A{i}") for i in range(1, 7)]
    root = make_workspace(
        tmp_path,
        {
            PLAN: plan_md("FOO", ach),
            PJ: pj,
            **approved("11", "12", "14"),
            f"{P}/execution/EXECUTION_TASK_FOO_13_01.md": execution_md("FOO", "1.3"),
        },
    )
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "parallel.json records") == [
        (
            PJ,
            line_of(pj, '"achievement_id": "1.2"'),
            "warning",
            "parallel.json records 1.2 as 'not_started' and 1.4 as 'in_progress' but they are "
            "approved; 1.3 as 'complete' but it is not approved (recorded, not used)",
        )
    ]
    # Still shown as recorded, never trusted over the files.
    plan = ws.plan("FOO")
    assert plan.achievement("1.3").recorded_status == "complete"
    assert plan.achievement("1.3").state == "executing"
    assert plan.achievement("1.2").state == "approved"


def test_recorded_statuses_that_agree_with_the_files_are_not_reported(tmp_path):
    pj = json.dumps(
        {
            "achievements": [
                {"achievement_id": "1.1", "dependencies": [], "status": "completed"},
                {"achievement_id": "1.2", "dependencies": [], "status": "pending"},
            ]
        }
    )
    root = make_workspace(tmp_path, {PLAN: plan_md("FOO"), PJ: pj, **approved("11")})
    ws = load(root, cache=False, now=NOW)
    assert problems_about(ws, "records") == []


def test_an_unknown_id_in_the_plans_dependencies_is_reported_when_parallel_json_decides(
    tmp_path,
):
    plan = TIMED_PLAN.replace("- **Dependencies**: 3.2", "- **Dependencies**: 3.2, 9.9")
    root = timed_workspace(tmp_path, timed_parallel_json())
    (root / PLAN).write_text(plan)
    ws = load(root, cache=False, now=NOW)
    assert ws.plan("FOO").achievement("3.3").dependencies == ("2.1",)
    assert problems_about(ws, "unknown achievement 9.9") == [
        (
            PLAN,
            line_of(plan, "- **Dependencies**: 3.2, 9.9"),
            "warning",
            "achievement 3.3 depends on unknown achievement 9.9 "
            "(not used: parallel.json's dependencies are)",
        )
    ]
