"""The core of the main screen: site (or fleet), channel table, filters, sort, columns, selection.

`MainScreen` (main.py) adds the channel actions of each area as Screen mixins, each in its own
module (`actions_*.py`) with its own `BINDINGS`. Textual merges the bindings of every class in
the MRO.

The screen shows one site's session or the fleet (every site at once, `services.fleet.Fleet`),
through one table and one set of filters, sorts, columns and selection: both give the table's
rows (`rows`), turn selected rows back into each site's channels (`locate`) and keep their own
view state. A fleet row is keyed by (site, id), so nothing here confuses two sites' channel 7,
and an action on a fleet selection goes to each channel's own site and backend.

The mixins use only these members of this base: `current` (the one site shown, None in the
fleet) and `shown`, `table`, `loaded_session()` (for actions on one site as a whole),
`cursor_session()` (the cursor channel's site, also in the fleet), `target_channels()` (one site)
and `target_sites()` / `view_sites()` (per site, also in the fleet), `shows()`,
`show_channel()` / `show_saved()` / `forget_channels()` / `reload_channels()` for a changed, new
or removed channel, `require_operation()`, `run_batch()` (one site) and `run_batches()` (one per
site) with `batch_settings()` and `batch_running`, `report_error()`, and `workspace` (config,
secrets, sessions). Each mixin names in `FLEET_ACTIONS` the actions that also work in the fleet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Input, LoadingIndicator, Static
from textual.widgets._toast import ToastRack

from ..widgets.footer import FittingFooter
from ..backends.base import COLUMNS_ALL, Backend, Capabilities, Operation
from ..backends.registry import supported_gateways
from ..collector import full_collections_paused, settle_heap
from ..config import FLEET_COLUMNS, SortPref
from ..errors import ChannelsError
from ..models import Channel
from ..services.batch import BatchSettings
from ..services.batch import Operation as BatchOperation
from ..services.channel_view import SITE_COLUMN, ChannelRef, distinct_values, flag_choices, relative_time
from ..services.fleet import Fleet, fleet_summary, left_out, split_by_support
from ..services.fleet_batch import FleetProgress, FleetRun, SiteBatch, by_site, site_batch
from ..services.model_groups import describe_memberships, memberships
from ..services.results import ChannelResult, Outcome, tally
from ..services.site_reads import ReadTargets, read_targets
from ..services.sites import LoadState, SiteChannels, SiteSession, server_label
from ..widgets.batch_bar import BatchBar
from ..widgets.batch_progress import BatchProgressBar
from ..widgets.channel_table import COLUMNS, ChannelTable
from ..widgets.empty_state import EmptyState
from ..widgets.filter_bar import FilterBar
from ..widgets.fleet_status import FleetStatus
from ..widgets.site_bar import SiteBar
from ..wording import plural
from .batch_results import RETRIED, BatchResultsScreen, summary_line
from .channel_detail import ChannelDetailScreen
from .column_picker import ColumnPicker
from .help import HelpScreen
from .site_switcher import Destination, SiteSwitcher
from .sort_picker import SortPicker
from .workers import work
from .workspace import Workspace, workspace_of

LONG_RUN_SECONDS = 10.0
"""A batch that took longer than this announces its end with a notification."""

DEFAULT_HIDDEN = frozenset({"base_url"})
"""Columns hidden until the user picks them (base URLs are long and rarely needed at a glance)."""

PROGRESS_SECONDS = 0.1
"""While the fleet loads, how often the sites' counts are redrawn: pages arrive by the hundred a
second, and redrawing for each page was about 5% of the app's CPU time while 20 sites loaded
(bench/fleet.py), besides the repaints."""

ONE_SITE_AT_A_TIME = "This works on one site at a time: press s and pick a site (F comes back to all sites)."
"""What an action for a single site says in the fleet view."""

Shown = SiteSession | Fleet
"""What the main screen shows: one site, or the fleet."""


def offered_columns(capabilities: Capabilities) -> list[str]:
    """The columns this backend can fill, in the app's default order."""
    return [c for c in COLUMNS_ALL if c in capabilities.columns]


def visible_columns(
    offered: Sequence[str], remembered: list[str] | None, hidden: frozenset[str] = frozenset()
) -> list[str]:
    """The user's remembered columns (per backend family, or the fleet's), or the defaults.

    Never a column that is not `offered`; `hidden` are offered but left out by default.
    """
    if remembered:
        kept = [c for c in remembered if c in offered]
        if kept:
            return kept
    return [c for c in offered if c not in DEFAULT_HIDDEN and c not in hidden]


