"""The panes of the main screen. Each receives immutable model snapshots and reports with
messages; none of them touches the filesystem or app state.

| Pane | Shows |
|---|---|
| `PlanTree` | workspace → group → plan → achievement → SUBPLAN / EXECUTION_TASK / feedback |
| `ProgressPane` | per plan: bar, approved/total, ready/running/in review/blocked, needs-fix, stale, ETA |
| `DependencyView` | the selected plan's waves, blocked chains and critical path |
| `PromptPreview` | the selected document or a generated brief, raw or rendered |
| `DetailsStrip` | why the selection has its state, cut with "…" to its lines |
| `KeyFooter` | the keys that apply now (Textual's `Footer`, rebuilt only when they change) |
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Span, Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Footer, Markdown, Static, TextArea, Tree
from textual.widgets.data_table import ColumnKey
from textual.widgets.tree import TreeNode

from ..model.types import Achievement, Plan

STATE_ICON = {
    "approved": ("✔", "green"),
    "needs_fix": ("✘", "red"),
    "awaiting_review": ("◎", "yellow"),
    "executing": ("▶", "cyan"),
    "subplan_ready": ("◇", "blue"),
    "not_started": ("·", "bright_black"),
}
PLAN_ICON = {
    "complete": ("✔", "green"),
    "complete_unverified": ("✔?", "yellow"),
    "needs_attention": ("✘", "red"),
    "active": ("●", "cyan"),
    "not_started": ("○", "bright_black"),
}


class KeyFooter(Footer):
    """Textual's ``Footer``, rebuilt only when the keys it shows change.

    ``Footer`` rebuilds itself on every ``refresh_bindings`` (focus moves, screen changes,
    selection changes), restyling each key twice; over a start that is a third of a second
    spent drawing the same keys again."""

    _shown: tuple | None = None

    def bindings_changed(self, screen) -> None:
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return super().bindings_changed(screen)
        self._bindings_ready = True
        self.call_after_refresh(self._rebuild_if_changed)

    def _keys(self) -> tuple:
        app = self.app
        return tuple(
            (key, b.key, b.action, b.description, b.show, b.group, enabled, tooltip)
            + (app.get_key_display(b),)
            for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
            if b.show or key == app.COMMAND_PALETTE_BINDING
        )

    async def _rebuild_if_changed(self) -> None:
        if not self.is_attached:
            return
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for."""

    kind: str  # "root" | "group" | "plan" | "achievement" | "file" | "grammaplan" | "loading"
    plan: str | None = None
    achievement: str | None = None
    path: str | None = None
    label: str | None = None  # group name


def spans_text(parts: list[tuple[str, str]]) -> Text:
    """One Text from (text, style) parts, built with spans (``Text.append`` per part costs
    several times more, and a tree of thousands of plans makes a label per plan)."""
    plain: list[str] = []
    spans: list[Span] = []
    pos = 0
    for part, style in parts:
        end = pos + len(part)
        if style:
            spans.append(Span(pos, end, style))
        plain.append(part)
        pos = end
    return Text("".join(plain), spans=spans)


def is_narrow(size) -> bool:
    """A small terminal (80×24 and the like): one right-hand pane at a time, dialogs take the
    whole screen, footers compact."""
    return size.width < 100 or size.height < 30


NAME_LIMIT = 26  # a default cut; the tree fits names to its own width (FitLabel)
MIN_NAME = 3  # "A…Z": the shortest cut name (the counts after it matter more)
READABLE_NAME = 9  # "FEAT…0012": below this a cut name no longer tells plans apart


class FitLabel(Text):
    """A tree label that fits the tree's width when drawn, without losing its end: its
    ``cut`` span (a name) is middle-cut first, down to ``READABLE_NAME`` cells; then the
    part after it takes its ``short`` form if it has one; then the name is cut further, down
    to ``MIN_NAME``; and only then is the end cut, with "…" (the label says it goes on)."""

    __slots__ = ("cut", "short")

    def fitted(self, room: int) -> Text:
        """This label in at most ``room`` cells."""
        if self.cell_len <= room:
            return self
        start, end = self.cut
        head, name, tail = self.divide([start, end])
        short = getattr(self, "short", None)
        readable = min(len(name), READABLE_NAME)
        if short is not None and head.cell_len + readable + tail.cell_len > room:
            tail = short.copy()
        excess = head.cell_len + name.cell_len + tail.cell_len - room
        if excess > 0 and len(name) > MIN_NAME:
            name = _middle_cut(name, max(MIN_NAME, len(name) - excess))
        out = head
        out.append_text(name)
        out.append_text(tail)
        if out.cell_len > room:
            out.truncate(max(room, 1), overflow="ellipsis")
        return out


def _middle_cut(name: Text, keep: int) -> Text:
    """``name`` in ``keep`` cells: its start, "…", its end (FEAT…0012)."""
    back = (keep - 1) // 2
    out = name[: keep - 1 - back]
    out.append("…", style=name.spans[0].style if name.spans else None)
    out.append_text(name[len(name) - back :])
    return out


