"""Small dialogs of the transfer actions: one line of text, what to export, where to restore from,
and which site to copy to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from ..config import SiteProfile
from ..display import one_line
from ..models import Channel
from ..services.transfer import TrashedChannel
from ..widgets.picker import Picker
from .dialog import Dialog
from .form_dialog import FormDialog
from .workspace import workspace_of
from ..widgets.tickbox import Tickbox


class PromptDialog(FormDialog[str | None]):
    """One line of text (models, groups, a key); Enter accepts, Esc cancels."""

    def __init__(
        self, title: str, label: str, value: str = "", *, password: bool = False, placeholder: str = ""
    ) -> None:
        super().__init__()
        self._title = title
        self._label = label
        self._value = value
        self._password = password
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="prompt-dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Label(self._label)
            yield Input(self._value, password=self._password, placeholder=self._placeholder, id="prompt-value")
            yield Label("Enter accepts · Esc cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


@dataclass(frozen=True, slots=True)
class ExportChoice:
    channels: tuple[Channel, ...]
    include_keys: bool
    path: Path


class ExportDialog(FormDialog[ExportChoice | None]):
    """Which channels (selection, filtered view, all), whether with keys and other secrets, and the file.

    Left out, every secret of the channels' records is left out (`secret_fields`); included, the file
    is a full backup. Where the server never returns keys (New API), the choice is about the other
    secrets alone, and a note says the file holds no key either way.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export", priority=True),
    ]

    def __init__(
        self, site: str, scopes: Sequence[tuple[str, str, tuple[Channel, ...]]], path: Path, *, returns_keys: bool
    ) -> None:
        super().__init__()
        self._site = site
        self._scopes = {key: (label, channels) for key, label, channels in scopes}
        self._path = path
        self._returns_keys = returns_keys

    def compose(self) -> ComposeResult:
        options = [(f"{label} ({len(channels):,})", key) for key, (label, channels) in self._scopes.items()]
        with VerticalScroll(classes="dialog form", id="export-dialog"):
            yield Label(f"Export channels of {self._site}", classes="dialog-title")
            yield Label("Channels")
            yield Select(options, value=options[0][1], allow_blank=False, id="export-scope")
            if self._returns_keys:
                yield Tickbox("Include API keys and other secrets", False, id="export-keys")
                note = "Included, they are in plain text (the file is readable by you only)."
            else:
                yield Tickbox("Include header values, proxy passwords", False, id="export-keys")
                note = "This server never returns channel keys: the file holds none either way."
            yield Static(note, id="export-keys-note", classes="transfer-note")
            yield Label("File")
            yield Input(str(self._path), id="export-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export-go", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)
                yield Label("ctrl+s exports · Esc cancels", classes="dialog-hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-go":
            self.action_export()
        else:
            self.action_cancel()

    def action_export(self) -> None:
        path = self.query_one("#export-path", Input).value.strip()
        if not path:
            self.notify("Give the file to write.", severity="warning")
            return
        _, channels = self._scopes[str(self.query_one("#export-scope", Select).value)]
        include = self.query_one("#export-keys", Checkbox).value
        self.dismiss(ExportChoice(channels, include, Path(path).expanduser()))


@dataclass(frozen=True, slots=True)
class RestoreChoice:
    """Either an export file to read, or channels picked from the trash, or a purge of the trash."""

    path: Path | None = None
    trashed: tuple[TrashedChannel, ...] = ()
    purge: bool = False


class RestoreDialog(FormDialog[RestoreChoice | None]):
    """Restore from an export file, or pick deleted channels from the trash (each is offered once:
    a restored one is marked and not listed again); or purge the trash's old records."""

    def __init__(self, site: str, default_path: str, trashed: Sequence[TrashedChannel]) -> None:
        super().__init__()
        self._site = site
        self._default_path = default_path
        self._trashed = list(trashed)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="restore-dialog"):
            yield Label(f"Restore channels into {self._site}", classes="dialog-title")
            yield Label("From an export file")
            with Horizontal(id="restore-file-row"):
                yield Input(self._default_path, placeholder="path to an export file", id="restore-path")
                yield Button("Read file", variant="primary", id="restore-file", compact=True)
            if self._trashed:
                yield Label(f"Or deleted from {self._site} (newest first · space picks · a all)")
                yield Picker[int](
                    *(Selection(self._label(t), i) for i, t in enumerate(self._trashed)), id="restore-trash"
                )
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Restore picked", id="restore-trash-go", compact=True)
                    yield Button("Purge old…", id="restore-purge", compact=True)
                    yield Button("Cancel", id="restore-cancel", compact=True)
            else:
                yield Static(f"The trash holds no channel deleted from {self._site}.", classes="transfer-note")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Purge old…", id="restore-purge", compact=True)
                    yield Button("Cancel", id="restore-cancel", compact=True)

    @staticmethod
    def _label(trashed: TrashedChannel) -> Text:
        text = Text()
        text.append(trashed.deleted_at.replace("T", " ").removesuffix("Z"), style="dim")
        text.append(f"  #{trashed.channel.id} {one_line(trashed.channel.name)}", style="bold")
        return text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._from_file()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "restore-file":
            self._from_file()
        elif event.button.id == "restore-purge":
            self.dismiss(RestoreChoice(purge=True))
        elif event.button.id == "restore-trash-go":
            picked = self.query_one("#restore-trash", SelectionList).selected
            if not picked:
                self.notify("Pick deleted channels with space (a picks all) first.", severity="warning")
                return
            self.dismiss(RestoreChoice(trashed=tuple(self._trashed[i] for i in sorted(picked))))
        else:
            self.action_cancel()

    def _from_file(self) -> None:
        path = self.query_one("#restore-path", Input).value.strip()
        if not path:
            self.notify("Give the export file to read.", severity="warning")
            return
        self.dismiss(RestoreChoice(path=Path(path).expanduser()))


class SitePicker(Dialog[str | None]):
    """The site to copy channels to (every site but the current one)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, sites: Sequence[SiteProfile]) -> None:
        super().__init__()
        self._title = title
        self._sites = list(sites)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            labels = workspace_of(self.app).sessions.server_labels(self._sites)
            yield OptionList(*(self._option(site, labels[site.name]) for site in self._sites), id="copy-sites")
            yield Label("Enter picks · Esc cancels", classes="dialog-hint")

    @staticmethod
    def _option(site: SiteProfile, label: str) -> Option:
        text = Text()
        text.append(site.name, style="bold")
        text.append(f"  {label}", style="dim")
        text.append(f"  {site.url}")
        return Option(text, id=site.name)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
