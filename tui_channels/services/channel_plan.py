"""Channels to create on one site, previewed before anything is written, then created in a batch.

Key import, restore and copy all end the same way: a list of planned channels, each ready, already
present (a channel with the same name, or the same base URL and key, exists) or blocked (with the
reason), which the user reviews and fixes (models, keys, "create anyway") before confirming. The
creation runs through the batch engine, one result per planned channel: created, skipped (with its
state) or failed.

Duplicates by base URL and key are only found where the site returns keys: Octopus does, New API
never does, so on New API a planned channel can only be matched by name. (New API's search would
match a key exactly, but only with the key in the URL, where proxies and access logs keep it.)
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..backends.base import Backend, Capabilities
from ..models import Channel, ChannelSpec, split_list
from . import base_urls
from ..wording import plural
from .batch import BatchSettings, succeeded
from .channel_mapping import several_keys_problem
from .creation import CreatedNotAsAsked, create_channel
from .recorder import acting
from .results import ChannelResult, Outcome


class RowState(str, enum.Enum):
    READY = "ready"
    PRESENT = "already present"
    BLOCKED = "blocked"


@dataclass
class PlannedChannel:
    """One channel a plan would create, and everything that decides whether it will be."""

    position: int
    spec: ChannelSpec
    origin: str
    """Where it comes from, for the preview: a key's source and name, or a channel and its site."""
    problem: str = ""
    """Blocks creation outright: no base URL, no key, a type the target lacks."""
    duplicate: str = ""
    """Why it is already present (the matching channel), or ""."""
    force: bool = False
    """The user chose to create it although a matching channel exists."""
    models_error: str = ""
    """Why the model list is empty (the upstream refused the key, the site cannot fetch…)."""
    losses: tuple[str, ...] = ()
    """What of the original cannot be carried to the target (copy and restore)."""
    needs_key: bool = False
    """The original's key is unknown (New API never returns keys): the user must supply it."""
    key_left_out: bool = False
    """The key is unknown because the file it comes from was exported without keys."""
    models_optional: bool = False
    """The target takes a channel without models (Claude Code Hub: it then serves every model)."""
    key_count: int = 1
    """How many keys the user supplies: a multi-key pool recreated as a pool needs all of them."""
    capabilities: Capabilities | None = field(default=None, repr=False)
    """The target's capabilities, for the rule on several keys (set by `ChannelPlan.build`)."""

    @property
    def state(self) -> RowState:
        if not self.problem and self.duplicate and not self.force:
            return RowState.PRESENT
        return RowState.BLOCKED if self.reason else RowState.READY

    @property
    def reason(self) -> str:
        """Why the row is not ready, or "" when it is."""
        if self.problem:
            return self.problem
        if self.duplicate and not self.force:
            return self.duplicate
        if self.needs_key and not self.spec.key:
            if self.key_count > 1:
                keys = plural(self.key_count, "key")
                why = "the file has no keys (exported without --with-keys)"
                if not self.key_left_out:
                    why = "the server never returns keys"
                return f"{why}, so supply the pool's {keys}, separated by spaces"
            if self.key_left_out:
                return "the file has no key (exported without --with-keys), so supply it"
            return "the server never returns this channel's key, so supply it"
        several = several_keys_problem(self.capabilities, self.spec) if self.capabilities else ""
        if several:
            return several
        if not self.spec.models and (self.models_error or not self.models_optional):
            return f"no models ({self.models_error or 'none listed'}): type them"
        return ""

    @property
    def will_create(self) -> bool:
        return self.state is RowState.READY


def channel_keys(channel: Channel) -> set[str]:
    """Every key a loaded channel is known to hold (legacy Octopus channels may hold several)."""
    keys = {str(k.get("channel_key")) for k in channel.raw.get("keys") or [] if isinstance(k, Mapping)}
    if channel.key:
        keys.add(channel.key)
    return {k for k in keys if k}


def channel_urls(channel: Channel) -> set[str]:
    """Every base URL a loaded channel uses, an empty one standing for its type's default."""
    urls = {str(u.get("url")) for u in channel.raw.get("base_urls") or [] if isinstance(u, Mapping)}
    urls.add(channel.base_url or channel.type.default_base_url)
    return {base_urls.comparable(u) for u in urls if u}


class DuplicateIndex:
    """Existing channels by name and by (normalised base URL, key), for the "already present" check."""

    def __init__(self, channels: Iterable[Channel]) -> None:
        self._names: dict[str, Channel] = {}
        self._pairs: dict[tuple[str, str], Channel] = {}
        for channel in channels:
            self._names.setdefault(channel.name, channel)
            for url in channel_urls(channel):
                for key in channel_keys(channel):
                    self._pairs.setdefault((url, key), channel)

    def match(self, name: str, url: str, key: str) -> str:
        """Why a channel with this name, base URL and key is already present, or ""."""
        pair = (base_urls.comparable(url), key) if url and key else None
        same = self._pairs.get(pair) if pair else None
        if same is not None:
            return f"channel #{same.id} {same.name!r} has the same base URL and key"
        named = self._names.get(name)
        if named is not None:
            return f"a channel named {name!r} exists (#{named.id})"
        return ""


