"""Pick a channel type from a backend's list by typing part of its name or number (New API has 50+)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ..models import ChannelType, TypeCatalog, TypeCode
from .dialog import Dialog


def matching_types(types: TypeCatalog, needle: str) -> list[ChannelType]:
    """Types whose name contains `needle` (case-insensitive) or whose code is `needle`."""
    needle = needle.strip().lower()
    return [t for t in types if not needle or needle in t.name.lower() or needle == str(t.code).lower()]


class TypePicker(Dialog[TypeCode | None]):
    """A filter box over the type list; Enter takes the highlighted type, Esc keeps the old one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("down", "focus_list", "Down", show=False),
    ]

    def __init__(self, types: TypeCatalog, current: TypeCode) -> None:
        super().__init__()
        self._types = types
        self._current = current
        self._shown: list[ChannelType] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="type-picker"):
            yield Label("Channel type", classes="dialog-title")
            yield Input(placeholder="Filter by name or number", id="type-filter", classes="filter", compact=True)
            yield OptionList(id="type-list", markup=False)
            yield Label("Type to filter · ↓ to the list · Enter picks · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")
        search = self.query_one("#type-filter", Input)
        # Filter in the keystroke's own turn, so the box and the list repaint in one frame.
        self.watch(search, "value", self._fill, init=False)
        search.focus()

    def _fill(self, needle: str) -> None:
        self._shown = matching_types(self._types, needle)
        options = self.query_one("#type-list", OptionList)
        options.clear_options()
        options.add_options([Option(f"{t.name}  ({t.code})") for t in self._shown])
        codes = [t.code for t in self._shown]
        options.highlighted = codes.index(self._current) if self._current in codes else (0 if codes else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        highlighted = self.query_one("#type-list", OptionList).highlighted
        if highlighted is not None:
            self.dismiss(self._shown[highlighted].code)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._shown[event.option_index].code)

    def action_focus_list(self) -> None:
        self.query_one("#type-list", OptionList).focus()
