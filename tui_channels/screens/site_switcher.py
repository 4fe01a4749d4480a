"""Pick another site: every configured profile with its backend family and URL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..config import SiteProfile
from .dialog import Dialog


class SiteSwitcher(Dialog[str | None]):
    """A list of sites; Enter switches, Esc keeps the current one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, sites: Sequence[SiteProfile], current: str | None) -> None:
        super().__init__()
        self._sites = list(sites)
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Switch site", classes="dialog-title")
            yield OptionList(*(self._option(site) for site in self._sites), id="sites")
            yield Label("Enter switches · Esc cancels · S in the main screen manages sites", classes="dialog-hint")

    def _option(self, site: SiteProfile) -> Option:
        text = Text()
        text.append("● " if site.name == self._current else "  ", style="bold")
        text.append(site.name, style="bold")
        text.append(f"  {site.kind.label}", style="dim")
        text.append(f"  {site.url}")
        return Option(text, id=site.name)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        names = [s.name for s in self._sites]
        if self._current in names:
            options.highlighted = names.index(self._current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