@dataclass
class ChannelPlan:
    """The planned channels for one target site, in the order they were given."""

    title: str
    site: str
    capabilities: Capabilities
    rows: list[PlannedChannel]
    index: DuplicateIndex = field(repr=False)
    action: str = "create"
    """What creating the rows is, for the history journal: import, restore, copy."""

    @classmethod
    def build(
        cls,
        title: str,
        site: str,
        capabilities: Capabilities,
        rows: list[PlannedChannel],
        existing: Iterable[Channel],
        *,
        action: str = "create",
    ) -> ChannelPlan:
        """A plan with every row matched against the site's channels, then against earlier rows."""
        plan = cls(title, site, capabilities, rows, DuplicateIndex(existing), action)
        for row in rows:
            row.models_optional = capabilities.models_optional
            row.capabilities = capabilities
        names: dict[str, int] = {}
        pairs: dict[tuple[str, str], int] = {}
        for row in rows:
            plan.recheck(row)
            pair = (base_urls.comparable(plan.effective_url(row.spec)), row.spec.key)
            if not row.duplicate and row.spec.key and pair in pairs:
                row.duplicate = f"the same base URL and key as row {pairs[pair]} of this list"
            elif not row.duplicate and row.spec.name in names:
                row.duplicate = f"the same name as row {names[row.spec.name]} of this list"
            names.setdefault(row.spec.name, row.position)
            if row.spec.key:
                pairs.setdefault(pair, row.position)
        return plan

    def counts(self) -> dict[RowState, int]:
        return {state: sum(1 for row in self.rows if row.state is state) for state in RowState}

    def summary(self) -> str:
        return " · ".join(f"{count} {state.value}" for state, count in self.counts().items() if count) or "nothing"

    def effective_url(self, spec: ChannelSpec) -> str:
        return spec.base_url or self.capabilities.types.get(spec.type).default_base_url

    def recheck(self, row: PlannedChannel) -> None:
        """Match the row against the site's channels (again, after its key changed)."""
        row.duplicate = self.index.match(row.spec.name, self.effective_url(row.spec), row.spec.key)

    def set_models(self, row: PlannedChannel, models: str) -> None:
        row.spec.models = split_list(models)

    def supply_key(self, row: PlannedChannel, key: str) -> None:
        """The key the user typed; several keys (a pool's), separated by spaces or lines, become one
        key per line, which the row's rule on several keys then accepts or blocks."""
        row.spec.key = "\n".join(key.split())
        self.recheck(row)

    def placeholders(self) -> list[Channel]:
        """One stand-in channel per row for the batch engine; its id is the row's position."""
        types = self.capabilities.types
        return [
            Channel(id=row.position, name=row.spec.name, type=types.get(row.spec.type), status=row.spec.status)
            for row in self.rows
        ]

    def row(self, position: int) -> PlannedChannel:
        return self.rows[position - 1]


def creation_settings(settings: BatchSettings) -> BatchSettings:
    """A create is not idempotent: never repeat one the server may have carried out (429s are
    already retried by the transport before the server acts)."""
    return replace(settings, max_attempts=1, read_only=False)


class CreateRun:
    """The batch operation that creates a plan's channels; rows not ready come back skipped.

    The preview matched each row against the site's channels when it was built, and it may have
    stayed open a while: the site's channels are listed again once, right before the first create
    of the run, and a row a channel now matches (created meanwhile, by anyone) is left alone with
    the reason, as already present. A row the user chose to create anyway is created.

    The history journal names each create by the plan's action, or as an undo of `undoes`.
    """

    def __init__(self, backend: Backend, plan: ChannelPlan, *, undoes: int | None = None) -> None:
        self.backend = backend
        self.plan = plan
        self.undoes = undoes
        self.created: dict[int, Channel] = {}
        self._listing: asyncio.Future[DuplicateIndex] | None = None

    async def _present_now(self, row: PlannedChannel) -> str:
        """Why a channel on the site now matches the row (listed once per run), or ""."""
        if row.force:
            return ""
        if self._listing is None:
            self._listing = asyncio.ensure_future(self._index())
        index = await asyncio.shield(self._listing)
        return index.match(row.spec.name, self.plan.effective_url(row.spec), row.spec.key)

    async def _index(self) -> DuplicateIndex:
        return DuplicateIndex(await self.backend.list_channels())

    async def __call__(self, placeholder: Channel) -> ChannelResult:
        row = self.plan.row(placeholder.id)
        done = self.created.get(row.position)
        if done is not None:
            earlier = succeeded(placeholder, f"created earlier as channel #{done.id}", value=done.id)
            return _with_state(earlier, "created")
        if not row.will_create:
            message = f"{row.state.value}: {row.reason}"
            skipped = ChannelResult(placeholder.id, placeholder.name, Outcome.SKIPPED, message)
            return _with_state(skipped, row.state.value)
        present = await self._present_now(row)
        if present:
            message = f"{RowState.PRESENT.value}: {present} (it appeared after the preview), left alone"
            skipped = ChannelResult(placeholder.id, placeholder.name, Outcome.SKIPPED, message)
            return _with_state(skipped, RowState.PRESENT.value)
        try:
            with acting("undo" if self.undoes is not None else self.plan.action, undoes=self.undoes):
                channel = await create_channel(self.backend, row.spec)
        except CreatedNotAsAsked as error:
            self.created[row.position] = error.channel
            raise
        self.created[row.position] = channel
        return _with_state(succeeded(placeholder, f"created as channel #{channel.id}", value=channel.id), "created")


def _with_state(result: ChannelResult, state: str) -> ChannelResult:
    extra: dict[str, Any] = {**result.extra, "state": state}
    return replace(result, extra=extra)


def all_done(results: Iterable[ChannelResult]) -> bool:
    """The CLI's exit rule: every row created, or skipped because it was already present."""
    return all(r.ok or r.extra.get("state") == RowState.PRESENT.value for r in results)
