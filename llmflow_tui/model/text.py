"""Tolerant text helpers: decoding, fence-aware scanning, status words, dates and efforts.

Structure comes from regular expressions run over a whole document (in C) and filtered by
fenced-code ranges, not from a Python loop over every line: that keeps a cold load close to
the cost of reading the files.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from .types import Effort

MAX_BYTES = 4 * 1024 * 1024  # larger documents are read up to this size, with a warning

_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"
    "\u2190-\u21ff"
    "\u2300-\u23ff"
    "\u2460-\u24ff"
    "\u25a0-\u27bf"
    "\u2900-\u297f"
    "\u2b00-\u2bff"
    "\u3030\u303d\u3297\u3299"
    "\ufe0e\ufe0f\u200d\u20e3"
    "]+"
)


def decode(data: bytes) -> str:
    """Bytes to text: drop a BOM, replace invalid UTF-8, normalise line ends to ``\\n``."""
    return decode_checked(data)[0]


def decode_checked(data: bytes) -> tuple[str, bool]:
    """``decode``, and whether invalid UTF-8 had to be replaced. (The byte checks are
    cheaper than searching the decoded text, which is four bytes a character once an emoji
    is in it.)"""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text, replaced = data.decode("utf-8"), False
    except UnicodeDecodeError:
        text, replaced = data.decode("utf-8", "replace"), True
    if b"\r" in data:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, replaced


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_head(path: str, size: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of a file (one more than the limit tells "too big").

    ``size`` is the size seen by stat: asking for exactly that much matters, because a
    buffered ``read(limit)`` allocates ``limit`` bytes first, which costs more than reading a
    small file. Non-blocking, so a FIFO named like a document cannot hang the loader."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        want = min(max(size, 0), limit) + 1
        chunks = []
        got = 0
        while want > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            want = min(limit + 1 - got, 1 << 20)  # the file grew since stat: keep going
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def strip_emoji(text: str) -> str:
    return _EMOJI.sub("", text)


@lru_cache(maxsize=8192)
def words(text: str) -> str:
    """Emoji, markup and punctuation removed, case-folded, spaces collapsed."""
    text = strip_emoji(text).replace("*", " ").replace("_", " ").replace("`", " ")
    text = re.sub(r"[^\w&/+.-]+", " ", text)
    return " ".join(text.casefold().split())


_MANGLED = re.compile(r"\b(EXECUTION|GRAMMA|NORTH)\*(TASK|PLAN|STAR)\*")


def unescape_name(text: str) -> str:
    """Undo formatter mangling of names: ``EXECUTION*TASK*X\\_28_01.md``."""
    text = text.replace("\\_", "_")
    if "*" not in text:
        return text
    return _MANGLED.sub(r"\1_\2_", text)


# ---------------------------------------------------------------------------------------
# Lines and fences


class Lines:
    """Turns a match offset into a line number by counting newlines incrementally (callers
    mostly ask in increasing order, so a document is counted about once)."""

    __slots__ = ("text", "_off", "_line")

    def __init__(self, text: str) -> None:
        self.text = text
        self._off = 0
        self._line = 1

    def number(self, offset: int) -> int:
        if offset < self._off:
            self._off, self._line = 0, 1
        self._line += self.text.count("\n", self._off, offset)
        self._off = offset
        return self._line


@dataclass(frozen=True)
class Fences:
    """Character ranges ``[start, end)`` of fenced code blocks, and whether one is unclosed."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    unclosed_at: int | None

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a fenced block starts or ends within ``[start, end)``, or spans it."""
        if not self.starts:
            return False
        i = bisect_right(self.ends, start)  # the first fence that ends after ``start``
        return i < len(self.starts) and self.starts[i] < end

    def inside(self, offset: int) -> bool:
        i = bisect_right(self.starts, offset) - 1
        return i >= 0 and offset < self.ends[i]

    def outside(self, text: str, start: int, end: int) -> str:
        """``text[start:end]`` without the fenced blocks in it (templates are not content)."""
        if not self.starts:
            return text[start:end]
        out: list[str] = []
        pos = start
        i = bisect_right(self.ends, start)  # the first fence that ends after ``start``
        while i < len(self.starts) and self.starts[i] < end:
            if self.starts[i] > pos:
                out.append(text[pos : self.starts[i]])
            pos = max(pos, self.ends[i])
            i += 1
        if pos < end:
            out.append(text[pos:end])
        return "\n".join(out)


def find_fences(text: str) -> Fences:
    """Fenced code blocks (``` or ~~~, up to three spaces of indent), CommonMark-style."""
    return _scan_fences(text)


# "```" and "~~~" found by literal searches (sre's fast literal scan: several times quicker
# than trying a pattern at every line start), then checked at their line's start; the match
# itself holds the rest of the marker and the info string.
_BACKTICKS = re.compile("```(`*)([^\n]*)")
_TILDES = re.compile("~~~(~*)([^\n]*)")


def _fence_lines(text: str) -> list[tuple[int, str, str, int]]:
    """(line start, marker, info, line end) of every line that opens with ``` or ~~~ after
    at most three blanks, in order."""
    out: list[tuple[int, str, str, int]] = []
    kinds = 0
    for rx, three in ((_BACKTICKS, "```"), (_TILDES, "~~~")):
        m = rx.search(text)
        if m is None:
            continue
        kinds += 1
        while m is not None:
            p = m.start()
            if p and text[p - 1] != "\n":
                ls = text.rfind("\n", 0, p) + 1
                if p - ls > 3 or text[ls:p].strip(" \t"):  # not at its line's start
                    le = text.find("\n", p)
                    m = None if le == -1 else rx.search(text, le)
                    continue
            else:
                ls = p
            run, info = m.groups()
            out.append((ls, three + run, info, m.end()))
            m = rx.search(text, m.end())
    if kinds == 2:
        out.sort()
    return out


def _scan_fences(text: str) -> Fences:
    """Pair the fence lines of ``text`` (CommonMark-style: a closing fence uses the opening
    character, at least as many of it, and no info string; an unclosed one runs to the end)."""
    starts: list[int] = []
    ends: list[int] = []
    open_char = ""
    open_len = 0
    open_start = 0
    for ls, marker, info, le in _fence_lines(text):
        if not open_char:
            if marker[0] == "`" and "`" in info:
                continue  # an inline code span, not a fence
            open_char, open_len, open_start = marker[0], len(marker), ls
        elif marker[0] == open_char and len(marker) >= open_len and not info.strip():
            starts.append(open_start)
            ends.append(le)
            open_char = ""
    if open_char:
        starts.append(open_start)
        ends.append(len(text) + 1)
        return Fences(tuple(starts), tuple(ends), open_start)
    return Fences(tuple(starts), tuple(ends), None)


def scan_lines(
    text: str,
    literal: str,
    rx: re.Pattern[str],
    fences: Fences,
    start: int = 0,
    end: int | None = None,
) -> list[re.Match[str]]:
    """Match ``rx`` (anchored at a line start) on each line outside fences that contains
    ``literal``. Finding the literal is done in C, so this costs little more than a read."""
    stop = len(text) if end is None else end
    out = []
    check = fences.overlaps(start, stop)
    find, rfind, match = text.find, text.rfind, rx.match
    n = len(text)
    pos = find(literal, start, stop)
    while pos != -1:
        ls = rfind("\n", 0, pos) + 1
        le = find("\n", pos)
        if le == -1:
            le = n
        if ls >= start and not (check and fences.inside(ls)):
            m = match(text, ls, le)
            if m:
                out.append(m)
        pos = find(literal, le, stop)
    return out


def fences_and_headings(text: str) -> tuple[Fences, list[tuple[int, str, int, int]]]:
    """``find_fences`` and ``headings``: what documents with sections need."""
    fences = _scan_fences(text)
    return fences, headings(text, fences)


def iter_outside(pattern: re.Pattern[str], text: str, fences: Fences, pos: int = 0, end=None):
    """``pattern.finditer`` over ``text`` skipping matches that start inside a fence."""
    it = pattern.finditer(text, pos) if end is None else pattern.finditer(text, pos, end)
    if not fences.overlaps(pos, len(text) if end is None else end):
        return it  # the usual case: no fence in the range, nothing to filter
    inside = fences.inside
    return (m for m in it if not inside(m.start()))


# ---------------------------------------------------------------------------------------
# Sections and header blocks

# "\n#" first: sre scans for a literal prefix in C, far faster than trying every line start.
_HEADING = re.compile(r"\n#(#{0,5})[ \t]+([^\n]*)")
_HEADING_AT = re.compile(r"#(#{0,5})[ \t]+([^\n]*)")


def headings(text: str, fences: Fences, start: int = 0, end: int | None = None):
    """(level, title, line start, line end) of every ATX heading outside fences."""
    out = []
    stop = len(text) if end is None else end
    starts, ends = fences.starts, fences.ends
    if start == 0:
        m = _HEADING_AT.match(text, 0, stop)
        if m is not None and not (starts and fences.inside(0)):
            out.append((len(m.group(1)) + 1, m.group(2).rstrip(" \t#").strip(), 0, m.end()))
        it = _HEADING.finditer(text, 0, stop)
    else:
        it = _HEADING.finditer(text, start - 1, stop)
    if not starts:
        for m in it:
            hashes, title = m.groups()
            out.append((len(hashes) + 1, title.rstrip(" \t#").strip(), m.start() + 1, m.end()))
        return out
    # Headings and fences both come in order: walk the two lists together.
    i, last = 0, len(starts) - 1
    fs, fe = starts[0], ends[0]
    for m in it:
        ls = m.start() + 1  # offset of the "#" in ``text``
        while ls >= fe and i < last:
            i += 1
            fs, fe = starts[i], ends[i]
        if fs <= ls < fe or ls < start:
            continue
        hashes, title = m.groups()
        out.append((len(hashes) + 1, title.rstrip(" \t#").strip(), ls, m.end()))
    return out


@dataclass(frozen=True)
class Section:
    level: int
    title: str  # raw
    key: str  # words(title)
    start: int  # offset of the heading line
    body: int  # offset after the heading line
    end: int  # offset where the section ends (next heading of the same or higher level)


def sections(text: str, fences: Fences, only: str | None = None, heads=None) -> list[Section]:
    """Every heading with the extent of its section; ``only``: keep just the sections whose
    raw title contains that text (cheaper: titles of the rest are not normalised)."""
    if heads is None:
        heads = headings(text, fences)
    n = len(heads)
    ends = [len(text)] * n
    stack: list[int] = []
    for i, (level, _t, start, _e) in enumerate(heads):
        while stack and heads[stack[-1]][0] >= level:
            ends[stack.pop()] = start
        stack.append(i)
    out: list[Section] = []
    for i, (level, title, start, le) in enumerate(heads):
        if only is not None and only not in title.casefold():
            continue
        out.append(Section(level, title, words(title), start, min(le + 1, len(text)), ends[i]))
    return out


_HEADER_END = re.compile(r"^(?:---+[ \t]*|##[ \t].*)$", re.M)
_HEADER_END_NL = re.compile(r"\n(?:---+[ \t]*$|##[ \t])", re.M)
_KEY_VALUE_AT = re.compile(r"\*\*([^*\n]{1,60}?)(?::\*\*|\*\*[ \t]*:)[ \t]*(.*?)[ \t]*$", re.M)
_KEY_LEAD = re.compile(r"[ \t>]*(?:[-*+][ \t]+)?")


def header_block(text: str) -> tuple[tuple[tuple[str, str, int], ...], int]:
    """``**Key**: value`` lines after the title until the first ``---`` or ``## ``.

    Returns ((key words, value, offset), ...) and the offset where the block ends."""
    nl = text.find("\n")
    if nl == -1:
        start = 0
        m = _HEADER_END.match(text)
        end = 0 if m else min(len(text), 4000)
    else:
        start = nl + 1
        m = _HEADER_END_NL.search(text, nl)  # led by "\n": no attempt at every character
        end = m.start() + 1 if m else min(len(text), start + 4000)
    out = []
    # Led by the literal "**" (sre finds it in C); the line's lead before it is checked after.
    m = _KEY_VALUE_AT.search(text, start, end)
    while m is not None:
        p = m.start()
        ls = text.rfind("\n", 0, p) + 1
        if p == ls or _KEY_LEAD.fullmatch(text, ls, p):
            out.append((words(m.group(1)), m.group(2).strip(), ls))
            m = _KEY_VALUE_AT.search(text, m.end(), end)
        else:  # not a key line: no later "**" on it can be one either
            le = text.find("\n", p, end)
            m = None if le == -1 else _KEY_VALUE_AT.search(text, le, end)
    return tuple(out), end


def first_line(text: str) -> str:
    nl = text.find("\n")
    return (text if nl == -1 else text[:nl]).strip()


# ---------------------------------------------------------------------------------------
# Status words

_STATUS_LINE = re.compile(r"\*\*(?:Final )?Status(?::\*\*|\*\*[ \t]*:)[ \t]*([^\n]*)")
_LINE_LEAD = re.compile(r"[ \t>]*(?:[-*+][ \t]+)?")


_STATUS_WORDS = (
    (
        "complete",
        (
            "complete",
            "completed",
            "done",
            "finished",
            "approved",
            "merged",
            "shipped",
            # "**Final Status**: Success" closes real tasks (the only status line at the end)
            "success",
            "successful",
            "succeeded",
        ),
    ),
    (
        "in_progress",
        (
            "in progress",
            "in-progress",
            "executing",
            "active",
            "ongoing",
            "started",
            "wip",
            "running",
            "working",
            "underway",
        ),
    ),
    ("blocked", ("blocked",)),
    ("paused", ("paused", "on hold", "waiting", "deferred", "stopped")),
    (
        "abandoned",
        ("abandoned", "cancelled", "canceled", "failed", "superseded", "obsolete", "skipped"),
    ),
    (
        "planned",
        (
            "planning",
            "planned",
            "ready",
            "not started",
            "pending",
            "todo",
            "to do",
            "draft",
            "proposed",
            "new",
            "open",
        ),
    ),
)
_STATUS_RE = [
    (norm, re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in ws) + r")(?![\w-])"))
    for norm, ws in _STATUS_WORDS
]
_NOT_DONE = re.compile(
    r"\b(?:not|in|partially|partly|almost|nearly)[ -]?(?:yet )?complete|\bincomplete\b"
    r"|\b(?:not|partial|partially|partly)[ -]?(?:yet )?success"
)
_REVIEW = re.compile(r"\b(?:ready for|awaiting|pending|in|under|submitted for|needs) review\b")
_READY_TRAP = re.compile(r"\b(?:design|planning|plan|subplan|spec)(?: phase)? complete")
# The completion word opening the status ("✅ Complete - Ready for Achievement 1.1",
# "COMPLETE - all tests pass", "Complete (3/3 phases)"): the whole task is claimed done, and
# what follows is commentary, so the partial-completion traps below do not apply.
_OPENS_DONE = re.compile(r"(?:complete|completed|done|finished)\b")
# "Phase 1 COMPLETE", "Phase 2 of 3 complete", "Phases 1-2 complete": one phase of several.
_PHASE_DONE = re.compile(
    r"\b(?:phase|stage|step|part)s? "
    r"(\d+(?:(?: ?(?:-|to|and|&|through) ?| )\d+)*)"
    r"(?: ?(?:of|/) ?(\d+))?"
    r"(?: (?:is|are|has been|have been|was|were|now|successfully|fully))*"
    r" (?:complete|completed|done|finished)\b"
)
# "Analysis complete, ready to implement", "Setup complete - next: Phase 2": a step is done
# and the status names the work that comes next.
_STEP_THEN_NEXT = re.compile(
    r"\b([a-z][\w-]*) (?:is |has been |was |now )?(?:complete|completed|done|finished)\b"
    r"(?: [^ ]+){0,2}? "
    r"(?:ready to|ready for|next|now|moving on to|moving to|proceeding to|proceeding with"
    r"|starting|continuing with)\b((?: [^ ]+){0,3})"
)
# Qualifiers that name the whole task, not a step of it ("Task complete, next: 2.1").
_WHOLE = frozenset(
    "all fully totally entirely everything task execution achievement work subplan".split()
)
# What may come next without the task being unfinished: review, merging, archiving, another
# achievement ("ready for review", "next: Achievement 1.2", "ready to archive").
_DONE_NEXT = frozenset(
    """review reviewer approval approve feedback merge merging archive archiving archival
    close closure sign-off signoff handoff hand-off achievement deploy deployment release
    production use""".split()
)
_NEXT_FILLER = frozenset("the a an next to start begin proceed with move on".split())


