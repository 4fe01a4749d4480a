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
            """Sites an undo changed load again from the server when they are on screen (one site
            or the fleet); those off screen were kept in step by the history itself."""
            if not changed:
                return
            cursor = self.table.cursor_channel.id if self.table.cursor_channel else None
            on_screen = self.fleet.sessions if self.fleet is not None else [self.current] if self.current else []
            for session in on_screen:
                if session.name in changed:
                    self.reload_channels(cursor if session is self.current else None, session=session)

        self.app.push_screen(HistoryScreen(site), closed)
