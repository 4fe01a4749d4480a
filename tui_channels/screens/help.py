"""Every key binding, grouped by where it works."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from .dialog import Dialog

Section = tuple[str, Sequence[tuple[str, str]]]


class HelpScreen(Dialog[None]):
    """A scrollable list of (key, what it does) per section."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, sections: Sequence[Section]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Label("Keys", classes="dialog-title")
            for title, rows in self._sections:
                table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
                table.add_column(style="bold", no_wrap=True)
                table.add_column()
                for key, description in rows:
                    table.add_row(key, description)
                yield Label(title, classes="help-section")
                yield Static(table)
            yield Label("Esc closes", classes="dialog-hint")
