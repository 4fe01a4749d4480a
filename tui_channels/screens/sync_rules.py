"""Edit the model sync rules: the site's own, and the cursor channel's on top of them."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Static

from ..config import SiteProfile, SyncRules
from ..models import Channel
from .form_dialog import FormDialog
from ..widgets.tickbox import Tickbox


def parse_rules(text: str) -> tuple[str, ...]:
    """Rules typed on one line, separated by commas: substrings, or `/regex/`."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def rules_text(rules: tuple[str, ...]) -> str:
    return ", ".join(rules)


class SyncRulesScreen(FormDialog[SiteProfile | None]):
    """The result is the site profile with its new rules (validated), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, profile: SiteProfile, channel: Channel | None) -> None:
        super().__init__()
        self._profile = profile
        self._channel = channel

    def compose(self) -> ComposeResult:
        profile, channel = self._profile, self._channel
        own = profile.sync_channels.get(channel.id, SyncRules()) if channel else SyncRules()
        with VerticalScroll(classes="dialog form", id="sync-rules"):
            yield Label(f"Model sync rules of {profile.name}", classes="dialog-title")
            yield Label(
                "Comma-separated; each a substring, or a /regular expression/. Empty include keeps all.",
                classes="dialog-hint",
            )
            yield Label("Every channel: keep only models matching")
            yield Input(rules_text(profile.sync_include), id="site-include")
            yield Label("Every channel: drop models matching")
            yield Input(rules_text(profile.sync_exclude), id="site-exclude")
            if channel is not None:
                yield Label(f"Channel {channel.id} {channel.name}: keep only models matching")
                yield Input(rules_text(own.include), id="channel-include")
                yield Label(f"Channel {channel.id} {channel.name}: drop models matching")
                yield Input(rules_text(own.exclude), id="channel-exclude")
                yield Tickbox("Leave this channel out of model sync", own.skip, id="channel-skip")
            yield Static(id="rules-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="rules-save", compact=True)
                yield Button("Cancel", id="rules-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#site-include", Input).focus()

    def _text(self, widget_id: str) -> str:
        return self.query_one(widget_id, Input).value

    def action_save(self) -> None:
        profile, channel = self._profile, self._channel
        per_channel = dict(profile.sync_channels)
        try:
            if channel is not None:
                rules = SyncRules(
                    include=parse_rules(self._text("#channel-include")),
                    exclude=parse_rules(self._text("#channel-exclude")),
                    skip=self.query_one("#channel-skip", Checkbox).value,
                )
                if rules == SyncRules():
                    per_channel.pop(channel.id, None)
                else:
                    per_channel[channel.id] = rules
            updated = SiteProfile.model_validate(
                {
                    **profile.model_dump(),
                    "sync_include": parse_rules(self._text("#site-include")),
                    "sync_exclude": parse_rules(self._text("#site-exclude")),
                    "sync_channels": per_channel,
                }
            )
        except ValidationError as error:
            self.query_one("#rules-error", Static).update("; ".join(e["msg"] for e in error.errors()))
            return
        self.dismiss(updated)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rules-save":
            self.action_save()
        else:
            self.action_cancel()
