"""A centred message that says why there is nothing to show, and what to do next."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class EmptyState(Static):
    """Title, explanation and the keys that get the user going again."""

    def show(self, title: str, message: str, hint: str = "") -> None:
        text = Text(justify="center")
        text.append(title, style="bold")
        text.append("\n\n")
        text.append(message)
        if hint:
            text.append("\n\n")
            text.append(hint, style="italic")
        self.update(text)
