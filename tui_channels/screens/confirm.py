"""Ask before doing something that cannot be undone; optionally make the user type a word to agree."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from .dialog import Dialog


class ConfirmScreen(Dialog[bool]):
    """Yes/no. `y` or the confirm button agrees; `n`, Esc or Cancel declines, and says so with
    `declined` ("Nothing was done."), or silently when it is None (declining a question such as
    "Discard your edits?" leaves the user where they were: a "Cancelled" notice read as a loss).

    With `typed` set, agreeing takes typing that exact text (then Enter, or the button): `y` and `n`
    are then just letters in the box. Focus starts on Cancel, so a stray Enter never confirms.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        *,
        confirm_label: str = "Confirm",
        typed: str | None = None,
        declined: str | None = "Nothing was done.",
    ) -> None:
        super().__init__()
        self._declined = declined
        self._title = title
        self._message = message
        self._confirm_label = confirm_label
        self._typed = typed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm"):
            yield Label(self._title, classes="dialog-title")
            with VerticalScroll(id="confirm-body", can_focus=False):
                yield Static(self._message, id="confirm-message", markup=False)
            if self._typed is not None:
                yield Label(f"Type {self._typed} to confirm:")
                yield Input(id="confirm-typed", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    self._confirm_label if self._typed else f"{self._confirm_label} (y)",
                    variant="error",
                    id="confirm-yes",
                    disabled=self._typed is not None,
                    compact=True,
                )
                yield Button("Cancel" if self._typed else "Cancel (n)", id="confirm-no", compact=True)
            yield Label(self._hint(), classes="dialog-hint")

    def _hint(self) -> str:
        if self._typed is not None:
            return f"Type {self._typed}, then Enter, to {self._confirm_label.lower()} · Esc cancels"
        return f"y {self._confirm_label.lower()} · n or Esc cancels · Enter presses the highlighted button"

    def on_mount(self) -> None:
        if self._typed is not None:
            self.query_one("#confirm-typed", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`y` and `n` are letters of the typed confirmation, not answers (hidden from the footer)."""
        return not (action == "answer" and self._typed is not None)

    def action_answer(self, yes: bool) -> None:
        if yes:
            self.dismiss(True)
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if self._declined is not None:
            self.notify(self._declined, title=f"Cancelled: {self._title.rstrip('?')}", timeout=3)
        self.dismiss(False)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm-yes", Button).disabled = event.value.strip() != self._typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self._typed:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm-yes":
            self.dismiss(True)
        else:
            self.action_cancel()
