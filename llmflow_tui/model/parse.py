"""Read one file into a compact, picklable summary (a ``Doc``): structure, not whole texts.

Every reader here is total: any bytes produce a ``Doc`` (with problems), never an exception.
"""

from __future__ import annotations

import json
import re
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field

from . import names as N
from .text import (
    Fences,
    Lines,
    StatusLine,
    decode,
    decode_checked,
    fences_and_headings,
    find_fences,
    first_line,
    header_block,
    header_ids,
    headings,
    ids_in,
    iter_outside,
    last_status_line,
    latest_date,
    looks_binary,
    normalise_status,
    read_head,
    scan_lines,
    sections,
    strip_emoji,
    unescape_name,
    words,
)
from .types import ERROR, WARNING, Problem

PARSER_VERSION = 5


@dataclass(frozen=True)
class AchievementEntry:
    """One achievement as the PLAN text defines (or indexes) it."""

    id: str
    title: str
    line: int
    source: str  # "index" | "definition"
    marked_done: bool
    fields: tuple[tuple[str, str], ...] = ()
    dependencies: tuple[str, ...] | None = None  # None: no structured Dependencies line
    blocks: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    effort_text: str = ""
    deps_line: int | None = None  # the first structured Dependencies line
    index_line: int | None = None  # its Achievement Index entry
    index_done: bool = False  # the index entry carries ✅ (or [x])
    done_line: int | None = None  # the line that carries its ✅: definition first, then index


@dataclass(frozen=True)
class PlanInfo:
    achievements: tuple[AchievementEntry, ...]  # definitions first-occurrence, then index-only
    index_ids: tuple[str, ...]
    handoff_next: str | None
    handoff_line: int | None
    progress_counter: tuple[int, int, int] | None  # (done, total, line)
    archive_location: str | None
    parent: str | None  # GRAMMAPLAN feature
    is_plan_title: bool
    # "Subplan Tracking" lines: (achievement id or SUBPLAN code, says complete, line)
    tracking: tuple[tuple[str, bool, int], ...] = ()


@dataclass(frozen=True)
class ParallelInfo:
    level: str | None
    achievements: tuple[tuple[str, tuple[str, ...], str | None, int | None], ...]
    # (id, dependencies, recorded status, line)


@dataclass(frozen=True)
class Doc:
    """A file's summary. ``ref`` says what it is by name; the rest comes from its content."""

    ref: N.FileRef
    size: int
    mtime_ns: int
    crc: int
    title: str = ""
    header: tuple[tuple[str, str], ...] = ()
    status_header: StatusLine | None = None
    status_last: StatusLine | None = None
    date: str | None = None
    achievement: str | None = None  # header Achievement id (SUBPLAN / EXECUTION)
    achievement_line: int | None = None  # the line of that header
    # Every id that header names ("4.1 & 4.2": both; the first is ``achievement``) and the
    # sub-achievements (``1.4.5``) it names, and the header's value as written.
    achievements: tuple[str, ...] = ()
    sub_achievements: tuple[str, ...] = ()
    achievement_text: str = ""
    execution_number: str = ""
    parallel_marker: bool = False
    phase: tuple[int, int] | None = None
    planned: int | None = None  # SUBPLAN: executions planned
    children: tuple[str, ...] = ()  # GRAMMAPLAN: child plan features
    # GRAMMAPLAN: (child, the plans it depends on) from a dependency column of its table
    child_deps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # GRAMMAPLAN: (child, line, the table's Progress cell, its percent) — a counter that lags
    child_progress: tuple[tuple[str, int, str, float], ...] = ()
    plan: PlanInfo | None = None
    parallel: ParallelInfo | None = None
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def get(self, *keys: str) -> str:
        """The first header value among ``keys`` (key words, e.g. "status")."""
        for k in keys:
            for hk, hv in self.header:
                if hk == k:
                    return hv
        return ""


def read_doc(root: str, ref: N.FileRef, size: int, mtime_ns: int) -> Doc:
    """Read and summarise ``root/ref.rel``; never raises."""
    path = f"{root}/{ref.rel}"
    if ref.kind == N.APPROVED:
        # Existence is the whole signal (FORMAT §7); only the review date in the header is
        # read, for display and velocity (a fresh clone gives every file the same mtime).
        return Doc(ref, size, mtime_ns, 0, date=_review_date(path, size))
    if ref.kind in _NOT_READ:
        # Existence is the whole signal (FORMAT §7): the content is not evidence of anything.
        return Doc(ref, size, mtime_ns, 0)
    problems: list[Problem] = []
    try:
        data = read_head(path, size, N_MAX)
    except OSError as exc:
        return Doc(
            ref,
            size,
            mtime_ns,
            0,
            problems=(Problem(ref.rel, None, ERROR, f"cannot read file: {exc.strerror or exc}"),),
        )
    crc = zlib.crc32(data)
    if ref.kind == N.MARKER:
        return Doc(ref, size, mtime_ns, crc)
    if looks_binary(data):
        return Doc(
            ref,
            size,
            mtime_ns,
            crc,
            problems=(Problem(ref.rel, None, ERROR, "binary file (contains NUL bytes): not read"),),
        )
    if len(data) > N_MAX:
        data = data[:N_MAX]
        problems.append(
            Problem(
                ref.rel,
                None,
                WARNING,
                f"huge file: only the first {N_MAX // (1024 * 1024)} MB are read",
            )
        )
    text, replaced = decode_checked(data)
    if replaced:
        problems.append(
            Problem(ref.rel, None, WARNING, "invalid UTF-8: undecodable bytes were replaced")
        )
    try:
        return _summarise(ref, size, mtime_ns, crc, text, problems)
    except RecursionError:  # pragma: no cover - defensive
        problems.append(Problem(ref.rel, None, ERROR, "file too deeply nested to read"))
        return Doc(ref, size, mtime_ns, crc, problems=tuple(problems))


