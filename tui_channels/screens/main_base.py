"""The core of the main screen: site, channel table, filters, sort, columns, selection, help.

`MainScreen` (main.py) adds the channel actions of each area as Screen mixins, each in its own
module (`actions_*.py`) with its own `BINDINGS`. Textual merges the bindings of every class in
the MRO. The mixins use only these members of this base: `current` (the site session), `table`,
`loaded_session()` and `target_channels()`, `show_channel()` / `show_saved()` /
`forget_channels()` / `reload_channels()` for a changed, new or removed channel,
`require_operation()`, `run_batch()` with `batch_settings()` and `batch_running`,
`report_error()`, and `workspace` (config, secrets, sessions).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, LoadingIndicator, Static

from ..backends.base import COLUMNS_ALL, Capabilities, Operation
from ..config import SortPref
from ..errors import ChannelsError
from ..models import Channel
from ..services.channel_view import distinct_values, flag_choices, relative_time
from ..services.model_groups import describe_memberships, memberships
from ..services.batch import BatchProgress, BatchRun, BatchSettings
from ..services.batch import Operation as BatchOperation
from ..services.results import ChannelResult
from ..services.sites import LoadState, SiteSession
from ..widgets.batch_bar import BatchBar
from ..widgets.batch_progress import BatchProgressBar
from ..widgets.channel_table import COLUMNS, ChannelTable
from ..widgets.empty_state import EmptyState
from ..widgets.filter_bar import FilterBar
from ..widgets.site_bar import SiteBar
from .channel_detail import ChannelDetailScreen
from .column_picker import ColumnPicker
from .batch_results import BatchResultsScreen, summary_line
from .help import HelpScreen
from .site_switcher import SiteSwitcher
from .sort_picker import SortPicker
from .workers import work
from .workspace import Workspace, workspace_of

LONG_RUN_SECONDS = 10.0
"""A batch that took longer than this announces its end with a notification."""

DEFAULT_HIDDEN = frozenset({"base_url"})
"""Columns hidden until the user picks them (base URLs are long and rarely needed at a glance)."""


def settle_heap() -> None:
    """Take freshly loaded channels out of the cyclic garbage collector's scans.

    With 10,000 channels (each keeping its server record) one full collection takes about 60 ms,
    which showed as the p95 of filter keystrokes (bench/table.py). Loaded records live until the
    next load and hold no reference cycles, so reference counting still frees them when replaced.
    """
    gc.collect()
    gc.freeze()


def offered_columns(capabilities: Capabilities) -> list[str]:
    """The columns this backend can fill, in the app's default order."""
    return [c for c in COLUMNS_ALL if c in capabilities.columns]


def visible_columns(capabilities: Capabilities, remembered: list[str] | None) -> list[str]:
    """The user's remembered columns for this backend family, or the defaults; never one it lacks."""
    offered = offered_columns(capabilities)
    if remembered:
        kept = [c for c in remembered if c in offered]
        if kept:
            return kept
    return [c for c in offered if c not in DEFAULT_HIDDEN and c not in capabilities.hidden_columns]


