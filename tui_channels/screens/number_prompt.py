"""Ask for one whole number (priority, weight) without opening the full form."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from .dialog import Dialog


class NumberPrompt(Dialog[int | None]):
    """A title, what it applies to, and an integer input; Enter accepts, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, detail: str, value: int | None = None, *, minimum: int | None = None) -> None:
        super().__init__()
        self._title = title
        self._detail = detail
        self._value = value
        self._minimum = minimum

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="number-prompt"):
            yield Label(self._title, classes="dialog-title")
            yield Label(self._detail)
            yield Input("" if self._value is None else str(self._value), type="integer", id="number")
            yield Label("", id="number-error", classes="form-error")
            yield Label("Enter applies · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        error = self.query_one("#number-error", Label)
        try:
            number = int(text)
        except ValueError:
            error.update("Type a whole number.")
            return
        if self._minimum is not None and number < self._minimum:
            error.update(f"The smallest allowed value is {self._minimum}.")
            return
        self.dismiss(number)