N_MAX = 4 * 1024 * 1024
_NOT_READ = frozenset({N.APPROVED, N.FIX, N.RESOLUTION, N.SKIPPED, N.MARKER})
_REVIEW_KEYS = ("review date", "reviewed", "date", "approved", "approved on", "approval date")


def _review_date(path: str, size: int) -> str | None:
    """The date in an APPROVED file's header (``**Review Date**: 2025-11-07``), or None."""
    try:
        data = read_head(path, size, 4096)
    except OSError:
        return None
    if looks_binary(data):
        return None
    header, _end = header_block(decode(data[:4096]))
    for key in _REVIEW_KEYS:
        for k, v, _off in header:
            if k == key:
                date = latest_date(v)
                if date:
                    return date
    return None


_K_OF_N = re.compile(r"(\d+)\s*(?:of|/)\s*(\d+)")
_K_OF_N_WORD = re.compile(r"\d+\s*of\s*\d+")
_PHASE_K_OF_N = re.compile(r"phase\s*(\d+)\s*(?:of|/)\s*(\d+)", re.I)


def _summarise(
    ref: N.FileRef, size: int, mtime_ns: int, crc: int, text: str, problems: list[Problem]
) -> Doc:
    if ref.kind == N.PARALLEL_JSON:
        info = parse_parallel_json(ref.rel, text, problems)
        return Doc(ref, size, mtime_ns, crc, parallel=info, problems=tuple(problems))
    if not text or text.isspace():
        if ref.kind not in (N.APPROVED, N.FIX, N.RESOLUTION, N.SKIPPED):
            problems.append(Problem(ref.rel, None, WARNING, "empty file"))
        return Doc(ref, size, mtime_ns, crc, problems=tuple(problems))
    heads = None
    if ref.kind in (N.PLAN, N.SUBPLAN):
        fences, heads = fences_and_headings(text)
    else:
        fences = find_fences(text)
    lines = Lines(text)
    if fences.unclosed_at is not None:
        problems.append(
            Problem(
                ref.rel,
                lines.number(fences.unclosed_at),
                WARNING,
                "code fence is never closed: the rest of the file is code",
            )
        )
    title_line = first_line(text)
    title = title_line.lstrip("#").lstrip()
    header_items, _hend = header_block(text)
    header = tuple((k, v) for k, v, _o in header_items)
    status_last = last_status_line(text, fences, lines)
    status_header = None
    for k, v, off in header_items:
        if k == "status":
            norm = normalise_status(v)
            if norm is not None:
                status_header = StatusLine(v, norm, lines.number(off))
            break
    kw: dict = {}
    kind = ref.kind
    if kind in (N.SUBPLAN, N.EXECUTION):
        ach = _get(header, "achievement", "achievement addressed")
        ids, subs = header_ids(ach)
        kw["achievement"] = ids[0] if ids else None
        if len(ids) > 1 or subs:
            kw["achievements"], kw["sub_achievements"] = ids, subs
            kw["achievement_text"] = ach[:200]
        if ids or subs:
            key = "achievement" if _get(header, "achievement") else "achievement addressed"
            off = next(o for k, _v, o in header_items if k == key)
            kw["achievement_line"] = lines.number(off)
    if kind == N.EXECUTION:
        num = _get(header, "execution number", "execution")
        kw["execution_number"] = num
        kw["parallel_marker"] = "parallel" in words(_get(header, "parallel group")) or bool(
            "[PARALLEL]" in num
        )
        phase = _get(header, "phase")
        m = _K_OF_N.search(phase)
        if not m:
            m = _PHASE_K_OF_N.search(num)
        if m:
            kw["phase"] = (int(m.group(1)), int(m.group(2)))
        elif _K_OF_N_WORD.search(num):
            kw["parallel_marker"] = True
        if m:
            status_header = _own_phase_done(status_header, kw["phase"][0])
            status_last = _own_phase_done(status_last, kw["phase"][0])
        if (
            status_header is not None
            and status_last is not None
            and status_last.line != status_header.line
            and (status_header.norm == "complete") != (status_last.norm == "complete")
        ):
            problems.append(
                Problem(
                    ref.rel,
                    status_header.line,
                    WARNING,
                    f"header says {status_header.raw!r} but the last Status line "
                    f"(line {status_last.line}) says {status_last.raw!r}",
                )
            )
    if kind == N.SUBPLAN:
        kw["planned"] = _planned_executions(text, fences, heads)
    if kind == N.PLAN:
        kw["plan"] = parse_plan(ref.rel, text, fences, lines, header, title_line, problems, heads)
    if kind in (N.GRAMMAPLAN, N.NORTH_STAR):
        kw["children"], kw["child_deps"], kw["child_progress"] = _children(text, fences, lines)
    # Dates matter for staleness, which only executions have.
    date = latest_date(text) if kind == N.EXECUTION else None
    return Doc(
        ref,
        size,
        mtime_ns,
        crc,
        title=title[:300],
        # Only plans and plans of plans show header values; keep the rest small.
        header=_short(header) if kind in (N.PLAN, N.GRAMMAPLAN, N.NORTH_STAR) else (),
        status_header=status_header,
        status_last=status_last,
        date=date,
        problems=tuple(problems),
        **kw,
    )


