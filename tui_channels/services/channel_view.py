"""Client-side filtering, sorting and cell text for the channel table.

Servers' search endpoints are weak, so the table filters and sorts the loaded list itself. At
100,000 channels (the fleet) that must keep up with typing: `ChannelIndex` precomputes a
lower-cased search haystack per channel and indexes its distinct segments (`SegmentIndex`), computes
a column's sort keys once (the first time the table is sorted by it, as most columns never are),
caches the sorted order per (column, direction), and keeps the matches of every prefix of the
search text, in the sort order, so a keystroke narrows the previous result (or pops back to it on
backspace) and never sorts or tests every row's text again.

A view is a list of *positions*: indexes into the index's channel list, stable for the life of
the index (`update` replaces a channel at its position; a channel with a new id is appended).

The same index serves one site and the fleet (every site at once). On one site a row's key is the
channel id; in the fleet two sites may both have a channel 7, so each position also records its
site and a row's key is a `ChannelRef` (site, id). Nothing that works on rows uses a bare id there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from ..models import Channel, ChannelStatus, TypeCode
from .segment_index import SEPARATOR, SegmentIndex
from .shown_secrets import shown_url

STATUS_FILTERS: tuple[str, ...] = ("all", "enabled", "disabled", "auto-disabled")
"""Values of `ViewState.status`; "disabled" covers manually and automatically disabled channels,
"auto-disabled" only those the gateway turned off because they failed (New API family's status 3)."""

_NARROW_AT_MOST = 4096
"""A search that extends one with at most this many matches tests those matches' haystacks (1 ms or
less); a wider one asks the segment index (`SegmentIndex`, 1-5 ms) and picks the rows it marks."""

_FACET_CACHE_SIZE = 16
"""Facet combinations whose masks are kept; a user flips between a handful."""

_STATUS_RANK = {
    ChannelStatus.ENABLED: 0,
    ChannelStatus.MANUALLY_DISABLED: 1,
    ChannelStatus.AUTO_DISABLED: 2,
}


class ChannelRef(NamedTuple):
    """A channel's identity across sites: its site's name and its id there."""

    site: str
    id: int


RowKey = int | ChannelRef
"""A table row's identity: the channel id on one site, a `ChannelRef` in the fleet."""

SITE_COLUMN = "site"
"""The fleet's own column: the site a row belongs to (no backend offers it)."""


@dataclass
class ViewState:
    """What the user asked to see: a search, facet filters and a sort."""

    search: str = ""
    status: str = "all"
    type_code: TypeCode | None = None
    group: str | None = None
    tag: str | None = None
    flag: str | None = None
    """A key of `FLAG_FILTERS`, or None for no such filter."""
    site: str | None = None
    """The fleet's site filter: only this site's channels; None shows every site."""
    type_name: str | None = None
    """The fleet's type filter, by name: type codes mean different things on different backends."""
    sort_column: str = "id"
    descending: bool = False


@lru_cache(maxsize=1024)
def _type_key(name: str) -> str:
    """A type name's sort key: one string per type, not one per channel."""
    return name.casefold()


def _text_key(value: str | None) -> str | None:
    """Case-folded text. A fresh copy even when folding changes nothing: sorting compares the
    keys, and copies made one after the other sit together in memory where the names themselves
    are spread over the records (sorting 100,000 names by them took half as long again)."""
    return value.casefold() if value else None


def _positive(value: int | None) -> int | None:
    return value if value else None


def _switch(value: bool | None) -> int | None:
    """On sorts before off; a backend without the switch leaves it missing."""
    return None if value is None else (0 if value else 1)


@dataclass(frozen=True, slots=True)
class FlagFilter:
    """A yes/no filter on something a channel has, offered where the backend fills `column`."""

    label: str
    column: str
    test: Callable[[Channel], bool]


FLAG_FILTERS: dict[str, FlagFilter] = {
    "auto_sync_on": FlagFilter("Auto sync on", "auto_sync", lambda c: c.auto_sync is True),
    "auto_sync_off": FlagFilter("Auto sync off", "auto_sync", lambda c: c.auto_sync is False),
    "upstream_changes": FlagFilter(
        "Has upstream changes", "upstream", lambda c: c.upstream is not None and c.upstream.pending > 0
    ),
    "upstream_checked": FlagFilter(
        "Upstream checked", "upstream", lambda c: c.upstream is not None and c.upstream.checks
    ),
}
"""The flag filters by key (the key is what `ViewState.flag` holds)."""


def flag_choices(columns: Iterable[str]) -> list[tuple[str, str]]:
    """`(label, key)` of the flag filters a backend with these columns can use."""
    offered = set(columns)
    return [(flag.label, key) for key, flag in FLAG_FILTERS.items() if flag.column in offered]


def _pending(channel: Channel) -> int | None:
    """More pending upstream changes first; a channel the server does not check is missing."""
    watch = channel.upstream
    return -watch.pending if watch is not None and (watch.pending or watch.checks) else None


SORT_KEYS: dict[str, Callable[[Channel], Any]] = {
    "id": lambda c: c.id,
    "name": lambda c: _text_key(c.name),
    "type": lambda c: _type_key(c.type.name),
    "status": lambda c: _STATUS_RANK.get(c.status),
    "models": lambda c: float("inf") if c.all_models else c.model_count or None,
    "auto_sync": lambda c: _switch(c.auto_sync),
    "upstream": lambda c: _pending(c),
    "group": lambda c: _text_key(",".join(c.groups)),
    "priority": lambda c: c.priority,
    "weight": lambda c: c.weight,
    "tag": lambda c: _text_key(c.tag),
    "base_url": lambda c: _text_key(c.base_url),
    "balance": lambda c: c.balance,
    "response_time": lambda c: _positive(c.response_time_ms),
    "test_time": lambda c: _positive(c.test_time),
    "used_quota": lambda c: c.used_quota,
    "success_rate": lambda c: c.success_rate,
    "cost": lambda c: c.cost,
}
"""Sort key per column; `None` means "missing" and sorts last in both directions.

Missing is: an empty name, group, tag or base URL; no models; an unknown status or auto sync; no
upstream check and nothing pending (more pending changes sort first ascending); a `None`
priority, weight, balance or used quota (0 is a real value there); a response time or test time
of `None` or 0 (the servers' "never tested"). Text compares case-insensitively, type by name,
status as enabled < disabled < auto-disabled.
"""


def normalise_search(text: str) -> str:
    """The form of a search text that is matched against haystacks."""
    return text.strip().casefold()


def haystack(channel: Channel) -> str:
    """What the search text is matched against: name, base URL, id and model names, lower-cased,
    joined by `SEPARATOR`, which cannot be typed, so a search never matches across two fields."""
    return SEPARATOR.join((channel.name, channel.base_url, str(channel.id), *channel.models)).casefold()


def matches_facets(channel: Channel, state: ViewState) -> bool:
    """Whether `channel` passes the status, type, group, tag and flag filters of `state`.

    The site filter needs the channel's site, which the channel does not know: `ChannelIndex`
    applies it.
    """
    if state.status == "enabled" and not channel.status.is_enabled:
        return False
    if state.status == "disabled" and not channel.status.is_disabled:
        return False
    if state.status == "auto-disabled" and channel.status is not ChannelStatus.AUTO_DISABLED:
        return False
    if state.type_code is not None and channel.type.code != state.type_code:
        return False
    if state.type_name is not None and channel.type.name != state.type_name:
        return False
    if state.group is not None and state.group not in channel.groups:
        return False
    if state.flag is not None and not FLAG_FILTERS[state.flag].test(channel):
        return False
    return state.tag is None or channel.tag == state.tag


def _facets(state: ViewState) -> tuple[Any, ...]:
    return (state.status, state.type_code, state.type_name, state.group, state.tag, state.flag, state.site)


_NO_FACETS = _facets(ViewState())


class ChannelIndex:
    """The loaded channels, indexed for filter-as-you-type and sorting (see the module docstring).

    With `sites` (one site name per channel) it is a fleet index: rows are keyed by `ChannelRef`,
    the site column sorts and the site filter applies.
    """

    def __init__(self, channels: Iterable[Channel] = (), sites: Sequence[str] | None = None) -> None:
        self._channels: list[Channel] = list(channels)
        self._sites: list[str] | None = None if sites is None else list(sites)
        if self._sites is not None and len(self._sites) != len(self._channels):
            raise ValueError("a fleet index needs exactly one site name per channel")
        self._keys: list[RowKey] = self._keys_of(self._channels, self._sites)
        self._all: list[int] = list(range(len(self._channels)))
        """Every position, in order. Views and sort orders are made of these very int objects: an
        order of 100,000 fresh ints cost 3.6 MiB, of shared ones 0.8 MiB (bench/fleet.py)."""
        self._positions: dict[RowKey, int] = dict(zip(self._keys, self._all))
        self._haystacks: list[str] = [haystack(c) for c in self._channels]
        self._segments = SegmentIndex()
        self._segments.extend(self._all, self._haystacks)
        self._keys_by_column: dict[str, list[Any]] = {}
        self._orders: dict[tuple[str, bool], tuple[int, ...]] = {}
        self._facet_masks: dict[tuple[Any, ...], tuple[ViewState, bytearray]] = {}
        self._prefix_matches: list[tuple[str, tuple[int, ...]]] = []
        self._prefix_order: tuple[int, ...] | None = None
        """The sort order the kept prefix matches follow (they are dropped when it changes)."""

    @staticmethod
    def _keys_of(channels: Sequence[Channel], sites: Sequence[str] | None) -> list[RowKey]:
        if sites is None:
            return [c.id for c in channels]
        return [ChannelRef(site, c.id) for site, c in zip(sites, channels)]

    def __len__(self) -> int:
        return len(self._channels)

    @property
    def is_fleet(self) -> bool:
        """True when rows span sites (keyed by `ChannelRef`)."""
        return self._sites is not None

    def channel(self, position: int) -> Channel:
        return self._channels[position]

    def key(self, position: int) -> RowKey:
        """The row key of the channel at `position`."""
        return self._keys[position]

    def site(self, position: int) -> str | None:
        """The site of the channel at `position` in a fleet index; None on one site."""
        return None if self._sites is None else self._sites[position]

    def position(self, key: RowKey) -> int | None:
        """The position of the row with `key`, or `None` if it is not loaded."""
        return self._positions.get(key)

    def key_for(self, channel: Channel, site: str | None = None) -> RowKey:
        """The row key `channel` has (or would have) here; a fleet index needs its site."""
        if self._sites is None:
            return channel.id
        if site is None:
            raise ValueError(f"channel {channel.id} has no site: fleet rows are keyed by (site, id)")
        return ChannelRef(site, channel.id)

    def update(self, channel: Channel, site: str | None = None) -> int:
        """Replace the row with the same key (or append a new one) and return its position.

        A fleet index needs the channel's `site`. Only the caches the change invalidates are
        dropped: a new test result leaves the search cache and the orders by name intact.
        """
        key = self.key_for(channel, site)
        position = self._positions.get(key)
        if position is None:
            return self._append(channel, key, site)
        self._channels[position] = channel
        text = haystack(channel)
        if text != self._haystacks[position]:
            self._segments.remove(position, self._haystacks[position])
            self._segments.add(position, text)
            self._haystacks[position] = text
            self._prefix_matches.clear()
        for column, keys in self._keys_by_column.items():
            key_value = self._sort_key(column, channel, site)
            if key_value != keys[position]:
                keys[position] = key_value
                self._orders.pop((column, False), None)
                self._orders.pop((column, True), None)
        for probe, mask in self._facet_masks.values():
            mask[position] = self._passes(channel, site, probe)
        return position

    def _append(self, channel: Channel, key: RowKey, site: str | None) -> int:
        position = len(self._channels)
        self._channels.append(channel)
        if self._sites is not None and site is not None:
            self._sites.append(site)
        self._keys.append(key)
        self._all.append(position)
        self._positions[key] = position
        self._haystacks.append(haystack(channel))
        self._segments.add(position, self._haystacks[position])
        for column, keys in self._keys_by_column.items():
            keys.append(self._sort_key(column, channel, site))
        for probe, mask in self._facet_masks.values():
            mask.append(self._passes(channel, site, probe))
        self._orders.clear()
        self._prefix_matches.clear()
        return position

    def _extend(self, sites: list[str], site: str, channels: list[Channel]) -> None:
        """Append a site's rows to a fleet index (its `sites`) at once: `_append`, in bulk."""
        keys = [ChannelRef(site, c.id) for c in channels]
        positions = list(range(len(self._channels), len(self._channels) + len(channels)))
        self._channels.extend(channels)
        sites.extend([site] * len(channels))
        self._keys.extend(keys)
        self._all.extend(positions)
        self._positions.update(zip(keys, positions))
        haystacks = [haystack(c) for c in channels]
        self._haystacks.extend(haystacks)
        self._segments.extend(positions, haystacks)
        for column, column_keys in self._keys_by_column.items():
            column_keys.extend(self._sort_key(column, c, site) for c in channels)
        for probe, mask in self._facet_masks.values():
            mask.extend(self._passes(c, site, probe) for c in channels)
        self._orders.clear()
        self._prefix_matches.clear()

    def replace_site(self, site: str, channels: Sequence[Channel]) -> None:
        """A fleet index: put `channels` in place of every row of `site` (a site loaded again).

        The other sites' rows keep their haystacks and sort keys; positions change, so views
        computed before are stale. A site with no rows yet (the fleet's first load) is appended,
        without rebuilding the other sites' rows.
        """
        if self._sites is None:
            raise ValueError("replace_site applies to a fleet index")
        sites = self._sites
        added = list(channels)
        if site not in sites:
            self._extend(sites, site, added)
            return
        kept = [p for p in range(len(self._channels)) if sites[p] != site]
        self._channels = [self._channels[p] for p in kept] + added
        self._sites = [sites[p] for p in kept] + [site] * len(added)
        self._haystacks = [self._haystacks[p] for p in kept] + [haystack(c) for c in added]
        self._keys = [self._keys[p] for p in kept] + [ChannelRef(site, c.id) for c in added]
        self._all = list(range(len(self._keys)))
        self._positions = dict(zip(self._keys, self._all))
        self._segments = SegmentIndex()
        self._segments.extend(self._all, self._haystacks)
        for column, keys in self._keys_by_column.items():
            self._keys_by_column[column] = [keys[p] for p in kept] + [
                self._sort_key(column, c, site) for c in added
            ]
        self._orders.clear()
        self._facet_masks.clear()
        self._prefix_matches.clear()

    def view(self, state: ViewState) -> tuple[int, ...]:
        """Positions of the channels `state` shows, in its sort order.

        Ties are broken by ascending key (id, or site then id) in both directions; missing values
        come last.

        Views, orders and the kept matches are tuples, not lists: the garbage collector scans every
        element of a list each time it collects the list's generation, but stops tracking a tuple of
        ints the first time it meets it. After typing in bench/fleet.py a full collection (one
        keystroke in twenty has one) scanned 530,000 references with lists, 260,000 with tuples.
        """
        if state.status not in STATUS_FILTERS:
            raise ValueError(f"unknown status filter {state.status!r}; expected one of {STATUS_FILTERS}")
        order = self._order(state.sort_column, state.descending)
        matches = self._search(normalise_search(state.search), order)
        if matches is not None:
            order = matches
        mask = self._facet_mask(state)
        if mask is not None:
            return tuple([p for p in order if mask[p]])
        return order

    def shows(self, position: int, state: ViewState) -> bool:
        """Whether `state`'s view includes the row at `position` (without computing the view)."""
        needle = normalise_search(state.search)
        if needle and needle not in self._haystacks[position]:
            return False
        mask = self._facet_mask(state)
        return mask is None or bool(mask[position])

    def _order(self, column: str, descending: bool) -> tuple[int, ...]:
        """All positions sorted by `column`, cached; built from the ascending-key order."""
        if column not in SORT_KEYS and not (column == SITE_COLUMN and self._sites is not None):
            raise ValueError(f"unknown sort column {column!r}")
        cached = self._orders.get((column, descending))
        if cached is not None:
            return cached
        by_key = sorted(self._all, key=self._keys.__getitem__)
        keys = self._sort_keys(column)
        present = [p for p in by_key if keys[p] is not None]
        missing = [p for p in by_key if keys[p] is None]
        # Python's sort is stable even with reverse=True, so equal keys keep ascending row keys.
        order = (*sorted(present, key=keys.__getitem__, reverse=descending), *missing)
        self._orders[(column, descending)] = order
        return order

    def _sort_key(self, column: str, channel: Channel, site: str | None) -> Any:
        if column == SITE_COLUMN:
            return (site or "").casefold()
        return SORT_KEYS[column](channel)

    def _sort_keys(self, column: str) -> list[Any]:
        keys = self._keys_by_column.get(column)
        if keys is None:
            if column == SITE_COLUMN and self._sites is not None:
                folded = {site: site.casefold() for site in set(self._sites)}
                keys = [folded[site] for site in self._sites]
            else:
                key = SORT_KEYS[column]
                keys = [key(c) for c in self._channels]
            self._keys_by_column[column] = keys
        return keys

    def _search(self, needle: str, order: tuple[int, ...]) -> tuple[int, ...] | None:
        """Positions whose haystack contains `needle`, in `order`, or `None` for no search.

        The matches of each prefix typed so far are kept (for this order): backspacing finds its
        result already there, and a longer text picks from its prefix's matches only. Few of them
        are tested one by one; more are picked by the segment index's mask of the text. Testing
        every haystack of 100,000 rows took 10-15 ms per keystroke, up to 25 ms in an order that
        jumps across memory (by name); the mask takes 1-5 ms and picking is a walk over the ints
        of the order (bench/fleet.py).
        """
        if not needle:
            return None
        kept = self._prefix_matches
        if order is not self._prefix_order:
            kept.clear()
            self._prefix_order = order
        while kept and not needle.startswith(kept[-1][0]):
            kept.pop()
        if kept and kept[-1][0] == needle:
            return kept[-1][1]
        haystacks = self._haystacks
        narrowed = kept[-1][1] if kept else order
        mask = None if len(narrowed) <= _NARROW_AT_MOST else self._segments.mask(needle)
        if mask is None:
            found = tuple([p for p in narrowed if needle in haystacks[p]])
        else:
            found = tuple([p for p in narrowed if mask[p]])
        kept.append((needle, found))
        return found

    @staticmethod
    def _passes(channel: Channel, site: str | None, probe: ViewState) -> bool:
        return (probe.site is None or site == probe.site) and matches_facets(channel, probe)

    def _facet_mask(self, state: ViewState) -> bytearray | None:
        """A per-position pass/fail mask for the facet filters, cached; `None` when none is set."""
        facets = _facets(state)
        if facets == _NO_FACETS:
            return None
        cached = self._facet_masks.get(facets)
        if cached is not None:
            return cached[1]
        probe = ViewState(
            status=state.status,
            type_code=state.type_code,
            type_name=state.type_name,
            group=state.group,
            tag=state.tag,
            flag=state.flag,
            site=state.site,
        )
        sites = self._sites
        if sites is None:
            mask = bytearray(matches_facets(c, probe) for c in self._channels)
        else:
            mask = bytearray(self._passes(c, s, probe) for c, s in zip(self._channels, sites))
        if len(self._facet_masks) >= _FACET_CACHE_SIZE:
            self._facet_masks.clear()
        self._facet_masks[facets] = (probe, mask)
        return mask


def distinct_values(channels: Iterable[Channel], kind: str) -> list[tuple[str, Any]]:
    """`(label, value)` choices for a filter picker, sorted by label; `value` goes into `ViewState`.

    `kind` is "type" (value: the type code, label: its name), "type_name" (value and label: the
    name, for the fleet, where codes differ between backends), "group" (each group a channel
    serves) or "tag" (non-empty tags).
    """
    found: dict[Any, str] = {}
    for channel in channels:
        if kind == "type":
            found.setdefault(channel.type.code, channel.type.name)
        elif kind == "type_name":
            found.setdefault(channel.type.name, channel.type.name)
        elif kind == "group":
            found.update((group, group) for group in channel.groups)
        elif kind == "tag":
            if channel.tag:
                found[channel.tag] = channel.tag
        else:
            raise ValueError(f"unknown filter kind {kind!r}; expected type, type_name, group or tag")
    return sorted(((label, value) for value, label in found.items()), key=lambda item: item[0].casefold())


def relative_time(unix_seconds: int | float | None, now: float | None = None) -> str:
    """A timestamp as "just now", "3m ago", "2h ago" or "5d ago"; "never" for `None` or 0."""
    if not unix_seconds:
        return "never"
    elapsed = (time.time() if now is None else now) - unix_seconds
    if elapsed < 60:
        return "just now"
    if elapsed < 3600:
        return f"{int(elapsed // 60)}m ago"
    if elapsed < 86400:
        return f"{int(elapsed // 3600)}h ago"
    return f"{int(elapsed // 86400)}d ago"


def format_duration_ms(milliseconds: int | None) -> str:
    """A response time as "812 ms" or "1.2 s"; empty when never measured (`None` or 0)."""
    if not milliseconds:
        return ""
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    return f"{milliseconds / 1000:.1f} s"


def format_compact(value: int | None) -> str:
    """A count in four to six characters: 950, 12.3K, 1.2M, 3.0B; empty for `None`."""
    if value is None:
        return ""
    magnitude = abs(value)
    if magnitude < 1000:
        return str(value)
    for divisor, suffix in ((1e3, "K"), (1e6, "M"), (1e9, "B")):
        if round(magnitude / divisor, 1) < 1000:
            return f"{value / divisor:.1f}{suffix}"
    return f"{value / 1e12:.1f}T"


def upstream_text(channel: Channel) -> str:
    """The server's pending upstream changes as "+3 −1", "none" when it checks and found nothing,
    "" when it does not check this channel."""
    watch = channel.upstream
    if watch is None or not (watch.pending or watch.checks):
        return ""
    if not watch.pending:
        return "none"
    return f"+{len(watch.added)} −{len(watch.removed)}"


def format_balance(balance: float | None) -> str:
    """A balance in USD with two decimals; empty when the server has none."""
    return "" if balance is None else f"${balance:,.2f}"


CELL_TEXT: dict[str, Callable[[Channel, float], str]] = {
    "id": lambda c, now: str(c.id),
    "name": lambda c, now: f"{c.name} [{c.enabled_key_count}/{c.key_count} keys]" if c.is_multi_key else c.name,
    "type": lambda c, now: c.type.name,
    "status": lambda c, now: c.status.label,
    "models": lambda c, now: "all" if c.all_models else str(c.model_count),
    "auto_sync": lambda c, now: "" if c.auto_sync is None else ("on" if c.auto_sync else "off"),
    "upstream": lambda c, now: upstream_text(c),
    "group": lambda c, now: ",".join(c.groups),
    "priority": lambda c, now: "" if c.priority is None else str(c.priority),
    "weight": lambda c, now: "" if c.weight is None else str(c.weight),
    "tag": lambda c, now: c.tag or "",
    "base_url": lambda c, now: shown_url(c.base_url),
    "balance": lambda c, now: format_balance(c.balance),
    "response_time": lambda c, now: format_duration_ms(c.response_time_ms),
    "test_time": lambda c, now: relative_time(c.test_time, now),
    "used_quota": lambda c, now: format_compact(c.used_quota),
    "success_rate": lambda c, now: "" if c.success_rate is None else f"{c.success_rate:.1%}",
    "cost": lambda c, now: "" if c.cost is None else f"{c.cost:,.2f}",
}
"""The text a table cell shows, per column: `CELL_TEXT[column](channel, now)`."""
