"""Modal screens: problems, activity log, help, and the save-to-file prompt."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import DataTable, Input, Label, RichLog, Static

from ..model.types import Problem


class Dialog(ModalScreen[ScreenResultType]):
    """A modal that takes (almost) the whole screen on a small terminal."""

    def on_mount(self) -> None:  # runs before each subclass's own on_mount
        self.set_class(self.app.size.width < 100 or self.app.size.height < 30, "narrow")


class ProblemsScreen(Dialog[Problem | None]):
    """Every problem found while reading, errors first. Enter jumps to the file's plan."""

    BINDINGS = [
        Binding("escape,p,q", "dismiss(None)", "Close", id="problems.close"),
        Binding("enter", "choose", "Go to", id="problems.choose"),
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
            yield DataTable(id="problems-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("severity", "message", "where")
        for i, p in enumerate(self.problems):
            where = p.path + (f":{p.line}" if p.line else "")
            style = "red" if p.severity == "error" else "yellow"
            table.add_row(
                Text(p.severity, style=style), Text(p.message), Text(where, style="dim"), key=str(i)
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        table = self.query_one(DataTable)
        if self.problems and table.cursor_row is not None:
            self.dismiss(self.problems[table.cursor_row])


class LogScreen(Dialog[None]):
    """The activity log: loads, reloads, file changes, copies and saves."""

    BINDINGS = [Binding("escape,l,q", "dismiss(None)", "Close", id="log.close")]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Activity log   (esc: close)", id="dialog-title")
            yield RichLog(id="log", wrap=True, markup=False, highlight=False)

    def on_mount(self) -> None:
        log = self.query_one(RichLog)
        for line in self.lines:
            log.write(Text(line))


class HelpScreen(Dialog[None]):
    """Every binding with its key and description."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss(None)", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("llmflow keys   (esc: close · ctrl+p: command palette)", id="dialog-title")
            yield DataTable(id="help-table", cursor_type="row")
            yield Static(
                Text(
                    "States: ✔ approved  ✘ needs fix  ◎ awaiting review  ▶ executing  "
                    "◇ subplan ready  · not started.  Config: ~/.config/llmflow/config.toml "
                    'and <workspace>/.llmflow/config.toml ([keys] id = "key").',
                    style="dim",
                ),
                id="help-legend",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        with_ids = self.app.size.width >= 100  # ids are for the keymap; space first
        table.add_columns("key", "action", *(["id"] if with_ids else []))
        for key, desc, bid in self.rows:
            cells = [Text(key, style="bold"), Text(desc)]
            table.add_row(*cells, *([Text(bid, style="dim")] if with_ids else []))
        table.focus()


class SaveModal(ModalScreen[str | None]):
    """Ask where to save the preview (a path relative to the workspace)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="save.cancel")]

    def __init__(self, suggestion: str) -> None:
        super().__init__()
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="small"):
            yield Label("Save the preview to (relative to the workspace; enter to save):")
            yield Input(self.suggestion, id="save-path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
