"""Model work the server does itself, as a mixin of the main screen.

f8 runs Octopus's own model sync of its auto-sync channels (after a confirmation), waits for the
server to finish, reloads the channels and reports what changed per channel. On current New API,
f8 asks the server to check every watched channel's upstream (a background task the app follows to
its end) and f9 applies everything the server found, both after a confirmation.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..errors import ChannelsError
from ..services.channel_view import relative_time
from ..services.server_sync import participants, run_server_sync
from ..services.named import named_channels
from ..services.sites import SiteSession
from ..services.upstream_updates import proposed, stripped, upstream_summary, wait_for_task, with_findings
from ..wording import plural
from .batch_results import BatchResultsScreen
from .confirm import ConfirmScreen
from .main_base import MainScreenBase
from .workers import work

SERVER_SYNC_TITLE = "Server model sync"


def server_sync_message(session: SiteSession) -> str:
    """What the confirmation says: which channels take part, what the server changes, how long."""
    taking_part = participants(session.channels)
    if taking_part:
        who = f"The server asks the upstream of each of its {plural(len(taking_part), 'auto-sync channel')} for its models."
    else:
        who = "No loaded channel has auto sync on (the Sync column), so the server has nothing to sync."
    synced = session.server_synced_at
    last = f"Its last run ended {relative_time(synced.timestamp())}." if synced else ""
    summary = (
        f"{who}\n\n"
        "Each channel's synced models are replaced by what its upstream lists, even an empty list "
        "(hand-added custom models stay), and group members whose model disappears are removed from "
        "their groups. "
        f"The server answers when it has finished, which can take minutes. {last}"
    ).strip()
    return "\n\n".join(filter(None, [summary, named_channels([(session.name, taking_part)], heading="Taking part:")]))


class ServerActions(MainScreenBase):
    """The server's own model sync (Octopus)."""

    HELP_TITLE: ClassVar[str] = "Server-side model work"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f8", "server_sync", "Server model sync (Octopus)", show=False),
        Binding("f8", "check_upstream_all", "Server checks every watched upstream (New API)", show=False),
        Binding("f8", "unsupported('check_upstream_all')", show=False),
        Binding("f9", "apply_upstream_all", "Apply every upstream change the server found (New API)", show=False),
        Binding("f9", "unsupported('apply_upstream_all')", show=False),
    ]
    WRITES: ClassVar[frozenset[str]] = frozenset({"server_sync", "check_upstream_all", "apply_upstream_all"})
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {
        "server_sync": Operation.SERVER_SYNC,
        "check_upstream_all": Operation.UPSTREAM_UPDATES,
        "apply_upstream_all": Operation.UPSTREAM_UPDATES,
    }

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
        self.notify(
            f"Asking the auto-sync upstreams of {session.name}, then the server syncs them; the report follows."
        )
        try:
            report = await run_server_sync(backend)
        except ChannelsError as error:
            self.report_error(error)
            return
        if self.shows(session):
            self.reload_channels(session=session)
        else:
            await self._reload_quietly(session)
        self.last_batch = (SERVER_SYNC_TITLE, report.results)
        severity = "warning" if report.problem else "information"
        self.notify(report.describe(), title=f"{SERVER_SYNC_TITLE} on {session.name}", severity=severity, timeout=15)
        if report.results:
            title = f"{SERVER_SYNC_TITLE} on {session.name}"
            self.app.push_screen(BatchResultsScreen(title, report.results, retryable=False))

    # -- current New API: the server's own upstream checks -------------------------------------

    def action_check_upstream_all(self) -> None:
        session = self.loaded_session()
        if session is None or not self.require_operation(Operation.UPSTREAM_UPDATES):
            return
        watched = [c for c in session.channels if c.upstream is not None and c.upstream.checks and c.status.is_enabled]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._check_upstream_all(session)

        message = (
            f"The server asks the upstream of each enabled channel it watches ({len(watched)} loaded) for its "
            "models, in the background, and records what was added and removed; nothing is applied. "
            "The channels reload when it has finished."
        )
        self.app.push_screen(
            ConfirmScreen(f"Check every watched upstream on {session.name}?", message, confirm_label="Check"),
            confirmed,
        )

    @work(group="server-sync")
    async def _check_upstream_all(self, session: SiteSession) -> None:
        backend = session.backend
        if backend is None:
            return
        try:
            task_id = await backend.start_upstream_check_all()  # type: ignore[attr-defined]
            self.notify(f"The server is checking the watched upstreams of {session.name} (task {task_id}).")
            task = await wait_for_task(backend, task_id)
        except ChannelsError as error:
            self.report_error(error)
            return
        if task is None:
            self.notify(
                "The check is running on the server; this account may not follow it. Press r later.", timeout=10
            )
            return
        summary = upstream_summary(task.result) if task.status == "succeeded" else f"failed: {task.error}"
        self.notify(summary, title=f"Upstream check on {session.name}", timeout=15)
        if session is self.current:
            self.reload_channels()
        else:
            await self._reload_quietly(session)

    def action_apply_upstream_all(self) -> None:
        session = self.loaded_session()
        if session is None or not self.require_operation(Operation.UPSTREAM_UPDATES):
            return
        found = [
            c for c in with_findings(session.channels) if c.status.is_enabled and c.upstream and c.upstream.checks
        ]
        emptied = stripped(found)
        added = sum(len(c.upstream.added) for c in found if c.upstream)
        removed = sum(len(c.upstream.removed) for c in found if c.upstream)

        def confirmed(yes: bool | None) -> None:
            if yes and emptied:
                self.apply_upstream(session, proposed(found))  # type: ignore[attr-defined]
            elif yes:
                self._apply_upstream_all(session)

        message = (
            f"The server adds {added} and removes {plural(removed, 'model')} "
            f"on {plural(len(found), 'channel')} (loaded list). Nothing is ignored; y reviews the changes "
            "one by one instead."
        )
        if emptied:
            message += (
                f"\n\nLeft as they are, since applying would leave them without models (their upstreams "
                f"listed none of their models): {plural(len(emptied), 'channel')}. The others are applied "
                f"one by one.\n\n{named_channels([(session.name, emptied)], heading='Left as they are:')}"
            )
        message += f"\n\n{named_channels([(session.name, found)], heading='Will be changed:')}"
        screen = ConfirmScreen(
            f"Apply every upstream change on {session.name}?", message, confirm_label="Apply all"
        )
        self.app.push_screen(screen, confirmed)

    @work(group="server-sync")
    async def _apply_upstream_all(self, session: SiteSession) -> None:
        backend = session.backend
        if backend is None:
            return
        try:
            report = await backend.apply_all_upstream_updates()  # type: ignore[attr-defined]
        except ChannelsError as error:
            self.report_error(error)
            return
        failed = (
            f", {len(report.failed_ids)} failed (ids {', '.join(map(str, report.failed_ids))})"
            if report.failed_ids
            else ""
        )
        self.notify(
            f"{plural(report.channels, 'channel')} changed: +{report.added} −{report.removed} models{failed}.",
            title=f"Upstream changes applied on {session.name}",
            severity="warning" if failed else "information",
            timeout=15,
        )
        if session is self.current:
            self.reload_channels()
        else:
            await self._reload_quietly(session)
