"""Channel forms and single-channel actions, as a mixin of the main screen.

n new, e edit, D duplicate, d / Delete delete (the records go to the local trash first), + / -
enable / disable (u / ctrl+z sets the last one back, a whole tag's too), m models, k reveal the key (where the server
returns or reveals keys), X delete every
disabled channel (New API). Deletes and status changes of one or many channels run through the
batch engine, with a result per channel; forms and the model editor save on their own and hand the
saved channel back, which the table then shows in place.

In the fleet view an action on the cursor channel goes to that channel's site, a new channel asks
for its site first, and deletes and status changes of a selection go to each channel's own site
(a site whose server cannot do it is skipped, and says why); the delete confirmation says how
many channels on how many sites.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Backend, Capabilities, Operation
from ..errors import ChannelsError
from ..models import Channel, ChannelStatus
from ..services import bulk, trash
from ..services.channel_form import COPY_SUFFIX, ChannelForm, FormMode, KeyEntry, key_entries
from ..services.fleet import spread
from ..model_groups import GroupSpec
from ..services.model_groups import memberships, stranded
from ..services.model_list import model_suggestions
from ..services.model_mapping import model_mapping
from ..services.named import NAMED, named_channels
from ..services.results import ChannelResult
from ..services.revealed_keys import with_keys
from ..services.server_edit import edit_channel
from ..services.sites import SiteChannels, SiteSession
from ..services.journal import read_entries
from ..services.recorder import written_entries
from ..services.status_change import (
    StatusChange,
    StatusPlan,
    StatusPlans,
    TagStatusChange,
    describe_undos,
    latest_changes,
    tag_left_alone,
    tag_plan,
    tag_route_fits,
    tag_unchanged,
    tag_written,
    undo_operation,
)
from ..services.current import read_current
from ..services.undo import UndoPlan
from ..services.tag_view import TagGroup
from ..services.upstream_models import channel_models
from ..wording import agrees, plural
from .channel_form import ChannelFormScreen
from .confirm import ConfirmScreen
from .entry_undo import apply_entry, ask, check_entry, report
from .key_reveal import KeyRevealScreen
from .main_base import MainScreenBase
from .model_editor import ModelEditorScreen
from .status_confirm import StatusConfirmScreen
from .transfer_dialogs import SitePicker
from .workers import work

TYPED_ABOVE = 5
"""Deleting more channels than this (or any enabled one) asks the user to type the count."""


def group_notes(session: SiteSession, channels: Sequence[Channel], *, deleting: bool, fleet: bool = False) -> str:
    """What deleting or disabling these channels does to the site's groups, or "" (no groups there);
    in the `fleet`, where group names repeat across sites, each group's site is named."""
    capabilities = session.capabilities
    spec = capabilities.groups if capabilities is not None else None
    if spec is None or not session.groups:
        return ""
    going = {c.id for c in channels}
    site = session.name if fleet else ""
    lines = [f"⚠ {line}" for line in stranded(session.groups, session.channels, going, spec, site=site)]
    if deleting:
        lines.append(membership_note(session, channels, spec, site=site))
    return "\n".join(filter(None, lines))


def membership_note(session: SiteSession, channels: Sequence[Channel], spec: GroupSpec, *, site: str = "") -> str:
    """Which of `channels` a delete takes out of which groups of the site, naming `site` (in the
    fleet): "On oc the server removes #5 x from the group o3-mini; …", or "" when none is a member."""
    groups = {c.id: sorted({m.group.name for m in memberships(c.id, session.groups, spec)}) for c in channels}
    members = [c for c in channels if groups[c.id]]
    if not members:
        return ""
    names = sorted({name for c in members for name in groups[c.id]})
    more = len(names) - NAMED
    shown = ", ".join(names[:NAMED]) + (f" and {more} more" if more > 0 else "")
    if len(members) == 1:
        who = f"#{members[0].id} {members[0].name}"
    else:
        listed = ", ".join(f"#{c.id} {c.name}" for c in members[:5]) + (", …" if len(members) > 5 else "")
        who = f"{len(members)} of these channels ({listed})"
    where = f"group {shown}" if len(names) == 1 else f"groups {shown}"
    server = f"On {site} the server" if site else "The server"
    return f"{server} removes {who} from the {where}; restoring a channel later does not put it back."