def _own_phase_done(status: StatusLine | None, phase: int) -> StatusLine | None:
    """``status`` read for a task that is itself phase ``phase`` of its SUBPLAN
    (``**Phase**: 2 of 3``): there "Phase 2 complete" is the whole task, not a part."""
    if status is None or status.norm != "in_progress":
        return status
    return StatusLine(status.raw, normalise_status(status.raw, phase) or status.norm, status.line)


def name_and_header_disagree(d: Doc, named: str) -> Problem:
    """The warning for a SUBPLAN or task whose name's code maps to achievement ``named``
    while its own ``**Achievement**:`` header names another of the plan's achievements (the
    name decides, FORMAT §3; the header only says the name may be wrong)."""
    said = d.achievement or ""
    code = d.ref.code or ""
    name = d.ref.name
    at = name.find(f"{d.ref.feature}_{code}") if d.ref.feature else -1
    if at != -1:
        at += len(d.ref.feature or "") + 1
        name = name[:at] + said.replace(".", "") + name[at + len(code) :]
    return Problem(
        d.ref.rel,
        d.achievement_line,
        WARNING,
        f"file name says {named}, its header says {said}: counted for {named} "
        f"(rename it {name} if it is {said}'s, or correct the header)",
    )


def _short(header: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v[:500]) for k, v in header[:40])


def _archive_path(value: str) -> str | None:
    """The folder named in an "Archive Location" value or line (in backticks, or the first
    word with a "/"), with "./" and a trailing "/" dropped; None if it names none."""
    quoted = re.findall(r"`([^`\s]+)`", value)
    for word in quoted or value.split():
        word = word.strip("`*_,;:()[]<>\"'")
        if "/" in word or word.lower().endswith("archive"):
            if "://" in word or word.startswith(".."):
                continue
            return word.removeprefix("./").rstrip("/") or None
    return None


_LINE_TEXT = re.compile(r"^[ \t>*-]*(\S.*)$", re.M)


def _archive_location(header_value: str, text: str, fences, sections) -> str | None:
    """The plan's archive folder: the header key, else the key written further down, else
    the first folder named in an "Archive Location" section."""
    if header_value and (path := _archive_path(header_value)):
        return path
    for m in iter_outside(_ARCHIVE_KEY, text, fences):
        if text[text.rfind("\n", 0, m.start()) + 1 : m.start()].strip(" \t>*-"):
            continue  # not at the start of its line
        if path := _archive_path(m.group(1)):
            return path
    for sec in sections:
        if "archive location" in sec.key:
            for m in iter_outside(_LINE_TEXT, text, fences, sec.body, sec.end):
                if path := _archive_path(m.group(1)):
                    return path
            break
    return None


def _get(header, *keys: str) -> str:
    for k in keys:
        for hk, hv in header:
            if hk == k:
                return hv
    return ""


# ---------------------------------------------------------------------------------------
# PLAN

_DEF_BOLD = re.compile(
    r"[ \t]{0,3}\*\*Achievement[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)[ \t]*(?:\*\*[ \t]*:|:\*\*|:)"
    r"[ \t]*(.*)$",
)
_DEF_HEADING = re.compile(
    r"#{2,6}[ \t]+(?:[^\w\n]*[ \t]*)?Achievement[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)"
    r"[ \t]*(?:[:\-–—][ \t]*(.*))?$",
)
_INDEX_ENTRY = re.compile(
    r"[ \t]*(?:[-*+]|\d+\.)[ \t]+(?:\[[ xX]\][ \t]+)?(?:[^\w\n*\[]*[ \t]*)?\**"
    r"Achievement[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)\**[ \t]*(?:[:\-–—]\**[ \t]*(.*))?$",
)
# "\n"-led, not ^-anchored: sre tries a literal-led pattern only where the literal is.
_FIELD = re.compile(
    r"\n[ \t]*(?:[-*+][ \t]+)?\**[ \t]*(Effort|Estimated Effort|Estimated Time|Time|Success"
    r"|Success Criteria|Deliverables?|What|Goal|Purpose|Files|Tests|Status|Dependencies"
    r"|Depends On|Blocks|Priority)[ \t]*(?::\**|\**[ \t]*:)[ \t]*(.*)$",
    re.M | re.I,
)
_HINT_WORDS = re.compile(r"(?:depends on|prerequisites?|after|requires|needs|builds on)\b", re.I)
_ACH_REF = re.compile(r"Achievements?[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)")
# "**Archive Location**: path" anywhere (header or an "Archive Location" section).
# Led by the literal "**" (sre scans for it in C); what leads it on its line is checked after.
_ARCHIVE_KEY = re.compile(r"\*\*Archive Location\*\*[ \t]*:?\**[ \t]*(.*)$", re.M | re.I)
_PLAN_TITLE = re.compile(r"#[ \t]*(?:[^\w\s]+[ \t]*)?PLAN[ \t]*[:\-–—]", re.I)
_PROGRESS = re.compile(r"\*\*Progress\*\*[ \t]*:[ \t]*\**[ \t]*(\d+)[ \t]*/[ \t]*(\d+)")
# Without the optional "⏳ **" lead: a pattern that starts optionally is tried everywhere.
_NEXT_PTR = re.compile(
    r"Next\**[ \t]*(?:\**[ \t]*:\**)[^\n]*?Achievement[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)",
    re.I,
)
_NEXT_ARROW = re.compile(
    r"Achievement[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)[^\n]*←[ \t]*\**NEXT", re.I
)
_EFFORT_TAIL = re.compile(
    r"(?:⏱️?|⏱)[ \t]*(.*)$|\(\s*~?\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?)?\s*"
    r"(?:h|hrs?|hours?|m|mins?|minutes?|d|days?)\s*\)\s*$",
    re.I,
)
_DONE_WORDS = re.compile(r"\b(?:COMPLETE|COMPLETED|DONE)\b", re.I)


