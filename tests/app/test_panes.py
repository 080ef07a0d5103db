"""Pure helpers of the panes: velocity, ETA and the critical path."""

from __future__ import annotations

import dataclasses
import time

from wsbuilder import execution_md, make_workspace, plan_md

from llmflow_tui.app.graph import critical_path
from llmflow_tui.app.panes import ProgressPane, eta, progress_row, velocity
from llmflow_tui.model import load

DAY = 86400.0


def _plan(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path / "cache"))
    ach = [("1.1", "A"), ("1.2", "B"), ("2.1", "C"), ("2.2", "D")]
    make_workspace(
        tmp_path / "ws",
        {"work-space/plans/X/PLAN_X.md": plan_md("X", ach, deps={"2.1": "1.1", "2.2": "2.1"})},
    )
    return load(tmp_path / "ws", cache=False).plan("X")


def test_velocity_needs_dates_on_different_days(tmp_path, monkeypatch):
    plan = _plan(tmp_path, monkeypatch)
    now = time.time()
    a = list(plan.achievements)
    same_day = [
        dataclasses.replace(a[0], state="approved", approved_at=now - 100),
        dataclasses.replace(a[1], state="approved", approved_at=now - 50),
        *a[2:],
    ]
    p1 = dataclasses.replace(plan, achievements=tuple(same_day))
    assert velocity(p1, now) is None
    assert eta(p1, now) == "6h"  # falls back to the remaining estimated effort (2 × 3h)
    spread = [
        dataclasses.replace(a[0], state="approved", approved_at=now - 7 * DAY),
        dataclasses.replace(a[1], state="approved", approved_at=now - 1 * DAY),
        *a[2:],
    ]
    p2 = dataclasses.replace(plan, achievements=tuple(spread))
    assert velocity(p2, now) == 2 / 14
    assert eta(p2, now) == "14d"  # 2 left at 1 per 7 days


def test_critical_path_follows_the_longest_dependency_chain(tmp_path, monkeypatch):
    plan = _plan(tmp_path, monkeypatch)
    assert critical_path(plan) == ["1.1", "2.1", "2.2"]


def test_blocked_chain_and_wave_counts(tmp_path, monkeypatch):
    from llmflow_tui.app.graph import blocked_chain
    from llmflow_tui.app.panes import wave_counts

    plan = _plan(tmp_path, monkeypatch)
    assert blocked_chain(plan, "2.2") == ["2.2", "2.1", "1.1"]
    assert blocked_chain(plan, "1.1") == ["1.1"]
    assert plan.waves[0] == ("1.1", "1.2")
    assert wave_counts(plan, plan.waves[0]) == "2 to start"
    assert wave_counts(plan, plan.waves[1]) == "1 blocked"


def test_plan_waves_order_child_plans_by_their_dependencies(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from llmflow_tui.app.graph import plan_waves

    plans = {
        n: SimpleNamespace(name=n, state=s)
        for n, s in [("A", "complete"), ("B", "active"), ("C", "not_started"), ("D", "active")]
        + [("X", "active"), ("Y", "active")]
    }
    waits = {"B": ("A",), "C": ("B", "GONE"), "X": ("Y",), "Y": ("X",)}
    done, waves, stuck = plan_waves(("A", "B", "C", "D", "X", "Y", "GONE"), waits, plans)
    assert done == ["A"]
    assert waves == [["B", "D"], ["C"]]  # a plan that is not in the workspace does not block
    assert stuck == ["X", "Y"]


def test_progress_row_counts_running_and_in_review_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path / "cache"))
    ex = "work-space/plans/X/execution/EXECUTION_TASK_X"
    make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/X/PLAN_X.md": plan_md("X", [("1.1", "A"), ("1.2", "B")]),
            f"{ex}_11_01.md": execution_md("X", "1.1"),  # in progress
            f"{ex}_12_01.md": execution_md("X", "1.2", final_status="✅ Complete"),
        },
    )
    plan = load(tmp_path / "ws", cache=False).plan("X")
    row = dict(zip(ProgressPane.COLUMNS, progress_row(plan), strict=True))
    assert (row["ready"], row["run"], row["rev"], row["blkd"]) == ("2", "1", "1", "0")


def test_a_long_name_is_cut_in_the_middle():
    from llmflow_tui.app.panes import short_name

    assert short_name("FEATURE0012", 9) == "FEAT…0012"
    assert short_name("FEATURE0019", 9) != short_name("FEATURE0012", 9)
    assert short_name("API-GATEWAY", 26) == "API-GATEWAY"
    assert len(short_name("GRAPHRAG-OBSERVABILITY-VALIDATION", 26)) == 26


def test_a_label_gives_way_name_first_then_short_form_then_end():
    from llmflow_tui.app.panes import fit_label

    label = fit_label(
        [("▣ ", ""), ("real-use-cases", "bold"), ("  0/1 complete · 1 ✔?", "dim")],
        1,
        short="  0/1 ✔ 1 ✔?",
    )
    assert label.fitted(40).plain == "▣ real-use-cases  0/1 complete · 1 ✔?"
    assert label.fitted(32).plain == "▣ real…ases  0/1 complete · 1 ✔?"  # readable name
    assert label.fitted(20).plain == "▣ rea…es  0/1 ✔ 1 ✔?"  # the short form, then the name
    assert label.fitted(17).plain == "▣ r…s  0/1 ✔ 1 ✔?"
    cut = label.fitted(12).plain  # no room for more: the end says that it goes on
    assert cut == "▣ r…s  0/1 …"
