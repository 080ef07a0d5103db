"""The llmflow app: one keyboard-driven screen over a live workspace snapshot.

Workers read and parse off the UI thread and report with messages; only handlers here
change what is shown. A watchfiles loop feeds changed paths to ``Workspace.apply``.
"""

from __future__ import annotations

import gc
import os
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..actions.preview import achievement_brief, plan_summary
from ..model import Workspace, load
from ..model.types import Problem, plan_census
from .config import load_config
from .panes import (
    DependencyView,
    DetailsStrip,
    KeyFooter,
    NodeRef,
    PlanTree,
    ProgressPane,
    PromptPreview,
    is_narrow,
)
from .screens import HelpScreen, LogScreen, ProblemsScreen, SaveModal

PREVIEW_LIMIT = 512 * 1024  # bytes of a document shown in the preview


class ImportsWarmed(Message):
    """What the dependency view imports lazily (networkx) is imported."""


class NamesScanned(Message):
    def __init__(self, names) -> None:
        super().__init__()
        self.names = names


class LoadProgressed(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LoadProgressed)


class WorkspaceLoaded(Message):
    def __init__(self, ws: Workspace, seconds: float, why: str) -> None:
        super().__init__()
        self.ws = ws
        self.seconds = seconds
        self.why = why


class WorkspaceUpdated(Message):
    def __init__(self, ws: Workspace, paths: list[str], seconds: float) -> None:
        super().__init__()
        self.ws = ws
        self.paths = paths
        self.seconds = seconds

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued (older) message whether the next one (``message``) may
        # replace it: a newer snapshot supersedes this one; it inherits its paths for the log.
        if isinstance(message, WorkspaceUpdated):
            message.paths = sorted({*self.paths, *message.paths})
            message.seconds += self.seconds
            return True
        return False


class PreviewRead(Message):
    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title = title
        self.text = text


class MainScreen(Screen):
    """The four panes, the details strip and the footer."""

    # On a small terminal the footer shows the keys that fit, in this order of importance
    # (the rest are still keys, in `?` and ctrl+p); a pane's own keys (esc Back) come
    # where "" is.
    NARROW_ORDER = ("quit", "help", "filter", "problems", "", "edit", "reload", "copy", "log")
    NARROW_ORDER += ("save", "markdown")
    PALETTE_CELLS = 11  # "▏^p palette", docked at the right of a compact footer
    narrow = False

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        if not self.narrow:
            return bindings
        shown = self._keys_that_fit(bindings)
        return {
            key: active
            if key in shown or not active.binding.show
            else active._replace(binding=replace(active.binding, show=False))
            for key, active in bindings.items()
        }

    def _keys_that_fit(self, bindings: dict[str, ActiveBinding]) -> set[str]:
        """The footer's keys on a small terminal: the most important ones that fit its
        width (a compact footer key is "k Description" and a space)."""
        palette = self.app.COMMAND_PALETTE_BINDING
        order = {bid: i for i, bid in enumerate(self.NARROW_ORDER)}
        wanted = sorted(
            (
                (order.get(active.binding.id or "", order[""]), key, active.binding)
                for key, active in bindings.items()
                if active.binding.show and key != palette
            ),
            key=lambda item: item[0],
        )
        room = self.size.width - self.PALETTE_CELLS
        shown: set[str] = set()
        actions: set[str] = set()
        for _rank, key, binding in wanted:
            if binding.action in actions:  # the footer shows an action once
                shown.add(key)
                continue
            cells = cell_len(self.app.get_key_display(binding)) + len(binding.description) + 2
            if cells <= room:
                room -= cells
                shown.add(key)
                actions.add(binding.action)
        return shown

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield Input(
            placeholder="filter: name, state, group or flag (enter to keep, esc to clear)",
            id="filter",
        )
        with Horizontal(id="main"):
            yield PlanTree(id="tree")
            with Vertical(id="right"):
                yield Static(Text("1 progress   2 dependencies   3 preview"), id="tabs")
                yield ProgressPane(id="progress")
                yield DependencyView(id="deps")
                yield PromptPreview(id="preview")
        yield DetailsStrip(id="details")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.app.start()

    def on_resize(self, event) -> None:
        # The screen learns its new size after the app does: lay out from here.
        self.app._apply_layout()