_CHECKBOX_OR_NUMBER = re.compile(r"[ \t]*(?:[-*+][ \t]+\[[ xX]\]|\d)")
_CHECKED_BOX = re.compile(r"[ \t]*[-*+][ \t]+\[[xX]\]")
_ARROW_TAIL = re.compile(r"←.*$")
_BRACKET_NOTE = re.compile(r"\[(?:REVISED|UPDATED|NEW|ADDED|DONE|COMPLETE)[^\]]*\]", re.I)
_PAREN_NOTE = re.compile(r"\((?:NEW|Optional|added|revised)\b[^)]*\)", re.I)
_DONE_TAIL = re.compile(r"[\s*✅-]*\b(?:COMPLETE|COMPLETED|DONE)\b[\s*!]*$")
_PUNCT_TAIL = re.compile(r"[\s:–—-]+$")
_SPACES = re.compile(r"\s{2,}")


def clean_title(raw: str) -> tuple[str, bool, str]:
    """Strip decorations from an achievement title; return (title, marked done, effort)."""
    t = raw.strip()
    done = "✅" in t
    effort = ""
    if "←" in t:
        t = _ARROW_TAIL.sub("", t)
    m = _EFFORT_TAIL.search(t)
    if m:
        effort = (m.group(1) or m.group(0)).strip(" ()")
        t = t[: m.start()]
    if "[" in t:
        t = _BRACKET_NOTE.sub("", t)
    if "(" in t:
        t = _PAREN_NOTE.sub("", t)
    if _DONE_WORDS.search(t):
        # Only as a decoration at the end ("… ✅ COMPLETE", "✅ **COMPLETE**").
        m2 = _DONE_TAIL.search(t)
        if m2:
            done = True
            t = t[: m2.start()]
    t = strip_emoji(t).replace("✅", "")
    t = t.replace("**", "").strip().strip("*").strip()
    t = _PUNCT_TAIL.sub("", t).strip()
    t = _SPACES.sub(" ", t)
    return t, done, effort