def is_placeholder(value: str) -> bool:
    v = value.strip().strip("*").strip()
    if not v:
        return True
    if v.startswith("[") and v.endswith("]"):
        return True
    low = v.casefold()
    return low in {"tbd", "todo:", "...", "…", "-", "n/a", "?"} or "update as you" in low


def _phase_done(text: str) -> tuple[int, int | None] | None:
    m = _PHASE_DONE.search(text)
    if m is None:
        return None
    k = max(int(n) for n in re.findall(r"\d+", m.group(1)))
    return k, int(m.group(2)) if m.group(2) else None


def _step_then_more(text: str) -> bool:
    """ "<step> complete, ready to/next: <more work>" (as ``words``)."""
    for m in _STEP_THEN_NEXT.finditer(text):
        if m.group(1) in _WHOLE:
            continue
        for w in m.group(2).split():
            if w in _NEXT_FILLER or w == "-":
                continue
            if w not in _DONE_NEXT and not ACHIEVEMENT_ID.fullmatch(w):
                return True
            break
        else:
            return True  # "Analysis complete, ready to proceed": the next step is this task's
    return False


@lru_cache(maxsize=8192)
def normalise_status(value: str, phase: int | None = None) -> str | None:
    """A status phrase to one word: complete, in_progress, blocked, paused, abandoned,
    planned or unknown; None for a placeholder.

    Traps: "Design Phase Complete" is *ready* (planned). A part of the task complete is *in
    progress*: "Phase 1 COMPLETE", "Phase 2 of 3 complete" (the last phase, "Phase 3 of 3
    complete", is the whole; "Phase 3 complete" with no count is not, as nothing says it is
    the last), "Analysis complete, ready to implement", "Setup complete - next: Phase 2"
    (unless what comes next is review, merging, archiving or another achievement). A status
    that opens with the completion word ("✅ Complete - Ready for Achievement 1.1") claims
    the whole task. ``phase``: the task is itself that phase of its SUBPLAN (``**Phase**: 2
    of 3``), so "Phase 2 complete" is all of it."""
    if is_placeholder(value):
        return None
    text = words(value)
    if _READY_TRAP.search(text):
        return "planned"
    partial = not _OPENS_DONE.match(text)
    if partial and (done := _phase_done(text)) is not None:
        k, n = done
        if (n is None or k < n) and (phase is None or k < phase):
            return "in_progress"  # before review: "Phase 1 complete, ready for review" too
    if _REVIEW.search(text):
        return "complete"  # the executor is done; the reviewer is next
    if partial and _step_then_more(text):
        return "in_progress"
    if _NOT_DONE.search(text):
        return "in_progress"
    best: tuple[int, str] | None = None
    for norm, rx in _STATUS_RE:
        m = rx.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), norm)
    if best:
        return best[1]
    if "✅" in value:
        return "complete"
    if "⏸" in value:
        return "paused"
    return "unknown"