class MainScreenBase(Screen[None]):
    """Site bar, filter bar, the channel table (or the state that replaces it), batch bar, footer."""

    HELP_TITLE: ClassVar[str] = "Channels"
    """Heading of this class's bindings in the help screen (each mixin sets its own)."""
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (80, "-normal")]
    """Below 80 columns (`-narrow`) the filter bar lays its pickers out on two lines, whole."""
    BATCH_ACTIONS: ClassVar[list[tuple[str, str]]] = [
        ("space", "toggle"),
        ("a", "all"),
        ("i", "invert"),
    ]
    """(key, label) pairs the batch bar shows while channels are selected, after `esc clear` and
    the mixins' own (what fits the width is shown: the first ones matter most)."""
    ACTION_OPERATIONS: ClassVar[dict[str, Operation]] = {}
    """Action name -> the server operation it needs; each mixin declares its own. Unsupported
    actions show disabled in the footer, say why in help and the palette, and explain when used."""
    FLEET_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "focus_search", "switch_site", "refresh", "sort", "reverse_sort", "sort_by", "columns",
            "details", "select_all", "invert_selection", "escape", "manage_sites",
            "last_results", "help", "quit", "fleet", "unsupported",
        }
    )
    """Actions that also work in the fleet view; each mixin declares its own. Any other action
    works on one site at a time, and says so when used in the fleet."""
    WRITES: ClassVar[frozenset[str]] = frozenset()
    """Actions that write to the gateway; each mixin declares its own. On a read-only site they
    show disabled in the footer, help and palette with the reason, and say it when used."""

    AUTO_FOCUS = "ChannelTable"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("s", "switch_site", "Sites"),
        Binding("F", "fleet", "All sites (fleet view)", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("o", "sort", "Sort", show=False),
        Binding("O", "reverse_sort", "Reverse sort", show=False),
        Binding("c", "columns", "Columns", show=False),
        Binding("enter", "details", "Details", show=False),
        Binding("a", "select_all", "Select all visible", show=False),
        Binding("i", "invert_selection", "Invert selection", show=False),
        Binding("escape", "escape", "Cancel a batch or load; else clear the selection; else the filters", show=False),
        Binding("S", "manage_sites", "Manage sites", show=False),
        Binding("R", "last_results", "Last batch results", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self, initial_site: str | None = None, *, fleet: bool = False) -> None:
        super().__init__()
        self._initial_site = initial_site
        self._initial_fleet = fleet
        self.shown: Shown | None = None
        """What the table shows: one site's session, or the fleet (every site)."""
        self._fleet: Fleet | None = None
        self._table_source: Shown | None = None
        self._table_channels: list | None = None
        self._table_generations: dict[str, int] = {}
        """For the fleet table: the load generation of each site its rows come from."""
        self._progress_timer: Timer | None = None
        """Set while a redraw of the fleet's load counts is due (`PROGRESS_SECONDS`)."""
        self._batch: FleetRun | None = None
        self.last_batch: tuple[str, list[ChannelResult]] | None = None

    @property
    def workspace(self) -> Workspace:
        return workspace_of(self.app)

    @property
    def current(self) -> SiteSession | None:
        """The one site on screen; None in the fleet view (and before any site is open)."""
        return self.shown if isinstance(self.shown, SiteSession) else None

    @property
    def fleet(self) -> Fleet | None:
        """The fleet when the fleet view is on screen."""
        return self.shown if isinstance(self.shown, Fleet) else None

    def compose(self) -> ComposeResult:
        yield SiteBar(id="site-bar")
        yield FilterBar(id="filter-bar", on_search=self._search_typed)
        yield FleetStatus(id="fleet-status")
        with ContentSwitcher(initial="empty", id="body"):
            yield ChannelTable(id="table")
            yield EmptyState(id="empty")
            with Vertical(id="loading"):
                yield LoadingIndicator()
                yield Static(id="loading-text")
        yield BatchProgressBar(id="batch-progress")
        yield BatchBar(id="batch-bar")
        yield FittingFooter(compact=True)

    @property
    def table(self) -> ChannelTable:
        return self.query_one(ChannelTable)

    def on_mount(self) -> None:
        self.query_one(BatchBar).display = False
        self.query_one(FleetStatus).display = False
        self._toasts_below_status()
        config = self.workspace.config
        if not config.sites:
            self._show_first_run()
            return
        names = [s.name for s in config.sites]
        if self._initial_fleet or (self._initial_site is None and config.ui.fleet_opened):
            self.open_fleet()
            return
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
        self.shown = session
        if app.config.last_site != name or app.config.ui.fleet_opened:
            app.config.last_site = name
            app.config.ui.fleet_opened = False
            app.save_config()
        if session.state in (LoadState.READY, LoadState.FAILED, LoadState.AUTH_FAILED):
            self._show_source(session)
        else:
            self.load_channels(session)

    def open_fleet(self) -> None:
        """Show every site's channels in one table; sites not loaded yet load all at once."""
        app = self.workspace
        self._remember_view()
        fleet = self._fleet
        sessions = [app.sessions.get(profile) for profile in app.config.sites]
        if fleet is None:
            fleet = self._fleet = Fleet(sessions)
            pref = app.config.ui.fleet_sort
            if pref is not None:
                fleet.view = replace(fleet.view, sort_column=pref.column, descending=pref.descending)
        else:
            fleet.set_sessions(sessions)
        self.shown = fleet
        if not app.config.ui.fleet_opened:
            app.config.ui.fleet_opened = True
            app.save_config()
        self._show_source(fleet)
        if fleet.pending_sites():
            self.load_fleet(fleet, reload=False)

    def shows(self, session: SiteSession) -> bool:
        """Whether `session`'s channels are on screen: it is the site shown, or part of the fleet shown."""
        shown = self.shown
        if shown is session:
            return True
        return isinstance(shown, Fleet) and session in shown.sessions

    def _remember_view(self) -> None:
        """Keep the outgoing view's cursor and selection for when the user comes back."""
        source = self._table_source
        if source is None:
            return
        source.cursor_id = self.table.cursor_key
        source.selected = set(self.table.selected_ids)

    @work(exclusive=True, group="load")
    async def load_channels(self, session: SiteSession) -> None:
        """Connect and list every channel; a new load (or a site switch) cancels this one."""
        self._show_loading(session, 0, None)
        try:
            with full_collections_paused():
                await session.load(lambda done, total: self._show_loading(session, done, total))
        except ChannelsError as error:
            self.report_error(error)
        except asyncio.CancelledError:
            if self.shows(session):
                self.notify("Loading cancelled.", timeout=3)
                self._show_loaded(session)
            raise
        settle_heap()
        self._show_loaded(session)

    def _show_loaded(self, session: SiteSession) -> None:
        """A site's load ended: show it if it is the site on screen, or its rows in the fleet."""
        if self.shown is session:
            self._show_source(session)
            self._warn_skipped(session)
        elif self.shown is not None and self.shows(session):
            self._fleet_site_loaded(session)

    @work(exclusive=True, group="load")
    async def load_fleet(self, fleet: Fleet, *, reload: bool) -> None:
        """Load the fleet's sites all at once, each with its own progress; Esc cancels them all."""
        self._update_fleet_status()
        try:
            with full_collections_paused():
                await fleet.load(
                    reload=reload,
                    on_progress=lambda _session, _done, _total: self._fleet_progressed(),
                    on_loaded=self._fleet_site_loaded,
                )
                if self.shown is fleet:
                    self._show_source(fleet)
                    # The last rows on screen first; the collection that follows takes a while.
                    await self.table.wait_for_refresh()
        except asyncio.CancelledError:
            if self.shown is fleet:
                self.notify("Loading cancelled; the sites already loaded stay.", timeout=3)
                self._show_source(fleet)
            raise
        settle_heap()
        if self.shown is fleet:
            failed = fleet.failed_sites()
            if failed:
                names = ", ".join(s.name for s in failed)
                self.notify(
                    f"{len(failed)} of {plural(len(fleet.sessions), 'site')} did not load: {names}. "
                    "Their errors show above the table; r tries again.",
                    severity="warning",
                    timeout=8,
                )

    def _fleet_site_loaded(self, session: SiteSession) -> None:
        """One site of the fleet finished loading: its rows replace the old ones at once. A cursor on
        the first row stays there, whatever site's rows arrive above it."""
        fleet = self.fleet
        if fleet is None or session not in fleet.sessions:
            return
        self._warn_skipped(session)
        if self._table_source is fleet:
            at_top = self.table.cursor_row == 0
            self.table.replace_site(session.name, session.channels)
            if at_top:
                self.table.move_cursor(0)
            self._table_generations[session.name] = session.generation
            if not fleet.pending_sites():  # the pickers list every site's values once, at the end
                self._fill_filter_choices(fleet)
            self._show_table_or_no_match()
        else:
            self._show_source(fleet)
        self._update_fleet_status()

    def _fleet_progressed(self) -> None:
        """A page of some site arrived: redraw the counts soon, once for every page until then."""
        if self._progress_timer is None:
            self._progress_timer = self.set_timer(PROGRESS_SECONDS, self._redraw_progress)

    def _redraw_progress(self) -> None:
        self._progress_timer = None
        self._update_fleet_status()

    def _update_fleet_status(self) -> None:
        fleet = self.fleet
        panel = self.query_one(FleetStatus)
        if fleet is None:
            panel.display = False
            self._toasts_below_status()
            return
        panel.show_sites(fleet)
        self._update_site_bar()
        self.call_after_refresh(self._toasts_below_status)

    def _toasts_below_status(self) -> None:
        """Toasts start below the fleet's lines of loading and failed sites, not over them: the
        warning that a site did not load covered that very site's error line."""
        panel = self.query_one(FleetStatus)
        top = panel.region.bottom if panel.display and panel.region else 0
        for rack in self.query_children(ToastRack):
            rack.styles.margin = (top, 0, 0, 0) if top else None

    def _warn_skipped(self, session: SiteSession) -> None:
        """Say which records the load skipped (the first three, then how many more)."""
        if not session.warnings:
            return
        shown = "\n".join(session.warnings[:3])
        more = len(session.warnings) - 3
        self.notify(
            shown + (f"\n…and {more} more." if more > 0 else ""),
            title=f"{plural(len(session.warnings), 'channel record')} skipped"
            + (f" on {session.name}" if isinstance(self.shown, Fleet) else ""),
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
        self.query_one(FleetStatus).display = False
        self._toasts_below_status()
        self.query_one(EmptyState).show(
            "No sites yet",
            f"tui-channels manages the channels of {supported_gateways()} gateways.\n"
            "Add a site with its URL and credentials to begin.",
            "Press S to add a site, or run `tui-channels sites add …` in a shell. "
            "`tui-channels --demo` tries it against a built-in demo gateway.",
        )
        self._switch("empty")

    def _show_loading(self, session: SiteSession, done: int, total: int | None) -> None:
        if session is not self.shown:
            return
        self._update_site_bar()
        progress = f"{done:,} of {total:,}" if total else f"{done:,}"
        self.query_one("#loading-text", Static).update(
            f"Loading channels from {session.profile.url} … {progress}\nEsc cancels"
        )
        self._switch("loading")

    def _show_source(self, source: Shown) -> None:
        """Bring the body in line with what is shown: the table, or the right empty state."""
        self.refresh_bindings()
        if self.table.tag_mode and not self._shows_tags(source):
            self.table.set_tag_mode(False)
        self._update_fleet_status() if isinstance(source, Fleet) else self._hide_fleet_status()
        self._update_site_bar()
        empty = self.query_one(EmptyState)
        error = source.error if isinstance(source, SiteSession) else None
        if isinstance(source, SiteSession) and source.state is LoadState.AUTH_FAILED:
            empty.show(
                f"🔒 {error.title if error else 'Credentials refused'}",
                error.message if error else "",
                "Press S to edit this site's credentials, then r to try again.",
            )
            self._switch("empty")
            return
        if isinstance(source, SiteSession) and source.state is LoadState.FAILED and not source.channels:
            empty.show(
                f"⚠ Could not load channels from {source.name}",
                f"{error.title}: {error.message}" if error else "",
                "Press r to retry, or S to check the site's URL and settings.",
            )
            self._switch("empty")
            return
        if isinstance(source, Fleet) and source.state is LoadState.FAILED and not source.channel_count:
            empty.show(
                "⚠ No site could be loaded",
                "Every site's error shows above.",
                "Press r to retry, or S to check the sites' URLs and settings.",
            )
            self._switch("empty")
            return
        if isinstance(source, SiteSession) and source.state is LoadState.IDLE and not source.channels:
            empty.show(source.name, "The channels are not loaded.", "Press r to load them.")
            self._switch("empty")
            return
        self._fill_table(source)
        self._show_table_or_no_match()

    @staticmethod
    def _shows_tags(source: Shown) -> bool:
        """Whether tag mode can stay on for `source`: one site whose channels have tags (not the
        fleet, whose tags would mix every site's, nor a site without tags or not loaded yet)."""
        capabilities = source.capabilities if isinstance(source, SiteSession) else None
        return capabilities is not None and "tag" in capabilities.columns

    def _hide_fleet_status(self) -> None:
        self.query_one(FleetStatus).display = False
        self._toasts_below_status()

    def _fill_table(self, source: Shown) -> None:
        """Hand the shown channels, columns, view, cursor and selection to the table."""
        table = self.table
        offered = self._offered_columns(source)
        if offered:
            remembered = self.workspace.config.ui.columns.get(self._columns_key(source))
            labels = source.capabilities.column_labels if isinstance(source, SiteSession) and source.capabilities else {}
            table.set_columns(visible_columns(offered, remembered, self._hidden_columns(source)), labels)
        self._fill_filter_choices(source)
        if self._table_is_stale(source):
            channels, sites = source.rows()
            table.set_channels(channels, sites, source.view)
            self._table_source, self._table_channels = source, source.channels if sites is None else None
            self._table_generations = {s.name: s.generation for s in source.sessions}
            table.set_selection(source.selected)
        view = source.view
        self.query_one(FilterBar).show_state(
            search=view.search,
            status=view.status,
            type_code=view.type_name if isinstance(source, Fleet) else view.type_code,
            group=view.group,
            tag=view.tag,
            flag=view.flag,
            site=view.site,
        )
        table.apply_view(view)
        if source.cursor_id is not None:
            table.move_cursor_to_channel(source.cursor_id)
        self._update_batch_bar()

    def _table_is_stale(self, source: Shown) -> bool:
        """Whether the table must be filled again: another view, or another load since."""
        if self._table_source is not source:
            return True
        if isinstance(source, SiteSession):
            return self._table_channels is not source.channels
        return self._table_generations != {s.name: s.generation for s in source.sessions}

    def _offered_columns(self, source: Shown) -> list[str]:
        """The columns the shown sites can fill; the fleet adds its site column first."""
        if isinstance(source, SiteSession):
            return offered_columns(source.capabilities) if source.capabilities else []
        filled = set().union(*(c.columns for c in source.capabilities_loaded()))
        return [SITE_COLUMN, *(c for c in COLUMNS_ALL if c in filled)]

    @staticmethod
    def _hidden_columns(source: Shown) -> frozenset[str]:
        if isinstance(source, SiteSession):
            return source.capabilities.hidden_columns if source.capabilities else frozenset()
        loaded = source.capabilities_loaded()
        return frozenset.intersection(*(c.hidden_columns for c in loaded)) if loaded else frozenset()

    @staticmethod
    def _columns_key(source: Shown) -> str:
        """Where the column choice is remembered: per backend family, and one for the fleet."""
        if isinstance(source, Fleet):
            return FLEET_COLUMNS
        return source.capabilities.kind.value if source.capabilities else ""

    def _fill_filter_choices(self, source: Shown) -> None:
        channels = source.channels
        if isinstance(source, SiteSession):
            capabilities = source.capabilities
            if capabilities is None:
                return
            columns: set[str] = set(capabilities.columns)
            types = distinct_values(channels, "type")
            sites = None
        else:
            columns = set().union(*(c.columns for c in source.capabilities_loaded()))
            types = distinct_values(channels, "type_name")
            sites = [(s.name, s.name) for s in source.sessions]
        self.query_one(FilterBar).set_choices(
            types=types,
            groups=distinct_values(channels, "group") if "group" in columns else None,
            tags=distinct_values(channels, "tag") if "tag" in columns else None,
            flags=flag_choices(columns),
            sites=sites,
        )

    def _show_table_or_no_match(self) -> None:
        source = self.shown
        table = self.table
        if source is None:
            return
        if table.total_count == 0:
            if isinstance(source, Fleet) and source.pending_sites():
                self._show_fleet_loading(source)
                return
            where = "No site" if isinstance(source, Fleet) else source.name
            creates = not isinstance(source, Fleet) and self.unsupported_reason("new_channel") is None
            self.query_one(EmptyState).show(
                f"{where} has no channels yet",
                "Channels are the upstream providers this gateway routes requests to.",
                "Press n to create one here, r after adding channels in the gateway, or S to pick another site."
                if creates
                else "Press r after adding channels in the gateway, or S to pick another site.",
            )
            self._switch("empty")
        elif table.row_count == 0:
            self.query_one(EmptyState).show(
                "No channel matches",
                f"Nothing among {plural(table.total_count, 'channel')} matches the search and filters.",
                "Press Esc to clear them.",
            )
            self._switch("empty")
        else:
            self._switch("table")
        self._update_site_bar()

    def _show_fleet_loading(self, fleet: Fleet) -> None:
        self.query_one("#loading-text", Static).update(
            f"Loading {len(fleet.pending_sites())} of {plural(len(fleet.sessions), 'site')} … (progress above)\nEsc cancels"
        )
        self._switch("loading")

    def _update_site_bar(self) -> None:
        source = self.shown
        if source is None:
            return
        if isinstance(source, Fleet):
            loaded = bool(source.channel_count)
            self.query_one(SiteBar).show(
                site=source.name,
                backend=fleet_summary(source),
                shown=self.table.row_count if loaded and self._table_source is source else None,
                total=source.channel_count if loaded else None,
                selected=len(self.table.selected_ids) if loaded and self._table_source is source else 0,
                note=self._fleet_note(source),
                short_note=self._fleet_note(source, short=True),
                sort=self._sort_note(source),
                leave_out=("sort", "note", "backend"),
            )
            return
        session = source
        capabilities = session.capabilities
        backend = (
            f"{capabilities.flavor_label} {capabilities.version}" if capabilities else server_label(session.profile)
        )
        loaded = session.state is LoadState.READY or bool(session.channels)
        self.query_one(SiteBar).show(
            site=session.name,
            backend=backend,
            shown=self.table.row_count if loaded else None,
            total=len(session.channels) if loaded else None,
            selected=len(self.table.selected_ids) if loaded else 0,
            note=self._site_note(session),
            sort=self._sort_note(session),
        )

    def _sort_note(self, source: Shown) -> str:
        """How the table is sorted, since the sorted column can be scrolled out of sight (in tag mode,
        tags by name and their channels so)."""
        view = source.view
        if self.table.tag_mode:
            return "TAG MODE: tags by name"
        return f"sorted by {self.table.label_of(view.sort_column)} {'▼' if view.descending else '▲'}"

    def _fleet_note(self, fleet: Fleet, *, short: bool = False) -> str:
        """READ-ONLY in a read-only run; else the sites marked read-only in their profiles (with
        `short`, how many: where their names do not fit)."""
        if self.workspace.sessions.read_only:
            return "READ-ONLY"
        marked = [session.name for session in fleet.sessions if session.profile.read_only]
        if not marked:
            return ""
        return f"READ-ONLY: {plural(len(marked), 'site') if short else ', '.join(marked)}"

    @staticmethod
    def _site_note(session: SiteSession) -> str:
        """READ-ONLY on a read-only site; when the server's own model sync last ran, where the server says."""
        synced = session.server_synced_at
        notes = ["READ-ONLY"] if session.read_only_reason else []
        if synced:
            notes.append(f"server sync {relative_time(synced.timestamp())}")
        return "   ".join(notes)

    def _update_batch_bar(self) -> None:
        actions = [
            ("esc", "clear"),
            *(action for cls in type(self).__mro__ for action in cls.__dict__.get("BATCH_ACTIONS", [])),
        ]
        self.query_one(BatchBar).show(len(self.table.selected_ids), actions)

    # -- events ---------------------------------------------------------------------------------

    def on_filter_bar_changed(self, event: FilterBar.Changed) -> None:
        self._filter(event.field, event.value)

    def _search_typed(self, text: str) -> None:
        """The search box's text changed; called in the keystroke's own turn, so the filtered table
        repaints in the same frame as the box."""
        self._filter("search", text)

    def _filter(self, field: str, value: object) -> None:
        """Show the table filtered with `field` (a `ViewState` field) set to `value`."""
        source = self.shown
        if source is None or source is not self._table_source:
            return
        field = "type_name" if field == "type_code" and isinstance(source, Fleet) else field
        source.view = replace(source.view, **{field: value})
        self.table.apply_view(source.view)
        self._show_table_or_no_match()

    def on_channel_table_selection_changed(self, event: ChannelTable.SelectionChanged) -> None:
        if self.shown is not None and self.shown is self._table_source:
            self.shown.selected = set(self.table.selected_ids)
        self._update_site_bar()
        self._update_batch_bar()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.table.focus()

    def on_fleet_status_open_site(self, event: FleetStatus.OpenSite) -> None:
        """A failed site's line in the fleet was clicked: open that site, with its own error screen."""
        if self.workspace.config.has_site(event.site):
            self.open_site(event.site)

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
        """Cancel a batch or a load in progress; else clear the selection, saying so; else clear
        the search and filters (so a second Esc shows every channel again)."""
        if self.cancel_background():
            return
        selected = len(self.table.selected_ids)
        if selected:
            self.table.clear_selection()
            self.table.focus()
            self.notify(f"Selection cleared ({plural(selected, 'channel')}).", timeout=3)
            return
        self.clear_filters()

    def clear_filters(self) -> None:
        """Show every channel again: no search, no filter (the sort stays)."""
        source = self.shown
        if source is None:
            return
        source.view = replace(
            source.view,
            search="",
            status="all",
            type_code=None,
            type_name=None,
            group=None,
            tag=None,
            flag=None,
            site=None,
        )
        if source is self._table_source:
            self.query_one(FilterBar).show_state(
                search="", status="all", type_code=None, group=None, tag=None, flag=None, site=None
            )
            self.table.apply_view(source.view)
            self._show_table_or_no_match()
        self.table.focus()

    def action_refresh(self) -> None:
        """Load the site again; in the fleet, every site at once."""
        if self.shown is None:
            return
        self._remember_view()
        if isinstance(self.shown, Fleet):
            self.load_fleet(self.shown, reload=True)
        else:
            self.load_channels(self.shown)

    def action_fleet(self) -> None:
        if not self.workspace.config.sites:
            self.action_manage_sites()
            return
        if self.fleet is None:
            self.open_fleet()

    def action_switch_site(self) -> None:
        config = self.workspace.config
        if not config.sites:
            self.action_manage_sites()
            return
        current = Destination(None) if self.fleet is not None else Destination(self.current.name if self.current else "")

        def chosen(destination: Destination | None) -> None:
            if destination is None or destination == current:
                return
            if destination.site is None:
                self.open_fleet()
            else:
                self.open_site(destination.site)

        labels = self.workspace.sessions.server_labels(config.sites)
        self.app.push_screen(SiteSwitcher(config.sites, current, labels), chosen)

    def action_manage_sites(self) -> None:
        from .site_manager import SiteManagerScreen

        self.app.push_screen(SiteManagerScreen(), self._after_site_manager)

    def _after_site_manager(self, changed: set[str] | None) -> None:
        """Reload what the manager changed; reopen the current site if it was edited or removed."""
        config = self.workspace.config
        if not config.sites:
            self.shown = self._table_source = None
            self._show_first_run()
            return
        if isinstance(self.shown, Fleet):
            self._table_source = None
            self.open_fleet()
            return
        current = self.current.name if self.current else None
        if current is not None and not config.has_site(current):
            self.shown = self._table_source = None
        if self.shown is None or (changed and current in changed):
            self._table_source = None
            self.open_site(current if current and config.has_site(current) else config.sites[0].name)

    def action_sort(self) -> None:
        source = self.shown
        if source is None or not self.table.columns:
            return

        def chosen(choice: tuple[str, bool] | None) -> None:
            if choice is not None:
                self.sort_by(*choice)

        self.app.push_screen(
            SortPicker(
                self.table.columns, source.view.sort_column, source.view.descending, labels=self.table.label_of
            ),
            chosen,
        )

    def action_reverse_sort(self) -> None:
        if self.shown is not None:
            self.sort_by(self.shown.view.sort_column, not self.shown.view.descending)

    def sort_by(self, column: str, descending: bool) -> None:
        """Sort the table and remember the choice for this site (or for the fleet)."""
        source = self.shown
        if source is None:
            return
        source.view = replace(source.view, sort_column=column, descending=descending)
        app = self.workspace
        pref = SortPref(column=column, descending=descending)
        if isinstance(source, Fleet):
            app.config.ui.fleet_sort = pref
        else:
            app.config.ui.sort[source.name] = pref
        app.save_config()
        if source is self._table_source:
            self.table.apply_view(source.view)
        self._update_site_bar()

    def action_columns(self) -> None:
        source = self.shown
        if source is None:
            return
        offered = self._offered_columns(source)
        if not offered:
            return
        key = self._columns_key(source)

        def chosen(columns: list[str] | None) -> None:
            if columns:
                app = self.workspace
                app.config.ui.columns[key] = columns
                app.save_config()
                self.table.set_columns(columns)

        self.app.push_screen(
            ColumnPicker([(c, self.table.label_of(c)) for c in offered], self.table.columns),
            chosen,
        )

    def on_site(self, site: str) -> str:
        """" on demo-newapi" in the fleet view, where channels of several sites mix (and share ids
        and names), so that a dialog or notice about one channel says which; "" on one site."""
        return f" on {site}" if self.fleet is not None and site else ""

    def action_details(self) -> None:
        if self.table.tag_mode and self.table.cursor_channel is None:
            self.table.toggle_group()
            return
        channel = self.table.cursor_channel
        session = self.cursor_session(quiet=True)
        if channel is None or session is None or session.capabilities is None:
            return
        spec = session.capabilities.groups
        groups = None
        if spec is not None and session.groups is not None:
            groups = describe_memberships(memberships(channel.id, session.groups, spec), spec)
        where = self.on_site(session.name)
        self.app.push_screen(
            ChannelDetailScreen(channel, session.capabilities, groups=groups, where=where, site=session.name)
        )

    def action_select_all(self) -> None:
        self.table.select_all_visible()

    def action_invert_selection(self) -> None:
        self.table.invert_selection()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self._help_sections()))

    def _own_bindings(self) -> Iterator[tuple[str, list[Binding]]]:
        """(help title, bindings) of this base and of every action mixin, base first."""
        for cls in reversed(type(self).__mro__):
            bindings = [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding) and b.description]
            if bindings and issubclass(cls, MainScreenBase):
                yield cls.__dict__.get("HELP_TITLE", cls.__name__).format(flavor=self._flavor_label()), bindings

    def _flavor_label(self) -> str:
        """What the site on screen runs (New API, Veloera, One Hub…), for help titles; in the fleet
        or before a site connected, what these keys are about."""
        capabilities = self.current.capabilities if self.current is not None and self.fleet is None else None
        return capabilities.flavor_label if capabilities is not None else "Tags, priority and weight"

    def _described(self, binding: Binding, text: str | None = None) -> str:
        """A binding's text, with the reason when the current server lacks its operation."""
        action = binding.action.split("(", 1)[0]
        reason = self.unsupported_reason(action)
        text = binding.description if text is None else text
        return f"{text} — {reason}" if reason else text

    def _help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        def keys(binding: Binding) -> str:
            """Each key of the binding as the footer shows keys: `u / ^z`, `d / del`."""
            return " / ".join(
                self.app.get_key_display(replace(binding, key=key.strip())) for key in binding.key.split(",")
            )

        def rows(bindings: list[Binding]) -> list[tuple[str, str]]:
            return [(keys(b), self._described(b)) for b in bindings]

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
        """The current site when its channels are on screen; otherwise says why and gives None.

        For actions on one site as a whole: in the fleet view it says to open a site first.
        """
        if self.fleet is not None:
            self.notify(ONE_SITE_AT_A_TIME, title="One site at a time", severity="warning")
            return None
        session = self.current
        if session is None or session is not self._table_source or session.backend is None:
            self.notify("Load a site's channels first (r loads, s switches sites).", severity="warning")
            return None
        return session

    def cursor_session(self, *, quiet: bool = False) -> SiteSession | None:
        """The site of the cursor channel: the current site, or in the fleet the row's own site.

        For actions on the cursor channel; says why and gives None when it is not loaded.
        """
        if self.fleet is None:
            return self.loaded_session() if not quiet else self._loaded_quietly()
        key = self.table.cursor_key
        session = self.fleet.session_of(key) if key is not None else None
        if session is None or session.backend is None:
            if not quiet:
                self.notify("Move the cursor to a channel of a loaded site first.", severity="warning")
            return None
        return session

    def _loaded_quietly(self) -> SiteSession | None:
        session = self.current
        return session if session is not None and session is self._table_source else None

    def target_channels(self) -> list[Channel]:
        """What an action on one site applies to: the selected channels if any, else the cursor one.

        One site only; actions that also work in the fleet use `target_sites()`.
        """
        session = self.current
        if session is None:
            return []
        selected = self.table.selected_ids
        if selected:
            return [c for c in session.channels if c.id in selected]
        cursor = self.table.cursor_channel
        return [cursor] if cursor is not None else []

    def target_sites(self) -> list[SiteChannels]:
        """What an action applies to, per site: the selected channels if any, else the cursor one.

        On one site that is one entry; in the fleet, one per site the selection reaches.
        """
        source = self.shown
        if source is None or source is not self._table_source:
            return []
        selected = self.table.selected_ids
        if selected:
            return source.locate(selected)
        key = self.table.cursor_key
        return source.locate([key]) if key is not None else []

    def view_sites(self) -> list[SiteChannels]:
        """The channels of the filtered view, per site."""
        source = self.shown
        if source is None:
            return []
        index = self.table.index
        return source.by_site((index.site(p), index.channel(p)) for p in index.view(self.table.view_state))

    def show_channel(self, channel: Channel) -> None:
        """A channel of the current site changed or was created: update its row and the counts."""
        session = self.current
        if session is None:
            return
        self.show_saved(session, channel)

    def show_saved(self, session: SiteSession, channel: Channel) -> None:
        """A channel of `session` changed or was created: keep the session in step, and its row if
        it is on screen. The body follows too: the first channel to arrive on an empty site replaces
        the empty-site message with the table, whatever path it came by (a restore, a copy, a key import).
        """
        session.replace_channel(channel)
        if self._table_source is session:
            self.table.update_channel(channel)
        elif isinstance(self._table_source, Fleet) and session in self._table_source.sessions:
            self.table.update_channel(channel, session.name)
        else:
            return
        if session.state is LoadState.READY:
            self._show_table_or_no_match()
        else:
            self._update_site_bar()

    def forget_channels(self, channel_ids: set[int], session: SiteSession | None = None) -> None:
        """Channels of `session` (the current site by default) were deleted: drop their rows."""
        session = session or self.current
        if session is None:
            return
        session.forget_channels(channel_ids)
        if self._table_source is session:
            self.table.set_channels(session.channels, state=session.view)
            self._table_channels = session.channels
        elif isinstance(self._table_source, Fleet) and session in self._table_source.sessions:
            self.table.replace_site(session.name, session.channels)
            self._table_generations[session.name] = session.generation
        else:
            return
        self.table.apply_view(self._table_source.view)
        self._show_table_or_no_match()

    def reload_channels(self, cursor_id: int | None = None, session: SiteSession | None = None) -> None:
        """Reload a site from the server (after a create or a bulk change), cursor on `cursor_id`.

        `session` defaults to the current site; in the fleet only that site loads again.
        """
        session = session or self.current
        if session is None:
            return
        self._remember_view()
        if isinstance(self.shown, Fleet) and self.shows(session):
            if cursor_id is not None:
                self.shown.cursor_id = ChannelRef(session.name, cursor_id)
            self._reload_in_fleet(session)
            return
        if cursor_id is not None:
            session.cursor_id = cursor_id
        if self.shown is session:
            self.load_channels(session)

    @work(group="site-reload")
    async def _reload_in_fleet(self, session: SiteSession) -> None:
        try:
            await session.load()
        except ChannelsError as error:
            self.report_error(error)
        self._fleet_site_loaded(session)
        fleet = self.fleet
        if fleet is not None and fleet.cursor_id is not None and self._table_source is fleet:
            self.table.move_cursor_to_channel(fleet.cursor_id)

    def _operation_for(self, action: str) -> Operation | None:
        for cls in type(self).__mro__:
            operation = cls.__dict__.get("ACTION_OPERATIONS", {}).get(action)
            if operation is not None:
                return operation
        return None

    def _works_in_fleet(self, action: str) -> bool:
        return any(action in cls.__dict__.get("FLEET_ACTIONS", ()) for cls in type(self).__mro__)

    def _writes(self, action: str) -> bool:
        return any(action in cls.__dict__.get("WRITES", ()) for cls in type(self).__mro__)

    def unsupported_reason(self, action: str) -> str | None:
        """Why `action` cannot run here (the site is read-only, or its server lacks the operation),
        or None when it can (or nothing is loaded).

        In the fleet, an action for one site at a time says so; the others are checked site by
        site when they run (channels of a site that is read-only or lacks the operation are
        skipped, with why).
        """
        if self.fleet is not None:
            if self.workspace.sessions.read_only and self._writes(action):
                return "read-only: this run was started with --read-only"
            return None if self._works_in_fleet(action) else ONE_SITE_AT_A_TIME
        read_only = self.current.read_only_reason if self.current else None
        if read_only and self._writes(action):
            return read_only
        operation = self._operation_for(action)
        capabilities = self.current.capabilities if self.current else None
        if operation is None or capabilities is None or capabilities.supports(operation):
            return None
        return capabilities.unsupported_reason(operation)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show actions the connected server lacks as disabled (None) in the footer.

        A disabled binding lets the key fall through to the next binding for it: mixins add a
        hidden `unsupported('<action>')` binding after each such key, which says why. In the
        fleet every key stays live: an action for one site says so when pressed.
        """
        if self.fleet is not None:
            return True
        return None if self.unsupported_reason(action) else True

    def action_unsupported(self, action: str) -> None:
        """The key of an action the server lacks: say why instead of doing nothing."""
        reason = self.unsupported_reason(action)
        if reason is not None:
            self.notify(reason, title="Not available", severity="warning")

    def require_operation(self, operation: Operation, session: SiteSession | None = None) -> bool:
        """True if the site (the current one by default) supports `operation`; else says why."""
        session = session or self.current
        capabilities = session.capabilities if session else None
        if capabilities is None:
            self.notify("Load a site's channels first (r loads, s switches sites).", severity="warning")
            return False
        if not capabilities.supports(operation):
            self.notify(capabilities.unsupported_reason(operation), title="Not available", severity="warning")
            return False
        return True

    async def read_again(self, targets: Sequence[SiteChannels]) -> ReadTargets | None:
        """`targets` as their servers hold them now (`site_reads.read_targets`), with their rows shown
        so and the rows of channels deleted since dropped; None (said) when no site could be read."""
        try:
            read = await read_targets(targets)
        except ChannelsError as error:
            self.report_error(error)
            return None
        for target in read.targets:
            for channel in target.channels:
                self.show_saved(target.session, channel)
        for target in targets:
            gone = read.gone.get(target.name)
            if gone:
                self.forget_channels(gone, target.session)
        if not read.targets:
            self.notify("\n".join(read.notes()), title="Nothing was changed", severity="error")
            return None
        return read

    def supported_targets(
        self, targets: Sequence[SiteChannels], operation: Operation
    ) -> tuple[list[SiteChannels], str] | None:
        """The targets (those with channels) whose site can do `operation`, and one line per site
        left out with the reason ("" when none is), for the confirmation or report; None once it
        has said that no site of the targets can."""
        able, unable = split_by_support([t for t in targets if t.channels], operation)
        skipped = left_out(unable)
        if not able:
            self.notify(skipped, title="Not available", severity="warning")
            return None
        return able, skipped

    def batch_settings(self, *, read_only: bool, session: SiteSession | None = None) -> BatchSettings:
        """Engine settings for a site (the current one by default): its configured concurrency."""
        session = session or self.current
        concurrency = session.profile.concurrency if session else BatchSettings.concurrency
        return BatchSettings(concurrency=concurrency, read_only=read_only)

    def site_batches(
        self,
        targets: Sequence[SiteChannels],
        operation: Operation,
        build: Callable[[SiteSession, Backend], BatchOperation],
        *,
        read_only: bool,
        on_result: Callable[[SiteSession, Sequence[Channel]], Callable[[ChannelResult], None] | None] | None = None,
    ) -> list[SiteBatch] | None:
        """One `SiteBatch` per target site, each with its own backend's operation (`build(session,
        backend)`) and settings.

        A site whose server lacks `operation` is in the batch with its channels skipped and the
        reason, and a notification says so before the run; None (after saying why) when no site
        of the targets can do it.
        """
        batches: list[SiteBatch] = []
        refused: list[str] = []
        for target in targets:
            session = target.session
            callback = on_result(session, target.channels) if on_result is not None else None
            settings = self.batch_settings(read_only=read_only, session=session)
            batch = site_batch(target, operation, build, settings, callback)
            if batch.skip_reason:
                refused.append(f"{len(target.channels):,} on {session.name}: {batch.skip_reason}")
            batches.append(batch)
        if refused and len(refused) == len(batches):
            self.notify("\n".join(refused), title="Not available", severity="warning")
            return None
        if refused:
            self.notify("Skipped: " + "\n".join(refused), title="Some sites cannot do this", severity="warning")
        return batches

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
        session: SiteSession | None = None,
    ) -> None:
        """Run `operation` over channels of one site (the current one by default) in the background
        (see `run_batches`)."""
        session = session or self.current
        if session is None:
            return
        batch = SiteBatch(session.name, list(channels), operation, settings, on_result=on_result)
        self.run_batches(title, [batch], on_finish=on_finish)

    def run_batches(
        self,
        title: str,
        batches: Sequence[SiteBatch],
        *,
        on_finish: Callable[[list[ChannelResult]], None] | None = None,
        on_done: Callable[[list[ChannelResult]], None] | None = None,
        retry: Callable[[set[tuple[str, int]]], None] | None = None,
    ) -> None:
        """Run one batch over one or several sites, each under its own settings, all at once.

        The progress bar shows the whole run (and each site when there are several); the table
        stays usable; Esc cancels. One channel reports in a notification, several open the
        results screen (grouped by site); `on_finish`, when given, gets the results instead (a
        sync preview shows its own screen). `on_done` sees the results first, whatever happens
        next (to keep them). `retry`, given the (site, id) of the failed channels, runs them
        again; by default the same batches over them.
        """
        if self._batch is not None:
            self.notify("A batch is already running; Esc cancels it.", severity="warning")
            return
        if not any(batch.channels for batch in batches):
            self.notify("No channel to work on: move the cursor to one or select some.", severity="warning")
            return
        self._run_batches(title, [b for b in batches if b.channels], on_finish, on_done, retry)

    @work(group="batch")
    async def _run_batches(
        self,
        title: str,
        batches: list[SiteBatch],
        on_finish: Callable[[list[ChannelResult]], None] | None,
        on_done: Callable[[list[ChannelResult]], None] | None,
        retry: Callable[[set[tuple[str, int]]], None] | None,
    ) -> None:
        bar = self.query_one(BatchProgressBar)

        def progressed(progress: FleetProgress) -> None:
            bar.show(title, progress, cancelling=run.cancelled)

        run = FleetRun(batches, on_progress=progressed)
        self._batch = run
        bar.start(title, run.total, [b.site for b in batches])
        started = time.monotonic()
        try:
            results = await run.run()
        finally:
            self._batch = None
            bar.finish()
        self.last_batch = (title, results)
        self._report_pacing(title, run, results)
        if on_done is not None:
            on_done(results)
        if on_finish is not None:
            on_finish(results)
            return
        if len(results) == 1:
            result = results[0]
            severity = "information" if result.ok else "error"
            named = f"{title}: {result.name}{self.on_site(result.site)}"
            self.notify(result.message or result.outcome.value, title=named, severity=severity)
            self._note_selection_kept()
            return
        if time.monotonic() - started > LONG_RUN_SECONDS:
            self.notify(summary_line(results), title=f"{title} finished", timeout=8)

        def again(retried_keys: set[tuple[str, int]]) -> None:
            if retry is not None:
                retry(retried_keys)
                return
            retried = [
                replace(
                    batch,
                    channels=[c for c in batch.channels if (batch.site, c.id) in retried_keys],
                )
                for batch in batches
            ]
            self.run_batches(f"{title} (retry)", retried, on_done=on_done)

        screen = BatchResultsScreen(title, results)

        def closed(answer: str | None) -> None:
            if answer == "retry":
                again({(r.site, r.channel_id) for r in results if r.outcome in RETRIED})
            elif answer == "select":
                self._select_from_results(screen.selected_keys)
            else:
                self._note_selection_kept()

        self.app.push_screen(screen, closed)

    def _note_selection_kept(self) -> None:
        """After a batch the selection stays, for the next action on the same channels; say so."""
        selected = len(self.table.selected_ids)
        if selected:
            self.notify(f"{plural(selected, 'channel')} still selected: Esc clears the selection.", timeout=4)

    def _select_from_results(self, chosen: set[tuple[str, int]]) -> None:
        """Select the channels a results screen showed, (site, id) each (those still loaded)."""
        source = self.shown
        if source is None:
            return
        present = [
            source.key_of(session, channel)
            for session in source.sessions
            for channel in session.channels
            if (session.name, channel.id) in chosen
        ]
        self.table.set_selection(present)
        gone = len(chosen) - len(present)
        self.notify(
            f"Selected {plural(len(present), 'channel')}" + (f"; gone from the site since: {gone}." if gone else ".")
        )

    def _report_pacing(self, title: str, run: FleetRun, results: Sequence[ChannelResult]) -> None:
        """Say why a site's batch stopped early (a server's long rate limit, a refused login) and
        how long it waited for the request budget or the server's 429s, if it did."""
        grouped = by_site(results)
        several = len(run.site_runs) > 1
        for site, site_run in run.site_runs.items():
            named = f"{title} on {site}" if several else title
            if site_run.cancelled and site_run.stop_reason.startswith("stopped:"):
                counts = tally(grouped.get(site, []))
                self.notify(
                    f"{site_run.stop_reason}. {counts[Outcome.OK]:,} done, {counts[Outcome.FAILED]:,} failed, "
                    f"{counts[Outcome.CANCELLED]:,} not done.",
                    title=f"{named} not finished",
                    severity="warning",
                    timeout=15,
                )
            summary = site_run.pacing_summary()
            if summary:
                self.notify(summary, title=named, timeout=10)

    def action_last_results(self) -> None:
        if self.last_batch is None:
            self.notify("No batch has run yet.")
            return
        title, results = self.last_batch
        screen = BatchResultsScreen(title, results, retryable=False)

        def closed(answer: str | None) -> None:
            if answer == "select":
                self._select_from_results(screen.selected_keys)

        self.app.push_screen(screen, closed)

    def report_error(self, error: ChannelsError) -> None:
        """The one way actions show a client error: a notification with its title and message."""
        self.notify(error.message, title=error.title, severity="error", timeout=8)
