"""Ask before doing something that cannot be undone; optionally make the user type a word to agree."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no; with `typed` set, Confirm stays disabled until that exact text is typed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(False)", "Cancel")]

    def __init__(self, title: str, message: str, *, confirm_label: str = "Confirm", typed: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._message = message
        self._confirm_label = confirm_label
        self._typed = typed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm"):
            yield Label(self._title, classes="dialog-title")
            yield Static(self._message, id="confirm-message", markup=False)
            if self._typed is not None:
                yield Label(f"Type {self._typed} to confirm:")
                yield Input(id="confirm-typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    self._confirm_label, variant="error", id="confirm-yes", disabled=self._typed is not None
                )
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        if self._typed is not None:
            self.query_one("#confirm-typed", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm-yes", Button).disabled = event.value.strip() != self._typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self._typed:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