@dataclass(frozen=True)
class StatusLine:
    raw: str
    norm: str
    line: int


def last_status_line(text: str, fences: Fences, lines: Lines) -> StatusLine | None:
    """The last ``**Status**:`` or ``**Final Status**:`` line at a line start, outside
    fences, not a placeholder: found from the end, so a long document costs one backwards
    search for "Status". (Real tasks close with ``**Final Status**: In Progress`` below
    an earlier ``**Status**: Phase 1 COMPLETE``: the final one decides.)"""
    q = text.rfind("Status")  # one backwards search serves both spellings
    while q != -1:
        if q >= 2 and text.startswith("**", q - 2):
            pos = q - 2
        elif q >= 8 and text.startswith("**Final ", q - 8):
            pos = q - 8
        else:
            q = text.rfind("Status", 0, q)
            continue
        q = text.rfind("Status", 0, pos)
        m = _STATUS_LINE.match(text, pos)
        if m is None:
            continue
        ls = text.rfind("\n", 0, pos) + 1
        lead = _LINE_LEAD.match(text, ls, pos)
        if lead is None or lead.end() != pos or (fences.starts and fences.inside(ls)):
            continue
        raw = m.group(1).strip()
        norm = normalise_status(raw)
        if norm is not None:
            return StatusLine(raw, norm, text.count("\n", 0, pos) + 1)
    return None


