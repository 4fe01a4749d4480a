"""Where is it? (`w`): type a base URL, a model name or an upstream key once, see every channel on
every site that has it, each with how it matched; Enter goes to the channel in the fleet view.

Keys are matched where servers return them and through the key library; what could not be
checked is said under the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..services.find import Found, Match, find
from ..services.fleet import Fleet
from ..services.key_library import UpstreamKey
from ..wording import plural
from .dialog import Dialog
from .fleet_jump import Jump

TYPING_PAUSE = 0.25
"""Seconds after the last keystroke before the fleet is searched (it may hold 100,000 channels)."""


def match_text(match: Match) -> Text:
    text = Text()
    text.append(f"  #{match.channel_id} ", style="dim")
    text.append(match.name, style="bold")
    text.append(f"  {match.via.label}: ", style="dim")
    text.append(match.detail)
    return text


class FindScreen(Dialog[Jump | None]):
    """The search line and every match, grouped by site."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, fleet: Fleet, library: Sequence[UpstreamKey], *, text: str = "", note: str = "") -> None:
        super().__init__()
        self._fleet = fleet
        self._library = list(library)
        self._text = text
        self._library_note = note
        self._rows: list[Jump | None] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="find"):
            yield Label(f"Where is it? Every channel of {plural(len(self._fleet.sessions), 'site')}", classes="dialog-title")
            yield Input(self._text, placeholder="a base URL, a model name or an upstream key", id="find-text", classes="filter")
            yield Static(id="find-summary")
            yield OptionList(id="find-list")
            yield Static(id="find-notes")
            yield Label("Type, then ↓ to the list · Enter goes to the channel · Esc closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self._text:
            self._search()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, self._search)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Search now; the pending search of the last keystroke would redo it under the cursor."""
        event.stop()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._search()
        self.query_one(OptionList).focus()

    def key_down(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(OptionList).focus()

    def _search(self) -> None:
        text = self.query_one(Input).value
        found = find(text, self._fleet.sessions, self._library)
        self._show(found)

    def _show(self, found: Found) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        self._rows = []
        sites = found.sites
        if found.text.strip():
            pending = len(self._fleet.pending_sites())
            head = f"{plural(len(found.matches), 'match', 'matches')} on {len(sites)} of {plural(len(self._fleet.sessions), 'site')}"
            if pending:
                head += f" ({plural(pending, 'site')} still loading)"
        else:
            head = ""
        self.query_one("#find-summary", Static).update(Text(head, style="bold"))
        for site in sites:
            matches = [m for m in found.matches if m.site == site]
            options.add_option(Option(Text(f"── {site} ({len(matches):,})", style="bold"), disabled=True))
            self._rows.append(None)
            for match in matches:
                options.add_option(Option(match_text(match)))
                self._rows.append(Jump(match.site, match.channel_id))
        notes = [*found.notes, *([self._library_note] if self._library_note else [])]
        self.query_one("#find-notes", Static).update(Text("\n".join(notes), style="dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        jump = self._rows[event.option_index]
        if jump is not None:
            self.dismiss(jump)