def delete_message(channels: Sequence[Channel], targets: Sequence[SiteChannels] = (), notes: str = "") -> str:
    """What the delete confirmation says: how many are enabled and where the records go, then
    `notes` (groups left without a channel, sites left out), then the channels, the first ten
    named (per site over several sites, `targets`) with the enabled ones marked."""
    enabled = sum(c.status.is_enabled for c in channels)
    count = len(channels)
    if enabled:
        serving = "It is enabled" if count == 1 else f"{enabled} of these {plural(count, 'channel')} {agrees(enabled, 'is', 'are')} enabled"
        state = f"{serving} and serving requests."
    else:
        state = "None of them is enabled." if count > 1 else "It is not enabled."
    parts = [(t.name, t.channels) for t in targets] if len(targets) > 1 else [("", channels)]
    listed = named_channels(parts, heading="Will be deleted:", note=lambda c: " (enabled)" if c.status.is_enabled else "")
    summary = (
        f"{state}\nEach record is first copied to the local trash (trash.jsonl in the data folder), "
        "from which it can be restored."
    )
    return "\n\n".join(filter(None, [summary, notes, listed]))


def delete_disabled_message(site: str, disabled: Sequence[Channel]) -> str:
    """What "delete every disabled channel" deletes: `disabled`, the channels the server holds
    disabled now (listed just before asking)."""
    automatic = sum(c.status is ChannelStatus.AUTO_DISABLED for c in disabled)
    return (
        f"The server deletes every disabled channel on {site}: the automatically disabled ones and "
        "also those disabled by hand.\n\n"
        f"Disabled on the server now: {len(disabled)} ({automatic} automatically, "
        f"{len(disabled) - automatic} manually). Their records are copied to the local trash first.\n\n"
        f"{named_channels([(site, disabled)], heading='Will be deleted:')}"
    )


