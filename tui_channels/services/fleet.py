"""The fleet: every configured site at once, as one list of channels keyed by (site, id).

A `Fleet` is a view over the sites' own `SiteSession`s, not a copy: it loads the sites that are
not loaded yet, all at once, each with its own progress and its own outcome (a site that fails
keeps its error and does not hold up the others), and lists their channels together. It keeps
the fleet's own filters, sort, cursor and selection, apart from each site's.

Two sites may both have a channel 7, so a row of the fleet is a `ChannelRef` (site, id), and
`locate` turns a set of rows back into each site's session and channels: every action on a
fleet selection goes to each channel's own site, through that site's backend. `SiteSession`
offers the same `rows` / `locate` for one site, so the main screen works over either.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress

from ..backends.base import Capabilities, Operation
from ..errors import ChannelsError
from ..models import Channel
from .channel_view import ChannelRef, RowKey, ViewState
from ..wording import aside, plural
from .sites import LoadState, SiteChannels, SiteSession

FLEET_NAME = "All sites"
"""What the site bar, the switcher and the messages call the fleet."""

SITE_ALL = "all"
"""`tui-channels --site all` opens the fleet; no site can be added under this name."""


def spread(targets: Sequence[SiteChannels]) -> str:
    """"12 channels on 3 sites", "1 channel on demo-newapi": how far an action reaches."""
    count = sum(len(t.channels) for t in targets)
    noun = "channel" if count == 1 else "channels"
    sites = [t.name for t in targets if t.channels]
    where = f"on {sites[0]}" if len(sites) == 1 else f"on {len(sites)} sites"
    return f"{count:,} {noun} {where}"


def split_by_support(
    targets: Sequence[SiteChannels], operation: Operation
) -> tuple[list[SiteChannels], list[tuple[SiteChannels, str]]]:
    """The targets whose site can do `operation`, and the others with the reason they cannot (a
    read-only site can do no write: its capabilities leave every write out). An action that writes
    splits its targets so before it asks, so that its confirmation counts only what it will write."""
    able: list[SiteChannels] = []
    unable: list[tuple[SiteChannels, str]] = []
    for target in targets:
        capabilities = target.session.capabilities
        if capabilities is None:
            unable.append((target, f"{target.name} is not connected"))
        elif capabilities.supports(operation):
            able.append(target)
        else:
            unable.append((target, capabilities.unsupported_reason(operation)))
    return able, unable


def left_out(unable: Sequence[tuple[SiteChannels, str]]) -> str:
    """What an action over several sites leaves out, one line per site with the reason (a read-only
    site, a server without the operation), for its confirmation or report; "" when nothing is."""
    return "\n".join(
        f"Left out: {plural(len(target.channels), 'channel')} on {target.name} {aside(reason)}."
        for target, reason in unable
        if target.channels
    )


def fleet_summary(fleet: Fleet) -> str:
    """The site bar's line for the fleet: how many sites, and how many load or failed."""
    count = len(fleet.sessions)
    parts = [f"{count} site{'' if count == 1 else 's'}"]
    loading = sum(s.state is LoadState.LOADING for s in fleet.sessions)
    failed = len(fleet.failed_sites())
    if loading:
        parts.append(f"{loading} loading")
    if failed:
        parts.append(f"{failed} failed")
    return " · ".join(parts)


LoadProgress = Callable[[SiteSession, int, int | None], None]
"""Called as a site's pages arrive: (session, channels so far, total if the server says)."""


