"""Choose which columns the table shows and in what order; remembered per backend family."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from .form_dialog import FormDialog


class ColumnPicker(FormDialog[list[str] | None]):
    """A checklist of the backend's columns: space toggles, shift+up/down moves, Enter applies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Show/hide"),
        Binding("shift+up,K", "move(-1)", "Move up"),
        Binding("shift+down,J", "move(1)", "Move down"),
        Binding("enter", "apply", "Apply", priority=True),
    ]

    def __init__(self, offered: Sequence[tuple[str, str]], visible: Sequence[str]) -> None:
        super().__init__()
        labels = dict(offered)
        order = [c for c in visible if c in labels] + [c for c, _ in offered if c not in visible]
        self._labels = labels
        self._order = order
        self._shown = {c for c in visible if c in labels}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Columns", classes="dialog-title")
            yield OptionList(id="columns")
            yield Label(
                "space shows/hides · shift+↑/↓ (K/J) moves · Enter applies · Esc cancels",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._render_options(0)
        self.query_one(OptionList).focus()

    def edits(self) -> object:
        """The columns shown and their order: Esc asks before dropping a change to them."""
        return tuple(self._order), frozenset(self._shown)

    def _render_options(self, highlighted: int) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for column in self._order:
            text = Text()
            text.append("[x] " if column in self._shown else "[ ] ", style="bold")
            text.append(self._labels[column])
            options.add_option(Option(text, id=column))
        options.highlighted = highlighted

    @property
    def _highlighted(self) -> int:
        return self.query_one(OptionList).highlighted or 0

    def action_toggle(self) -> None:
        column = self._order[self._highlighted]
        self._shown ^= {column}
        self._render_options(self._highlighted)

    def action_move(self, step: int) -> None:
        position = self._highlighted
        target = position + step
        if 0 <= target < len(self._order):
            self._order[position], self._order[target] = self._order[target], self._order[position]
            self._render_options(target)

    def action_apply(self) -> None:
        chosen = [c for c in self._order if c in self._shown]
        if not chosen:
            self.notify("Keep at least one column.", severity="warning")
            return
        self.dismiss(chosen)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_apply()
