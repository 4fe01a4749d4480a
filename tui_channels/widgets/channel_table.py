"""The channel table: a virtualised grid on Textual's Line API.

Stock `DataTable` builds a row object per channel, so filtering 10,000 channels means clearing and
re-adding thousands of rows per keystroke. `ChannelTable` instead renders only the lines on screen
straight from a `ChannelIndex` and a list of positions (the current view): a filter or a sort swaps
that list, sets `virtual_size` and refreshes. Selection is a set of row keys (channel ids on one
site, `ChannelRef` (site, id) in the fleet), so it survives filtering and re-sorting and never
mixes up two sites' channel 7. Colours and layout live in `styles/channel_table.tcss`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from operator import itemgetter
from typing import ClassVar, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from ..backends.base import COLUMNS_ALL
from ..models import Channel, ChannelStatus
from ..services.channel_view import CELL_TEXT, SITE_COLUMN, ChannelIndex, RowKey, ViewState
from ..services.tag_view import UNTAGGED, TagGroup, group_by_tag
from ..wording import plural


@dataclass(frozen=True, slots=True)
class Column:
    """How one column is laid out: a fixed width, or for a flexible column the width it has when the
    table just fits, growing into spare width and shrinking down to `minimum` on a narrow terminal."""

    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"
    flexible: bool = False
    minimum: int = 0


MARK_COLUMN = Column("mark", "", 1)
"""The leading selection mark, always shown."""

COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("id", "ID", 6, "right"),
        Column("name", "Name", 16, flexible=True, minimum=12),
        Column("type", "Type", 12),
        Column("status", "Status", 13),
        Column("models", "Models", 6, "right"),
        Column("auto_sync", "Sync", 4),
        Column("upstream", "Upstream", 8),
        Column("group", "Group", 12),
        Column("priority", "Prio", 4, "right"),
        Column("weight", "Weight", 6, "right"),
        Column("tag", "Tag", 10),
        Column("base_url", "Base URL", 26, flexible=True, minimum=16),
        Column("balance", "Balance", 10, "right"),
        Column("response_time", "Resp.", 7, "right"),
        Column("test_time", "Tested", 9),
        Column("used_quota", "Used", 6, "right"),
        Column("success_rate", "Success", 7, "right"),
        Column("cost", "Cost", 8, "right"),
        Column(SITE_COLUMN, "Site", 12),
    )
}
"""Layout per column key of `COLUMNS_ALL`, plus the fleet's site column."""

GAP = 1
"""Blank cells between two columns."""

_STATUS_COMPONENTS = {
    ChannelStatus.ENABLED: "channel-table--enabled",
    ChannelStatus.MANUALLY_DISABLED: "channel-table--disabled",
    ChannelStatus.AUTO_DISABLED: "channel-table--auto-disabled",
    ChannelStatus.UNKNOWN: "channel-table--unknown",
}

_CONTROL_TO_SPACE = {code: " " for code in (*range(0x20), 0x7F)}
"""Control characters in server data (a newline in a name) would break a line: shown as blanks."""

_TIME_REFRESH_SECONDS = 60
"""How often the "Tested … ago" cells are redrawn."""

_ROW_COMPONENTS = ("channel-table--selected", "channel-table--cursor", "channel-table--mark", *_STATUS_COMPONENTS.values())
"""The component classes a channel row is painted with."""

REGROUP_SECONDS = 0.1
"""In tag mode, how long the group headers may lag a channel changed in place. A batch shows each
result as it lands; counting every group again for each one cost O(results x channels) (9 ms per
result at 10,000 channels): they are counted again once per this tick instead, and at once when
something reads the groups."""

_KEPT_ROWS = 256
"""Painted channel rows kept for the next paints (five screens of 50 lines), the oldest dropped
first. Each painted row is about ten objects the garbage collector scans in a full collection."""


