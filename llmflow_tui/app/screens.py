"""Modal screens: problems (with ``ProblemList``), activity log, help, and the save-to-file
prompt."""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, ScreenResultType
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable, Input, Label, RichLog, Static

from ..model.types import Problem
from .panes import KeyFooter, is_narrow


class Dialog(ModalScreen[ScreenResultType]):
    """A modal that takes (almost) the whole screen on a small terminal, with a footer of
    its own: the main screen's keys do nothing here, so its footer must not show through.
    ``p``, ``l`` and ``?`` go from one dialog to another."""

    # The app's ctrl+p (a priority binding) opens the palette; this one puts it in the footer.
    BINDINGS = [
        Binding("ctrl+p", "app.command_palette", "palette", show=False, id="dialog.palette")
    ]

    def on_mount(self) -> None:  # runs before each subclass's own on_mount
        narrow = is_narrow(self.app.size)
        self.set_class(narrow, "narrow")
        footer = KeyFooter()
        footer.compact = narrow
        self.mount(footer)

    def action_switch(self, action: str) -> None:
        """Close this dialog and run the app's ``action`` (which opens another one)."""
        app = self.app
        self.dismiss(None)  # pops at once: the next dialog goes on the main screen
        getattr(app, f"action_{action}")()


class ProblemList(ScrollView, can_focus=True):
    """Problems, one per line, drawn only where they are visible: a big workspace has tens
    of thousands, and a table of them would take seconds to build.

    | Key | Does |
    |---|---|
    | ↑ ↓ / k j | move the cursor |
    | pgup pgdn home end | move by a page, to the first or the last |
    | enter, or a click on the cursor line | ``Chosen`` |
    """

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="problems.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="problems.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="problems.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="problems.page_down"),
        Binding("home", "move_to(0)", "First", show=False, id="problems.first"),
        Binding("end", "move_to(-1)", "Last", show=False, id="problems.last"),
    ]
    COMPONENT_CLASSES = {"problem-list--cursor", "problem-list--where"}
    DEFAULT_CSS = """
    ProblemList { height: 1fr; overflow-x: hidden; }
    ProblemList > .problem-list--cursor {
        background: $block-cursor-blurred-background;
    }
    ProblemList:focus > .problem-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    ProblemList > .problem-list--where { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Chosen(Message):
        """The user chose the problem under the cursor."""

        def __init__(self, problem: Problem) -> None:
            super().__init__()
            self.problem = problem

    class Highlighted(Chosen):
        """The cursor moved to this problem."""

    def __init__(self, problems: tuple[Problem, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.problems = problems
        self.virtual_size = Size(0, len(problems))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.problems) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_region(Region(0, new, max(1, self.size.width), 1), animate=False)
        self.refresh()
        if self.problems:
            self.post_message(self.Highlighted(self.problems[new]))

    def action_move(self, step: int) -> None:
        self.cursor += step

    def action_page(self, pages: int) -> None:
        self.cursor += pages * max(1, self.size.height - 1)

    def action_move_to(self, row: int) -> None:
        self.cursor = row if row >= 0 else len(self.problems) - 1

    def on_click(self, event) -> None:
        row = self.scroll_offset.y + event.y
        if 0 <= row < len(self.problems):
            if row == self.cursor:
                self.post_message(self.Chosen(self.problems[row]))
            self.cursor = row

    def line_text(self, row: int, width: int) -> Text:
        """One problem: severity, where (trimmed from the left), message."""
        p = self.problems[row]
        where = p.path + (f":{p.line}" if p.line else "")
        room = max(12, min(48, width // 3))
        if cell_len(where) > room:
            where = "…" + where[-(room - 1) :]
        error = p.severity == "error"
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("✘ error   " if error else "⚠ warning ", style="red" if error else "yellow")
        text.append(where.ljust(room), style=self.get_component_rich_style("problem-list--where"))
        text.append("  ")
        text.append(p.message)  # file text, never markup
        return text

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        # Not ``size``: the scrollbar covers the last columns, and the "…" with them.
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row >= len(self.problems):
            return Strip.blank(width, base)
        text = self.line_text(row, width)
        text.truncate(width, overflow="ellipsis", pad=True)
        if row == self.cursor:
            text.stylize(self.get_component_rich_style("problem-list--cursor"))
        strip = Strip(list(text.render(self.app.console)))
        return strip.adjust_cell_length(width).apply_style(base)


class ProblemsScreen(Dialog[Problem | None]):
    """Every problem found while reading, errors first. Enter jumps to the file's plan."""

    BINDINGS = [
        Binding("escape,p,q", "dismiss(None)", "Close", id="problems.close"),
        Binding("enter", "choose", "Go to", id="problems.choose"),
        Binding("l", "switch('log')", "Log", id="problems.log", tooltip="The activity log"),
        Binding("question_mark", "switch('help')", "Help", id="problems.help", tooltip="Every key"),
    ]

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__()
        self.problems = tuple(sorted(problems, key=lambda p: (p.severity != "error", p.path)))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            errors = sum(1 for p in self.problems if p.severity == "error")
            yield Label(
                f"Problems: {errors} error(s), {len(self.problems) - errors} warning(s)"
                "   (enter: go to · esc: close)",
                id="dialog-title",
            )
            yield ProblemList(self.problems, id="problem-list")
            # As tall as the problem, up to a cap; past it, it scrolls (wheel, or tab then keys).
            with VerticalScroll(id="problem-detail-scroll"):
                yield Static(id="problem-detail")

    def on_mount(self) -> None:
        self.query_one(ProblemList).focus()

    def on_problem_list_highlighted(self, event: ProblemList.Highlighted) -> None:
        """The whole of the problem under the cursor (a line of the list may be cut)."""
        event.stop()
        p = event.problem
        detail = Text(p.path + (f":{p.line}" if p.line else ""), style="bold")
        detail.append("\n" + p.message)
        self.query_one("#problem-detail", Static).update(detail)
        self.query_one("#problem-detail-scroll").scroll_home(animate=False)

    def on_problem_list_chosen(self, event: ProblemList.Chosen) -> None:
        event.stop()
        self.dismiss(event.problem)

    def action_choose(self) -> None:
        if self.problems:
            self.dismiss(self.problems[self.query_one(ProblemList).cursor])