class MainScreenBase(Screen[None]):
    """Site bar, filter bar, the channel table (or the state that replaces it), batch bar, footer."""

    HELP_TITLE: ClassVar[str] = "Channels"
    """Heading of this class's bindings in the help screen (each mixin sets its own)."""
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [
        ("space", "toggle"),
        ("a", "all visible"),
        ("i", "invert"),
        ("u", "clear"),
    ]
    """(key, label) pairs the batch bar shows while channels are selected; mixins add theirs."""
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {}
    """Action name -> the server operation it needs; each mixin declares its own. Unsupported
    actions show disabled in the footer, say why in help and the palette, and explain when used."""

    AUTO_FOCUS = "ChannelTable"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("s", "switch_site", "Sites"),
        Binding("r", "refresh", "Refresh"),
        Binding("o", "sort", "Sort", show=False),
        Binding("O", "reverse_sort", "Reverse sort", show=False),
        Binding("c", "columns", "Columns", show=False),
        Binding("enter", "details", "Details", show=False),
        Binding("a", "select_all", "Select all visible", show=False),
        Binding("i", "invert_selection", "Invert selection", show=False),
        Binding("u", "clear_selection", "Clear selection", show=False),
        Binding("escape", "escape", "Clear filters / cancel", show=False),
        Binding("S", "manage_sites", "Manage sites", show=False),
        Binding("R", "last_results", "Last batch results", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self, initial_site: str | None = None) -> None:
        super().__init__()
        self._initial_site = initial_site
        self.current: SiteSession | None = None
        self._table_session: SiteSession | None = None
        self._table_channels: list | None = None
        self._batch: BatchRun | None = None
        self.last_batch: tuple[str, list[ChannelResult]] | None = None

    @property
    def workspace(self) -> Workspace:
        return workspace_of(self.app)

    def compose(self) -> ComposeResult:
        yield SiteBar(id="site-bar")
        yield FilterBar(id="filter-bar")
        with ContentSwitcher(initial="empty", id="body"):
            yield ChannelTable(id="table")
            yield EmptyState(id="empty")
            with Vertical(id="loading"):
                yield LoadingIndicator()
                yield Static(id="loading-text")
        yield BatchProgressBar(id="batch-progress")
        yield BatchBar(id="batch-bar")
        yield Footer(compact=True)

    @property
    def table(self) -> ChannelTable:
        return self.query_one(ChannelTable)

    def on_mount(self) -> None:
        self.query_one(BatchBar).display = False
        config = self.workspace.config
        if not config.sites:
            self._show_first_run()
            return
        names = [s.name for s in config.sites]
        wanted = self._initial_site or config.last_site
        self.open_site(wanted if wanted in names else names[0])

    # -- sites ----------------------------------------------------------------------------------

    def open_site(self, name: str) -> None:
        """Show `name`'s channels: at once if they are loaded, else load them in a worker."""
        app = self.workspace
        profile = app.config.site(name)
        self._remember_view()
        session = app.sessions.get(profile)
        if session.state is LoadState.IDLE and not session.channels:
            pref = app.config.ui.sort.get(name)
            if pref is not None:
                session.view = replace(session.view, sort_column=pref.column, descending=pref.descending)
        self.current = session
        if app.config.last_site != name:
            app.config.last_site = name
            app.save_config()
        if session.state in (LoadState.READY, LoadState.FAILED, LoadState.AUTH_FAILED):
            self._show_session(session)
        else:
            self.load_channels(session)

    def _remember_view(self) -> None:
        """Keep the outgoing site's cursor and selection for when the user comes back."""
        session = self._table_session
        if session is None:
            return
        cursor = self.table.cursor_channel
        session.cursor_id = cursor.id if cursor else None
        session.selected = set(self.table.selected_ids)

    @work(exclusive=True, group="load")
    async def load_channels(self, session: SiteSession) -> None:
        """Connect and list every channel; a new load (or a site switch) cancels this one."""
        self._show_loading(session, 0, None)
        try:
            await session.load(lambda done, total: self._show_loading(session, done, total))
        except ChannelsError as error:
            self.report_error(error)
        except asyncio.CancelledError:
            if session is self.current:
                self.notify("Loading cancelled.", timeout=3)
                self._show_session(session)
            raise
        settle_heap()
        if session is self.current:
            self._show_session(session)
            self._warn_skipped(session)

    def _warn_skipped(self, session: SiteSession) -> None:
        """Say which records the load skipped (the first three, then how many more)."""
        if not session.warnings:
            return
        shown = "\n".join(session.warnings[:3])
        more = len(session.warnings) - 3
        self.notify(
            shown + (f"\n…and {more} more." if more > 0 else ""),
            title=f"{len(session.warnings)} channel records skipped",
            severity="warning",
            timeout=15,
            markup=False,
        )

    # -- what the body shows ----------------------------------------------------------------

    def _switch(self, child: str) -> None:
        """Show the table or a state; keys keep working because focus never sits on a hidden widget.

        The search box keeps focus while the user types, even when nothing matches.
        """
        self.query_one("#body", ContentSwitcher).current = child
        typing = isinstance(self.focused, Input)
        if child == "table":
            if self.focused is None:
                self.table.focus()
        elif not typing:
            self.set_focus(None)

    def _show_first_run(self) -> None:
        self.query_one(SiteBar).show(site="no site", backend="")
        self.query_one(EmptyState).show(
            "No sites yet",
            "tui-channels manages the channels of New API / One API and Octopus gateways.\n"
            "Add a site with its URL and credentials to begin.",
            "Press S to add a site, or run `tui-channels sites add …` in a shell. "
            "`tui-channels --demo` tries it against a built-in demo gateway.",
        )
        self._switch("empty")

    def _show_loading(self, session: SiteSession, done: int, total: int | None) -> None:
        if session is not self.current:
            return
        self._update_site_bar()
        progress = f"{done:,} of {total:,}" if total else f"{done:,}"
        self.query_one("#loading-text", Static).update(
            f"Loading channels from {session.profile.url} … {progress}\nEsc cancels"
        )
        self._switch("loading")

    def _show_session(self, session: SiteSession) -> None:
        """Bring the body in line with the session's state: table, or the right empty state."""
        self.refresh_bindings()
        self._update_site_bar()
        empty = self.query_one(EmptyState)
        if session.state is LoadState.AUTH_FAILED:
            error = session.error
            empty.show(
                f"🔒 {error.title if error else 'Credentials refused'}",
                error.message if error else "",
                "Press S to edit this site's credentials, then r to try again.",
            )
            self._switch("empty")
            return
        if session.state is LoadState.FAILED and not session.channels:
            error = session.error
            empty.show(
                f"⚠ Could not load channels from {session.name}",
                f"{error.title}: {error.message}" if error else "",
                "Press r to retry, or S to check the site's URL and settings.",
            )
            self._switch("empty")
            return
        if session.state is LoadState.IDLE and not session.channels:
            empty.show(session.name, "The channels are not loaded.", "Press r to load them.")
            self._switch("empty")
            return
        self._fill_table(session)
        self._show_table_or_no_match()

    def _fill_table(self, session: SiteSession) -> None:
        """Hand the session's channels, columns, view, cursor and selection to the table."""
        capabilities = session.capabilities
        table = self.table
        if capabilities is not None:
            remembered = self.workspace.config.ui.columns.get(capabilities.kind.value)
            table.set_columns(visible_columns(capabilities, remembered), capabilities.column_labels)
            self._fill_filter_choices(session, capabilities)
        if self._table_session is not session or self._table_channels is not session.channels:
            table.set_channels(session.channels)
            self._table_session, self._table_channels = session, session.channels
            table.set_selection(session.selected)
        self.query_one(FilterBar).show_state(
            search=session.view.search,
            status=session.view.status,
            type_code=session.view.type_code,
            group=session.view.group,
            tag=session.view.tag,
            flag=session.view.flag,
        )
        table.apply_view(session.view)
        if session.cursor_id is not None:
            table.move_cursor_to_channel(session.cursor_id)
        self._update_batch_bar()

    def _fill_filter_choices(self, session: SiteSession, capabilities: Capabilities) -> None:
        channels = session.channels
        self.query_one(FilterBar).set_choices(
            types=distinct_values(channels, "type"),
            groups=distinct_values(channels, "group") if "group" in capabilities.columns else None,
            tags=distinct_values(channels, "tag") if "tag" in capabilities.columns else None,
            flags=flag_choices(capabilities.columns),
        )

    def _show_table_or_no_match(self) -> None:
        session = self.current
        table = self.table
        if session is None:
            return
        if table.total_count == 0:
            self.query_one(EmptyState).show(
                f"{session.name} has no channels yet",
                "Channels are the upstream providers this gateway routes requests to.",
                "Press r after adding channels in the gateway, or S to pick another site.",
            )
            self._switch("empty")
        elif table.row_count == 0:
            self.query_one(EmptyState).show(
                "No channel matches",
                f"Nothing among {table.total_count:,} channels matches the search and filters.",
                "Press Esc to clear them.",
            )
            self._switch("empty")
        else:
            self._switch("table")
        self._update_site_bar()

    def _update_site_bar(self) -> None:
        session = self.current
        if session is None:
            return
        capabilities = session.capabilities
        backend = (
            f"{capabilities.flavor_label} {capabilities.version}"
            if capabilities
            else session.profile.kind.label
        )
        loaded = session.state is LoadState.READY or bool(session.channels)
        self.query_one(SiteBar).show(
            site=session.name,
            backend=backend,
            shown=self.table.row_count if loaded else None,
            total=len(session.channels) if loaded else None,
            selected=len(self.table.selected_ids) if loaded else 0,
            note=self._site_note(session),
        )

    @staticmethod
    def _site_note(session: SiteSession) -> str:
        """When the server's own model sync last ran, where the server says."""
        synced = session.server_synced_at
        return f"server sync {relative_time(synced.timestamp())}" if synced else ""

    def _update_batch_bar(self) -> None:
        actions = [
            action
            for cls in type(self).__mro__
            for action in cls.__dict__.get("BATCH_ACTIONS", [])
        ]
        self.query_one(BatchBar).show(len(self.table.selected_ids), actions)

    # -- events ---------------------------------------------------------------------------------

    def on_filter_bar_changed(self, event: FilterBar.Changed) -> None:
        session = self.current
        if session is None or session is not self._table_session:
            return
        session.view = replace(session.view, **{event.field: event.value})
        self.table.apply_view(session.view)
        self._show_table_or_no_match()

    def on_channel_table_selection_changed(self, event: ChannelTable.SelectionChanged) -> None:
        if self.current is not None and self.current is self._table_session:
            self.current.selected = set(self.table.selected_ids)
        self._update_site_bar()
        self._update_batch_bar()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.table.focus()

    # -- actions --------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one(FilterBar).focus_search()

    def cancel_background(self) -> bool:
        """Cancel a running batch, else a load in progress; True if there was one."""
        if self._batch is not None:
            self._batch.cancel()
            return True
        if any(w.group == "load" and w.is_running for w in self.workers):
            self.workers.cancel_group(self, "load")
            return True
        return False

    def action_escape(self) -> None:
        """Cancel a batch or a load in progress; else clear the search and filters."""
        if self.cancel_background():
            return
        session = self.current
        if session is None:
            return
        session.view = replace(session.view, search="", status="all", type_code=None, group=None, tag=None, flag=None)
        if session is self._table_session:
            self.query_one(FilterBar).show_state(search="", status="all", type_code=None, group=None, tag=None)
            self.table.apply_view(session.view)
            self._show_table_or_no_match()
        self.table.focus()

    def action_refresh(self) -> None:
        if self.current is not None:
            self._remember_view()
            self.load_channels(self.current)

    def action_switch_site(self) -> None:
        config = self.workspace.config
        if not config.sites:
            self.action_manage_sites()
            return
        current = self.current.name if self.current else None

        def chosen(name: str | None) -> None:
            if name and name != current:
                self.open_site(name)

        self.app.push_screen(SiteSwitcher(config.sites, current), chosen)

    def action_manage_sites(self) -> None:
        from .site_manager import SiteManagerScreen

        self.app.push_screen(SiteManagerScreen(), self._after_site_manager)

    def _after_site_manager(self, changed: set[str] | None) -> None:
        """Reload what the manager changed; reopen the current site if it was edited or removed."""
        config = self.workspace.config
        current = self.current.name if self.current else None
        if current is not None and not config.has_site(current):
            self.current = self._table_session = None
        if not config.sites:
            self._show_first_run()
        elif self.current is None or (changed and current in changed):
            self._table_session = None
            self.open_site(current if current and config.has_site(current) else config.sites[0].name)

    def action_sort(self) -> None:
        session = self.current
        if session is None or session.capabilities is None:
            return

        def chosen(choice: tuple[str, bool] | None) -> None:
            if choice is not None:
                self.sort_by(*choice)

        self.app.push_screen(
            SortPicker(
                self.table.columns, session.view.sort_column, session.view.descending, labels=self.table.label_of
            ),
            chosen,
        )

    def action_reverse_sort(self) -> None:
        if self.current is not None:
            self.sort_by(self.current.view.sort_column, not self.current.view.descending)

    def sort_by(self, column: str, descending: bool) -> None:
        """Sort the table and remember the choice for this site."""
        session = self.current
        if session is None:
            return
        session.view = replace(session.view, sort_column=column, descending=descending)
        app = self.workspace
        app.config.ui.sort[session.name] = SortPref(column=column, descending=descending)
        app.save_config()
        if session is self._table_session:
            self.table.apply_view(session.view)

    def action_columns(self) -> None:
        session = self.current
        capabilities = session.capabilities if session else None
        if capabilities is None:
            return

        def chosen(columns: list[str] | None) -> None:
            if columns:
                app = self.workspace
                app.config.ui.columns[capabilities.kind.value] = columns
                app.save_config()
                self.table.set_columns(columns)

        self.app.push_screen(
            ColumnPicker(
                [(c, capabilities.column_labels.get(c, COLUMNS[c].label)) for c in offered_columns(capabilities)],
                self.table.columns,
            ),
            chosen,
        )

    def action_details(self) -> None:
        if self.table.tag_mode and self.table.cursor_channel is None:
            self.table.toggle_group()
            return
        channel = self.table.cursor_channel
        session = self.current
        if channel is None or session is None or session.capabilities is None:
            return
        spec = session.capabilities.groups
        groups = None
        if spec is not None and session.groups is not None:
            groups = describe_memberships(memberships(channel.id, session.groups, spec), spec)
        self.app.push_screen(ChannelDetailScreen(channel, session.capabilities, groups=groups))

    def action_select_all(self) -> None:
        self.table.select_all_visible()

    def action_invert_selection(self) -> None:
        self.table.invert_selection()

    def action_clear_selection(self) -> None:
        self.table.clear_selection()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self._help_sections()))

    def _own_bindings(self) -> Iterator[tuple[str, list[Binding]]]:
        """(help title, bindings) of this base and of every action mixin, base first."""
        for cls in reversed(type(self).__mro__):
            bindings = [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding) and b.description]
            if bindings and issubclass(cls, MainScreenBase):
                yield cls.__dict__.get("HELP_TITLE", cls.__name__), bindings

    def _described(self, binding: Binding, text: str | None = None) -> str:
        """A binding's text, with the reason when the current server lacks its operation."""
        action = binding.action.split("(", 1)[0]
        reason = self.unsupported_reason(action)
        text = binding.description if text is None else text
        return f"{text} — {reason}" if reason else text

    def _help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        def rows(bindings: list[Binding]) -> list[tuple[str, str]]:
            return [(self.app.get_key_display(b), self._described(b)) for b in bindings]

        table_bindings = [b for b in ChannelTable.BINDINGS if isinstance(b, Binding)]
        return [
            *((title, rows(bindings)) for title, bindings in self._own_bindings()),
            ("Table", rows(table_bindings)),
            ("Everywhere", [("ctrl+p", "Command palette: every action, sort by any column, themes")]),
        ]

    def palette_commands(self) -> Iterator[tuple[str, str, str]]:
        """(title, help, action) for every action of this screen, for the command palette."""
        for _title, bindings in self._own_bindings():
            for binding in bindings:
                yield binding.description, self._described(binding, f"Key: {binding.key}"), binding.action
        for column in self.table.columns:
            label = COLUMNS[column].label or column
            yield f"Sort by {label} ascending", "Missing values last", f"sort_by('{column}', False)"
            yield f"Sort by {label} descending", "Missing values last", f"sort_by('{column}', True)"

    def action_sort_by(self, column: str, descending: bool) -> None:
        self.sort_by(column, descending)

    # -- what action mixins build on ----------------------------------------------------------

    def loaded_session(self) -> SiteSession | None:
        """The current session when its channels are on screen; otherwise says why and gives None."""
        session = self.current
        if session is None or session is not self._table_session or session.backend is None:
            self.notify("Load a site's channels first (r loads, s switches sites).", severity="warning")
            return None
        return session

    def target_channels(self) -> list[Channel]:
        """What an action applies to: the selected channels if any, else the cursor channel."""
        session = self.current
        selected = self.table.selected_ids
        if session is not None and selected:
            return [c for c in session.channels if c.id in selected]
        cursor = self.table.cursor_channel
        return [cursor] if cursor is not None else []

    def show_channel(self, channel: Channel) -> None:
        """A channel changed or was created: update the session, its row and the counts in place."""
        session = self.current
        if session is None:
            return
        session.replace_channel(channel)
        self.table.update_channel(channel)
        self._update_site_bar()

    def show_saved(self, session: SiteSession, channel: Channel) -> None:
        """Show a changed channel if its site is on screen, else just keep its session in step."""
        if session is self.current:
            self.show_channel(channel)
        else:
            session.replace_channel(channel)

    def forget_channels(self, channel_ids: set[int]) -> None:
        """Channels were deleted: drop them from the session and the table."""
        session = self.current
        if session is None:
            return
        session.forget_channels(channel_ids)
        self.table.set_channels(session.channels)
        self._table_channels = session.channels
        self.table.apply_view(session.view)
        self._show_table_or_no_match()

    def reload_channels(self, cursor_id: int | None = None) -> None:
        """Reload the list from the server (after a create or a bulk change), cursor on `cursor_id`."""
        session = self.current
        if session is None:
            return
        self._remember_view()
        if cursor_id is not None:
            session.cursor_id = cursor_id
        self.load_channels(session)

    def _operation_for(self, action: str) -> Operation | None:
        for cls in type(self).__mro__:
            operation = cls.__dict__.get("ACTION_OPERATIONS", {}).get(action)
            if operation is not None:
                return operation
        return None

    def unsupported_reason(self, action: str) -> str | None:
        """Why the current site cannot do `action`, or None when it can (or nothing is loaded)."""
        operation = self._operation_for(action)
        capabilities = self.current.capabilities if self.current else None
        if operation is None or capabilities is None or capabilities.supports(operation):
            return None
        return capabilities.unsupported_reason(operation)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show actions the connected server lacks as disabled (None) in the footer.

        A disabled binding lets the key fall through to the next binding for it: mixins add a
        hidden `unsupported('<action>')` binding after each such key, which says why.
        """
        return None if self.unsupported_reason(action) else True

    def action_unsupported(self, action: str) -> None:
        """The key of an action the server lacks: say why instead of doing nothing."""
        reason = self.unsupported_reason(action)
        if reason is not None:
            self.notify(reason, title="Not available", severity="warning")

    def require_operation(self, operation: Operation) -> bool:
        """True if the site supports `operation`; otherwise say why in a notification."""
        capabilities = self.current.capabilities if self.current else None
        if capabilities is None:
            self.notify("Load a site's channels first (r loads, s switches sites).", severity="warning")
            return False
        if not capabilities.supports(operation):
            self.notify(capabilities.unsupported_reason(operation), title="Not available", severity="warning")
            return False
        return True

    def batch_settings(self, *, read_only: bool) -> BatchSettings:
        """Engine settings for the current site (its configured concurrency)."""
        concurrency = self.current.profile.concurrency if self.current else BatchSettings.concurrency
        return BatchSettings(concurrency=concurrency, read_only=read_only)

    @property
    def batch_running(self) -> bool:
        return self._batch is not None

    def run_batch(
        self,
        title: str,
        channels: Sequence[Channel],
        operation: BatchOperation,
        settings: BatchSettings,
        *,
        on_result: Callable[[ChannelResult], None] | None = None,
        on_finish: Callable[[list[ChannelResult]], None] | None = None,
    ) -> None:
        """Run `operation` over `channels` in the background, with the progress bar and a report.

        `on_result` sees each result as it arrives (to update rows live). The table stays usable;
        Esc cancels. One channel reports in a notification, several open the results screen;
        `on_finish`, when given, gets the results instead (a sync preview shows its own screen).
        """
        if self._batch is not None:
            self.notify("A batch is already running; Esc cancels it.", severity="warning")
            return
        if not channels:
            self.notify("No channel to work on: move the cursor to one or select some.", severity="warning")
            return
        self._run_batch(title, list(channels), operation, settings, on_result, on_finish)

    @work(group="batch")
    async def _run_batch(
        self,
        title: str,
        channels: list[Channel],
        operation: BatchOperation,
        settings: BatchSettings,
        on_result: Callable[[ChannelResult], None] | None,
        on_finish: Callable[[list[ChannelResult]], None] | None,
    ) -> None:
        bar = self.query_one(BatchProgressBar)

        def progressed(progress: BatchProgress) -> None:
            bar.show(title, progress, cancelling=run.cancelled)

        run = BatchRun(channels, operation, settings, on_result=on_result, on_progress=progressed)
        self._batch = run
        bar.start(title, len(channels))
        started = time.monotonic()
        try:
            results = await run.run()
        finally:
            self._batch = None
            bar.finish()
        self.last_batch = (title, results)
        if on_finish is not None:
            on_finish(results)
            return
        if len(results) == 1:
            result = results[0]
            severity = "information" if result.ok else "error"
            self.notify(result.message or result.outcome.value, title=f"{title}: {result.name}", severity=severity)
            return
        if time.monotonic() - started > LONG_RUN_SECONDS:
            self.notify(summary_line(results), title=f"{title} finished", timeout=8)

        def closed(answer: str | None) -> None:
            if answer == "retry":
                failed_ids = {r.channel_id for r in results if r.outcome.value == "failed"}
                retry = [c for c in channels if c.id in failed_ids]
                self.run_batch(f"{title} (retry)", retry, operation, settings, on_result=on_result)

        self.app.push_screen(BatchResultsScreen(title, results), closed)

    def action_last_results(self) -> None:
        if self.last_batch is None:
            self.notify("No batch has run yet.")
            return
        title, results = self.last_batch
        self.app.push_screen(BatchResultsScreen(title, results, retryable=False))

    def report_error(self, error: ChannelsError) -> None:
        """The one way actions show a client error: a notification with its title and message."""
        self.notify(error.message, title=error.title, severity="error", timeout=8)
