"""Full keys for channels whose listed key is masked, where the server reveals them on request.

Claude Code Hub lists masked keys only and answers the full key from its reveal route. Wherever
this app keeps or carries a channel (the trash before a delete, an export with keys, a copy to
another site), it reads the keys first, so a restore or a copy does not ask the user for them.
Backends that return keys already (Octopus) or never (New API) are left as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from ..backends.base import Backend, Operation
from ..errors import ChannelsError, NotFound
from ..models import Channel
from ..wording import aside


class KeyRevealFailed(ChannelsError):
    title = "Could not read a key"


async def with_keys(backend: Backend, channels: Sequence[Channel], *, concurrency: int = 4) -> list[Channel]:
    """`channels` with their stored keys, in the same order; a channel deleted meanwhile keeps none.

    Raises `KeyRevealFailed` when the server refuses to reveal a key, naming the channel, so the
    caller can stop before it deletes or writes anything without it.
    """
    if not backend.capabilities.supports(Operation.REVEAL_KEY):
        return list(channels)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(channel: Channel) -> Channel:
        if channel.key:
            return channel
        async with limit:
            try:
                key = await backend.reveal_key(channel.id)  # type: ignore[attr-defined]
            except NotFound:
                return channel
            except ChannelsError as error:
                raise KeyRevealFailed(
                    f"Could not read the key of #{channel.id} {channel.name} {aside(error.message)}. Nothing was done."
                ) from None
        return replace(channel, key=key)

    return list(await asyncio.gather(*(one(channel) for channel in channels)))
