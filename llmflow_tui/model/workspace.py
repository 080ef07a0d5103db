"""Discovery, the immutable ``Workspace`` snapshot, incremental ``apply`` and the parse cache.

``load`` walks the tree once, reads each methodology file into a compact ``Doc`` (reusing the
persistent cache when size and mtime match) and derives every plan with ``state.build_plan``.
``apply`` re-reads only the changed paths and re-derives only the plans they belong to, giving
exactly what a fresh ``load`` would.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import _fork
from . import names as N
from .types import ERROR, WARNING, GrammaPlan, Plan, Problem, Settings

if TYPE_CHECKING:
    from .parse import Doc

# The parser and the state engine are imported where they are first needed: a warm start
# that finds nothing changed (``llmflow status`` on a big workspace) needs neither.
CACHE_FORMAT = 11
_CHUNK = 1024  # rows per pickled slice of the cache: a few ms of GIL each

Progress = Callable[[int, int], None]

_FEEDBACK_KINDS = frozenset({N.APPROVED, N.FIX, N.RESOLUTION, N.SKIPPED})
_UNIT_KINDS = frozenset(
    {N.PLAN, N.SUBPLAN, N.EXECUTION, N.APPROVED, N.FIX, N.RESOLUTION, N.SKIPPED}
)


def _walk(
    root: str, start: str = "", part: tuple[int, int] | None = None
) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    """Every file below ``root/start`` whose name might be a methodology file, as
    {rel: (mtime_ns, size)} (``_classified`` tells what each is), and the folders
    deliberately not scanned with the reason (stale copies, stray work-space).

    ``part=(k, n)``: walk only the k-th of n disjoint shares of the tree (whole folders at
    depth ``SPLIT_DEPTH`` are shared out; files above that depth belong to share 0)."""
    found: dict[str, tuple[int, int]] = {}
    skipped: dict[str, str] = {}
    stack = [start]
    while stack:
        rel_dir = stack.pop()
        abs_dir = f"{root}/{rel_dir}" if rel_dir else root
        dir_name = rel_dir.rsplit("/", 1)[-1] if rel_dir else ""
        try:
            entries = list(os.scandir(abs_dir))
        except OSError:
            if rel_dir:
                skipped[rel_dir] = "folder cannot be read"
            continue
        depth = rel_dir.count("/") + 1 if rel_dir else 0
        if part is not None and depth < SPLIT_DEPTH:
            mine = part[0] == 0  # files up here: share 0
            if depth == SPLIT_DEPTH - 1:  # sub-folders here are shared out
                entries = [
                    e
                    for e in entries
                    if _share(f"{rel_dir}/{e.name}" if rel_dir else e.name, part)
                    or not _is_real_dir(e)
                ]
            if not mine:
                entries = [e for e in entries if _is_real_dir(e)]
        prefix = f"{rel_dir}/" if rel_dir else ""
        might_be = N.might_be_methodology
        for entry in entries:
            name = entry.name
            try:
                # Links are never followed (out of, or around, the workspace): neither test
                # below is true for one.
                if entry.is_dir(follow_symlinks=False):
                    rel = prefix + name
                    why = N.excluded_dir(dir_name, name)
                    if why is None and dir_name and N.is_stale_copy(dir_name, name):
                        why = f"a stale copy of {dir_name}/ is not scanned"
                    if why is None:
                        stack.append(rel)
                    elif why != "skipped":
                        skipped[rel] = why
                elif might_be(name) and entry.is_file(follow_symlinks=False):  # no FIFO…
                    st = entry.stat(follow_symlinks=False)
                    found[prefix + name] = (st.st_mtime_ns, st.st_size)
            except OSError:
                continue
    return found, skipped


def _classified(
    raw: dict[str, tuple[int, int]], known: dict[str, N.FileRef] | None = None
) -> dict[str, tuple[N.FileRef, int, int]]:
    """A walk's methodology files with their refs (from ``known`` where possible)."""
    known = known or {}
    found = {}
    for rel, (mtime, size) in raw.items():
        ref = known.get(rel)
        if ref is None:
            ref = N.classify(rel)
            if ref is None:
                continue
        found[rel] = (ref, mtime, size)
    return found


SPLIT_DEPTH = 3  # work-space/plans/<FEATURE>: where a workspace fans out


def _share(rel: str, part: tuple[int, int]) -> bool:
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % part[1] == part[0]


def _is_real_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _parallel_walk(root: str) -> list[_fork.Forked] | None:
    """Two forked helpers walking disjoint halves of the tree, or None (no fork here)."""
    if not _fork.available():
        return None
    walkers: list[_fork.Forked] = []
    try:
        for k in range(2):
            walkers.append(_fork.Forked(_walk_part, root, (k, 2)))
    except OSError:
        for w in walkers:
            w.cancel()
        return None
    return walkers


_PREFETCHED: dict[str, tuple[float, list[_fork.Forked]]] = {}
PREFETCH_FRESH_SECONDS = 10.0


def prefetch(root: str | Path) -> None:
    """Start walking ``root`` in helper processes now (say, while a UI imports itself); a
    ``load`` of the same folder within a few seconds uses that walk."""
    path = Path(root).expanduser().resolve()
    if not path.is_dir():
        return
    walkers = _parallel_walk(str(path))
    if walkers is not None:
        _PREFETCHED[str(path)] = (time.monotonic(), walkers)


def _take_prefetched(root: str) -> list[_fork.Forked] | None:
    started, walkers = _PREFETCHED.pop(root, (0.0, None))
    if walkers is not None and time.monotonic() - started > PREFETCH_FRESH_SECONDS:
        for w in walkers:  # too old to stand for the tree now
            w.cancel()
        walkers = None
    return walkers


def _walk_digest(raw: dict) -> bytes:
    """A digest of one share of a walk ({rel: (mtime_ns, size)}), whatever its order."""
    return hashlib.blake2b(pickle.dumps(sorted(raw.items()), 4), digest_size=16).digest()


def _walk_part(root: str, part: tuple[int, int]) -> tuple[bytes, bytes, dict]:
    """In a helper: walk one share and return its digest, the share pickled (the parent
    unpickles it only if the digest differs from the cache's) and the skipped folders."""
    raw, skipped = _walk(root, "", part)
    return _walk_digest(raw), pickle.dumps(raw, pickle.HIGHEST_PROTOCOL), skipped


class _Walk:
    """A whole walk: a digest per share (what a warm start compares with the cache), the
    skipped folders, and the files ({rel: (mtime_ns, size)}), unpickled when first asked for.
    A walk done here digests its shares only when asked (a cold load never compares it)."""

    __slots__ = ("_digests", "skipped", "_parts", "_raw")

    def __init__(self, digests: tuple | None, skipped: dict, parts=(), raw: dict | None = None):
        self._digests, self.skipped, self._parts, self._raw = digests, skipped, parts, raw

    @property
    def digests(self) -> tuple:
        if self._digests is None:
            shares: tuple[dict, dict] = ({}, {})
            for rel, st in self.raw.items():
                shares[_share_index(rel)][rel] = st
            self._digests = tuple(_walk_digest(x) for x in shares)
        return self._digests

    @property
    def raw(self) -> dict:
        if self._raw is None:
            raw: dict = {}
            for blob in self._parts:
                raw.update(pickle.loads(blob))
            self._raw, self._parts = raw, ()
        return self._raw


def _walk_all(root: str, walkers: list[_fork.Forked] | None) -> _Walk:
    """The whole walk: the helpers' shares, or (without helpers, or if one failed) walked
    here (split into the same shares for the digests when they are asked for)."""
    if walkers is not None:
        digests, parts, skipped = [], [], {}
        try:
            for w in walkers:
                digest, blob, s = w.result()
                digests.append(digest)
                parts.append(blob)
                skipped.update(s)
            return _Walk(tuple(digests), skipped, tuple(parts))
        except Exception:
            for w in walkers:
                w.cancel()
    raw, skipped = _walk(root)
    return _Walk(None, skipped, raw=raw)


def _share_index(rel: str) -> int:
    """Which of the two walkers' shares (``_walk(part=(k, 2))``) a file falls in."""
    parts = rel.split("/")
    if len(parts) - 1 < SPLIT_DEPTH:
        return 0  # files above the split depth: share 0
    return 0 if _share("/".join(parts[:SPLIT_DEPTH]), (0, 2)) else 1


