"""Site sessions: one connected backend per configured site, with the state the UI keeps for it.

Switching sites must feel instant and come back to where the user left: each `SiteSession` keeps
its backend connection, its loaded channels and its view (filters, sort, cursor, selection) for
as long as the app runs. Nothing here imports Textual; the screens drive it from workers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..backends.registry import create_backend, family_of
from ..backends.base import Backend, Capabilities, Operation, ProgressCallback
from ..backends.ratelimit import RequestBudget
from ..config import SiteProfile
from ..errors import AuthError, ChannelsError, InvalidSecret, PermissionDenied, SecretStoreError, describe
from ..model_groups import ModelGroup
from ..models import Channel
from ..secret_store import SecretStore
from .channel_view import RowKey, ViewState
from .recorder import JournaledBackend
from .status_change import LastChange


def server_label(profile: SiteProfile, capabilities: Capabilities | None = None) -> str:
    """What a site runs, as every screen and command names it: the server its connection detected
    (`Capabilities.flavor_label`: Veloera, One API, Done Hub…), else the flavor its profile pins,
    else every server of its family ("New API / One API / Veloera"): never a Veloera site as "New
    API" because its profile's kind is the New API family's."""
    if capabilities is not None:
        return capabilities.flavor_label
    return family_of(profile.kind).server_label(profile.flavor)

class LoadState(enum.Enum):
    """Where a site's channel list stands, each with its own empty state on screen."""

    IDLE = "idle"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    AUTH_FAILED = "auth_failed"


