"""Ask for one whole number (priority, weight) without opening the full form."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from ..backends.base import Capabilities, FieldKind, FieldSpec
from ..services.channel_form import number_error
from .form_dialog import FormDialog


class NumberPrompt(FormDialog[int | None]):
    """A title, what it applies to, and an integer input; Enter accepts, Esc cancels.

    The number is checked against `spec`, the field's range as the backend declares it (Claude Code
    Hub weight 1-100; int64 where a field declares no range), as the channel form checks it.
    """

    def __init__(self, title: str, detail: str, spec: FieldSpec, value: int | None = None) -> None:
        super().__init__()
        self._title = title
        self._detail = detail
        self._value = value
        self._spec = spec

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
        problem = number_error(self._spec, event.value)
        if problem:
            self.query_one("#number-error", Label).update(problem)
            return
        self.dismiss(int(event.value.strip()))


def number_spec(capabilities: Capabilities | None, name: str) -> FieldSpec:
    """The backend's spec of the INT field `name` (its range), or a whole number of at least 0."""
    spec = capabilities.field(name) if capabilities is not None else None
    return spec if spec is not None and spec.kind is FieldKind.INT else FieldSpec(name, name, FieldKind.INT, minimum=0)
