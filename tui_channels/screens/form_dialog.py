"""The base of every dialog of fields: Esc never drops edits without asking."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import SelectionList, TextArea

from .confirm import ConfirmScreen
from .dialog import Dialog

ResultT = TypeVar("ResultT")


class DiscardConfirm(ConfirmScreen):
    """Asked when Esc would drop a form's edits: y discards them, n (or Esc) goes back to the form,
    without a word (the edits are still there, in sight)."""

    def __init__(
        self,
        title: str = "Discard your edits?",
        message: str = "This form has edits that are not saved. y discards them and closes it; n goes back to it.",
    ) -> None:
        super().__init__(title, message, confirm_label="Discard", declined=None)


class FormDialog(Dialog[ResultT]):
    """A dialog of fields: Esc (or its Cancel button, through `action_cancel`) closes it at once
    while nothing was edited, and asks first (y discards, n goes back to the form) when something was.

    "Edited" is what `edits()` returns, compared with what it returned once the dialog was mounted
    (Textual runs this `on_mount` after the subclass's, so after its setup): by default the value of
    every input, text area, select, checkbox and checklist but those of class `filter` (they only
    narrow a list: nothing is lost with them); a subclass may say better.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "Input, TextArea, Select, Checkbox, SelectionList, OptionList, DataTable, Button"
    """Focus starts on the first field (or list, or button), never on the scrolling container that
    holds the fields: typing there went nowhere, and each Tab then landed one field off."""

    def edits(self) -> object:
        """What the user can change, in a form that compares equal while nothing was edited.

        The filter class is left out here, not with `DOMQuery.exclude`: Textual (8.2) drops a
        query's own selector when it excludes from an empty result, so a dialog without fields
        would count every widget, and the footer mounted after it as an edit.
        """
        fields = self.query("Input, TextArea, Select, Checkbox, SelectionList")
        return [(type(field).__name__, field.id, _value(field)) for field in fields if not field.has_class("filter")]

    def on_mount(self) -> None:
        self._opened = self.edits()

    def action_cancel(self) -> None:
        if self.edits() == self._opened:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(self.discard_question(), answered)

    def discard_question(self) -> DiscardConfirm:
        """The question Esc asks when something was edited; a dialog whose edits are not typed
        values (picked rows) names what it would drop."""
        return DiscardConfirm()


def _value(field: Widget) -> object:
    if isinstance(field, TextArea):
        return field.text
    if isinstance(field, SelectionList):
        return tuple(field.selected)
    return getattr(field, "value", None)
