"""Pick group members: one (channel, model) from the whole site, or every model matching a pattern.

`MemberPicker` filters every (channel, model) pair as you type. `MatchingPreview` is "add every
available model that matches": it lists the members the pattern would add before anything is
added, and re-lists them as the pattern changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option

from ..model_groups import GroupMember, GroupSpec, ModelGroup
from ..models import Channel
from ..services.model_groups import matching_members, model_pairs
from ..wording import agrees, plural
from .dialog import Dialog
from .form_dialog import FormDialog
from ..widgets.tickbox import Tickbox

SHOWN = 500
"""Pairs listed at once; typing narrows the list."""


def pair_line(channel: Channel, model: str) -> Text:
    text = Text()
    text.append(f"{channel.id:>5} ", style="dim")
    text.append(channel.name, style="bold")
    text.append(f"  {model}")
    if not channel.status.is_enabled:
        text.append(f"  {channel.status.label}", style="yellow")
    return text


class MemberPicker(Dialog[tuple[int, str] | None]):
    """Every (channel, model) not in the group yet; type to filter, Enter picks."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, channels: Sequence[Channel], present: set[tuple[int, str]]) -> None:
        super().__init__()
        self._pairs = [(c, m) for c, m in model_pairs(channels) if (c.id, m) not in present]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="member-picker"):
            yield Label("Add a member: a model of a channel", classes="dialog-title")
            yield Input(placeholder="filter by channel or model name", id="member-filter", classes="filter")
            yield OptionList(id="member-options")
            yield Label(id="member-count")
            yield Label("Type to filter · ↓ to the list · Enter adds · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")
        search = self.query_one("#member-filter", Input)
        # Filter in the keystroke's own turn, so the box and the list repaint in one frame.
        self.watch(search, "value", self._fill, init=False)
        search.focus()

    def _fill(self, needle: str) -> None:
        needle = needle.strip().casefold()
        shown = [(c, m) for c, m in self._pairs if needle in c.name.casefold() or needle in m.casefold()]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(pair_line(c, m), id=f"{c.id}\x00{m}") for c, m in shown[:SHOWN])
        more = f" (the first {SHOWN} shown; type to narrow)" if len(shown) > SHOWN else ""
        self.query_one("#member-count", Label).update(f"{len(shown):,} of {plural(len(self._pairs), 'model')}{more}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0
            options.focus()

    def key_down(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        channel_id, model = (event.option.id or "").split("\x00", 1)
        self.dismiss((int(channel_id), model))


class MatchingPreview(FormDialog[list[GroupMember] | None]):
    """The members a pattern would add to the group, listed before they are added."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "add", "Add them", priority=True),
    ]

    def __init__(
        self, group: ModelGroup, spec: GroupSpec, channels: Sequence[Channel], pattern: str, regex: bool
    ) -> None:
        super().__init__()
        self._group = group
        self._spec = spec
        self._channels = list(channels)
        self._by_id = {c.id: c for c in channels}
        self._pattern = pattern
        self._regex = regex
        self._members: list[GroupMember] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="matching-preview"):
            yield Label(
                f"Add every available model that matches, to {self._group.name or 'the new group'}",
                classes="dialog-title",
            )
            with Horizontal(classes="group-settings"):
                yield Input(
                    self._pattern,
                    placeholder="text in the model name, or a regular expression",
                    id="match-pattern",
                )
                yield Tickbox("Regular expression", self._regex, id="match-regex")
            yield Label(id="match-summary")
            yield OptionList(id="match-options")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="match-add", compact=True)
                yield Button("Cancel", id="match-cancel", compact=True)
            yield Label(
                "Models of every channel, enabled or not, that are not members yet · ctrl+s adds · Esc cancels",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._preview()
        self.query_one(Input).focus()

    def _preview(self) -> None:
        pattern = self.query_one("#match-pattern", Input).value
        regex = self.query_one("#match-regex", Checkbox).value
        summary = self.query_one("#match-summary", Label)
        try:
            self._members = matching_members(self._group, self._channels, pattern, regex=regex, spec=self._spec)
        except ValueError as exc:
            self._members = []
            summary.update(str(exc))
        else:
            count = len(self._members)
            kind = f"match{agrees(count, 'es', '')} the regular expression" if regex else f"contain{agrees(count, 's', '')} the text"
            summary.update(
                f"{plural(count, 'model')} of the site's channels {kind} and {agrees(count, 'is', 'are')} not members yet:"
            )
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(pair_line(self._by_id[m.channel_id], m.model)) for m in self._members[:SHOWN])
        add = self.query_one("#match-add", Button)
        add.label = f"Add {len(self._members):,}"
        add.disabled = not self._members

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._preview()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._preview()

    def action_add(self) -> None:
        if self._members:
            self.dismiss(self._members)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "match-add":
            self.action_add()
        else:
            self.action_cancel()
