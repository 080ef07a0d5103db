"""The file-name grammar (FORMAT.md §2–3): what a path is, without reading it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

FEATURE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")

# Folders never scanned: VCS, virtualenvs, dependencies, caches, our own state.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        ".env",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".cache",
        ".idea",
        ".vscode",
        ".llmflow",
        "site-packages",
        ".hypothesis",
    }
)

MARKER_NAMES = frozenset(
    {
        "completed",
        "complete",
        "end",
        "waiting",
        "pause",
        "paused",
        "stop",
        "done",
        "blocked",
        "active",
    }
)

PLAN = "plan"
GRAMMAPLAN = "grammaplan"
NORTH_STAR = "north_star"
SUBPLAN = "subplan"
EXECUTION = "execution"
APPROVED = "approved"
FIX = "fix"
RESOLUTION = "resolution"
SKIPPED = "skipped"
PARALLEL_JSON = "parallel_json"
MARKER = "marker"

_SUFFIX_WORD = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9-]+$")
_NUM = re.compile(r"^\d+$")
_FEEDBACK = re.compile(
    r"^(APPROVED|FIX|SKIPPED)_(?:([A-Z0-9][A-Z0-9-]*)_)?(\d+)(_RESOLUTION)?((?:_[A-Za-z][A-Za-z0-9]*)*)$"
)


@dataclass(frozen=True)
class FileRef:
    """What a file is by its name and place: kind, feature token, code, execution index."""

    rel: str
    kind: str
    feature: str | None  # the feature token in the name (None for feedback/markers)
    code: str | None  # achievement code ("31")
    mm: int | None  # execution index
    suffixes: tuple[str, ...]  # trailing words, upper-cased ("V2", "ARCHIVED")
    archived: bool  # by name or by an archive folder
    bad_name: str | None = None  # why the name does not parse cleanly

    @property
    def unusable(self) -> str | None:
        """Why this SUBPLAN, EXECUTION_TASK, GRAMMAPLAN or NORTH_STAR cannot be counted: its
        name breaks the grammar (a feature never holds "_"; a SUBPLAN or task names its
        achievement's code or its header does). Examples and templates are named like that. PLANs are decided
        by their title and folder instead."""
        bad = self.bad_name
        if bad is None or self.kind == PLAN or "_" not in (self.feature or ""):
            return None
        return bad

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    @property
    def parent(self) -> str:
        return self.rel.rsplit("/", 1)[0] if "/" in self.rel else ""


def _no_code(parts: list[str]) -> str:
    feature = "_".join(parts)
    if feature and not FEATURE_RE.match(feature):
        return f"odd feature token {feature!r}"
    return "no achievement code in the name"


def unusable_message(ref: FileRef) -> str:
    """The problem message for a file whose name cannot be counted (``FileRef.unusable``)."""
    shape = {
        SUBPLAN: "SUBPLAN_<FEATURE>_<code>.md",
        EXECUTION: "EXECUTION_TASK_<FEATURE>_<code>_<MM>.md",
    }.get(ref.kind, f"{ref.kind.upper()}_<FEATURE>.md")
    return f"not counted: the name does not follow {shape} ({ref.unusable}: a FEATURE has no '_')"


def _split_suffixes(parts: list[str]) -> tuple[list[str], tuple[str, ...]]:
    suffixes: list[str] = []
    while parts and not _NUM.match(parts[-1]) and _SUFFIX_WORD.match(parts[-1]):
        # A feature token can look like a suffix; only strip while numbers remain before it.
        if not any(_NUM.match(p) for p in parts[:-1]):
            break
        suffixes.insert(0, parts.pop().upper())
    return parts, tuple(suffixes)


def archived_by_path(rel: str) -> bool:
    folder, _, name = rel.rpartition("/")
    return _archive_folder(folder) or name.rsplit(".", 1)[0].upper().endswith("_ARCHIVED")


@lru_cache(maxsize=4096)
def _archive_folder(folder: str) -> bool:
    """Whether ``folder`` or a folder above it is an archive (many files share a folder)."""
    for p in folder.split("/") if folder else ():
        low = p.casefold()
        if (
            low in ("archive", "archives", "archived")
            or low.endswith("-archive")
            or low.endswith("_archive")
        ):
            return True
    return False


_PREFIXES = ("EXECUTION_TASK_", "SUBPLAN_", "APPROVED_", "FIX_", "SKIPPED_", "GRAMMAPLAN_")
_PREFIXES += ("NORTH_STAR_", "PLAN_")


_MONTHS = (
    "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC|JANUARY|FEBRUARY|MARCH|APRIL|JUNE"
    "|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER"
)
# Words an archive folder's name adds after the feature: "-archive", "-partial", a date.
_ARCHIVE_TAIL = re.compile(
    rf"[-_](?:ARCHIVED?|PARTIAL|(?:{_MONTHS})\d{{0,4}}|\d{{4}}(?:[-_]\d\d){{0,2}})$"
)


def archive_folder_feature(folder_name: str) -> str | None:
    """The feature an archive folder is named for, less the words archiving adds:
    ``graphrag-validation-nov2025``, ``old-archive``, ``llm-dev-partial-nov-2025``."""
    guess = folder_name.upper()
    while True:
        cut = _ARCHIVE_TAIL.sub("", guess)
        if cut == guess or not cut:
            break
        guess = cut
    return guess if FEATURE_RE.match(guess) else None


def might_be_methodology(name: str) -> bool:
    """A cheap test that every name ``classify`` accepts passes (most others do not)."""
    if name.endswith(".md"):
        return name.startswith(_PREFIXES)
    return name.endswith(".txt") or name == "parallel.json"


def with_feature(ref: FileRef, feature: str) -> str:
    """``ref``'s file name with ``feature`` in place of its feature token."""
    name = ref.name
    for prefix in _PREFIXES:
        if ref.feature and name.startswith(prefix + ref.feature):
            return name[: len(prefix)] + feature + name[len(prefix) + len(ref.feature) :]
    return name


# The names nearly every file has, matched whole in one go; anything else (suffixes, odd
# tokens, counters) takes the long way below, which gives the same answer for these.
_PLAIN = re.compile(
    r"(?:EXECUTION_TASK_([A-Z0-9][A-Z0-9-]*)_(\d+)_(\d+)|SUBPLAN_([A-Z0-9][A-Z0-9-]*)_(\d+))\.md"
)


def classify(rel: str) -> FileRef | None:
    """Classify a workspace-relative path by its name; None if it is not a methodology file."""
    name = rel.rsplit("/", 1)[-1]
    m = _PLAIN.fullmatch(name)
    if m is not None:
        feature, code, mm, sfeature, scode = m.groups()
        if feature is not None:
            return FileRef(rel, EXECUTION, feature, code, int(mm), (), archived_by_path(rel))
        return FileRef(rel, SUBPLAN, sfeature, scode, None, (), archived_by_path(rel))
    if name == "parallel.json":
        return FileRef(rel, PARALLEL_JSON, None, None, None, (), archived_by_path(rel))
    if name.endswith(".txt"):
        stem = name[:-4]
        if stem.casefold() in MARKER_NAMES or _NUM.match(stem):
            return FileRef(rel, MARKER, None, None, None, (), False)
        return None
    if not name.endswith(".md"):
        return None
    stem = name[:-3]
    archived = archived_by_path(rel)
    if stem.startswith("EXECUTION_TASK_"):
        parts, suffixes = _split_suffixes(stem[len("EXECUTION_TASK_") :].split("_"))
        if len(parts) >= 3 and _NUM.match(parts[-1]) and _NUM.match(parts[-2]):
            feature = "_".join(parts[:-2])
            bad = None if FEATURE_RE.match(feature) else f"odd feature token {feature!r}"
            return FileRef(
                rel, EXECUTION, feature, parts[-2], int(parts[-1]), suffixes, archived, bad
            )
        if len(parts) >= 2 and _NUM.match(parts[-1]):
            feature = "_".join(parts[:-1])
            bad = (
                "no execution index (_MM) in the name"
                if FEATURE_RE.match(feature)
                else f"odd feature token {feature!r}"
            )
            return FileRef(rel, EXECUTION, feature, parts[-1], 1, suffixes, archived, bad)
        return FileRef(
            rel, EXECUTION, "_".join(parts) or None, None, None, suffixes, archived, _no_code(parts)
        )
    if stem.startswith("SUBPLAN_"):
        parts, suffixes = _split_suffixes(stem[len("SUBPLAN_") :].split("_"))
        if len(parts) >= 2 and _NUM.match(parts[-1]):
            # SUBPLAN_F_31_02 (rare): the first number after the feature is the code.
            i = len(parts) - 1
            while i > 1 and _NUM.match(parts[i - 1]):
                i -= 1
            feature = "_".join(parts[:i])
            bad = None if FEATURE_RE.match(feature) else f"odd feature token {feature!r}"
            return FileRef(rel, SUBPLAN, feature, parts[i], None, suffixes, archived, bad)
        return FileRef(
            rel, SUBPLAN, "_".join(parts) or None, None, None, suffixes, archived, _no_code(parts)
        )
    m = _FEEDBACK.match(stem)
    if m:
        prefix, feature, code, resolution, rest = m.groups()
        suffixes = tuple(s.upper() for s in rest.split("_") if s)
        kind = {"APPROVED": APPROVED, "SKIPPED": SKIPPED}.get(prefix, FIX)
        if resolution:
            kind = RESOLUTION if prefix == "FIX" else kind
        return FileRef(rel, kind, feature, code, None, suffixes, archived or "ARCHIVED" in suffixes)
    for prefix, kind in (("GRAMMAPLAN_", GRAMMAPLAN), ("NORTH_STAR_", NORTH_STAR), ("PLAN_", PLAN)):
        if stem.startswith(prefix):
            rest = stem[len(prefix) :]
            parts = rest.split("_")
            suffixes: tuple[str, ...] = ()
            while len(parts) > 1 and parts[-1].upper() in (
                "ARCHIVED",
                "NESTED",
                "OLD",
                "V2",
                "V3",
                "BACKUP",
                "COPY",
            ):
                suffixes = (parts.pop().upper(), *suffixes)
            feature = "_".join(parts)
            if not feature:
                return None
            bad = None if FEATURE_RE.match(feature) else f"odd feature token {feature!r}"
            return FileRef(
                rel, kind, feature, None, None, suffixes, archived or "ARCHIVED" in suffixes, bad
            )
    return None


def is_stale_copy(parent: str, child: str) -> bool:
    """A folder nested in a plan folder and named like it with "old" appended."""
    p, c = parent.casefold(), child.casefold()
    if not c.startswith(p) or c == p:
        return False
    rest = c[len(p) :].strip("-_ .")
    return rest in ("old", "bak", "backup", "copy") or rest.startswith("old")


def is_plan_folder_name(name: str, feature: str | None) -> bool:
    """A folder named for its plan: ``<F>/`` or, in some workspaces, ``PLAN_<F>/``."""
    return bool(feature) and (name == feature or name == "PLAN_" + feature)


def excluded_dir(parent_name: str, name: str) -> str | None:
    """Why a folder is not scanned (None: scan it)."""
    if name in SKIP_DIRS or (name.startswith(".") and name not in (".", "..")):
        return "skipped"
    if name.endswith(".egg-info"):
        return "skipped"
    if parent_name == name == "work-space":
        return "a stray work-space/work-space/ folder is not scanned"
    return None


def excluded_path(rel: str) -> bool:
    """True if a file lies below a folder that discovery never scans (same rules as the walk).

    Stale plan copies are decided by the walk, which knows plan folders; here only the
    name-only rules apply, plus the stale-copy rule on consecutive folder names."""
    parts = rel.split("/")[:-1]
    prev = ""
    for p in parts:
        if excluded_dir(prev, p):
            return True
        if prev and is_stale_copy(prev, p):
            return True
        prev = p
    return False


def excluded_ancestor(rel: str) -> tuple[str, str] | None:
    """The outermost folder above ``rel`` that the walk does not scan, and why."""
    parts = rel.split("/")[:-1]
    prev = ""
    for i, p in enumerate(parts):
        why = excluded_dir(prev, p)
        if why is None and prev and is_stale_copy(prev, p):
            why = f"a stale copy of {prev}/ is not scanned"
        if why:
            return "/".join(parts[: i + 1]), why
        prev = p
    return None


def group_of(rel_folder: str) -> str | None:
    """The grouping folder of a plan folder or loose PLAN: the folder right under ``plans/``
    when the plan is not directly in ``plans/``."""
    parts = rel_folder.split("/") if rel_folder else []
    for i, p in enumerate(parts):
        if p.casefold() == "plans" and i + 1 < len(parts):
            return parts[i + 1]
    return None


def group_label(group: str | None) -> str | None:
    if group is None:
        return None
    label = group[2:] if group.startswith("a_") else group
    return label.replace("_", " ")