class Fleet:
    """Every site's session, seen as one channel list; see the module docstring."""

    name = FLEET_NAME

    def __init__(self, sessions: Sequence[SiteSession] = ()) -> None:
        self.sessions: list[SiteSession] = list(sessions)
        self.view = ViewState(sort_column="site")
        self.cursor_id: RowKey | None = None
        self.selected: set[RowKey] = set()
        self.progress: dict[str, tuple[int, int | None]] = {}
        """Per site being loaded: (channels so far, total if known)."""

    def set_sessions(self, sessions: Sequence[SiteSession]) -> None:
        """Follow the configured sites (one was added, removed or edited); drops rows of gone sites."""
        self.sessions = list(sessions)
        names = {s.name for s in self.sessions}
        self.selected = {k for k in self.selected if isinstance(k, ChannelRef) and k.site in names}

    # -- state ---------------------------------------------------------------------------------

    @property
    def state(self) -> LoadState:
        """LOADING while any site loads; READY once every site has an outcome (some may have failed)."""
        states = {s.state for s in self.sessions}
        if LoadState.LOADING in states:
            return LoadState.LOADING
        if LoadState.IDLE in states and not self.channel_count:
            return LoadState.IDLE
        if states and states <= {LoadState.FAILED, LoadState.AUTH_FAILED}:
            return LoadState.FAILED
        return LoadState.READY

    @property
    def channels(self) -> list[Channel]:
        """Every loaded channel of every site, site by site (ids repeat across sites)."""
        return [c for s in self.sessions for c in s.channels]

    @property
    def channel_count(self) -> int:
        return sum(len(s.channels) for s in self.sessions)

    def failed_sites(self) -> list[SiteSession]:
        """Sites whose last load failed (they may still show channels from an earlier load)."""
        return [s for s in self.sessions if s.state in (LoadState.FAILED, LoadState.AUTH_FAILED)]

    def pending_sites(self) -> list[SiteSession]:
        """Sites that are loading or were never loaded."""
        return [s for s in self.sessions if s.state in (LoadState.LOADING, LoadState.IDLE)]

    # -- rows ----------------------------------------------------------------------------------

    def rows(self) -> tuple[list[Channel], list[str] | None]:
        """The table's rows: every channel, and the site of each (the fleet keys rows by site)."""
        channels: list[Channel] = []
        sites: list[str] = []
        for session in self.sessions:
            channels.extend(session.channels)
            sites.extend([session.name] * len(session.channels))
        return channels, sites

    def key_of(self, session: SiteSession, channel: Channel) -> RowKey:
        return ChannelRef(session.name, channel.id)

    def session(self, name: str) -> SiteSession | None:
        return next((s for s in self.sessions if s.name == name), None)

    def session_of(self, key: RowKey) -> SiteSession | None:
        """The session of the site a row belongs to."""
        return self.session(key.site) if isinstance(key, ChannelRef) else None

    def capabilities_of(self, key: RowKey) -> Capabilities | None:
        session = self.session_of(key)
        return session.capabilities if session is not None else None

    def capabilities_loaded(self) -> list[Capabilities]:
        """The capabilities of every connected site (what the columns and filters offer)."""
        return [c for c in (s.capabilities for s in self.sessions) if c is not None]

    def locate(self, keys: Iterable[RowKey]) -> list[SiteChannels]:
        """The rows `keys` as each site's channels, in site order; rows no longer loaded are left out."""
        wanted: dict[str, set[int]] = {}
        for key in keys:
            if isinstance(key, ChannelRef):
                wanted.setdefault(key.site, set()).add(key.id)
        found = []
        for session in self.sessions:
            ids = wanted.get(session.name)
            if ids:
                channels = tuple(c for c in session.channels if c.id in ids)
                if channels:
                    found.append(SiteChannels(session, channels))
        return found

    def by_site(self, rows: Iterable[tuple[str | None, Channel]]) -> list[SiteChannels]:
        """(site, channel) pairs, such as a filtered view, grouped into each site's channels."""
        grouped: dict[str, list[Channel]] = {}
        for site, channel in rows:
            if site is not None:
                grouped.setdefault(site, []).append(channel)
        return [SiteChannels(s, tuple(grouped[s.name])) for s in self.sessions if grouped.get(s.name)]

    def everything(self) -> list[SiteChannels]:
        return [SiteChannels(s, tuple(s.channels)) for s in self.sessions if s.channels]

    # -- loading -------------------------------------------------------------------------------

    async def load(
        self,
        *,
        reload: bool = False,
        on_progress: LoadProgress | None = None,
        on_loaded: Callable[[SiteSession], None] | None = None,
    ) -> None:
        """Load every site at once (with `reload`, also those already loaded).

        Each site reports its own progress and, when it ends, `on_loaded` (whatever the outcome:
        the session's `state` and `error` say it). A site that fails never stops the others;
        cancelling stops them all, and the sites already loaded keep their channels.
        """
        wanted = [
            s for s in self.sessions if reload or s.state in (LoadState.IDLE, LoadState.LOADING)
        ]

        async def one(session: SiteSession) -> None:
            self.progress[session.name] = (0, None)

            def progressed(done: int, total: int | None) -> None:
                self.progress[session.name] = (done, total)
                if on_progress is not None:
                    on_progress(session, done, total)

            try:
                with suppress(ChannelsError):  # the session keeps the error, shown in place
                    await session.load(progressed)
            finally:
                self.progress.pop(session.name, None)
            if on_loaded is not None:
                on_loaded(session)

        await asyncio.gather(*(one(session) for session in wanted))
