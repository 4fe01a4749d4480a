"""Confirm tagging several channels: what is written and replaced, the sites left out, and the
channels a server will refuse (Done Hub: channels of one tag must share a type), which `o`
leaves out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Button

from ..services.tagging import TagPlan
from .confirm import ConfirmScreen


class TagConfirmScreen(ConfirmScreen):
    """`y` tags every channel of the plan; `o` (when some would be refused and others would not)
    agrees too, leaving out those a server will refuse: `leave_refused` says which was chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("o", "leave_refused", "Leave refused out")]

    def __init__(self, plan: TagPlan) -> None:
        count = f"{len(plan.channels):,}"
        super().__init__(plan.title, plan.message(), confirm_label=f"Tag {count}" if plan.tag else f"Clear {count}")
        self._kept = len(plan.leaving_refused().channels) if plan.refused else 0
        self.leave_refused = False

    def other_buttons(self) -> Iterable[Button]:
        if self._kept:
            yield Button(f"Only the {self._kept:,} (o)", variant="primary", id="tag-leave-refused", compact=True)

    def _hint(self) -> str:
        if self._kept:
            return "y all · o all but those the server refuses · n or Esc cancels"
        return super()._hint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`o` only when some channels would be refused and others would not."""
        if action == "leave_refused":
            return bool(self._kept)
        return super().check_action(action, parameters)

    def action_leave_refused(self) -> None:
        self.leave_refused = True
        self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The `o` button; the others are `ConfirmScreen`'s (Textual calls its handler next, unless prevented)."""
        if event.button.id == "tag-leave-refused":
            event.prevent_default()
            self.action_leave_refused()
