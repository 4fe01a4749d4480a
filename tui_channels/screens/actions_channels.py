"""Channel forms and single-channel actions, as a mixin of the main screen.

n new, e edit, D duplicate, d / Delete delete (the records go to the local trash first), + / -
enable / disable, m models, k reveal the key (where the server returns or reveals keys), X delete every
disabled channel (New API). Deletes and status changes of one or many channels run through the
batch engine, with a result per channel; forms and the model editor save on their own and hand the
saved channel back, which the table then shows in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Backend, Capabilities, Operation
from ..errors import ChannelsError
from ..models import Channel, ChannelStatus
from ..services import bulk, trash
from ..services.channel_form import COPY_SUFFIX, ChannelForm, FormMode, KeyEntry, key_entries
from ..services.model_groups import memberships, stranded
from ..services.model_list import model_suggestions
from ..services.model_mapping import model_mapping
from ..services.results import ChannelResult
from ..services.revealed_keys import with_keys
from ..services.sites import SiteSession
from ..services.tag_view import TagGroup
from ..services.upstream_models import channel_models
from .channel_form import ChannelFormScreen
from .confirm import ConfirmScreen
from .key_reveal import KeyRevealScreen
from .main_base import MainScreenBase
from .model_editor import ModelEditorScreen
from .workers import work

NAMED = 10
"""A confirmation names this many channels, then says "and N more"."""
TYPED_ABOVE = 5
"""Deleting more channels than this (or any enabled one) asks the user to type the count."""


def channel_lines(channels: Sequence[Channel], *, mark_enabled: bool = False) -> str:
    """The first `NAMED` channels by id, one per line, then how many more."""
    ordered = sorted(channels, key=lambda c: c.id)
    lines = [
        f"  #{c.id} {c.name}" + (" (enabled)" if mark_enabled and c.status.is_enabled else "")
        for c in ordered[:NAMED]
    ]
    if len(channels) > NAMED:
        lines.append(f"  and {len(channels) - NAMED} more")
    return "\n".join(lines)


def group_notes(session: SiteSession, channels: Sequence[Channel], *, deleting: bool) -> str:
    """What deleting or disabling these channels does to the site's groups, or "" (no groups there)."""
    capabilities = session.capabilities
    spec = capabilities.groups if capabilities is not None else None
    if spec is None or not session.groups:
        return ""
    going = {c.id for c in channels}
    lines = [f"⚠ {line}" for line in stranded(session.groups, session.channels, going, spec)]
    if deleting:
        member_of = sorted({m.group.name for c in channels for m in memberships(c.id, session.groups, spec)})
        if member_of:
            more = len(member_of) - NAMED
            shown = ", ".join(member_of[:NAMED]) + (f" and {more} more" if more > 0 else "")
            lines.append(
                f"The server removes them from the groups {shown}; restoring a channel later does not put it back."
            )
    return "\n".join(lines)


def delete_message(channels: Sequence[Channel]) -> str:
    enabled = sum(c.status.is_enabled for c in channels)
    count = len(channels)
    if enabled:
        serving = "It is enabled" if count == 1 else f"{enabled} of these {count} channels are enabled"
        state = f"{serving} and serving requests."
    else:
        state = "None of them is enabled." if count > 1 else "It is not enabled."
    return (
        f"{channel_lines(channels, mark_enabled=True)}\n\n{state}\n"
        "Each record is first copied to the local trash (trash.jsonl in the data folder), "
        "from which it can be restored."
    )


def delete_disabled_message(site: str, disabled: Sequence[Channel]) -> str:
    automatic = sum(c.status is ChannelStatus.AUTO_DISABLED for c in disabled)
    return (
        f"The server deletes every disabled channel on {site}: the automatically disabled ones and "
        "also those disabled by hand, including any this list has not loaded.\n\n"
        f"{channel_lines(disabled)}\n\n"
        f"{len(disabled)} loaded channels are disabled: {automatic} automatically, "
        f"{len(disabled) - automatic} manually. Their records are copied to the local trash first."
    )