# ---------------------------------------------------------------------------------------
# Dates and efforts

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_DATE_OR_YEAR = re.compile(r"20\d\d(-(?:0[1-9]|1[0-2])-[0-3]\d)?(?!\d)")  # literal-led
_MONTH_BEFORE = re.compile(
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(\d{1,2}),?$"
)


def latest_date(text: str) -> str | None:
    """The latest date written anywhere in the text, as YYYY-MM-DD (``2025-11-07`` or
    ``November 7, 2025``). One literal-led scan: every "20YY" is a candidate."""
    best = None
    for m in _DATE_OR_YEAR.finditer(text):
        s = m.start()
        if s and text[s - 1].isdigit():
            continue
        if m.group(1):
            d = m.group(0)
        else:  # a bare year: a date only after "Month D," as in "November 7, 2025"
            if not s or text[s - 1] != " ":
                continue
            before = _MONTH_BEFORE.search(text, max(0, s - 17), s - 1)
            if before is None:
                continue
            d = f"{m.group(0)}-{_MONTHS[before.group(1).casefold()]:02d}-{int(before.group(2)):02d}"
        if best is None or d > best:
            best = d
    return best


_EFFORT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:(?:-|–|—|to)\s*(\d+(?:\.\d+)?))?\s*"
    r"(hours?|hrs?|h|minutes?|mins?|m|days?|d)\b",
    re.I,
)


