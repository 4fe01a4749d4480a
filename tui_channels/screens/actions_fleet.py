"""The fleet's reports, as a mixin of the main screen: health (`H`) and where is it (`w`).

Both work over every site: from one site they open the fleet view first (sites not loaded yet
load all at once, and the reports fill in as they arrive). A report's row leads straight to its
channel in the fleet view, with the filters cleared if they hid it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from ..errors import ChannelsError
from ..services import test_log
from ..services.channel_view import ChannelRef
from ..services.fleet import Fleet
from ..services.key_library import KeyLibrary, UpstreamKey
from ..wording import aside
from .find import FindScreen
from .fleet_jump import Jump
from .health import HealthScreen
from .main_base import MainScreenBase


class FleetActions(MainScreenBase):
    """Health and cross-site search over every site."""

    HELP_TITLE: ClassVar[str] = "All sites"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("H", "health", "Health of every site", show=False),
        Binding("w", "where", "Where is it? (base URL, model or key on every site)", show=False),
    ]
    FLEET_ACTIONS: ClassVar[frozenset[str]] = frozenset({"health", "where"})

    def _fleet_open(self) -> Fleet | None:
        """The fleet view, opened if need be; None (after saying so) when no site is configured."""
        if not self.workspace.config.sites:
            self.notify("No site yet: press S to add one.", severity="warning")
            return None
        if self.fleet is None:
            self.open_fleet()
        return self.fleet

    def action_health(self) -> None:
        fleet = self._fleet_open()
        if fleet is None:
            return
        settings = self.workspace.config.health
        self.app.push_screen(HealthScreen(fleet, settings, self._tests), self.jump_to)

    def _tests(self) -> test_log.Records:
        try:
            return test_log.read()
        except test_log.TestLogError as error:
            self.notify(f"{error.message}; last test results are left out.", severity="warning")
            return {}

    def action_where(self) -> None:
        fleet = self._fleet_open()
        if fleet is None:
            return
        library, note = self._library()
        self.app.push_screen(FindScreen(fleet, library, note=note), self.jump_to)

    def _library(self) -> tuple[list[UpstreamKey], str]:
        try:
            return KeyLibrary(self.workspace.secrets).keys(), ""
        except ChannelsError as error:
            return [], f"The key library could not be read {aside(error.message)}; keys are matched on servers only."

    def jump_to(self, jump: Jump | None) -> None:
        """Go to a report's row: the channel in the fleet view, or a site of its own."""
        if jump is None:
            return
        if jump.channel_id is None:
            if self.workspace.config.has_site(jump.site):
                self.open_site(jump.site)
            return
        fleet = self.fleet
        if fleet is None:
            return
        key = ChannelRef(jump.site, jump.channel_id)
        table = self.table
        if table.index.position(key) is None:
            self.notify(f"Channel {jump.channel_id} of {jump.site} is not loaded any more.", severity="warning")
            return
        table.move_cursor_to_channel(key)
        if table.cursor_key != key:
            self.clear_filters()
            table.move_cursor_to_channel(key)
        table.focus()