PARALLEL_MIN_FILES = 2000  # a spawned helper pays off from here
FORK_MIN_FILES = 100  # a forked one from here
HELPER_SHARE = 0.42
NAMES_FIRST_MIN_FILES = 300  # a load that reads this many files reports plan names first


def derive_unit(
    unit: str,
    docs: dict[str, Doc],
    members,
    folders_by_feature: dict[str, tuple[str, ...]],
    settings: Settings,
) -> tuple[Plan | None, tuple[Problem, ...], float]:
    """One plan from its member files (the same code in the helper process)."""
    unit_docs = [docs[r] for r in sorted(members)]
    folders = sorted(
        (
            N.archived_by_path(f + "/x"),
            not N.is_plan_folder_name(f.rsplit("/", 1)[-1], unit),
            f.count("/"),
            f,
        )
        for f in folders_by_feature.get(unit, ())
    )
    from .state import _problem_key, build_plan

    plan, problems, valid_until = build_plan(
        unit, unit_docs, settings, folders[0][-1] if folders else None
    )
    cut = _cut_short_problems(unit, unit_docs, [f[-1] for f in folders])
    cut += [_renamed_folder_problem(unit, f[-1]) for f in folders if f[1]]
    if cut:
        problems = tuple(sorted({*problems, *cut}, key=_problem_key))  # as build_plan sorts
    return plan, problems, valid_until


def _renamed_folder_problem(unit: str, folder: str) -> Problem:
    name = folder.rsplit("/", 1)[-1]
    return Problem(
        f"{folder}/PLAN_{unit}.md",
        None,
        WARNING,
        f"the PLAN's name differs from its folder: {name}/ holds PLAN_{unit}.md and its "
        f"subplans/ or execution/, so it is read as the plan folder of {unit} (rename the "
        f"folder {unit}/, or the PLAN if {name} is the plan's name now)",
    )


def _cut_short_problems(unit: str, docs: list[Doc], folders: list[str]) -> list[Problem]:
    """A warning on each file attached to ``unit`` because its feature token looks cut short
    (``_cut_short``): outside the plan's folders and named for another feature."""
    out = []
    prefixes = tuple(f + "/" for f in folders)
    for d in docs:
        ref = d.ref
        if not ref.feature or ref.feature == unit or ref.rel.startswith(prefixes):
            continue
        out.append(
            Problem(
                ref.rel,
                None,
                WARNING,
                f"feature token {ref.feature} looks cut short: counted for {unit}, the one "
                f"plan whose name starts or ends with it (full name: {N.with_feature(ref, unit)})",
            )
        )
    return out


def _parallel_allowed() -> bool:
    return (os.cpu_count() or 1) > 1 and not os.environ.get("LLMFLOW_NO_PARALLEL")


def _spawn_helper():
    """Start the helper process (it imports the parser, then waits for its job on stdin)."""
    import subprocess
    import sys

    try:
        return subprocess.Popen(
            [sys.executable, "-m", "llmflow_tui.model._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def read_units(
    root: str,
    units: dict[str, list[str]],
    items: list[tuple[str, N.FileRef, int, int]],
    folders: dict[str, tuple[str, ...]],
    settings: Settings,
) -> dict:
    """Read ``items`` and derive ``units`` from them: a helper process's share of a load."""
    from .parse import read_doc

    docs = {rel: read_doc(root, ref, size, mtime) for rel, ref, size, mtime in items}
    derived = {
        unit: derive_unit(unit, docs, members, folders, settings) for unit, members in units.items()
    }
    # The docs go back pickled a plan at a time, and the parent keeps them that way until
    # something asks for one (as it does with the cache's): unpickling them all would be
    # the parent's own work, on the critical path of the load.
    blobs = {
        unit: pickle.dumps({r: docs[r] for r in members}, protocol=pickle.HIGHEST_PROTOCOL)
        for unit, members in units.items()
    }
    stats = {rel: (d.mtime_ns, d.size) for rel, d in docs.items()}
    return {"blobs": blobs, "stats": stats, "derived": derived}


def _read_all(
    root: str,
    to_read: dict[str, tuple[str, N.FileRef, int, int]],
    fresh_units: list[str],
    units: dict[str, set[str]],
    folders_by_feature: dict[str, tuple[str, ...]],
    settings: Settings,
    done: int,
    total: int,
    progress: Progress | None,
    early=None,
) -> dict:
    """Read ``to_read``; returns {unit: derived} for the units derived here or in a helper
    process, the parsed docs under the key "\\0docs" and the helper's docs, still pickled a
    plan at a time, under "\\0blobs" ({unit: (blob, {rel: (mtime_ns, size)})}). A cold load
    hands about half of the plans (read and derived) to a helper process: parsing is
    CPU-bound Python and the GIL rules out threads. On Linux the helper is forked (it starts
    at once, with everything imported); elsewhere a spawned interpreter pays off only for
    large loads."""
    from .parse import read_doc

    out: dict = {}
    parsed: dict[str, Doc] = {}
    forked: _fork.Forked | None = None
    helper = None
    theirs: list[str] = []
    use_fork = _fork.available() and len(to_read) >= FORK_MIN_FILES
    use_spawn = not use_fork and len(to_read) >= PARALLEL_MIN_FILES and _parallel_allowed()
    if use_fork or use_spawn:
        import threading

        # The parent also walks, unpickles the helper's answer and assembles: measured, a
        # 42% share makes both finish together.
        budget = int(len(to_read) * HELPER_SHARE)
        count = 0
        for unit in sorted(fresh_units):
            if count >= budget:
                break
            theirs.append(unit)
            count += len(units[unit])
        their_units = {u: sorted(units[u]) for u in theirs}
        their_items = [to_read[r] for u in theirs for r in units[u]]
        their_folders = {u: folders_by_feature.get(u, ()) for u in theirs}
    if use_fork and theirs:
        try:
            forked = _fork.Forked(
                read_units, root, their_units, their_items, their_folders, settings
            )
        except OSError:  # no processes here: read them all ourselves
            theirs = []
    elif use_spawn and theirs:
        job = {
            "root": root,
            "units": their_units,
            "items": their_items,
            "folders": their_folders,
            "settings": settings,
        }
        result: list[bytes] = []
        try:
            helper = early if early is not None else _spawn_helper()
            early = None
            if helper is None:
                raise OSError("no helper process")
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)

            def talk() -> None:
                try:
                    result.append(helper.communicate(payload)[0])
                except Exception:
                    result.append(b"")

            talker = threading.Thread(target=talk, daemon=True)
            talker.start()
        except Exception:  # no processes here: read them all ourselves
            helper = None
            theirs = []
    if early is not None:  # spawned in case the load was big; it was not
        early.kill()
        early.wait()
    mine = set(to_read)
    for u in theirs:
        mine.difference_update(units[u])
    for i, rel in enumerate(sorted(mine)):
        _r, ref, size, mtime = to_read[rel]
        parsed[rel] = read_doc(root, ref, size, mtime)
        if progress is not None and i % 250 == 0:
            progress(done + i, total)
    blobs: dict = {}
    if theirs:
        # Our own whole plans are derived while the helper finishes, not after.
        taken = set(theirs)
        for u in fresh_units:
            if u not in taken:
                out[u] = derive_unit(u, parsed, units[u], folders_by_feature, settings)
        answer = None
        try:
            if forked is not None:
                answer = forked.result()
            else:
                talker.join()
                if helper is not None and helper.returncode == 0 and result and result[0]:
                    answer = pickle.loads(result[0])
        except Exception:
            answer = None
        if (
            isinstance(answer, dict)
            and set(answer.get("derived", {})) == set(theirs)
            and set(answer.get("blobs", {})) == set(theirs)
        ):
            stats = answer["stats"]
            for u in theirs:
                blobs[u] = (answer["blobs"][u], {r: stats[r] for r in units[u]})
            out.update(answer["derived"])
        else:  # the helper failed: do its share here
            for u in theirs:
                for rel in units[u]:
                    _r, ref, size, mtime = to_read[rel]
                    parsed[rel] = read_doc(root, ref, size, mtime)
    out["\0docs"] = parsed
    out["\0blobs"] = blobs
    return out


def _rel_of(root: Path, path: str | Path) -> str | None:
    p = Path(path)
    if p.is_absolute():
        try:
            rel = p.relative_to(root)
        except ValueError:
            try:
                rel = p.resolve().relative_to(root)
            except (ValueError, OSError):
                return None
        s = rel.as_posix()
    else:
        s = p.as_posix()
    s = s.strip("/")
    if s in ("", "."):
        return ""
    if s.startswith("../") or "/../" in s:
        return None
    return s


