"""The base of every dialog: a modal screen with a footer of its own.

Without it the footer of the screen below stayed visible under the dimmed backdrop and showed keys
that do nothing while the dialog is open.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.screen import ModalScreen
from textual.widget import Widget

from ..widgets.footer import FittingFooter

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal screen whose footer shows its own keys (Textual runs this `on_mount` after the subclass's).

    The footer leaves out the command palette's key: in a dialog the palette offers only the app's
    own commands, and its key took the room of the dialog's keys at 80 columns (`ctrl+p` still works).

    The focus it opens on does not scroll: Textual centres a newly focused widget on the next turn,
    which, run before the dialog's first layout, scrolled a form's title, hint and first label out
    of sight (at 80x24, depending on how loaded the machine was). Its first field is at the top.
    """

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (70, "-normal")]
    """Below 70 columns (`-narrow`) a dialog packs its buttons closer, so that a row of them fits."""
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (24, "-tall")]
    """Below 24 lines (`-short`) a dialog drops the blank lines around its title, buttons and hint and
    its lists their borders: its lists keep three rows and its buttons stay in sight, a four-line
    toast above it included (styles/dialogs.tcss)."""

    _laid_out = False

    def on_mount(self) -> None:
        self.mount(FittingFooter(compact=True, show_command_palette=False))
        self.call_after_refresh(self._first_layout_done)

    def _first_layout_done(self) -> None:
        self._laid_out = True

    def set_focus(self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False) -> None:
        super().set_focus(widget, scroll_visible and self._laid_out, from_app_focus)
