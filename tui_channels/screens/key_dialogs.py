"""Add keys to the library (pasted text or a file) and add a relay account as a key source."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static, TextArea

from ..backends.registry import family_of
from ..config import KeySourceProfile
from ..errors import ChannelsError, InvalidSecret
from ..models import BackendKind
from ..services.key_library import BaseUrlNeeded, KeyInputError, UpstreamKey, parse_keys, read_key_file, verify_account
from .form_dialog import FormDialog
from .workers import work


class AddKeysDialog(FormDialog[list[UpstreamKey] | None]):
    """Paste keys or name a file; bare keys take the base URL typed once below them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "add", "Add", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form", id="add-keys"):
            yield Label("Add keys to the library", classes="dialog-title")
            yield Label("Paste: name,base_url,key lines, a JSON list, or one key per line")
            yield TextArea(id="keys-text", soft_wrap=True)
            yield Label("…or read a file")
            yield Input(placeholder="path to a .csv, .json or .txt file", id="keys-file", compact=True)
            yield Label("Base URL for keys listed without one")
            yield Input(placeholder="https://relay.example.com", id="keys-base-url", compact=True)
            yield Label("Source site name (default: the base URL's host)")
            yield Input(id="keys-source", compact=True)
            yield Static(id="keys-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="keys-add", compact=True)
                yield Button("Cancel", id="keys-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def _value(self, widget_id: str) -> str:
        return self.query_one(widget_id, Input).value.strip()

    def action_add(self) -> None:
        base_url, source = self._value("#keys-base-url") or None, self._value("#keys-source") or None
        path = self._value("#keys-file")
        try:
            if path:
                keys = read_key_file(Path(path).expanduser(), base_url=base_url, source=source)
            else:
                keys = parse_keys(self.query_one(TextArea).text, base_url=base_url, source=source)
        except KeyInputError as error:
            self.query_one("#keys-error", Static).update(error.message)
            if isinstance(error, BaseUrlNeeded):
                self.query_one("#keys-base-url", Input).focus()
            return
        self.dismiss(keys)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "keys-add":
            self.action_add()
        else:
            self.action_cancel()


class AccountDialog(FormDialog[tuple[KeySourceProfile, str] | None]):
    """A relay account: checked with the relay (`/api/user/self`) before it is saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, taken: set[str]) -> None:
        super().__init__()
        self._taken = taken

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form", id="add-account"):
            yield Label("Add a relay account (New API family)", classes="dialog-title")
            yield Label("Name (the source site name in channel names)")
            yield Input(id="account-name", compact=True)
            yield Label("Relay URL")
            yield Input(placeholder="https://relay.example.com", id="account-url", compact=True)
            yield Label("User id")
            yield Input(type="integer", id="account-user-id", compact=True)
            yield Label("Access token (personal settings on the relay; not an sk- key)")
            yield Input(password=True, id="account-token", compact=True)
            yield Static(id="account-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Check and save", variant="primary", id="account-save", compact=True)
                yield Button("Cancel", id="account-cancel", compact=True)

    def _value(self, widget_id: str) -> str:
        return self.query_one(widget_id, Input).value.strip()

    def _error(self, message: str) -> None:
        self.query_one("#account-error", Static).update(message)

    def action_save(self) -> None:
        name, token = self._value("#account-name"), self._value("#account-token")
        user_id = self._value("#account-user-id")
        if name in self._taken:
            self._error(f"A key source named {name!r} already exists.")
            return
        if not token:
            self._error("The access token is required.")
            return
        try:
            family_of(BackendKind.NEWAPI).check_secret(token)
            profile = KeySourceProfile(name=name, url=self._value("#account-url"), user_id=int(user_id or 0))
        except InvalidSecret as error:
            self._error(error.message)
            return
        except ValidationError as exc:
            problems = (f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
            self._error("; ".join(problems))
            return
        self._error("Checking the account…")
        self._verify(profile, token)

    @work(exclusive=True)
    async def _verify(self, profile: KeySourceProfile, token: str) -> None:
        try:
            username = await verify_account(profile, token)
        except ChannelsError as error:
            self._error(f"{error.title}: {error.message}")
            return
        self.notify(f"Signed in to {profile.url} as {username}.")
        self.dismiss((profile, token))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "account-save":
            self.action_save()
        else:
            self.action_cancel()
