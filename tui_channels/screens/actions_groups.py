"""Octopus groups from the main screen, as a mixin: the groups screen, and the groups of a channel.

`v` opens the site's groups; `V` the groups that route to the cursor channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..services.sites import SiteSession
from .groups import GroupsScreen
from .main_base import MainScreenBase
from .transfer_dialogs import SitePicker


class GroupActions(MainScreenBase):
    """The site's model groups (Octopus)."""

    HELP_TITLE: ClassVar[str] = "Groups (Octopus)"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "groups", "Groups: list, create, edit, delete, copy, restore", show=False),
        Binding("v", "unsupported('groups')", show=False),
        Binding("V", "channel_groups", "Groups routing to the cursor channel", show=False),
        Binding("V", "unsupported('channel_groups')", show=False),
    ]
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {
        "groups": Operation.MODEL_GROUPS,
        "channel_groups": Operation.MODEL_GROUPS,
    }

    def action_groups(self) -> None:
        session = self.loaded_session()
        if session is not None and self.require_operation(Operation.MODEL_GROUPS):
            self._open_groups(session)

    def action_channel_groups(self) -> None:
        session = self.loaded_session()
        channel = self.table.cursor_channel
        if session is None or not self.require_operation(Operation.MODEL_GROUPS):
            return
        if channel is None:
            self.notify("Move the cursor to a channel first.", severity="warning")
            return
        self._open_groups(session, channel=channel)

    def _open_groups(self, session: SiteSession, **options) -> None:
        def closed(_result: None) -> None:
            if screen.changed and session is self.current:
                self.reload_channels()

        screen = GroupsScreen(
            session, pick_site=self._pick_octopus_site(session), target_session=self._session_of, **options
        )
        self.app.push_screen(screen, closed)

    def _session_of(self, name: str) -> SiteSession:
        workspace = self.workspace
        return workspace.sessions.get(workspace.config.site(name))

    def _pick_octopus_site(self, session: SiteSession) -> Callable[[str, Callable[[str | None], None]], None]:
        """Choose another site of the same family to copy groups to."""

        def pick(title: str, then: Callable[[str | None], None]) -> None:
            sites = self.workspace.config.sites
            others = [s for s in sites if s.name != session.name and s.kind is session.profile.kind]
            if not others:
                self.notify("There is no other Octopus site to copy to; add one with S.", severity="warning")
                return
            self.app.push_screen(SitePicker(title, others), then)

        return pick
