"""Background work: tests, model sync, balances, tags, as a mixin of the main screen.

Every action runs through `run_batch` (progress bar, Esc cancels, results screen) and updates the
table rows live as results arrive. `t` tests the selection (or the cursor channel) at once; the
other actions first ask what to apply to: the cursor channel, the selection, the filtered view
or all channels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..config import SiteProfile
from ..models import Channel
from ..services.balance import balance_operation, with_balance
from ..services.connectivity import connectivity_operation, with_test_result
from ..services.results import ChannelResult, Outcome
from ..services.sites import SiteSession
from ..services import upstream_updates
from ..services.sync import SyncOptions, apply_operation, changes, preview_operation, replan
from ..services.tagging import tag_operation, with_tag
from .main_base import MainScreenBase
from .scope_picker import Scope, ScopeChoice, ScopePicker
from .sync_preview import SyncPreviewScreen
from .sync_rules import SyncRulesScreen
from .upstream_review import SyncSourcePicker, UpstreamReviewScreen

Change = Callable[[Channel, ChannelResult], Channel]


class BatchActions(MainScreenBase):
    """Tests, model sync, balance refresh and tags over many channels."""

    HELP_TITLE: ClassVar[str] = "Background work"
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [
        ("t", "test"),
        ("y", "sync models"),
        ("b", "balance"),
        ("g", "tag"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "test", "Test"),
        Binding("T", "test_scope", "Test… (choose channels and model)", show=False),
        Binding("y", "sync", "Sync models", show=False),
        Binding("y", "unsupported('sync')", show=False),
        Binding("Y", "sync_rules", "Model sync rules (site and channel)", show=False),
        Binding("b", "balance", "Balance", show=False),
        Binding("b", "unsupported('balance')", show=False),
        Binding("g", "set_tag", "Set tag", show=False),
        Binding("g", "unsupported('set_tag')", show=False),
    ]
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {
        "sync": Operation.FETCH_MODELS,
        "balance": Operation.BALANCE,
        "set_tag": Operation.BATCH_TAG,
    }

    def action_sync_rules(self) -> None:
        session = self.current
        if session is None:
            return

        def saved(profile: SiteProfile | None) -> None:
            if profile is None:
                return
            app = self.workspace
            app.config.replace_site(session.name, profile)
            app.save_config()
            session.profile = profile
            self.notify("Model sync rules saved; the next sync (y) applies them.")

        self.app.push_screen(SyncRulesScreen(session.profile, self.table.cursor_channel), saved)

    # -- scopes --------------------------------------------------------------------------------

    def scopes(self, session: SiteSession) -> list[Scope]:
        """What an action can apply to right now: cursor, selection, filtered view, all."""
        table = self.table
        found: list[Scope] = []
        cursor = table.cursor_channel
        if cursor is not None:
            found.append(Scope("cursor", f"This channel: {cursor.name}", (cursor,)))
        selected = table.selected_ids
        if selected:
            chosen = tuple(c for c in session.channels if c.id in selected)
            found.append(Scope("selection", "Selected channels", chosen))
        if table.row_count < table.total_count:
            index = table.index
            view = tuple(index.channel(p) for p in index.view(table.view_state))
            found.append(Scope("view", "Channels in the filtered view", view))
        found.append(Scope("all", "All channels of the site", tuple(session.channels)))
        return found

    def pick_scope(
        self,
        title: str,
        then: Callable[[SiteSession, ScopeChoice], None],
        *,
        prompt: str | None = None,
        placeholder: str = "",
        value: str = "",
    ) -> None:
        """Ask what to apply an action to (and a line of text, with `prompt`), then call `then`."""
        session = self.loaded_session()
        if session is None:
            return
        default = "selection" if self.table.selected_ids else "cursor"

        def chosen(choice: ScopeChoice | None) -> None:
            if choice is not None and session is self.current:
                then(session, choice)

        picker = ScopePicker(
            title, self.scopes(session), default=default, prompt=prompt, placeholder=placeholder, value=value
        )
        self.app.push_screen(picker, chosen)

    def live_rows(
        self, session: SiteSession, channels: Sequence[Channel], change: Change
    ) -> Callable[[ChannelResult], None]:
        """An `on_result` that shows each channel as the result leaves it, in its own site's session."""
        by_id = {channel.id: channel for channel in channels}

        def arrived(result: ChannelResult) -> None:
            channel = by_id.get(result.channel_id)
            if channel is None:
                return
            updated = change(channel, result)
            if updated is not channel:
                by_id[channel.id] = updated
                self.show_saved(session, updated)

        return arrived

    # -- tests ---------------------------------------------------------------------------------

    def action_test(self) -> None:
        session = self.loaded_session()
        if session is not None:
            self.start_test(session, self.target_channels(), None)

    def action_test_scope(self) -> None:
        self.pick_scope(
            "Test channels",
            lambda session, choice: self.start_test(session, choice.scope.channels, choice.text or None),
            prompt="Model to test with",
            placeholder="empty: each channel's own test model",
        )

    def start_test(self, session: SiteSession, channels: Sequence[Channel], model: str | None) -> None:
        backend = session.backend
        if backend is None:
            return
        self.run_batch(
            f"Test with {model}" if model else "Test",
            channels,
            connectivity_operation(backend, model),
            self.batch_settings(read_only=True),
            on_result=self.live_rows(session, channels, with_test_result),
        )

    # -- model sync ----------------------------------------------------------------------------

    def action_sync(self) -> None:
        self.pick_scope("Sync models from the upstreams", self.choose_sync)

    def choose_sync(self, session: SiteSession, choice: ScopeChoice) -> None:
        """Where the server finds upstream changes itself (current New API), offer them beside this
        app's sync; elsewhere go straight to the sync preview."""
        channels = choice.scope.channels
        capabilities = session.capabilities
        if capabilities is None or not capabilities.supports(Operation.UPSTREAM_UPDATES):
            self.preview_sync(session, channels)
            return
        found = upstream_updates.with_findings(channels)

        def chosen(source: str | None) -> None:
            if source == "sync":
                self.preview_sync(session, channels)
            elif source == "review":
                self.review_upstream(session, found)
            elif source == "check":
                self.check_upstream(session, channels)

        changes = sum(c.upstream.pending for c in found if c.upstream is not None)
        self.app.push_screen(SyncSourcePicker(len(channels), len(found), changes), chosen)

    def check_upstream(self, session: SiteSession, channels: Sequence[Channel]) -> None:
        """The server checks each channel now; rows update; then its findings are offered for review."""
        backend = session.backend
        if backend is None:
            return

        def checked(results: list[ChannelResult]) -> None:
            self.last_batch = ("Upstream check", results)
            ids = {c.id for c in channels}
            found = upstream_updates.with_findings(c for c in session.channels if c.id in ids)
            failed = sum(r.outcome is Outcome.FAILED for r in results)
            if failed:
                self.notify(f"{failed} channels could not be checked; R shows why.", severity="warning")
            if found:
                self.review_upstream(session, found)
            else:
                self.notify("The server found no upstream model change on these channels.")

        def saved(channel: Channel) -> None:
            self.show_saved(session, channel)

        self.run_batch(
            "Upstream check",
            channels,
            upstream_updates.check_operation(backend, saved),
            self.batch_settings(read_only=True),
            on_finish=checked,
        )

    def review_upstream(self, session: SiteSession, channels: Sequence[Channel]) -> None:
        def decided(changes: list[upstream_updates.ModelChange] | None) -> None:
            if changes:
                self.apply_upstream(session, changes)

        screen = UpstreamReviewScreen(upstream_updates.proposed(channels), channels)
        self.app.push_screen(screen, decided)

    def apply_upstream(self, session: SiteSession, changes: Sequence[upstream_updates.ModelChange]) -> None:
        backend = session.backend
        decisions = upstream_updates.by_channel(changes)
        if backend is None or not decisions:
            return
        targets = [c for c in session.channels if c.id in decisions]
        self.run_batch(
            "Apply upstream changes",
            targets,
            upstream_updates.apply_operation(
                backend, decisions, lambda channel: self.show_saved(session, channel)
            ),
            self.batch_settings(read_only=False),
        )

    def preview_sync(self, session: SiteSession, channels: Sequence[Channel]) -> None:
        """Fetch and plan (read-only), then show the preview; nothing is written before Apply."""
        backend = session.backend
        if backend is None:
            return
        options = SyncOptions.from_profile(session.profile)
        by_id = {channel.id: channel for channel in channels}

        def previewed(results: list[ChannelResult]) -> None:
            if any(result.outcome is Outcome.CANCELLED for result in results):
                self.notify("Sync preview stopped before the end; nothing was written.", severity="warning")
                return

            def chosen(plans: list[ChannelResult] | None) -> None:
                if plans is not None:
                    self.apply_sync(session, by_id, plans)

            screen = SyncPreviewScreen(
                results,
                keep=options.keep_unlisted,
                replan=lambda keep: replan(results, by_id, options.with_keep(keep)),
            )
            self.app.push_screen(screen, chosen)

        self.run_batch(
            "Sync preview",
            channels,
            preview_operation(backend, options),
            self.batch_settings(read_only=True),
            on_finish=previewed,
        )

    def apply_sync(
        self, session: SiteSession, channels: dict[int, Channel], previews: list[ChannelResult]
    ) -> None:
        """Write exactly the previewed model lists of the channels that change."""
        backend = session.backend
        plans = changes(previews)
        if backend is None or not plans:
            return
        self.run_batch(
            "Model sync",
            [channels[channel_id] for channel_id in plans],
            apply_operation(backend, plans, on_saved=lambda saved: self.show_saved(session, saved)),
            self.batch_settings(read_only=False),
        )

    # -- balances and tags -----------------------------------------------------------------------

    def action_balance(self) -> None:
        self.pick_scope("Refresh balances", self.start_balance)

    def start_balance(self, session: SiteSession, choice: ScopeChoice) -> None:
        backend = session.backend
        if backend is None:
            return
        channels = choice.scope.channels
        self.run_batch(
            "Balance",
            channels,
            balance_operation(backend),
            self.batch_settings(read_only=True),
            on_result=self.live_rows(session, channels, with_balance),
        )

    def action_set_tag(self) -> None:
        cursor = self.table.cursor_channel
        self.pick_scope(
            "Set the tag",
            self.start_tagging,
            prompt="Tag",
            placeholder="empty clears the tag",
            value=(cursor.tag or "") if cursor is not None else "",
        )

    def start_tagging(self, session: SiteSession, choice: ScopeChoice) -> None:
        backend = session.backend
        if backend is None:
            return
        channels = choice.scope.channels
        self.run_batch(
            f"Tag {choice.text}" if choice.text else "Clear tag",
            channels,
            tag_operation(backend, choice.text),
            self.batch_settings(read_only=False),
            on_result=self.live_rows(session, channels, with_tag),
        )