def _unpickle_index(cache_data: dict) -> dict:
    """The second pickle of the cache file (names, refs, documents), or {}."""
    fh = cache_data.get("index")
    if fh is None:
        return {}
    try:
        with fh:
            raw = pickle.load(fh)
        refs: dict[str, N.FileRef] = {}
        owner: dict[str, str | None] = {}
        stats: dict[str, tuple[int, int]] = {}
        loose: dict[str, None] = {}
        units: dict[str, set[str]] = {}
        by_unit: dict[str | None, list[str]] = {}
        for chunk in raw["rows"]:
            for rel, ref, unit, stat in pickle.loads(chunk):
                refs[rel] = ref
                owner[rel] = unit
                stats[rel] = stat
                if unit is None:
                    loose[rel] = None
                else:
                    units.setdefault(unit, set()).add(rel)
                by_unit.setdefault(unit, []).append(rel)
        plan_folders, folders_by_feature, plan_features, cut_short = raw["folders"]
        return {
            "refs": refs,
            "where": dict(owner),  # the doc store changes its own in place
            "docstats": stats,
            "members": {unit: frozenset(rels) for unit, rels in by_unit.items()},
            "blobs": raw["blobs"],
            "names": (plan_folders, folders_by_feature, owner, loose, units),
            "plan_names": (plan_features, cut_short),
        }
    except Exception:  # a damaged cache is simply not used
        return {}


