"""The bar that appears while channels are selected: how many, and what can be done to them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.widgets import Static

MORE = ("?", "more")
"""Ends the bar when some actions do not fit the width: the help screen lists every key."""


class BatchBar(Static):
    """`N selected` followed by the batch actions and their keys, as many as fit the width (then
    `? more`); hidden when nothing is selected."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0
        self._actions: list[tuple[str, str]] = []

    def show(self, count: int, actions: Sequence[tuple[str, str]]) -> None:
        """`actions` are (key, label) pairs of what the selection can be used for right now, the
        most useful first: those that do not fit the width are left out, never cut."""
        self.display = count > 0
        self._count, self._actions = count, list(actions)
        if count:
            self._render_bar()

    def on_resize(self, event: events.Resize) -> None:
        if self._count:
            self._render_bar()

    def _render_bar(self) -> None:
        width = self.size.width or self.app.size.width
        text = Text()
        text.append(f" {self._count:,} selected ", style="bold reverse")
        more = _item(*MORE)
        for index, (key, label) in enumerate(self._actions):
            item = _item(key, label)
            room = width - (0 if index == len(self._actions) - 1 else more.cell_len)
            if text.cell_len + item.cell_len > room:
                text.append_text(more)
                break
            text.append_text(item)
        self.update(text, layout=False)  # one line: its display toggles the layout


def _item(key: str, label: str) -> Text:
    text = Text("  ")
    text.append(key, style="bold")
    text.append(f" {label}")
    return text