def parse_plan(
    rel,
    text: str,
    fences: Fences,
    lines: Lines,
    header,
    title_line: str,
    problems: list[Problem],
    heads=None,
) -> PlanInfo:
    if heads is None:
        heads = headings(text, fences)
    secs = sections(text, fences, heads=heads)
    index_ranges = [(s.body, s.end) for s in secs if "achievement index" in s.key]
    desirable = [
        (s.body, s.end)
        for s in secs
        if s.level <= 3
        and "achievement" in s.key
        and "index" not in s.key
        and not any(
            w in s.key
            for w in ("tracking", "handoff", "status", "log", "addition", "summary", "related")
        )
    ]

    def in_ranges(off: int, ranges) -> bool:
        return any(a <= off < b for a, b in ranges)

    # Definitions: first occurrence of a number outside the index.
    candidates: list[tuple[int, str, str, str]] = []  # (offset, id, raw title, shape)
    for m in scan_lines(text, "**Achievement", _DEF_BOLD, fences):
        if not in_ranges(m.start(), index_ranges):
            candidates.append((m.start(), _norm_id(m.group(1)), m.group(2) or "", "bold"))
    for _level, title, ls, le in heads:
        if "chievement" in title:
            m = _DEF_HEADING.match(text, ls, le)
            if m and not in_ranges(ls, index_ranges):
                candidates.append((ls, _norm_id(m.group(1)), m.group(2) or "", "heading"))
    for a, b in desirable:
        for m in scan_lines(text, "Achievement", _INDEX_ENTRY, fences, a, b):
            if in_ranges(m.start(), index_ranges):
                continue
            if _CHECKBOX_OR_NUMBER.match(m.group(0)):
                continue  # checkbox lines and numbered-list mentions are not definitions
            candidates.append((m.start(), _norm_id(m.group(1)), m.group(2) or "", "bullet"))
    candidates.sort()
    head_starts = [h[2] for h in heads]
    defs: dict[str, AchievementEntry] = {}
    starts = [c[0] for c in candidates]
    # The first occurrence is the definition, but one inside a Desirable Achievements section
    # beats an earlier mention in a tracking section placed above it.
    chosen: dict[str, int] = {}
    for i, (off, aid, _raw, _shape) in enumerate(candidates):
        if aid not in chosen or (
            not in_ranges(candidates[chosen[aid]][0], desirable) and in_ranges(off, desirable)
        ):
            chosen[aid] = i
    for i, (off, aid, raw, _shape) in enumerate(candidates):
        if aid in defs or chosen[aid] != i:
            continue
        end = len(text)
        for s in starts[i + 1 :]:
            if s > off:
                end = s
                break
        eol = text.find("\n", off)
        eol = len(text) if eol == -1 else eol
        k = bisect_right(head_starts, eol)
        if k < len(head_starts) and head_starts[k] < end:
            end = head_starts[k]
        defs[aid] = _definition(aid, raw, off, eol, end, text, fences, lines)
    # Index entries.
    index: dict[str, AchievementEntry] = {}
    for a, b in index_ranges:
        for rx in (_INDEX_ENTRY, _DEF_BOLD):
            for m in scan_lines(text, "Achievement", rx, fences, a, b):
                aid = _norm_id(m.group(1))
                if aid in index:
                    continue
                title, done, effort = clean_title(m.group(2) or "")
                if _CHECKED_BOX.match(m.group(0)) or "✅" in text[m.start() : m.start(1)]:
                    done = True  # "- [x] Achievement 1.1", "- ✅ Achievement 1.1"
                line = lines.number(m.start())
                index[aid] = AchievementEntry(
                    aid,
                    title,
                    line,
                    "index",
                    done,
                    effort_text=effort,
                    index_line=line,
                    index_done=done,
                    done_line=line if done else None,
                )
    entries: list[AchievementEntry] = []
    for aid, d in defs.items():
        idx = index.get(aid)
        if idx is not None:
            if idx.title and d.title and _loose(idx.title) != _loose(d.title):
                problems.append(
                    Problem(
                        rel,
                        idx.line,
                        WARNING,
                        f"Achievement {aid}: index title {idx.title!r} differs "
                        f"from the definition {d.title!r}",
                    )
                )
            d = AchievementEntry(
                d.id,
                d.title or idx.title,
                d.line,
                "both",
                d.marked_done or idx.marked_done,
                d.fields,
                d.dependencies,
                d.blocks,
                d.hints,
                d.effort_text or idx.effort_text,
                d.deps_line,
                idx.line,
                idx.marked_done,
                d.done_line or idx.done_line,
            )
        entries.append(d)
    for aid, idx in index.items():
        if aid not in defs:
            if defs:
                problems.append(
                    Problem(
                        rel,
                        idx.line,
                        WARNING,
                        f"Achievement {aid} is in the index but never defined",
                    )
                )
            entries.append(idx)
    if index:
        for aid, d in defs.items():
            if aid not in index:
                problems.append(
                    Problem(
                        rel,
                        d.line,
                        WARNING,
                        f"Achievement {aid} is defined but missing from the index",
                    )
                )
    # Handoff: the last "Current Status & Handoff" section.
    handoff_next = None
    handoff_line = None
    handoffs = [s for s in secs if s.level == 2 and "handoff" in s.key]
    if handoffs:
        s = handoffs[-1]
        end = next((t.start for t in secs if t.start > s.start and t.level <= 2), len(text))
        m = next(iter_outside(_NEXT_PTR, text, fences, s.body, end), None)
        if m is None:
            m = _arrow_next(text, fences, s.body, end)
        if m:
            handoff_next = _norm_id(m.group(1))
            handoff_line = lines.number(m.start())
    if handoff_next is None:
        m = _arrow_next(text, fences)
        if m:
            handoff_next = _norm_id(m.group(1))
            handoff_line = lines.number(m.start())
    counter = None
    m = next(iter_outside(_PROGRESS, text, fences), None)
    if m:
        counter = (int(m.group(1)), int(m.group(2)), lines.number(m.start()))
    archive_location = _archive_location(
        _get(header, "archive location"), text, fences, [x for x in secs if x.level == 2]
    )
    parent = None
    for key in ("parent grammaplan", "parent", "grammaplan", "parent plan"):
        v = _get(header, key)
        m = re.search(r"GRAMMAPLAN_([A-Z0-9][A-Z0-9-]*)", unescape_name(v))
        if m:
            parent = m.group(1)
            break
    ordered = sorted(entries, key=lambda e: _id_key(e.id))
    # "# PLAN: …" (or "# 📋 PLAN - …"); "# PLAN SUMMARY: …" is a summary, not a plan.
    is_plan_title = bool(_PLAN_TITLE.match(title_line))
    tracking: list[tuple[str, bool, int]] = []
    for sec in secs:
        if "subplan tracking" in sec.key:
            tracking.extend(_tracking_claims(text, fences, lines, sec.body, sec.end))
    return PlanInfo(
        tuple(ordered),
        tuple(sorted(index, key=_id_key)),
        handoff_next,
        handoff_line,
        counter,
        archive_location,
        parent,
        is_plan_title,
        tuple(tracking),
    )


