"""The bar that appears while channels are selected: how many, and what can be done to them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


class BatchBar(Static):
    """`N selected` followed by the batch actions and their keys; hidden when nothing is selected."""

    def show(self, count: int, actions: Sequence[tuple[str, str]]) -> None:
        """`actions` are (key, label) pairs of what the selection can be used for right now."""
        self.display = count > 0
        if not count:
            return
        text = Text()
        text.append(f" {count:,} selected ", style="bold reverse")
        for key, label in actions:
            text.append("  ")
            text.append(key, style="bold")
            text.append(f" {label}")
        self.update(text, layout=False)  # one line: its display toggles the layout
