"""Set or clear the tag of many channels (New API), one channel per request so each has a result."""

from __future__ import annotations

from dataclasses import replace

from ..backends.base import Backend
from ..models import Channel
from .batch import Operation, succeeded
from .results import ChannelResult, Outcome


def tag_operation(backend: Backend, tag: str | None) -> Operation:
    """Give one channel `tag` (None or "" clears it); the result's value is the tag set."""
    tag = (tag or "").strip() or None

    async def set_tag(channel: Channel) -> ChannelResult:
        await backend.set_tag([channel.id], tag)
        return succeeded(channel, f"tag set to {tag}" if tag else "tag cleared", value=tag)

    return set_tag


def with_tag(channel: Channel, result: ChannelResult) -> Channel:
    """The channel with the tag a successful result set."""
    if result.outcome is not Outcome.OK:
        return channel
    return replace(channel, tag=result.value)