@lru_cache(maxsize=4096)
def parse_effort(text: str) -> Effort | None:
    if not text or not text.strip():
        return None
    m = _EFFORT.search(text)
    if not m:
        return Effort(None, None, None, text.strip())
    low = float(m.group(1))
    high = float(m.group(2)) if m.group(2) else low
    u = m.group(3).casefold()
    unit = "minutes" if u.startswith("m") else "days" if u.startswith("d") else "hours"
    return Effort(low, high, unit, text.strip())


ACHIEVEMENT_ID = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})(?!\.?\d|/)")


def ids_in(text: str) -> list[str]:
    """Achievement ids (``1.2``) in a text; three-level numbers and ``2.2/2.3`` excluded."""
    return [f"{int(a)}.{int(b)}" for a, b in ACHIEVEMENT_ID.findall(text)]


_HEADER_ID = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?(?!\.?\d)")
_HEADER_JOIN = re.compile(r"\s*(?:&|\+|,|/|\band\b)\s*(?:achievements?\s+)?", re.I)


def header_ids(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The achievements a SUBPLAN's or task's ``**Achievement**:`` header names: the first id
    and those joined to it ("4.1 & 4.2", "4.1 and 4.2", "4.1, 4.2", "4.1/4.2") — ids further
    on belong to the title. Returns (``X.Y`` ids, ``X.Y.Z`` sub-achievement ids)."""
    m = _HEADER_ID.search(value)
    if m is not None and m.group(3) is None:
        rest = value[m.end() : m.end() + 8].lstrip()
        if not rest or rest[0] not in "&+,/aA":  # the usual "1.2" or "1.2 - Title": one id
            return (f"{int(m.group(1))}.{int(m.group(2))}",), ()
    ids: list[str] = []
    subs: list[str] = []
    while m is not None:
        a, b, c = m.groups()
        if c is None:
            ids.append(f"{int(a)}.{int(b)}")
        else:
            subs.append(f"{int(a)}.{int(b)}.{int(c)}")
        join = _HEADER_JOIN.match(value, m.end())
        m = _HEADER_ID.match(value, join.end()) if join else None
    return tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(subs))


def id_key(achievement_id: str) -> tuple[int, int]:
    a, _, b = achievement_id.partition(".")
    try:
        return int(a), int(b)
    except ValueError:
        return (10**6, 10**6)


def code_of(achievement_id: str) -> str:
    return achievement_id.replace(".", "")
