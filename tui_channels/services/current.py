"""The channels as the server holds them now, read just before a write, an undo or its check.

A table row is what the server held when the list loaded: since then another admin may have
edited, disabled or deleted the channel, or the gateway auto-disabled it. Every write that changes
or deletes existing channels starts from a read here, never from the rows: an enable or disable
plans from the statuses read, an edit applies the user's fields onto the record read, a delete
trashes the record read. Read through the site's journalling backend, the read is also what the
journal's "before" values come from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from ..backends.base import Backend
from ..errors import NotFound
from ..models import Channel

READ_ONE_BY_ONE = 10
"""Up to this many channels are read one by one (a GET each); more are read with one listing."""


async def read_current(backend: Backend, channel_ids: Iterable[int]) -> dict[int, Channel]:
    """The channels as the server holds them now, by id (one GET each, or one listing for more than
    `READ_ONE_BY_ONE`); a channel no longer there is left out. Raises the backend's `BackendError`
    when the server cannot be read."""
    channel_ids = list(dict.fromkeys(channel_ids))
    if len(channel_ids) > READ_ONE_BY_ONE:
        wanted = set(channel_ids)
        return {c.id: c for c in await backend.list_channels() if c.id in wanted}
    found = {}
    for channel_id in channel_ids:
        try:
            found[channel_id] = await backend.get_channel(channel_id)
        except NotFound:
            continue
    return found


class SharedRead:
    """One `read_current` of a batch's channels, made when the first of them asks (right before
    the batch's first write, after any confirmation) and shared by the others, which run
    concurrently. A read that failed is made again by the next caller, so the batch engine's retry
    of a channel reads the server again rather than meeting the old error."""

    def __init__(self, backend: Backend, channel_ids: Iterable[int]) -> None:
        self._backend = backend
        self._ids = list(dict.fromkeys(channel_ids))
        self._reading: asyncio.Future[dict[int, Channel]] | None = None

    async def get(self, channel_id: int) -> Channel | None:
        """The channel as the server holds it now, or None once it is gone. Raises what the read raised."""
        reading = self._reading
        if reading is None or (reading.done() and (reading.cancelled() or reading.exception() is not None)):
            self._reading = asyncio.ensure_future(read_current(self._backend, self._ids))
        return (await asyncio.shield(self._reading)).get(channel_id)

