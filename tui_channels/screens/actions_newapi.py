"""New API completeness as a mixin of the main screen: tag mode, inline priority and weight,
multi-key channels and server-side maintenance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..errors import ChannelsError
from ..models import Channel
from ..services.balance import balance_operation, with_balance
from ..services.batch import succeeded
from ..services.current import SharedRead
from ..services.results import ChannelResult
from ..services.server_edit import edit_channel
from ..services.tag_view import TagGroup
from ..wording import plural
from .confirm import ConfirmScreen
from .key_manager import KeyManagerScreen
from .main_base import MainScreenBase
from .number_prompt import NumberPrompt, number_spec
from .tag_edit import TagEditScreen
from .workers import work


class NewApiActions(MainScreenBase):
    """Tag mode and tag-level edits, priority/weight in place, key manager, maintenance."""

    HELP_TITLE: ClassVar[str] = "{flavor}"
    """Tags exist on New API-family and One Hub sites: the help heads these keys with the site's kind."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("G", "tag_mode", "Tag mode", show=False),
        Binding("ctrl+g", "edit_tag", "Edit the cursor's tag", show=False),
        Binding("ctrl+g", "unsupported('edit_tag')", show=False),
        Binding("P", "inline_number('priority')", "Set priority", show=False),
        Binding("P", "unsupported('inline_number')", show=False),
        Binding("W", "inline_number('weight')", "Set weight", show=False),
        Binding("W", "unsupported('inline_number')", show=False),
        Binding("M", "key_manager", "Multi-key manager", show=False),
        Binding("M", "unsupported('key_manager')", show=False),
        Binding("f5", "fix_abilities", "Fix abilities (server)", show=False),
        Binding("f5", "unsupported('fix_abilities')", show=False),
        Binding("f6", "server_test_all", "Test all channels (server-side)", show=False),
        Binding("f6", "unsupported('server_test_all')", show=False),
        Binding("f7", "refresh_all_balances", "Refresh all balances", show=False),
        Binding("f7", "unsupported('refresh_all_balances')", show=False),
    ]
    FLEET_ACTIONS: ClassVar[frozenset[str]] = frozenset({"key_manager"})
    WRITES: ClassVar[frozenset[str]] = frozenset({"edit_tag", "inline_number", "key_manager", "fix_abilities"})
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {
        "edit_tag": Operation.TAG_EDIT,
        "key_manager": Operation.MULTI_KEY,
        "fix_abilities": Operation.FIX_ABILITIES,
        "server_test_all": Operation.TEST_ALL,
        "refresh_all_balances": Operation.BALANCE,
        "inline_number": Operation.UPDATE,
    }

    # -- tag mode -------------------------------------------------------------------------------

    def action_tag_mode(self) -> None:
        if self.table.tag_mode:
            self.table.set_tag_mode(False)
            self._update_site_bar()
            self.notify("Tag mode off.")
            return
        session = self.loaded_session()
        if session is None or session.capabilities is None:
            return
        if "tag" not in session.capabilities.columns:
            self.notify(f"{session.capabilities.flavor_label} channels have no tags.", severity="warning")
            return
        self.table.set_tag_mode(True)
        self._update_site_bar()
        self.notify("Tag mode: Enter opens a tag, space selects it.")

    def _cursor_tag_group(self) -> TagGroup | None:
        """The tag group under the cursor: a header in tag mode, else the cursor channel's tag."""
        if self.table.tag_mode:
            return self.table.cursor_group
        channel = self.table.cursor_channel
        if channel is None or not channel.tag or self.current is None:
            return None
        return TagGroup(channel.tag, tuple(c for c in self.current.channels if c.tag == channel.tag))

    def action_edit_tag(self) -> None:
        session = self.loaded_session()
        if session is None or not self.require_operation(Operation.TAG_EDIT):
            return
        group = self._cursor_tag_group()
        if group is None or not group.tag:
            self.notify("Put the cursor on a tagged channel or a tag in tag mode (G).", severity="warning")
            return
        self._open_tag_editor(group)

    @work(group="tag-edit")
    async def _open_tag_editor(self, group: TagGroup) -> None:
        backend = self.current.backend if self.current else None
        if backend is None:
            return
        try:
            models = await backend.tag_models(group.tag)
        except ChannelsError:
            models = []
        fields = backend.capabilities.tag_fields
        changes = await self.app.push_screen_wait(TagEditScreen(group, models, fields=fields))
        if changes:
            await self._send_tag_edit(group, changes)

    async def _send_tag_edit(self, group: TagGroup, changes: dict[str, Any]) -> None:
        """Apply one tag edit on the server, say what it reached, reload with the cursor kept. The
        channels are listed right before it, so the journal records the members, and their values
        before, as the server holds them (not the rows the editor was opened from)."""
        backend = self.current.backend if self.current else None
        if backend is None:
            return
        try:
            await backend.list_channels()
            await backend.edit_tag(group.tag, changes)
        except ChannelsError as error:
            self.report_error(error)
            return
        self.notify(f"Updated {plural(group.count, 'channel')} tagged {group.label}.")
        self.reload_channels(self.table.cursor_channel.id if self.table.cursor_channel else None)

    # -- priority and weight in place -----------------------------------------------------------

    def action_inline_number(self, field: str) -> None:
        session = self.loaded_session()
        if session is None or session.capabilities is None:
            return
        if field not in session.capabilities.columns:
            self.notify(f"{session.capabilities.flavor_label} channels have no {field}.", severity="warning")
            return
        group = self.table.cursor_group if self.table.cursor_channel is None else None
        if group is not None:
            self._tag_number(field, group)
            return
        channels = self.target_channels()
        if not channels:
            return
        current = getattr(channels[0], field) if len(channels) == 1 else None
        label = channels[0].name if len(channels) == 1 else f"{plural(len(channels), 'channel')}"

        def chosen(value: int | None) -> None:
            if value is not None:
                self._apply_number(field, value, channels)

        spec = number_spec(session.capabilities, field)
        self.app.push_screen(NumberPrompt(f"Set {field}", f"For {label}.", spec, current), chosen)

    def _tag_number(self, field: str, group: TagGroup) -> None:
        if not self.require_operation(Operation.TAG_EDIT):
            return

        def chosen(value: int | None) -> None:
            if value is None:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._edit_tag_now(group, {field: value})

            self.app.push_screen(
                ConfirmScreen(
                    f"Set {field} {value} for tag {group.label}?",
                    f"Every one of its {plural(group.count, 'channel')} gets {field} {value}.",
                    confirm_label="Apply",
                ),
                confirmed,
            )

        spec = number_spec(self.current.capabilities if self.current else None, field)
        self.app.push_screen(NumberPrompt(f"Set {field} for a tag", f"Tag {group.label}.", spec), chosen)

    @work(group="tag-edit")
    async def _edit_tag_now(self, group: TagGroup, changes: dict[str, Any]) -> None:
        await self._send_tag_edit(group, changes)

    def _apply_number(self, field: str, value: int, channels: list[Channel]) -> None:
        backend = self.current.backend if self.current else None
        if backend is None:
            return

        current = SharedRead(backend, [c.id for c in channels])

        async def apply(channel: Channel) -> ChannelResult:
            updated = await edit_channel(
                backend, channel, {field: value}, current=current, since="the list loaded", hint="reload with r"
            )
            self.show_channel(updated)
            return succeeded(channel, f"{field} {value}")

        self.run_batch(f"Set {field}", channels, apply, self.batch_settings(read_only=False))

    # -- multi-key channels ---------------------------------------------------------------------

    def action_key_manager(self) -> None:
        session = self.cursor_session()
        channel = self.table.cursor_channel
        if session is None or channel is None or not self.require_operation(Operation.MULTI_KEY, session):
            return
        if not channel.is_multi_key:
            self.notify(f"{channel.name} has a single key; multi-key channels show a key count.", severity="warning")
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.reload_channels(channel.id, session=session)

        self.app.push_screen(KeyManagerScreen(session.backend, channel), closed)

    # -- maintenance ----------------------------------------------------------------------------

    def _maintenance(
        self,
        operation: Operation,
        title: str,
        message: str,
        call: Callable[[Any], Awaitable[Any]],
        done: Callable[[Any], str],
        *,
        reload: bool = False,
    ) -> None:
        """Confirm, run one server-side maintenance call in the background, report its outcome."""
        if self.loaded_session() is None or not self.require_operation(operation):
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run_maintenance(call, done, reload)

        self.app.push_screen(ConfirmScreen(title, message, confirm_label="Run"), confirmed)

    @work(group="maintenance")
    async def _run_maintenance(
        self, call: Callable[[Any], Awaitable[Any]], done: Callable[[Any], str], reload: bool
    ) -> None:
        backend = self.current.backend if self.current else None
        if backend is None:
            return
        try:
            result = await call(backend)
        except ChannelsError as error:
            self.report_error(error)
            return
        self.notify(done(result), timeout=6)
        if reload:
            self.reload_channels()

    def action_fix_abilities(self) -> None:
        self._maintenance(
            Operation.FIX_ABILITIES,
            "Fix abilities?",
            "The server rebuilds its model-to-channel routing table from every channel.",
            lambda backend: backend.fix_abilities(),
            lambda result: f"Abilities rebuilt: {plural(result.succeeded, 'channel')} fixed, {result.failed} failed.",
        )

    def action_server_test_all(self) -> None:
        self._maintenance(
            Operation.TEST_ALL,
            "Test every channel on the server?",
            "The gateway tests all channels in the background; it may auto-disable failing channels "
            "(auto-ban) and re-enable recovered ones. Refresh later to see the results.",
            lambda backend: backend.test_all(),
            lambda message: f"Server-side test started ({message})." if message else "Server-side test started.",
        )

    def action_refresh_all_balances(self) -> None:
        """The server's own refresh where it works; else (One API, whose route does nothing) each
        channel's balance in turn, through the per-channel route that does."""
        session = self.loaded_session()
        capabilities = session.capabilities if session else None
        if capabilities is not None and not capabilities.supports(Operation.BALANCE_ALL):
            self._refresh_each_balance()
            return
        self._maintenance(
            Operation.BALANCE_ALL,
            "Refresh every balance on the server?",
            "The gateway queries each upstream's balance in turn; this can take a while.",
            lambda backend: backend.update_all_balances(),
            lambda _result: "Balances refreshed.",
            reload=True,
        )

    def _refresh_each_balance(self) -> None:
        session = self.loaded_session()
        if session is None or session.backend is None or not self.require_operation(Operation.BALANCE):
            return
        backend, channels = session.backend, list(session.channels)
        by_id = {channel.id: channel for channel in channels}

        def refreshed(result: ChannelResult) -> None:
            channel = by_id.get(result.channel_id)
            if channel is not None and self.current is session:
                self.show_channel(with_balance(channel, result))

        def confirmed(yes: bool | None) -> None:
            if yes:
                settings = self.batch_settings(read_only=True)
                self.run_batch("Balance", channels, balance_operation(backend), settings, on_result=refreshed)

        label = session.capabilities.flavor_label if session.capabilities else "This server"
        self.app.push_screen(
            ConfirmScreen(
                "Refresh the balance of the one channel?" if len(channels) == 1
                else f"Refresh the balance of all {plural(len(channels), 'channel')}?",
                f"{label} has no working refresh of every balance, so each channel's balance is "
                "refreshed in turn, as b does for a selection.",
                confirm_label="Run",
            ),
            confirmed,
        )
