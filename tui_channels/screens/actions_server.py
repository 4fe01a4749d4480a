"""Model work the server does itself, as a mixin of the main screen.

f8 runs Octopus's own model sync of its auto-sync channels (after a confirmation), waits for the
server to finish, reloads the channels and reports what changed per channel.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..errors import ChannelsError
from ..services.channel_view import relative_time
from ..services.server_sync import participants, run_server_sync
from ..services.sites import SiteSession
from .actions_channels import channel_lines
from .batch_results import BatchResultsScreen
from .confirm import ConfirmScreen
from .main_base import MainScreenBase
from .workers import work

SERVER_SYNC_TITLE = "Server model sync"


def server_sync_message(session: SiteSession) -> str:
    """What the confirmation says: which channels take part, what the server changes, how long."""
    taking_part = participants(session.channels)
    if taking_part:
        who = f"The server asks the upstream of each of its {len(taking_part)} auto-sync channels for its models:\n"
        who += channel_lines(taking_part)
    else:
        who = "No loaded channel has auto sync on (the Sync column), so the server has nothing to sync."
    synced = session.server_synced_at
    last = f"Its last run ended {relative_time(synced.timestamp())}." if synced else ""
    return (
        f"{who}\n\n"
        "Each channel's synced models are replaced by what its upstream lists (hand-added custom "
        "models stay), and group members whose model disappears are removed from their groups. "
        f"The server answers when it has finished, which can take minutes. {last}"
    ).strip()


class ServerActions(MainScreenBase):
    """The server's own model sync (Octopus)."""

    HELP_TITLE: ClassVar[str] = "Server-side model work"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f8", "server_sync", "Server model sync (Octopus)", show=False),
        Binding("f8", "unsupported('server_sync')", show=False),
    ]
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {"server_sync": Operation.SERVER_SYNC}

    def action_server_sync(self) -> None:
        session = self.loaded_session()
        if session is None or not self.require_operation(Operation.SERVER_SYNC):
            return
        if self._server_sync_running():
            self.notify("The server's model sync is already running; its report follows when it ends.")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._server_sync(session)

        screen = ConfirmScreen(
            f"Run the server's model sync on {session.name}?",
            server_sync_message(session),
            confirm_label="Sync",
        )
        self.app.push_screen(screen, confirmed)

    async def _reload_quietly(self, session: SiteSession) -> None:
        """Bring a site that is not on screen up to date (its load state shows any failure)."""
        try:
            await session.load()
        except ChannelsError:
            return

    def _server_sync_running(self) -> bool:
        return any(w.group == "server-sync" and w.is_running for w in self.workers)

    @work(group="server-sync")
    async def _server_sync(self, session: SiteSession) -> None:
        backend = session.backend
        if backend is None:
            return
        self.notify(f"The server is syncing the models of {session.name}; the report follows when it ends.")
        try:
            report = await run_server_sync(backend)
        except ChannelsError as error:
            self.report_error(error)
            return
        if session is self.current:
            self.reload_channels()
        else:
            await self._reload_quietly(session)
        self.last_batch = (SERVER_SYNC_TITLE, report.results)
        severity = "warning" if report.problem else "information"
        self.notify(report.describe(), title=f"{SERVER_SYNC_TITLE} on {session.name}", severity=severity, timeout=15)
        if report.results:
            title = f"{SERVER_SYNC_TITLE} on {session.name}"
            self.app.push_screen(BatchResultsScreen(title, report.results, retryable=False))
