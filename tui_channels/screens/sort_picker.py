"""Choose the sort column; choosing the current one again flips the direction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..widgets.channel_table import COLUMNS
from .dialog import Dialog


class SortPicker(Dialog[tuple[str, bool] | None]):
    """Visible columns; the result is (column, descending)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(
        self,
        columns: Sequence[str],
        current: str,
        descending: bool,
        *,
        labels: Callable[[str], str] = lambda column: COLUMNS[column].label,
    ) -> None:
        super().__init__()
        self._columns = [c for c in columns if c in COLUMNS and COLUMNS[c].label]
        self._labels = labels
        self._current = current
        self._descending = descending

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Sort by", classes="dialog-title")
            yield OptionList(*(self._option(c) for c in self._columns), id="sort-columns")
            yield Label("Enter sorts · the current column again reverses · Esc cancels", classes="dialog-hint")

    def _option(self, column: str) -> Option:
        label = self._labels(column)
        if column == self._current:
            label = f"{label}  {'▼ descending' if self._descending else '▲ ascending'}"
        return Option(label, id=column)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self._current in self._columns:
            options.highlighted = self._columns.index(self._current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        column = event.option.id or self._current
        self.dismiss((column, not self._descending if column == self._current else False))
