"""The base of every dialog: a modal screen with a footer of its own.

Without it the footer of the screen below stayed visible under the dimmed backdrop and showed keys
that do nothing while the dialog is open.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen
from ..widgets.footer import FittingFooter

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal screen whose footer shows its own keys (Textual runs this `on_mount` after the subclass's).

    The footer leaves out the command palette's key: in a dialog the palette offers only the app's
    own commands, and its key took the room of the dialog's keys at 80 columns (`ctrl+p` still works).
    """

    def on_mount(self) -> None:
        self.mount(FittingFooter(compact=True, show_command_palette=False))
