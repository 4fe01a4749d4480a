"""Ask before doing something that cannot be undone; optionally make the user type a word to agree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from .dialog import Dialog, ResultT

BODY_SHARE = 0.4
"""Of the terminal's lines, what a confirmation's message takes before it needs every line the
dialog has (styles/dialogs.tcss: `#confirm-body`'s 40vh)."""


class ConfirmDialog(Dialog[ResultT]):
    """A confirmation: a title, a message that scrolls, then its buttons and hint, always in sight.

    A message longer than `BODY_SHARE` of the terminal takes every line the dialog has (class
    `long`), and ↑ ↓ PgUp PgDn scroll it whatever has focus (focus stays on Cancel or the typed
    box). Below 70 columns (`-narrow`) the buttons are packed closer so all of them fit a line;
    below 24 lines (`-short`) the dialog takes the whole height and drops the blank lines above its
    buttons and hint, so the counts and warnings a message starts with show without scrolling.
    """

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (70, "-normal")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (24, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_message(-1)", "Scroll up", show=False),
        Binding("down", "scroll_message(1)", "Scroll down", show=False),
        Binding("pageup", "scroll_message(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_message(10)", "Page down", show=False),
    ]

    _hint_text: str | None = None
    """The hint as composed, before the scroll keys are added to it."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit_message)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_message)

    def _fit_message(self) -> None:
        body = self.query_one("#confirm-body", VerticalScroll)
        long = body.virtual_size.height > int(self.size.height * BODY_SHARE)
        self.query_one("#confirm").set_class(long, "long")
        hint = self.query_one("#confirm > .dialog-hint", Label)
        if self._hint_text is None:
            self._hint_text = str(hint.content)
        scrolls = body.virtual_size.height > body.size.height
        hint.update(f"↑↓ PgUp PgDn scroll · {self._hint_text}" if scrolls else self._hint_text)

    def action_scroll_message(self, lines: int) -> None:
        body = self.query_one("#confirm-body", VerticalScroll)
        step = lines if abs(lines) == 1 else (1 if lines > 0 else -1) * max(1, body.size.height - 1)
        body.scroll_relative(y=step, animate=False)


class ConfirmScreen(ConfirmDialog[bool]):
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
                yield from self.other_buttons()
                yield Button("Cancel" if self._typed else "Cancel (n)", id="confirm-no", compact=True)
            yield Label(self._hint(), classes="dialog-hint")

    def other_buttons(self) -> Iterable[Button]:
        """Buttons between the confirm and Cancel buttons, for a confirmation with another answer."""
        return ()

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
