"""Build small methodology workspaces in a tmp dir: the one fixture helper all tests share."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path


def write(root: Path, rel: str, content: str | bytes, *, mtime: float | None = None) -> Path:
    """Write one file (dedented text or raw bytes), creating folders; return its path."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def make_workspace(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write every ``{relative path: content}`` below ``root`` and return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        write(root, rel, content)
    return root


def plans_named(root: Path, names: list[str]) -> Path:
    """A workspace of one nested two-achievement plan per name."""
    return make_workspace(root, {f"work-space/plans/{n}/PLAN_{n}.md": plan_md(n) for n in names})


def plan_md(
    feature: str,
    achievements: list[tuple[str, str]] | None = None,
    *,
    status: str = "🎯 Active",
    extra: str = "",
    deps: dict[str, str] | None = None,
    header: str = "",
) -> str:
    """A minimal, realistic PLAN document with ``**Achievement X.Y**: Title`` definitions."""
    achievements = achievements or [("1.1", "First"), ("1.2", "Second")]
    deps = deps or {}
    lines = [
        f"# PLAN: {feature.title()}",
        "",
        f"**Status**: {status}  ",
        "**Created**: 2026-11-01  ",
        "**Priority**: HIGH",
    ]
    if header:
        lines.append(header.strip())
    lines += ["", "---", "", "## 🎯 Desirable Achievements", ""]
    current = None
    for aid, title in achievements:
        prio = aid.split(".")[0]
        if prio != current:
            lines += [f"### Priority {prio}: LABEL", ""]
            current = prio
        lines += [f"**Achievement {aid}**: {title}", "", "- **Effort**: 2-3 hours"]
        if aid in deps:
            lines.append(f"- **Dependencies**: {deps[aid]}")
        lines.append("")
    lines.append(textwrap.dedent(extra))
    return "\n".join(lines) + "\n"


def execution_md(
    feature: str,
    achievement: str,
    number: int = 1,
    *,
    status: str = "In Progress",
    final_status: str | None = None,
    date: str = "2026-11-20",
) -> str:
    body = [
        f"# EXECUTION_TASK: {feature} {achievement}",
        "",
        f"**Achievement**: {achievement}  ",
        f"**Status**: {status}  ",
        f"**Execution Number**: {number:02d}  ",
        f"**Started**: {date}",
        "",
        "---",
        "",
        "## Iteration Log",
        "",
        "### Iteration 1",
        "",
        "Did things.",
        "",
    ]
    if final_status is not None:
        body += ["## Completion Status", "", f"**Status**: {final_status}", ""]
    return "\n".join(body)


def subplan_md(
    feature: str,
    achievement: str,
    *,
    status: str = "📋 Ready for Execution",
    planned: int | None = None,
) -> str:
    body = [
        f"# SUBPLAN: {feature} {achievement}",
        "",
        "**Type**: SUBPLAN  ",
        f"**Mother Plan**: PLAN_{feature}.md  ",
        f"**Achievement**: {achievement}  ",
        f"**Status**: {status}",
        "",
        "---",
        "",
        "## 🎯 Objective",
        "",
        "Do it.",
        "",
        "## 📝 Approach",
        "",
        "Carefully.",
        "",
    ]
    if planned:
        code = achievement.replace(".", "")
        body += ["## 🔄 Active EXECUTION_TASKs", "", "| Execution | Status |", "|---|---|"]
        body += [
            f"| EXECUTION_TASK_{feature}_{code}_{i:02d} | Planned |" for i in range(1, planned + 1)
        ]
        body.append("")
    return "\n".join(body)


def touch_later(path: Path, seconds: float = 2.0) -> None:
    """Move a file's mtime forward so that caches keyed by mtime see a change."""
    t = time.time() + seconds
    os.utime(path, (t, t))


def archived_work_workspace(root: Path) -> Path:
    """Plan FOO (1.1, 1.2) whose 1.1 was done and archived under its Archive Location."""
    arch = "documentation/archive/foo-nov2025/execution"
    return make_workspace(
        root,
        {
            "work-space/plans/FOO/PLAN_FOO.md": plan_md(
                "FOO",
                [("1.1", "One"), ("1.2", "Two")],
                header="**Archive Location**: documentation/archive/foo-nov2025/",
            ),
            f"{arch}/EXECUTION_TASK_FOO_11_01.md": execution_md(
                "FOO", "1.1", final_status="✅ Complete"
            ),
        },
    )