def _arrow_next(text: str, fences: Fences, start: int = 0, end: int | None = None):
    """The first "Achievement X.Y … ← NEXT" outside fences in ``text[start:end]``. Only the
    lines with an arrow are tried: the pattern itself would be tried at every character."""
    stop = len(text) if end is None else end
    pos = text.find("←", start, stop)
    while pos != -1:
        ls = max(start, text.rfind("\n", 0, pos) + 1)
        le = text.find("\n", pos, stop)
        le = stop if le == -1 else le
        m = next(iter_outside(_NEXT_ARROW, text, fences, ls, le), None)
        if m is not None:
            return m
        pos = text.find("←", le, stop)
    return None


_TRACKED = re.compile(
    r"^[^\n]*?(?:Achievement[ \t]+(\d{1,3}\.\d{1,3})(?!\.?\d|/)"
    r"|SUBPLAN\\?_[A-Z0-9][A-Z0-9-]*\\?_(\d{1,4})(?!\d))[^\n]*$",
    re.M,
)
_STATUS_PART = re.compile(r"\bstatus\**[ \t]*:\**[ \t]*(.*)$", re.I)


def _tracking_claims(text, fences, lines, start, end) -> list[tuple[str, bool, int]]:
    """What "Subplan Tracking" lines claim: the achievement (its id, or the SUBPLAN code
    when the line names no id) and whether the line says it is complete (✅, or its Status
    part)."""
    out = []
    for m in iter_outside(_TRACKED, text, fences, start, end):
        line = m.group(0)
        ref = _norm_id(m.group(1)) if m.group(1) else m.group(2)
        status = _STATUS_PART.search(line)
        done = "✅" in line or (
            status is not None and normalise_status(status.group(1)) == "complete"
        )
        out.append((ref, done, lines.number(m.start())))
    return out


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _loose(t: str) -> str:
    return _NOT_ALNUM.sub("", t.casefold())


def _norm_id(aid: str) -> str:
    a, b = aid.split(".")
    return f"{int(a)}.{int(b)}"


def _id_key(aid: str) -> tuple[int, int]:
    a, b = aid.split(".")
    return int(a), int(b)


def _hints(text: str, start: int, end: int) -> list[str]:
    """Prose dependencies ("After Achievement 1.2"): shown as hints, never as edges."""
    out = []
    for m in _ACH_REF.finditer(text, start, end):
        ls = max(start, text.rfind("\n", 0, m.start()) + 1, m.start() - 90)
        if _HINT_WORDS.search(text, ls, m.start()):
            out.append(_norm_id(m.group(1)))
    return out


def _definition(
    aid: str, raw: str, off: int, eol: int, end: int, text: str, fences: Fences, lines: Lines
) -> AchievementEntry:
    title, done, effort = clean_title(raw)
    fields: list[tuple[str, str]] = []
    deps: tuple[str, ...] | None = None
    deps_line = None
    blocks: list[str] = []
    for m in iter_outside(_FIELD, text, fences, eol, end):
        key = m.group(1).title()
        value = m.group(2).strip().strip("*").strip()
        if key in ("Dependencies", "Depends On"):
            # Its own id in prose ("1.1 (which 1.2 extends)") is not an edge.
            found = tuple(dict.fromkeys(i for i in ids_in(value) if i != aid))
            if deps is None:
                deps_line = lines.number(m.start() + 1)
            deps = found if deps is None else tuple(dict.fromkeys(deps + found))
        elif key == "Blocks":
            blocks.extend(i for i in ids_in(value) if i != aid)
        if key in ("Effort", "Estimated Effort", "Estimated Time", "Time") and not effort:
            effort = value
        if key == "Status" and "✅" in value:
            done = True
        fields.append((key, value[:300]))
    hints = tuple(dict.fromkeys(h for h in _hints(text, eol, end) if h != aid))
    if deps is not None:
        hints = tuple(h for h in hints if h not in deps)
    return AchievementEntry(
        aid,
        title,
        lines.number(off),
        "definition",
        done,
        tuple(fields),
        deps,
        tuple(dict.fromkeys(blocks)),
        hints,
        effort,
        deps_line=deps_line,
        done_line=lines.number(off) if done else None,
    )


# ---------------------------------------------------------------------------------------
# SUBPLAN, GRAMMAPLAN

_EXEC_NAME = re.compile(r"EXECUTION_TASK_[A-Z0-9-]+_(\d+)_(\d{2})")


def _planned_executions(text: str, fences: Fences, heads=None) -> int | None:
    secs = sections(text, fences, only="xecution", heads=heads)
    for s in secs:
        if (
            "active execution" in s.key
            or "planned execution" in s.key
            or ("execution" in s.key and "task" in s.key and "result" not in s.key)
        ):
            body = fences.outside(text, s.body, s.end)
            if "\\_" in body or "*TASK*" in body:
                body = unescape_name(body)
            mms = {m.group(2) for m in _EXEC_NAME.finditer(body)}
            if mms:
                return len(mms)
            rows = [ln for ln in body.splitlines() if ln.strip().startswith("|")]
            data = [r for r in rows[2:] if r.strip("|-: \t")]
            if data:
                return len(data)
            boxes = re.findall(r"^[ \t]*[-*+][ \t]+\[[ xX]\]", body, re.M)
            if boxes:
                return len(boxes)
    return None


_PLAN_REF = re.compile(r"PLAN_([A-Z0-9][A-Z0-9-]*)")


_TABLE_ROW = re.compile(r"^[ \t]*\|.*$", re.M)
_DEP_HEADER = re.compile(r"depend|blocked by|prerequisite|requires|\bafter\b", re.I)
_BLOCKS_HEADER = re.compile(r"\bblocks\b|unblocks", re.I)


