"""Generate a synthetic methodology workspace the size of a real one, times N.

    python benchmarks/generate.py OUT_DIR --scale N [--seed S]

1× is about 25 plans of ~10 achievements, ~17 markdown files and ~200 KB each (≈5 MB);
10× and 100× multiply the plans. Content mimics real documents: emoji headings, header
blocks, achievement definitions with Dependencies, fenced code with heading-like lines,
tables, Status lines at the top and the bottom, feedback files and parallel.json.
Deterministic for a given seed; a stamp file skips regeneration of an identical workspace.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

WORDS = (
    "the plan keeps every achievement small and reviewed so that parallel work stays safe "
    "executor writes tests first then code then updates the status line at the bottom "
    "reviewer reads the execution task and the diff before writing approved or fix "
    "dependencies between achievements decide which wave can run at the same time "
    "cache parser workspace snapshot state engine markdown fence heading table status"
).split()


def prose(rnd: random.Random, lines: int) -> str:
    out = []
    for _ in range(lines):
        n = rnd.randint(8, 16)
        out.append(" ".join(rnd.choice(WORDS) for _ in range(n)).capitalize() + ".")
    return "\n".join(out)


def code_block(rnd: random.Random) -> str:
    return (
        "```python\n"
        "# comment that looks like a heading\n"
        "## Current Status & Handoff\n"
        "**Achievement 9.9**: not a real achievement\n"
        "**Status**: In Progress\n"
        f"def step_{rnd.randint(0, 999)}(x):\n    return x * 2\n"
        "```\n"
    )


def table(rnd: random.Random, rows: int) -> str:
    head = "| Item | Owner | Status | Notes |\n|---|---|---|---|\n"
    return head + "".join(
        f"| item {i} | llm-{rnd.randint(1, 4)} | {rnd.choice(['done', 'open', 'review'])} | "
        f"{' '.join(rnd.choice(WORDS) for _ in range(6))} |\n"
        for i in range(rows)
    )


def filler(rnd: random.Random, target: int) -> str:
    parts = []
    size = 0
    i = 0
    while size < target:
        i += 1
        chunk = (
            f"### 📝 Notes {i}\n\n{prose(rnd, 12)}\n\n{code_block(rnd)}\n{table(rnd, 6)}\n"
            f"{prose(rnd, 6)}\n\n"
        )
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def plan_doc(rnd, feature: str, achievements: list[tuple[str, list[str]]], size: int) -> str:
    head = (
        f"# PLAN: {feature.title()} feature\n\n**Status**: 🎯 Active  \n**Created**: 2026-10-01  \n"
        f"**Priority**: HIGH - reason  \n**Goal**: {prose(rnd, 1)}  \n"
        "**Estimated Effort**: 30-40 hours\n\n---\n\n"
        f"## 📖 Context for LLM Execution\n\n{prose(rnd, 20)}\n\n## 🎯 Goal\n\n{prose(rnd, 4)}\n\n"
        f"## ❓ Problem Statement\n\n{prose(rnd, 8)}\n\n## ✅ Success Criteria\n\n{prose(rnd, 6)}\n\n"
        f"## 📏 Scope Definition\n\n{prose(rnd, 6)}\n\n## 🎯 Desirable Achievements\n\n"
    )
    body = []
    prio = None
    for aid, deps in achievements:
        p = aid.split(".")[0]
        if p != prio:
            body.append(f"### Priority {p}: LEVEL {p}\n\n")
            prio = p
        body.append(
            f"**Achievement {aid}**: {' '.join(rnd.choice(WORDS) for _ in range(4)).title()}\n\n"
            f"- **Goal**: {prose(rnd, 1)}\n- **Effort**: {rnd.randint(2, 4)}-{rnd.randint(5, 8)} "
            f"hours\n- **Dependencies**: {', '.join(deps) or 'None'}\n"
            f"- **Deliverables**: code, tests\n\n{prose(rnd, 3)}\n\n"
        )
    tail = (
        f"## 📊 Subplan Tracking\n\n{prose(rnd, 4)}\n\n## 🔄 Current Status & Handoff\n\n"
        f"⏳ Next: Achievement {achievements[0][0]}\n\n{code_block(rnd)}\n"
    )
    text = head + "".join(body) + tail
    return text + filler(rnd, size - len(text))


def subplan_doc(rnd, feature: str, aid: str, planned: int, size: int) -> str:
    code = aid.replace(".", "")
    text = (
        f"# SUBPLAN: {feature} {aid}\n\n**Type**: SUBPLAN  \n**Mother Plan**: PLAN_{feature}.md  \n"
        f"**Achievement**: {aid}  \n**Status**: 🎯 Executing  \n**Created**: 2026-11-01\n\n---\n\n"
        f"## 🎯 Objective\n\n{prose(rnd, 5)}\n\n## 📝 Approach\n\n### Phase 1\n\n{prose(rnd, 6)}\n\n"
        "## 🔄 Active EXECUTION_TASKs\n\n| Execution | Status |\n|---|---|\n"
        + "".join(
            f"| EXECUTION_TASK_{feature}_{code}_{i:02d} | planned |\n"
            for i in range(1, planned + 1)
        )
        + "\n"
    )
    return text + filler(rnd, size - len(text))


def execution_doc(rnd, feature: str, aid: str, mm: int, complete: bool, size: int) -> str:
    text = (
        f"# EXECUTION_TASK: {feature} {aid} {mm:02d}\n\n**Achievement**: {aid}  \n"
        f"**Subplan**: SUBPLAN_{feature}_{aid.replace('.', '')}.md  \n**Status**: In Progress  \n"
        f"**Execution Number**: {mm:02d}  \n**Started**: 2026-11-{rnd.randint(10, 23):02d}\n\n---\n\n"
        f"## 🔁 Iteration Log\n\n### Iteration 1\n\n{prose(rnd, 10)}\n\n{code_block(rnd)}\n"
    )
    text += filler(rnd, size - len(text) - 200)
    final = "✅ Complete" if complete else "In Progress"
    return text + f"\n## ✅ Completion Status\n\n**Status**: {final}\n"


def generate(out: Path, scale: int, seed: int = 1) -> Path:
    stamp = out / ".generated"
    want = f"scale={scale} seed={seed} v2"
    if stamp.exists() and stamp.read_text() == want:
        return out
    if out.exists():
        shutil.rmtree(out)
    rnd = random.Random(seed)
    plans = 25 * scale
    for i in range(plans):
        feature = f"FEATURE{i:04d}"
        group = "a_paused/" if i % 7 == 3 else ("a_real-use-cases/" if i % 11 == 5 else "")
        base = out / "work-space" / "plans" / f"{group}{feature}"
        (base / "subplans").mkdir(parents=True)
        (base / "execution" / "feedbacks").mkdir(parents=True)
        achievements: list[tuple[str, list[str]]] = []
        for p in (1, 2, 3):
            for k in range(1, 5 if p < 3 else 3):
                aid = f"{p}.{k}"
                deps = [f"{p - 1}.1"] if p > 1 else []
                achievements.append((aid, deps))
        (base / f"PLAN_{feature}.md").write_text(plan_doc(rnd, feature, achievements, 40_000))
        approved = rnd.randint(0, 4)
        for j, (aid, _deps) in enumerate(achievements[:5]):
            code = aid.replace(".", "")
            (base / "subplans" / f"SUBPLAN_{feature}_{code}.md").write_text(
                subplan_doc(rnd, feature, aid, 2, 9_000)
            )
            runs = 2 if j < 2 else 1
            for mm in range(1, runs + 1):
                complete = j < approved or mm == 1
                (base / "execution" / f"EXECUTION_TASK_{feature}_{code}_{mm:02d}.md").write_text(
                    execution_doc(rnd, feature, aid, mm, complete, 14_000)
                )
            if j < approved:
                (base / "execution" / "feedbacks" / f"APPROVED_{code}.md").write_text(
                    "# APPROVED\n\n**Reviewer**: llm  \n**Review Date**: 2026-11-20\n"
                )
            elif j == approved and i % 3 == 0:
                (base / "execution" / "feedbacks" / f"FIX_{code}.md").write_text("# FIX\n")
        if i % 3 == 0:
            pj = {
                "plan_name": feature,
                "parallelization_level": "level_2",
                "achievements": [
                    {"achievement_id": a, "dependencies": d, "estimated_hours": "4-6"}
                    for a, d in achievements
                ],
                "notes": ["generated"],
            }
            (base / "parallel.json").write_text(json.dumps(pj, indent=2))
    stamp.write_text(want)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    generate(args.out, args.scale, args.seed)
    files = sum(1 for _ in args.out.rglob("*") if _.is_file())
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{args.out}: {files} files, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
