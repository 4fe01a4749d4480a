"""Keys import, export, restore and copy between sites, as a mixin of the main screen.

`K` opens the key library and imports the picked keys into the current site; `x` exports the
selection, the filtered view or all channels to a JSON file; `L` restores channels from an export
file or the delete trash; `C` copies the selection (or the cursor channel) to another site. Imports,
restores and copies are previewed first (ready / already present / blocked, and what cannot be
carried), then created through the batch engine with one result per channel. Every preview is
planned against the target site's channels (and groups) listed again for it, never the list the
app loaded earlier: right after a delete, a reload may still be on its way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..errors import ChannelsError
from ..models import Channel
from ..services import trash
from ..services.batch import BatchSettings
from ..services.channel_mapping import Origin
from ..services.channel_plan import ChannelPlan, CreateRun, creation_settings
from ..services.key_import import plan_import
from ..services.key_library import UpstreamKey
from ..services.results import ChannelResult
from ..services.revealed_keys import with_keys
from ..services.group_transfer import (
    ExportedGroup,
    PlannedGroup,
    create_groups,
    groups_for_export,
    plan_groups_now,
)
from ..services.sites import LoadState, SiteChannels, SiteSession
from ..services.transfer import (
    default_export_path,
    export_channels,
    exports_keys,
    exported_channels,
    key_warning,
    left_out_summary,
    plan_transfer,
    read_export,
    trashed_channels,
    write_export,
)
from ..wording import plural
from .batch_results import BatchResultsScreen
from .confirm import ConfirmScreen
from .copy_report import CopyReportScreen
from .group_plan import GroupPlanScreen
from .import_preview import ImportPreviewScreen
from .key_library import KeyLibraryScreen
from .main_base import MainScreenBase
from .plan_preview import PlanPreview
from .transfer_dialogs import ExportChoice, ExportDialog, RestoreChoice, RestoreDialog, SitePicker
from .workers import work

PURGE_AFTER = timedelta(days=30)
"""The app's purge removes records of channels deleted longer ago than this (and restored ones)."""
Item = tuple[Channel, Origin]
Created = Callable[[int, Channel], None]
"""Told of each channel a plan created, with its plan position (1 for the first item planned)."""


