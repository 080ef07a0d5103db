"""Text shown in the prompt preview: a brief of an achievement or a plan and its next step.

Pure functions of a model snapshot; the app and any future CLI command share them.
"""

from __future__ import annotations

from ..model.types import Achievement, Plan

NEXT_STEP = {
    "approved": "Done. Nothing to do unless the plan changes.",
    "needs_fix": "Address the reviewer's FIX_{code}.md, then write FIX_{code}_RESOLUTION.md.",
    "awaiting_review": "Review it: write execution/feedbacks/APPROVED_{code}.md or FIX_{code}.md.",
    "executing": "Continue the open EXECUTION_TASK(s) and update their final **Status** line.",
    "subplan_ready": "Start execution: create EXECUTION_TASK_{feature}_{code}_01.md from the SUBPLAN.",
    "not_started": "Design it: write subplans/SUBPLAN_{feature}_{code}.md.",
}


def _kv(key: str, value: str) -> str:
    """A header line as the methodology writes them: ``**Key**: value`` and two spaces, so
    that rendered markdown keeps one line per key (raw text reads the same)."""
    return f"**{key}**: {value}  "


def next_step(plan: Plan, a: Achievement) -> str:
    code = a.id.replace(".", "")
    text = NEXT_STEP.get(a.state, "").format(code=code, feature=plan.name)
    if "resolution_submitted" in a.flags:
        text = f"Re-review: FIX_{code}_RESOLUTION.md answers the FIX; approve or ask again."
    if "blocked" in a.flags:
        waits = [d for d in a.dependencies if (x := plan.achievement(d)) and x.state != "approved"]
        text = f"Blocked until {', '.join(waits) or 'its dependencies'} approved. Then: " + text
    return text


def achievement_brief(plan: Plan, a: Achievement) -> str:
    """A plain-text brief: what it is, where it stands, why, its files and the next step."""
    lines = [
        f"# Achievement {a.id}: {a.title or '(untitled)'}",
        "",
        _kv("Plan", f"{plan.name} — {plan.title}"),
        _kv("State", a.state + (f" ({', '.join(a.flags)})" if a.flags else "")),
    ]
    if a.effort is not None:
        lines.append(_kv("Effort", a.effort.text))
    if a.dependencies:
        lines.append(_kv("Depends on", ", ".join(a.dependencies)))
    if a.recorded_status:
        lines.append(_kv("parallel.json records", f"{a.recorded_status!r} (shown, not trusted)"))
    lines += ["", "## Why", ""]
    for r in a.reasons:
        where = f"  ({r.path}{':' + str(r.line) if r.line else ''})" if r.path else ""
        lines.append(f"- {r.text}{where}")
    lines += ["", "## Files", ""]
    if a.subplan:
        lines.append(f"- SUBPLAN: {a.subplan}")
    for x in a.executions:
        tag = "superseded" if x.superseded else ("archived" if x.archived else x.status)
        lines.append(f"- EXECUTION {x.number:02d} [{tag}]: {x.path}")
    for f in a.feedback_files:
        lines.append(f"- feedback: {f}")
    if not (a.subplan or a.executions or a.feedback_files):
        lines.append("- none yet")
    if a.dependency_hints:
        lines += ["", f"Prose mentions (hints, not edges): {', '.join(a.dependency_hints)}"]
    lines += ["", "## Next step", "", next_step(plan, a), ""]
    return "\n".join(lines)


def plan_summary(plan: Plan) -> str:
    done, total = plan.progress
    if plan.orphan:
        lines = [
            f"# {plan.name} (orphan)",
            "",
            f"Files of feature {plan.name} with no PLAN_{plan.name}.md anywhere in the "
            "workspace: shown for what they say, not counted as a plan.",
            "",
            _kv("State", plan.state),
            _kv("Progress", f"{done}/{total} approved"),
        ]
    else:
        lines = [
            f"# {plan.name}: {plan.title}",
            "",
            _kv("State", plan.state),
            _kv("Progress", f"{done}/{total} approved"),
            _kv("Group", plan.group_label or "-"),
            _kv("Status", f"{plan.status_text or '-'} (as written in the PLAN)"),
            _kv("Priority", plan.priority or "-"),
        ]
    if plan.markers:
        lines.append(_kv("Markers", ", ".join(plan.markers)))
    if plan.parent:
        lines.append(_kv("Parent", f"GRAMMAPLAN_{plan.parent}.md"))
    if plan.reasons:  # the details strip may cut them short
        lines += ["", "## Why", ""]
        for r in plan.reasons:
            where = f"  ({r.path}{':' + str(r.line) if r.line else ''})" if r.path else ""
            lines.append(f"- {r.text}{where}")
    lines += [
        "",
        _kv(
            "Next",
            (plan.next or "-")
            # The handoff's pointer only where it disagrees (it lags the files).
            + (
                f" (handoff says {plan.handoff_next})"
                if plan.handoff_next and plan.handoff_next != plan.next
                else ""
            ),
        ),
        _kv("Ready", ", ".join(plan.ready) or "-"),
        "",
        "## Waves",
        "",
    ]
    for i, wave in enumerate(plan.waves, 1):
        lines.append(f"{i}. {', '.join(wave)}")
    if not plan.waves:
        lines.append("(nothing left)")
    lines += ["", "## Achievements", ""]
    for a in plan.achievements:
        flags = f" ({', '.join(a.flags)})" if a.flags else ""
        lines.append(f"- {a.id} {a.state}{flags}: {a.title}")
    return "\n".join(lines) + "\n"
