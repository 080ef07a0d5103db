"""The one state engine: filesystem facts of one plan → achievements, states, reasons, problems.

``build_plan`` is a pure function of the documents attached to one feature, so a file change
re-derives exactly one plan (FORMAT.md §9, DESIGN.md "Workflow states").
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable
from functools import lru_cache

from . import names as N
from .parse import AchievementEntry, Doc, name_and_header_disagree
from .text import code_of, id_key, normalise_status, parse_effort
from .types import (
    APPROVED,
    AWAITING_REVIEW,
    BLOCKED,
    ERROR,
    EXECUTING,
    HAD_FIXES,
    NEEDS_FIX,
    NOT_STARTED,
    PLAN_ACTIVE,
    PLAN_COMPLETE,
    PLAN_COMPLETE_UNVERIFIED,
    PLAN_NEEDS_ATTENTION,
    PLAN_NOT_STARTED,
    RESOLUTION_SUBMITTED,
    STALE,
    SUBPLAN_READY,
    WARNING,
    Achievement,
    Execution,
    Plan,
    Problem,
    Reason,
    Settings,
)

SKIPPED_FLAG = "skipped"


def _is_nested_plan_doc(doc: Doc) -> bool:
    parent = doc.ref.parent
    return N.is_plan_folder_name(parent.rsplit("/", 1)[-1], doc.ref.feature)


def plan_candidates(feature: str, docs: Iterable[Doc]) -> list[Doc]:
    """PLAN files that really are this feature's PLAN: named like their folder, or loose
    (not inside another plan's folder) with a ``# PLAN`` title. Best first."""
    out = []
    for d in docs:
        if d.ref.kind != N.PLAN or d.ref.feature != feature:
            continue
        nested = _is_nested_plan_doc(d)
        titled = d.plan is not None and d.plan.is_plan_title
        if nested or titled:
            out.append(d)
    out.sort(
        key=lambda d: (
            d.ref.archived,
            not _is_nested_plan_doc(d),
            bool(d.ref.suffixes),
            d.ref.rel.count("/"),
            d.ref.rel,
        )
    )
    return out


@lru_cache(maxsize=4096)
def _date_epoch(date: str | None) -> float | None:
    """YYYY-MM-DD (read as UTC midnight) to epoch seconds."""
    if not date:
        return None
    try:
        y, m, d = (int(x) for x in date.split("-"))
        return float(calendar.timegm((y, m, d, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def _unfinished_subplans(achievements: list[Achievement], docs: list[Doc]) -> list[str]:
    """SUBPLANs with no execution yet that do not say they are complete: documents that
    contradict a PLAN claiming completion."""
    by_rel = {d.ref.rel: d for d in docs if d.ref.kind == N.SUBPLAN}
    out = []
    for a in achievements:
        if a.state == SUBPLAN_READY and a.subplan in by_rel:
            d = by_rel[a.subplan]
            status = d.status_last or d.status_header
            if status is None or status.norm != "complete":
                out.append(a.subplan)
    return out


def build_plan(
    feature: str, docs: list[Doc], settings: Settings, nested_folder: str | None
) -> tuple[Plan | None, tuple[Problem, ...], float]:
    """Derive one plan (or orphan) from every document attached to ``feature``.

    Returns the plan, its problems, and the time until which the result holds (a stale flag
    or its day count changes then; infinity when time does not matter)."""
    problems: list[Problem] = []
    for d in docs:
        problems.extend(d.problems)
    candidates = plan_candidates(feature, docs)
    plan_doc = candidates[0] if candidates else None
    for extra in candidates[1:]:
        if not extra.ref.archived and not plan_doc.ref.archived:
            problems.append(
                Problem(
                    extra.ref.rel,
                    None,
                    WARNING,
                    f"second PLAN for {feature}: {plan_doc.ref.rel} is used",
                )
            )
    work = []
    for d in docs:
        if d.ref.kind in (N.SUBPLAN, N.EXECUTION, N.APPROVED, N.FIX, N.RESOLUTION, N.SKIPPED):
            if d.ref.unusable:  # in a plan folder, yet named like no achievement of it
                problems.append(Problem(d.ref.rel, None, WARNING, N.unusable_message(d.ref)))
            else:
                work.append(d)
    if plan_doc is None and not any(d.ref.kind in (N.SUBPLAN, N.EXECUTION) for d in work):
        # Feedback with no plan to count it for (say, a plan folder renamed away from its
        # PLAN's name): say so rather than drop it silently.
        live = [d for d in work if not d.ref.archived]
        if live:
            problems.append(
                Problem(
                    live[0].ref.rel,
                    None,
                    WARNING,
                    f"{len(live)} feedback file(s) here belong to no plan "
                    f"(no PLAN_{feature}.md, SUBPLAN or EXECUTION_TASK for {feature}): "
                    "not counted",
                )
            )
        elif work:  # an archive folder named for no plan (say, after a plan was renamed)
            folder = work[0].ref.parent.removesuffix("/execution/feedbacks")
            problems.append(
                Problem(
                    work[0].ref.rel,
                    None,
                    WARNING,
                    f"{len(work)} archived feedback file(s) in {folder}/ belong to no plan "
                    f"(the folder's name reads as {feature}; no PLAN_{feature}.md, SUBPLAN or "
                    "EXECUTION_TASK for it): not counted",
                )
            )
        return None, tuple(sorted(set(problems), key=_problem_key)), float("inf")
    orphan = plan_doc is None
    info = plan_doc.plan if plan_doc is not None else None
    if plan_doc is not None and not nested_folder and plan_doc.ref.parent:
        # A plan folder renamed away from its PLAN's name: its SUBPLANs and tasks still find
        # the plan by their names, but it reads as a group and its feedback files are lost.
        here = plan_doc.ref.parent + "/"
        inside = [
            d
            for d in docs
            if d.ref.kind in (N.SUBPLAN, N.EXECUTION)
            and d.ref.rel.startswith((here + "subplans/", here + "execution/"))
        ]
        if inside:
            folder = plan_doc.ref.parent.rsplit("/", 1)[-1]
            problems.append(
                Problem(
                    plan_doc.ref.rel,
                    None,
                    WARNING,
                    f"the folder {folder}/ holds this plan's subplans/ or execution/ but is not "
                    f"named {feature}/: it is read as a group, and feedback files in it are not "
                    "counted (name the folder like its PLAN)",
                )
            )
    parallel_doc = None
    if plan_doc is not None:
        pfolder = plan_doc.ref.parent
        for d in docs:
            if d.ref.kind == N.PARALLEL_JSON and d.ref.parent == pfolder:
                parallel_doc = d
                break
    # Achievement list: the PLAN's, else (orphans, empty plans) guessed from file codes.
    entries: dict[str, AchievementEntry] = {}
    if info is not None:
        for e in info.achievements:
            entries[e.id] = e
    if info is not None and not entries and not plan_doc.ref.archived:
        problems.append(
            Problem(
                plan_doc.ref.rel,
                None,
                WARNING,
                "no achievements found in this PLAN (no Achievement Index entries or "
                "**Achievement X.Y** definitions): they are taken from file names",
            )
        )
    by_code: dict[str, list[str]] = {}
    for aid in entries:
        by_code.setdefault(code_of(aid), []).append(aid)
    plan_rel = plan_doc.ref.rel if plan_doc else None
    for code, ids in by_code.items():
        if len(ids) > 1:
            problems.append(
                Problem(
                    plan_rel or "",
                    None,
                    WARNING,
                    f"code collision: achievements {' and '.join(ids)} are both "
                    f"written {code!r} in file names",
                )
            )
    archive_prefixes: list[str] = []
    if info is not None and info.archive_location:
        loc = info.archive_location.strip("/")
        archive_prefixes.append(loc + "/")
        if plan_doc.ref.parent:
            archive_prefixes.append(f"{plan_doc.ref.parent}/{loc}/")

    def archived(d: Doc) -> bool:
        return d.ref.archived or any(d.ref.rel.startswith(p) for p in archive_prefixes)

    # A live document whose name is also archived here: most likely a copy left behind
    # when the work was archived (the live one is what counts).
    archived_at: dict[str, str] = {}
    for d in docs:
        if d.ref.kind in (N.PLAN, N.SUBPLAN, N.EXECUTION) and archived(d):
            archived_at.setdefault(d.ref.name, d.ref.rel)
    left_behind = [
        d
        for d in docs
        if archived_at
        and d.ref.kind in (N.PLAN, N.SUBPLAN, N.EXECUTION)
        and d.ref.name in archived_at
        and not archived(d)
    ]
    if left_behind:
        first = left_behind[0].ref.name
        if len(left_behind) == 1:
            text = f"{first} is also archived ({archived_at[first]}): the live copy is counted"
        else:
            text = (
                f"{first} and {len(left_behind) - 1} more are also archived (as "
                f"{archived_at[first]}, …): the live copies are counted"
            )
        problems.append(
            Problem(
                left_behind[0].ref.rel,
                None,
                WARNING,
                text + " (left behind when the work was archived?)",
            )
        )

    def in_folder(d: Doc) -> bool:
        return bool(nested_folder) and d.ref.rel.startswith(nested_folder + "/")

    # Read before files add achievements: with no list from a PLAN, every file's code is
    # guessed, whatever order the files come in (not only the first one's).
    guessing = not entries or orphan
    planned = frozenset(entries)

    def header_of(d: Doc) -> tuple[tuple[str, ...], bool]:
        """The achievements ``d``'s header names, and whether they are the parents of the
        sub-achievements (``1.4.5``) it names instead."""
        if d.achievements:
            return d.achievements, False
        if d.achievement:
            return (d.achievement,), False
        if d.sub_achievements:
            return tuple(dict.fromkeys(s.rsplit(".", 1)[0] for s in d.sub_achievements)), True
        return (), False

    def resolve(d: Doc) -> list[str]:
        """The achievements ``d`` counts for: the one its name's code maps to (else the one
        its header names), plus any others of this plan its header names with it."""
        code = d.ref.code
        hids, from_subs = header_of(d)
        header_id = hids[0] if hids else None
        known = [h for h in hids if h in planned or guessing]

        def with_rest(first: str) -> list[str]:
            return [first, *(h for h in known if h != first)]

        if code is None:
            return known
        ids = by_code.get(code)
        if ids:
            if len(ids) == 1:
                if ids[0] in hids:
                    return with_rest(ids[0])
                if header_id in planned and not from_subs:
                    problems.append(name_and_header_disagree(d, ids[0]))
                return [ids[0]]
            chosen = next((h for h in hids if h in ids), None)
            if chosen is not None:
                return with_rest(chosen)
            # A colliding code with no header to tell (feedback files): the achievement the
            # same code's SUBPLAN or EXECUTION_TASK headers name, if they name exactly one.
            named = {
                o.achievement
                for o in work
                if o.ref.code == code and o.achievement in ids and o is not d
            }
            if len(named) == 1:
                return [named.pop()]
            problems.append(
                Problem(
                    d.ref.rel,
                    None,
                    WARNING,
                    f"code {code!r} could be achievement {' or '.join(ids)}: not counted "
                    "(no header or sibling file says which)",
                )
            )
            return []
        if known:
            # An old SUBPLAN may be numbered by a running counter: its header knows.
            return known
        followed = counted.get(code) if d.ref.kind == N.EXECUTION and not hids else None
        if followed is not None:
            # A task numbered by the same counter as its SUBPLAN, with no header to say more.
            follows[d.ref.rel] = followed
            return resolve(followed)
        if guessing:
            guess = f"{int(code[0])}.{int(code[1:])}" if len(code) > 1 else f"{int(code)}.0"
            return [guess]
        if archived(d):
            unmatched_archived.append(d)  # history: reported together below
            return []
        problems.append(
            Problem(
                d.ref.rel,
                None,
                WARNING,
                f"code {code!r} matches no achievement of PLAN_{feature}.md",
            )
        )
        return []

    attached: dict[str, list[Doc]] = {}
    # Files counted for an achievement only because their header names it beside another
    # ("4.1 & 4.2") or names one of its sub-achievements (1.4.5 for 1.4): {aid: {rel}}. Its
    # own SUBPLAN and tasks come first; the reasons say why the others are there.
    secondary: dict[str, set[str]] = {}
    notes: dict[str, list[Reason]] = {}
    unmatched_archived: list[Doc] = []
    # SUBPLANs named with a code no achievement has (a running counter), counted by their
    # header: {code: doc}. A task named with the same counter and no header follows it.
    counted: dict[str, Doc] = {}
    for d in work:
        code = d.ref.code
        if d.ref.kind == N.SUBPLAN and code and code not in by_code:
            if any(h in planned or guessing for h in header_of(d)[0]):
                counted.setdefault(code, d)
    follows: dict[str, Doc] = {}  # task rel -> the SUBPLAN it is counted with
    for d in work:
        aids = resolve(d)
        if not aids:
            continue
        for i, aid in enumerate(aids):
            attached.setdefault(aid, []).append(d)
            if aid not in entries or (not entries[aid].title and entries[aid].source == "files"):
                # Not in the PLAN (or no PLAN): the title its SUBPLAN or task gives.
                entries[aid] = AchievementEntry(aid, _doc_title(d), 0, "files", False)
            if i:
                secondary.setdefault(aid, set()).add(d.ref.rel)
        followed = follows.get(d.ref.rel)
        if followed is not None:
            for aid in aids:
                notes.setdefault(aid, []).append(
                    Reason(
                        f"{d.ref.name} names no achievement in its header: counted with "
                        f"{followed.ref.name}, named with the same number",
                        d.ref.rel,
                    )
                )
                if followed.ref.rel in secondary.get(aid, ()):
                    secondary[aid].add(d.ref.rel)  # as its SUBPLAN is
            continue
        hids, from_subs = header_of(d)
        if len(aids) > 1:
            said = d.achievement_text.strip() or " & ".join(aids)
            for aid in aids:
                notes.setdefault(aid, []).append(
                    Reason(
                        f"{d.ref.name} covers {' and '.join(aids)} (its header: {said!r})",
                        d.ref.rel,
                        d.achievement_line,
                    )
                )
        if from_subs:
            subs = ", ".join(d.sub_achievements)
            for aid in aids:
                if aid not in hids:
                    continue  # counted for its name's code, not for the sub-achievement
                secondary.setdefault(aid, set()).add(d.ref.rel)
                notes.setdefault(aid, []).append(
                    Reason(
                        f"{d.ref.name} is for sub-achievement {subs}: counted for {aid}",
                        d.ref.rel,
                        d.achievement_line,
                    )
                )
                problems.append(
                    Problem(
                        d.ref.rel,
                        d.achievement_line,
                        WARNING,
                        f"its header names sub-achievement {subs}, which is not an achievement "
                        f"of {'its plan' if orphan else f'PLAN_{feature}.md'}: counted for "
                        f"{aid} (the achievement it belongs to)",
                    )
                )
    if unmatched_archived:
        codes = sorted({d.ref.code for d in unmatched_archived if d.ref.code})
        problems.append(
            Problem(
                min(d.ref.rel for d in unmatched_archived),
                None,
                WARNING,
                f"{len(unmatched_archived)} archived file(s) named with codes that match no "
                f"achievement of PLAN_{feature}.md ({', '.join(codes)}): not counted",
            )
        )
    # parallel.json: ids and dependencies are truth; recorded statuses are shown only.
    pj_deps: dict[str, tuple[str, ...]] = {}
    pj_status: dict[str, str | None] = {}
    pj_line: dict[str, int | None] = {}
    pj_rel = parallel_doc.ref.rel if parallel_doc is not None else None
    if parallel_doc is not None and parallel_doc.parallel is not None:
        for aid, deps, status, line in parallel_doc.parallel.achievements:
            if aid not in entries:
                problems.append(
                    Problem(
                        parallel_doc.ref.rel,
                        line,
                        WARNING,
                        f"parallel.json lists achievement {aid}, which "
                        f"PLAN_{feature}.md does not define",
                    )
                )
                continue
            pj_deps[aid] = deps
            pj_status[aid] = status
            pj_line[aid] = line
    # Dependencies: the PLAN's are its structured Dependencies lines ∪ reversed Blocks; an
    # achievement parallel.json lists takes parallel.json's instead (FORMAT §8: truth there).
    plan_deps: dict[str, list[str]] = {
        aid: list(e.dependencies or ()) for aid, e in entries.items()
    }
    for aid, e in entries.items():
        for b in e.blocks:
            if b in plan_deps and aid not in plan_deps[b]:
                plan_deps[b].append(aid)
    deps: dict[str, list[str]] = {
        aid: list(pj_deps[aid]) if aid in pj_deps else list(plan_deps[aid]) for aid in entries
    }

    def decided_by(aid: str) -> tuple[str, int | None]:
        """The file (and line) whose dependencies for ``aid`` are used."""
        if aid in pj_deps:
            return pj_rel or "", pj_line.get(aid)
        e = entries[aid]
        return plan_rel or "", e.deps_line or e.line or None

    for aid, ds in deps.items():
        for dep in list(ds):
            if dep not in entries:
                src, line = decided_by(aid)
                problems.append(
                    Problem(
                        src, line, ERROR, f"achievement {aid} depends on unknown achievement {dep}"
                    )
                )
                ds.remove(dep)
    for aid in sorted(pj_deps, key=id_key):  # the PLAN's own line still names a wrong id
        e = entries[aid]
        for dep in plan_deps[aid]:
            if dep not in entries:
                problems.append(
                    Problem(
                        plan_rel or "",
                        e.deps_line or e.line or None,
                        WARNING,
                        f"achievement {aid} depends on unknown achievement {dep} "
                        "(not used: parallel.json's dependencies are)",
                    )
                )
    # Where the PLAN and parallel.json disagree, say so once per achievement. Edges one side
    # only implies through others (a Blocks line that repeats a chain) are no disagreement.
    known_plan = {aid: [d for d in ds if d in entries] for aid, ds in plan_deps.items()}
    for aid in sorted(pj_deps, key=id_key):
        e = entries[aid]
        if e.dependencies is None and not known_plan[aid]:
            continue  # the PLAN says nothing about it
        mine, theirs = known_plan[aid], deps[aid]
        if set(mine) == set(theirs):
            continue
        if set(mine) <= _reach(deps, aid) and set(theirs) <= _reach(known_plan, aid):
            continue
        problems.append(
            Problem(
                plan_rel or "",
                e.deps_line or e.line or None,
                WARNING,
                f"Achievement {aid}: the PLAN says it depends on {_ids(mine)}, "
                f"parallel.json on {_ids(theirs)} — parallel.json is used",
            )
        )
    cycle_members = set()
    for cycle in cycles(deps):
        cycle_members.update(cycle)
        # Reported where the first edge the PLAN decides sits, else in parallel.json.
        src, line = decided_by(next((a for a in cycle if a not in pj_deps), cycle[0]))
        problems.append(
            Problem(src, line, ERROR, "dependency cycle: " + " → ".join(cycle + [cycle[0]]))
        )
    now = settings.now if settings.now is not None else time.time()
    flips: list[float] = []
    # Per-achievement state. Archived executions are history, not live work, unless the plan
    # itself is archived (then its history is all there is to show).
    plan_archived = bool(plan_doc and archived(plan_doc))
    achievements: list[Achievement] = []
    state_of: dict[str, str] = {}
    pending: list[tuple[str, dict]] = []
    for aid in sorted(entries, key=id_key):
        e = entries[aid]
        files = attached.get(aid, [])
        result = _achievement_state(
            aid,
            e,
            files,
            archived,
            in_folder,
            plan_archived,
            now,
            settings,
            flips,
            problems,
            secondary.get(aid, frozenset()),
        )
        state_of[aid] = result["state"]
        pending.append((aid, result))
    any_feedback = any(d.ref.kind in (N.APPROVED, N.FIX, N.RESOLUTION, N.SKIPPED) for d in work)
    unverified_marks: list[str] = []  # ✅ in a plan that has no feedback files at all
    for aid, r in pending:
        e = entries[aid]
        flags = list(r["flags"])
        reasons = [*r["reasons"], *notes.get(aid, ())]
        unmet = [d for d in deps[aid] if state_of.get(d) != APPROVED]
        if r["state"] != APPROVED and (unmet or aid in cycle_members):
            flags.insert(0, BLOCKED)
            why = (
                f"waits for {', '.join(unmet)} (not approved)"
                if unmet
                else "part of a dependency cycle"
            )
            src, line = decided_by(aid)
            name = src.rsplit("/", 1)[-1]
            reasons.append(Reason(f"blocked: {why} — dependencies from {name}", src, line))
        if e.marked_done and r["state"] != APPROVED and plan_rel and not orphan:
            if not any_feedback:
                unverified_marks.append(aid)  # one problem for the plan, below
            else:
                problems.append(
                    Problem(
                        plan_rel,
                        e.done_line or e.line or None,
                        WARNING,
                        f"PLAN marks achievement {aid} ✅ but there is no "
                        f"APPROVED_{code_of(aid)}.md",
                    )
                )
        effort = parse_effort(e.effort_text) if e.effort_text else None
        achievements.append(
            Achievement(
                id=aid,
                title=e.title,
                state=r["state"],
                flags=tuple(flags),
                reasons=tuple(reasons),
                source=e.source,
                line=e.line or None,
                subplan=r["subplan"],
                subplans=r["subplans"],
                executions=r["executions"],
                feedback=r["feedback"],
                feedback_files=r["feedback_files"],
                dependencies=tuple(deps[aid]),
                blocks=e.blocks,
                dependency_hints=e.hints,
                effort=effort,
                fields=e.fields,
                planned_executions=r["planned"],
                recorded_status=pj_status.get(aid),
                marked_done=e.marked_done,
                approved_at=r["approved_at"],
            )
        )
    if unverified_marks:
        first = entries[unverified_marks[0]]
        problems.append(
            Problem(
                plan_rel or "",
                first.done_line or first.line or None,
                WARNING,
                f"PLAN marks {', '.join(unverified_marks)} ✅ but the plan has no feedback "
                "files (APPROVED_*.md): unverified",
            )
        )
    # An index that marks ✅ lags when an approved achievement's entry has none (an index
    # without any ✅ just does not keep score).
    indexed = [entries[a.id] for a in achievements if entries[a.id].index_line is not None]
    if plan_rel and not orphan and any(x.index_done for x in indexed):
        lagging = [
            a
            for a in achievements
            if a.state == APPROVED
            and SKIPPED_FLAG not in a.flags
            and entries[a.id].index_line is not None
            and not entries[a.id].index_done
        ]
        if lagging:
            problems.append(
                Problem(
                    plan_rel,
                    min(entries[a.id].index_line for a in lagging),
                    WARNING,
                    f"Achievement Index has no ✅ for approved {', '.join(a.id for a in lagging)}",
                )
            )
    # Statuses recorded in parallel.json are shown, never used: report those the files
    # contradict, once per file.
    if pj_rel and any(pj_status.values()):
        contradictions = _recorded_contradictions(achievements, pj_status)
        if contradictions:
            text, ids = contradictions
            problems.append(
                Problem(
                    pj_rel,
                    min((pj_line[i] for i in ids if pj_line.get(i)), default=None),
                    WARNING,
                    text,
                )
            )
    # Duplicates across files of one achievement are reported by _achievement_state.
    approved = {a.id for a in achievements if a.state == APPROVED}
    ready = tuple(a.id for a in achievements if a.state != APPROVED and BLOCKED not in a.flags)
    nxt = ready[0] if ready else None
    waves = _waves([a.id for a in achievements if a.state != APPROVED], deps, approved)
    # Counters in the text lag the files: report, never trust.
    if info is not None and info.progress_counter is not None:
        done, total, line = info.progress_counter
        if (done, total) != (len(approved), len(achievements)):
            problems.append(
                Problem(
                    plan_rel,
                    line,
                    WARNING,
                    f"**Progress** says {done}/{total} but the files say "
                    f"{len(approved)}/{len(achievements)} approved",
                )
            )
    if info is not None and info.tracking:
        by_id = {a.id: a for a in achievements}
        by_code = {code_of(a.id): a for a in achievements}
        unreviewed: dict[str, int] = {}  # claimed complete in a plan with no feedback at all
        for ref, says_done, line in info.tracking:
            a = by_id.get(ref) if "." in ref else by_code.get(ref)
            if a is None:
                continue  # an old running number or another plan's: nothing to compare
            if says_done and a.state != APPROVED and not any_feedback:
                unreviewed.setdefault(a.id, line)
            elif says_done and a.state != APPROVED:
                problems.append(
                    Problem(
                        plan_rel,
                        line,
                        WARNING,
                        f"Subplan Tracking says achievement {a.id} is complete, but there is "
                        f"no APPROVED_{code_of(a.id)}.md (state: {a.state.replace('_', ' ')})",
                    )
                )
            elif "." not in ref and a.subplan is None:
                problems.append(
                    Problem(
                        plan_rel,
                        line,
                        WARNING,
                        f"Subplan Tracking lists a SUBPLAN for achievement {a.id}, "
                        "but no SUBPLAN file exists",
                    )
                )
        if unreviewed:
            # A plan from before reviews (no APPROVED or FIX file anywhere): one warning, not
            # one per line of its tracking section.
            problems.append(
                Problem(
                    plan_rel,
                    min(unreviewed.values()),
                    WARNING,
                    f"Subplan Tracking says {', '.join(sorted(unreviewed, key=id_key))} "
                    "complete, but the plan has no feedback files (APPROVED_*.md): unverified",
                )
            )
    # Finished work archived without an APPROVED file (say, a paused plan's done achievements
    # moved away): archives are history, never live work, so these read not started and
    # "next" may point at one. Not guessed as done: said, once per plan.
    history_done = [
        a.id
        for a in achievements
        if a.state == NOT_STARTED and a.archived_work == "done" and not plan_archived
    ]
    if history_done and plan_rel and not orphan:
        codes = ", ".join(f"APPROVED_{code_of(a)}.md" for a in history_done[:3])
        more = ", …" if len(history_done) > 3 else ""
        problems.append(
            Problem(
                plan_rel,
                None,
                WARNING,
                f"{', '.join(history_done)}: only archived work, all of it complete, and no "
                "APPROVED file counted for them: not counted (archives are history), so "
                + (f"'next' is {nxt}" if nxt in history_done else "they read not started")
                + f" — if they are done, add {codes}{more} to execution/feedbacks/",
            )
        )
    if info is not None and info.handoff_next and info.handoff_next != nxt and nxt is not None:
        problems.append(
            Problem(
                plan_rel,
                info.handoff_line,
                WARNING,
                f"handoff says next is {info.handoff_next}; the files say {nxt}",
            )
        )
    # Plan state.
    header_status = plan_doc.status_header if plan_doc else None
    plan_reasons: list[Reason] = []
    live_execs = [x for a in achievements for x in a.live_executions]
    if any(a.state == NEEDS_FIX for a in achievements):
        ids = [a.id for a in achievements if a.state == NEEDS_FIX]
        state = PLAN_NEEDS_ATTENTION
        plan_reasons.append(Reason(f"open FIX on {', '.join(ids)}", plan_rel))
    elif achievements and len(approved) == len(achievements):
        state = PLAN_COMPLETE
        plan_reasons.append(Reason(f"all {len(achievements)} achievements approved", plan_rel))
    elif not any_feedback and (
        (
            header_status is not None
            and header_status.norm == "complete"
            and all(x.complete for x in live_execs)
            and not _unfinished_subplans(achievements, docs)
        )
        or (
            achievements
            and all(a.state == AWAITING_REVIEW for a in achievements)
            # "all its documents": a PLAN still saying Planning or In Progress does not
            and (header_status is None or header_status.norm == "complete")
        )
    ):
        state = PLAN_COMPLETE_UNVERIFIED
        plan_reasons.append(
            Reason("no feedback files, but its documents all claim completion", plan_rel)
        )
    elif any(a.state != NOT_STARTED for a in achievements):
        state = PLAN_ACTIVE
        plan_reasons.append(Reason(f"{len(approved)}/{len(achievements)} approved", plan_rel))
    else:
        state = PLAN_NOT_STARTED
        plan_reasons.append(Reason("no SUBPLAN, execution or feedback yet", plan_rel))
    markers = tuple(
        sorted(
            {
                d.ref.name[:-4].casefold()
                for d in docs
                if d.ref.kind == N.MARKER
                and plan_doc is not None
                and d.ref.parent == plan_doc.ref.parent
            }
        )
    )
    folder = nested_folder
    group_folder = (
        folder.rsplit("/", 1)[0]
        if folder and "/" in folder
        else (plan_doc.ref.parent if plan_doc and not folder else "")
    )
    group = N.group_of(group_folder) if (folder or plan_doc) else None
    if orphan:
        group = None
    get = plan_doc.get if plan_doc else (lambda *k: "")
    title = plan_doc.title if plan_doc else f"{feature} (orphan: no PLAN)"
    title = re.sub(r"^PLAN\s*[:\-–—]\s*", "", title, flags=re.I)
    plan = Plan(
        name=feature,
        path=plan_rel,
        folder=folder,
        group=group,
        group_label=N.group_label(group),
        title=title,
        state=state,
        reasons=tuple(plan_reasons),
        achievements=tuple(achievements),
        markers=markers,
        status_text=get("status"),
        priority=get("priority"),
        created=get("created"),
        goal=get("goal"),
        parent=info.parent if info else None,
        handoff_next=info.handoff_next if info else None,
        next=nxt,
        ready=ready,
        waves=waves,
        parallel_json=parallel_doc.ref.rel if parallel_doc else None,
        parallel_level=parallel_doc.parallel.level
        if parallel_doc and parallel_doc.parallel
        else None,
        orphan=orphan,
        archived=bool(plan_doc and archived(plan_doc)),
    )
    if orphan:
        problems.append(
            Problem(
                work[0].ref.rel,
                None,
                WARNING,
                f"orphan feature {feature}: {len(work)} file(s) but no PLAN_{feature}.md",
            )
        )
    valid_until = min((f for f in flips if f > now), default=float("inf"))
    return plan, tuple(sorted(set(problems), key=_problem_key)), valid_until


def _ids(ids) -> str:
    return ", ".join(ids) or "nothing"


def _reach(graph: dict[str, list[str]], start: str) -> set[str]:
    """Every achievement ``start`` waits for, directly or through others."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(graph.get(x, ()))
    return seen


_NOT_DONE_STATUSES = ("planned", "in_progress", "blocked", "paused", "abandoned")


def _recorded_contradictions(
    achievements: list[Achievement], recorded: dict[str, str | None]
) -> tuple[str, list[str]] | None:
    """One sentence naming each status parallel.json records that the files contradict:
    unfinished but approved, or complete but not approved."""
    unfinished: dict[str, list[str]] = {}  # recorded status → ids
    finished: dict[str, list[str]] = {}
    for a in achievements:
        status = recorded.get(a.id)
        if not status:
            continue
        norm = normalise_status(status)
        if a.state == APPROVED and norm in _NOT_DONE_STATUSES:
            if norm == "abandoned" and SKIPPED_FLAG in a.flags:
                continue  # skipped by decision, and recorded so
            unfinished.setdefault(status, []).append(a.id)
        elif a.state != APPROVED and norm == "complete":
            finished.setdefault(status, []).append(a.id)
    if not unfinished and not finished:
        return None

    def part(groups: dict[str, list[str]], verb: str) -> str:
        n = sum(len(v) for v in groups.values())
        listed = " and ".join(f"{', '.join(v)} as {k!r}" for k, v in groups.items())
        return f"{listed} but {'they are' if n > 1 else 'it is'} {verb}"

    parts = []
    if unfinished:
        parts.append(part(unfinished, "approved"))
    if finished:
        parts.append(part(finished, "not approved"))
    ids = [i for g in (unfinished, finished) for v in g.values() for i in v]
    return "parallel.json records " + "; ".join(parts) + " (recorded, not used)", ids


def _problem_key(p: Problem):
    return (p.path, p.line or 0, p.severity, p.message)


_VERSION = re.compile(r"^V(\d+)$")


def _suffix_rank(d: Doc) -> tuple:
    s = d.ref.suffixes
    vs = [int(m.group(1)) for x in s if (m := _VERSION.match(x))]
    return (bool(s), max(vs) if vs else (1 if s else 0), d.ref.rel)


def _achievement_state(
    aid: str,
    e: AchievementEntry,
    files: list[Doc],
    archived,
    in_folder,
    plan_archived: bool,
    now: float,
    settings: Settings,
    flips: list[float],
    problems: list[Problem],
    secondary: set[str] | frozenset[str] = frozenset(),
) -> dict:
    code = code_of(aid)
    subplans = [d for d in files if d.ref.kind == N.SUBPLAN]
    execs = [d for d in files if d.ref.kind == N.EXECUTION]
    approved = [d for d in files if d.ref.kind == N.APPROVED]
    fixes = [d for d in files if d.ref.kind == N.FIX]
    resolutions = [d for d in files if d.ref.kind == N.RESOLUTION]
    skipped = [d for d in files if d.ref.kind == N.SKIPPED]
    # SUBPLAN: nested (inside the plan folder) beats flat; live beats archived.
    subplans.sort(
        key=lambda d: (
            archived(d),
            d.ref.rel in secondary,  # another achievement's SUBPLAN that also names this one
            not in_folder(d),
            bool(d.ref.suffixes),
            not d.ref.parent.endswith("subplans"),  # the plan's subplans/ over a stray copy
            d.ref.rel,
        )
    )
    live_subplans = [d for d in subplans if not archived(d)]
    # Its own SUBPLAN and one it shares with another achievement are no duplicates.
    own = [d for d in live_subplans if d.ref.rel not in secondary] or live_subplans
    if len(own) > 1:
        first = own[0]
        for other in own[1:]:
            same = other.crc == first.crc
            problems.append(
                Problem(
                    other.ref.rel,
                    None,
                    WARNING,
                    f"duplicate SUBPLAN for {aid}: {first.ref.rel} is used"
                    + ("" if same else " (the two differ)"),
                )
            )
    # An archived plan is history: its archived SUBPLAN is still the one it had.
    subplan = (
        live_subplans[0] if live_subplans else (subplans[0] if plan_archived and subplans else None)
    )
    # Executions: a suffixed redo supersedes the same MM.
    # A task shared with another achievement is no redo or copy of this one's own.
    by_mm: dict[tuple, list[Doc]] = {}
    for d in execs:
        shared = d.ref.rel in secondary
        by_mm.setdefault((shared and d.ref.code, d.ref.mm or 0), []).append(d)
    winners = set()
    for group in by_mm.values():
        live = [d for d in group if not archived(d)] or group
        # The latest redo wins; between copies of one file, the one in the plan folder.
        winner = max(live, key=lambda d: (*_suffix_rank(d)[:2], in_folder(d), d.ref.rel))
        winners.add(winner.ref.rel)
        for other in live:
            if other is not winner and other.ref.suffixes == winner.ref.suffixes:
                problems.append(
                    Problem(
                        other.ref.rel,
                        None,
                        WARNING,
                        f"duplicate EXECUTION_TASK for {aid}: {winner.ref.rel} is used",
                    )
                )
    executions: list[Execution] = []
    # Several live executions of one achievement run in parallel unless marked otherwise.
    several_live = (
        sum(
            1
            for d in execs
            if d.ref.rel in winners and not archived(d) and d.ref.rel not in secondary
        )
        > 1
    )
    for d in sorted(execs, key=lambda d: (d.ref.mm or 0, _suffix_rank(d))):
        last = d.status_last
        complete = last is not None and last.norm == "complete"
        if d.ref.suffixes and any(s not in ("ARCHIVED", "NESTED") for s in d.ref.suffixes):
            kind = "redo"
        elif d.phase is not None:
            kind = "phase"
        elif d.parallel_marker or several_live:
            kind = "parallel"
        else:
            kind = "single"
        executions.append(
            Execution(
                path=d.ref.rel,
                number=d.ref.mm or 0,
                suffix="_".join(d.ref.suffixes),
                status=last.norm if last else "unknown",
                status_text=last.raw if last else "",
                status_line=last.line if last else None,
                complete=complete,
                kind=kind,
                superseded=d.ref.rel not in winners,
                phase=d.phase,
                archived=archived(d),
                date=d.date,
            )
        )
    live = [x for x in executions if not x.superseded and not x.archived]
    considered = live or ([x for x in executions if not x.superseded] if plan_archived else [])
    planned = subplan.planned if subplan is not None else None
    flags: list[str] = []
    reasons: list[Reason] = []
    feedback = None
    if approved:
        state = APPROVED
        feedback = "approved"
        reasons.append(Reason(f"{approved[0].ref.name} exists", approved[0].ref.rel))
        if fixes:
            flags.append(HAD_FIXES)
            reasons.append(Reason(f"approved after {fixes[0].ref.name}", fixes[0].ref.rel))
    elif skipped:
        state = APPROVED
        feedback = "approved"
        flags.append(SKIPPED_FLAG)
        reasons.append(
            Reason(f"{skipped[0].ref.name} exists: skipped by decision", skipped[0].ref.rel)
        )
    elif fixes:
        state = NEEDS_FIX
        feedback = "fix"
        reasons.append(
            Reason(f"{fixes[0].ref.name} exists and no APPROVED_{code}.md", fixes[0].ref.rel)
        )
        if resolutions:
            flags.append(RESOLUTION_SUBMITTED)
            reasons.append(Reason(f"{resolutions[0].ref.name} submitted", resolutions[0].ref.rel))
    elif (
        considered
        and all(x.complete for x in considered)
        and (planned is None or len(considered) >= planned)
    ):
        state = AWAITING_REVIEW
        names = ", ".join(x.path.rsplit("/", 1)[-1] for x in considered)
        reasons.append(
            Reason(
                f"all executions complete ({names}); no APPROVED or FIX yet",
                considered[-1].path,
                considered[-1].status_line,
            )
        )
    elif considered:
        state = EXECUTING
        done = sum(1 for x in considered if x.complete)
        total = max(len(considered), planned or 0)
        open_x = next((x for x in considered if not x.complete), None)
        if open_x is not None:
            reasons.append(
                Reason(
                    f"{done}/{total} executions complete; {open_x.path.rsplit('/', 1)[-1]} says "
                    f"{open_x.status_text or 'no status'!r}",
                    open_x.path,
                    open_x.status_line,
                )
            )
        else:
            reasons.append(
                Reason(
                    f"{done}/{total} executions complete (SUBPLAN plans {planned})",
                    subplan.ref.rel if subplan else None,
                )
            )
        # Stale: no activity for N days (dates written in the files first, then mtime). An
        # archived plan is history: nobody is expected to work on it.
        latest = None
        for x in considered if not plan_archived else ():
            doc = next(d for d in execs if d.ref.rel == x.path)
            t = _date_epoch(doc.date)
            if t is None:
                t = doc.mtime_ns / 1e9
            latest = t if latest is None else max(latest, t)
        if latest is not None:
            limit = settings.stale_days * 86400
            if now - latest > limit:
                flags.append(STALE)
                days = int((now - latest) // 86400)
                reasons.append(Reason(f"stale: no activity for {days} days", considered[-1].path))
                flips.append(latest + (days + 1) * 86400)  # the day count changes then
            else:
                flips.append(latest + limit)  # it turns stale then
    elif subplan is not None:
        state = SUBPLAN_READY
        reasons.append(Reason(f"{subplan.ref.name} exists; no EXECUTION_TASK yet", subplan.ref.rel))
    else:
        state = NOT_STARTED
        reasons.append(Reason("no SUBPLAN, execution or feedback yet"))
    if executions and not considered:
        reasons.append(
            Reason(
                f"{len(executions)} archived execution(s) not counted as live work",
                executions[-1].path,
            )
        )
    if subplans and subplan is None:
        reasons.append(
            Reason(
                f"{len(subplans)} archived SUBPLAN(s) not counted as live work", subplans[0].ref.rel
            )
        )
    feedback_files = tuple(d.ref.rel for d in approved + fixes + resolutions + skipped)
    return {
        "state": state,
        "flags": flags,
        "reasons": reasons,
        "subplan": subplan.ref.rel if subplan else None,
        "subplans": tuple(d.ref.rel for d in subplans),
        "executions": tuple(executions),
        "feedback": feedback,
        "feedback_files": feedback_files,
        # The review date written in the file first; its mtime (equal for every file after a
        # fresh clone) only when there is none.
        "approved_at": (_date_epoch(approved[0].date) or approved[0].mtime_ns / 1e9)
        if approved
        else None,
        "planned": planned,
    }


def cycles(deps: dict[str, list[str]]) -> list[list[str]]:
    """Every elementary cycle found by a DFS (one per strongly connected knot), with its path."""
    color: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    seen_sets: set[frozenset] = set()
    for start in sorted(deps, key=id_key):
        if color.get(start):
            continue
        # Iterative DFS to survive deep chains.
        it_stack = [(start, iter(sorted(deps.get(start, ()), key=id_key)))]
        color[start] = 1
        stack.append(start)
        while it_stack:
            node, it = it_stack[-1]
            nxt = next(it, None)
            if nxt is None:
                it_stack.pop()
                stack.pop()
                color[node] = 2
                continue
            c = color.get(nxt, 0)
            if c == 0 and nxt in deps:
                color[nxt] = 1
                stack.append(nxt)
                it_stack.append((nxt, iter(sorted(deps.get(nxt, ()), key=id_key))))
            elif c == 1:
                cycle = stack[stack.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    # A cycle reads along "depends on": a → b means a waits for b.
                    found.append(list(cycle))
    return found


def _waves(pending: list[str], deps: dict[str, list[str]], approved: set[str]) -> tuple:
    remaining = set(pending)
    placed: set[str] = set(approved)
    waves = []
    while remaining:
        wave = sorted(
            (a for a in remaining if all(d in placed for d in deps.get(a, ()))), key=id_key
        )
        if not wave:
            break  # the rest sits on a cycle
        waves.append(tuple(wave))
        placed.update(wave)
        remaining.difference_update(wave)
    return tuple(waves)


_DOC_PREFIX = re.compile(
    r"^(?:SUBPLAN|EXECUTION[_ ]TASK)\s*[:\-–—]\s*(?:Achievement\s+\d+(?:\.\d+)+\s*[:\-–—]\s*)?",
    re.I,
)


def _doc_title(d: Doc) -> str:
    """The title a SUBPLAN or EXECUTION_TASK gives its achievement ("" for feedback)."""
    if d.ref.kind not in (N.SUBPLAN, N.EXECUTION):
        return ""
    return _DOC_PREFIX.sub("", d.title).strip()
