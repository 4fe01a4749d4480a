"""The history of changes, as a mixin of the main screen: `h` opens it on the current site."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from .history import HistoryScreen
from .main_base import MainScreenBase


class HistoryActions(MainScreenBase):
    """Every change the tool made, and undo."""

    HELP_TITLE: ClassVar[str] = "History"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "history", "History of changes (undo)", show=False),
    ]

    def action_history(self) -> None:
        site = self.current.name if self.current is not None else None

        def closed(changed: set[str] | None) -> None:
            if changed and self.current is not None and self.current.name in changed:
                self.reload_channels(self.table.cursor_channel.id if self.table.cursor_channel else None)

        self.app.push_screen(HistoryScreen(site), closed)