class LlmflowApp(App):
    """llmflow: every plan and achievement of a methodology workspace, live."""

    CSS_PATH = "app.tcss"
    TITLE = "llmflow"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit llmflow"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key"),
        Binding("r", "reload", "Reload", id="reload", tooltip="Read the workspace again"),
        # Priority: handled as the key arrives, so the keys typed right after it (queued
        # already, as in a paste or on a busy start) reach the filter and not the tree.
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="Filter plans by name, state, group or flag",
            priority=True,
        ),
        Binding("e", "edit", "Edit", id="edit", tooltip="Open the selected file in $EDITOR"),
        Binding(
            "m",
            "toggle_markdown",
            "Markdown",
            id="markdown",
            tooltip="Toggle rendered markdown in the preview",
        ),
        Binding("c", "copy", "Copy", id="copy", tooltip="Copy the preview (OSC 52)"),
        Binding("s", "save", "Save", id="save", tooltip="Save the preview to a file"),
        Binding("p", "problems", "Problems", id="problems", tooltip="The problems list"),
        Binding("l", "log", "Log", id="log", tooltip="The activity log"),
        Binding(
            "1",
            "pane('progress')",
            "Progress",
            id="pane.progress",
            show=False,
            tooltip="At 80×24: show the progress pane",
        ),
        Binding(
            "2",
            "pane('deps')",
            "Deps",
            id="pane.deps",
            show=False,
            tooltip="At 80×24: show the dependency view",
        ),
        Binding(
            "3",
            "pane('preview')",
            "Preview",
            id="pane.preview",
            show=False,
            tooltip="At 80×24: show the preview",
        ),
    ]

    def __init__(
        self,
        root: Path,
        *,
        poll: bool = False,
        watch: bool = True,
        now: float | None = None,
        cache: bool = True,
        display_root: str | None = None,
    ) -> None:
        super().__init__(ansi_color=True)  # keep the terminal's own palette (SSH, tmux)
        self.root = Path(root).resolve()
        self.display_root = display_root or _home_relative(self.root)
        self.poll = (
            poll
            or bool(os.environ.get("LLMFLOW_POLL"))
            or bool(os.environ.get("WATCHFILES_FORCE_POLLING"))
        )
        self.watch_enabled = watch
        self.now = now
        self.use_cache = cache
        self.config = load_config(self.root)
        self.ws: Workspace | None = None
        self.selected: NodeRef = NodeRef("root")
        self.activity: list[str] = []
        self.narrow_pane = "preview"
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._last_input = 0.0  # monotonic time of the last key or mouse event
        self._applying = False
        self._latest: Workspace | None = None
        self.animation_level = "none"
        self.last_update_seconds: float | None = None
        self._filter_timer = None  # the pending (debounced) filter pass, if any
        self._can_edit: bool | None = None  # last footer state of "e"
        self._footer_width = 0  # the width the footer's keys were chosen for
        # perf_counter() when plan names, then complete states, were first painted
        # (read by benchmarks/bench_app.py).
        self.timings: dict[str, float] = {"created": time.perf_counter()}

    # -- lifecycle ---------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        try:
            self.theme = self.config.theme
        except Exception:
            self.log_activity(f"unknown theme {self.config.theme!r}; using ansi-dark")
            self.theme = "ansi-dark"
        if self.config.keys:
            self.set_keymap(self.config.keys)
        for msg in self.config.problems:
            self.log_activity(f"config: {msg}")

    def start(self) -> None:
        """Called once the main screen is composed: names first, then states, then live."""
        self._apply_layout()
        self.query_one(PlanTree).focus()
        self._update_topbar("scanning…")
        self._show_loading()
        self._load_workspace("start")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _idle_pause(self, quiet: float = 0.3, cap: float = 2.0):
        """A ``pause`` for background work: it waits while the user is typing (input in the
        last ``quiet`` seconds), ``cap`` seconds at most in all. Threads share the GIL, so
        work done meanwhile would slow every key down."""
        budget = [cap]

        def pause() -> None:
            while budget[0] > 0:
                wait = quiet - (time.monotonic() - self._last_input)
                if wait <= 0:
                    return
                wait = min(wait, budget[0])
                budget[0] -= wait
                time.sleep(wait)

        return pause

    def on_unmount(self) -> None:
        stop = getattr(self, "_stop_watching", None)
        if stop is not None:
            stop.set()
            self._end_watch_proc(wait=False)  # quitting does not wait for it

    def notify(self, message: str, *, markup: bool = False, **kwargs) -> None:
        """Notifications name files and quote errors: never markup unless asked."""
        super().notify(message, markup=markup, **kwargs)

    def _apply_layout(self) -> None:
        screen = self.screen
        if not isinstance(screen, MainScreen):
            return
        narrow = is_narrow(screen.size)
        screen.set_class(narrow, "narrow")
        if narrow != screen.narrow or (narrow and screen.size.width != self._footer_width):
            screen.narrow = narrow
            self._footer_width = screen.size.width  # a narrow footer fits keys to it
            self.refresh_bindings()
        for footer in screen.query(Footer):
            footer.compact = narrow
        self._render_topbar()
        for pane in ("progress", "deps", "preview"):
            for widget in screen.query(f"#{pane}"):
                widget.set_class(narrow and pane != self.narrow_pane, "hidden")
        # On a small terminal the progress table needs the whole width: it replaces the tree
        # (enter on a row goes back to the tree on that plan).
        for tree in screen.query(PlanTree):
            tree.set_class(narrow and self.narrow_pane == "progress", "hidden")
        tabs = Text()
        for i, (pane, label) in enumerate(
            (("progress", "progress"), ("deps", "dependencies"), ("preview", "preview")), 1
        ):
            tabs.append(f" {i} {label} ", style="reverse" if pane == self.narrow_pane else "dim")
        for widget in screen.query("#tabs"):
            widget.update(tabs, layout=False)

    def log_activity(self, line: str) -> None:
        self.activity.append(f"{time.strftime('%H:%M:%S')}  {line}")
        del self.activity[:-500]

    # -- workers (no widget access in here) --------------------------------------------
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_workspace(self, why: str) -> None:
        started = time.perf_counter()
        self.timings.setdefault("load_started", started)

        last = [0.0]

        def progress(done: int, total: int) -> None:
            # A few repaints a second at most: each message costs the loading thread the GIL.
            now = time.perf_counter()
            if now - last[0] >= 0.1 or done >= total:
                last[0] = now
                self.post_message(LoadProgressed(done, total))

        ws = load(
            self.root,
            cache=self.use_cache,
            now=self.now,
            stale_days=self.config.stale_days,
            progress=progress,
            write_cache=False,
            names=lambda found: self.post_message(NamesScanned(found)),
        )
        # A big snapshot is millions of long-lived objects: keep the cyclic GC from walking
        # them again and again (each full pass would freeze the UI for a moment).
        gc.freeze()
        self.timings.setdefault("loaded", time.perf_counter())
        if get_current_worker().is_cancelled:
            return  # a newer reload replaced this one
        with self._lock:
            self._latest = ws
        self.post_message(WorkspaceLoaded(ws, time.perf_counter() - started, why))

    @work(thread=True, exclusive=True, group="imports", exit_on_error=False)
    def _warm_imports(self) -> None:
        """Import what the dependency view's critical path needs (networkx) off the UI
        thread; the view shows the path once it is there."""
        from .graph import import_networkx

        self._idle_pause()()
        import_networkx()
        self.post_message(ImportsWarmed())

    @work(thread=True, exclusive=True, group="cache", exit_on_error=False)
    def _save_cache(self, ws: Workspace) -> None:
        """Write the parse cache once the screen shows the snapshot (pickling holds the GIL:
        done earlier, it would delay that first paint)."""
        ws.save_cache()
        # The first file change then costs one file, not the index.
        ws.warm_up(self._idle_pause())
        self.timings.setdefault("cache_saved", time.perf_counter())

    def _after_first_paint(self, ws: Workspace) -> None:
        """The snapshot is on screen: now write the cache and start watching (done earlier,
        both would compete with the start for the CPU). Nothing is missed meanwhile: once
        the watcher runs, a catch-up walk applies whatever changed since the load walked."""
        self._warm_imports()
        self._save_cache(ws)
        if self.watch_enabled and not getattr(self, "_watching", False):
            self._watching = True
            self._stop_watching = threading.Event()
            self._watch(ws)

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch(self, loaded: Workspace) -> None:
        """The file watcher: a child process (see ``watchproc``: setting up thousands of
        inotify watches holds the GIL), read from this thread; in this thread itself if no
        child can run. Change batches go to ``queue_changes``; the first, empty one says it
        is watching, and what changed before that is caught up with a walk."""
        caught_up = False
        for paths in self._watch_batches():
            try:
                if not caught_up:
                    caught_up = True
                    missed = loaded.changes_on_disk()
                    if missed:
                        self.call_from_thread(self.queue_changes, set(missed))
                if paths:
                    self.call_from_thread(self.queue_changes, paths)
            except RuntimeError:  # the app is closing
                return

    def _watch_batches(self):
        """Batches of changed paths from the watcher child, or from watchfiles here."""
        import json
        import subprocess
        import sys

        from .. import watchproc

        cmd = [sys.executable, "-m", "llmflow_tui.watchproc", str(self.root)]
        try:
            proc = subprocess.Popen(
                cmd + (["--poll"] if self.poll else []),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            proc = None
        if proc is not None:
            self._watch_proc = proc
            if self._stop_watching.is_set():  # stopped while it started
                self._end_watch_proc()
            started = False
            for line in proc.stdout:
                try:
                    paths = set(json.loads(line))
                except ValueError:
                    continue
                started = True
                yield paths
            self._end_watch_proc()
            if started or self._stop_watching.is_set():
                return
            self.call_from_thread(self.log_activity, "watcher process failed: watching here")
        yield from watchproc.batches(str(self.root), poll=self.poll, stop=self._stop_watching)

    def _end_watch_proc(self, wait: bool = True) -> None:
        """Stop the watcher child: it leaves when its stdin closes (also if this process
        dies). ``wait``: until it has gone."""
        proc = getattr(self, "_watch_proc", None)
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        if wait:
            try:
                proc.wait(timeout=2)
            except Exception:
                proc.kill()
                proc.wait()

    def queue_changes(self, paths: set[str]) -> None:
        with self._lock:
            self._pending.update(paths)
            if self._applying:
                return
            self._applying = True
        self._apply_changes()

    @work(thread=True, group="apply", exit_on_error=False)
    def _apply_changes(self) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, set()
                base = self._latest
                if not batch or base is None:
                    # Changes seen before the first load finished wait for it (not dropped).
                    self._pending |= batch
                    self._applying = False
                    return
            started = time.perf_counter()
            ws = base.apply(batch)
            with self._lock:
                if self._latest is not base:  # a reload replaced the base meanwhile: redo
                    self._pending |= batch
                    continue
                self._latest = ws
            self.post_message(WorkspaceUpdated(ws, sorted(batch), time.perf_counter() - started))

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _read_preview(self, ws: Workspace, rel: str) -> None:
        try:
            # A few hundred KB is any real document; megabytes would stall the text area.
            text = ws.read_text(rel, limit=PREVIEW_LIMIT)
        except (OSError, ValueError) as exc:
            text = f"Cannot read {rel}: {exc}"
        self.post_message(PreviewRead(rel, text))

    # -- message handlers --------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Workers never touch widgets; their failures become a visible error here."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.log_activity(f"{event.worker.name} failed: {error!r}")
            self.notify(
                f"{event.worker.name.strip('_')} failed: {error}", severity="error", timeout=8
            )
            if event.worker.group == "apply":
                with self._lock:
                    self._applying = False  # the next change starts a fresh apply

    def on_imports_warmed(self, message: ImportsWarmed) -> None:
        if self.ws is not None and self.selected is not None and self.selected.plan:
            self._show_selection()  # the critical path can be shown now

    def on_names_scanned(self, message: NamesScanned) -> None:
        if self.ws is None:
            self.query_one(PlanTree).show_names(self.root.name, message.names)
            self._mark_painted("names")
            self._update_topbar(f"{len(message.names)} plans found; reading files…")

    def on_load_progressed(self, message: LoadProgressed) -> None:
        if message.done < message.total:
            self._update_topbar(f"reading files {message.done}/{message.total}…")
        else:
            self._update_topbar(f"read {message.total} files; working out states…")

    def on_workspace_loaded(self, message: WorkspaceLoaded) -> None:
        self.log_activity(
            f"{message.why}: {plan_census(message.ws.plans)}, {message.ws.files} files, "
            f"{sum(message.ws.problem_counts)} problems in {message.seconds * 1000:.0f} ms"
        )
        self.show(message.ws)
        ws = message.ws
        if message.why == "reload":  # the screen may look the same: say it was done
            self.notify(f"Reloaded: {plan_census(ws.plans)}", timeout=2)
        self.call_after_refresh(lambda: self._after_first_paint(ws))
        if self._pending:
            self.queue_changes(set())  # changes that arrived while it was loading

    def on_workspace_updated(self, message: WorkspaceUpdated) -> None:
        if self.ws is not None and message.ws is self.ws:
            return
        summary = update_summary(self.ws, message.ws, message.paths, self.root)
        if summary:  # nothing worth a line: folders, editors' temp files
            self.log_activity(summary)
        self.last_update_seconds = message.seconds
        self.show(message.ws)

    def on_preview_read(self, message: PreviewRead) -> None:
        self.query_one(PromptPreview).show(message.title, message.text)

    @on(PlanTree.NodeSelected)
    def on_node_chosen(self, event: PlanTree.NodeSelected) -> None:
        """Enter on a document opens it in the preview (esc or tab to come back)."""
        ref = event.node.data
        if ref is not None and ref.kind in ("file", "grammaplan"):
            preview = self.query_one(PromptPreview)
            if self.screen.has_class("narrow"):
                self.action_pane("preview")
            preview.focus_text()

    @on(PlanTree.ItemSelected)
    def on_item_selected(self, message: PlanTree.ItemSelected) -> None:
        self.selected = message.ref
        self._show_selection()
        can_edit = self.selected_file() is not None
        if can_edit != self._can_edit:  # the footer is costly to rebuild
            self._can_edit = can_edit
            self.refresh_bindings()

    @on(Input.Changed, "#filter")
    def on_filter_changed(self, event: Input.Changed) -> None:
        # On a big workspace a filter pass costs ~0.1 s: wait for a pause in the typing.
        if self._filter_timer is not None:
            self._filter_timer.stop()
        delay = 0.15 if self.ws is not None and len(self.ws.plans) > 300 else 0.0
        if delay:
            self._filter_timer = self.set_timer(delay, lambda: self._apply_filter(event.value))
        else:
            self._apply_filter(event.value)

    def _apply_filter(self, value: str) -> None:
        self._filter_timer = None
        tree = self.query_one(PlanTree)
        tree.set_filter(value)
        if self.ws is not None:
            tree.show(self.root.name, self.ws.plans, self.ws.grammaplans)
            self.query_one(ProgressPane).show(self.visible_plans())
            self._show_selection()  # the dependency view follows the filter too

    @on(Input.Submitted, "#filter")
    def on_filter_submitted(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._apply_filter(event.value)
        self.query_one(PlanTree).focus()

    def on_key(self, event) -> None:
        filt = self.query("#filter")
        # Esc clears the filter while typing it, and also once kept (enter) from the tree.
        if (
            event.key == "escape"
            and filt
            and (
                filt.first().has_focus
                or (filt.first().value and isinstance(self.focused, PlanTree))
            )
        ):
            filt.first().value = ""
            filt.first().display = False
            self.query_one(PlanTree).focus()
            event.stop()

    # -- showing -----------------------------------------------------------------------
    def show(self, ws: Workspace) -> None:
        """Show a snapshot: every pane updates in place (selection, expansion, scroll kept)."""
        first = self.ws is None
        self.ws = ws
        if first:
            self._mark_painted("complete")
        tree = self.query_one(PlanTree)
        tree.show(self.root.name, ws.plans, ws.grammaplans)
        progress = self.query_one(ProgressPane)
        progress.now = self.now
        progress.show(self.visible_plans())
        errors, warnings = ws.problem_counts
        # As the tree's root counts them: plans' achievements, not orphans' or archives'.
        achievements = sum(p.tally.total for p in ws.plans if not p.orphan and not p.archived)
        live = (" · live" + (" (polling)" if self.poll else "")) if self.watch_enabled else ""
        census = plan_census(ws.plans)
        problems = f"{_n(errors, 'error')}, {_n(warnings, 'warning')} (p){live}"
        self._update_topbar(
            f"{census} · {_n(achievements, 'achievement')} · {problems}",
            # Shorter forms for a long path or a narrow terminal, the first that fits.
            f"{census} · {problems}",
            f"{census.split(',')[0]} · {problems}",
            f"{census.split(',')[0]} · {errors} err {warnings} warn{live}",
        )
        self._show_selection()
        self._apply_layout()
        can_edit = self.selected_file() is not None
        if first or can_edit != self._can_edit:  # copy/save/edit may have become possible
            self._can_edit = can_edit
            self.refresh_bindings()

    def _mark_painted(self, what: str) -> None:
        def mark() -> None:
            self.timings.setdefault(what, time.perf_counter())
            trace = os.environ.get("LLMFLOW_TIMINGS")
            if trace and what == "complete":
                _write_timings(trace, self.timings)

        self.call_after_refresh(mark)

    def visible_plans(self):
        """The plans the filter lets through (all of them without a filter)."""
        tree = self.query_one(PlanTree)
        return tuple(p for p in self.ws.plans if tree.matches(p)) if self.ws else ()

    def _update_topbar(self, status: str, *shorter: str) -> None:
        self._topbar = (status, *shorter)
        self._render_topbar()

    def _render_topbar(self) -> None:
        bar = self.query("#topbar")
        if not bar:
            return
        forms = getattr(self, "_topbar", ("",))
        width = self.size.width
        root = self.display_root
        status = next((f for f in forms if len(root) + len(f) + 12 <= width), forms[-1])
        if len(root) + len(status) + 12 > width:
            root = self.root.name  # the folder name is enough when space is short
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" llmflow ", style="bold reverse")
        text.append(f" {root} ", style="bold")
        text.append(status, style="dim")
        bar.first().update(text, layout=False)

    def _show_selection(self) -> None:
        ws = self.ws
        if ws is None:
            self._show_loading()
            return
        ref = self.selected
        try:
            details = self.query_one("#details", Static)
            deps = self.query_one(DependencyView)
            preview = self.query_one(PromptPreview)
        except NoMatches:  # a late message while the app shuts down
            return
        plan = ws.plan(ref.plan) if ref.plan else None
        if ref.kind in ("root", "group", "loading") or (ref.plan and plan is None):
            deps.show_workspace(self.visible_plans(), ws.grammaplans, len(ws.plans))
            shown = self.visible_plans()
            preview.show(
                "workspace",
                workspace_summary(
                    ws, self.display_root, plans=shown if len(shown) < len(ws.plans) else None
                ),
            )
            details.update(
                Text(f"{self.display_root}: {plan_census(ws.plans)}", style="dim"), layout=False
            )
            return
        if ref.kind == "grammaplan":
            deps.show_workspace(self.visible_plans(), ws.grammaplans, len(ws.plans))
            details.update(Text(ref.path or ""), layout=False)
            self._read_preview(ws, ref.path)
            return
        deps.show_plan(plan, self.now, ws.plans_by_name, ws.grammaplans)
        self.query_one(ProgressPane).follow(plan.name)
        if ref.kind == "plan":
            why = "; ".join(r.text for r in plan.reasons)
            details.update(
                Text.assemble((f"{plan.name}: {plan.state}", "bold"), f" — {why}"), layout=False
            )
            preview.show(plan.name, plan_summary(plan))
            return
        if ref.kind == "file" and not ref.achievement and ref.path:  # the PLAN, parallel.json
            details.update(Text.assemble((f"{plan.name}: ", "bold"), ref.path), layout=False)
            self._read_preview(ws, ref.path)
            return
        a = plan.achievement(ref.achievement) if ref.achievement else None
        if a is None:
            return
        why = "; ".join(r.text + _where(r) for r in a.reasons)
        details.update(
            Text.assemble((f"{plan.name} {a.id}: {a.state}", "bold"), f" — {why}"), layout=False
        )
        if ref.kind == "file" and ref.path:
            self._read_preview(ws, ref.path)
        else:
            preview.show(f"{plan.name} {a.id}", achievement_brief(plan, a))

    def _show_loading(self) -> None:
        """Before the first snapshot: say what is happening where the details will be."""
        for details in self.query("#details"):
            name = self.selected.plan
            details.update(
                Text(f"{name}: reading its files…" if name else "Reading the workspace…", "dim"),
                layout=False,
            )

    def selected_file(self) -> str | None:
        ref, ws = self.selected, self.ws
        if ws is None:
            return None
        if ref.kind in ("file", "grammaplan"):
            return ref.path
        plan = ws.plan(ref.plan) if ref.plan else None
        if plan is None:
            return None
        if ref.kind == "achievement":
            a = plan.achievement(ref.achievement)
            if a is not None:
                live = [x.path for x in a.live_executions]
                return a.subplan or (live[-1] if live else None) or plan.path
        return plan.path

    # -- actions -----------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quit; keys typed after ``q`` (quitting a big workspace takes a moment) do nothing."""
        self._quitting = True
        self.exit()

    def check_action(self, action: str, parameters) -> bool | None:
        if getattr(self, "_quitting", False):
            return False
        if action == "edit":
            return self.selected_file() is not None
        if action in ("copy", "save"):
            return self.ws is not None
        if action == "filter":  # a "/" typed into a text field stays there
            return isinstance(self.screen, MainScreen) and not isinstance(self.focused, Input)
        if action == "pane":
            return self.screen.has_class("narrow") if isinstance(self.screen, MainScreen) else False
        return True

    def action_reload(self) -> None:
        self.log_activity("reload requested")
        self._update_topbar("reloading…")
        self._load_workspace("reload")

    def action_filter(self) -> None:
        filt = self.query_one("#filter", Input)
        filt.display = True
        # Focus now, not via ``focus()`` (which queues it): keys typed right after "/" and
        # already waiting in the queue (a busy start, a paste over SSH) must go to the filter.
        self.screen.set_focus(filt)

    def action_help(self) -> None:
        rows = [(self.key_for(b), b.tooltip or b.description, b.id or "") for b in self.BINDINGS]
        rows += [
            ("↑ ↓ / j k", "Move in the plan tree or the progress table", "tree.down, tree.up"),
            ("enter", "Expand or collapse; on a progress row: that plan", "tree"),
            ("tab", "Next pane (scroll the preview with the arrows)", ""),
            (
                "ctrl+p",
                "Command palette: every action, and 'plan: go to …' (also in a dialog)",
                "palette",
            ),
            ("esc", "Clear the filter / close a dialog", ""),
            ("p l ?", "In a dialog: go to the problems, the log or this help", ""),
        ]
        self.push_screen(HelpScreen(rows))

    def action_problems(self) -> None:
        if self.ws is None:
            return

        def jump(problem: Problem | None) -> None:
            if problem is None or self.ws is None:
                return
            tree = self.query_one(PlanTree)
            plan = self.ws.plan_of(problem.path)
            if plan is not None:
                for a in plan.achievements:
                    files = a.subplans + tuple(x.path for x in a.executions) + a.feedback_files
                    if problem.path in files:
                        # The file itself where the tree lists it, else its achievement.
                        tree.select_path(plan.name, a.id, problem.path)
                        return
                if problem.path in (plan.path, plan.parallel_json):
                    tree.select_path(plan.name, None, problem.path)
                else:
                    tree.select_path(plan.name)
                return
            for plan in self.ws.plans:  # a folder: the plan it is in
                folder = plan.folder and plan.folder.rstrip("/") + "/"
                if problem.path == plan.path or (folder and problem.path.startswith(folder)):
                    tree.select_path(plan.name)
                    return

        self.push_screen(ProblemsScreen(self.ws.problems), jump)

    def action_log(self) -> None:
        self.push_screen(LogScreen(list(self.activity)))

    def action_toggle_markdown(self) -> None:
        rendered = self.query_one(PromptPreview).toggle_rendered()
        self.notify("rendered markdown" if rendered else "raw text", timeout=1.5)

    def action_focus_tree(self) -> None:
        if self.screen.has_class("narrow") and self.narrow_pane == "progress":
            self.action_pane("preview")
        self.query_one(PlanTree).focus()

    def action_pane(self, pane: str) -> None:
        self.narrow_pane = pane
        self._apply_layout()
        if pane == "progress":
            self.query_one(ProgressPane).focus()
        else:
            self.query_one(PlanTree).focus()

    @on(DataTable.RowSelected, "#progress")
    def on_progress_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a progress row: that plan in the tree (and back to the tree when narrow)."""
        name = event.row_key.value
        if not name or name == "__more__":
            return
        if self.narrow_pane == "progress" and self.screen.has_class("narrow"):
            self.narrow_pane = "preview"
            self._apply_layout()
        tree = self.query_one(PlanTree)
        tree.select_path(name)
        tree.focus()

    def action_copy(self) -> None:
        text = self.query_one(PromptPreview).text
        self.copy_to_clipboard(text)  # OSC 52: reaches the local clipboard over SSH
        self.log_activity(f"copied {len(text)} characters")
        self.notify(f"Copied {len(text)} characters to the clipboard (OSC 52).", timeout=2)
        if _local_clipboard():
            self._copy_locally(text)

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _copy_locally(self, text: str) -> None:
        """pyperclip too where a local clipboard exists (xclip can hang: not on the UI thread);
        any failure is only logged — OSC 52 already did the job in most terminals."""
        try:
            import pyperclip

            pyperclip.copy(text)
        except Exception as exc:
            self.call_from_thread(self.log_activity, f"local clipboard: {exc}")

    def save_base(self) -> tuple[Path, str]:
        """Where a saved preview goes, and how the save dialog names it: the workspace, but
        never the bundled demo (it lives inside the installed package): the current folder
        then, or the home folder if that is inside the package too."""
        package = Path(__file__).resolve().parents[1]
        if not self.root.is_relative_to(package):
            return self.root, "the workspace"
        cwd = Path.cwd().resolve()
        if not cwd.is_relative_to(package):
            return cwd, "the current folder"
        return Path.home(), "your home folder"

    def action_save(self) -> None:
        preview = self.query_one(PromptPreview)
        stem = (preview.title or "preview").replace("/", "_").replace(" ", "_")
        stem = stem.rsplit(".", 1)[0]
        base, where = self.save_base()
        # A free name: saving the same preview twice offers X-2.md, then X-3.md, …
        suggestion, n = f".llmflow/saved/{stem}.md", 1
        while (base / suggestion).exists() or (base / suggestion).is_symlink():
            n += 1
            suggestion = f".llmflow/saved/{stem}-{n}.md"

        def save(rel: str | None) -> None:
            if not rel:
                return
            from ..fsio import ConfinementError, FileExistsConflict, write_text

            try:
                path = write_text(base, rel, preview.text, overwrite=False)
            except FileExistsConflict:
                self.notify(f"{rel} exists: not overwritten.", severity="error")
            except (ConfinementError, OSError) as exc:
                self.notify(f"Not saved: {exc}", severity="error")
            else:
                self.log_activity(f"saved preview to {path}")
                self.notify(f"Saved to {_home_relative(path) if base != self.root else rel}")

        self.push_screen(SaveModal(suggestion, where), save)

    def action_edit(self) -> None:
        rel = self.selected_file()
        if rel is None:
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        path = str(self.root / rel)
        line = None
        ref, plan = self.selected, self.ws.plan(self.selected.plan or "") if self.ws else None
        if ref.kind == "achievement" and plan is not None and rel == plan.path:
            a = plan.achievement(ref.achievement or "")
            line = a.line if a is not None else None  # at its definition, not line 1
        try:
            with self.suspend():
                subprocess.call(editor_argv(shlex.split(editor), path, line))
        except Exception as exc:  # e.g. no terminal to hand over (web, tests)
            self.notify(f"Cannot open an editor here: {exc}", severity="warning")
            return
        self.log_activity(f"edited {rel}")
        self.queue_changes({path})

    def key_for(self, binding: Binding) -> str:
        """The key a binding is on now (the user's keymap wins), for display."""
        key = self._keymap.get(binding.id or "", binding.key) if binding.id else binding.key
        return self.get_key_display(replace(binding, key=key.split(",")[0]))

    def get_system_commands(self, screen: Screen):
        """Every binding, namespaced ("view: …", "plan: …"), plus commands for the context:
        a jump to any plan, and tree commands for the selected plan. They work from a dialog
        too: choosing one closes the dialog first. Of Textual's own commands only the theme
        switcher is kept (Quit and Keys repeat "app: quit" and "?")."""
        for command in super().get_system_commands(screen):
            if command.title == "Theme":
                yield SystemCommand("app: theme", command.help, command.callback)
        names = {
            "quit": "app",
            "help": "app",
            "reload": "workspace",
            "filter": "view",
            "edit": "file",
            "markdown": "view",
            "copy": "preview",
            "save": "preview",
            "problems": "view",
            "log": "view",
            "pane.progress": "view",
            "pane.deps": "view",
            "pane.preview": "view",
        }
        for b in self.BINDINGS:
            if b.id in names and self._offered(b.action.split("(")[0]):
                yield SystemCommand(
                    f"{names[b.id]}: {b.description.lower()}",
                    f"{b.tooltip} ({self.key_for(b)})",
                    self._on_main(lambda action=b.action: self.run_action(action)),
                )
        if self.ws is None:
            return
        yield SystemCommand(
            "view: expand all plans",
            "Show every achievement (expand every plan)",
            self._on_main(lambda: self.query_one(PlanTree).expand_plans(True)),
        )
        yield SystemCommand(
            "view: collapse all plans",
            "Plans only (collapse every plan)",
            self._on_main(lambda: self.query_one(PlanTree).expand_plans(False)),
        )
        for plan in self.ws.plans:
            done, total = plan.progress
            yield SystemCommand(
                f"plan: go to {plan.name}",
                f"{plan.state.replace('_', ' ')}, {done}/{total} approved",
                self._on_main(lambda name=plan.name: self.go_to_plan(name)),
            )

    def _main_screen(self) -> MainScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def _offered(self, action: str) -> bool:
        """Whether the palette offers an action: judged on the main screen, whatever is
        open over it (the palette itself, a dialog), since choosing it closes those."""
        if action == "filter":
            return self._main_screen() is not None
        if action == "pane":
            main = self._main_screen()
            return main is not None and main.has_class("narrow")
        return self.check_action(action, ()) is not False

    def _on_main(self, command):
        """``command`` run on the main screen: any dialog over it is closed first. What it
        returns (a coroutine from ``run_action``) the palette awaits."""

        def run():
            while len(self.screen_stack) > 1 and not isinstance(self.screen, MainScreen):
                self.screen.dismiss(None)  # a result of None: the dialogs do nothing with it
            return command()

        return run

    def go_to_plan(self, name: str) -> None:
        """Select a plan in the tree, and scroll so that it and its shown children are on
        screen with the plan near the top when they would reach past the bottom."""
        tree = self.query_one(PlanTree)
        tree.select_path(name)

        def lift() -> None:  # after the tree's own reveal (call_after_refresh is in order)
            node = tree.cursor_node
            if node is None or node.line < 0:
                return
            rows = _shown_rows(node)
            bottom = tree.scroll_offset.y + tree.scrollable_content_region.height
            if node.line + rows >= bottom:
                tree.scroll_to(y=max(0, node.line - 2), animate=False)

        tree.call_after_refresh(lift)


def _shown_rows(node) -> int:
    """Lines a tree node takes with its expanded descendants."""
    if not node.is_expanded:
        return 1
    return 1 + sum(_shown_rows(child) for child in node.children)


def _where(reason) -> str:
    """ " (FILE:line)" after a reason, without repeating a file name the text already has."""
    if not reason.path:
        return ""
    name = reason.path.rsplit("/", 1)[-1]
    line = f":{reason.line}" if reason.line else ""
    if name in reason.text:
        return f" (line {reason.line})" if reason.line else ""
    return f" ({name}{line})"


def _local_clipboard() -> bool:
    if os.name == "nt":
        return True
    if sys.platform == "darwin":
        return not os.environ.get("SSH_CONNECTION")
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _write_timings(path: str, timings: dict[str, float]) -> None:
    """LLMFLOW_TIMINGS=<file>: append one JSON line of start-up stamps, in seconds since the
    ``llmflow`` command started (or since the app was created, when run otherwise)."""
    import json

    cli = sys.modules.get("llmflow_tui.cli")
    origin = getattr(cli, "STARTED", timings["created"])
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({k: round(v - origin, 4) for k, v in timings.items()}) + "\n")
    except OSError:
        pass


def _home_relative(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home)) if path != home else "~"
    except ValueError:
        return str(path)