def log_entry(line: str) -> Table:
    """One activity-log line: its time, then the text, whose wrapped lines are indented to
    the text (so they do not read as entries of their own)."""
    stamp, sep, text = line.partition("  ")
    if not sep:
        stamp, text = "", line
    grid = Table.grid(padding=(0, 2 if stamp else 0), expand=True)
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(stamp, Text(text))  # file names and errors: never markup
    return grid


class LogScreen(Dialog[None]):
    """The activity log: loads, reloads, file changes, copies and saves."""

    BINDINGS = [
        Binding("escape,l,q", "dismiss(None)", "Close", id="log.close"),
        Binding("p", "switch('problems')", "Problems", id="log.problems", tooltip="Problems"),
        Binding("question_mark", "switch('help')", "Help", id="log.help", tooltip="Every key"),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Activity log   (esc: close)", id="dialog-title")
            # min_width: entries fit the dialog (its default of 78 would scroll sideways).
            yield RichLog(id="log", wrap=True, markup=False, highlight=False, min_width=1)

    def on_mount(self) -> None:
        log = self.query_one(RichLog)
        for line in self.lines:
            log.write(log_entry(line))


class HelpTable(DataTable):
    """The help's rows, scrolled by the keys (no cursor: there is nothing to choose).

    | Key | Does |
    |---|---|
    | ↑ ↓ / k j | scroll a line |
    | pgup pgdn | scroll a page |
    | home end | to the first or the last row |
    """

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="help.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="help.down"),
        Binding("home", "scroll_top", "First", show=False, id="help.first"),
        Binding("end", "scroll_bottom", "Last", show=False, id="help.last"),
    ]


class HelpScreen(Dialog[None]):
    """Every binding with its key and description."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close", id="help.close"),
        Binding("p", "switch('problems')", "Problems", id="help.problems", tooltip="Problems"),
        Binding("l", "switch('log')", "Log", id="help.log", tooltip="The activity log"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("llmflow keys   (esc: close · ctrl+p: command palette)", id="dialog-title")
            yield HelpTable(id="help-table", cursor_type="none")
            yield Static(
                Text(
                    "Achievements: ✔ approved  ✘ needs fix  ◎ awaiting review  ▶ executing  "
                    "◇ subplan ready  · not started.  Plans: ✔ complete  ✔? complete by its "
                    "documents (no reviews)  ✘ needs attention  ● active  ○ not started  "
                    "◆ plan of plans  ▣ group.  Config: ~/.config/llmflow/config.toml "
                    'and <workspace>/.llmflow/config.toml ([keys] id = "key").',
                    style="dim",
                ),
                id="help-legend",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.focus()
        self.call_after_refresh(self._fill)  # once the table knows its width

    def _fill(self) -> None:
        """One row per key; an action too long for the room left wraps in its row."""
        table = self.query_one(DataTable)
        key_width = max(cell_len(key) for key, _desc, _bid in self.rows)
        id_width = max(cell_len(bid) for _key, _desc, bid in self.rows)
        padding = 2 * table.cell_padding
        room = table.size.width - table.styles.scrollbar_size_vertical
        room -= key_width + padding + padding
        # The ids (for the keymap) get a column unless it would leave the actions too
        # narrow; then each goes under its action.
        with_ids = room - (id_width + padding) >= 24
        if with_ids:
            room -= id_width + padding
        desc_width = max(20, min(room, max(cell_len(d) for _k, d, _b in self.rows)))
        table.add_column("key", width=key_width)
        table.add_column("action", width=desc_width)
        if with_ids:
            table.add_column("id", width=id_width)
        for key, desc, bid in self.rows:
            lines = Text(desc).wrap(self.app.console, desc_width)
            if bid and not with_ids:
                lines.append(Text(bid, style="dim"))
            cells = [Text(key, style="bold"), Text("\n").join(lines)]
            ids = [Text(bid, style="dim")] if with_ids else []
            table.add_row(*cells, *ids, height=len(lines))


class SavePathInput(Input):
    """The save dialog's path field: its enter (submit) is named in the footer."""

    BINDINGS = [
        Binding("enter", "submit", "Save", id="save.save", tooltip="Save to this path"),
    ]


class SaveModal(Dialog[str | None]):
    """Ask where to save the preview (a path relative to ``base``: the workspace, or for
    the bundled demo the current folder)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="save.cancel", tooltip="Save nothing"),
    ]

    def __init__(self, suggestion: str, base: str = "the workspace") -> None:
        super().__init__()
        self.suggestion = suggestion
        self.base = base

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="small"):
            yield Label(f"Save the preview to (relative to {self.base}; enter saves):")
            yield SavePathInput(self.suggestion, id="save-path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