def _plan_refs(cell: str) -> list[str]:
    out = []
    for p in _PLAN_REF.finditer(cell):
        start = p.start()
        if cell[max(0, start - 6) : start].endswith(("GRAMMA", "AMMA")):
            continue  # GRAMMAPLAN_X, not PLAN_X
        out.append(p.group(1))
    return out


def _children(
    text: str, fences: Fences, lines=None
) -> tuple[
    tuple[str, ...],
    tuple[tuple[str, tuple[str, ...]], ...],
    tuple[tuple[str, int, str, float], ...],
]:
    """Child plans named in the tables of a GRAMMAPLAN (or NORTH_STAR), and the plans each
    depends on where a table has a dependency column ("Depends on", "Dependencies",
    "Blocked by") or a "Blocks" column (FORMAT §10). A dependency cell may name plans or
    number them by their row in the table ("Awaits PLAN 1", "PLAN 2, 3")."""
    found: list[str] = []
    deps: dict[str, list[str]] = {}
    progress: list[tuple[str, int, str, float]] = []
    table: list[tuple[str | None, list[str], str, list[str], str]] = []

    def close_table() -> None:
        # Row numbers are resolved once the whole table is known (PLAN 4 may come later).
        rows = [child for child, *_ in table if child is not None]
        for child, dep_refs, dep_text, blocks_refs, blocks_text in table:
            if child is None:
                continue
            waits = dep_refs or _numbered(dep_text, rows)
            deps.setdefault(child, []).extend(r for r in waits if r != child)
            for blocked in blocks_refs or _numbered(blocks_text, rows):
                if blocked != child:
                    deps.setdefault(blocked, []).append(child)
        table.clear()

    dep_col = blocks_col = progress_col = None
    last_end = -1
    for m in iter_outside(_TABLE_ROW, text, fences):
        if last_end >= 0 and text.count("\n", last_end, m.start()) > 1:
            close_table()  # a line between the rows: another table
        last_end = m.end()
        row = unescape_name(m.group(0))
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        refs_by_cell = [_plan_refs(c) for c in cells]
        if not any(refs_by_cell):
            if all(set(c) <= set("-: ") for c in cells):
                continue  # the |---|---| line
            # A header row: find its dependency columns (a new table resets them).
            close_table()
            dep_col = next((i for i, c in enumerate(cells) if _DEP_HEADER.search(c)), None)
            blocks_col = next((i for i, c in enumerate(cells) if _BLOCKS_HEADER.search(c)), None)
            progress_col = next(
                (i for i, c in enumerate(cells) if c.strip("* ").casefold() == "progress"), None
            )
            continue
        child = None
        for i, refs in enumerate(refs_by_cell):
            if refs and i not in (dep_col, blocks_col):
                child = refs[0]
                break
        for refs in refs_by_cell:
            found.extend(refs)
        if child is not None and _has(cells, progress_col):
            pct = _percent(cells[progress_col])
            if pct is not None:
                line = lines.number(m.start()) if lines is not None else 0
                progress.append((child, line, cells[progress_col], pct))
        dep = (refs_by_cell[dep_col], cells[dep_col]) if _has(cells, dep_col) else ([], "")
        blocks = (
            (refs_by_cell[blocks_col], cells[blocks_col]) if _has(cells, blocks_col) else ([], "")
        )
        table.append((child, *dep, *blocks))
    close_table()
    edges = tuple((child, tuple(dict.fromkeys(ds))) for child, ds in deps.items() if ds)
    return tuple(dict.fromkeys(found)), edges, tuple(progress)


_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_FRACTION = re.compile(r"\b(\d{1,4})\s*/\s*(\d{1,4})\b")


def _percent(cell: str) -> float | None:
    """A Progress cell as a percent: "87.5%", "6/7", "✅ 100%"; None if it says neither."""
    m = _PERCENT.search(cell)
    if m:
        return float(m.group(1))
    m = _FRACTION.search(cell)
    if m and int(m.group(2)):
        return 100.0 * int(m.group(1)) / int(m.group(2))
    return None


def _has(cells: list[str], i: int | None) -> bool:
    return i is not None and i < len(cells)


_NUMBERED = re.compile(r"\bPLANS?\s*#?\s*(\d+(?:\s*(?:,|&|and|-|–)\s*\d+)*)", re.I)


def _numbered(cell: str, rows: list[str]) -> list[str]:
    """Plans a cell names by their row number in the table: "PLAN 1", "Awaits PLAN 2, 3",
    "PLANs 1-3" (rows counted from 1)."""
    out: list[str] = []
    for m in _NUMBERED.finditer(cell):
        for part in re.split(r"\s*(?:,|&|and)\s*", m.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x.isdigit()]
            if not bounds:
                continue
            for n in range(max(bounds[0], 1), min(bounds[-1], len(rows)) + 1):
                out.append(rows[n - 1])
    return out


# ---------------------------------------------------------------------------------------
# parallel.json