class ChannelActions(MainScreenBase):
    """Create, edit, duplicate, delete, enable / disable, models and keys of the channels."""

    HELP_TITLE: ClassVar[str] = "Channel actions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_channel", "New"),
        Binding("n", "unsupported('new_channel')", show=False),
        Binding("e", "edit_channel", "Edit"),
        Binding("e", "unsupported('edit_channel')", show=False),
        Binding("D", "duplicate_channel", "Duplicate channel", show=False),
        Binding("D", "unsupported('duplicate_channel')", show=False),
        Binding("d,delete", "delete_channels", "Delete"),
        Binding("d,delete", "unsupported('delete_channels')", show=False),
        Binding("plus", "enable_channels", "Enable channels", show=False),
        Binding("plus", "unsupported('enable_channels')", show=False),
        Binding("minus", "disable_channels", "Disable channels", show=False),
        Binding("minus", "unsupported('disable_channels')", show=False),
        Binding("u,ctrl+z", "undo_status", "Undo the last enable / disable", show=False),
        Binding("u,ctrl+z", "unsupported('undo_status')", show=False),
        Binding("m", "edit_models", "Edit models", show=False),
        Binding("m", "unsupported('edit_models')", show=False),
        Binding("k", "reveal_key", "Reveal key", show=False),
        Binding("X", "delete_disabled", "Delete all disabled channels", show=False),
        Binding("X", "unsupported('delete_disabled')", show=False),
    ]
    WRITES: ClassVar[frozenset[str]] = frozenset(
        {
            "new_channel",
            "edit_channel",
            "duplicate_channel",
            "delete_channels",
            "enable_channels",
            "disable_channels",
            "undo_status",
            "edit_models",
            "delete_disabled",
        }
    )
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [("d", "delete"), ("+/-", "on/off")]
    FLEET_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "new_channel", "edit_channel", "duplicate_channel", "delete_channels", "enable_channels",
            "disable_channels", "undo_status", "edit_models", "reveal_key",
        }
    )

    # -- what every action starts from ----------------------------------------------------------

    def _ready(
        self, operation: Operation, session: SiteSession | None = None
    ) -> tuple[SiteSession, Backend, Capabilities] | None:
        """The site (the cursor channel's by default), its backend and capabilities, if it can do
        `operation`; else says why."""
        session = session or self.cursor_session()
        if session is None or session.backend is None or session.capabilities is None:
            return None
        capabilities = session.capabilities
        if not capabilities.supports(operation):
            self.notify(capabilities.unsupported_reason(operation), severity="warning")
            return None
        return session, session.backend, capabilities

    def _cursor(self) -> Channel | None:
        channel = self.table.cursor_channel
        if channel is None:
            self.notify("Move the cursor to a channel first.", severity="warning")
        return channel

    # -- forms ----------------------------------------------------------------------------------

    def _open_form(self, session: SiteSession, backend: Backend, form: ChannelForm, title: str) -> None:
        def saved(channel: Channel | None) -> None:
            if channel is None:
                return
            if form.mode is FormMode.EDIT:
                self.show_saved(session, channel)
            elif self.shows(session):
                self.reload_channels(cursor_id=channel.id, session=session)

        self.app.push_screen(ChannelFormScreen(form, backend, title=title), saved)

    def action_new_channel(self) -> None:
        fleet = self.fleet
        if fleet is None:
            self._new_channel_on(self.loaded_session())
            return
        able = [
            s for s in fleet.sessions if s.capabilities is not None and s.capabilities.supports(Operation.CREATE)
        ]
        if not able:
            self.notify("No loaded site can create channels; r loads the sites.", severity="warning")
            return

        def chosen(name: str | None) -> None:
            if name:
                self._new_channel_on(fleet.session(name))

        profiles = [s.profile for s in able]
        self.app.push_screen(SitePicker("New channel on which site?", profiles), chosen)

    def _new_channel_on(self, session: SiteSession | None) -> None:
        if session is None:
            return
        ready = self._ready(Operation.CREATE, session)
        if ready is not None:
            session, backend, capabilities = ready
            self._open_form(session, backend, ChannelForm(capabilities), f"New channel on {session.name}")

    def action_edit_channel(self) -> None:
        ready = self._ready(Operation.UPDATE)
        channel = self._cursor() if ready else None
        if ready is not None and channel is not None:
            session, backend, capabilities = ready
            form = ChannelForm(capabilities, FormMode.EDIT, channel)
            where = self.on_site(session.name)
            self._open_form(session, backend, form, f"Edit channel {channel.id}: {channel.name}{where}")

    def action_duplicate_channel(self) -> None:
        """Server-side copy where there is one (New API), else a create form prefilled from the channel."""
        ready = self._ready(Operation.CREATE)
        channel = self._cursor() if ready else None
        if ready is None or channel is None:
            return
        session, backend, capabilities = ready
        if capabilities.supports(Operation.COPY):
            self._copy_then_edit(session, backend, channel)
            return
        self._duplicate(session, backend, channel)

    @work(exclusive=True, group="channel-action")
    async def _duplicate(self, session: SiteSession, backend: Backend, channel: Channel) -> None:
        """A create form prefilled from the channel, with its key where the server reveals it."""
        capabilities = session.capabilities
        if capabilities is None:
            return
        try:
            [channel] = await with_keys(backend, [channel])
        except ChannelsError as error:
            self.report_error(error)
            return
        taken = [c.name for c in session.channels]
        form = ChannelForm(capabilities, FormMode.DUPLICATE, channel, taken_names=taken)
        self._open_form(session, backend, form, f"Duplicate of {channel.name}")

    @work(exclusive=True, group="channel-action")
    async def _copy_then_edit(self, session: SiteSession, backend: Backend, channel: Channel) -> None:
        """New API copies a channel server-side (its key included, which the server never returns):
        the copy is made disabled, so it serves nothing while its form is open, and a cancelled form
        removes it again. Saving sends the form, its status shown as the original's."""
        capabilities = session.capabilities
        if capabilities is None:
            return
        try:
            new_id = await backend.copy_channel(channel.id, suffix=COPY_SUFFIX)  # type: ignore[attr-defined]
        except ChannelsError as error:
            self.report_error(error)
            return
        try:
            await backend.set_status(new_id, False)
            copy = await backend.get_channel(new_id)
        except ChannelsError as error:
            self.report_error(error)
            self._remove_copy(session, backend, new_id, why="it could not be disabled while its form was open")
            return
        wanted = ChannelStatus.ENABLED if channel.status.is_enabled else ChannelStatus.MANUALLY_DISABLED

        def closed(saved: Channel | None) -> None:
            if saved is None:
                self._remove_copy(session, backend, new_id, why="the form was cancelled")
                return
            self.notify(f"Created channel {new_id}, {saved.name}: a copy of {channel.name}, {saved.status.label}.")
            if self.shows(session):
                self.reload_channels(cursor_id=new_id, session=session)

        form = ChannelForm(capabilities, FormMode.EDIT, copy, start={"status": wanted})
        title = f"Duplicate of {channel.name}: new channel {new_id}, disabled until saved, removed on Esc"
        self.app.push_screen(ChannelFormScreen(form, backend, title=title), closed)

    @work(group="channel-action-cleanup")
    async def _remove_copy(self, session: SiteSession, backend: Backend, copy_id: int, *, why: str) -> None:
        """Delete a server-side copy the user did not keep, and say so (or that it is still there)."""
        try:
            await backend.delete_channel(copy_id)
        except ChannelsError as error:
            self.notify(
                f"The copy, channel {copy_id}, is still on the server (disabled): {error.message}",
                title="Duplicate not removed",
                severity="error",
                timeout=15,
            )
        else:
            self.notify(
                f"Nothing was created: the copy, channel {copy_id}, was removed because {why}.",
                title="Duplicate cancelled",
            )
        if self.shows(session):
            self.reload_channels(session=session)

    def action_edit_models(self) -> None:
        """The model editor on the cursor channel; saving sends only the models."""
        ready = self._ready(Operation.UPDATE)
        channel = self._cursor() if ready else None
        if ready is None or channel is None:
            return
        session, backend, capabilities = ready
        saved: list[Channel] = []

        async def save(models: tuple[str, ...]) -> None:
            saved.append(await edit_channel(backend, channel, {"models": models}, since="you opened the editor"))

        def closed(models: tuple[str, ...] | None) -> None:
            if models is not None and saved:
                self.show_saved(session, saved[-1])

        can_fetch = capabilities.supports(Operation.FETCH_MODELS)
        editor = ModelEditorScreen(
            f"Models of {channel.name}",
            channel.models,
            fetch=(lambda: channel_models(backend, channel)) if can_fetch else None,
            fetch_unavailable="" if can_fetch else capabilities.unsupported_reason(Operation.FETCH_MODELS),
            save=save,
            suggest=lambda: model_suggestions(backend, tag=channel.tag),
            mapping=lambda: model_mapping(channel.raw),
        )
        self.app.push_screen(editor, closed)

    def action_reveal_key(self) -> None:
        session = self.cursor_session()
        channel = self._cursor() if session else None
        capabilities = session.capabilities if session else None
        if channel is None or capabilities is None or session is None:
            return
        if capabilities.supports(Operation.REVEAL_KEY) and session.backend is not None:
            self._reveal_from_server(session.backend, channel)
            return
        if not capabilities.returns_keys:
            self.notify(
                f"{capabilities.flavor_label} never returns stored keys, so they cannot be shown. "
                "Edit the channel (e) to set a new key.",
                title="Key cannot be read back",
                severity="warning",
            )
            return
        self.app.push_screen(KeyRevealScreen(f"{channel.name} (#{channel.id})", key_entries(capabilities, channel)))

    @work(exclusive=True, group="channel-action")
    async def _reveal_from_server(self, backend: Backend, channel: Channel) -> None:
        """The server lists the key masked; its reveal route gives it whole, for this dialog only."""
        try:
            key = await backend.reveal_key(channel.id)  # type: ignore[attr-defined]
        except ChannelsError as error:
            self.report_error(error)
            return
        self.app.push_screen(KeyRevealScreen(f"{channel.name} (#{channel.id})", (KeyEntry(key=key),)))

    # -- delete ---------------------------------------------------------------------------------

    def action_delete_channels(self) -> None:
        targets = [t for t in self.target_sites() if t.channels]
        if not targets:
            self.notify("No channel to delete: move the cursor to one or select some.", severity="warning")
            return
        supported = self.supported_targets(targets, Operation.DELETE)
        if supported is None:
            return
        able, skipped = supported
        channels = [c for t in able for c in t.channels]
        count = len(channels)
        if len(able) > 1:
            title = f"Delete {spread(able)}?"
        else:
            where = self.on_site(able[0].session.name)
            title = f"Delete channel {channels[0].name}{where}?" if count == 1 else f"Delete {plural(count, 'channel')}{where}?"
        typed = str(count) if count > TYPED_ABOVE or any(c.status.is_enabled for c in channels) else None

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(able)

        fleet = self.fleet is not None
        notes = "\n".join(
            note for t in able if (note := group_notes(t.session, t.channels, deleting=True, fleet=fleet))
        )
        message = delete_message(channels, able, "\n\n".join(filter(None, [notes, skipped])))
        if "⚠" in notes and typed is None:
            typed = str(count)
        screen = ConfirmScreen(title, message, confirm_label="Delete", typed=typed)
        self.app.push_screen(screen, confirmed)

    def _delete(self, targets: list[SiteChannels]) -> None:
        if self.batch_running:
            self.notify("A batch is already running; Esc cancels it.", severity="warning")
            return
        self._trash_then_delete(targets)

    @work(exclusive=True, group="channel-action")
    async def _trash_then_delete(self, targets: list[SiteChannels]) -> None:
        """Read the channels from their servers, then trash those records (with the keys a server
        only reveals on request, or nothing is deleted): the trash keeps what the server held at the
        delete, never the rows (a key or a proxy changed since the list loaded would be lost, and
        an undo would bring back the old one). Then one delete per channel through the batch
        engine, each on its own site; rows go as they succeed. A delete the server refuses leaves a
        note on its trash record. A channel already gone is left out, said so."""
        trashed: dict[str, trash.Trashed] = {}
        held: list[SiteChannels] = []
        gone: list[str] = []
        try:
            for target in targets:
                backend = target.session.backend
                if backend is None or target.session.capabilities is None:
                    self.notify(f"{target.name} is not connected any more; reload it and try again.", severity="warning")
                    return
                now, trashed[target.name] = await bulk.trash_as_held(backend, target.channels, site=target.name)
                for channel in now:
                    self.show_saved(target.session, channel)
                missing = {c.id for c in target.channels} - {c.id for c in now}
                if missing:
                    self.forget_channels(missing, target.session)
                    gone.append(f"{target.name}: {plural(len(missing), 'channel')} already gone from the server, left out.")
                held.append(SiteChannels(target.session, tuple(now)))
        except ChannelsError as error:
            self.report_error(error)
            return
        if gone:
            self.notify("\n".join(gone), severity="warning")
        targets = [t for t in held if t.channels]

        def on_result(session: SiteSession, _channels: Sequence[Channel]) -> Callable[[ChannelResult], None]:
            pending: set[int] = set()

            def flush() -> None:
                gone = set(pending)
                pending.clear()
                self.forget_channels(gone, session)

            def deleted(result: ChannelResult) -> None:
                if result.ok:
                    if not pending:
                        self.call_after_refresh(flush)
                    pending.add(result.channel_id)
                    return
                try:
                    bulk.not_deleted(trashed[session.name], result)
                except trash.TrashError as error:
                    self.report_error(error)

            return deleted

        batches = self.site_batches(
            targets, Operation.DELETE, lambda _session, backend: bulk.delete(backend), read_only=False, on_result=on_result
        )
        if batches is not None:
            self.run_batches("Delete", batches)

    def action_delete_disabled(self) -> None:
        site = self.loaded_session()
        ready = self._ready(Operation.DELETE_DISABLED, site) if site is not None else None
        if ready is None:
            return
        session, backend, _capabilities = ready
        self._confirm_delete_disabled(session, backend)

    @work(exclusive=True, group="channel-action")
    async def _confirm_delete_disabled(self, session: SiteSession, backend: Backend) -> None:
        """List the site's channels first: the server deletes what it holds disabled now, which
        the rows may not show (another admin or the gateway may have disabled one since), so the
        confirmation counts and names those."""
        try:
            listed = await backend.list_channels()
        except ChannelsError as error:
            self.report_error(error)
            return
        shown = {c.id: c for c in session.channels}
        for channel in listed:
            if shown.get(channel.id) != channel:
                self.show_saved(session, channel)
        disabled = [c for c in listed if c.status.is_disabled]
        if not disabled:
            self.notify(f"No channel is disabled on {session.name}: nothing to delete.")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete_disabled(session, backend, disabled)

        screen = ConfirmScreen(
            "Delete all disabled channels?",
            delete_disabled_message(session.name, disabled),
            confirm_label="Delete all disabled",
            typed=str(len(disabled)) if len(disabled) > TYPED_ABOVE else None,
        )
        self.app.push_screen(screen, confirmed)

    @work(exclusive=True, group="channel-action")
    async def _delete_disabled(self, session: SiteSession, backend: Backend, disabled: list[Channel]) -> None:
        capabilities = session.capabilities
        if capabilities is None:
            return
        try:
            disabled = await bulk.disabled_now(backend, disabled)
            trashed = trash.append(disabled, site=session.name, capabilities=capabilities, reason="delete_disabled")
            count = await bulk.delete_disabled(backend, disabled, trashed)
        except ChannelsError as error:
            self.report_error(error)
            return
        self.notify(f"The server deleted {plural(count, 'disabled channel')}; {agrees(count, 'its record is', 'their records are')} in the trash.", title="Deleted")
        if self.shows(session):
            self.reload_channels(session=session)

    # -- enable / disable -------------------------------------------------------------------------

    def action_enable_channels(self) -> None:
        self._set_status(enabled=True)

    def action_disable_channels(self) -> None:
        self._set_status(enabled=False)

    def _set_status(self, *, enabled: bool) -> None:
        if self.fleet is None:
            session = self.loaded_session()
            ready = self._ready(Operation.SET_STATUS, session) if session is not None else None
            if ready is None:
                return
            _session, _backend, capabilities = ready
            group = self.table.cursor_group
            if group is not None and group.tag and self.table.cursor_channel is None and not self.table.selected_ids:
                self._set_tag_status(group, enabled, capabilities)
                return
        source = self.shown
        targets = [t for t in self.target_sites() if t.channels]
        if source is None or not targets:
            self.notify("No channel to work on: move the cursor to one or select some.", severity="warning")
            return
        supported = self.supported_targets(targets, Operation.SET_STATUS)
        if supported is None:
            return
        targets, skipped = supported
        self._plan_status_change(targets, skipped, enabled=enabled)

    @work(exclusive=True, group="channel-action")
    async def _plan_status_change(self, targets: list[SiteChannels], skipped: str, *, enabled: bool) -> None:
        """Read the channels from their servers first (the rows may be old: another admin or the
        gateway may have changed a status since), show them as they are, and plan from what was
        read, so the confirmation counts what the servers hold."""
        source = self.shown
        if source is None:
            return
        read = await self.read_again(targets)
        if read is None:
            return
        targets = read.targets
        skipped = "\n".join(filter(None, [skipped, *read.notes()]))
        visible = self.table.visible_ids()
        plans = StatusPlans(
            tuple(
                StatusPlan(
                    enabled,
                    t.channels,
                    frozenset(c.id for c in t.channels if source.key_of(t.session, c) not in visible),
                    site=t.name,
                )
                for t in targets
            )
        )
        if not plans.changing:
            state = "enabled" if enabled else "disabled"
            if plans.targets:
                done = f"Nothing to change: {'it is' if len(plans.targets) == 1 else 'all are'} already {state} on the server."
            else:
                done = "Nothing to change."
            self.notify("\n".join(filter(None, [done, skipped])))
            return
        by_site = {t.name: t.session for t in targets}
        notes = "" if enabled else "\n".join(
            note
            for plan in plans.plans
            if (note := group_notes(by_site[plan.site], plan.changing, deleting=False, fleet=self.fleet is not None))
        )
        if notes:
            notes = f"Groups that would serve no enabled channel any more:\n{notes}"
        notes = "\n\n".join(filter(None, [skipped, notes]))
        if not plans.needs_confirming and not notes:
            self._run_status_change(by_site, plans)
            return

        def confirmed(choice: str | None) -> None:
            if choice == "all":
                self._run_status_change(by_site, plans)
            elif choice == "skip_auto":
                self._run_status_change(by_site, plans.without_auto_disabled())

        self.app.push_screen(StatusConfirmScreen(plans, notes), confirmed)

    def _run_status_change(self, sessions: dict[str, SiteSession], plans: StatusPlans) -> None:
        """Run the plans' changes, each on its own site, each row updated as it is written; each site
        keeps its part as its last change (one serial for them all, so an undo takes them together)."""
        changes: dict[str, StatusChange] = {}
        serial = StatusChange.next_serial()
        targets = []
        planned = {plan.site: plan.changing for plan in plans.plans}
        for plan in plans.plans:
            if plan.changing:
                session = sessions[plan.site]
                changes[plan.site] = StatusChange(plans.verb, serial=serial)
                targets.append(SiteChannels(session, plan.changing))

        def on_result(session: SiteSession, channels: Sequence[Channel]) -> Callable[[ChannelResult], None]:
            change = changes[session.name]
            session.last_status_change = change
            record = change.recorder(channels)
            by_id = {c.id: c for c in channels}

            def changed(result: ChannelResult) -> None:
                record(result)
                if result.value and result.channel_id in by_id:
                    self.show_saved(session, replace(by_id[result.channel_id], status=ChannelStatus(result.value)))

            return changed

        batches = self.site_batches(
            targets,
            Operation.SET_STATUS,
            lambda session, backend: changes[session.name].journalled(
                bulk.set_status(backend, plans.enabled, planned[session.name])
            ),
            read_only=False,
            on_result=on_result,
        )
        if batches is not None:
            self.run_batches(plans.verb, batches)

    def action_undo_status(self) -> None:
        """Set each channel of the last enable / disable back to the status it had before, on each
        site it reached (in the fleet, the last change made over any of the fleet's sites)."""
        source = self.shown
        if source is None:
            return
        latest = latest_changes([(s.name, s.last_status_change) for s in source.sessions])
        if not latest:
            self.notify("No enable or disable to undo here.", severity="warning")
            return
        sessions = {s.name: s for s in source.sessions}
        tagged = [(sessions[site], change) for site, change in latest if isinstance(change, TagStatusChange)]
        if tagged:
            self._plan_tag_status_undo(*tagged[0])
            return
        self._plan_status_undo(sessions, [(site, c) for site, c in latest if isinstance(c, StatusChange)])

    @work(exclusive=True, group="status-undo")
    async def _plan_tag_status_undo(self, session: SiteSession, change: TagStatusChange) -> None:
        """A whole tag's enable / disable is one journal entry: undone as the history undoes it, with
        its checks (each channel must still have the status the tag route set, read from the server
        before asking and again right before writing)."""
        if session.read_only_reason:
            self.notify(f"An undo writes to {session.name}: {session.read_only_reason}", title="Cannot undo", severity="warning")
            return
        try:
            journal = await asyncio.to_thread(read_entries, site=session.name)
        except ChannelsError as error:
            self.report_error(error)
            return
        plan = await check_entry(self, session, change.entry, journal.entries)
        if plan is not None:
            ask(self, plan, lambda plan: self._apply_tag_status_undo(session, plan))

    @work(group="tag-status")
    async def _apply_tag_status_undo(self, session: SiteSession, plan: UndoPlan) -> None:
        session.last_status_change = None
        results = await apply_entry(self, session, plan)
        if results is None:
            return
        report(self, plan, results)
        self.reload_channels()

    @work(exclusive=True, group="status-undo")
    async def _plan_status_undo(self, sessions: dict[str, SiteSession], latest: list[tuple[str, StatusChange]]) -> None:
        """Read the changed channels from each server (never the rows loaded before), show them as
        they are, then ask to set back those that still hold the status the change wrote."""
        undos = {}
        for site, change in latest:
            session = sessions[site]
            try:
                now = await read_current(await session.connect(), change.after)
            except ChannelsError as error:
                self.report_error(error)
                return
            for channel in now.values():
                self.show_saved(session, channel)
            self.forget_channels(set(change.after) - set(now), session)
            undos[site] = change.undo_plan(now)
        restoring = {site: undo for site, undo in undos.items() if undo.restore}
        if not restoring:
            for site in undos:
                sessions[site].last_status_change = None
            self.notify(f"Nothing to undo: {describe_undos(undos)}", severity="warning")
            return
        change = next(iter(restoring.values())).change

        def on_result(session: SiteSession, channels: Sequence[Channel]) -> Callable[[ChannelResult], None]:
            by_id = {c.id: c for c in channels}

            def changed(result: ChannelResult) -> None:
                if result.value and result.channel_id in by_id:
                    self.show_saved(session, replace(by_id[result.channel_id], status=ChannelStatus(result.value)))

            return changed

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            for site in undos:
                sessions[site].last_status_change = None
            batches = self.site_batches(
                [SiteChannels(sessions[site], undo.restore) for site, undo in restoring.items()],
                Operation.SET_STATUS,
                lambda session, backend: undo_operation(backend, restoring[session.name]),
                read_only=False,
                on_result=on_result,
            )
            if batches is not None:
                self.run_batches(f"Undo {change.title.lower()}", batches)

        reach = spread([SiteChannels(sessions[site], undo.restore) for site, undo in restoring.items()])
        title = f"Undo the last {change.title.lower()} of {reach}?"
        names = named_channels([(site, undo.restore) for site, undo in restoring.items()], heading="Will be set back:")
        self.app.push_screen(ConfirmScreen(title, f"{describe_undos(undos)}\n\n{names}", confirm_label="Undo"), confirmed)

    def _set_tag_status(self, group: TagGroup, enabled: bool, capabilities: Capabilities) -> None:
        """On a tag header in tag mode: the whole tag at once, through the server's tag route, except
        a disable that meets an auto-disabled member, or an enable told to leave them
        (`tag_route_fits`), which goes member by member."""
        if not capabilities.supports(Operation.TAG_STATUS):
            self.notify(capabilities.unsupported_reason(Operation.TAG_STATUS), severity="warning")
            return
        self._plan_tag_status(group, enabled)

    @work(exclusive=True, group="tag-status")
    async def _plan_tag_status(self, group: TagGroup, enabled: bool) -> None:
        """Read the tag's members from the server, then confirm as a selection's change does: what
        changes, what has the status already, and the auto-disabled members (a disable leaves
        them as they are; an enable counts them and offers to leave them, `s`)."""
        session = self.current
        backend = session.backend if session else None
        if session is None or backend is None:
            return
        try:
            plan = await tag_plan(backend, group.tag, enabled, site=session.name)
        except ChannelsError as error:
            self.report_error(error)
            return
        if not plan.changing:
            self.notify(tag_unchanged(group.label, plan))
            return
        groups = "" if enabled else group_notes(session, plan.changing, deleting=False)
        notes = "\n\n".join(
            filter(
                None,
                [
                    f"Every channel tagged {group.label}: {plural(len(plan.targets), 'channel')} on the server now.",
                    tag_left_alone(plan),
                    f"Groups that would serve no enabled channel any more:\n{groups}" if groups else "",
                ],
            )
        )

        def confirmed(choice: str | None) -> None:
            if choice in ("all", "skip_auto"):
                self._apply_tag_status(group, enabled, leave_auto_disabled=choice == "skip_auto")

        self.app.push_screen(StatusConfirmScreen(StatusPlans((plan,)), notes), confirmed)

    @work(group="tag-status")
    async def _apply_tag_status(self, group: TagGroup, enabled: bool, *, leave_auto_disabled: bool = False) -> None:
        """Read the members again right before writing (the gateway may have auto-disabled one
        while the confirmation was open), then write through the tag route or member by member."""
        session = self.current
        backend = session.backend if session else None
        if session is None or backend is None:
            return
        verb = "Enable" if enabled else "Disable"
        try:
            plan = await tag_plan(backend, group.tag, enabled, site=session.name)
            plans = StatusPlans((plan,)).without_auto_disabled() if leave_auto_disabled else StatusPlans((plan,))
            left = tag_left_alone(plan, leaving=leave_auto_disabled)
            if not plans.changing:
                self.notify("\n".join(filter(None, [tag_unchanged(group.label, plans.plans[0]), left])))
                return
            if not tag_route_fits(plan, leave_auto_disabled=leave_auto_disabled):
                doing = "Enabling" if enabled else "Disabling"
                self.notify(left, title=f"{doing} tag {group.label} one by one")
                self._run_status_change({session.name: session}, plans)
                return
            with written_entries() as written:
                await backend.set_tag_status(group.tag, enabled)
        except ChannelsError as error:
            self.report_error(error)
            return
        entry = next((e for e in written if e.op == "tag_status" and e.ok), None)
        session.last_status_change = (
            None if entry is None else TagStatusChange(f"{verb} tag {group.label}", entry, StatusChange.next_serial())
        )
        self.notify(tag_written(group.label, plan))
        self.reload_channels()