def _dump_chunks(m: dict) -> list[bytes]:
    """``m`` pickled a slice at a time (see ``_write_cache``)."""
    items = list(m.items())
    return [
        pickle.dumps(dict(items[i : i + _CHUNK // 16]), pickle.HIGHEST_PROTOCOL)
        for i in range(0, len(items), _CHUNK // 16)
    ]


def _load_chunks(chunks) -> dict:
    out: dict = {}
    for chunk in chunks:
        out.update(pickle.loads(chunk))
    return out


class _IndexFile:
    """The open cache file a warm snapshot reads its index from, closed when dropped."""

    __slots__ = ("fh",)

    def __init__(self, fh) -> None:
        self.fh = fh

    def take(self):
        fh, self.fh = self.fh, None
        return fh

    def __del__(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _plan_key(p: Plan) -> tuple:
    return (p.orphan, p.archived, p.group or "", p.name)


def _cache_file(root: str) -> Path:
    base = os.environ.get("LLMFLOW_CACHE_DIR")
    if not base:
        try:
            import platformdirs

            base = platformdirs.user_cache_dir("llmflow")
        except Exception:  # pragma: no cover - platformdirs missing or broken
            base = os.path.join(os.path.expanduser("~"), ".cache", "llmflow")
    digest = hashlib.sha1(root.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Path(base) / f"parse-{digest}.pickle"


def _code_digest() -> str:
    """A digest of the model's own source: a cache written by other code is never used."""
    h = hashlib.sha1()
    for name in sorted(os.listdir(os.path.dirname(__file__))):
        if name.endswith(".py"):
            with open(os.path.join(os.path.dirname(__file__), name), "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


_CACHE_TAG: tuple | None = None


def _cache_tag() -> tuple:
    global _CACHE_TAG
    if _CACHE_TAG is None:
        _CACHE_TAG = ("llmflow-parse-cache", CACHE_FORMAT, _code_digest())
    return _CACHE_TAG


def _read_cache(root: str) -> dict:
    """The cache written by ``_write_cache`` for this root and this code, or {}.

    The file holds two pickles: what a warm start needs, then the index (names, refs and
    documents). Only the first is read here; ``data["index"]`` is the open file, positioned
    at the second (an open file keeps reading the version it opened, even if another
    instance replaces the cache meanwhile)."""
    fh = None
    try:
        fh = open(_cache_file(root), "rb")  # noqa: SIM115 - kept open for the index
        data = pickle.load(fh)
        if data.get("tag") == _cache_tag() and data.get("root") == root:
            data["index"] = fh
            return data
    except Exception:  # a missing, corrupt or foreign cache is simply not used
        pass
    if fh is not None:
        fh.close()
    return {}


def _write_cache(ws: Workspace, derived: dict) -> None:
    """Docs are stored as one pickled blob per plan, so that a warm start unpickles only the
    derived plans; a plan's docs are unpickled when one of its files changes. The structures
    decided from file names are stored too, with the raw walk they came from: a start that
    finds the very same walk reuses them as they are."""
    from ..fsio import atomic_write_with

    try:
        store = ws._docs
        by_unit: dict[str | None, list[str]] = {}
        for rel in ws._files:
            by_unit.setdefault(ws._owner.get(rel), []).append(rel)
        blobs: dict[str | None, bytes] = {}
        for unit, rels in by_unit.items():
            reused = store.blob_for(rels)
            if reused is not None:
                blobs[unit] = reused
            else:
                blobs[unit] = pickle.dumps(
                    {r: store[r] for r in rels}, protocol=pickle.HIGHEST_PROTOCOL
                )
        # One row per file, pickled a slice at a time: a single pickle of maps this size
        # holds the GIL for a second or more, and a UI thread waits all that time.
        files, owner = ws._files, ws._owner
        rels = list(files)
        rows = [
            pickle.dumps(
                [(r, files[r], owner.get(r), store.stat(r)) for r in rels[i : i + _CHUNK]],
                pickle.HIGHEST_PROTOCOL,
            )
            for i in range(0, len(rels), _CHUNK)
        ]
        index = {
            "rows": rows,
            "blobs": blobs,
            "folders": (
                ws._plan_folders,
                ws._folders_by_feature,
                ws._plan_features,
                ws._cut_short,
            ),
        }
        data = {
            "tag": _cache_tag(),
            "root": str(ws.root),
            # Pickled inside the pickle: a warm start that finds nothing changed reads the
            # plans and leaves this for later.
            "nfiles": len(ws._files),
            "units": len(ws._units),
            "derived": _dump_chunks(derived),
            "assembled": (ws.grammaplans, ws._extra),
        }
        if ws._walk is not None:
            data["walk"] = ws._walk.digests
            data["skipped"] = ws._walk.skipped
            data["stale_days"] = ws._settings.stale_days  # the derived plans depend on it

        def write(fh) -> None:
            # Streamed: the big byte strings go to the file as they are (the GIL is free
            # while they are written), not copied into one buffer first.
            pickle.dump(data, fh, pickle.HIGHEST_PROTOCOL)
            pickle.dump(index, fh, pickle.HIGHEST_PROTOCOL)

        atomic_write_with(_cache_file(str(ws.root)), write)
    except Exception:  # the cache is an optimisation; never fail a load for it
        pass


def _pmap(m, pause: Callable[[], None] | None = None):
    """``m`` as a persistent map (``immutables.Map``): snapshots made by ``apply`` share
    structure, so that a change costs the entries it touches and not a copy of every map.
    A loaded snapshot holds plain dicts; the first ``apply`` (or ``warm_up``) converts.
    ``pause``: called between slices (see ``warm_up``)."""
    from immutables import Map

    if isinstance(m, Map):
        return m
    if len(m) <= _CHUNK:
        return Map(m)
    # A slice at a time: one Map() of tens of thousands of entries holds the GIL ~0.1 s.
    items = list(m.items())
    out = Map()
    for i in range(0, len(items), _CHUNK):
        out = out.update(items[i : i + _CHUNK])
        if pause is not None:
            pause()
    return out


def _put(m, key, value):
    """``m`` with ``key`` set: in place for a dict (being built), a new map for a Map."""
    if type(m) is dict:
        m[key] = value
        return m
    return m.set(key, value)


def _without(m, key):
    """``m`` without ``key``: in place for a dict, a new map for a Map."""
    if type(m) is dict:
        m.pop(key, None)
        return m
    return m.delete(key) if key in m else m


class _DocStore:
    """{rel: Doc}, where docs that came from the cache stay pickled (one blob per plan) until
    something asks for them. Each snapshot has its own store (persistent maps after the
    first ``apply``, so a copy is cheap); blobs are shared bytes."""

    __slots__ = ("loaded", "where", "stats", "blobs", "members")

    def __init__(self) -> None:
        self.loaded: dict[str, Doc] = {}
        self.where: dict[str, object] = {}  # rel -> blob key, for docs not unpickled yet
        self.stats: dict[str, tuple[int, int]] = {}  # (mtime_ns, size) of those
        self.blobs: dict[object, bytes] = {}
        self.members: dict[object, frozenset[str]] = {}  # blob key -> rels it holds

    def __getitem__(self, rel: str) -> Doc:
        doc = self.loaded.get(rel)
        if doc is None:
            key = self.where[rel]
            docs = pickle.loads(self.blobs[key])
            where, stats, loaded = self.where, self.stats, self.loaded
            for r, d in docs.items():
                if where.get(r, _NO_KEY) == key:
                    loaded = _put(loaded, r, d)
                    where = _without(where, r)
                    stats = _without(stats, r)
            # Loaded first: a copy taken meanwhile (warm_up runs off the UI thread) may find
            # a doc twice, never lose one.
            self.loaded = loaded
            self.where, self.stats = where, stats
            doc = self.loaded[rel]
        return doc

    def get(self, rel: str, default: Doc | None = None) -> Doc | None:
        try:
            return self[rel]
        except KeyError:
            return default

    def __setitem__(self, rel: str, doc: Doc) -> None:
        self.loaded = _put(self.loaded, rel, doc)
        self.where = _without(self.where, rel)
        self.stats = _without(self.stats, rel)

    def pop(self, rel: str) -> None:
        self.where = _without(self.where, rel)
        self.stats = _without(self.stats, rel)
        self.loaded = _without(self.loaded, rel)

    def __contains__(self, rel: str) -> bool:
        return rel in self.loaded or rel in self.where

    def __len__(self) -> int:
        return len(self.loaded) + len(self.where)

    def stat(self, rel: str) -> tuple[int, int]:
        doc = self.loaded.get(rel)
        if doc is not None:
            return doc.mtime_ns, doc.size
        return self.stats[rel]

    def add_blob(self, key: object, blob: bytes, stats: dict[str, tuple[int, int]]) -> None:
        """Docs pickled together (``{rel: Doc}``), with their (mtime_ns, size), kept pickled
        until one of them is asked for."""
        self.blobs[key] = blob
        self.members[key] = frozenset(stats)
        for rel, st in stats.items():
            self.loaded = _without(self.loaded, rel)
            self.where = _put(self.where, rel, key)
            self.stats = _put(self.stats, rel, st)

    def blob_for(self, rels: list[str]) -> bytes | None:
        """The cached blob holding exactly these (still unpickled) docs, if there is one."""
        key = self.where.get(rels[0], _NO_KEY) if rels else _NO_KEY
        if key is _NO_KEY or self.members.get(key) != frozenset(rels):
            return None
        if any(self.where.get(r, _NO_KEY) != key for r in rels):
            return None
        return self.blobs[key]

    def persistent(self, pause: Callable[[], None] | None = None) -> _DocStore:
        """A copy on persistent maps (cheap once converted), for a new snapshot to change."""
        new = _DocStore()
        new.loaded = _pmap(self.loaded, pause)
        new.where = _pmap(self.where, pause)
        new.stats = _pmap(self.stats, pause)
        new.blobs = self.blobs
        new.members = self.members
        return new


_NO_KEY = object()
_FORKED = "\0forked"  # blob keys (_FORKED, unit): docs a helper process read, still pickled


class _Indexed:
    """A Workspace attribute that a warm start leaves in the pickled index until something
    needs it (showing a snapshot needs only the plans; ``apply`` and ``doc`` need these)."""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = getattr(owner, "_v" + name)

    def __get__(self, ws, owner=None):
        if ws is None:
            return self
        try:
            return self.slot.__get__(ws, owner)
        except AttributeError:
            ws._read_index()
            return self.slot.__get__(ws, owner)

    def __set__(self, ws, value) -> None:
        self.slot.__set__(ws, value)


_INDEXED = (
    "_files",
    "_docs",
    "_plan_folders",
    "_folders_by_feature",
    "_owner",
    "_loose",
    "_units",
    "_plan_features",
    "_cut_short",
)


class Workspace:
    """An immutable snapshot of a methodology workspace.

    ``plans``, ``grammaplans`` and ``problems`` are tuples of frozen dataclasses; ``apply``
    returns a new snapshot and leaves this one untouched."""

    __slots__ = (
        "root",
        "plans",
        "grammaplans",
        "_problems",
        "_extra",
        "_unit_counts",
        "_pos",
        "_settings",
        "_v_files",
        "_v_docs",
        "_skipped",
        "_v_plan_folders",
        "_v_folders_by_feature",
        "_v_owner",
        "_v_loose",
        "_v_units",
        "_v_plan_features",
        "_v_cut_short",
        "_index",
        "_index_lock",
        "_nfiles",
        "_derived",
        "_by_name",
        "_order",
        "_cache",
        "_pending_cache",
        "_walk",
    )

    _files = _Indexed()
    _docs = _Indexed()
    _plan_folders = _Indexed()
    _folders_by_feature = _Indexed()
    _owner = _Indexed()
    _loose = _Indexed()
    _units = _Indexed()
    _plan_features = _Indexed()  # {feature: how many PLAN files name it}
    _cut_short = _Indexed()  # see ``_cut_short``

    root: Path
    plans: tuple[Plan, ...]
    grammaplans: tuple[GrammaPlan, ...]

    # -- construction ------------------------------------------------------------------
    @classmethod
    def _load(
        cls,
        root: Path,
        *,
        cache: bool,
        settings: Settings,
        progress: Progress | None,
        names: Callable | None = None,
    ) -> Workspace:
        self = cls.__new__(cls)
        self.root = root
        self._settings = settings
        self._cache = cache
        self._index = None
        self._index_lock = threading.Lock()
        root_s = str(root)
        # Forked helpers walk and stat the tree (two halves at once) while this process
        # unpickles the cache; ``llmflow`` starts them even before Textual is imported.
        walkers = _take_prefetched(root_s)
        if walkers is None and cache and _cache_file(root_s).is_file():
            walkers = _parallel_walk(root_s)
        cache_data = _read_cache(root_s) if cache else {}
        # Unpickled while the walkers walk (the plans are most of a warm start's own work).
        cached_derived: dict = _load_chunks(cache_data.get("derived", ()))
        # Cold: start the helper now so that its start-up overlaps the walk.
        early = (
            _spawn_helper()
            if not cache_data and _parallel_allowed() and not _fork.available()
            else None
        )
        walk = _walk_all(root_s, walkers)
        skipped = walk.skipped
        self._walk = walk
        now = settings.now if settings.now is not None else time.time()
        if (
            cache_data
            and cache_data.get("walk") == walk.digests
            and cache_data.get("skipped") == skipped
            and cache_data.get("stale_days") == settings.stale_days
            and len(cached_derived) == cache_data.get("units")
            and all(hit[1] <= now < hit[2][2] for hit in cached_derived.values())
        ):
            # Nothing was added, removed or touched since the cache was written and no stale
            # flag flips: the snapshot is the cached one. The structures decided from names
            # and the documents stay pickled until something asks for them.
            self._index = _IndexFile(cache_data.pop("index"))
            self._nfiles = cache_data["nfiles"]
            self._skipped = skipped
            self._derived = {u: hit[2] for u, hit in cached_derived.items()}
            self._unit_counts = _counts(p for d in self._derived.values() for p in d[1])
            self._pending_cache = None
            self._assemble_plans()
            self.grammaplans, self._extra = cache_data["assembled"]
            self._problems = None
            return self
        index = _unpickle_index(cache_data)
        cached_refs: dict[str, N.FileRef] = index.get("refs", {})
        cached_where: dict[str, str | None] = index.get("where", {})
        cached_stats: dict[str, tuple[int, int]] = index.get("docstats", {})
        found = _classified(walk.raw, cached_refs)
        total = len(found)
        # Rewrite a cache that lacks the walk's digests, so that the next start can skip this.
        dirty = not cached_stats or len(cached_stats) != total or "walk" not in cache_data
        # Everything below up to reading is decided from names alone.
        self._files = {rel: ref for rel, (ref, _m, _s) in found.items()}
        self._skipped = skipped
        self._plan_folders = _plan_folders(self._files)
        self._folders_by_feature = _invert(self._plan_folders)
        self._plan_features = _plan_feature_counts(self._files.values())
        self._cut_short = cut = _cut_short(self._plan_features)
        self._owner = {
            rel: _unit_of(ref, self._plan_folders, cut) for rel, ref in self._files.items()
        }
        self._loose = {rel: None for rel, unit in self._owner.items() if unit is None}
        self._units = {}
        for rel, unit in self._owner.items():
            if unit is not None:
                self._units.setdefault(unit, set()).add(rel)
        docs = _DocStore()
        if cached_stats:
            docs.blobs = index.get("blobs", {})
            docs.members = index.get("members", {})
        to_read: dict[str, tuple[str, N.FileRef, int, int]] = {}
        for rel, (ref, mtime, size) in found.items():
            key = cached_where.get(rel, _NO_KEY)
            if key in docs.blobs and cached_stats.get(rel) == (mtime, size):
                docs.where[rel] = key
                docs.stats[rel] = (mtime, size)
            else:
                to_read[rel] = (rel, ref, size, mtime)
        self._docs = docs
        if names is not None and len(to_read) >= NAMES_FIRST_MIN_FILES:
            # A long read is coming: the caller can show plan names meanwhile.
            names(_names_from(self._files))
        self._derived = {}
        signatures: dict[str, bytes] = {}
        for unit in self._units:
            hit = cached_derived.get(unit)
            members = self._units[unit]
            if any(r in to_read for r in members):
                continue
            sig = self._signature(unit)
            signatures[unit] = sig
            # A derived plan is reused only for the same files and while no stale flag flips.
            if hit is not None and hit[0] == sig and hit[1] <= now < hit[2][2]:
                self._derived[unit] = hit[2]
        if to_read:
            dirty = True
            # Units made only of unread files can go whole (read and derived) to a helper.
            fresh = [u for u in self._units if all(r in to_read for r in self._units[u])]
            derived = _read_all(
                root_s,
                to_read,
                fresh,
                self._units,
                self._folders_by_feature,
                settings,
                len(docs),
                total,
                progress,
                early,
            )
            early = None
            for rel, doc in derived.pop("\0docs").items():
                docs[rel] = doc
            for unit, (blob, stats) in derived.pop("\0blobs").items():
                docs.add_blob((_FORKED, unit), blob, stats)
            self._derived.update(derived)
        if early is not None:  # nothing needed reading after all
            early.kill()
            early.wait()
        if progress is not None:
            progress(total, total)
        for unit in self._units:
            if unit not in self._derived:
                self._derived[unit] = self._derive(unit)
                dirty = True
        self._pending_cache = None
        if cache and (dirty or len(cached_derived) != len(self._units)):
            # Signatures still missing are taken when the cache is written (off the path of
            # a load that a user waits for): this snapshot's files do not change.
            self._pending_cache = (now, signatures)
        self._unit_counts = _counts(p for d in self._derived.values() for p in d[1])
        self._assemble()
        return self

    def save_cache(self) -> bool:
        """Write the parse cache if this load read anything new (``load`` does it unless told
        ``write_cache=False``, so that a UI can show the snapshot first). True if written."""
        pending = self._pending_cache
        if pending is None:
            return False
        self._pending_cache = None
        now, signatures = pending
        with _gc_paused():
            derived = {
                u: (signatures.get(u) or self._signature(u), now, d)
                for u, d in self._derived.items()
            }
            _write_cache(self, derived)
        return True

    def _signature(self, unit: str) -> bytes:
        """A digest of what a derived plan depends on: its files with their stats, its
        folders and the staleness setting."""
        docs = self._docs
        members = sorted(self._units.get(unit, ()))
        key = (
            self._folders_by_feature.get(unit),
            self._settings.stale_days,
            tuple((r, *docs.stat(r)) for r in members),
        )
        return hashlib.blake2b(pickle.dumps(key, protocol=4), digest_size=16).digest()

    def _derive(self, unit: str) -> tuple[Plan | None, tuple[Problem, ...], float]:
        return derive_unit(
            unit, self._docs, self._units.get(unit, ()), self._folders_by_feature, self._settings
        )

    def _assemble_plans(self, prev: Workspace | None = None, changed=()) -> tuple[Plan, ...]:
        """``plans`` in display order. After ``apply``, the order of ``prev`` is kept when
        the changed plans still sort where they did (the usual case), so that one file costs
        one file, not a sort of every plan."""
        derived = self._derived
        order = None
        if prev is not None and len(derived) == len(prev._derived):
            order = prev._order
            for unit in changed:
                old = prev._derived.get(unit, (None,))[0]
                new = derived.get(unit, (None,))[0]
                if unit not in derived or (old is None) != (new is None):
                    order = None
                    break
                if new is not None and _plan_key(new) != _plan_key(old):
                    order = None
                    break
        if order is not None and prev is not None:
            self._order, self._pos = order, prev._pos
            plans = list(prev.plans)
            by_name = _pmap(prev._by_name)
            for unit in changed:
                p = derived[unit][0]
                if p is not None:
                    plans[self._pos[unit]] = p
                    by_name = by_name.set(p.name, p)
            self.plans = tuple(plans)
            self._by_name = by_name
            return self.plans
        order = sorted(
            (u for u, d in derived.items() if d[0] is not None),
            key=lambda u: _plan_key(derived[u][0]),
        )
        self._order = order
        self._pos = {u: i for i, u in enumerate(order)}
        self.plans = tuple(derived[u][0] for u in order)
        self._by_name = {p.name: p for p in self.plans}
        return self.plans

    def changes_on_disk(self) -> list[str]:
        """Absolute paths of methodology files added, removed or changed since the walk this
        snapshot was loaded from (a watcher started after the load applies these to catch
        up). Empty for a snapshot made by ``apply``."""
        if self._walk is None:
            return []
        root_s = str(self.root)
        current = _walk_all(root_s, _parallel_walk(root_s))
        if current.digests == self._walk.digests and current.skipped == self._walk.skipped:
            return []
        raw, raw_then = current.raw, self._walk.raw
        changed = [rel for rel, st in raw.items() if raw_then.get(rel) != st]
        changed += [rel for rel in raw_then if rel not in raw]
        changed += [rel for rel in set(current.skipped) ^ set(self._skipped)]
        return [os.path.join(root_s, rel) for rel in changed]

    def warm_up(self, pause: Callable[[], None] | None = None) -> None:
        """Read back now what a warm start left pickled (file names, documents), so that a
        later ``apply`` or ``doc`` does not pay for it; a UI calls this off its own thread.

        ``pause``: called between slices of the work; a UI's can wait there while the user
        types (threads share the GIL: this work would slow every key down)."""
        if self._index is not None:
            self._read_index()  # not paused: the UI thread may be waiting for its lock
        # What the first ``apply`` would convert (see ``_pmap``), converted here instead.
        # Without the GC: each of its passes over the new map nodes would hold the GIL.
        with _gc_paused():
            for attr in ("_files", "_owner", "_loose", "_units", "_derived", "_by_name"):
                setattr(self, attr, _pmap(getattr(self, attr), pause))
            self._docs = self._docs.persistent(pause)

    def _unit_problems(self) -> list[Problem]:
        """The first problems of the list: skipped folders, then each plan's, by plan."""
        problems: list[Problem] = [
            Problem(rel, None, WARNING, why) for rel, why in sorted(self._skipped.items())
        ]
        for unit in sorted(self._derived):
            problems.extend(self._derived[unit][1])
        return problems

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem: skipped folders, each plan's (by plan), then those between plans.
        Built when first asked for (a live update needs only ``problem_counts``)."""
        problems = self._problems
        if problems is None:
            problems = self._problems = (*self._unit_problems(), *self._extra)
        return problems

    @property
    def problem_counts(self) -> tuple[int, int]:
        """(errors, warnings) in ``problems``, without building it."""
        errors, warnings = _counts(self._extra)
        unit_errors, unit_warnings = self._unit_counts
        return errors + unit_errors, warnings + unit_warnings + len(self._skipped)

    def _read_index(self) -> None:
        """Unpickle what a warm start left pickled (see ``_Indexed``)."""
        with self._index_lock:
            if self._index is None:
                return
            index = _unpickle_index({"index": self._index.take()})
            if not index:
                # The cache file's second half is damaged: build the same structures the
                # slow way (a walk and a read of every file) rather than fail later.
                fresh = Workspace._load(
                    self.root, cache=False, settings=self._settings, progress=None
                )
                for attr in _INDEXED:
                    setattr(self, attr, getattr(fresh, attr))
                self._index = None
                return
            (
                self._plan_folders,
                self._folders_by_feature,
                self._owner,
                self._loose,
                self._units,
            ) = index["names"]
            self._plan_features, self._cut_short = index["plan_names"]
            self._files = index["refs"]
            docs = _DocStore()
            docs.blobs = index["blobs"]
            docs.members = index["members"]
            docs.where = index["where"]
            docs.stats = index["docstats"]
            self._docs = docs
            self._index = None

    def _assemble(
        self, prev: Workspace | None = None, changed=(), same_outline: bool = False
    ) -> None:
        """``plans``, ``grammaplans`` and the problems found between plans (``_extra``)."""
        plans = self._assemble_plans(prev, changed)
        self._problems = None
        if prev is not None and same_outline:
            self.grammaplans, self._extra = prev.grammaplans, prev._extra
            return
        problems: list[Problem] = []
        gps: list[GrammaPlan] = []
        for rel in sorted(self._loose):
            ref = self._files[rel]
            doc = self._docs[rel]
            problems.extend(doc.problems)
            if ref.unusable:
                problems.append(Problem(rel, None, WARNING, N.unusable_message(ref)))
            elif ref.kind in (N.GRAMMAPLAN, N.NORTH_STAR):
                children = list(doc.children)
                for p in plans:
                    if p.parent == ref.feature and p.name not in children:
                        children.append(p.name)
                for child in doc.children:
                    if child not in self._by_name:
                        problems.append(
                            Problem(rel, None, WARNING, f"child plan PLAN_{child}.md not found")
                        )
                for child, line, cell, pct in doc.child_progress:
                    plan = self._by_name.get(child)
                    if plan is None or not plan.progress[1]:
                        continue
                    done, total = plan.progress
                    if abs(pct - 100.0 * done / total) >= 10:
                        problems.append(
                            Problem(
                                rel,
                                line or None,
                                WARNING,
                                f"the table says {child} is at {cell}; the files say "
                                f"{done}/{total} approved",
                            )
                        )
                for child, deps in doc.child_deps:
                    for dep in deps:
                        if dep not in self._by_name:
                            problems.append(
                                Problem(
                                    rel,
                                    None,
                                    WARNING,
                                    f"PLAN_{child} depends on PLAN_{dep}, which is not found",
                                )
                            )
                from .state import cycles

                for cycle in cycles({child: list(deps) for child, deps in doc.child_deps}):
                    problems.append(
                        Problem(
                            rel,
                            None,
                            WARNING,
                            "plans depend on each other in a cycle: "
                            + " → ".join(cycle + [cycle[0]]),
                        )
                    )
                gps.append(
                    GrammaPlan(
                        ref.feature or "",
                        rel,
                        ref.kind,
                        doc.title.split(":", 1)[-1].strip() or ref.feature or "",
                        doc.get("status"),
                        tuple(children),
                        N.group_of(ref.parent),
                        ref.archived,
                        doc.child_deps,
                    )
                )
        # Plans in a GRAMMAPLAN's own folder's group are still plans; children are by name.
        names = {g.name for g in gps}
        for p in plans:
            if p.parent and p.parent not in names:
                problems.append(
                    Problem(
                        p.path or "", None, WARNING, f"parent GRAMMAPLAN_{p.parent}.md not found"
                    )
                )
        self.grammaplans = tuple(gps)
        self._extra = tuple(problems)

    # -- incremental update ------------------------------------------------------------
    def apply(self, changed_paths: Iterable[str | Path]) -> Workspace:
        """A new snapshot with ``changed_paths`` (files or folders; created, modified or
        deleted; absolute or relative) re-read. Everything else is reused."""
        with _gc_paused():
            return self._apply(changed_paths)

    def _apply(self, changed_paths: Iterable[str | Path]) -> Workspace:
        from .parse import read_doc

        new = Workspace.__new__(Workspace)
        new._pending_cache = None
        new._walk = None  # the files changed since that walk
        new._index = None
        new._index_lock = threading.Lock()
        new.root = self.root
        new._settings = self._settings
        new._cache = self._cache
        old_files = self._files
        files = _pmap(old_files)
        docs = self._docs.persistent()
        skipped = dict(self._skipped)  # a handful of folders
        root_s = str(self.root)
        touched: set[str] = set()

        def drop(rel: str) -> None:
            nonlocal files
            files = _without(files, rel)
            docs.pop(rel)
            touched.add(rel)

        for path in changed_paths:
            rel = _rel_of(self.root, path)
            if rel is None:
                continue
            abs_path = os.path.join(root_s, rel) if rel else root_s
            hidden = N.excluded_ancestor(rel) if rel else None
            if hidden is not None:
                # Below a folder the walk skips: only whether that folder exists matters.
                folder, why = hidden
                if why != "skipped":
                    if os.path.isdir(os.path.join(root_s, folder)):
                        skipped[folder] = why
                    else:
                        skipped.pop(folder, None)
                continue
            try:
                is_dir = os.path.isdir(abs_path) and not os.path.islink(abs_path)
                is_file = not is_dir and os.path.isfile(abs_path) and not os.path.islink(abs_path)
            except OSError:
                is_dir = is_file = False
            if is_file:
                ref = N.classify(rel)
                if ref is None or N.excluded_path(rel) or not self._walkable(rel):
                    if rel in files:
                        drop(rel)
                    continue
                try:
                    st = os.stat(abs_path)
                except OSError:
                    drop(rel)
                    continue
                if rel in docs and docs.stat(rel) == (st.st_mtime_ns, st.st_size):
                    continue
                files = files.set(rel, ref)
                docs[rel] = read_doc(root_s, ref, st.st_size, st.st_mtime_ns)
                touched.add(rel)
                continue
            if not is_dir and rel in files:
                drop(rel)  # a file we knew vanished: no subtree to look through
                continue
            # A folder (re)appeared or vanished, or a file vanished: redo that subtree.
            prefix = rel + "/" if rel else ""
            for old_rel in [r for r in files if r == rel or r.startswith(prefix)]:
                drop(old_rel)
            for d in [d for d in skipped if d == rel or d.startswith(prefix)]:
                del skipped[d]
            if is_dir:
                if rel and not self._walkable(rel + "/x"):
                    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
                    name = rel.rsplit("/", 1)[-1]
                    why = N.excluded_dir(parent.rsplit("/", 1)[-1], name)
                    if why is None:
                        why = f"a stale copy of {parent.rsplit('/', 1)[-1]}/ is not scanned"
                    if why != "skipped":
                        skipped[rel] = why
                    continue
                raw, found_skipped = _walk(root_s, rel)
                skipped.update(found_skipped)
                found = _classified(raw)
                files = files.update({frel: ref for frel, (ref, _m, _s) in found.items()})
                for frel, (ref, mtime, size) in found.items():
                    if frel in self._docs and self._docs.stat(frel) == (mtime, size):
                        docs[frel] = self._docs[frel]
                    else:
                        docs[frel] = read_doc(root_s, ref, size, mtime)
                    touched.add(frel)
        new._files = files
        new._docs = docs
        new._skipped = skipped
        # Plan folders change only when a qualifying PLAN file comes, goes or is renamed.
        plan_folders = self._plan_folders
        changed_folders: set[str] = set()
        dirty_units: set[str] = set()
        for rel in touched:
            before = _plan_folder_of(old_files.get(rel))
            after = _plan_folder_of(files.get(rel))
            if before != after:
                if not changed_folders:
                    plan_folders = dict(plan_folders)
                for folder_feat in (before, after):
                    if folder_feat is not None:
                        changed_folders.add(folder_feat[0])
                        dirty_units.add(folder_feat[1])
                if before is not None:
                    plan_folders.pop(before[0], None)
                if after is not None:
                    replaced = plan_folders.get(after[0])  # a renamed folder's feature
                    if replaced is not None:
                        dirty_units.add(replaced)
                    plan_folders[after[0]] = after[1]
        # Renamed plan folders (``_renamed_plan_of``) change only when a PLAN, SUBPLAN or
        # task comes or goes in one, or a plan folder in a folder that might be one.
        affected: set[str] = set()
        for rel in touched:
            for ref in (old_files.get(rel), files.get(rel)):
                if ref is None or old_files.get(rel) == files.get(rel):
                    continue
                if ref.kind == N.PLAN and ref.parent:
                    affected.add(ref.parent)
                    if "/" in ref.parent:
                        affected.add(ref.parent.rsplit("/", 1)[0])
                elif ref.kind in (N.SUBPLAN, N.EXECUTION):
                    folder = _work_folder_of(ref)
                    if folder is not None:
                        affected.add(folder)
        for folder in sorted(affected):
            current = plan_folders.get(folder)
            name = folder.rsplit("/", 1)[-1]
            if current is not None and N.is_plan_folder_name(name, current):
                continue  # named for its PLAN: decided above
            renamed = _renamed_plan_of(folder, files, plan_folders)
            if renamed != current:
                if not changed_folders:
                    plan_folders = dict(plan_folders)
                changed_folders.add(folder)
                dirty_units.update(f for f in (current, renamed) if f is not None)
                if renamed is None:
                    plan_folders.pop(folder, None)
                else:
                    plan_folders[folder] = renamed
        new._plan_folders = plan_folders
        new._folders_by_feature = (
            _invert(plan_folders) if changed_folders else self._folders_by_feature
        )
        owner = _pmap(self._owner)
        loose = _pmap(self._loose)
        units = _pmap(self._units)
        recheck = set(touched)
        if changed_folders:
            prefixes = tuple(folder + "/" for folder in changed_folders)
            recheck.update(r for r in files if r.startswith(prefixes))
        # Which feature tokens count as cut short depends on which PLANs exist: only a PLAN
        # file coming or going (rare; editing one keeps its name) can change it.
        plan_features, cut = self._plan_features, self._cut_short
        if any(
            ref is not None and ref.kind == N.PLAN
            for rel in touched
            if old_files.get(rel) != files.get(rel)
            for ref in (old_files.get(rel), files.get(rel))
        ):
            plan_features = _plan_feature_counts(files.values())
            if plan_features.keys() != self._plan_features.keys():
                cut = _cut_short(plan_features)
                old_cut = self._cut_short
                moved = {t for t in cut.keys() | old_cut.keys() if cut.get(t) != old_cut.get(t)}
                if moved:
                    recheck.update(
                        r
                        for r, ref in files.items()
                        if ref.feature in moved or ref.kind in _FEEDBACK_KINDS
                    )
        new._plan_features = plan_features
        new._cut_short = cut
        for rel in recheck:
            old_unit = self._owner.get(rel)
            ref = files.get(rel)
            new_unit = _unit_of(ref, plan_folders, cut) if ref is not None else None
            if ref is None:
                owner = _without(owner, rel)
                loose = _without(loose, rel)
            else:
                owner = owner.set(rel, new_unit)
                if new_unit is None:
                    loose = loose.set(rel, None)
                else:
                    loose = _without(loose, rel)
            if old_unit is not None:
                dirty_units.add(old_unit)
                if old_unit != new_unit or ref is None:
                    members = set(units.get(old_unit, ()))
                    members.discard(rel)
                    units = units.set(old_unit, members) if members else units.delete(old_unit)
            if new_unit is not None:
                dirty_units.add(new_unit)
                if rel not in units.get(new_unit, ()):
                    units = units.set(new_unit, set(units.get(new_unit, ())) | {rel})
        new._owner = owner
        new._loose = loose
        new._units = units
        derived = _pmap(self._derived)
        errors, warnings = self._unit_counts
        for unit in dirty_units:
            old = derived.get(unit)
            if old is not None:
                e, w = _counts(old[1])
                errors, warnings = errors - e, warnings - w
            if unit in units:
                fresh = new._derive(unit)
                derived = derived.set(unit, fresh)
                e, w = _counts(fresh[1])
                errors, warnings = errors + e, warnings + w
            else:
                derived = _without(derived, unit)
        new._derived = derived
        new._unit_counts = (errors, warnings)
        # The GRAMMAPLANs and the problems between plans depend only on the loose files and
        # on which plans exist with which parent: most changes leave them as they were.
        same_outline = not any(r in self._loose or r in loose for r in recheck) and all(
            _outline(self._derived.get(u)) == _outline(derived.get(u)) for u in dirty_units
        )
        new._assemble(self, dirty_units, same_outline)
        return new

    def _walkable(self, rel: str) -> bool:
        """Would the walk reach ``rel``? (No skipped or stale-copy folder on the way.)"""
        return not N.excluded_path(rel)

    # -- queries -----------------------------------------------------------------------
    def plan(self, name: str) -> Plan | None:
        return self._by_name.get(name)

    def plan_of(self, rel: str) -> Plan | None:
        """The plan a workspace file belongs to (by its folder or its name), if any."""
        unit = self._owner.get(rel)
        return self._by_name.get(unit) if unit is not None else None

    @property
    def plans_by_name(self) -> MappingProxyType[str, Plan]:
        return MappingProxyType(self._by_name)

    def plan_problems(self, name: str) -> tuple[Problem, ...]:
        """The problems found while deriving one plan (its files and its PLAN)."""
        derived = self._derived.get(name)
        return derived[1] if derived else ()

    @property
    def files(self) -> int:
        return self._nfiles if self._index is not None else len(self._files)

    def doc(self, rel: str) -> Doc | None:
        return self._docs.get(rel)

    def read_text(self, rel: str, limit: int = 2 * 1024 * 1024) -> str:
        """A document's text, read fresh for display (decoded tolerantly, size-capped)."""
        root = self.root.resolve()
        path = (root / rel).resolve()
        if path != root and root not in path.parents:
            raise ValueError(f"{rel} is outside the workspace")
        from .text import decode, looks_binary, read_head

        data = read_head(str(path), path.stat().st_size, limit)
        if looks_binary(data):
            return f"{rel} is a binary file (it contains NUL bytes): not shown.\n"
        # Control characters other than tab and newline (escape sequences, carriage
        # returns, backspaces) would move a terminal's cursor: shown as "�".
        text = _CONTROL.sub("\ufffd", decode(data[:limit]))
        if len(data) > limit:
            shown = f"{limit // 1024**2} MB" if limit >= 1024**2 else f"{limit // 1024} KB"
            text += f"\n\n[… truncated: only the first {shown} are shown]\n"
        return text

    def to_json(self, plan: str | None = None) -> dict:
        """The ``llmflow status --json`` contract (DESIGN.md); with ``plan``, that plan and
        its own problems only (the other plans' achievements are not even read back)."""
        if plan is not None:
            found = self.plan(plan)
            return {
                "workspace": str(self.root),
                "plans": [_plan_json(found)] if found is not None else [],
                "problems": [p.to_json() for p in self.plan_problems(plan)],
            }
        return {
            "workspace": str(self.root),
            "plans": [_plan_json(p) for p in self.plans],
            "problems": [p.to_json() for p in self.problems],
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Workspace):
            return NotImplemented
        return (
            self.root == other.root
            and self.plans == other.plans
            and self.grammaplans == other.grammaplans
            and self.problems == other.problems
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Workspace {self.root} plans={len(self.plans)} problems={len(self.problems)}>"


def _plan_folder_of(ref: N.FileRef | None) -> tuple[str, str] | None:
    """(folder, feature) when ``ref`` is the PLAN that makes its folder a plan folder."""
    if ref is not None and ref.kind == N.PLAN and not ref.suffixes and ref.parent:
        if N.is_plan_folder_name(ref.parent.rsplit("/", 1)[-1], ref.feature):
            return ref.parent, ref.feature
    return None


def _outline(derived: tuple | None) -> tuple | None:
    """What of a derived plan the workspace-wide assembly depends on."""
    plan = derived[0] if derived is not None else None
    # The path too: "parent … not found" problems point at the PLAN file; the progress:
    # a GRAMMAPLAN table's Progress column is compared with it.
    return None if plan is None else (plan.name, plan.parent, plan.path, plan.progress)


def _counts(problems: Iterable[Problem]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = warnings = 0
    for p in problems:
        if p.severity == ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def _plan_folders(files: dict[str, N.FileRef]) -> dict[str, str]:
    """Plan folders: {folder rel: feature}. Those that hold ``PLAN_<folder name>.md``, and
    those renamed away from their PLAN's name (``_renamed_plan_of``)."""
    out = {}
    work = []
    for ref in files.values():
        folder_feat = _plan_folder_of(ref)
        if folder_feat is not None:
            out[folder_feat[0]] = folder_feat[1]
        elif ref.kind in (N.SUBPLAN, N.EXECUTION) and ref.feature:
            work.append(ref)
    named = dict(out)
    candidates: set[str] = set()
    for ref in work:
        if named.get(ref.parent.rpartition("/")[0]) == ref.feature:
            continue  # in the plan folder named for it: the usual case
        folder = _work_folder_of(ref)
        if folder is not None and f"{folder}/PLAN_{ref.feature}.md" in files:
            candidates.add(folder)
    for folder in candidates:
        feature = _renamed_plan_of(folder, files, named)
        if feature is not None:
            out[folder] = feature
    return out


def _work_folder_of(ref: N.FileRef) -> str | None:
    """``F`` for a file directly in ``F/subplans/`` or ``F/execution/``, when ``F`` lies below
    a ``plans/`` folder (the nested layout) and is no archive."""
    parent = ref.parent
    folder, _, sub = parent.rpartition("/")
    if sub not in ("subplans", "execution") or "/" not in folder:
        return None
    parts = folder.split("/")
    if not any(p.casefold() == "plans" for p in parts[:-1]):
        return None
    if N.archived_by_path(folder + "/x"):
        return None
    return folder


def _renamed_plan_of(folder: str, files, plan_folders) -> str | None:
    """The feature whose plan folder ``folder`` is although it is not named for it: it holds
    an unsuffixed ``PLAN_<F>.md`` and that plan's SUBPLANs or tasks in its ``subplans/`` or
    ``execution/``, for exactly one F, and no plan folder of its own (a grouping folder with
    a loose PLAN stays a group). Decided from names alone, like every plan folder."""
    name = folder.rsplit("/", 1)[-1]
    if folder in plan_folders and N.is_plan_folder_name(name, plan_folders[folder]):
        return None  # named for its own PLAN
    if any(
        f.rpartition("/")[0] == folder and N.is_plan_folder_name(f.rsplit("/", 1)[-1], feat)
        for f, feat in plan_folders.items()
    ):
        return None  # a group of plan folders
    inside = (folder + "/subplans/", folder + "/execution/")
    found = set()
    for rel, ref in files.items():
        if (
            ref.kind in (N.SUBPLAN, N.EXECUTION)
            and ref.feature
            and ref.feature not in found
            and rel.startswith(inside)
            and _work_folder_of(ref) == folder
        ):
            plan = files.get(f"{folder}/PLAN_{ref.feature}.md")
            if plan is not None and plan.kind == N.PLAN and not plan.suffixes:
                found.add(ref.feature)
    if len(found) != 1:
        return None
    (feature,) = found
    return None if N.is_plan_folder_name(name, feature) else feature


def _invert(plan_folders: dict[str, str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for folder, feat in plan_folders.items():
        out.setdefault(feat, []).append(folder)
    return {k: tuple(v) for k, v in out.items()}


def _plan_feature_counts(refs: Iterable[N.FileRef]) -> dict[str, int]:
    """{feature: how many files of kind PLAN name it} (anywhere, archived or not)."""
    out: dict[str, int] = {}
    for ref in refs:
        if ref.kind == N.PLAN and ref.feature:
            out[ref.feature] = out.get(ref.feature, 0) + 1
    return out


def _cut_short(plan_features) -> dict[str, str]:
    """{token: plan feature} for feature tokens read as cut short (FORMAT §3): a token no
    PLAN names that is a whole-word part of exactly one PLAN's feature at a "-" boundary
    (GRAPHRAG-OBSERVABILITY-VALIDATION ends with OBSERVABILITY-VALIDATION)."""
    found: dict[str, str | None] = {}
    for feat in plan_features:
        i = feat.find("-")
        while i != -1:
            for part in (feat[:i], feat[i + 1 :]):
                if part:
                    found[part] = feat if found.get(part, feat) == feat else None
            i = feat.find("-", i + 1)
    return {t: f for t, f in found.items() if f is not None and t not in plan_features}


def _unit_of(
    ref: N.FileRef, plan_folders: dict[str, str], cut_short: dict[str, str] | None = None
) -> str | None:
    """Which plan a file belongs to: its plan folder, else the feature token in its name (or
    the one plan that token looks cut short from, see ``_cut_short``)."""
    parent = ref.parent
    while parent:
        feat = plan_folders.get(parent)
        if feat is not None:
            return feat
        parent = parent.rsplit("/", 1)[0] if "/" in parent else ""
    if ref.unusable:
        return None  # reported with the loose files, not made an orphan plan
    if ref.kind in _UNIT_KINDS and ref.feature:
        return cut_short.get(ref.feature, ref.feature) if cut_short else ref.feature
    if ref.kind in _FEEDBACK_KINDS:
        # Archived feedback outside a plan folder: <feature>[-archive]/execution/feedbacks/.
        parts = ref.parent.split("/")
        if len(parts) >= 3 and parts[-1] == "feedbacks" and parts[-2] == "execution":
            guess = N.archive_folder_feature(parts[-3])
            if guess is not None:
                return cut_short.get(guess, guess) if cut_short else guess
    return None


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _files_folder(p: Plan) -> str:
    """Where an orphan's files are (it has no PLAN or plan folder to point at)."""
    for a in p.achievements:
        for rel in (a.subplan, *(x.path for x in a.executions), *a.feedback_files):
            if rel:
                return rel.rsplit("/", 1)[0] if "/" in rel else ""
    return ""


def _plan_json(p: Plan) -> dict:
    approved, total = p.progress
    return {
        "name": p.name,
        "path": p.path if p.path is not None else (p.folder or _files_folder(p)),
        "group": p.group,
        "state": p.state,
        "achievements": [
            {
                "id": a.id,
                "title": a.title,
                "state": a.state,
                "flags": list(a.flags),
                "subplan": a.subplan,
                # Live ones: a redo (_V2) replaces what it supersedes; archives are history
                # (except in an archived plan, which is all history).
                "executions": [
                    x.path
                    for x in a.executions
                    if not x.superseded and (p.archived or not x.archived)
                ],
                "feedback": a.feedback,
                "dependencies": list(a.dependencies),
            }
            for a in p.achievements
        ],
        "progress": {"approved": approved, "total": total},
    }


def load(
    root: str | Path,
    *,
    cache: bool = True,
    now: float | None = None,
    stale_days: float = 7.0,
    progress: Progress | None = None,
    write_cache: bool = True,
    names: Callable[[tuple[tuple[str, str | None], ...]], None] | None = None,
) -> Workspace:
    """Read a workspace. Raises ``NotADirectoryError`` only when ``root`` is not a folder;
    nothing inside the workspace can make it raise.

    ``names``: called with (plan name, group) pairs before the files are read, when that
    reading will take a while (a cold start); ``progress``: called with (done, total) files.
    ``write_cache=False`` leaves the cache to ``save_cache()``."""
    path = Path(root).expanduser().resolve()
    if not path.is_dir():
        raise NotADirectoryError(f"{root} is not a folder")
    with _gc_paused(freeze=True):
        ws = Workspace._load(
            path, cache=cache, settings=Settings(now, stale_days), progress=progress, names=names
        )
        if write_cache:
            ws.save_cache()
    return ws


@contextmanager
def _gc_paused(freeze: bool = False):
    """Loading allocates many small objects and frees almost none: the cyclic GC would run
    hundreds of times for nothing (it costs ~40% of a load on a large workspace).

    ``freeze``: move everything alive to the GC's permanent generation on the way out, so
    that the first collection after a load does not walk the whole new snapshot (a quarter
    of a second on a large workspace). Snapshots hold no reference cycles, so reference
    counting still frees a snapshot the moment it is replaced."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def quick_names(root: str | Path) -> tuple[tuple[str, str | None], ...]:
    """(plan name, group folder) for every plan, from file names alone (nothing is read)."""
    path = Path(root).expanduser().resolve()
    found = _classified(_walk(str(path))[0])
    return _names_from({rel: ref for rel, (ref, _m, _s) in found.items()})


def _names_from(files: dict[str, N.FileRef]) -> tuple[tuple[str, str | None], ...]:
    folders = _plan_folders(files)
    out: dict[str, str | None] = {}
    for folder, feat in folders.items():
        parent = folder.rsplit("/", 1)[0] if "/" in folder else ""
        out.setdefault(feat, N.group_of(parent))
    for _rel, ref in files.items():
        if (
            ref.kind == N.PLAN
            and ref.feature
            and _unit_of(ref, folders) == ref.feature
            and ref.feature not in out
            and N.group_of(ref.parent) is not None
        ):
            out[ref.feature] = N.group_of(ref.parent)
    return tuple(sorted(out.items(), key=lambda kv: (kv[1] or "", kv[0])))
