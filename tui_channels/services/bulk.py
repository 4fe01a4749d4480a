"""Bulk channel changes as batch operations: set status, delete, set tag.

Each function returns an `Operation` for `BatchRun`, so every bulk change gets the engine's pacing,
retries, cancellation and one `ChannelResult` per channel. The result's `value` is plain data (the
new status, the tag), never the channel record, so a results export never carries a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..backends.base import Backend
from ..errors import ChannelsError, NotFound
from ..models import Channel, ChannelStatus
from ..wording import plural
from . import trash
from .batch import Operation, failed, skipped, succeeded
from .current import SharedRead, read_current
from .results import ChannelResult
from .revealed_keys import with_keys
from .status_change import stays_as_is


def set_status(backend: Backend, enabled: bool, channels: Sequence[Channel]) -> Operation:
    """Enable, or manually disable, each of `channels` as the server holds it when the batch's first
    write is about to go (one read for all of them, `current.SharedRead`): never as the rows or a
    plan read before a confirmation show it, since another admin or the gateway may have changed it.
    A channel the server holds enabled already (or disabled, by hand or by the gateway) is skipped,
    not written: disabling an auto-disabled channel would stop the gateway re-enabling it. One gone
    from the server is skipped too. A written result's `extra["before"]` is the status the server
    held (a `ChannelStatus` value), which is what an undo sets back; a skipped one's `value` is the
    status the server holds, for the row to show."""
    wanted = ChannelStatus.ENABLED if enabled else ChannelStatus.MANUALLY_DISABLED
    current = SharedRead(backend, [c.id for c in channels])

    async def run(channel: Channel) -> ChannelResult:
        now = await current.get(channel.id)
        if now is None:
            return skipped(channel, "gone from the server since it was listed")
        if stays_as_is(now, enabled):
            return replace(skipped(now, f"already {now.status.label}"), value=now.status.value)
        await backend.set_status(channel.id, enabled)
        return succeeded(now, wanted.label, value=wanted.value, extra={"before": now.status.value})

    return run


def delete(backend: Backend) -> Operation:
    """Delete one channel per call; one that is already gone counts as deleted."""

    async def run(channel: Channel) -> ChannelResult:
        try:
            await backend.delete_channel(channel.id)
        except NotFound:
            return succeeded(channel, "already gone from the server")
        return succeeded(channel, "deleted")

    return run


async def trash_as_held(
    backend: Backend, channels: Sequence[Channel], *, site: str, reason: str = "delete"
) -> tuple[list[Channel], trash.Trashed]:
    """Before a delete: `channels` as the server holds them now (`current.read_current`), with the
    keys a server reveals only on request, written to the trash, never the rows listed earlier (a
    key or a proxy rotated since would be lost, and the delete's undo would bring back the old one).
    Returns them, those gone since left out (nothing to delete), and the trash records. Raises
    `KeyRevealFailed` or `TrashError` (delete nothing then), or the read's `BackendError`."""
    now = await read_current(backend, [c.id for c in channels])
    held = await with_keys(backend, [now[c.id] for c in channels if c.id in now])
    return held, trash.append(held, site=site, capabilities=backend.capabilities, reason=reason)


def not_deleted(trashed: trash.Trashed, result: ChannelResult) -> None:
    """Keep the trash true after one delete: a channel the server did not delete (refused, failed,
    cancelled before it ran) is marked, so restore never offers it. Raises `TrashError`."""
    entry = trashed.entries.get(result.channel_id)
    if not result.ok and entry is not None:
        trash.mark_not_deleted([entry], reason=result.message or result.outcome.value)


class MoreDisabledNow(ChannelsError):
    title = "Nothing was deleted"


async def disabled_now(backend: Backend, confirmed: Sequence[Channel]) -> list[Channel]:
    """The channels the server holds disabled now (listed again right before "delete every disabled
    channel", which deletes what the server holds disabled, not what the app listed), for the
    trash. Raises `MoreDisabledNow`, naming them, when the server holds disabled a channel the user
    did not confirm (disabled since the list loaded): nothing is deleted."""
    allowed = {c.id for c in confirmed}
    now = [c for c in await backend.list_channels() if c.status.is_disabled]
    extra = [c for c in now if c.id not in allowed]
    if extra:
        names = ", ".join(f"#{c.id} {c.name}" for c in extra[:5])
        if len(extra) > 5:
            names += f" and {len(extra) - 5:,} more"
        raise MoreDisabledNow(
            f"The server holds {plural(len(extra), 'more disabled channel')} than you confirmed ({names}), "
            "disabled since the list loaded: press r and try again."
        )
    return now


async def delete_disabled(backend: Backend, disabled: Sequence[Channel], trashed: trash.Trashed) -> int:
    """The server's "delete every disabled channel", with the trash kept true; returns its count.

    The records of `disabled` were written first. A failed call marks them all not deleted; after a
    successful one, those still listed (re-enabled meanwhile) are marked.
    """
    try:
        count = await backend.delete_disabled()  # type: ignore[attr-defined]
    except ChannelsError as error:
        trash.mark_not_deleted(trashed.entries.values(), reason=error.message)
        raise
    remaining = {channel.id for channel in await backend.list_channels()}
    survivors = [trashed.entries[c.id] for c in disabled if c.id in remaining and c.id in trashed.entries]
    trash.mark_not_deleted(survivors, reason="still on the server after deleting the disabled channels")
    return count


def set_tag(backend: Backend, tag: str | None) -> Operation:
    """Set (or with None / "", clear) the tag of one channel per call."""

    async def run(channel: Channel) -> ChannelResult:
        await backend.set_tag([channel.id], tag or None)
        return succeeded(channel, f"tag {tag}" if tag else "tag cleared", value=tag or None)

    return run


async def set_tag_grouped(backend: Backend, channels: Sequence[Channel], tag: str | None) -> list[ChannelResult]:
    """One `batch/tag` call for every channel: all succeed or all fail with the server's reason."""
    try:
        await backend.set_tag([c.id for c in channels], tag or None)
    except ChannelsError as error:
        return [failed(channel, error.message) for channel in channels]
    message = f"tag {tag}" if tag else "tag cleared"
    return [succeeded(channel, message, value=tag or None) for channel in channels]
