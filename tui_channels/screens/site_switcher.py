"""Pick another site, or all of them: every configured profile with what it runs and its URL,
under an "All sites" entry that opens the fleet view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..config import SiteProfile
from ..services.fleet import FLEET_NAME
from ..services.sites import server_label
from ..wording import plural
from .dialog import Dialog


class Destination(NamedTuple):
    """Where the switcher goes: a site by name, or the fleet (every site) when `site` is None."""

    site: str | None


class SiteSwitcher(Dialog[Destination | None]):
    """"All sites" and a list of sites; Enter switches, Esc keeps the current one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(
        self, sites: Sequence[SiteProfile], current: Destination | None, labels: Mapping[str, str] | None = None
    ) -> None:
        """`labels` names what each site runs (`SessionPool.server_labels`: detected where a site
        connected this run); a site it leaves out is named by its profile (`server_label`)."""
        super().__init__()
        self._sites = list(sites)
        self._current = current
        self._labels = dict(labels or {})
        self._destinations = [Destination(None), *(Destination(site.name) for site in self._sites)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Switch site", classes="dialog-title")
            yield OptionList(self._fleet_option(), *(self._option(site) for site in self._sites), id="sites")
            yield Label(
                "Enter switches · Esc cancels · F opens all sites · S manages sites", classes="dialog-hint"
            )

    def _marker(self, destination: Destination) -> str:
        return "● " if destination == self._current else "  "

    def _fleet_option(self) -> Option:
        text = Text()
        text.append(self._marker(Destination(None)), style="bold")
        text.append(FLEET_NAME, style="bold")
        count = len(self._sites)
        text.append(f"  every site's channels in one table ({plural(count, 'site')})", style="dim")
        return Option(text)

    def _option(self, site: SiteProfile) -> Option:
        text = Text()
        text.append(self._marker(Destination(site.name)), style="bold")
        text.append(site.name, style="bold")
        text.append(f"  {self._labels.get(site.name) or server_label(site)}", style="dim")
        if site.read_only:
            text.append("  read-only", style="bold")
        text.append(f"  {site.url}")
        return Option(text)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self._current in self._destinations:
            options.highlighted = self._destinations.index(self._current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._destinations[event.option_index])
