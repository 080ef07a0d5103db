"""Property tests: nothing in a workspace crashes the loader, and apply() equals load()."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wsbuilder import execution_md, plan_md, subplan_md

from llmflow_tui.model import load

NOW = 1_795_000_000.0

FRAGMENTS = [
    "# PLAN: X",
    "## 🎯 Desirable Achievements",
    "### Priority 1: CORE",
    "**Achievement 1.1**: Title",
    "**Achievement 1.2: Title** ⏱️ 4-6 hours",
    "### Achievement 2.1: Done ✅ COMPLETE",
    "- ✅ Achievement 1.1: Indexed",
    "## 📋 Achievement Index",
    "```",
    "~~~",
    "```python",
    "**Status**: ✅ Complete",
    "**Status**: In Progress",
    "**Status**:",
    "**Final Status**: Phase 1 COMPLETE",
    "**Phase**: 1 of 2",
    "**Achievement**: 1.2",
    "- **Dependencies**: 1.1, 9.9",
    "- **Blocks**: 1.1",
    "## 🔄 Current Status & Handoff",
    "⏳ Next: Achievement 1.2",
    "**Progress**: 3/9",
    "**Achievement 3.5.1**: sub",
    "| PLAN_FOO | active |",
    "**Parent GrammaPlan**: GRAMMAPLAN_G.md",
    "**Archive Location**: ../../../etc",
    "**Achievement",
    "#",
    "EXECUTION*TASK*F\\_11_01.md",
    "| Plan | Depends on | Blocks |",
    "| PLAN_F | PLAN_G, PLAN_F | PLAN_G |",
    "| PLAN_G | PLAN_F |",
    "|---|---|",
    "## 📊 Subplan Tracking",
    "- SUBPLAN_F_11: Achievement 1.1 - Status: ✅ Complete",
    "- SUBPLAN\\_F\\_110 ✅",
    "**Review Date**: November 7, 2025",
    "**Achievement**: Achievement 1.1 & 1.2 - Both",
    "**Achievement Addressed**: Achievement 1.2.5 (a part)",
    "**Achievement**: 1.1, 1.1/1.2 and",
]
NAMES = [
    "PLAN_F.md",
    "PLAN_SUMMARY.md",
    "GRAMMAPLAN_G.md",
    "SUBPLAN_F_11.md",
    "SUBPLAN_F_110.md",
    "SUBPLAN_.md",
    "EXECUTION_TASK_F_11_01.md",
    "EXECUTION_TASK_F_11_01_V2.md",
    "EXECUTION_TASK_F_1.md",
    "APPROVED_11.md",
    "FIX_11.md",
    "FIX_11_RESOLUTION.md",
    "parallel.json",
    "pause.txt",
]
DIRS = [
    "",
    "work-space/plans/F",
    "work-space/plans/F/subplans",
    "work-space/plans/F/execution",
    "work-space/plans/F/execution/feedbacks",
    "work-space/plans/a_paused/F",
    "work-space/subplans",
    "work-space/plans/F/F-old",
    "documentation/archive/f",
    "documentation/archive/f-nov-2025/execution/feedbacks",
    "work-space/plans/OLD",
    "work-space/plans/OLD/subplans",
]

markdown = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40).map(
    "\n".join
)
contents = st.one_of(
    markdown.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.sampled_from([b"[", b'{"achievements": 5}', b'{"achievements": [{"achievement_id": 1}]}']),
)
trees = st.lists(
    st.tuples(st.sampled_from(DIRS), st.sampled_from(NAMES), contents), min_size=1, max_size=12
)


def _materialise(root: Path, tree) -> None:
    for folder, name, data in tree:
        d = root / folder
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(data)


@settings(
    max_examples=int(os.environ.get("NEVER_RAISES_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tree=trees)
def test_loader_never_raises(tree):
    root = Path(tempfile.mkdtemp())
    try:
        _materialise(root, tree)
        ws = load(root, cache=False, now=NOW)
        json.dumps(ws.to_json())
        for plan in ws.plans:
            assert plan.state in {
                "complete",
                "complete_unverified",
                "needs_attention",
                "active",
                "not_started",
            }
    finally:
        shutil.rmtree(root)


# -- apply() equals load() after random edits ---------------------------------------------

_CHILD_PLAN = plan_md("H", header="**Parent GrammaPlan**: GRAMMAPLAN_BIG.md")

SEED = {
    "work-space/plans/F/PLAN_F.md": plan_md("F", [("1.1", "A"), ("1.2", "B"), ("2.1", "C")]),
    "work-space/plans/F/subplans/SUBPLAN_F_11.md": subplan_md("F", "1.1", planned=2),
    "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md": execution_md("F", "1.1"),
    "work-space/plans/a_paused/G/PLAN_G.md": plan_md("G"),
    "work-space/subplans/SUBPLAN_G_12.md": subplan_md("G", "1.2"),
}
PATHS = [
    "work-space/plans/F/PLAN_F.md",
    "work-space/plans/F/parallel.json",
    "work-space/plans/F/subplans/SUBPLAN_F_12.md",
    "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md",
    "work-space/plans/F/execution/EXECUTION_TASK_F_11_02.md",
    "work-space/plans/F/execution/EXECUTION_TASK_F_11_01_V2.md",
    "work-space/plans/F/execution/feedbacks/APPROVED_11.md",
    "work-space/plans/F/execution/feedbacks/FIX_12.md",
    "work-space/plans/G/PLAN_G.md",
    "work-space/plans/a_paused/G/PLAN_G.md",
    "work-space/subplans/SUBPLAN_G_12.md",
    "work-space/subplans/SUBPLAN_H_11.md",
    "work-space/plans/H/PLAN_H.md",
    "work-space/plans/F/F-old/PLAN_F.md",
    "PLAN_G.md",
    "work-space/GRAMMAPLAN_BIG.md",
    # H cut short from BIG-H (while no PLAN_H exists and BIG-H is the only plan ending in H)
    "work-space/plans/BIG-H/PLAN_BIG-H.md",
    "work-space/plans/X-H/PLAN_X-H.md",
    "work-space/execution/EXECUTION_TASK_H_11_01.md",
    # archives: an archived plan, archived runs and SUBPLANs, a name outside the grammar
    "documentation/archive/h/PLAN_H.md",
    "documentation/archive/h/EXECUTION_TASK_H_11_01.md",
    "work-space/plans/F/subplans/SUBPLAN_F_11_ARCHIVED.md",
    "work-space/plans/F/execution/EXECUTION_TASK_F_11_02_ARCHIVED.md",
    "work-space/plans/F/execution/EXECUTION_TASK_F_EXAMPLE_01.md",
    # numbered by a running counter (07 is no achievement): the header or the SUBPLAN decides
    "work-space/plans/F/subplans/SUBPLAN_F_07.md",
    "work-space/plans/F/execution/EXECUTION_TASK_F_07_01.md",
    # a plan folder renamed away from its PLAN (a plan folder while it holds F's work and no
    # plan folder of its own)
    "work-space/plans/OLD/PLAN_F.md",
    "work-space/plans/OLD/subplans/SUBPLAN_F_12.md",
    "work-space/plans/OLD/execution/EXECUTION_TASK_F_12_01.md",
    "work-space/plans/OLD/execution/feedbacks/APPROVED_12.md",
    "work-space/plans/OLD/G/PLAN_G.md",
    # archived feedback found by its archive folder's name (a date after the feature; H is
    # also cut short from BIG-H while that is the only plan ending in H)
    "documentation/archive/h-nov-2025/execution/feedbacks/APPROVED_11.md",
    "documentation/archive/g-partial-nov2025/execution/feedbacks/APPROVED_12.md",
]
DIR_TARGETS = [
    "work-space/plans/F/execution",
    "work-space/plans/a_paused/G",
    "work-space/plans/H",
    "work-space/plans/BIG-H",
    "documentation/archive",
    "work-space/plans/OLD",
    "work-space/plans/OLD/subplans",
]
BODIES = [
    execution_md("F", "1.1", final_status="✅ Complete"),
    execution_md("F", "1.1", date="2020-01-01"),
    plan_md("F", [("1.1", "A"), ("1.2", "B")], deps={"1.2": "1.1"}),
    plan_md("G", [("1.2", "B")]),
    plan_md("H"),
    subplan_md("F", "1.2"),
    '{"achievements": [{"achievement_id": "1.2", "dependencies": ["1.1"]}]}',
    # disagrees with the PLAN's 1.2 → 1.1, and records statuses the files may contradict
    '{"achievements": [{"achievement_id": "1.2", "dependencies": [], "status": "complete"},'
    ' {"achievement_id": "1.1", "dependencies": ["1.2"], "status": "not_started"}]}',
    plan_md(
        "F",
        [("1.1", "A"), ("1.2", "B")],
        deps={"1.2": "1.1"},
        extra="## 📋 Achievement Index\n\n- ✅ Achievement 1.2: B\n- Achievement 1.1: A\n",
    ),
    "",
    "# APPROVED\n",
    _CHILD_PLAN,
    plan_md("G", header="**Parent GrammaPlan**: GRAMMAPLAN_NONE.md"),
    "# GRAMMAPLAN: Big\n\n| Plan | Depends on |\n|---|---|\n| PLAN_F | PLAN_G |\n"
    "| PLAN_G | PLAN_F |\n| PLAN_Q | PLAN_H |\n",
    # a Progress column, compared with the plans' files (it changes with an APPROVED file)
    "# GRAMMAPLAN: Big\n\n| Plan | Progress |\n|---|---|\n| PLAN_F | 50% |\n| PLAN_G | 1/2 |\n",
    # headers naming two achievements, or a sub-achievement
    execution_md("F", "1.1 & 1.2", final_status="✅ Complete"),
    subplan_md("F", "Achievement 1.2.5 (a part of 1.2)"),
    "# EXECUTION_TASK: no header\n\n**Status**: In Progress\n",
]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.sampled_from(PATHS), st.sampled_from(BODIES)),
        st.tuples(st.just("delete"), st.sampled_from(PATHS), st.just("")),
        st.tuples(st.just("rmdir"), st.sampled_from(DIR_TARGETS), st.just("")),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=int(os.environ.get("APPLY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=steps)
# A PLAN deleted: its folder's parallel.json becomes a loose file whose problems still count.
@example(
    steps=[
        ("write", "work-space/plans/F/parallel.json", "not json"),
        ("delete", "work-space/plans/F/PLAN_F.md", ""),
    ]
)
# A second PLAN_G.md takes over: the "parent not found" problem moves to the PLAN now used.
@example(
    steps=[
        ("write", "PLAN_G.md", _CHILD_PLAN),
        ("rmdir", "work-space/plans/a_paused/G", ""),
        ("write", "work-space/plans/G/PLAN_G.md", _CHILD_PLAN),
    ]
)
# A cut-short flat name joins BIG-H when its PLAN comes, goes back when PLAN_H comes.
@example(
    steps=[
        ("write", "work-space/execution/EXECUTION_TASK_H_11_01.md", BODIES[0]),
        ("write", "work-space/plans/BIG-H/PLAN_BIG-H.md", BODIES[4]),
        ("write", "work-space/plans/H/PLAN_H.md", BODIES[4]),
        ("delete", "work-space/plans/H/PLAN_H.md", ""),
        ("write", "work-space/plans/X-H/PLAN_X-H.md", BODIES[4]),
        ("rmdir", "work-space/plans/BIG-H", ""),
    ]
)
# An approval moves a plan's progress: a GRAMMAPLAN's Progress column is compared again.
@example(
    steps=[
        ("write", "work-space/GRAMMAPLAN_BIG.md", BODIES[-1]),
        ("write", "work-space/plans/F/execution/feedbacks/APPROVED_11.md", "# APPROVED\n"),
    ]
)
# A folder becomes F's renamed plan folder, a group (a plan folder inside), one again, none.
@example(
    steps=[
        ("write", "work-space/plans/OLD/PLAN_F.md", BODIES[2]),
        ("write", "work-space/plans/OLD/execution/feedbacks/APPROVED_12.md", "# APPROVED\n"),
        ("write", "work-space/plans/OLD/subplans/SUBPLAN_F_12.md", BODIES[5]),
        ("write", "work-space/plans/OLD/G/PLAN_G.md", BODIES[3]),
        ("delete", "work-space/plans/OLD/G/PLAN_G.md", ""),
        ("rmdir", "work-space/plans/OLD/subplans", ""),
    ]
)
# Archived approvals whose archive folder is named for no plan yet, then for H (cut short
# from BIG-H), then for H itself.
@example(
    steps=[
        ("write", "documentation/archive/h-nov-2025/execution/feedbacks/APPROVED_11.md", ""),
        ("write", "work-space/plans/BIG-H/PLAN_BIG-H.md", BODIES[4]),
        ("write", "work-space/plans/H/PLAN_H.md", BODIES[4]),
        ("delete", "work-space/plans/BIG-H/PLAN_BIG-H.md", ""),
    ]
)
def test_apply_equals_load(steps):
    root = Path(tempfile.mkdtemp())
    try:
        for rel, text in SEED.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        ws = load(root, cache=False, now=NOW)
        tick = 1_700_000_000
        for op, rel, body in steps:
            path = root / rel
            if op == "write":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(body)
                tick += 10
                os.utime(path, (tick, tick))  # an mtime that surely differs
                changed = [path]  # watchers report the file; the new folder is implied
            elif op == "delete":
                if path.exists():
                    path.unlink()
                changed = [path]
            else:
                shutil.rmtree(path, ignore_errors=True)
                changed = [path]
            ws = ws.apply(changed)
            fresh = load(root, cache=False, now=NOW)
            assert ws == fresh
            assert ws.to_json() == fresh.to_json()
            errors = sum(1 for p in fresh.problems if p.severity == "error")
            counts = (errors, len(fresh.problems) - errors)
            assert ws.problem_counts == fresh.problem_counts == counts
    finally:
        shutil.rmtree(root)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(d))
    return d


def _seed(root: Path) -> None:
    for rel, text in SEED.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_warm_load_from_cache_equals_cold(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    # A flat name cut short from BIG-H: attached there, and still after a warm start.
    for rel, text in {
        "work-space/plans/BIG-H/PLAN_BIG-H.md": plan_md("BIG-H"),
        "work-space/execution/EXECUTION_TASK_H_11_01.md": execution_md("BIG-H", "1.1"),
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cold = load(root, cache=True, now=NOW)
    assert any(cache_dir.iterdir())
    warm = load(root, cache=True, now=NOW)
    assert warm == cold and warm == load(root, cache=False, now=NOW)
    # The names index read back from the cache still knows which tokens are cut short.
    assert warm._index is not None
    assert warm.plan_of("work-space/execution/EXECUTION_TASK_H_11_01.md").name == "BIG-H"
    plan_h = root / "work-space/plans/H/PLAN_H.md"
    plan_h.parent.mkdir(parents=True)
    plan_h.write_text(plan_md("H"))
    after = warm.apply([plan_h])
    assert after.plan_of("work-space/execution/EXECUTION_TASK_H_11_01.md").name == "H"
    assert after == load(root, cache=False, now=NOW)


def test_cache_never_trusted_over_a_changed_file(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    load(root, cache=True, now=NOW)
    path = root / "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md"
    text = path.read_text()
    # Same size, new mtime: only the mtime says it changed.
    path.write_text(text.replace("In Progress", "Complete!!!"))
    os.utime(path, (NOW, NOW))
    warm = load(root, cache=True, now=NOW)
    assert warm.plan("F").achievement("1.1").executions[0].complete
    assert warm == load(root, cache=False, now=NOW)


def test_corrupt_cache_is_ignored(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    load(root, cache=True, now=NOW)
    for f in cache_dir.iterdir():
        f.write_bytes(b"not a pickle")
    assert load(root, cache=True, now=NOW) == load(root, cache=False, now=NOW)


def test_apply_on_a_warm_snapshot(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    load(root, cache=True, now=NOW)
    warm = load(root, cache=True, now=NOW)
    path = root / "work-space/plans/F/execution/feedbacks/APPROVED_11.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("ok")
    after = warm.apply([path])
    assert after.plan("F").achievement("1.1").state == "approved"
    assert after == load(root, cache=False, now=NOW)


def test_an_unchanged_warm_start_reads_only_the_plans_until_more_is_needed(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    (root / "work-space/plans/GRAMMAPLAN_ALL.md").write_text("# GRAMMAPLAN: All\n\n| PLAN_F |\n")
    cold = load(root, cache=True, now=NOW)
    warm = load(root, cache=True, now=NOW)
    assert warm._index is not None  # names, refs and documents still pickled
    assert warm == cold and warm.files == cold.files
    assert warm.grammaplans == cold.grammaplans and warm.grammaplans
    rel = "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md"
    assert warm.doc(rel) == cold.doc(rel)  # read from the index on demand
    assert warm._index is None


def test_a_warm_start_on_a_later_day_works_stale_flags_out_again(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    load(root, cache=True, now=NOW)
    later = NOW + 30 * 86400
    warm = load(root, cache=True, now=later)
    fresh = load(root, cache=False, now=later)
    assert warm == fresh
    assert "stale" in fresh.plan("F").achievement("1.1").flags


def test_a_warm_start_with_another_staleness_setting_is_worked_out_again(tmp_path, cache_dir):
    root = tmp_path / "ws"
    _seed(root)
    later = NOW + 3 * 86400  # the execution is 3 days old: stale after 1 day, not after 7
    load(root, cache=True, now=later, stale_days=7)
    warm = load(root, cache=True, now=later, stale_days=1)
    assert warm == load(root, cache=False, now=later, stale_days=1)
    assert "stale" in warm.plan("F").achievement("1.1").flags


# -- the fast parallel.json check never hides a schema error --------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1.1", "2.10", "1.1\n", "١.٢", "x", "", "level_2", "level_9", "4-6"]),
)
_json_values = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
_items = st.dictionaries(
    st.sampled_from(
        ["achievement_id", "dependencies", "title", "estimated_hours", "status", "executor", "x"]
    ),
    _json_values,
)
_docs = st.dictionaries(
    st.sampled_from(
        ["plan_name", "parallelization_level", "created_date", "achievements", "notes", "extra"]
    ),
    st.one_of(_json_values, st.lists(_items, max_size=3)),
)


@settings(max_examples=400, deadline=None)
@given(doc=st.one_of(_docs, _json_values))
def test_fast_parallel_check_is_stricter_than_the_schema(doc):
    import jsonschema

    from llmflow_tui.model.parse import PARALLEL_SCHEMA, _surely_valid

    if _surely_valid(doc):
        assert list(jsonschema.Draft202012Validator(PARALLEL_SCHEMA).iter_errors(doc)) == []


def test_fast_parallel_check_accepts_a_typical_file():
    from llmflow_tui.model.parse import _surely_valid

    doc = {
        "plan_name": "X",
        "parallelization_level": "level_2",
        "achievements": [
            {"achievement_id": "1.1", "dependencies": [], "estimated_hours": 4},
            {"achievement_id": "1.2", "dependencies": ["1.1"], "estimated_hours": "4-6"},
        ],
        "notes": ["a", "b"],
    }
    assert _surely_valid(doc)
    assert not _surely_valid({**doc, "parallelization_level": "level_9"})


_name_parts = st.lists(
    st.sampled_from(
        ["PLAN", "SUBPLAN", "EXECUTION", "TASK", "GRAMMAPLAN", "NORTH", "STAR", "APPROVED", "FIX"]
        + ["SKIPPED", "RESOLUTION", "F", "AUTH-2", "31", "01", "110", "V2", "ARCHIVED", "x"]
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(
    parts=_name_parts,
    ext=st.sampled_from([".md", ".txt", ".json", ""]),
    folder=st.sampled_from(["", "plans/F/", "archive/", "execution/feedbacks/"]),
)
def test_the_raw_walk_prefilter_keeps_every_methodology_name(parts, ext, folder):
    from llmflow_tui.model import names as N

    name = "_".join(parts) + ext
    for candidate in (name, "parallel.json", "completed.txt", "02.txt"):
        if N.classify(folder + candidate) is not None:
            assert N.might_be_methodology(candidate), candidate


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS + ["````", "```js", "  ```", "    ```", "~~~~", "# h"]),
            st.text(alphabet="#`~ \tab\n", max_size=12),
        ),
        max_size=30,
    )
)
def test_fences_and_headings_match_a_line_by_line_reading(lines):
    import re

    from llmflow_tui.model.text import fences_and_headings

    # The reference: CommonMark's rule read one line at a time, as a person would.
    text = "\n".join(lines)
    spans, heads, open_at, offset = [], [], None, 0
    for line in text.split("\n"):
        fence = re.match(r"[ \t]{0,3}(`{3,}|~{3,})(.*)", line)
        if open_at is None and fence and not (fence[1][0] == "`" and "`" in fence[2]):
            open_at, char, size = offset, fence[1][0], len(fence[1])
        elif open_at is not None and fence and fence[1][0] == char and len(fence[1]) >= size:
            if not fence[2].strip():
                spans.append((open_at, offset + len(line)))
                open_at = None
        elif open_at is None and (h := re.match(r"(#{1,6})[ \t]+(.*)", line)):
            heads.append((len(h[1]), h[2].rstrip(" \t#").strip(), offset, offset + len(line)))
        offset += len(line) + 1
    if open_at is not None:
        spans.append((open_at, len(text) + 1))
    fences, found = fences_and_headings(text)
    assert list(zip(fences.starts, fences.ends, strict=True)) == spans
    assert fences.unclosed_at == open_at
    assert found == heads


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Started**: 2025-11-07 10:00 UTC", "2025-11-07"),
        ("**Completed**: November 7, 2025", "2025-11-07"),
        ("on January 12 2026, then 2025-12-31", "2026-01-12"),
        ("id 12025-11-07 and 2026-11-211 and 2025-13-01", None),
        ("[DATE]", None),
    ],
)
def test_dates_written_in_a_document(text, expected):
    from llmflow_tui.model.text import latest_date

    assert latest_date(text) == expected


def test_a_damaged_index_in_the_cache_is_rebuilt_not_fatal(tmp_path, cache_dir):
    import pickle

    root = tmp_path / "ws"
    _seed(root)
    cold = load(root, cache=True, now=NOW)
    (cache_file,) = cache_dir.iterdir()
    with open(cache_file, "rb") as fh:
        pickle.load(fh)  # the first half: what a warm start reads
        head = fh.tell()
    with open(cache_file, "r+b") as fh:
        fh.truncate(head + 10)  # the index half is cut short
    warm = load(root, cache=True, now=NOW)
    assert warm == cold
    rel = "work-space/plans/F/execution/EXECUTION_TASK_F_11_01.md"
    assert warm.doc(rel) == cold.doc(rel)
    path = root / "work-space/plans/F/execution/feedbacks/APPROVED_11.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("ok")
    assert warm.apply([path]) == load(root, cache=False, now=NOW)