# Editors that open a file at a line given as "+N" before it.
_PLUS_LINE = {"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro", "kak", "ne"}


def editor_argv(editor: list[str], path: str, line: int | None) -> list[str]:
    """The command that opens ``path`` in ``editor``, at ``line`` where the editor's way to
    say so is known (``+N``, VS Code's ``-g path:N``, helix's ``path:N``)."""
    name = os.path.basename(editor[0]) if editor else ""
    if not line:
        return [*editor, path]
    if name in _PLUS_LINE:
        return [*editor, f"+{line}", path]
    if name in ("code", "codium", "code-insiders"):
        return [*editor, "-g", f"{path}:{line}"]
    if name in ("hx", "helix"):
        return [*editor, f"{path}:{line}"]
    return [*editor, path]


def update_summary(old: Workspace | None, new: Workspace, paths, root: Path) -> str:
    """An activity-log line for a live update: the methodology files that changed (editors'
    temp files left out), then the plans whose progress or state moved; "" if neither."""
    from ..model.names import might_be_methodology

    files = [p for p in sorted(paths) if might_be_methodology(os.path.basename(p))]
    # Five named (a stat each: this runs on the UI thread, and a checkout changes thousands).
    shown = ", ".join(
        os.path.relpath(p, root) + ("" if os.path.exists(p) else " (removed)") for p in files[:5]
    ) + (f" (+{len(files) - 5})" if len(files) > 5 else "")
    moved = []
    if old is not None:
        before = old.plans_by_name
        for plan in new.plans:
            was = before.get(plan.name)
            if was is plan:
                continue
            if was is None:
                moved.append(f"{plan.name} new")
            elif (was.state, was.progress) != (plan.state, plan.progress):
                (a, t), (b, u) = was.progress, plan.progress
                state = f" {was.state} → {plan.state}" if was.state != plan.state else ""
                moved.append(f"{plan.name} {a}/{t} → {b}/{u}{state}")
        moved += [f"{name} gone" for name in before if name not in new.plans_by_name]
    if not files and not moved:
        return ""
    text = f"changed: {shown or f'{len(paths)} path(s)'}"
    if moved:
        text += " · " + "; ".join(moved[:3]) + (f" (+{len(moved) - 3})" if len(moved) > 3 else "")
    return text


