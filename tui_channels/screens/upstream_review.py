"""The server's own upstream findings (current New API), offered beside this app's sync.

`SyncSourcePicker` is what `y` asks on such a server: review what the server found, ask it to check
now, or run this app's own sync. `UpstreamReviewScreen` lists each model the server found, added
or removed upstream, with what to do with it: apply, ignore (added models, for good) or leave it
pending; it dismisses with the decisions, which the main screen applies channel by channel. The
removals of a channel they would leave without models start as "leave", and the summary says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, OptionList
from textual.widgets.option_list import Option

from ..models import Channel
from ..services.upstream_updates import Decision, ModelChange, describe, stripped
from ..wording import plural
from .dialog import Dialog
from .form_dialog import FormDialog

SOURCES = {
    "review": "Review what the server found, and apply or ignore it per model",
    "check": "Ask the server to check these channels' upstreams now, then review",
    "sync": "This app's sync: fetch every upstream now and preview the changes",
}
_DECISION_STYLE = {Decision.APPLY: "bold green", Decision.IGNORE: "yellow", Decision.LEAVE: "dim"}


class SyncSourcePicker(Dialog[str | None]):
    """Dismisses with "review", "check" or "sync"."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, channels: int, pending: int, changes: int) -> None:
        super().__init__()
        self._channels = channels
        self._pending = pending
        self._changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sync-source"):
            yield Label(f"Sync the models of {plural(self._channels, 'channel')}", classes="dialog-title")
            yield Label(
                f"The server itself found {self._changes:,} upstream model changes on {self._pending:,} of them."
                if self._pending
                else "The server has found no upstream model change on them."
            )
            options = [Option(text, id=key) for key, text in SOURCES.items()]
            if not self._pending:
                options[0] = Option(SOURCES["review"] + " (nothing found)", id="review", disabled=True)
            yield OptionList(*options, id="sync-sources")
            yield Label("Enter chooses · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self._pending else 1
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


def change_line(change: ModelChange, name: str) -> Text:
    text = Text()
    text.append(f"{change.decision.value:<7}", style=_DECISION_STYLE[change.decision])
    text.append("+ " if change.added else "− ", style="green" if change.added else "red")
    text.append(change.model, style="bold")
    text.append(f"  {name}", style="dim")
    return text


class UpstreamReviewScreen(FormDialog[list[ModelChange] | None]):
    """Every model the server found; space cycles what to do with the highlighted one. Esc asks
    first when a decision was changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("space", "cycle", "Change"),
        Binding("a", "all('apply')", "Apply all"),
        Binding("i", "all('ignore')", "Ignore all added"),
        Binding("l", "all('leave')", "Leave all"),
        Binding("ctrl+s", "apply", "Apply", priority=True),
    ]

    def __init__(self, changes: Sequence[ModelChange], channels: Sequence[Channel]) -> None:
        super().__init__()
        self._changes = list(changes)
        self._names = {c.id: c.name for c in channels}
        emptied = ", ".join(c.name for c in stripped(channels))
        self._note = (
            f"\nLeft pending: the removals from {emptied}, which would leave them without models "
            "(the upstream listed none of their models)."
            if emptied
            else ""
        )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="upstream-review"):
            yield Label("Upstream model changes the server found", classes="dialog-title")
            yield Label(id="review-summary")
            yield OptionList(id="review-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="review-apply", compact=True)
                yield Button("Cancel", id="review-cancel", compact=True)
            yield Label(
                "+ added upstream, − gone upstream · space: apply → ignore → leave · a / i / l all · "
                "ctrl+s sends · Esc cancels",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._draw()
        self.query_one(OptionList).focus()

    def edits(self) -> object:
        return tuple(change.decision for change in self._changes)

    def _draw(self) -> None:
        self.query_one("#review-summary", Label).update(describe(self._changes) + self._note)
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            Option(change_line(c, self._names.get(c.channel_id, f"#{c.channel_id}"))) for c in self._changes
        )
        if self._changes:
            options.highlighted = min(highlighted or 0, len(self._changes) - 1)
        self.query_one("#review-apply", Button).disabled = all(c.decision is Decision.LEAVE for c in self._changes)

    def action_cycle(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self._changes:
            return
        position = options.highlighted
        self._changes[position] = self._changes[position].cycled()
        self._draw()

    def action_all(self, decision: str) -> None:
        wanted = Decision(decision)
        self._changes = [
            ModelChange(
                c.channel_id,
                c.model,
                c.added,
                wanted if (c.added or wanted is not Decision.IGNORE) else c.decision,
            )
            for c in self._changes
        ]
        self._draw()

    def action_apply(self) -> None:
        if any(c.decision is not Decision.LEAVE for c in self._changes):
            self.dismiss(self._changes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "review-apply":
            self.action_apply()
        else:
            self.action_cancel()