PARALLEL_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["achievements"],
    "properties": {
        "plan_name": {"type": "string"},
        "parallelization_level": {
            "type": "string",
            "enum": ["level_1", "level_2", "level_3"],
        },
        "created_date": {"type": ["string", "null"]},
        "achievements": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["achievement_id", "dependencies"],
                "properties": {
                    "achievement_id": {"type": "string", "pattern": r"^\d+\.\d+$"},
                    "title": {"type": "string"},
                    "dependencies": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^\d+\.\d+$"},
                    },
                    "estimated_hours": {"type": ["number", "string", "null"]},
                    "status": {"type": ["string", "null"]},
                    "executor": {"type": ["string", "null"]},
                },
            },
        },
        "notes": {"type": ["string", "array", "null"]},
    },
}


_VALIDATOR = None


def _parallel_validator():
    """The schema's validator, built once (jsonschema is imported only when a parallel.json
    is actually read)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        _VALIDATOR = jsonschema.Draft202012Validator(PARALLEL_SCHEMA)
    return _VALIDATOR


_ID_TEXT = re.compile(r"[0-9]+\.[0-9]+")
_LEVELS = frozenset(("level_1", "level_2", "level_3"))


def _surely_valid(data) -> bool:
    """A fast check that is stricter than ``PARALLEL_SCHEMA``: when it says True, the schema
    finds no error (a property test holds the two together); otherwise jsonschema decides
    and words the messages."""
    if type(data) is not dict or type(data.get("achievements")) is not list:
        return False
    for key, allowed in _TOP_TYPES.items():
        if key in data and type(data[key]) not in allowed:
            return False
    if "parallelization_level" in data and data["parallelization_level"] not in _LEVELS:
        return False
    for item in data["achievements"]:
        if type(item) is not dict:
            return False
        aid = item.get("achievement_id")
        deps = item.get("dependencies")
        if type(aid) is not str or not _ID_TEXT.fullmatch(aid) or type(deps) is not list:
            return False
        for dep in deps:
            if type(dep) is not str or not _ID_TEXT.fullmatch(dep):
                return False
        for key, allowed in _ITEM_TYPES.items():
            if key in item and type(item[key]) not in allowed:
                return False
    return True


_NONE = type(None)
_TOP_TYPES = {
    "plan_name": (str,),
    "parallelization_level": (str,),
    "created_date": (str, _NONE),
    "notes": (str, list, _NONE),
}
_ITEM_TYPES = {
    "title": (str,),
    "estimated_hours": (int, float, str, _NONE),
    "status": (str, _NONE),
    "executor": (str, _NONE),
}


def parse_parallel_json(rel: str, text: str, problems: list[Problem]) -> ParallelInfo | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(
                rel,
                exc.lineno,
                ERROR,
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            )
        )
        return None
    except (ValueError, RecursionError) as exc:
        problems.append(Problem(rel, None, ERROR, f"invalid JSON: {exc}"))
        return None
    try:
        if _surely_valid(data):
            errors = []  # what the schema would say, without its cost (~0.5 ms a file)
        else:
            errors = sorted(
                _parallel_validator().iter_errors(data), key=lambda e: list(e.absolute_path)
            )
        for err in errors[:20]:
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            problems.append(
                Problem(
                    rel,
                    _json_line(text, err.absolute_path),
                    ERROR,
                    f"schema: {where}: {err.message}",
                )
            )
    except RecursionError:
        problems.append(Problem(rel, None, ERROR, "JSON nested too deeply to validate"))
    if not isinstance(data, dict):
        return None
    level = data.get("parallelization_level")
    items = data.get("achievements")
    out = []
    seen: set[str] = set()
    if isinstance(items, list):
        for item in items:
            if not isinstance(item, dict):
                continue
            raw_id = str(item.get("achievement_id", "")).strip()
            ids = ids_in(raw_id)
            if not ids:
                continue
            aid = ids[0]
            if aid in seen:
                problems.append(
                    Problem(
                        rel, _find_line(text, raw_id), WARNING, f"achievement {aid} is listed twice"
                    )
                )
                continue
            seen.add(aid)
            deps_raw = item.get("dependencies") or []
            deps: list[str] = []
            if isinstance(deps_raw, list):
                for d in deps_raw:
                    deps.extend(ids_in(str(d)))
            elif isinstance(deps_raw, str):
                deps.extend(ids_in(deps_raw))
            status = item.get("status")
            out.append(
                (
                    aid,
                    tuple(dict.fromkeys(deps)),  # itself included: a cycle, reported
                    str(status) if status not in (None, "") else None,
                    _id_line(text, raw_id),
                )
            )
    return ParallelInfo(level if isinstance(level, str) else None, tuple(out))


def _id_line(text: str, raw_id: str) -> int | None:
    """The line of ``"achievement_id": "<raw_id>"``: an earlier mention of the same id in
    another entry's dependencies (or a priority group) is not its line."""
    m = re.search(r'"achievement_id"\s*:\s*"?' + re.escape(raw_id) + r"(?![\w.])", text)
    return text.count("\n", 0, m.start()) + 1 if m else _find_line(text, raw_id)


def _find_line(text: str, needle: str) -> int | None:
    if not needle:
        return None
    i = text.find(f'"{needle}"')
    return None if i == -1 else text.count("\n", 0, i) + 1


def _json_line(text: str, path) -> int | None:
    """Best effort: the line of the last string key or id named in a JSON error path."""
    keys = [p for p in path if isinstance(p, str)]
    return _find_line(text, keys[-1]) if keys else None
