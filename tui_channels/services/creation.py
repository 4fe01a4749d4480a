"""Create one channel and make sure the server stored it as asked: the path every create takes.

Servers drop some values on create without saying so. Octopus (v0.9.28 and v0.11.0) stores every
new channel enabled whatever `enabled` said: GORM's `default:true` turns a `false` into the
default, and legacy Octopus does the same to each key of the new channel. A channel meant to be
off would serve traffic. So every create — the form (`n`, `D`), restore, copy to another site and
key import — goes through `create_channel` here: send it, compare what the server stored with what
was asked, set what it dropped (the status through the status route, key states through an
update), read the record back, and fail, naming the channel that now exists, when it still differs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..backends.base import Backend, Capabilities, FieldKind
from ..errors import BackendError, ChannelsError
from ..models import Channel, ChannelSpec
from ..wording import aside
from .channel_form import LIST_WIRE_NAMES, key_entries
from .recorder import one_batch


class CreatedNotAsAsked(BackendError):
    """The channel was created, but the server would not store part of what was asked."""

    title = "Created, but not as asked"

    def __init__(self, message: str, channel: Channel) -> None:
        super().__init__(message)
        self.channel = channel


def wanted_key_states(capabilities: Capabilities, spec: ChannelSpec) -> dict[str, bool]:
    """Key -> enabled, for a backend whose channels hold a list of keys that can each be off."""
    field = capabilities.field("key")
    if field is None or field.kind is not FieldKind.KEY_LIST:
        return {}
    entries = spec.extra.get(LIST_WIRE_NAMES[FieldKind.KEY_LIST]) or []
    return {
        str(entry["channel_key"]): bool(entry.get("enabled", True))
        for entry in entries
        if isinstance(entry, Mapping) and entry.get("channel_key")
    }


def dropped(capabilities: Capabilities, spec: ChannelSpec, stored: Channel) -> list[str]:
    """What the stored channel lacks of the spec, in words: "status disabled", "key 2 disabled"."""
    missing = []
    if stored.status.is_enabled != spec.status.is_enabled:
        missing.append(f"status {'enabled' if spec.status.is_enabled else 'disabled'}")
    wanted = wanted_key_states(capabilities, spec)
    for position, entry in enumerate(key_entries(capabilities, stored), start=1):
        if entry.key in wanted and wanted[entry.key] != entry.enabled:
            missing.append(f"key {position} {'enabled' if wanted[entry.key] else 'disabled'}")
    return missing


async def _set_dropped(backend: Backend, spec: ChannelSpec, stored: Channel) -> None:
    """Set the status and key states the server dropped, through the routes that do store them."""
    capabilities = backend.capabilities
    if stored.status.is_enabled != spec.status.is_enabled:
        await backend.set_status(stored.id, spec.status.is_enabled)
    wanted = wanted_key_states(capabilities, spec)
    entries = key_entries(capabilities, stored)
    if any(e.key in wanted and wanted[e.key] != e.enabled for e in entries):
        keys = [
            {"id": e.id, "channel_key": e.key, "enabled": wanted.get(e.key, e.enabled), "remark": e.remark}
            for e in entries
        ]
        await backend.update_channel(stored, {LIST_WIRE_NAMES[FieldKind.KEY_LIST]: keys})


async def create_channel(backend: Backend, spec: ChannelSpec) -> Channel:
    """Create the channel, then enforce and verify what the server may drop; returns the stored channel.

    Raises what the create raised, or `CreatedNotAsAsked` (with the created channel) when the
    channel exists but its status or key states could not be set as asked. The create and what it
    sets right after share one journal batch (the outer one, in a batch), so undoing the create
    knows those writes as part of it.
    """
    with one_batch():
        return await _create(backend, spec)


async def _create(backend: Backend, spec: ChannelSpec) -> Channel:
    capabilities = backend.capabilities
    created = await backend.create_channel(spec)
    missing = dropped(capabilities, spec, created)
    if not missing:
        return created
    failure = ""
    try:
        await _set_dropped(backend, spec, created)
        stored = await backend.get_channel(created.id)
    except ChannelsError as error:
        stored, failure = created, f" {aside(error.message)}"
    still = dropped(capabilities, spec, stored) if not failure else missing
    if still:
        raise CreatedNotAsAsked(
            f"Channel {spec.name!r} was created as #{created.id}, but the server stored it without "
            f"{', '.join(still)} and setting that failed{failure}. Check it before it serves traffic: "
            "change it in the app or delete it.",
            stored,
        )
    return stored
