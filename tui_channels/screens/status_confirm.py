"""Confirm enabling or disabling several channels: how many change, how many the filter hides, and
which of them the gateway auto-disabled (enabling those sends traffic to failing upstreams again);
over several sites, how many channels on how many sites."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from ..services.status_change import StatusPlans, plan_message
from ..wording import plural
from .confirm import ConfirmDialog

Choice = Literal["all", "skip_auto"]
"""Change every channel of the plan, or every one but the auto-disabled ones."""


class StatusConfirmScreen(ConfirmDialog[Choice | None]):
    """`y` changes every channel of the plan; `s` leaves the auto-disabled ones (when there are any).

    `notes` follow the plan's own text (what a disable does to the site's groups). Focus starts on
    Cancel, so a stray Enter never confirms."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose('all')", "Yes"),
        Binding("s", "choose('skip_auto')", "Skip auto-disabled"),
        Binding("n", "cancel", "No"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, plan: StatusPlans, notes: str = "") -> None:
        super().__init__()
        self._plan = plan
        self._notes = notes

    def compose(self) -> ComposeResult:
        plan = self._plan
        count = len(plan.changing)
        automatic = len(plan.auto_disabled)
        with Vertical(classes="dialog", id="confirm"):
            where = f" on {plan.sites} sites" if plan.sites > 1 else ""
            yield Label(f"{plan.verb} {plural(count, 'channel')}{where}?", classes="dialog-title")
            with VerticalScroll(id="confirm-body", can_focus=False):
                yield Static(
                    plan_message(plan, self._notes),
                    id="confirm-message",
                    markup=False,
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{plan.verb} {count} (y)", variant="error", id="status-all", compact=True)
                if automatic:
                    yield Button("Skip auto-disabled (s)", variant="primary", id="status-skip-auto", compact=True)
                yield Button("Cancel (n)", id="confirm-no", compact=True)
            hint = (
                "y all · s all but the auto-disabled · n or Esc cancels"
                if automatic
                else "y yes · n or Esc cancels"
            )
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`s` only when some of the channels are auto-disabled."""
        return not (action == "choose" and parameters == ("skip_auto",) and not self._plan.auto_disabled)

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.notify("Nothing was changed.", title=f"Cancelled: {self._plan.verb.lower()}", timeout=3)
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choices: dict[str, Choice] = {"status-all": "all", "status-skip-auto": "skip_auto"}
        choice = choices.get(event.button.id or "")
        if choice is None:
            self.action_cancel()
        else:
            self.dismiss(choice)
