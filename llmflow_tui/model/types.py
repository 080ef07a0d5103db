"""The immutable value types of a workspace snapshot.

Everything here is a frozen dataclass made of strings, numbers and tuples, so that a snapshot
can be shared with the UI thread, compared for equality (``apply`` must equal ``load``) and
pickled into the persistent parse cache.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field

# Achievement workflow states, in the order FORMAT.md §9 decides them.
APPROVED = "approved"
NEEDS_FIX = "needs_fix"
AWAITING_REVIEW = "awaiting_review"
EXECUTING = "executing"
SUBPLAN_READY = "subplan_ready"
NOT_STARTED = "not_started"
ACHIEVEMENT_STATES = (APPROVED, NEEDS_FIX, AWAITING_REVIEW, EXECUTING, SUBPLAN_READY, NOT_STARTED)

# Achievement flags.
BLOCKED = "blocked"
STALE = "stale"
HAD_FIXES = "had_fixes"
RESOLUTION_SUBMITTED = "resolution_submitted"

# Plan states.
PLAN_COMPLETE = "complete"
PLAN_COMPLETE_UNVERIFIED = "complete_unverified"
PLAN_NEEDS_ATTENTION = "needs_attention"
PLAN_ACTIVE = "active"
PLAN_NOT_STARTED = "not_started"
PLAN_STATES = (
    PLAN_COMPLETE,
    PLAN_COMPLETE_UNVERIFIED,
    PLAN_NEEDS_ATTENTION,
    PLAN_ACTIVE,
    PLAN_NOT_STARTED,
)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Settings:
    """What a derivation depends on besides the files."""

    now: float | None = None  # epoch seconds; None: the time of each load/apply
    stale_days: float = 7.0


@dataclass(frozen=True, order=True)
class Problem:
    """One anomaly found while reading: shown in the problems list, never raised."""

    path: str  # relative to the workspace root, "/"-separated ("" for the workspace itself)
    line: int | None
    severity: str  # "error" | "warning"
    message: str

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class Effort:
    """An effort estimate: the first number or range with its unit, and the original text."""

    low: float | None
    high: float | None
    unit: str | None  # "hours" | "minutes" | "days" | None
    text: str

    @property
    def hours(self) -> float | None:
        """The upper bound in hours (None when unknown)."""
        value = self.high if self.high is not None else self.low
        if value is None:
            return None
        return {"minutes": value / 60, "days": value * 8}.get(self.unit or "hours", value)


@dataclass(frozen=True)
class Reason:
    """Why something has its state: a file (and line) and a sentence."""

    text: str
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Execution:
    """One EXECUTION_TASK file attached to an achievement."""

    path: str
    number: int  # the MM execution index
    suffix: str  # "" or "V2", "RECOVERY", …
    status: str  # the normalised status word of the last Status line ("complete", …)
    status_text: str  # the raw text of the deciding Status line
    status_line: int | None
    complete: bool
    kind: str  # "single" | "parallel" | "phase" | "redo"
    superseded: bool  # a suffixed redo of the same MM exists
    phase: tuple[int, int] | None  # (k, n) from "Phase: k of n" / "02 of 03"
    archived: bool
    date: str | None  # latest date written in the file (YYYY-MM-DD), if any


@dataclass(frozen=True)
class Achievement:
    """One achievement of a plan with its derived workflow state."""

    id: str  # "1.1"
    title: str
    state: str  # one of ACHIEVEMENT_STATES
    flags: tuple[str, ...]
    reasons: tuple[Reason, ...]  # first one is the deciding reason
    source: str  # "index" | "definition" | "both" | "parallel.json" | "files"
    line: int | None  # line of the definition (or index entry) in the PLAN
    subplan: str | None
    subplans: tuple[str, ...]  # every SUBPLAN file (nested first), archived included
    executions: tuple[Execution, ...]
    feedback: str | None  # "approved" | "fix" | None
    feedback_files: tuple[str, ...]
    dependencies: tuple[str, ...]
    blocks: tuple[str, ...]
    dependency_hints: tuple[str, ...]  # prose such as "After Achievement 1.2": shown, not edges
    effort: Effort | None
    fields: tuple[tuple[str, str], ...]  # definition fields (Effort, Success, Goal, …)
    planned_executions: int | None  # from the SUBPLAN's Active EXECUTION_TASKs list
    recorded_status: str | None  # status persisted in parallel.json, display only
    marked_done: bool  # the PLAN text marks it ✅ (index or definition)
    approved_at: float | None = None  # mtime of its APPROVED file (for velocity), if approved

    @property
    def reason(self) -> str:
        return self.reasons[0].text if self.reasons else ""

    @property
    def priority(self) -> int:
        return int(self.id.split(".")[0])

    @property
    def live_executions(self) -> tuple[Execution, ...]:
        return tuple(e for e in self.executions if not e.superseded and not e.archived)

    @property
    def archived_work(self) -> str | None:
        """For an achievement with no live work: "done" if it has archived executions and
        all of them say complete, "open" if some do not, None without any (archived work is
        history, not counted, but worth saying it is there)."""
        if self.state not in ("not_started", "subplan_ready"):
            return None
        archived = [x for x in self.executions if x.archived and not x.superseded]
        if not archived:
            return None
        return "done" if all(x.complete for x in archived) else "open"

    @property
    def executions_done(self) -> tuple[int, int]:
        """(k, n): complete executions and how many are planned or exist. The live ones;
        where there are none, the archived ones (an archived plan's state counts those)."""
        live = self.live_executions or tuple(e for e in self.executions if not e.superseded)
        done = sum(1 for e in live if e.complete)
        total = max(len(live), self.planned_executions or 0)
        return done, total


@dataclass(frozen=True)
class Tally:
    """A plan's counts, kept beside its achievements: a screen of plans needs nothing else,
    and a plan read back from the parse cache unpickles its achievements on first use."""

    approved: int = 0
    total: int = 0
    needs_fix: int = 0
    stale: int = 0
    running: int = 0  # executing
    blocked: int = 0
    approved_at: tuple[float, ...] = ()  # mtimes of the APPROVED files (velocity)
    hours_left: float | None = None  # estimated effort of the rest; None if one is unknown
    marks: frozenset[str] = frozenset()  # every achievement state and flag present (filter)
    review: int = 0  # awaiting review

    @classmethod
    def of(cls, achievements: tuple[Achievement, ...]) -> Tally:
        approved = needs_fix = stale = running = blocked = review = 0
        stamps: list[float] = []
        hours: float | None = 0.0
        marks: set[str] = set()
        for a in achievements:
            state = a.state
            marks.add(state)
            marks.update(a.flags)
            if state == APPROVED:
                approved += 1
                if a.approved_at is not None:
                    stamps.append(a.approved_at)
            else:
                h = a.effort.hours if a.effort else None
                hours = None if h is None or hours is None else hours + h
                if state == NEEDS_FIX:
                    needs_fix += 1
                elif state == EXECUTING:
                    running += 1
                elif state == AWAITING_REVIEW:
                    review += 1
            if a.flags:
                stale += STALE in a.flags
                blocked += BLOCKED in a.flags
        return cls(
            approved,
            len(achievements),
            needs_fix,
            stale,
            running,
            blocked,
            tuple(sorted(stamps)),
            hours,
            frozenset(marks),
            review,
        )


@dataclass(frozen=True)
class Plan:
    """A PLAN (or an orphan feature with no PLAN) and everything attached to it.

    Pickled (into the parse cache, or from a helper process), a plan keeps its achievements
    as one pickled blob that is read back the first time ``achievements`` is asked for."""

    name: str  # the feature token
    path: str | None  # the PLAN file, relative; None for an orphan
    folder: str | None  # the plan folder (nested layout), relative
    group: str | None  # the grouping folder name ("a_paused"), or None
    group_label: str | None  # "paused"
    title: str
    state: str  # one of PLAN_STATES
    reasons: tuple[Reason, ...]
    achievements: tuple[Achievement, ...]
    markers: tuple[str, ...]  # marker-file badges: "completed", "paused", …
    status_text: str  # the PLAN header Status, raw
    priority: str
    created: str
    goal: str
    parent: str | None  # GRAMMAPLAN name (feature) this plan belongs to, if any
    handoff_next: str | None  # the next-pointer written in the handoff section
    next: str | None  # derived: lowest-numbered achievement neither approved nor blocked
    ready: tuple[str, ...]  # unapproved achievements whose dependencies are all approved
    waves: tuple[tuple[str, ...], ...]  # unapproved achievements layered by dependencies
    parallel_json: str | None
    parallel_level: str | None
    orphan: bool
    archived: bool
    # Worked out from the achievements (also by ``dataclasses.replace``).
    tally: Tally = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tally", Tally.of(self.achievements))

    @property
    def progress(self) -> tuple[int, int]:
        return self.tally.approved, self.tally.total

    def __reduce__(self):
        state = dict(self.__dict__)
        if "achievements" in state:
            blob = pickle.dumps(state.pop("achievements"), protocol=pickle.HIGHEST_PROTOCOL)
        else:
            blob = state.pop(_ACHIEVEMENTS_BLOB)
        return (_restore_plan, (state, blob))

    def achievement(self, achievement_id: str) -> Achievement | None:
        for a in self.achievements:
            if a.id == achievement_id:
                return a
        return None


_ACHIEVEMENTS_BLOB = "_achievements_pickled"


class _PickledAchievements:
    """``Plan.achievements`` for a plan that came out of a pickle: unpickled on first use.

    A non-data descriptor, so a plan built normally (or already read back) finds the tuple in
    its own ``__dict__`` and never gets here."""

    def __get__(self, plan, owner=None):
        if plan is None:
            return self
        d = plan.__dict__
        try:
            blob = d[_ACHIEVEMENTS_BLOB]
        except KeyError:
            raise AttributeError("achievements") from None
        value = pickle.loads(blob)
        d["achievements"] = value
        d.pop(_ACHIEVEMENTS_BLOB, None)
        return value


Plan.achievements = _PickledAchievements()  # type: ignore[assignment]


def _restore_plan(state: dict, blob: bytes) -> Plan:
    plan = Plan.__new__(Plan)
    plan.__dict__.update(state)
    plan.__dict__[_ACHIEVEMENTS_BLOB] = blob
    return plan


@dataclass(frozen=True)
class GrammaPlan:
    """A plan of plans (or a NORTH_STAR vision document)."""

    name: str
    path: str
    kind: str  # "grammaplan" | "north_star"
    title: str
    status_text: str
    children: tuple[str, ...]  # plan names
    group: str | None = None
    archived: bool = False
    # (plan, the plans it must wait for), from a dependency column of the child table
    dependencies: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def waits_for(self, plan: str) -> tuple[str, ...]:
        for name, deps in self.dependencies:
            if name == plan:
                return deps
        return ()


@dataclass(frozen=True)
class Counts:
    files: int = 0
    documents: int = 0
    plans: int = 0
    achievements: int = 0
    extra: tuple[tuple[str, int], ...] = field(default_factory=tuple)


def plan_census(plans: Iterable[Plan]) -> str:
    """ "12 plans, 3 orphan features, 1 archived plan": orphans (files with no PLAN) and
    archived plans are not counted as plans."""
    live = orphans = archived = 0
    for p in plans:
        if p.orphan:
            orphans += 1
        elif p.archived:
            archived += 1
        else:
            live += 1
    parts = [f"{live} plan{'s' if live != 1 else ''}"]
    if orphans:
        parts.append(f"{orphans} orphan feature{'s' if orphans != 1 else ''}")
    if archived:
        parts.append(f"{archived} archived plan{'s' if archived != 1 else ''}")
    return ", ".join(parts)


DONE_PLAN_STATES = ("complete", "complete_unverified")


def plan_waves(
    children: tuple[str, ...],
    waits_for: dict[str, tuple[str, ...]],
    plans: dict[str, Plan],
) -> tuple[list[str], list[list[str]], list[str]]:
    """Cross-plan parallel work (FORMAT §10, level 1): the child plans already done, then the
    rest in waves (each wave can run at once once the waves before it are done), then any
    left over because they wait on each other in a cycle. Dependencies on plans that are not
    in the workspace are left to the problems list."""
    known = [c for c in children if c in plans]
    done = [c for c in known if plans[c].state in DONE_PLAN_STATES]
    placed = set(done)
    remaining = [c for c in known if c not in placed]
    waves: list[list[str]] = []
    while remaining:
        wave = [
            c for c in remaining if all(d in placed or d not in plans for d in waits_for.get(c, ()))
        ]
        if not wave:
            break
        waves.append(wave)
        placed.update(wave)
        remaining = [c for c in remaining if c not in placed]
    return done, waves, remaining
