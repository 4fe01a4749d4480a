"""What a plan would create, row by row, before anything is written; the base of the import preview
and the copy report.

Each row is ready, already present or blocked (with the reason, shown for the cursor row below the
table). `e` types the models of a row, `f` creates an already-present row anyway (or skips it
again), ctrl+s creates the ready rows; Esc leaves without creating anything. Subclasses add their
columns, details and edits.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Label, Static

from ..models import join_list, mask_secret
from ..services.channel_plan import ChannelPlan, PlannedChannel, RowState
from ..widgets.row_table import RowTable
from .form_dialog import FormDialog
from .transfer_dialogs import PromptDialog

STATE_STYLES = {RowState.READY: "green", RowState.PRESENT: "yellow", RowState.BLOCKED: "red"}


def state_cell(row: PlannedChannel) -> Text:
    return Text(row.state.value, style=STATE_STYLES[row.state])


def key_cell(row: PlannedChannel) -> str:
    if row.spec.key:
        return mask_secret(row.spec.key)
    return "needed" if row.needs_key or not row.problem else "—"


SCROLLBAR = 2
"""Cells a table keeps for its vertical scrollbar."""


def _width(cell: object) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(str(cell))


def _cut(cell: object, width: int) -> object:
    """A text cell longer than its column, ending in "…" (other cells are never cut)."""
    if isinstance(cell, str) and len(cell) > width:
        return cell[: width - 1] + "…"
    return cell


class PlanPreview(FormDialog[bool]):
    """Dismisses with True when the user confirms creating the ready rows (None when cancelled). Esc
    asks first once a row was edited (its models or key typed, or created anyway)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("e", "edit_models", "Edit models"),
        Binding("f", "toggle_force", "Create anyway / skip"),
        Binding("ctrl+s", "confirm", "Create", priority=True),
    ]
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    FLEXIBLE: ClassVar[tuple[str, ...]] = ()
    """Columns that give up width, in this order and each down to its header, their cells ending in
    "…", where the rows are wider than the table: the others (counts, states) always show whole."""
    HINT: ClassVar[str] = ""

    def __init__(self, plan: ChannelPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog plan-preview"):
            yield Label(self.plan.title, classes="dialog-title")
            yield Label(id="plan-summary")
            yield RowTable(cursor_type="row", zebra_stripes=True, id="plan-rows")
            with VerticalScroll(id="plan-detail"):
                yield Static(id="plan-detail-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", variant="primary", id="plan-create", compact=True)
                yield Button("Cancel", id="plan-cancel", compact=True)
            yield Label(self.HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.refresh_rows()
        self.query_one(DataTable).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_rows)

    def edits(self) -> object:
        return tuple((row.force, tuple(row.spec.models), row.spec.key) for row in self.plan.rows)

    def cells(self, row: PlannedChannel) -> tuple[object, ...]:
        raise NotImplementedError

    def detail(self, row: PlannedChannel) -> str:
        raise NotImplementedError

    @property
    def cursor_row(self) -> PlannedChannel | None:
        table = self.query_one(DataTable)
        if not self.plan.rows or table.cursor_row < 0:
            return None
        return self.plan.rows[min(table.cursor_row, len(self.plan.rows) - 1)]

    def refresh_rows(self) -> None:
        """Redraw every row (states depend on each other's edits), keeping the cursor in place."""
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        rows = [self.cells(row) for row in self.plan.rows]
        widths = self._widths(rows, table.content_region.width)
        table.clear(columns=True)
        for name in self.COLUMNS:
            table.add_column(name, width=widths[name], key=name)
        for row, cells in zip(self.plan.rows, rows, strict=True):
            fitted = (_cut(cell, widths[name]) for name, cell in zip(self.COLUMNS, cells, strict=True))
            table.add_row(*fitted, key=str(row.position))
        if self.plan.rows:
            table.move_cursor(row=max(0, min(cursor, len(self.plan.rows) - 1)))
        ready = self.plan.counts()[RowState.READY]
        self.query_one("#plan-summary", Label).update(self.plan.summary())
        button = self.query_one("#plan-create", Button)
        button.label = f"Create {ready} channel{'' if ready == 1 else 's'}"
        button.disabled = ready == 0
        self._show_detail()

    def _widths(self, rows: list[tuple[object, ...]], room: int) -> dict[str, int]:
        """Each column as wide as its header and cells; where that is wider than the table's `room`
        (0: not laid out yet), the `FLEXIBLE` columns give up cells in turn, down to their headers."""
        widths = {
            name: max([len(name), *(_width(cells[n]) for cells in rows)]) for n, name in enumerate(self.COLUMNS)
        }
        if room <= 0:
            return widths
        excess = sum(widths.values()) + 2 * len(widths) + SCROLLBAR - room
        for name in self.FLEXIBLE:
            given = max(0, min(excess, widths[name] - len(name)))
            widths[name] -= given
            excess -= given
        return widths

    def _show_detail(self) -> None:
        row = self.cursor_row
        self.query_one("#plan-detail-text", Static).update(self.detail(row) if row else "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def action_edit_models(self) -> None:
        """Type the models of the cursor row (a blocked "no models" row becomes ready)."""
        row = self.cursor_row
        if row is None:
            return

        def typed(models: str | None) -> None:
            if models is not None:
                self.plan.set_models(row, models)
                self.refresh_rows()

        self.app.push_screen(
            PromptDialog(
                f"Models of {row.spec.name}",
                "Model names, comma-separated",
                join_list(row.spec.models),
                placeholder="gpt-4o, gpt-4o-mini",
            ),
            typed,
        )

    def action_toggle_force(self) -> None:
        row = self.cursor_row
        if row is None or not row.duplicate:
            self.notify("Only an already-present row can be created anyway.", severity="warning")
            return
        row.force = not row.force
        self.refresh_rows()

    def action_confirm(self) -> None:
        if self.plan.counts()[RowState.READY] == 0:
            self.notify("No row is ready: fix the blocked ones or press Esc.", severity="warning")
            return
        self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "plan-create":
            self.action_confirm()
        else:
            self.action_cancel()
