"""The base of every dialog: a modal screen with a footer of its own.

Without it the footer of the screen below stayed visible under the dimmed backdrop and showed keys
that do nothing while the dialog is open.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen
from textual.widgets import Footer

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal screen whose footer shows its own keys (Textual runs this `on_mount` after the subclass's)."""

    def on_mount(self) -> None:
        self.mount(Footer(compact=True))