def workspace_summary(ws: Workspace, name: str, limit: int = 40, plans=None) -> str:
    """The root's preview: plans by state, what is ready across plans, the errors (each list
    capped: on a big workspace the full lists are the progress table and `p`). ``plans``:
    the ones a filter lets through (the counts and lists are theirs)."""
    lines = [f"# Workspace {name}", "", f"{plan_census(ws.plans)}, {ws.files} files", ""]
    if plans is not None:
        lines += [f"Filtered: {plan_census(plans)} shown.", ""]
    else:
        plans = ws.plans
    by_state: dict[str, int] = {}
    for p in plans:
        if not p.orphan and not p.archived:
            by_state[p.state] = by_state.get(p.state, 0) + 1
    for state, n in sorted(by_state.items()):
        lines.append(f"- {state}: {n}")
    ready = [
        p
        for p in plans
        if p.ready and not p.orphan and not p.archived and p.state != "complete_unverified"
    ]
    plural = "" if len(ready) == 1 else "s"
    lines += ["", f"## Ready now (across plans): {len(ready)} plan{plural}", ""]
    lines += [f"- {p.name}: {', '.join(p.ready)}" for p in ready[:limit]]
    if len(ready) > limit:
        lines.append(f"- … {len(ready) - limit} more (the progress table has them all)")
    # The whole problem list is built only when it holds errors to name.
    errors = [p for p in ws.problems if p.severity == "error"] if ws.problem_counts[0] else []
    if errors:
        lines += ["", f"## Errors: {len(errors)}", ""]
        lines += [
            f"- {p.path}{':' + str(p.line) if p.line else ''}: {p.message}" for p in errors[:limit]
        ]
        if len(errors) > limit:
            lines.append(f"- … {len(errors) - limit} more (press p)")
    return "\n".join(lines) + "\n"