def fit(text: str, width: int, align: Literal["left", "right"] = "left") -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis (wide characters count double)."""
    text = text.translate(_CONTROL_TO_SPACE)
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    padding = " " * (width - length)
    return padding + text if align == "right" else text + padding


NARROW = 100
"""Below this many cells flexible columns give up width to keep more columns in sight; wider, a
table that does not fit scrolls sideways with every column at its own width."""


def resolve_widths(columns: Sequence[Column], available: int) -> list[int]:
    """Column widths for `available` cells: fixed columns as declared; flexible ones share what is
    left, or on a narrow terminal where the columns do not fit, give up width one cell at a time (the
    widest first) down to their minimum, so that more columns stay in sight. Columns that still do
    not fit end at the edge (`_end_at_the_edge`)."""
    widths = [c.width for c in columns]
    flexible = [i for i, c in enumerate(columns) if c.flexible]
    spare = available - sum(widths) - GAP * max(len(columns) - 1, 0)
    if not flexible:
        return widths
    if spare >= 0:
        share, extra = divmod(spare, len(flexible))
        for n, i in enumerate(flexible):
            widths[i] += share + (1 if n < extra else 0)
        return widths
    while spare < 0 and available < NARROW:
        shrinkable = [i for i in flexible if widths[i] > columns[i].minimum]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i] - columns[i].minimum)
        widths[widest] -= 1
        spare += 1
    if spare < 0:
        _end_at_the_edge(widths, flexible, available)
    return widths


IN_SIGHT_ORDER = (
    "type",
    "models",
    "upstream",
    "base_url",
    "group",
    "priority",
    "weight",
    "response_time",
    "auto_sync",
    "tag",
    "balance",
    "test_time",
    "used_quota",
    "success_rate",
    "cost",
)
"""The columns by how long they stay in sight on a narrow terminal, the most important first."""

ALWAYS_IN_SIGHT = frozenset({MARK_COLUMN.key, "id", "name", "status", SITE_COLUMN})
"""What no narrow terminal pushes out of sight: which channel a row is, its status, its site."""


def in_sight_first(columns: Sequence[Column], available: int, keep: Iterable[str] = ()) -> list[Column]:
    """`columns` in the order to lay them out in `available` cells. On a narrow terminal where a
    column that must stay in sight (`ALWAYS_IN_SIGHT`, and `keep`: the sorted column) would end past
    the right edge, the columns before it move past the edge, the least important first
    (`IN_SIGHT_ORDER`), until it shows; they follow in the chosen order (the table scrolls to them).
    So Status never goes out of sight before Cost does. Otherwise the chosen order stays."""
    if available >= NARROW:
        return list(columns)
    kept = ALWAYS_IN_SIGHT | set(keep)
    front = list(columns)
    for key in reversed(IN_SIGHT_ORDER):
        last = max((i for i, c in enumerate(front) if c.key in kept), default=-1)
        if _ends_within(front[: last + 1], available):
            break
        front = [c for i, c in enumerate(front) if c.key != key or c.key in kept or i > last]
    return front + [c for c in columns if c not in front]


def _ends_within(columns: Sequence[Column], available: int) -> bool:
    """Whether the columns end within `available` cells with each flexible one at its minimum."""
    needed = sum(c.minimum if c.flexible else c.width for c in columns) + GAP * max(len(columns) - 1, 0)
    return needed <= available


def _end_at_the_edge(widths: list[int], flexible: Sequence[int], available: int) -> None:
    """Columns that do not all fit end at the right edge: the cells after the last column that
    shows whole go to the flexible columns before it, so that no column (header or cell) shows cut
    at the edge before the table is scrolled. Without a flexible column in view, nothing changes."""
    end = -GAP
    for index, width in enumerate(widths):
        start = end + GAP
        if start + width > available:
            left = available - end
            shown = [i for i in flexible if i < index]
            if start < available and shown:
                share, extra = divmod(left, len(shown))
                for n, i in enumerate(shown):
                    widths[i] += share + (1 if n < extra else 0)
            return
        end = start + width


class ChannelTable(ScrollView, can_focus=True):
    """Channels as rows, over a `ChannelIndex` and a view (a list of index positions).

    Line 0 is the fixed header; line `y` >= 1 shows view row `scroll_y + y - 1`.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    """A filter changes the row count with every keystroke. Textual's own `virtual_size` asks for a
    layout pass of the whole screen when it changes, which re-renders every widget on it (the
    largest cost of a keystroke at 100,000 rows); the table only needs its scrollbars updated, and
    a scrollbar that appears or goes still lays the screen out (`show_vertical_scrollbar` does)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_selection", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "cursor_home", "First", show=False),
        Binding("end", "cursor_end", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "channel-table--header",
        "channel-table--cursor",
        "channel-table--selected",
        "channel-table--mark",
        "channel-table--empty",
        "channel-table--group",
        *_STATUS_COMPONENTS.values(),
    }

    class CursorMoved(Message):
        """The cursor is on another channel (or on none: the view is empty)."""

        def __init__(self, table: ChannelTable, channel: Channel | None) -> None:
            super().__init__()
            self.table = table
            self.channel = channel

        @property
        def control(self) -> ChannelTable:
            return self.table

    class SelectionChanged(Message):
        """The set of selected channels changed; `count` is its new size."""

        def __init__(self, table: ChannelTable, count: int) -> None:
            super().__init__()
            self.table = table
            self.count = count

        @property
        def control(self) -> ChannelTable:
            return self.table

    def __init__(
        self,
        channels: Iterable[Channel] = (),
        *,
        columns: Sequence[str] = COLUMNS_ALL,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._index = ChannelIndex(channels)
        self._state = ViewState()
        self._matched: Sequence[int] = self._index.view(self._state)
        self._rows: Sequence[int] = self._matched
        """View rows: index positions; in tag mode a negative row `-(n + 1)` is group n's header."""
        self._tag_mode = False
        self._groups: list[TagGroup] = []
        self._regroup_timer: Timer | None = None
        """Set while channels changed in place since the groups were last counted (`REGROUP_SECONDS`)."""
        self._expanded: set[str] = set()
        self._cursor = 0
        self._cursor_key: RowKey | None = self._key_at(0)
        self._selected: set[RowKey] = set()
        self._labels: Mapping[str, str] = {}
        self._chosen: list[str] = list(columns)
        """The columns chosen (the column picker's), in their order."""
        self._columns: list[Column] = [MARK_COLUMN, *self._checked_columns(columns)]
        """The columns laid out, in the order shown: the chosen ones, the sorted one when it is not
        among them, and on a narrow terminal those that stay in sight first (`in_sight_first`)."""
        self._widths: list[int] = [c.width for c in self._columns]
        self._laid_out_for: str | None = None
        """The sorted column `_columns` was laid out for."""
        self._paint_styles: dict[str | None, Style] = {}
        """Styles looked up once per paint, by component class (`None`: the widget's own)."""
        self._painted_rows: dict[tuple[int, bool, bool], Strip] = {}
        """Channel rows as last painted, by (index position, selected, under the cursor). A filter
        keystroke shows mostly rows that were on screen a keystroke before; painting one again cost
        about 0.1 ms, 5 ms for a 160x50 screen. Dropped when the channels, columns, widths or styles
        change, and with the periodic redraw of the "Tested … ago" cells."""
        self._painted_with: tuple[Style, ...] = ()
        """The styles the kept rows were painted with."""

    # Data and view

    @property
    def index(self) -> ChannelIndex:
        return self._index

    @property
    def view_state(self) -> ViewState:
        """A copy of the state the view was last computed from."""
        return replace(self._state)

    @property
    def row_count(self) -> int:
        """Channels in the current view (in tag mode, collapsed groups count too)."""
        return len(self._matched)

    @property
    def total_count(self) -> int:
        """Channels loaded, whatever the filter."""
        return len(self._index)

    def set_channels(
        self, channels: Iterable[Channel], sites: Sequence[str] | None = None, state: ViewState | None = None
    ) -> None:
        """Replace every channel; the cursor channel and the surviving selection stay, and so does
        the view state unless `state` gives the new one (a fleet view sorts by site, one site cannot).

        With `sites` (one site name per channel) the table is a fleet table, keyed by `ChannelRef`.
        """
        self._index = ChannelIndex(channels, sites)
        self._tag_mode = self._tag_mode and not self._index.is_fleet
        if state is not None:
            self._state = replace(state)
        self._after_rows_changed()

    def replace_site(self, site: str, channels: Sequence[Channel]) -> None:
        """A fleet table: show `channels` in place of `site`'s rows (that site loaded again)."""
        self._index.replace_site(site, channels)
        self._after_rows_changed()

    def _after_rows_changed(self) -> None:
        self._painted_rows.clear()
        kept = {k for k in self._selected if self._index.position(k) is not None}
        changed = kept != self._selected
        self._selected = kept
        self.apply_view(self._state)
        if changed:
            self.post_message(self.SelectionChanged(self, len(kept)))

    def update_channel(self, channel: Channel, site: str | None = None) -> None:
        """Show a changed channel in its row, in place: the view is not filtered or sorted again.

        A fleet table needs the channel's `site`.
        """
        position = self._index.update(channel, site)
        self._painted_rows.clear()
        if self._tag_mode:
            self._regroup_soon()
            return
        top = round(self.scroll_y)
        on_screen = self._rows[top : top + self._page_height]
        if position in on_screen:
            self._refresh_row(top + on_screen.index(position))

    def apply_view(self, state: ViewState) -> None:
        """Filter and sort to `state`, keeping the cursor on its channel while that stays visible."""
        self._state = replace(state)
        if state.sort_column != self._laid_out_for:
            self._relayout()
        self._matched = self._index.view(self._state)
        self._cancel_regroup()
        group = self.cursor_group
        self._rows = self._grouped_rows() if self._tag_mode else self._matched
        position = None if self._cursor_key is None else self._index.position(self._cursor_key)
        if position is not None and not self._tag_mode and not self._index.shows(position, self._state):
            position = None  # filtered out: no need to look for it through every row
        if position is None and group is not None:
            position = self._header_row_value(group.tag)
        try:
            row = self._rows.index(position) if position is not None else self._cursor
        except ValueError:
            row = self._cursor
        self._update_virtual_size()
        self.move_cursor(row)
        self.refresh()

    # Tag mode

    @property
    def tag_mode(self) -> bool:
        return self._tag_mode

    def set_tag_mode(self, enabled: bool) -> None:
        """Group the view by tag (a header row per tag, channels under the expanded ones). A fleet
        table stays as it is: a tag is one site's, and its groups would mix every site's channels
        (a table given a fleet's channels leaves tag mode too)."""
        self._tag_mode = enabled and not self._index.is_fleet
        self.apply_view(self._state)

    def _grouped_rows(self) -> list[int]:
        self._cancel_regroup()
        channel = self._index.channel
        self._groups = group_by_tag(channel(p) for p in self._matched)
        members: dict[str, list[int]] = {}
        for position in self._matched:
            members.setdefault(channel(position).tag or UNTAGGED, []).append(position)
        rows: list[int] = []
        for number, group in enumerate(self._groups):
            rows.append(-(number + 1))
            if group.tag in self._expanded:
                rows.extend(members[group.tag])
        return rows

    def _regroup_soon(self) -> None:
        """Count the groups again on the next tick, once for every channel changed in place until then."""
        if self._regroup_timer is None:
            if self.is_attached:
                self._regroup_timer = self.set_timer(REGROUP_SECONDS, self._regroup_due, name="regroup")
            else:
                self._regroup()

    def _regroup_due(self) -> None:
        self._regroup_timer = None
        if self._tag_mode:
            self._regroup()

    def _cancel_regroup(self) -> None:
        """The rows are built again from every channel: a pending regroup has nothing left to count."""
        if self._regroup_timer is not None:
            self._regroup_timer.stop()
            self._regroup_timer = None

    def _regroup_now(self) -> None:
        """Before the groups are read: count them again if a channel changed since they were."""
        if self._regroup_timer is not None:
            self._regroup()

    def _regroup(self) -> None:
        """Tag mode after channels changed in place (a status, a tag, whatever path wrote it): count
        the groups again over the same filtered rows, the cursor kept on its channel or its header."""
        current = self._rows[self._cursor] if self._cursor < len(self._rows) else None
        tag = self._groups[-current - 1].tag if current is not None and current < 0 else None
        self._rows = self._grouped_rows()
        target = current if tag is None else self._header_row_value(tag)
        row = self._rows.index(target) if target in self._rows else self._cursor
        self._update_virtual_size()
        self.move_cursor(row)
        self.refresh()

    def _header_row_value(self, tag: str) -> int | None:
        for number, group in enumerate(self._groups):
            if group.tag == tag:
                return -(number + 1)
        return None

    @property
    def groups(self) -> list[TagGroup]:
        """The tag groups of the current view (tag mode only), counting every change so far."""
        self._regroup_now()
        return list(self._groups) if self._tag_mode else []

    @property
    def cursor_group(self) -> TagGroup | None:
        """In tag mode, the group under the cursor: its header, or the group of its channel."""
        self._regroup_now()
        if not self._tag_mode or not self._rows or self._cursor >= len(self._rows):
            return None
        value = self._rows[self._cursor]
        if value < 0:
            return self._groups[-value - 1]
        channel = self._index.channel(value)
        return next((g for g in self._groups if channel.id in g.ids), None)

    def toggle_group(self) -> None:
        """Expand or collapse the cursor's group; the cursor lands on its header."""
        group = self.cursor_group
        if group is None:
            return
        self._expanded ^= {group.tag}
        self._cursor_key = None
        self._rows = self._grouped_rows()
        self._update_virtual_size()
        self.move_cursor(self._rows.index(self._header_row_value(group.tag)))  # type: ignore[arg-type]
        self.refresh()

    # Columns

    def _checked_columns(self, keys: Sequence[str], sort: str | None = None) -> list[Column]:
        """The layouts of `keys`, with the site's own headers, each column wide enough for its header
        (the `sort` column's with its arrow)."""
        unknown = [k for k in keys if k not in COLUMNS]
        if unknown:
            raise ValueError(f"unknown columns {unknown}; expected names from {COLUMNS_ALL}")
        columns = []
        for key in keys:
            label = self._labels.get(key, COLUMNS[key].label)
            header = cell_len(label) + (len(" ▲") if key == sort else 0)
            columns.append(replace(COLUMNS[key], label=label, width=max(COLUMNS[key].width, header)))
        return columns

    def label_of(self, key: str) -> str:
        """The header a column shows on this site."""
        return self._labels.get(key, COLUMNS[key].label)

    @property
    def columns(self) -> list[str]:
        """Keys of the chosen columns, in their order (the selection mark excluded)."""
        return list(self._chosen)

    @property
    def shown_columns(self) -> list[str]:
        """Keys of the columns laid out, in the order shown: the chosen ones, and the sorted one
        when it is not chosen (the header always says what the rows are sorted by)."""
        return [c.key for c in self._columns[1:]]

    def set_columns(self, keys: Sequence[str], labels: Mapping[str, str] | None = None) -> None:
        """Show the columns `keys` (names from `COLUMNS_ALL`), in that order; `labels` replaces
        headers that would mislead on this site (kept until the next call that gives them)."""
        if labels is not None:
            self._labels = dict(labels)
        self._checked_columns(keys)
        self._chosen = list(keys)
        self._relayout()

    def _relayout(self) -> None:
        self._painted_rows.clear()
        sort = self._laid_out_for = self._state.sort_column
        keys = [*self._chosen, *([sort] if sort in COLUMNS and sort not in self._chosen else [])]
        width = self.scrollable_content_region.width
        self._columns = in_sight_first([MARK_COLUMN, *self._checked_columns(keys, sort)], width, keep=[sort])
        self._widths = resolve_widths(self._columns, width)
        self._update_virtual_size()
        self.refresh()

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)
        self.refresh()

    def _update_virtual_size(self) -> None:
        width = sum(self._widths) + GAP * (len(self._widths) - 1)
        self.virtual_size = Size(width, len(self._rows) + 1)

    # Cursor

    @property
    def cursor_row(self) -> int:
        """The cursor's row in the current view (0 when the view is empty)."""
        return self._cursor

    @property
    def cursor_channel(self) -> Channel | None:
        """The channel under the cursor; `None` when the view is empty or on a tag header."""
        return self._channel_at(self._cursor)

    def _channel_at(self, row: int) -> Channel | None:
        if not 0 <= row < len(self._rows) or self._rows[row] < 0:
            return None
        return self._index.channel(self._rows[row])

    @property
    def cursor_key(self) -> RowKey | None:
        """The row key of the cursor channel: its id, or in the fleet its `ChannelRef`."""
        return self._key_at(self._cursor)

    @property
    def cursor_site(self) -> str | None:
        """In the fleet, the site of the cursor channel; None on one site or off a channel."""
        if not 0 <= self._cursor < len(self._rows) or self._rows[self._cursor] < 0:
            return None
        return self._index.site(self._rows[self._cursor])

    def _key_at(self, row: int) -> RowKey | None:
        if not 0 <= row < len(self._rows) or self._rows[row] < 0:
            return None
        return self._index.key(self._rows[row])

    @property
    def _page_height(self) -> int:
        """View rows on screen: the content height less the header line."""
        return max(self.scrollable_content_region.height - 1, 1)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on view row `row` (clamped), scroll it into sight, and tell if its channel changed."""
        row = min(max(row, 0), max(len(self._rows) - 1, 0))
        old_row, self._cursor = self._cursor, row
        if old_row != row:
            self._refresh_row(old_row)
            self._refresh_row(row)
        self._scroll_to_cursor()
        key = self._key_at(row)
        if key != self._cursor_key:
            self._cursor_key = key
            self.post_message(self.CursorMoved(self, self.cursor_channel))

    def _refresh_row(self, row: int) -> None:
        self.refresh_line(row + 1)

    def _scroll_to_cursor(self) -> None:
        """Scroll the least that shows the cursor row, and no blank space under a shrunk view."""
        current = round(self.scroll_y)
        top = min(current, self.max_scroll_y, self._cursor)
        top = max(top, self._cursor - self._page_height + 1)
        if top != current:
            # force: the scrollbars may not have caught up with a virtual size set in this same call.
            self.scroll_to(y=top, animate=False, force=True)

    def move_cursor_to_channel(self, key: RowKey) -> None:
        """Put the cursor on the row with `key` (a channel id, in the fleet a `ChannelRef`), if shown."""
        position = self._index.position(key)
        if position in self._rows:
            self.move_cursor(self._rows.index(position))

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page_height)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page_height)

    def action_cursor_home(self) -> None:
        self.move_cursor(0)

    def action_cursor_end(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    # Events

    def on_mount(self) -> None:
        self.set_interval(_TIME_REFRESH_SECONDS, self._redraw_times)

    def _redraw_times(self) -> None:
        self._painted_rows.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            row = round(self.scroll_y) + offset.y - 1
            if row < len(self._rows):
                self.move_cursor(row)

    # Selection

    @property
    def selected_ids(self) -> frozenset[RowKey]:
        """Row keys of the selected channels, visible or filtered out (in the fleet: `ChannelRef`s)."""
        return frozenset(self._selected)

    def _set_selection(self, selected: set[RowKey]) -> None:
        if selected != self._selected:
            self._selected = selected
            self.refresh()
            self.post_message(self.SelectionChanged(self, len(selected)))

    def set_selection(self, keys: Iterable[RowKey]) -> None:
        """Select exactly these rows (those loaded), e.g. to restore a site's selection."""
        self._set_selection({k for k in keys if self._index.position(k) is not None})

    def action_toggle_selection(self) -> None:
        self.toggle_selection()

    def toggle_selection(self) -> None:
        """Select or unselect the cursor's channel (on a tag header: the whole tag), then move down."""
        key = self.cursor_key
        if key is not None:
            self._set_selection(self._selected ^ {key})
        elif (group := self.cursor_group) is not None:
            ids = set(group.ids)
            self._set_selection(self._selected - ids if ids <= self._selected else self._selected | ids)
        else:
            return
        self.move_cursor(self._cursor + 1)

    def visible_ids(self) -> set[RowKey]:
        """Keys of the channels the current filter shows (in tag mode, collapsed tags' too)."""
        key = self._index.key
        return {key(p) for p in self._matched}

    def select_all_visible(self) -> None:
        """Add every channel of the current view to the selection."""
        self._set_selection(self._selected | self.visible_ids())

    def invert_selection(self) -> None:
        """Flip the selection of every channel in the current view; hidden selections stay."""
        self._set_selection(self._selected ^ self.visible_ids())

    def clear_selection(self) -> None:
        """Unselect everything, visible or not."""
        self._set_selection(set())

    # Rendering

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._paint_styles.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint_styles.clear()
        styles = (self._style, *(self._layer(component) for component in _ROW_COMPONENTS))
        if styles != self._painted_with:
            self._painted_rows.clear()
            self._painted_with = styles
        return super().render_lines(crop)

    @property
    def _style(self) -> Style:
        """The widget's own style (`rich_style` walks the ancestors, so once per paint)."""
        style = self._paint_styles.get(None)
        if style is None:
            style = self._paint_styles[None] = self.rich_style
        return style

    def _layer(self, component: str) -> Style:
        """What a component class sets, to lay over a row: its text style, and its colours blended
        with the background (a partial style alone would drop a colour's alpha)."""
        style = self._paint_styles.get(component)
        if style is None:
            partial = self.get_component_rich_style(component, partial=True)
            full = self.get_component_rich_style(component)
            style = partial.without_color + Style.from_color(
                full.color if partial.color else None, full.bgcolor if partial.bgcolor else None
            )
            self._paint_styles[component] = style
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row = scroll_y + y - 1
        if y == 0:
            strip = self._header_strip()
        elif row < len(self._rows) and self._rows[row] < 0:
            strip = self._group_strip(row)
        elif row < len(self._rows):
            strip = self._row_strip(row)
        elif row == 0:
            strip = self._empty_strip()
        else:
            return Strip.blank(width, self._style)
        return strip.crop_extend(scroll_x, scroll_x + width, self._style)

    def _header_strip(self) -> Strip:
        style = self._style + self._layer("channel-table--header")
        if self._tag_mode and not self._expanded:
            tags = plural(len(self._groups), "tag")
            text = f"Tag mode: {tags} by name · Enter opens one · space selects it · G leaves"
            return Strip([Segment(fit(text, max(sum(self._widths), cell_len(text))), style)])
        arrow = " ▼" if self._state.descending else " ▲"
        cells = [
            fit(c.label + (arrow if c.key == self._state.sort_column else ""), w, c.align)
            for c, w in zip(self._columns, self._widths)
        ]
        return Strip([Segment((" " * GAP).join(cells), style)])

    def _group_strip(self, row: int) -> Strip:
        group = self._groups[-self._rows[row] - 1]
        style = self._style + self._layer("channel-table--group")
        if row == self._cursor:
            style += self._layer("channel-table--cursor")
        selected = sum(i in self._selected for i in group.ids)
        marker = "▾" if group.tag in self._expanded else "▸"
        text = (
            f"{marker} {group.label}   {plural(group.count, 'channel')} · {group.enabled} enabled · "
            f"{group.disabled} disabled · {group.status}"
            + (f" · {selected} selected" if selected else "")
        )
        width = sum(self._widths) + GAP * (len(self._widths) - 1)
        return Strip([Segment(fit(text, max(width, cell_len(text))), style)])

    def _empty_strip(self) -> Strip:
        style = self._style + self._layer("channel-table--empty")
        text = "No channels match the filter" if len(self._index) else "No channels"
        return Strip([Segment(" " + text, style)])

    def _row_strip(self, row: int) -> Strip:
        position = self._rows[row]
        selected = self._index.key(position) in self._selected
        painted = (position, selected, row == self._cursor)
        strip = self._painted_rows.get(painted)
        if strip is None:
            if len(self._painted_rows) >= _KEPT_ROWS:
                del self._painted_rows[next(iter(self._painted_rows))]
            strip = self._painted_rows[painted] = self._paint_row(position, *painted[1:])
        return strip

    def _paint_row(self, position: int, selected: bool, under_cursor: bool) -> Strip:
        channel = self._index.channel(position)
        style = self._style
        if selected:
            style += self._layer("channel-table--selected")
        cursor_style = self._layer("channel-table--cursor") if under_cursor else None
        if cursor_style is not None:
            style += cursor_style
        now = time.time()
        pieces: list[tuple[str, Style]] = []
        for column, width in zip(self._columns, self._widths):
            if pieces:
                pieces.append((" " * GAP, style))
            if column is MARK_COLUMN:
                text, part = ("✓", "channel-table--mark") if selected else (" ", None)
            elif column.key == SITE_COLUMN:
                text, part = fit(self._index.site(position) or "", width, column.align), None
            else:
                text = fit(CELL_TEXT[column.key](channel, now), width, column.align)
                part = _STATUS_COMPONENTS[channel.status] if column.key == "status" else None
            cell_style = style
            if part is not None:
                cell_style += self._layer(part)
                if cursor_style is not None:
                    cell_style += cursor_style
            pieces.append((text, cell_style))
        # One segment per run of equal style: fewer objects for the compositor to cut and collect.
        segments = [
            Segment("".join(text for text, _ in run), run_style)
            for run_style, run in groupby(pieces, key=itemgetter(1))
        ]
        return Strip(segments)