def fit_label(
    parts: list[tuple[str, str]], cut: int, short: str | list[tuple[str, str]] | None = None
) -> FitLabel:
    """``spans_text`` whose part number ``cut`` (the name) may be shortened to fit;
    ``short``: a shorter form of the parts after it (a string takes the first one's style)."""
    text = spans_text(parts)
    start = sum(len(part) for part, _style in parts[:cut])
    label = FitLabel(text.plain, spans=text.spans)
    label.cut = (start, start + len(parts[cut][0]))
    label.short = None
    if isinstance(short, list):
        label.short = spans_text(short)
    elif short is not None and cut + 1 < len(parts):
        label.short = Text(short, style=parts[cut + 1][1])
    return label


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` cut to ``limit`` with "…" in the middle, keeping its start and its end
    (FEATURE0012 and FEATURE0019 stay apart; the details strip shows it whole)."""
    if len(name) <= limit:
        return name
    if limit < 3:
        return name[:limit]
    tail = (limit - 1) // 2
    return name[: limit - 1 - tail] + "…" + name[len(name) - tail :]


def plan_label(plan: Plan) -> Text:
    icon, style = PLAN_ICON.get(plan.state, ("?", ""))
    tally = plan.tally
    parts = [
        (f"{icon} ", style),
        (plan.name, "bold" if plan.state != "not_started" else ""),
        (f"  {tally.approved}/{tally.total}", "dim"),
    ]
    if tally.needs_fix:
        parts.append((f" fix:{tally.needs_fix}", "red"))
    if tally.stale:
        parts.append((f" stale:{tally.stale}", "yellow"))
    for m in plan.markers:
        parts.append((f" [{m}]", "magenta"))
    if plan.orphan:
        parts.append((" [orphan]", "magenta"))
    if plan.archived:
        parts.append((" [archived]", "dim"))
    return fit_label(parts, 1)


def plan_file_label(kind: str, rel: str) -> Text:
    """A plan's own document under its node: the PLAN itself, its parallel.json."""
    return fit_label([(f"{kind} ", "magenta"), (rel.rsplit("/", 1)[-1], "dim")], 1)


def achievement_label(a: Achievement) -> Text:
    icon, style = STATE_ICON.get(a.state, ("?", ""))
    parts = [(f"{icon} ", style), (f"{a.id} ", "bold"), (a.title or "(untitled)", "")]
    if a.state == "executing":
        k, n = a.executions_done
        parts.append((f"  {k}/{n}", "cyan"))
    elif a.archived_work:  # history, not counted: say it is there
        parts.append((f"  archived{' (done)' if a.archived_work == 'done' else ''}", "dim"))
    tail = parts[3:]
    parts += [_flag_part(f, f) for f in a.flags]
    if any(f in SHORT_FLAG for f in a.flags):
        # In a narrow tree a long flag would leave the title a few letters: a shorter word.
        short = [*tail, *(_flag_part(f, SHORT_FLAG.get(f, f)) for f in a.flags)]
        return fit_label(parts, 2, short=short)
    return fit_label(parts, 2)


def _flag_part(flag: str, word: str) -> tuple[str, str]:
    return f" {word}", "red" if flag == "blocked" else "yellow"


SHORT_FLAG = {"resolution_submitted": "answered"}  # a FIX answered, to review again


def reconcile(
    parent: TreeNode[NodeRef], wanted: list[tuple[NodeRef, Text, bool]]
) -> dict[NodeRef, TreeNode[NodeRef]]:
    """Make ``parent``'s children show ``wanted`` (key, label, expandable) in order, keeping
    the node objects of keys that stay (their cursor, expansion and children) and setting
    only the labels that changed. Returns the nodes by key."""
    keys = [ref for ref, _label, _expandable in wanted]
    keyset = set(keys)
    existing = {c.data: c for c in parent.children}
    surviving = [c.data for c in parent.children if c.data in keyset]
    if surviving != [k for k in keys if k in existing] or len(existing) != len(parent.children):
        # Reordered (or duplicate keys): rebuild, keeping each node's expansion.
        expanded = {c.data for c in parent.children if c.is_expanded}
        parent.remove_children()
        existing = {}
    else:
        expanded = set()
        for child in list(parent.children):
            if child.data not in keyset:
                child.remove()
    nodes: dict[NodeRef, TreeNode[NodeRef]] = {}
    for i, (ref, label, expandable) in enumerate(wanted):
        node = existing.get(ref)
        if node is None:
            before = i if i < len(parent.children) else None
            if expandable:
                node = parent.add(label, data=ref, before=before)
            else:
                node = parent.add_leaf(label, data=ref, before=before)
            if ref in expanded:
                node.expand()
        elif node.label != label:
            node.set_label(label)
        nodes[ref] = node
    return nodes


class PlanTree(Tree[NodeRef]):
    """The workspace as a tree. Achievements are added when a plan is expanded (lazy), and
    ``show`` updates labels in place by key so expansion and cursor survive reloads.

    | Key | Action |
    |---|---|
    | up/down, j/k | move |
    | enter/space | expand or collapse |
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down", tooltip="Next node"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up", tooltip="Previous node"),
    ]

    class ItemSelected(Message):
        """The highlighted node changed."""

        def __init__(self, ref: NodeRef) -> None:
            super().__init__()
            self.ref = ref

    def __init__(self, **kwargs) -> None:
        super().__init__("workspace", data=NodeRef("root"), **kwargs)
        self.show_root = True
        self.guide_depth = 2
        self.auto_expand = False  # see action_select_cursor
        self._plans: dict[str, Plan] = {}
        self._plan_nodes: dict[str, TreeNode[NodeRef]] = {}
        self._group_nodes: dict[str, TreeNode[NodeRef]] = {}
        self._filter: str = ""
        self._shown: dict[str, Plan] = {}  # the snapshot object each plan node shows
        self._filled: dict[str, Plan] = {}  # the snapshot its achievement nodes show
        # What was open in plans (and groups closed) when they went from the tree, as the
        # filter hides them: they come back as they were.
        self._gone_open: dict[str, set[NodeRef]] = {}
        self._gone_closed_groups: set[str] = set()

    # -- building --------------------------------------------------------------------
    def process_label(self, label) -> Text:
        # Our labels are one-line Text already: skip Tree's markup parse and line split.
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def _label_room(self, node: TreeNode[NodeRef]) -> int:
        """Cells left for ``node``'s label on its line: the width less guides and icon."""
        width, indent, icon = self._room or self._measure_room()
        parent = node._parent
        while parent is not None:
            width -= indent
            parent = parent._parent
        return width - (icon if node._allow_expand else 0)

    def _measure_room(self) -> tuple[int, int, int]:
        """The tree's width, indent per level and expand icon's width."""
        icon = max(cell_len(self.ICON_NODE), cell_len(self.ICON_NODE_EXPANDED))
        return self.scrollable_content_region.width, self.guide_depth, icon

    _room: tuple[int, int, int] | None = None  # _measure_room() while every label is measured

    def _build(self) -> None:
        # Measuring tens of thousands of labels: look the sizes up once, not per label.
        self._room = self._measure_room()
        try:
            super()._build()
        finally:
            self._room = None

    def render_label(self, node: TreeNode[NodeRef], base_style, style) -> Text:
        label = node._label
        if isinstance(label, FitLabel):
            label = label.fitted(self._label_room(node))
        label = label.copy()
        label.stylize(style)
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            return Text.assemble((icon, base_style + Style.from_meta({"toggle": True})), label)
        return Text.assemble(("", base_style), label)

    def get_label_width(self, node: TreeNode[NodeRef]) -> int:
        # Tree measures every line on each rebuild by rendering its label; the icon and the
        # label's own width give the same number for a fraction of the cost. The width is
        # kept per label object: an expanded workspace has tens of thousands of distinct
        # labels, too many for rich's cache, and every rebuild measures them all again.
        label = node._label
        cached = getattr(node, "_label_width", None)
        if cached is None or cached[0] is not label:
            cached = node._label_width = (label, label.cell_len)
        width = cached[1]
        room = self._room
        if room is None:
            icon = self._measure_room()[2]
        else:
            icon = room[2]
            if type(label) is FitLabel:  # cut to fit when drawn
                width = min(width, max(self._label_room(node), 1))
        return (icon if node._allow_expand else 0) + width

    def _invalidate(self) -> None:
        if getattr(self, "_batching", False):
            self._batch_dirty = True  # one invalidation when the batch ends
            return
        super()._invalidate()

    @contextmanager
    def _batch(self, invalidate: bool = True):
        """Add or remove many nodes with one invalidation (each one refreshes the tree), or
        none when only children of collapsed nodes changed (no line shows them)."""
        self._batching, self._batch_dirty = True, False
        try:
            yield
        finally:
            self._batching = False
            if self._batch_dirty and invalidate:
                super()._invalidate()

    def show_names(self, root_label: str, names: tuple[tuple[str, str | None], ...]) -> None:
        """Plan names from file names only, before anything is read."""
        with self._batch():
            self._show_names(root_label, names)
        self._tree_lines  # noqa: B018 — line numbers for the moves typed ahead
        self._replay_early_moves()

    # Keys typed before any plan shows (right after a start) move the cursor once plans do.
    _early_moves = 0

    def action_cursor_down(self) -> None:
        if not self._plan_nodes:
            self._early_moves += 1
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if not self._plan_nodes:
            self._early_moves = max(0, self._early_moves - 1)
            return
        super().action_cursor_up()

    def _replay_early_moves(self) -> None:
        moves, self._early_moves = self._early_moves, 0
        if moves and self._plan_nodes:
            self.cursor_line = min(max(self.cursor_line, 0) + moves, self.last_line)

    def _show_names(self, root_label: str, names: tuple[tuple[str, str | None], ...]) -> None:
        self.root.set_label(Text(root_label, style="bold"))
        for name, group in names:
            if name in self._plan_nodes:
                continue
            parent = self._group_node(group)
            node = parent.add(Text(f"… {name}", style="dim"), data=NodeRef("plan", plan=name))
            node.allow_expand = True
            self._plan_nodes[name] = node
        self.root.expand()

    def show(self, root_label: str, plans: tuple[Plan, ...], grammaplans=()) -> None:
        """Show a snapshot; existing nodes are updated in place."""
        before = self.cursor_node.data if self.cursor_node is not None else None
        anchor, row = self._screen_anchor() if self._plan_nodes else (None, 0)
        with self._batch():
            self._show(root_label, plans, grammaplans)
        # A plan added or removed above the cursor shifts the lines: keep its row on screen.
        self._keep_on_screen(anchor, row)
        # The item is gone (the tree keeps the cursor's line while the node on it changes):
        # what is highlighted is the selection now, and the other panes must follow it.
        self._tree_lines  # noqa: B018 — rebuild the line index the update invalidated
        self._replay_early_moves()
        now = self.cursor_node
        if now is not None and now.data is not None and now.data != before:
            self.post_message(self.ItemSelected(now.data))

    def _show(self, root_label: str, plans: tuple[Plan, ...], grammaplans=()) -> None:
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        # Plans only: orphan features (files with no PLAN) and archived plans are not work.
        live = [p for p in plans if not p.orphan and not p.archived]
        approved = sum(p.progress[0] for p in live)
        total = sum(p.progress[1] for p in live)
        complete = sum(1 for p in live if p.state == "complete")
        self.root.set_label(  # the name gives way first, the counts stay readable
            fit_label(
                [
                    (root_label, "bold"),
                    (f"  {complete}/{len(live)} done · {approved}/{total} approved", "dim"),
                ],
                cut=0,
                short=f"  {complete}/{len(live)} done · {approved}/{total} ✔",
            )
        )
        self._plans = {p.name: p for p in plans}
        wanted = [p for p in plans if self.matches(p)]
        wanted_names = {p.name for p in wanted}
        for name in list(self._plan_nodes):
            if name not in wanted_names:
                gone = self._plan_nodes.pop(name)
                if gone.is_expanded:
                    opened = {c.data for c in gone.children if c.is_expanded}
                    self._gone_open[name] = opened | {gone.data}
                gone.remove()
                self._shown.pop(name, None)
                self._filled.pop(name, None)
        updating = bool(self._plan_nodes)
        for index, plan in enumerate(wanted):
            group = "orphans" if plan.orphan else plan.group
            node = self._plan_nodes.get(plan.name)
            if node is not None and node.parent is not self._group_node(group):
                node.remove()
                node = None
                self._shown.pop(plan.name, None)
                self._filled.pop(plan.name, None)
            if node is None:
                parent = self._group_node(group)
                # A plan that appears later goes where a fresh load would put it.
                before = self._insertion_point(wanted, index, parent) if updating else None
                node = parent.add(
                    plan_label(plan), data=NodeRef("plan", plan=plan.name), before=before
                )
                node.allow_expand = plan.tally.total > 0 or bool(plan.path)
                self._plan_nodes[plan.name] = node
                opened = self._gone_open.pop(plan.name, None)
                if opened and node.allow_expand:
                    self._fill_plan(node, plan)
                    for child in node.children:
                        if child.data in opened:
                            child.expand()
                    node.expand()
            elif self._shown.get(plan.name) is not plan:
                label = plan_label(plan)
                if node.label != label:
                    node.set_label(label)
                node.allow_expand = plan.tally.total > 0 or bool(plan.path)
                if node.is_expanded:
                    self._fill_plan(node, plan)
            self._shown[plan.name] = plan
        for key, gnode in list(self._group_nodes.items()):
            if not gnode.children:
                if not gnode.is_expanded:
                    self._gone_closed_groups.add(key)
                gnode.remove()
                del self._group_nodes[key]
            elif key != "plans of plans":
                members = [
                    self._plans[c.data.plan]
                    for c in gnode.children
                    if c.data and c.data.plan in self._plans
                ]
                done = sum(1 for p in members if p.state == "complete")
                # Complete by their documents only (no reviews): counted apart, as ✔? shows.
                claimed = sum(1 for p in members if p.state == "complete_unverified")
                label = key[2:] if key.startswith("a_") else key
                counts = f"  {done}/{len(members)} complete" + (
                    f" · {claimed} ✔?" if claimed else ""
                )
                short = f"  {done}/{len(members)} ✔" + (f" {claimed} ✔?" if claimed else "")
                gnode.set_label(
                    fit_label(
                        [("▣ ", "bold magenta"), (label, "bold magenta"), (counts, "dim")],
                        1,
                        short=short,
                    )
                )
        self._show_grammaplans(grammaplans)
        self.root.expand()
        self.restore_cursor(cursor)

    def _show_grammaplans(self, grammaplans) -> None:
        if self._filter and "plans of plans" in self._group_nodes:
            self._group_nodes.pop("plans of plans").remove()
        if not grammaplans or self._filter:
            return
        gnode = self._group_node("plans of plans")
        known = {c.data.path: c for c in gnode.children if c.data}
        for g in grammaplans:
            label = fit_label(
                [
                    ("◆ ", "magenta"),
                    (g.name, "bold"),
                    (f"  {g.kind.replace('_', ' ')}: {_count(len(g.children), 'plan')}", "dim"),
                ],
                1,
            )
            node = known.pop(g.path, None)
            if node is None:
                node = gnode.add(label, data=NodeRef("grammaplan", path=g.path))
            else:
                node.set_label(label)
            reconcile(
                node,
                [
                    (NodeRef("plan", plan=child), plan_label(p), False)
                    if p
                    else (
                        NodeRef("loading", label=child),
                        Text(f"? {child} (not found)", style="red"),
                        False,
                    )
                    for child in g.children
                    for p in [self._plans.get(child)]
                ],
            )
        for stale in known.values():
            stale.remove()

    def _insertion_point(
        self, wanted: list[Plan], index: int, parent: TreeNode[NodeRef]
    ) -> TreeNode[NodeRef] | None:
        for later in wanted[index + 1 :]:
            node = self._plan_nodes.get(later.name)
            if node is not None and node.parent is parent:
                return node
        if parent is self.root:  # plans without a group come before the groups
            return next((c for c in parent.children if c.data and c.data.kind == "group"), None)
        return None

    def _group_node(self, group: str | None) -> TreeNode[NodeRef]:
        if group is None:
            return self.root
        node = self._group_nodes.get(group)
        if node is None:
            label = group[2:] if group.startswith("a_") else group
            last = self._group_nodes.get("plans of plans")  # stays last
            node = self.root.add(
                Text(f"▣ {label}", style="bold magenta"),
                data=NodeRef("group", label=group),
                expand=group not in self._gone_closed_groups,
                before=last if group != "plans of plans" else None,
            )
            self._group_nodes[group] = node
            self._gone_closed_groups.discard(group)
        return node

    def _fill_plan(self, node: TreeNode[NodeRef], plan: Plan) -> None:
        """Show a plan's achievements under ``node``, updating existing nodes in place by
        key (so the cursor, expansion and scroll stay put) and adding/removing the rest."""
        wanted = [
            (NodeRef("achievement", plan=plan.name, achievement=a.id), achievement_label(a), True)
            for a in plan.achievements
        ]
        # The plan's own documents last: j from the plan still lands on its first achievement.
        wanted += [
            (NodeRef("file", plan=plan.name, path=rel), plan_file_label(kind, rel), False)
            for kind, rel in (("PLAN", plan.path), ("parallel", plan.parallel_json))
            if rel
        ]
        nodes = reconcile(node, wanted)
        for a, (ref, _label, _expand) in zip(plan.achievements, wanted, strict=False):
            self._fill_files(nodes[ref], plan, a)
        self._filled[plan.name] = plan

    def _fill_files(self, anode: TreeNode[NodeRef], plan: Plan, a: Achievement) -> None:
        files = []
        if a.subplan:
            files.append(("SUBPLAN", a.subplan, "blue"))
        for x in a.executions:
            tag = "superseded" if x.superseded else ("archived" if x.archived else x.status)
            files.append((f"EXEC {x.number:02d} {tag}", x.path, "green" if x.complete else "cyan"))
        for f in a.feedback_files:
            files.append(("feedback", f, "magenta"))
        wanted = []
        for kind, path, style in files:
            label = fit_label([(f"{kind} ", style), (path.rsplit("/", 1)[-1], "")], 1)
            ref = NodeRef("file", plan=plan.name, achievement=a.id, path=path)
            wanted.append((ref, label, False))
        reconcile(anode, wanted)
        anode.allow_expand = bool(files)

    def find(self, ref: NodeRef) -> TreeNode[NodeRef] | None:
        """The node showing ``ref`` (plans and their built descendants), if any."""
        if ref.kind == "root":
            return self.root
        if ref.kind == "group":
            return self._group_nodes.get(ref.label or "")
        if ref.kind == "grammaplan":
            gnode = self._group_nodes.get("plans of plans")
            kids = gnode.children if gnode else []
            return next((c for c in kids if c.data == ref), None)
        node = self._plan_nodes.get(ref.plan or "")
        if node is None or ref.kind == "plan":
            return node
        for anode in node.children:
            if anode.data == ref:
                return anode  # a plan's own file (PLAN, parallel.json)
            if (
                anode.data
                and anode.data.kind == "achievement"
                and (anode.data.achievement == ref.achievement)
            ):
                if ref.kind == "achievement":
                    return anode
                return next((c for c in anode.children if c.data == ref), None)
        return None

    def restore_cursor(self, ref: NodeRef | None) -> None:
        """Put the cursor back on ``ref`` after an update removed or moved its node (falls
        back to its plan, then to whatever is on the cursor's line, which becomes the
        selection)."""
        if ref is None:
            return
        current = self.cursor_node
        if current is not None and current.data == ref and current._line != -1:
            return
        node = self.find(ref)
        if node is None and ref.plan:
            node = self._plan_nodes.get(ref.plan)
        if node is not None:
            ancestor = node.parent
            while ancestor is not None:  # a plan that moved into a collapsed group
                ancestor.expand()
                ancestor = ancestor.parent
            self.goto(node)

    # -- filtering -------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        self._filter = text.strip().casefold()

    def matches(self, plan: Plan) -> bool:
        f = self._filter
        if not f:
            return True
        # The tally's marks, not the achievements: a filter keystroke on thousands of plans
        # must not read every plan's achievements back from the cache.
        hay = [plan.name, plan.state, plan.group or "", plan.group_label or "", *plan.markers]
        hay += plan.tally.marks
        # The badges the tree shows: [archived], [orphan].
        hay += [w for w, on in (("archived", plan.archived), ("orphan", plan.orphan)) if on]
        return any(f in h.casefold() for h in hay)

    # -- events ----------------------------------------------------------------------
    def action_select_cursor(self) -> None:
        # Expand here rather than on the NodeSelected message (auto_expand): keys typed
        # ahead (j j right after enter) must land on the new achievement nodes.
        node = self.cursor_node
        if node is not None:
            self._toggle_node(node)
        super().action_select_cursor()

    def _toggle_node(self, node: TreeNode[NodeRef]) -> None:
        ref = node.data
        if not node.is_expanded and ref is not None and ref.kind == "plan":
            plan = self._plans.get(ref.plan or "")
            if plan is not None and self._plan_nodes.get(ref.plan or "") is node:
                if self._filled.get(plan.name) is not plan:
                    self._fill_plan(node, plan)
        super()._toggle_node(node)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        ref = event.node.data
        if ref is None or ref.kind != "plan" or ref.plan not in self._plans:
            return
        plan = self._plans[ref.plan]
        if self._plan_nodes.get(ref.plan) is event.node and self._filled.get(ref.plan) is not plan:
            self._fill_plan(event.node, plan)  # lazily, and again if it changed while collapsed

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        if event.node.data is not None:
            self.post_message(self.ItemSelected(event.node.data))

    def goto(self, node: TreeNode[NodeRef]) -> None:
        """Move the cursor to ``node``, also to one added or expanded just now (a node's line
        is only known once the tree has rebuilt its line index)."""
        self._tree_lines  # noqa: B018 — builds the index if an update invalidated it
        self.move_cursor(node)
        # Scrolling now would be clamped to the size before the update: do it once laid out.
        self.call_after_refresh(self.reveal_cursor)

    def reveal_cursor(self) -> None:
        """Scroll so that the cursor's line is visible."""
        node = self.cursor_node
        if node is not None and node._line != -1:
            self.scroll_to_node(node, animate=False)

    def on_resize(self) -> None:
        self.call_after_refresh(self.reveal_cursor)

    EXPAND_STEP = 250  # nodes "expand all" adds before it lets keys and repaints through

    def expand_plans(self, expand: bool) -> None:
        """Expand (filling lazily) or collapse every plan node shown. Expanding runs in
        steps, the plans on screen first; collapsing or expanding again stops a filler that
        is still running."""
        self.workers.cancel_group(self, "expand")
        if expand:
            self._expand_all()
            return
        anchor, row = self._screen_anchor()
        cursor = self.cursor_node
        with self._batch(), self.prevent(Tree.NodeCollapsed):  # nobody to tell, 2,500 times
            for node in self._plan_nodes.values():
                node.collapse()
        # A cursor inside a plan goes to the plan, which takes the cursor's row on screen.
        if anchor is not None and anchor.data and anchor.data.kind in ("achievement", "file"):
            anchor = self._plan_nodes.get(anchor.data.plan or "", anchor)
        self._tree_lines  # noqa: B018 — line numbers after the collapse
        if cursor is not None and cursor.data and cursor.data.kind in ("achievement", "file"):
            plan = self._plan_nodes.get(cursor.data.plan or "")
            if plan is not None and plan._line != -1:
                self.move_cursor(plan)
        self._keep_on_screen(anchor, row)

    @work(exclusive=True, group="expand", exit_on_error=False)
    async def _expand_all(self) -> None:
        """Fill and expand every plan: the ones on screen at once; the rest filled while
        still collapsed, ``EXPAND_STEP`` nodes a step with the event loop running in between
        (thousands of plans take seconds to read back from the cache), nearest the screen
        first; and expanded together at the end, since each step that adds lines makes the
        tree rebuild all its lines. A live update may remove, replace or change plans
        between steps: each step looks them up afresh, and the last refills changed ones."""
        # Tens of thousands of new nodes would set off full GC passes, each walking every
        # node made so far while keys wait. Nor is one pass at the end cheap (0.3-0.8 s on
        # 2,500 plans): the nodes join the permanent generation, as the snapshot does after a
        # load. Nodes hold no cycles once removed (Tree empties their child lists), so
        # reference counting still frees the ones a live update replaces.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            await self._expand_steps()
        finally:
            gc.freeze()
            if was_enabled:
                gc.enable()

    async def _expand_steps(self) -> None:
        on_screen, rest = self._plans_by_distance()
        if sum(p.tally.total for p in self._plans.values()) > 4 * self.EXPAND_STEP:
            self.notify(f"expanding {_count(len(on_screen) + len(rest), 'plan')}…", timeout=3)
        anchor, row = self._screen_anchor()
        # Plans are filled before they expand: NodeExpanded (one message per plan, thousands
        # in a row with keys waiting behind them) would have nothing left to do.
        with self._batch(), self.prevent(Tree.NodeExpanded):
            expanded = self._fill_step(deque(on_screen), expand=True, budget=None)
        self._keep_on_screen(anchor, row)
        pending = deque(rest)
        while pending:
            await self._between_steps()
            with self._batch(invalidate=False):  # collapsed nodes: no line changes
                self._fill_step(pending, expand=False, budget=self.EXPAND_STEP)
        await self._between_steps()
        anchor, row = self._screen_anchor()
        with self._batch(), self.prevent(Tree.NodeExpanded):
            for name, node in self._plan_nodes.items():
                if node.id in expanded or name not in self._plans:
                    continue  # expanded already (and perhaps collapsed again since)
                if self._filled.get(name) is not self._plans[name]:
                    self._fill_plan(node, self._plans[name])
                node.expand()
        self._keep_on_screen(anchor, row)

    async def _between_steps(self) -> None:
        """Let keys, repaints and live updates through (tests hold the filler here)."""
        await asyncio.sleep(0)

    def _fill_step(self, pending: deque[str], expand: bool, budget: int | None) -> set:
        """Fill (and expand) plans from ``pending`` until about ``budget`` nodes were added;
        returns the ids of the plan nodes handled."""
        handled: set = set()
        added = 0
        while pending and (budget is None or added < budget):
            name = pending.popleft()
            node, plan = self._plan_nodes.get(name), self._plans.get(name)
            if node is None or plan is None:
                continue  # gone in a live update
            handled.add(node.id)
            if node.is_expanded and not expand:
                continue  # shown, so kept filled by show()
            if self._filled.get(name) is not plan:
                self._fill_plan(node, plan)
                added += 1 + sum(1 + len(a.children) for a in node.children)
            if expand:
                node.expand()
        return handled

    def _plans_by_distance(self) -> tuple[list[str], list[str]]:
        """Plan names in tree order: the ones on screen; then the ones below the screen and
        those above it, nearest first."""
        order = []
        for child in self.root.children:
            kids = child.children if child.data and child.data.kind == "group" else [child]
            order += [
                c.data.plan
                for c in kids
                if c.data and c.data.kind == "plan" and self._plan_nodes.get(c.data.plan) is c
            ]
        self._tree_lines  # noqa: B018 — line numbers up to date
        top, height = self.scroll_offset.y, max(self.scrollable_content_region.height, 1)
        if 0 <= top < len(self._tree_lines):  # the plan whose achievements start the screen
            ref = self._tree_lines[top].node.data
            if ref is not None and ref.plan in self._plan_nodes:
                top = min(top, self._plan_nodes[ref.plan]._line)
        lines = [self._plan_nodes[name]._line for name in order]
        start = next((i for i, at in enumerate(lines) if at >= top), len(order))
        end = next((i for i, at in enumerate(lines) if at >= top + height), len(order))
        end = max(start, end)
        return order[start:end], order[end:] + order[:start][::-1]

    def _screen_anchor(self) -> tuple[TreeNode[NodeRef] | None, int]:
        """The node to keep at its screen row while lines are added above it: the cursor's
        if it is on screen, else the top line's; and that row."""
        lines = self._tree_lines
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        node = self.cursor_node
        if node is None or not top <= node._line < top + max(height, 1):
            node = lines[top].node if 0 <= top < len(lines) else None
        return node, (node._line - top if node is not None else 0)

    def _keep_on_screen(self, anchor: TreeNode[NodeRef] | None, row: int) -> None:
        """Scroll so that ``anchor`` is back at ``row`` after lines were added above it
        (Tree keeps the cursor on its node, not the view on its lines)."""
        self._tree_lines  # noqa: B018 — rebuild the line index (and the virtual size)
        if anchor is not None and anchor._line != -1:
            y = max(0, anchor._line - row)
            if y != self.scroll_offset.y:
                self.scroll_to(y=y, animate=False, immediate=True)

    def select_path(
        self, plan: str, achievement: str | None = None, path: str | None = None
    ) -> None:
        """Go to a plan, one of its achievements, or a file of either (shown in the tree)."""
        node = self._plan_nodes.get(plan)
        if node is None:
            return
        if achievement or path:
            node.expand()
            if self._filled.get(plan) is not self._plans.get(plan) and plan in self._plans:
                self._fill_plan(node, self._plans[plan])
        if achievement:
            for child in node.children:
                if child.data and child.data.kind == "achievement":
                    if child.data.achievement == achievement:
                        node = child
                        break
        if path:
            target = next(
                (
                    c
                    for c in node.children
                    if c.data and c.data.kind == "file" and c.data.path == path
                ),
                None,
            )
            if target is not None:
                node.expand()
                node = target
        self.goto(node)


class ProgressPane(DataTable):
    """Live parallel progress, one row per plan, updated in place by row key.

    | Key | Action |
    |---|---|
    | up/down, j/k | move |
    | enter | show that plan in the tree |
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="progress.down", tooltip="Next plan"),
        Binding("k", "cursor_up", "Up", show=False, id="progress.up", tooltip="Previous plan"),
        Binding(
            "escape", "app.focus_tree", "Back", id="progress.back", tooltip="Back to the plan tree"
        ),
    ]

    COLUMNS = ("plan", "progress", "ready", "run", "rev", "blkd", "fix", "stale", "ETA")

    # Fixed widths: an auto-width column re-measured after a cell was painted leaves that
    # cell cached at its old width (seen in real terminals as a clipped first row). No cell
    # padding: each column is its header (or widest value: "done?") and one space, the name
    # gets the rest.
    WIDTHS = {"ready": 6, "run": 4, "rev": 4, "blkd": 5, "fix": 4, "stale": 6, "ETA": 6}
    ICON = 3  # "✔? " and "●  ": every name starts in the same column

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        self.cell_padding = 0
        for c in self.COLUMNS:  # plan and progress are fitted to the rows; until then, spaced
            self.add_column(c, key=c, width=self.WIDTHS.get(c, len(c) + 1))

    now: float | None = None  # the app's clock (fixed in tests and screenshots)
    MAX_ROWS = 200  # a table of thousands of rows helps nobody and costs seconds to lay out
    RANK = {
        "needs_attention": 0,
        "active": 1,
        "not_started": 2,
        "complete_unverified": 3,
        "complete": 4,
    }

    def show(self, plans: tuple[Plan, ...]) -> None:
        """Show these plans' rows, updated in place; the highlighted plan keeps its row on
        screen when rows are added or removed above it (as the plan tree does)."""
        held = self._screen_anchor()
        shown: dict[str, Plan] = getattr(self, "_shown", {})
        more = 0
        if len(plans) > self.MAX_ROWS:
            ranked = sorted(plans, key=lambda p: (p.name not in shown, self.RANK.get(p.state, 5)))
            # plans already shown keep their rows; the rest by urgency; shown in tree order
            chosen = {p.name for p in ranked[: self.MAX_ROWS]}
            more = len(plans) - len(chosen)
            plans = tuple(p for p in plans if p.name in chosen)
        self._fit_columns(plans)
        shown = getattr(self, "_shown", {})  # emptied by a change of the name's width
        seen = {"__more__"}
        if "__more__" in self.rows:
            self.remove_row("__more__")
        for p in plans:
            seen.add(p.name)
            if shown.get(p.name) is p:
                continue  # unchanged plans keep the very same object across snapshots
            row = progress_row(p, self.now, self._name_width)
            if p.name in self.rows:
                for col, value in zip(self.COLUMNS, row, strict=True):
                    self.update_cell(p.name, col, value)
            else:
                self.add_row(*row, key=p.name)
            shown[p.name] = p
        for key in list(self.rows):
            if key.value not in seen:
                self.remove_row(key)
                shown.pop(key.value, None)
        if [k.value for k in self.rows] != [p.name for p in plans]:
            self._reorder(plans)  # a plan came back, or the filter changed: the tree's order
        if more:
            label = Text(f"… {more} more", style="dim")
            self.add_row(label, *[""] * (len(self.COLUMNS) - 1), key="__more__")
        self._shown = shown
        if held is not None:
            self._keep_on_screen(*held)

    def follow(self, plan: str) -> None:
        """Put the cursor on ``plan``'s row (the tree's selection), unless the table is
        being driven itself."""
        if self.has_focus or plan not in self.rows:
            return
        row = self.get_row_index(plan)
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False, scroll=True)

    _name_width: int | None = None  # room for a plan's name in its column

    def on_show(self) -> None:
        self.on_resize()  # at 80×24 the table is fitted while hidden, then shown by a key

    def on_resize(self) -> None:
        fitted = getattr(self, "_fitted", None)
        if fitted is not None:
            before = self._name_width
            self._fit_columns(fitted)
            if self._name_width != before:
                self._shown = {}  # names are cut to the column: write the rows again
                self.show(fitted)

    def _reorder(self, plans: tuple[Plan, ...]) -> None:
        """Rows in the order of ``plans`` (new rows are added at the end); ``show`` puts the
        cursor and the view back."""
        cells = {k.value: self.get_row(k) for k in self.rows}
        # clear() moving the cursor to row 0 would announce that row and scroll to it later,
        # over the view that show() restores: it is at row 0 already, quietly.
        self.set_reactive(DataTable.cursor_coordinate, Coordinate(0, 0))
        self.clear()
        for p in plans:
            self.add_row(*cells[p.name], key=p.name)

    def _screen_anchor(self) -> tuple[list[str], str, str, int] | None:
        """Before an update: the rows' keys in order, the highlighted row's key, the row to
        keep at its screen row (the highlighted one if it is on screen, else the top one) and
        that screen row."""
        if not self.row_count:
            return None
        keys = [row.key.value for row in self.ordered_rows]
        cursor = keys[self.cursor_row]
        top = self.scroll_offset.y
        header = self.header_height if self.show_header else 0
        height = max(self.scrollable_content_region.height - header, 1)
        at = self.cursor_row if top <= self.cursor_row < top + height else min(top, len(keys) - 1)
        return keys, cursor, keys[at], at - top

    def _keep_on_screen(self, keys: list[str], cursor: str, anchor: str, row: int) -> None:
        """After an update: the highlighted plan highlighted again (if it is gone, the
        nearest row left, the next one first), and ``anchor`` scrolled back to ``row`` on
        screen (DataTable keeps the cursor's index and the scroll, not the plans on them)."""
        if not self.row_count:
            return
        new_cursor = self._nearest(keys, cursor)
        anchor = new_cursor if anchor == cursor else self._nearest(keys, anchor)
        if new_cursor is None or anchor is None:
            return
        # DataTable lays new rows out when idle; a scroll now must be able to reach them.
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)
        y = max(0, self.get_row_index(anchor) - row)
        if y != self.scroll_offset.y:
            self.scroll_to(y=y, animate=False, immediate=True)
        # Scrolled first: the cursor's own scroll into view then finds it on screen.
        index = self.get_row_index(new_cursor)
        if index != self.cursor_row:
            if new_cursor == cursor:  # the same plan on another row: nothing to announce
                self.set_reactive(
                    DataTable.cursor_coordinate, Coordinate(index, self.cursor_column)
                )
                self.refresh()
            else:
                self.move_cursor(row=index, animate=False, scroll=False)

    def _nearest(self, keys: list[str], key: str) -> str | None:
        """``key`` if it still has a row, else the nearest of ``keys`` that has one (the one
        below first: it takes the place of the one that went)."""
        if key in self.rows:
            return key
        at = keys.index(key)
        order = sorted(range(len(keys)), key=lambda i: (abs(i - at), i < at))
        return next((keys[i] for i in order if keys[i] in self.rows), None)

    def _fit_columns(self, plans: tuple[Plan, ...]) -> None:
        """Size the plan and progress columns to what is shown (the rest are fixed)."""
        self._fitted = plans
        gap = 1  # between a column and the next
        name = max((len(p.name) for p in plans), default=4) + self.ICON + gap
        digits = max((len(str(p.tally.total)) for p in plans), default=1)
        progress = 6 + 2 + 2 * digits + gap  # "░░░░░░ 12/34"
        # Long names give way first: every column, ETA included, stays on screen.
        fixed = sum(self.WIDTHS.values()) + progress
        # Room as if the vertical scrollbar were there: rows added later bring it in, and a
        # table fitted without it would then scroll sideways by a column.
        width = self.size.width - self.styles.scrollbar_size_vertical
        room = width - fixed
        wanted = {"plan": max(8 + self.ICON, min(name, room)), "progress": progress}
        name_width = wanted["plan"] - self.ICON - gap
        if name_width != self._name_width:
            self._name_width = name_width
            self._shown = {}  # rows written for another width are written again
        changed = False
        for key, width in wanted.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = column.content_width = width
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()


def bar(done: int, total: int, width: int = 10) -> Text:
    full = round(width * done / total) if total else 0
    t = Text()
    t.append("█" * full, style="green")
    t.append("░" * (width - full), style="bright_black")
    return t


def progress_row(p: Plan, now: float | None = None, name_width: int | None = None) -> tuple:
    done, total = p.progress
    running, blocked = p.tally.running, p.tally.blocked
    fix, stale = p.tally.needs_fix, p.tally.stale
    icon, style = PLAN_ICON.get(p.state, ("?", ""))
    name = short_name(p.name, name_width) if name_width else p.name
    return (
        Text.assemble((f"{icon:<2} ", style), name),  # one- and two-cell icons alike
        Text.assemble(bar(done, total, 6), f" {done}/{total}"),
        # A plan whose documents all claim completion has nothing to start, unverified or not.
        "—" if p.state == "complete_unverified" else str(len(p.ready)),
        str(running),
        str(p.tally.review),
        str(blocked),
        Text(str(fix), style="red" if fix else "dim"),
        Text(str(stale), style="yellow" if stale else "dim"),
        eta(p, now),
    )


def _count(n: int, word: str) -> str:
    """ "1 plan", "2,500 plans"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def wave_counts(plan: Plan, wave: tuple[str, ...]) -> str:
    """ "1 running · 1 in review · 2 to start · 1 blocked" for one wave ("ready" is the
    ready set of FORMAT §9, running ones included: the progress pane's column and the
    "ready now" line count that)."""
    members = [a for a in plan.achievements if a.id in wave]
    count = {
        "running": sum(1 for a in members if a.state == "executing"),
        "in review": sum(1 for a in members if a.state == "awaiting_review"),
        "to fix": sum(1 for a in members if a.state == "needs_fix"),
        "to start": sum(
            1 for a in members if a.id in plan.ready and a.state in ("not_started", "subplan_ready")
        ),
        "blocked": sum(1 for a in members if "blocked" in a.flags),
    }
    return " · ".join(f"{n} {word}" for word, n in count.items() if n)


def velocity(p: Plan, now: float | None = None, days: float = 14.0) -> float | None:
    """Approvals per day over the last ``days``; None when the dates do not allow it (fewer
    than two approvals, or all on one day — e.g. every mtime equal after a fresh clone)."""
    now = time.time() if now is None else now
    recent = [t for t in p.tally.approved_at if now - t <= days * 86400]
    if len(recent) < 2 or len({int(t // 86400) for t in recent}) < 2:
        return None
    return len(recent) / days


def eta(p: Plan, now: float | None = None) -> str:
    """Days left at the recent velocity when dates allow it, else the remaining estimated
    effort in hours when every remaining achievement has one, else "—"."""
    remaining = p.tally.total - p.tally.approved
    if not p.tally.total:
        return "—"  # no achievements read (an empty or unreadable PLAN): nothing to estimate
    if not remaining:
        return "done"
    if p.state == "complete_unverified":
        return "done?"  # its documents say so; nobody is expected to work on it
    v = velocity(p, now)
    if v:
        return f"{remaining / v:.0f}d"
    if p.tally.hours_left is None:
        return "—"
    return f"{p.tally.hours_left:.0f}h"


class DependencyView(VerticalScroll):
    """Waves of the selected plan with blocked chains and the critical path; for the root,
    plans of plans and groups. Scrolls (a plan's waves outgrow a small pane).

    | Key | Action |
    |---|---|
    | up/down, j/k | scroll a line |
    | pgup/pgdn, home/end | scroll a page, to the top or the end |
    """

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="deps.down", tooltip="Scroll down"),
        Binding("k", "scroll_up", "Up", show=False, id="deps.up", tooltip="Scroll up"),
        Binding(
            "escape", "app.focus_tree", "Back", id="deps.back", tooltip="Back to the plan tree"
        ),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._body = Static("", id="deps-text")
        self.text = Text()  # what is shown

    # Textual moves a scroll view after the next repaint, from a target it has not moved
    # yet: ten j's sent faster than repaints (a held key) moved one line. Move at once.
    def _scroll_by(self, lines: int) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_to(y=self.scroll_target_y + lines, animate=False, immediate=True)

    def action_scroll_down(self) -> None:
        self._scroll_by(1)

    def action_scroll_up(self) -> None:
        self._scroll_by(-1)

    def action_page_down(self) -> None:
        self._scroll_by(self.scrollable_content_region.height)

    def action_page_up(self) -> None:
        self._scroll_by(-self.scrollable_content_region.height)

    def compose(self) -> ComposeResult:
        yield self._body

    def _set(self, text: Text) -> None:
        text.rstrip()  # a last newline would be an empty line more (and a needless scrollbar)
        self.text = text
        # A layout pass of the whole screen only when the scrollable height may change: when
        # the number of lines does, or when a line is long enough to wrap (its wrapped height
        # depends on its length, not on the count of lines).
        lines = text.plain.split("\n")
        width = self._body.size.width or self.size.width
        wraps = any(len(line) >= width for line in lines) if width else True
        self._body.update(text, layout=wraps or len(lines) != getattr(self, "_lines", None))
        self._lines = len(lines)

    def show_plan(
        self, plan: Plan | None, now: float | None = None, ws_plans=None, grammaplans=()
    ) -> None:
        """A plan's waves, blocked chains and critical path; with the workspace's plans and
        plans of plans, also the plans it waits for and the plans that wait for it."""
        if plan is None:
            self._set(Text("Select a plan to see its waves.", style="dim"))
            return
        from .graph import blocked_chain, critical_path

        text = Text()
        text.append(f"{plan.name}", style="bold")
        if plan.state == "complete_unverified":
            # As the progress pane says: its documents claim it is done, nothing to start.
            text.append("  complete by its documents (no reviews): nothing to start\n", "yellow")
        else:
            text.append(f"  ready now: {', '.join(plan.ready) or '-'}\n", style="green")
        critical = critical_path(plan, wait=False)  # None: networkx is still being imported
        path = set(critical or ())
        by_id = {a.id: a for a in plan.achievements}
        approved = [a.id for a in plan.achievements if a.state == "approved"]
        if approved:
            text.append(f"done   {', '.join(approved)}\n", style="green")
        for i, wave in enumerate(plan.waves, 1):
            text.append(f"wave {i} ", style="bold cyan" if i == 1 else "bold")
            for aid in wave:
                a = by_id[aid]
                icon, style = STATE_ICON.get(a.state, ("?", ""))
                mark = "★" if aid in path else ""
                text.append(f" {icon}{aid}{mark}", style=style)
            text.append(f"  {wave_counts(plan, wave)}\n", style="dim")
        if not plan.achievements:
            text.append("no achievements read from its PLAN (see the problems list)\n", "dim")
        elif not plan.waves:
            text.append("nothing left to do\n", style="dim")
        blocked = [a for a in plan.achievements if "blocked" in a.flags]
        for a in blocked[:8]:
            waits = [d for d in a.dependencies if by_id.get(d) and by_id[d].state != "approved"]
            text.append(f"  {a.id} waits for {', '.join(waits) or 'a cycle'}", style="red")
            chain = blocked_chain(plan, a.id)
            if len(chain) > 2:
                text.append(f"  ({' ← '.join(chain)})", style="dim red")
            text.append("\n")
        if len(blocked) > 8:
            text.append(f"  … {len(blocked) - 8} more blocked\n", style="dim red")
        if critical is None:
            text.append("critical path: working it out…\n", style="dim")
        elif critical:
            efforts = [by_id[x].effort for x in critical]
            text.append("critical path ★ ", style="bold yellow")
            text.append(" → ".join(critical), style="yellow")
            if all(e and e.hours for e in efforts):  # no estimate made up for the rest
                text.append(f"  ≈{sum(e.hours for e in efforts):.0f}h", style="dim")
            text.append("\n")
        v = velocity(plan, now)
        text.append(
            f"velocity {v * 7:.1f}/week · ETA {eta(plan, now)}" if v else f"ETA {eta(plan, now)}",
            style="dim",
        )
        self._cross_plan(text, plan, ws_plans or {}, grammaplans)
        self._set(text)

    @staticmethod
    def _cross_plan(text: Text, plan: Plan, plans: dict, grammaplans) -> None:
        """Level 1 of parallel work: the dependency columns of plans of plans."""
        from .graph import DONE_PLAN_STATES

        def named(names) -> str:
            out = []
            for n in names:
                p = plans.get(n)
                out.append(f"{n} ({p.state.replace('_', ' ')})" if p else f"{n} (not found)")
            return ", ".join(out)

        for g in grammaplans:
            waits = g.waits_for(plan.name)
            pending = [n for n in waits if n not in plans or plans[n].state not in DONE_PLAN_STATES]
            waiting = [n for n, deps in g.dependencies if plan.name in deps]
            if not waits and not waiting:
                continue
            text.append(f"\n◆ {g.name}: ", style="bold magenta")
            if waits:
                style = "yellow" if pending else "green"
                text.append(f"waits for {named(waits)}", style=style)
                if waiting:
                    text.append("; ")
            if waiting:
                text.append(f"{named(waiting)} wait{'s' if len(waiting) == 1 else ''} for it")

    def show_workspace(
        self, plans: tuple[Plan, ...], grammaplans, total: int | None = None
    ) -> None:
        """Plans of plans with their children in waves (what can run at once), then groups.
        ``plans`` are the plans the filter lets through (``total``: how many there are)."""
        from .graph import plan_waves

        text = Text()
        filtered = total is not None and total != len(plans)
        if filtered:
            text.append(f"filter: {len(plans)} of {_count(total, 'plan')}\n", style="dim")
        names = {p.name: p for p in plans}
        for g in grammaplans:
            children = tuple(c for c in g.children if c in names)
            if filtered and not children:
                continue  # the filter hides all of it
            text.append(f"◆ {g.name}", style="bold magenta")
            text.append(f" ({g.kind.replace('_', ' ')})\n", style="dim")
            for c in g.children:
                if c not in names and not filtered:
                    text.append(f"   ? {c} not found\n", style="red")
            waits = dict(g.dependencies)
            done, waves, stuck = plan_waves(children, waits, names)
            if done:
                text.append(f"   done: {', '.join(done)}\n", style="green")
            for i, wave in enumerate(waves, 1):
                label = "ready now" if i == 1 else f"wave {i}"
                text.append(f"   {label}: ", style="bold")
                text.append(f"{_count(len(wave), 'plan')} at once\n", style="dim")
                for c in wave:
                    p = names[c]
                    icon, style = PLAN_ICON.get(p.state, ("?", ""))
                    d, t = p.progress
                    text.append(f"     {icon} {c} {d}/{t}", style=style)
                    pending = [x for x in waits.get(c, ()) if x in names and x not in done]
                    if pending:
                        text.append(f"  after {', '.join(pending)}", style="yellow")
                    text.append("\n")
            if stuck:
                text.append(f"   ⛔ waiting on each other: {', '.join(stuck)}\n", style="red")
        groups: dict[str, list[Plan]] = {}
        for p in plans:
            # Archived plans are history and orphans are not plans: counted apart.
            key = "archived" if p.archived else ("orphans" if p.orphan else p.group_label)
            groups.setdefault(key or "plans", []).append(p)
        for g, ps in groups.items():
            # Started and not done, an open FIX or not ("active" is one of the plan states).
            going = sum(1 for p in ps if p.state in ("active", "needs_attention"))
            noun = "orphan feature" if g == "orphans" else "plan"
            plural = "" if len(ps) == 1 else "s"
            tail = "" if g == "archived" else f", {going} in progress"
            text.append(f"▣ {g}: {len(ps)} {noun}{plural}{tail}\n", style="bold")
        self._set(text or Text("No plans found.", style="dim"))


class DetailsStrip(Static):
    """Why the selection has its state, wrapped into the strip's lines; a longer text ends
    with "…" on its last line (the preview's "Why" section has it whole)."""

    _full: Text = Text()

    def update(self, content="", *, layout: bool = True) -> None:
        self._full = content if isinstance(content, Text) else Text(str(content))
        super().update(content, layout=layout)

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        text = self._full
        if width <= 0 or height <= 0:
            return text
        lines = text.wrap(self.app.console, width)
        if len(lines) <= height:
            return text
        shown = list(lines)[:height]
        last = shown[-1]
        last.rstrip()
        last.truncate(width - 1)
        last.rstrip()
        last.append("…")
        return Text("\n").join(shown)


class PromptPreview(Vertical):
    """The selected document, or a generated brief, in a read-only TextArea; ``m`` toggles a
    rendered markdown view (kept for small documents: the Markdown widget is slow)."""

    MAX_RENDER = 60_000

    BINDINGS = [
        Binding(
            "escape",
            "app.focus_tree",
            "Back",
            id="preview.back",
            tooltip="Back to the plan tree (tab / shift+tab also move between panes)",
        ),
        Binding(
            "j", "scroll_lines(1)", "Down", show=False, id="preview.down", tooltip="Scroll down"
        ),
        Binding("k", "scroll_lines(-1)", "Up", show=False, id="preview.up", tooltip="Scroll up"),
    ]

    def action_scroll_lines(self, lines: int) -> None:
        view = self.query_one("#preview-md-scroll" if self.rendered else "#preview-text")
        view.scroll_relative(y=lines, animate=False)

    def compose(self) -> ComposeResult:
        yield TextArea(
            "", read_only=True, id="preview-text", soft_wrap=True, show_line_numbers=False
        )
        with VerticalScroll(id="preview-md-scroll"):
            yield Markdown("", id="preview-md")

    def on_mount(self) -> None:
        self.query_one("#preview-md-scroll").display = False
        self.rendered = False
        self.text = ""
        self.title = ""
        self._rendered_text: str | None = None

    def show(self, title: str, text: str) -> None:
        """Show ``text``; the same item shown again (a live update) keeps its scroll."""
        same_item = title == self.title
        self.text = text
        self.title = title
        self.border_title = Text(title)  # names from files: never markup
        area = self.query_one("#preview-text", TextArea)
        if area.text != text:
            scroll, cursor = area.scroll_offset, area.cursor_location
            area.load_text(text)
            if same_item:
                area.move_cursor(area.clamp_visitable(cursor))
                self._restore_scroll(area, scroll.x, scroll.y, tries=5)
        if self.rendered:
            self._render_markdown()

    def _restore_scroll(self, area: TextArea, x: float, y: float, tries: int) -> None:
        """Scroll back to (x, y) once the new text has been measured (on a busy machine that
        can take more than one refresh; scrolling earlier would clamp to the old size)."""

        def restore() -> None:
            if area.max_scroll_y < y and tries > 1:
                self._restore_scroll(area, x, y, tries - 1)
            else:
                area.scroll_to(x, y, animate=False)

        self.call_after_refresh(restore)

    def focus_text(self) -> None:
        """Focus whichever view is shown, so the arrows scroll the document."""
        target = "#preview-md-scroll" if self.rendered else "#preview-text"
        self.query_one(target).focus()

    def toggle_rendered(self) -> bool:
        text, md = self.query_one("#preview-text"), self.query_one("#preview-md-scroll")
        shown = md if self.rendered else text
        # Keep the reading position: the same fraction of the other view (its lines differ).
        fraction = shown.scroll_y / shown.max_scroll_y if shown.max_scroll_y else 0.0
        self.rendered = not self.rendered
        text.display = not self.rendered
        md.display = self.rendered
        if self.rendered:
            self._render_markdown()
        if fraction:
            self._scroll_to_fraction(md if self.rendered else text, fraction, tries=10)
        return self.rendered

    def _scroll_to_fraction(self, view, fraction: float, tries: int) -> None:
        def apply() -> None:
            if view.max_scroll_y:
                view.scroll_to(y=round(fraction * view.max_scroll_y), animate=False)
            elif tries > 0:  # the markdown is still being laid out
                self.set_timer(0.05, lambda: self._scroll_to_fraction(view, fraction, tries - 1))

        self.call_after_refresh(apply)

    def _render_markdown(self) -> None:
        if self._rendered_text == self.text:
            return  # unchanged: keep the (slow) rendering and its scroll
        self._rendered_text = text = self.text
        if len(text) > self.MAX_RENDER:
            text = text[: self.MAX_RENDER] + "\n\n*(truncated for rendering: press m for raw)*"
        self.query_one("#preview-md", Markdown).update(text)