class TransferActions(MainScreenBase):
    """Upstream keys in, channels out to a file, and back in or over to another site."""

    HELP_TITLE: ClassVar[str] = "Keys and transfers"
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [("x", "export"), ("C", "copy")]
    FLEET_ACTIONS: ClassVar[frozenset[str]] = frozenset({"copy_to_site"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("K", "key_library", "Import keys from the key library", show=False),
        Binding("K", "unsupported('key_library')", show=False),
        Binding("x", "export", "Export channels to a file", show=False),
        Binding("L", "restore", "Restore from a file or the trash", show=False),
        Binding("L", "unsupported('restore')", show=False),
        Binding("C", "copy_to_site", "Copy channels to another site", show=False),
    ]
    WRITES: ClassVar[frozenset[str]] = frozenset({"key_library", "restore"})

    # -- shared ------------------------------------------------------------------------------

    def _creatable(self, session: SiteSession) -> bool:
        capabilities = session.capabilities
        if capabilities is not None and capabilities.supports(Operation.CREATE):
            return True
        reason = capabilities.unsupported_reason(Operation.CREATE) if capabilities else "the site is not connected"
        self.notify(f"Cannot create channels on {session.name}: {reason}.", severity="warning")
        return False

    def _preview(
        self,
        screen: PlanPreview,
        session: SiteSession,
        title: str,
        *,
        then: Callable[[], None] | None = None,
        on_created: Created | None = None,
    ) -> None:
        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self._create(session, screen.plan, title, then=then, on_created=on_created)

        self.app.push_screen(screen, decided)

    def _create(
        self,
        session: SiteSession,
        plan: ChannelPlan,
        title: str,
        *,
        then: Callable[[], None] | None = None,
        on_created: Created | None = None,
    ) -> None:
        """Create the plan's ready rows on `session`'s site; new channels appear as they arrive.

        `then` runs once the results are closed (a restore's groups follow its channels);
        `on_created` gets each created channel with its plan position (a restore marks the trash).
        """
        backend = session.backend
        if backend is None:
            self.notify(f"{session.name} is not connected any more; reload it and try again.", severity="warning")
            return
        run = CreateRun(backend, plan)

        def arrived(result: ChannelResult) -> None:
            channel = run.created.get(result.channel_id)
            if channel is None:
                return
            if on_created is not None:
                on_created(result.channel_id, channel)
            self._show_new_channel(session, channel)

        settings = creation_settings(BatchSettings(concurrency=session.profile.concurrency))

        def results_then(results: list[ChannelResult]) -> None:
            """The usual results screen; `then` once it is closed."""
            self.app.push_screen(BatchResultsScreen(title, results, retryable=False), lambda _answer: then and then())

        finished = results_then if then is not None else None
        self.run_batch(title, plan.placeholders(), run, settings, on_result=arrived, on_finish=finished, session=session)

    def _show_new_channel(self, session: SiteSession, channel: Channel) -> None:
        """Add a created channel to its site, and to the table if the site is on screen (where it
        is filtered and sorted in)."""
        self.show_saved(session, channel)
        if self.shows(session) and self.shown is not None:
            self.table.apply_view(self.shown.view)
            self._show_table_or_no_match()

    # -- keys --------------------------------------------------------------------------------

    def action_key_library(self) -> None:
        session = self.loaded_session()
        if session is None or not self._creatable(session):
            return

        def chosen(keys: list[UpstreamKey] | None) -> None:
            if keys:
                self._plan_import(session, keys)

        self.app.push_screen(KeyLibraryScreen(session.name), chosen)

    @work(group="transfer", exclusive=True)
    async def _plan_import(self, session: SiteSession, keys: list[UpstreamKey]) -> None:
        if session.backend is None:
            return
        self.notify(f"Fetching the models of {plural(len(keys), 'key')} through {session.name}…", timeout=4)
        try:
            existing = await session.backend.list_channels()
            plan = await plan_import(
                session.backend, keys, existing, site=session.name, concurrency=session.profile.concurrency
            )
        except ChannelsError as error:
            self.report_error(error)
            return
        self._preview(ImportPreviewScreen(plan), session, "Import keys")

    # -- export ------------------------------------------------------------------------------

    def _export_scopes(self, session: SiteSession) -> list[tuple[str, str, tuple[Channel, ...]]]:
        table = self.table
        scopes = []
        selected = table.selected_ids
        if selected:
            scopes.append(("selection", "Selected channels", tuple(c for c in session.channels if c.id in selected)))
        if table.row_count < table.total_count:
            index = table.index
            scopes.append(("view", "The filtered view", tuple(index.channel(p) for p in index.view(table.view_state))))
        scopes.append(("all", "All channels of the site", tuple(session.channels)))
        return scopes

    def action_export(self) -> None:
        session = self.loaded_session()
        if session is None or session.capabilities is None:
            return
        capabilities = session.capabilities

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                self._export(session, choice)

        dialog = ExportDialog(
            session.name,
            self._export_scopes(session),
            default_export_path(session.name),
            returns_keys=exports_keys(capabilities),
        )
        self.app.push_screen(dialog, chosen)

    @work(group="transfer", exclusive=True)
    async def _export(self, session: SiteSession, choice: ExportChoice) -> None:
        """Write the file; with keys, those the server only reveals on request are read first. The
        groups the channels are members of are listed again, with every channel to name members by."""
        capabilities, backend = session.capabilities, session.backend
        if capabilities is None or backend is None:
            return
        try:
            channels = await with_keys(backend, choice.channels) if choice.include_keys else list(choice.channels)
            groups: list[ExportedGroup] = []
            if capabilities.groups is not None:
                every = await backend.list_channels()
                listed = await backend.list_model_groups()  # type: ignore[attr-defined]
                groups = groups_for_export(listed, channels, every)
            export = export_channels(
                session.name, capabilities, channels, include_keys=choice.include_keys, groups=groups
            )
            write_export(export, choice.path)
        except ChannelsError as error:
            self.report_error(error)
            return
        keeps = "Include header values, proxy passwords"
        if exports_keys(capabilities):
            keeps = "Include API keys and other secrets"
        warning = key_warning(capabilities, choice.include_keys) or left_out_summary(export, keeps=f'"{keeps}"')
        with_groups = f" and {plural(len(groups), 'group')}" if groups else ""
        self.notify(
            f"Exported {plural(len(channels), 'channel')}{with_groups} to {choice.path}."
            + (f"\n{warning}" if warning else ""),
            title="Export",
            severity="warning" if choice.include_keys else "information",
            timeout=10,
        )

    # -- restore -----------------------------------------------------------------------------

    def action_restore(self) -> None:
        session = self.loaded_session()
        if session is None or not self._creatable(session):
            return
        try:
            deleted = trashed_channels(trash.read(), site=session.name)
        except ChannelsError as error:
            self.report_error(error)
            deleted = []

        def chosen(choice: RestoreChoice | None) -> None:
            if choice is None:
                return
            if choice.purge:
                self._purge_trash()
                return
            try:
                items, source, groups = self._restore_items(choice)
            except ChannelsError as error:
                self.report_error(error)
                return
            title = f"Restore {plural(len(items), 'channel')} from {source} into {session.name}"
            marks = [t.entry for t in choice.trashed] if choice.path is None else []

            def restored(position: int, channel: Channel) -> None:
                entry = marks[position - 1] if 0 < position <= len(marks) else ""
                if entry:
                    try:
                        trash.mark_restored(entry, site=session.name, channel_id=channel.id)
                    except ChannelsError as error:
                        self.report_error(error)

            self._restore_plan(session, items, title, groups, restored)

        folder = default_export_path(session.name).parent
        self.app.push_screen(RestoreDialog(session.name, f"{folder}/", deleted), chosen)

    def _purge_trash(self) -> None:
        """Remove the trash's records of restored channels and of those deleted over PURGE_AFTER ago."""

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                count = trash.purge(older_than=PURGE_AFTER, restored=True)
            except ChannelsError as error:
                self.report_error(error)
                return
            self.notify(f"Purged {count} record{'' if count == 1 else 's'} from the trash.", title="Trash")

        days = PURGE_AFTER.days
        message = (
            f"Removes from {trash.trash_path()} the records of channels already restored and of those "
            f"deleted more than {plural(days, 'day')} ago; they cannot be restored afterwards. "
            "`tui-channels trash purge` chooses other ages."
        )
        self.app.push_screen(ConfirmScreen("Purge the trash?", message, confirm_label="Purge"), confirmed)

    @staticmethod
    def _restore_items(choice: RestoreChoice) -> tuple[list[Item], str, list[tuple[ExportedGroup, str, str]]]:
        """The channels to restore, where from, and the groups of an export file (as site, flavor pairs)."""
        if choice.path is not None:
            export = read_export(choice.path)
            groups = [(g, export.site, export.flavor) for g in export.groups]
            return exported_channels(export), choice.path.name, groups
        return [(t.channel, t.origin) for t in choice.trashed], "the trash", []

    @work(group="transfer", exclusive=True)
    async def _restore_plan(
        self,
        session: SiteSession,
        items: list[Item],
        title: str,
        groups: list[tuple[ExportedGroup, str, str]],
        restored: Created,
    ) -> None:
        await self._plan_transfer(
            session, items, title, "Restore channels", "restore", groups=groups, on_created=restored
        )

    async def _plan_transfer(
        self,
        target: SiteSession,
        items: Sequence[Item],
        title: str,
        batch_title: str,
        action: str,
        *,
        groups: Sequence[tuple[ExportedGroup, str, str]] = (),
        on_created: Created | None = None,
    ) -> None:
        """Preview `items` against the target's channels as the server lists them now."""
        capabilities, backend = target.capabilities, target.backend
        if capabilities is None or backend is None or not items:
            return
        try:
            existing = await backend.list_channels()
        except ChannelsError as error:
            self.report_error(error)
            return
        plan = plan_transfer(items, capabilities, existing, site=target.name, title=title, action=action)
        then = (lambda: self._restore_groups(target, groups)) if groups and capabilities.groups else None
        self._preview(CopyReportScreen(plan), target, batch_title, then=then, on_created=on_created)

    @work(group="transfer", exclusive=True)
    async def _restore_groups(self, target: SiteSession, groups: Sequence[tuple[ExportedGroup, str, str]]) -> None:
        """After the channels: the file's groups, members mapped to the site's channels by name."""
        capabilities = target.capabilities
        if capabilities is None:
            return
        try:
            await target.load()
            rows = await plan_groups_now(await target.connect(), groups, capabilities, site=target.name)
        except ChannelsError as error:
            self.report_error(error)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._create_groups(target, rows)

        self.app.push_screen(
            GroupPlanScreen(f"Restore {plural(len(rows), 'group')} into {target.name}", rows), confirmed
        )

    @work(group="transfer", exclusive=True)
    async def _create_groups(self, target: SiteSession, rows: list[PlannedGroup]) -> None:
        if target.backend is None:
            return
        outcomes = await create_groups(target.backend, rows)
        created = sum(o.created for o in outcomes)
        details = "\n".join(f"{o.name}: {o.message}" for o in outcomes)
        self.notify(f"{created} of {plural(len(outcomes), 'group')} restored on {target.name}.\n{details}", timeout=15)
        await target.load_groups()

    # -- copy --------------------------------------------------------------------------------

    def action_copy_to_site(self) -> None:
        targets = [t for t in self.target_sites() if t.channels]
        if not targets:
            self.notify("No channel to copy: move the cursor to one or select some.", severity="warning")
            return
        origins: dict[str, Origin] = {}
        for target in targets:
            capabilities = target.session.capabilities
            if capabilities is None:
                self.notify(f"{target.name} is not connected; reload it (r) and try again.", severity="warning")
                return
            origins[target.name] = Origin(target.name, capabilities.kind, capabilities.flavor)
        sources = {target.name for target in targets}
        others = [site for site in self.workspace.config.sites if site.name not in sources]
        if not others:
            self.notify("There is no other site to copy to; add one with S.", severity="warning")
            return
        count = sum(len(t.channels) for t in targets)
        origin_label = targets[0].name if len(targets) == 1 else f"{len(targets)} sites"

        def chosen(name: str | None) -> None:
            if name:
                self._copy_to(name, targets, origins)

        self.app.push_screen(
            SitePicker(f"Copy {plural(count, 'channel')} of {origin_label} to…", others), chosen
        )

    @work(group="transfer", exclusive=True)
    async def _copy_to(self, name: str, sources: list[SiteChannels], origins: dict[str, Origin]) -> None:
        """Read the keys each source only reveals on request, connect to the target (and load its
        channels, for the duplicate check), then preview."""
        target = self.workspace.sessions.get(self.workspace.config.site(name))
        items: list[Item] = []
        try:
            for source in sources:
                channels = list(source.channels)
                if source.session.backend is not None:
                    channels = await with_keys(source.session.backend, channels)
                items.extend((channel, origins[source.name]) for channel in channels)
            if target.state is not LoadState.READY:
                self.notify(f"Loading the channels of {name}…", timeout=3)
                await target.load()
                self._show_loaded(target)
        except ChannelsError as error:
            self.report_error(error)
            return
        if self._creatable(target):
            where = sources[0].name if len(sources) == 1 else f"{len(sources)} sites"
            title = f"Copy {plural(len(items), 'channel')} from {where} to {name}"
            await self._plan_transfer(target, items, title, f"Copy to {name}", "copy")
