"""A load split across a helper process gives exactly what one process gives."""

from __future__ import annotations

import json

import pytest
from wsbuilder import execution_md, make_workspace, plan_md, subplan_md

from llmflow_tui.model import _fork, load
from llmflow_tui.model.workspace import FORK_MIN_FILES

NOW = 1_795_000_000.0


def _big_workspace(root):
    """Enough plans (in several states, with problems) to cross the helper threshold."""
    files = {}
    for i in range(FORK_MIN_FILES // 4 + 5):
        f = f"F{i:03d}"
        base = f"work-space/plans/{f}"
        files[f"{base}/PLAN_{f}.md"] = plan_md(f, [("1.1", "One"), ("1.2", "Two")])
        files[f"{base}/subplans/SUBPLAN_{f}_11.md"] = subplan_md(f, "1.1")
        files[f"{base}/execution/EXECUTION_TASK_{f}_11_01.md"] = execution_md(
            f, "1.1", status="✅ Complete" if i % 2 else "In Progress"
        )
        if i % 3 == 0:
            files[f"{base}/execution/feedbacks/APPROVED_11.md"] = "ok"
        if i % 7 == 0:
            files[f"{base}/parallel.json"] = json.dumps(
                {"achievements": [{"achievement_id": "1.2", "dependencies": ["1.1", "9.9"]}]}
            )
        if i % 11 == 0:
            files[f"{base}/parallel.json"] = '{"achievements": [ broken'
    return make_workspace(root, files)


@pytest.mark.skipif(not _fork.available(), reason="needs fork and two CPUs")
def test_forked_cold_and_warm_loads_equal_a_single_process_load(tmp_path, monkeypatch):
    root = _big_workspace(tmp_path / "ws")
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LLMFLOW_NO_PARALLEL", "1")
    alone = load(root, cache=False, now=NOW)
    monkeypatch.delenv("LLMFLOW_NO_PARALLEL")
    split = load(root, cache=True, now=NOW)  # cold, half of it read by a forked helper
    warm = load(root, cache=True, now=NOW)  # the tree walked by a forked helper
    assert alone.plans == split.plans == warm.plans
    assert alone.problems == split.problems == warm.problems
    assert len(alone.plans) > FORK_MIN_FILES // 4
    assert any("invalid JSON" in p.message for p in split.problems)
    assert any("9.9" in p.message for p in split.problems)


@pytest.mark.skipif(not _fork.available(), reason="needs fork")
def test_a_failing_helper_is_replaced_by_the_parent(tmp_path, monkeypatch):
    root = _big_workspace(tmp_path / "ws")
    expected = load(root, cache=False, now=NOW)

    def boom(*_args):
        raise RuntimeError("helper died")

    monkeypatch.setattr("llmflow_tui.model.workspace.read_units", boom)
    assert load(root, cache=False, now=NOW) == expected


def test_the_walk_split_in_shares_covers_the_tree_exactly_once(tmp_path):
    from llmflow_tui.model.workspace import _walk

    root = _big_workspace(tmp_path / "ws")
    make_workspace(
        root,
        {
            "PLAN_LEGACY.md": plan_md("LEGACY"),
            "work-space/subplans/SUBPLAN_LEGACY_11.md": subplan_md("LEGACY", "1.1"),
            "work-space/plans/a_paused/P/PLAN_P.md": plan_md("P"),
            "work-space/plans/a_paused/PLAN_LOOSE.md": plan_md("LOOSE"),
            "work-space/plans/F001/F001-old/PLAN_F001.md": plan_md("F001"),
            "work-space/work-space/plans/X/PLAN_X.md": plan_md("X"),
        },
    )
    whole, skipped = _walk(str(root))
    shares = [_walk(str(root), part=(k, 3)) for k in range(3)]
    merged = {}
    for found, _ in shares:
        assert found  # every share has work
        assert not set(found) & set(merged)  # disjoint
        merged.update(found)
    assert merged == whole
    assert {k: v for _, s in shares for k, v in s.items()} == skipped
    assert set(skipped) == {"work-space/plans/F001/F001-old", "work-space/work-space"}

    # A warm start compares per-share digests: the helpers' shares and a walk split here
    # after the fact give the same ones, and a touched file changes them.
    from llmflow_tui.model.workspace import _walk_all, _walk_part

    helpers = _walk_all(str(root), None)  # no helpers: split here
    parts = [_walk_part(str(root), (k, 2)) for k in range(2)]
    assert helpers.digests == tuple(p[0] for p in parts)
    assert helpers.raw == whole
    (root / "PLAN_LEGACY.md").write_text(plan_md("LEGACY") + "more\n")
    assert _walk_all(str(root), None).digests != helpers.digests


def test_a_pickled_plan_reads_its_achievements_back_on_first_use(tmp_path):
    import dataclasses
    import pickle

    root = _big_workspace(tmp_path / "ws")
    plan = load(root, cache=False, now=NOW).plans[0]
    back = pickle.loads(pickle.dumps(plan))
    assert "achievements" not in back.__dict__  # still a blob
    assert back.tally == plan.tally and back.progress == plan.progress
    assert back == plan  # equality reads them back
    assert "achievements" in back.__dict__
    # A copy with other achievements gets its own counts.
    fewer = dataclasses.replace(back, achievements=back.achievements[:1])
    assert fewer.tally.total == 1 and fewer.progress[1] == 1


def test_changes_on_disk_since_the_load_walk_are_found(tmp_path):
    import os

    root = _big_workspace(tmp_path / "ws")
    ws = load(root, cache=False, now=NOW)
    assert ws.changes_on_disk() == []
    edited = root / "work-space/plans/F001/execution/EXECUTION_TASK_F001_11_01.md"
    edited.write_text(edited.read_text() + "\n**Status**: ✅ Complete\n")
    os.utime(edited, (NOW + 5, NOW + 5))
    added = root / "work-space/plans/F002/execution/feedbacks/APPROVED_12.md"
    added.parent.mkdir(parents=True, exist_ok=True)
    added.write_text("ok")
    removed = root / "work-space/plans/F003/subplans/SUBPLAN_F003_11.md"
    removed.unlink()
    missed = ws.changes_on_disk()
    assert sorted(missed) == sorted(str(p) for p in (edited, added, removed))
    assert ws.apply(missed) == load(root, cache=False, now=NOW)
    assert ws.apply(missed).changes_on_disk() == []  # a snapshot from apply has no walk


@pytest.mark.skipif(not _fork.available(), reason="needs fork")
def test_a_collected_helper_is_never_signalled_again():
    helper = _fork.Forked(sum, [1, 2, 3])
    assert helper.result() == 6
    helper.cancel()  # its pid may belong to another process by now: nothing is sent
    with pytest.raises(RuntimeError):
        helper.result()


@pytest.mark.skipif(not _fork.available(), reason="needs fork and two CPUs")
def test_a_change_to_a_plan_the_helper_read_applies_like_a_fresh_load(tmp_path):
    import os

    root = _big_workspace(tmp_path / "ws")
    ws = load(root, cache=False, now=NOW)
    # The helper's plans come back with their documents still pickled; the first change to
    # one of them reads them back.
    first = "work-space/plans/F002/execution/EXECUTION_TASK_F002_11_01.md"
    assert first in ws._docs.where
    edited = root / first
    edited.write_text(edited.read_text() + "\n**Status**: ✅ Complete\n")
    os.utime(edited, (NOW + 5, NOW + 5))
    after = ws.apply([edited])
    fresh = load(root, cache=False, now=NOW)
    assert after == fresh
    assert after.plan("F002").achievements[0].state == "awaiting_review"
    assert ws.plan("F002").achievements[0].state == "executing"
