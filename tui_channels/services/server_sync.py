"""The server's own model sync (Octopus): run it, reload, and report what it changed per channel.

Octopus syncs the models of its `auto_sync` channels itself and answers only when it has finished
(docs/contracts/octopus-groups.md §6). It reports at most its first failure, so the report here
comes from comparing the channel list before and after the run: every channel that takes part gets
a result, the changed ones with their added and removed models.

An upstream that refuses the key answers Octopus with an empty list, and the server's sync then
writes that empty list over the channel's synced models (v0.9.28 and v0.11.0 `task/sync.go`). So
the upstream of every channel that takes part is asked first, and a sync that would empty a channel
is not started (`WouldEmpty`), as this app's own sync never leaves a channel without models.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from ..backends.base import Backend
from ..errors import ChannelsError
from ..models import Channel
from ..wording import plural
from .batch import failed, skipped, succeeded
from .results import ChannelResult
from .sync import diff_text
from .upstream_models import EMPTY_UPSTREAM, EmptyUpstream, channel_models

PREFLIGHT_CONCURRENCY = 4
"""Upstreams asked at once before the server's sync."""


class WouldEmpty(ChannelsError):
    """The server's sync was not started: it would empty the synced models of these channels."""

    title = "Sync not started"

    def __init__(self, channels: Sequence[Channel]) -> None:
        names = ", ".join(f"{c.name} (#{c.id})" for c in channels)
        super().__init__(
            f"The server's sync would remove every synced model from {names}: {EMPTY_UPSTREAM}. "
            "Fix the key or base URL, or turn the channel's auto sync off, then sync again; nothing was changed."
        )
        self.channels = list(channels)


@dataclass(frozen=True, slots=True)
class ServerSyncReport:
    """What one run did: a result per channel taking part, and the server's own failure message."""

    results: list[ChannelResult]
    problem: str | None

    @property
    def changed(self) -> list[ChannelResult]:
        return [r for r in self.results if r.ok and set(r.old_models or ()) != set(r.new_models or ())]

    def describe(self) -> str:
        """One line: how many channels took part and changed, and the models added and removed."""
        changed = self.changed
        added = sum(len(r.added_models) for r in changed)
        removed = sum(len(r.removed_models) for r in changed)
        line = (
            f"{len(changed):,} of {plural(len(self.results), 'auto-sync channel')} changed: +{added:,} −{removed:,} models"
            if self.results
            else "no channel has auto sync on, so the server had nothing to sync"
        )
        return f"{line}; the server reported: {self.problem}" if self.problem else line


def participants(channels: Sequence[Channel]) -> list[Channel]:
    """The channels the server's sync works on: those with auto sync on."""
    return [c for c in channels if c.auto_sync]


def named_failure(problem: str | None, channels: Sequence[Channel]) -> tuple[Channel, str] | None:
    """The channel the server's failure names and the reason it gives, if it names one.

    The current generation says `failed to <step> for channel <name>: <reason>` (task/sync.go);
    names may hold `: ` too, so the longest name that fits wins.
    """
    if not problem:
        return None
    fits = [c for c in channels if f" for channel {c.name}: " in problem]
    if not fits:
        return None
    channel = max(fits, key=lambda c: len(c.name))
    return channel, problem.split(f" for channel {channel.name}: ", 1)[1]


def sync_report(before: Sequence[Channel], after: Sequence[Channel], problem: str | None) -> ServerSyncReport:
    """Compare the auto-sync channels before and after a run; the one the server names as failed fails."""
    now = {c.id: c for c in after}
    taking_part = participants(before)
    named = named_failure(problem, taking_part)
    results = []
    for old in taking_part:
        new = now.get(old.id)
        if new is None:
            results.append(skipped(old, "deleted while the server synced"))
        elif named is not None and old.id == named[0].id:
            results.append(failed(old, f"the server could not sync it: {named[1]}"))
        else:
            message = diff_text(old.models, new.models)
            results.append(succeeded(new, message, old_models=old.models, new_models=new.models))
    return ServerSyncReport(results, problem)


async def listing_nothing(backend: Backend, channels: Sequence[Channel]) -> list[Channel]:
    """The auto-sync channels whose upstream lists no models now; a fetch that fails otherwise is left
    to the server, which skips such a channel without writing anything."""
    gate = asyncio.Semaphore(PREFLIGHT_CONCURRENCY)

    async def lists_nothing(channel: Channel) -> bool:
        async with gate:
            try:
                await channel_models(backend, channel)
            except EmptyUpstream:
                return True
            except ChannelsError:
                return False
            return False

    taking_part = participants(channels)
    empty = await asyncio.gather(*(lists_nothing(c) for c in taking_part))
    return [c for c, nothing in zip(taking_part, empty) if nothing]


async def run_server_sync(backend: Backend) -> ServerSyncReport:
    """Ask the server to sync, wait for it to finish, and report per channel from the lists before and after.

    Raises `WouldEmpty` (before the server is asked) when the upstream of a channel that takes part
    lists no models, and the backend's errors: `NotSupported` on a server without its own sync,
    `RequestRejected` while a run is already in progress.
    """
    before = await backend.list_channels()
    emptied = await listing_nothing(backend, before)
    if emptied:
        raise WouldEmpty(emptied)
    problem = await backend.server_sync()  # type: ignore[attr-defined]
    return sync_report(before, await backend.list_channels(), problem)