class ChannelActions(MainScreenBase):
    """Create, edit, duplicate, delete, enable / disable, models and keys of the channels."""

    HELP_TITLE: ClassVar[str] = "Channel actions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_channel", "New"),
        Binding("e", "edit_channel", "Edit"),
        Binding("D", "duplicate_channel", "Duplicate channel", show=False),
        Binding("d,delete", "delete_channels", "Delete"),
        Binding("plus", "enable_channels", "Enable channels", show=False),
        Binding("minus", "disable_channels", "Disable channels", show=False),
        Binding("m", "edit_models", "Edit models", show=False),
        Binding("k", "reveal_key", "Reveal key", show=False),
        Binding("X", "delete_disabled", "Delete all disabled channels", show=False),
    ]
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [("d", "delete"), ("+/-", "enable/disable")]

    # -- what every action starts from ----------------------------------------------------------

    def _ready(self, operation: Operation) -> tuple[SiteSession, Backend, Capabilities] | None:
        """The loaded site, its backend and capabilities, if it can do `operation`; else says why."""
        session = self.loaded_session()
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
            elif self.current is session:
                self.reload_channels(cursor_id=channel.id)

        self.app.push_screen(ChannelFormScreen(form, backend, title=title), saved)

    def action_new_channel(self) -> None:
        ready = self._ready(Operation.CREATE)
        if ready is not None:
            session, backend, capabilities = ready
            self._open_form(session, backend, ChannelForm(capabilities), f"New channel on {session.name}")

    def action_edit_channel(self) -> None:
        ready = self._ready(Operation.UPDATE)
        channel = self._cursor() if ready else None
        if ready is not None and channel is not None:
            session, backend, capabilities = ready
            form = ChannelForm(capabilities, FormMode.EDIT, channel)
            self._open_form(session, backend, form, f"Edit channel {channel.id}: {channel.name}")

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
        try:
            new_id = await backend.copy_channel(channel.id, suffix=COPY_SUFFIX)  # type: ignore[attr-defined]
            copy = await backend.get_channel(new_id)
        except ChannelsError as error:
            self.report_error(error)
            return
        capabilities = session.capabilities
        if capabilities is None:
            return

        def closed(_saved: Channel | None) -> None:
            if self.current is session:
                self.reload_channels(cursor_id=new_id)

        form = ChannelForm(capabilities, FormMode.EDIT, copy)
        title = f"Edit the copy of {channel.name} (new channel {new_id})"
        self.app.push_screen(ChannelFormScreen(form, backend, title=title), closed)

    def action_edit_models(self) -> None:
        """The model editor on the cursor channel; saving sends only the models."""
        ready = self._ready(Operation.UPDATE)
        channel = self._cursor() if ready else None
        if ready is None or channel is None:
            return
        session, backend, capabilities = ready
        saved: list[Channel] = []

        async def save(models: tuple[str, ...]) -> None:
            saved.append(await backend.update_channel(channel, {"models": models}))

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
        session = self.loaded_session()
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
        ready = self._ready(Operation.DELETE)
        if ready is None:
            return
        session, backend, _capabilities = ready
        channels = self.target_channels()
        if not channels:
            self.notify("No channel to delete: move the cursor to one or select some.", severity="warning")
            return
        count = len(channels)
        title = f"Delete channel {channels[0].name}?" if count == 1 else f"Delete {count} channels?"
        typed = str(count) if count > TYPED_ABOVE or any(c.status.is_enabled for c in channels) else None

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(session, backend, channels)

        notes = group_notes(session, channels, deleting=True)
        message = delete_message(channels) + (f"\n\n{notes}" if notes else "")
        if notes.startswith("⚠") and typed is None:
            typed = str(count)
        screen = ConfirmScreen(title, message, confirm_label="Delete", typed=typed)
        self.app.push_screen(screen, confirmed)

    def _delete(self, session: SiteSession, backend: Backend, channels: list[Channel]) -> None:
        if self.batch_running:
            self.notify("A batch is already running; Esc cancels it.", severity="warning")
            return
        self._trash_then_delete(session, backend, channels)

    @work(exclusive=True, group="channel-action")
    async def _trash_then_delete(self, session: SiteSession, backend: Backend, channels: list[Channel]) -> None:
        """Trash first (with the keys the server only reveals on request), then one delete per channel
        through the batch engine; rows go as they succeed."""
        capabilities = session.capabilities
        if capabilities is None:
            return
        try:
            kept = await with_keys(backend, channels)
            trashed = trash.append(kept, site=session.name, capabilities=capabilities)
        except ChannelsError as error:
            self.report_error(error)
            return
        pending: set[int] = set()

        def flush() -> None:
            gone = set(pending)
            pending.clear()
            if self.current is session:
                self.forget_channels(gone)
            else:
                session.forget_channels(gone)

        def deleted(result: ChannelResult) -> None:
            if result.ok:
                if not pending:
                    self.call_after_refresh(flush)
                pending.add(result.channel_id)
                return
            try:
                bulk.not_deleted(trashed, result)
            except trash.TrashError as error:
                self.report_error(error)

        settings = self.batch_settings(read_only=False)
        self.run_batch("Delete", channels, bulk.delete(backend), settings, on_result=deleted)

    def action_delete_disabled(self) -> None:
        ready = self._ready(Operation.DELETE_DISABLED)
        if ready is None:
            return
        session, backend, _capabilities = ready
        disabled = [c for c in session.channels if c.status.is_disabled]
        if not disabled:
            self.notify("No loaded channel is disabled. Press r to reload if the server may have more.")
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
            trashed = trash.append(disabled, site=session.name, capabilities=capabilities, reason="delete_disabled")
            count = await bulk.delete_disabled(backend, disabled, trashed)
        except ChannelsError as error:
            self.report_error(error)
            return
        self.notify(f"The server deleted {count} disabled channels; their records are in the trash.", title="Deleted")
        if self.current is session:
            self.reload_channels()

    # -- enable / disable -------------------------------------------------------------------------

    def action_enable_channels(self) -> None:
        self._set_status(enabled=True)

    def action_disable_channels(self) -> None:
        self._set_status(enabled=False)

    def _set_status(self, *, enabled: bool) -> None:
        ready = self._ready(Operation.SET_STATUS)
        if ready is None:
            return
        session, backend, capabilities = ready
        group = self.table.cursor_group
        if group is not None and group.tag and self.table.cursor_channel is None and not self.table.selected_ids:
            self._set_tag_status(group, enabled, capabilities)
            return
        channels = self.target_channels()
        by_id = {c.id: c for c in channels}

        def changed(result: ChannelResult) -> None:
            if result.ok and result.value and result.channel_id in by_id:
                channel = replace(by_id[result.channel_id], status=ChannelStatus(result.value))
                self.show_saved(session, channel)

        title = "Enable" if enabled else "Disable"
        settings = self.batch_settings(read_only=False)

        def run() -> None:
            self.run_batch(title, channels, bulk.set_status(backend, enabled), settings, on_result=changed)

        notes = "" if enabled else group_notes(session, channels, deleting=False)
        if not notes:
            run()
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                run()

        count = len(channels)
        heading = f"Disable {channels[0].name}?" if count == 1 else f"Disable {count} channels?"
        message = f"{channel_lines(channels)}\n\nGroups that would serve no enabled channel any more:\n{notes}"
        self.app.push_screen(ConfirmScreen(heading, message, confirm_label="Disable"), confirmed)

    def _set_tag_status(self, group: TagGroup, enabled: bool, capabilities: Capabilities) -> None:
        """On a tag header in tag mode: the server's own tag route switches the whole tag at once."""
        if not capabilities.supports(Operation.TAG_STATUS):
            self.notify(capabilities.unsupported_reason(Operation.TAG_STATUS), severity="warning")
            return
        verb = "Enable" if enabled else "Disable"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._apply_tag_status(group, enabled)

        self.app.push_screen(
            ConfirmScreen(
                f"{verb} every channel tagged {group.label}?",
                f"{group.count} channels ({group.enabled} enabled, {group.disabled} disabled).",
                confirm_label=verb,
            ),
            confirmed,
        )

    @work(group="tag-status")
    async def _apply_tag_status(self, group: TagGroup, enabled: bool) -> None:
        backend = self.current.backend if self.current else None
        if backend is None:
            return
        try:
            await backend.set_tag_status(group.tag, enabled)
        except ChannelsError as error:
            self.report_error(error)
            return
        self.notify(f"{'Enabled' if enabled else 'Disabled'} the {group.count} channels tagged {group.label}.")
        self.reload_channels()

