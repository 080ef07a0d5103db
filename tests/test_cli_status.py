"""`llmflow status`: the table, the JSON contract, exit codes, and what it imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from wsbuilder import archived_work_workspace, execution_md, make_workspace, plan_md

from llmflow_tui.cli import main


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLMFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def ws(tmp_path):
    return make_workspace(
        tmp_path / "ws",
        {
            "work-space/plans/a_paused/FOO/PLAN_FOO.md": plan_md(
                "FOO", [("1.1", "Setup"), ("1.2", "Build")], deps={"1.2": "1.1"}
            ),
            "work-space/plans/a_paused/FOO/execution/feedbacks/APPROVED_11.md": "ok",
            "work-space/plans/BAR/PLAN_BAR.md": plan_md("BAR"),
            "work-space/plans/BAR/execution/EXECUTION_TASK_BAR_11_01.md": execution_md(
                "BAR", "1.1"
            ),
        },
    )


def test_table(ws, capsys):
    assert main(["status", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "FOO" in out and "paused" in out and "BAR" in out
    assert "1/2" in out


def test_json_contract(ws, capsys):
    assert main(["status", str(ws), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"workspace", "plans", "problems"}
    assert data["workspace"] == str(ws.resolve())
    foo = next(p for p in data["plans"] if p["name"] == "FOO")
    assert set(foo) == {"name", "path", "group", "state", "achievements", "progress"}
    assert foo["path"] == "work-space/plans/a_paused/FOO/PLAN_FOO.md"
    assert foo["group"] == "a_paused" and foo["state"] == "active"
    assert foo["progress"] == {"approved": 1, "total": 2}
    a = foo["achievements"][1]
    assert set(a) == {
        "id",
        "title",
        "state",
        "flags",
        "subplan",
        "executions",
        "feedback",
        "dependencies",
    }
    assert a["id"] == "1.2" and a["dependencies"] == ["1.1"] and a["flags"] == []
    assert foo["achievements"][0]["feedback"] == "approved"
    bar = next(p for p in data["plans"] if p["name"] == "BAR")
    assert bar["group"] is None
    assert bar["achievements"][0]["executions"] == [
        "work-space/plans/BAR/execution/EXECUTION_TASK_BAR_11_01.md"
    ]
    for prob in data["problems"]:
        assert set(prob) == {"path", "line", "severity", "message"}


def test_orphans_redos_and_archives_in_the_table_and_json(ws, capsys):
    flat = ws / "work-space/subplans"
    flat.mkdir(parents=True)
    # An orphan numbered by a running counter: its header and title say what it is.
    (flat / "SUBPLAN_LOST_09.md").write_text(
        "# SUBPLAN: Multiple Plans Protocol\n\n**Achievement Addressed**: Achievement 1.4\n"
    )
    execs = ws / "work-space/plans/BAR/execution"
    (execs / "EXECUTION_TASK_BAR_11_01_V2.md").write_text(execution_md("BAR", "1.1"))
    (execs / "EXECUTION_TASK_BAR_12_01_ARCHIVED.md").write_text(execution_md("BAR", "1.2"))
    assert main(["status", str(ws)]) == 0
    assert "(2 plans, 1 orphan feature, " in capsys.readouterr().out
    assert main(["status", str(ws), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lost = next(p for p in data["plans"] if p["name"] == "LOST")
    assert lost["path"] == "work-space/subplans" and lost["group"] is None
    assert [(a["id"], a["title"]) for a in lost["achievements"]] == [
        ("1.4", "Multiple Plans Protocol")
    ]
    bar = next(p for p in data["plans"] if p["name"] == "BAR")
    # The redo supersedes the first run; the archived run is history, not work.
    assert [a["executions"] for a in bar["achievements"]] == [
        ["work-space/plans/BAR/execution/EXECUTION_TASK_BAR_11_01_V2.md"],
        [],
    ]


def test_plan_filter(ws, capsys):
    assert main(["status", str(ws), "--plan", "BAR", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["plans"]] == ["BAR"]


def test_exit_codes(ws, tmp_path, capsys):
    assert main(["status", str(tmp_path / "missing")]) == 2
    assert main(["status", str(ws), "--plan", "NOPE"]) == 2
    assert main(["status", str(ws), "--plan", "bar"]) == 2  # names are exact
    assert "did you mean BAR?" in capsys.readouterr().err
    assert main(["status", str(ws), "--bogus"]) == 2
    (ws / "work-space/plans/BAR/parallel.json").write_text("{not json")
    assert main(["status", str(ws)]) == 1
    err = capsys.readouterr()
    assert "invalid JSON at line 1" in err.out


def test_status_imports_neither_textual_nor_networkx(ws):
    code = (
        "import sys, io, contextlib\n"
        "from llmflow_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['status', {str(ws)!r}, '--json'])\n"
        "bad = [m for m in ('textual', 'networkx', 'rich') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_model_does_not_import_textual():
    code = "import sys, llmflow_tui.model; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_unchanged_warm_status_needs_neither_the_parser_nor_the_state_engine(ws, tmp_path):
    import os

    env = dict(os.environ, LLMFLOW_CACHE_DIR=str(tmp_path / "cache"))
    code = (
        "import sys, io, contextlib\n"
        "from llmflow_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['status', {str(ws)!r}, '--json'])\n"
        "print(','.join(m for m in ('llmflow_tui.model.parse', 'llmflow_tui.model.state')"
        " if m in sys.modules))\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert cold.stdout.strip() == "llmflow_tui.model.parse,llmflow_tui.model.state"
    assert warm.stdout.strip() == ""


def test_table_lists_plans_of_plans(ws, capsys):
    (ws / "work-space/GRAMMAPLAN_BIG.md").write_text(
        "# GRAMMAPLAN: Big\n\n| Plan | Depends on |\n|---|---|\n"
        "| PLAN_FOO | |\n| PLAN_BAR | PLAN_FOO |\n| PLAN_GONE | |\n"
    )
    assert main(["status", str(ws)]) == 0
    out = capsys.readouterr().out
    # FOO is not complete, so BAR cannot run yet; GONE has no PLAN anywhere.
    assert "◆  BIG (grammaplan): 3 plan(s), 0 done; can run now: FOO; not found: GONE\n" in out


def test_plan_details_say_when_an_achievements_work_is_archived(tmp_path, capsys):
    archived_work_workspace(tmp_path)
    main(["status", str(tmp_path), "--plan", "FOO"])
    out = capsys.readouterr().out
    assert "1.1   not_started (archived: done)  One" in out
    assert "1.2   not_started  Two" in out
