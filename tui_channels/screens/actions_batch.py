"""Background work: tests, model sync, balances, tags, as a mixin of the main screen.

Every action runs through `run_batches` (progress bar, Esc cancels, results screen) and updates
the table rows live as results arrive. `t` tests the selection (or the cursor channel) at once;
the other actions first ask what to apply to: the cursor channel, the selection, the filtered
view or all channels. In the fleet view each of these spans sites: every site runs its share at
once, through its own backend and under its own concurrency and request budget, and a site whose
server lacks the operation has its channels skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import ClassVar

from textual.binding import Binding, BindingType

from ..backends.base import Operation
from ..config import SiteProfile
from ..models import Channel
from ..services import test_log, upstream_updates
from ..services.balance import balance_operation, with_balance
from ..services.connectivity import connectivity_operation, disable_warning_on, with_test_result
from ..services.fleet import spread
from ..services.fleet_batch import SiteBatch, by_site
from ..services.results import ChannelResult, Outcome
from ..services.sites import SiteChannels, SiteSession
from ..services.sync import SyncOptions, apply_operation, changes, preview_operation, replan
from ..services.tagging import TagPlan, shared_tag, tag_operation, with_tag
from ..wording import plural
from .confirm import ConfirmScreen
from .tag_confirm import TagConfirmScreen
from .main_base import MainScreenBase
from .scope_picker import Scope, ScopeChoice, ScopePicker
from .sync_preview import SyncPreviewScreen
from .sync_rules import SyncRulesScreen
from .upstream_review import SyncSourcePicker, UpstreamReviewScreen
from .workers import work

Change = Callable[[Channel, ChannelResult], Channel]


class BatchActions(MainScreenBase):
    """Tests, model sync, balance refresh and tags over many channels, on one site or many."""

    HELP_TITLE: ClassVar[str] = "Background work"
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [
        ("t", "test"),
        ("y", "sync"),
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
    WRITES: ClassVar[frozenset[str]] = frozenset({"sync", "set_tag"})
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {
        "sync": Operation.FETCH_MODELS,
        "balance": Operation.BALANCE,
        "set_tag": Operation.BATCH_TAG,
    }
    FLEET_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"test", "test_scope", "sync", "sync_rules", "balance", "set_tag"}
    )

    def action_sync_rules(self) -> None:
        session = self.cursor_session() if self.fleet is not None else self.current
        if session is None:
            return

        def saved(profile: SiteProfile | None) -> None:
            if profile is None:
                return
            app = self.workspace
            app.config.replace_site(session.name, profile)
            app.save_config()
            session.profile = profile
            self.notify(f"Model sync rules of {session.name} saved; the next sync (y) applies them.")

        self.app.push_screen(SyncRulesScreen(session.profile, self.table.cursor_channel), saved)

    # -- scopes --------------------------------------------------------------------------------

    def scopes(self) -> list[Scope]:
        """What an action can apply to right now: cursor, selection, filtered view, all."""
        source = self.shown
        table = self.table
        if source is None:
            return []
        found: list[Scope] = []
        cursor = table.cursor_channel
        key = table.cursor_key
        if cursor is not None and key is not None:
            found.append(Scope("cursor", f"This channel: {cursor.name}", tuple(source.locate([key]))))
        if table.selected_ids:
            found.append(Scope("selection", "Selected channels", tuple(source.locate(table.selected_ids))))
        if table.row_count < table.total_count:
            found.append(Scope("view", "Channels in the filtered view", tuple(self.view_sites())))
        everything = "All channels of every site" if self.fleet is not None else "All channels of the site"
        found.append(Scope("all", everything, tuple(source.everything())))
        return found

    def pick_scope(
        self,
        title: str,
        then: Callable[[ScopeChoice], None],
        *,
        prompt: str | None = None,
        placeholder: str = "",
        prefill: Callable[[Scope], str] | None = None,
        complete_models: bool = False,
        operation: Operation | None = None,
    ) -> None:
        """Ask what to apply an action to (and a line of text, with `prompt`, completing model names
        with `complete_models`), then call `then`. With the `operation` a write needs, each scope
        counts only the channels on sites that can do it, and how many it leaves out; a scope
        with none (the cursor on a site that cannot) is not offered. When the selection has none,
        or no scope has any, nothing is asked (another scope is not offered in the selection's
        place): the notice says why."""
        source = self.shown
        if source is None or source is not self._table_source:
            self.notify("Load a site's channels first (r loads, s switches sites).", severity="warning")
            return
        scopes = [replace(scope, operation=operation) for scope in self.scopes()]
        offered = [scope for scope in scopes if scope.writable]
        keys = [scope.key for scope in offered]
        selection = next((scope for scope in scopes if scope.key == "selection"), None)
        if not offered or (selection is not None and "selection" not in keys):
            meant = selection or (scopes[-1] if scopes else None)
            reach = [t for t in meant.targets if t.channels] if meant is not None else []
            if operation is not None and reach:
                self.supported_targets(reach, operation)
            else:
                self.notify("There is no channel to work on.", severity="warning")
            return
        default = "selection" if "selection" in keys else "cursor"

        def chosen(choice: ScopeChoice | None) -> None:
            if choice is not None and source is self.shown:
                then(choice)

        picker = ScopePicker(
            title,
            offered,
            default=default,
            prompt=prompt,
            placeholder=placeholder,
            prefill=prefill,
            complete_models=complete_models,
        )
        self.app.push_screen(picker, chosen)

    def live_rows(self, change: Change) -> Callable[[SiteSession, Sequence[Channel]], Callable[[ChannelResult], None]]:
        """Per site, an `on_result` that shows each channel as the result leaves it, in its own session."""

        def for_site(session: SiteSession, channels: Sequence[Channel]) -> Callable[[ChannelResult], None]:
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

        return for_site

    # -- tests ---------------------------------------------------------------------------------

    def action_test(self) -> None:
        if self.shown is None or self.shown is not self._table_source:
            self.notify("Load a site's channels first (r loads, s switches sites).", severity="warning")
            return
        self.start_test(self.target_sites(), None)

    def action_test_scope(self) -> None:
        self.pick_scope(
            "Test channels",
            lambda choice: self.start_test(choice.scope.targets, choice.text or None),
            prompt="Model to test with",
            placeholder="empty: each channel's own test model",
            complete_models=True,
            operation=Operation.TEST,
        )

    def start_test(self, targets: Sequence[SiteChannels], model: str | None) -> None:
        """Test at once, or first ask when a server may switch off the channels whose test fails:
        how many channels on how many sites, and the warning once, naming the sites it is about."""
        warning = disable_warning_on(
            [(t.name, capabilities) for t in targets if t.channels and (capabilities := t.session.capabilities)]
        )
        count = sum(len(target.channels) for target in targets)
        if warning and count > 1:

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._run_test(targets, model)

            reach = spread(targets) if len([t for t in targets if t.channels]) > 1 else plural(count, "channel")
            self.app.push_screen(ConfirmScreen(f"Test {reach}?", warning, confirm_label="Test"), confirmed)
            return
        if warning:
            self.notify(warning, severity="warning")
        self._run_test(targets, model)

    def _run_test(self, targets: Sequence[SiteChannels], model: str | None) -> None:
        batches = self.site_batches(
            targets,
            Operation.TEST,
            lambda _session, backend: connectivity_operation(backend, model),
            read_only=True,
            on_result=self.live_rows(with_test_result),
        )
        if batches is not None:
            self.run_batches(f"Test with {model}" if model else "Test", batches, on_done=self.keep_tests)

    def keep_tests(self, results: list[ChannelResult]) -> None:
        """Record the test results for the health view (servers do not keep whether a test passed)."""
        try:
            test_log.record_by_site(results)
        except test_log.TestLogError as error:
            self.notify(f"{error.message}; these results will not show in the health view.", severity="warning")

    # -- model sync ----------------------------------------------------------------------------

    def action_sync(self) -> None:
        self.pick_scope("Sync models from the upstreams", self.choose_sync, operation=Operation.UPDATE)

    def choose_sync(self, choice: ScopeChoice) -> None:
        """Where the server finds upstream changes itself (current New API), offer them beside this
        app's sync; elsewhere, and over several sites, go straight to the sync preview."""
        supported = self.supported_targets(choice.scope.targets, Operation.UPDATE)
        if supported is None:
            return
        targets, skipped = supported
        if skipped:
            self.notify(skipped, title="Some sites cannot do this", severity="warning")
        capabilities = targets[0].session.capabilities if len(targets) == 1 else None
        if capabilities is None or not capabilities.supports(Operation.UPSTREAM_UPDATES):
            self.preview_sync(targets)
            return
        session, channels = targets[0].session, targets[0].channels
        found = upstream_updates.with_findings(channels)

        def chosen(source: str | None) -> None:
            if source == "sync":
                self.preview_sync(targets)
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
                self.notify(f"{plural(failed, 'channel')} could not be checked; R shows why.", severity="warning")
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
            self.batch_settings(read_only=True, session=session),
            on_finish=checked,
            session=session,
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
            self.batch_settings(read_only=False, session=session),
            session=session,
        )

    def preview_sync(self, targets: Sequence[SiteChannels]) -> None:
        """Fetch and plan (read-only), then show the preview; nothing is written before Apply."""
        options = {t.name: SyncOptions.from_profile(t.session.profile) for t in targets}
        sessions = {t.name: t.session for t in targets}
        channels = {t.name: {c.id: c for c in t.channels} for t in targets}
        batches = self.site_batches(
            targets,
            Operation.FETCH_MODELS,
            lambda session, backend: preview_operation(backend, options[session.name]),
            read_only=True,
        )
        if batches is None:
            return

        def replanned(results: list[ChannelResult], keep: bool) -> list[ChannelResult]:
            again: list[ChannelResult] = []
            for site, found in by_site(results).items():
                planned = replan(found, channels[site], options[site].with_keep(keep))
                again.extend(replace(result, site=site) for result in planned)
            return again

        def previewed(results: list[ChannelResult]) -> None:
            if any(result.outcome is Outcome.CANCELLED for result in results):
                self.notify("Sync preview stopped before the end; nothing was written.", severity="warning")
                return

            def chosen(plans: list[ChannelResult] | None) -> None:
                if plans is not None:
                    self.apply_sync(sessions, channels, plans)

            screen = SyncPreviewScreen(
                results,
                keep=False,
                replan=lambda keep: replanned(results, keep),
                reach=spread(targets) if len(targets) > 1 else "",
            )
            self.app.push_screen(screen, chosen)

        self.run_batches("Sync preview", batches, on_finish=previewed)

    def apply_sync(
        self,
        sessions: dict[str, SiteSession],
        channels: dict[str, dict[int, Channel]],
        previews: list[ChannelResult],
    ) -> None:
        """Write exactly the previewed model lists of the channels that change, each on its own site."""
        batches = []
        for site, found in by_site(previews).items():
            session = sessions[site]
            plans = changes(found)
            if session.backend is None or not plans:
                continue

            def saved(channel: Channel, session: SiteSession = session) -> None:
                self.show_saved(session, channel)

            batches.append(
                SiteBatch(
                    site,
                    [channels[site][channel_id] for channel_id in plans],
                    apply_operation(session.backend, plans, on_saved=saved),
                    self.batch_settings(read_only=False, session=session),
                )
            )
        if batches:
            self.run_batches("Model sync", batches)

    # -- balances and tags -----------------------------------------------------------------------

    def action_balance(self) -> None:
        self.pick_scope(
            "Refresh balances", lambda choice: self.start_balance(choice.scope.targets), operation=Operation.BALANCE
        )

    def start_balance(self, targets: Sequence[SiteChannels]) -> None:
        batches = self.site_batches(
            targets,
            Operation.BALANCE,
            lambda _session, backend: balance_operation(backend),
            read_only=True,
            on_result=self.live_rows(with_balance),
        )
        if batches is not None:
            self.run_batches("Balance", batches)

    def action_set_tag(self) -> None:
        self.pick_scope(
            "Set the tag",
            lambda choice: self.start_tagging(choice.scope.targets, choice.text),
            prompt="Tag",
            placeholder="empty clears the tag",
            prefill=lambda scope: shared_tag(scope.channels),
            operation=Operation.BATCH_TAG,
        )

    def start_tagging(self, targets: Sequence[SiteChannels], tag: str) -> None:
        """Tag the channels whose tag differs, on the sites that can; ask first (counting only what
        is written, what it replaces, naming each site left out and the channels a server will
        refuse, which `o` leaves out) unless it only tags untagged channels of one site."""
        supported = self.supported_targets(targets, Operation.BATCH_TAG)
        if supported is None:
            return
        self._plan_tagging(*supported, tag)

    @work(exclusive=True, group="channel-action")
    async def _plan_tagging(self, able: list[SiteChannels], skipped: str, tag: str) -> None:
        """Plan from the channels as their servers hold them now (another admin may have tagged
        one since the list loaded), so the confirmation says what the write really replaces."""
        read = await self.read_again(able)
        if read is None:
            return
        plan = TagPlan.of(read.targets, "\n".join(filter(None, [skipped, *read.notes()])), tag)
        if not plan.targets:
            already = f"tagged {plan.tag!r}" if plan.tag else "without a tag"
            done = f"Nothing to change: {'it is' if len(plan.unchanged) == 1 else 'all are'} already {already}."
            self.notify("\n".join(filter(None, [done, plan.skipped])))
            return
        if not plan.needs_asking:
            self._tag(plan)
            return

        confirm = TagConfirmScreen(plan)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._tag(plan.leaving_refused() if confirm.leave_refused else plan)

        self.app.push_screen(confirm, confirmed)

    def _tag(self, plan: TagPlan) -> None:
        planned = {t.name: t.channels for t in plan.targets}
        batches = self.site_batches(
            plan.targets,
            Operation.BATCH_TAG,
            lambda session, backend: tag_operation(backend, plan.tag, planned[session.name]),
            read_only=False,
            on_result=self.live_rows(with_tag),
        )
        if batches is not None:
            self.run_batches(f"Tag {plan.tag}" if plan.tag else "Clear tag", batches)
