"""Show one channel's stored key(s) in full, on request, where the server returns keys (Octopus)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, Static

from ..services.channel_form import KeyEntry
from .dialog import Dialog


class KeyRevealScreen(Dialog[None]):
    """The keys of one channel, unmasked until the dialog closes; nothing else shows them whole."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("k", "dismiss", "Close", show=False),
    ]

    def __init__(self, channel_label: str, keys: tuple[KeyEntry, ...]) -> None:
        super().__init__()
        self._label = channel_label
        self._keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2, 0, 0), show_header=len(self._keys) > 1)
        table.add_column("On", no_wrap=True)
        table.add_column("Key", overflow="fold")
        table.add_column("Remark")
        for entry in self._keys:
            table.add_row("✓" if entry.enabled else "✗", entry.key, entry.remark)
        with Vertical(classes="dialog", id="key-reveal"):
            yield Label(f"Key of {self._label}", classes="dialog-title")
            yield Static(table if self._keys else "The server returned no key for this channel.", id="key-table")
            yield Label("Shown for this channel only · Esc closes and hides it again", classes="dialog-hint")