@dataclass
class SiteSession:
    """A site's backend, channels and remembered view state.

    It is also what the main screen shows when it shows one site: `rows`, `key_of`, `session_of`
    and `locate` are the same as the fleet's (`services.fleet.Fleet`), with rows keyed by id.
    """

    profile: SiteProfile
    secrets: SecretStore
    backend: Backend | None = None
    channels: list[Channel] = field(default_factory=list)
    state: LoadState = LoadState.IDLE
    error: ChannelsError | None = None
    warnings: list[str] = field(default_factory=list)
    """Records the last load skipped, one line each (see `Backend.list_warnings`)."""
    view: ViewState = field(default_factory=ViewState)
    cursor_id: int | None = None
    selected: set[int] = field(default_factory=set)
    last_status_change: LastChange | None = None
    """The last enable / disable made from the app on this site, for its undo (ctrl+z)."""
    read_only_run: bool = False
    """The whole run is read-only (`--read-only`), whatever the profile says."""
    server_synced_at: datetime | None = None
    """When the server's own model sync last ended (Octopus), read with every load; None if unknown."""
    groups: list[ModelGroup] | None = None
    """The site's model groups (Octopus), read with every load; None where there are none or unknown."""
    groups_error: ChannelsError | None = None
    generation: int = 0
    """Goes up each time `channels` is replaced (a load, a delete), so a view can tell it is stale."""
    budget: RequestBudget | None = None
    """The site's request budget while connected: it keeps what the server's 429s taught it."""
    _positions: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    """Where each channel id is in `channels`, for `replace_channel`."""
    _indexed: tuple[list[Channel] | None, int] = field(default=(None, 0), repr=False, compare=False)
    """The list `_positions` indexes, and its length then."""

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def read_only_reason(self) -> str | None:
        """Why nothing may be written to this site (its profile, or a read-only run), or None."""
        if self.profile.read_only:
            return f"read-only: {self.name} is marked read-only in its profile"
        if self.read_only_run:
            return "read-only: this run was started with --read-only"
        return None

    @property
    def capabilities(self) -> Capabilities | None:
        """The server's capabilities; on a read-only site without any operation that writes."""
        if self.backend is None:
            return None
        try:
            capabilities = self.backend.capabilities
        except RuntimeError:
            return None
        reason = self.read_only_reason
        return capabilities.read_only(reason) if reason else capabilities

    async def connect(self) -> Backend:
        """The connected backend, connecting (and detecting the protocol) on first use.

        It journals every write it sends in the site's history journal (`recorder`), whoever asks.
        """
        if self.backend is not None and self.capabilities is not None:
            return self.backend
        secret = self.secrets.require(self.profile.name)
        budget = self.budget if self.budget is not None else request_budget(self.profile)
        try:
            client = create_backend(self.profile, secret, budget=budget)
            backend = JournaledBackend(client, self.profile.name, read_only=lambda: self.read_only_reason)
        except InvalidSecret as error:
            raise InvalidSecret(f"{error.message} {self.secrets.fix_hint(self.profile.name)}") from None
        try:
            capabilities = await backend.connect()
        except BaseException:
            await backend.close()
            raise
        if budget is not None and capabilities.api_rate_limit is not None:
            budget.adopt(*capabilities.api_rate_limit)
        self.backend, self.budget = backend, budget
        return backend

    async def load(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        """Connect if needed and load every channel; the outcome is kept in `state` and `error`.

        Raises a `ChannelsError`; an unexpected error (a bug) becomes one too, described in one
        line (`errors.describe`), so a screen or a command shows it like any failed load.
        """
        self.state = LoadState.LOADING
        self.error = None
        try:
            backend = await self.connect()
            channels = await backend.list_channels(on_progress)
        except (AuthError, PermissionDenied, SecretStoreError) as error:
            self.state, self.error = LoadState.AUTH_FAILED, error
            await self.disconnect()
            raise
        except ChannelsError as error:
            self.state, self.error = LoadState.FAILED, error
            raise
        except Exception as error:
            title, message = describe(error)
            self.state, self.error = LoadState.FAILED, ChannelsError(message, title=title)
            raise self.error from None
        except BaseException:
            self.state = LoadState.READY if self.channels else LoadState.IDLE
            raise
        self.channels = channels
        self.warnings = list(backend.list_warnings)
        self.generation += 1
        self.state = LoadState.READY
        self.selected &= {c.id for c in channels}
        await self._read_extras(backend)
        return channels

    async def _read_extras(self, backend: Backend) -> None:
        """What the app shows beside the channels: the last server sync, the groups. A failure here
        leaves the sync time out and keeps the groups' error for the screens that need them."""
        capabilities = backend.capabilities
        if capabilities.supports(Operation.SERVER_SYNC):
            try:
                self.server_synced_at = await backend.last_server_sync()  # type: ignore[attr-defined]
            except ChannelsError:
                self.server_synced_at = None
        if capabilities.supports(Operation.MODEL_GROUPS):
            await self.load_groups()

    async def load_groups(self) -> list[ModelGroup]:
        """Read the site's groups again; on failure keep the error and return what was known."""
        backend = await self.connect()
        try:
            self.groups = await backend.list_model_groups()  # type: ignore[attr-defined]
        except ChannelsError as error:
            self.groups_error = error
            return self.groups or []
        self.groups_error = None
        return self.groups

    # -- as what the main screen shows ------------------------------------------------------

    @property
    def sessions(self) -> list[SiteSession]:
        """The sites shown: this one (the fleet shows several)."""
        return [self]

    def capabilities_of(self, key: RowKey) -> Capabilities | None:
        return self.capabilities

    def rows(self) -> tuple[list[Channel], list[str] | None]:
        """The table's rows: this site's channels (no site per row: they are keyed by id)."""
        return self.channels, None

    def key_of(self, session: SiteSession, channel: Channel) -> RowKey:
        return channel.id

    def session_of(self, key: RowKey) -> SiteSession | None:
        return self if isinstance(key, int) else None

    def locate(self, keys: Iterable[RowKey]) -> list[SiteChannels]:
        """The channels with these ids, as this site's target of an action (empty when none is loaded)."""
        wanted = {k for k in keys if isinstance(k, int)}
        channels = tuple(c for c in self.channels if c.id in wanted)
        return [SiteChannels(self, channels)] if channels else []

    def everything(self) -> list[SiteChannels]:
        return [SiteChannels(self, tuple(self.channels))] if self.channels else []

    def by_site(self, rows: Iterable[tuple[str | None, Channel]]) -> list[SiteChannels]:
        channels = tuple(channel for _site, channel in rows)
        return [SiteChannels(self, channels)] if channels else []

    def replace_channel(self, channel: Channel) -> None:
        """Keep the session's copy in step with a channel the UI just changed.

        A batch calls this for each result: the channel's row is found through an index by id, not
        by a walk of every channel (that cost O(results x channels) on a big site). The index is
        built again when the list was replaced or resized by another path (a load, a delete).
        """
        indexed, length = self._indexed
        if indexed is not self.channels or length != len(self.channels):
            self._positions = {}
            for number, existing in enumerate(self.channels):
                self._positions.setdefault(existing.id, number)
        position = self._positions.get(channel.id)
        if position is None:
            self._positions[channel.id] = len(self.channels)
            self.channels.append(channel)
        else:
            self.channels[position] = channel
        self._indexed = (self.channels, len(self.channels))

    def forget_channels(self, channel_ids: set[int]) -> None:
        self.channels = [c for c in self.channels if c.id not in channel_ids]
        self.generation += 1
        self.selected -= channel_ids

    async def disconnect(self) -> None:
        if self.backend is not None:
            backend, self.backend = self.backend, None
            await backend.close()


@dataclass(frozen=True, slots=True)
class SiteChannels:
    """Channels of one site that an action applies to, with the session that reaches the site."""

    session: SiteSession
    channels: tuple[Channel, ...]

    @property
    def name(self) -> str:
        return self.session.name


def request_budget(profile: SiteProfile) -> RequestBudget | None:
    """The site's request budget, shared by every request the backend sends; None when off.

    Until the server's generation is known it is the family's lowest stock limit; a limit set in
    the profile is pinned (the detected generation does not replace it).
    """
    limit = profile.budget_limit
    if not limit:
        return None
    return RequestBudget(
        limit, profile.budget_window, pinned=profile.request_budget is not None, max_wait=profile.max_wait
    )


class SiteSessions:
    """Every site's session, created on first use and kept until the app ends; with `read_only`
    (the run's `--read-only`) every session refuses writes."""

    def __init__(self, secrets: SecretStore, *, read_only: bool = False) -> None:
        self.secrets = secrets
        self.read_only = read_only
        self._sessions: dict[str, SiteSession] = {}

    def get(self, profile: SiteProfile) -> SiteSession:
        session = self._sessions.get(profile.name)
        if session is None:
            session = SiteSession(profile=profile, secrets=self.secrets, read_only_run=self.read_only)
            self._sessions[profile.name] = session
        return session

    def server_labels(self, profiles: Iterable[SiteProfile]) -> dict[str, str]:
        """What each site runs, by site name, as `server_label` says it (detected where the site
        has connected this run)."""
        labels = {}
        for profile in profiles:
            session = self._sessions.get(profile.name)
            labels[profile.name] = server_label(profile, session.capabilities if session else None)
        return labels

    async def discard(self, name: str) -> None:
        """Forget a site's session (its profile changed or it was removed) and close its backend."""
        session = self._sessions.pop(name, None)
        if session is not None:
            await session.disconnect()

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.disconnect()
