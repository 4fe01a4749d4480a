"""AxonHub channel records in and out: the neutral model, global ids, statuses, keys and inputs.

Records are GraphQL `Channel` objects as answered (axonhub.md §3.3). Ids are global ids,
`gid://axonhub/Channel/12`: the neutral channel's id is the number at their end (what the table and
the CLI show and take) and `raw["id"]` keeps the server's global id as it came. Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ...errors import RequestRejected
from ...models import Channel, ChannelStatus, TypeCatalog

GLOBAL_ID_PREFIX = "gid://axonhub/"
CHANNEL_GLOBAL_ID = GLOBAL_ID_PREFIX + "Channel/{id}"

UNSUPPORTED_FIELDS = frozenset({"groups", "priority", "weight"})
"""Neutral fields AxonHub channels lack: routing order and weights live in its load-balancer and
API-key profile settings (axonhub.md §3.3)."""

STATUS_TO_WIRE = {True: "enabled", False: "disabled"}

KEY_LIST_LABEL = "Keys"
"""The key field's label where a channel holds several keys; transfers read it to carry them all."""


def channel_id(global_id: Any) -> int:
    """The number at the end of a global id (`gid://axonhub/Channel/12` -> 12); ValueError otherwise."""
    text = str(global_id)
    if not text.startswith(GLOBAL_ID_PREFIX):
        raise ValueError(f"not an AxonHub global id: {text!r}")
    kind, _, number = text[len(GLOBAL_ID_PREFIX) :].partition("/")
    if not kind or not number.isdigit():
        raise ValueError(f"not an AxonHub global id: {text!r}")
    return int(number)


def global_id(channel: Channel) -> str:
    """The server's global id of a channel: as it came, or built from its number."""
    raw_id = channel.raw.get("id")
    return str(raw_id) if isinstance(raw_id, str) and raw_id else CHANNEL_GLOBAL_ID.format(id=channel.id)


def status_of(record: Mapping[str, Any]) -> ChannelStatus:
    """`enabled`; `disabled` (by the server when it left an `errorMessage`); `archived` shows as disabled."""
    status = record.get("status")
    if status == "enabled":
        return ChannelStatus.ENABLED
    if status == "disabled":
        return ChannelStatus.AUTO_DISABLED if record.get("errorMessage") else ChannelStatus.MANUALLY_DISABLED
    if status == "archived":
        return ChannelStatus.MANUALLY_DISABLED
    return ChannelStatus.UNKNOWN


def _strings(value: Any) -> list[str]:
    """A list of names as answered; anything that is not a list (a server bug) reads as none."""
    return [str(item) for item in value if item not in (None, "")] if isinstance(value, list) else []


def keys_of(record: Mapping[str, Any]) -> list[str]:
    """Every key of a record, the single `apiKey` first, then `apiKeys` (the server's own order)."""
    credentials = record.get("credentials")
    if not isinstance(credentials, Mapping):
        return []
    single = credentials.get("apiKey")
    keys = [single] if isinstance(single, str) and single else []
    return list(dict.fromkeys(keys + _strings(credentials.get("apiKeys"))))


def split_keys(text: str) -> list[str]:
    """Keys typed or pasted as one text: separated by spaces, commas or new lines."""
    return list(dict.fromkeys(part for part in text.replace(",", " ").split() if part))


def split_tags(value: Any) -> list[str]:
    """Tags given as a comma-separated text or as a sequence of names."""
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value or ()]
    return list(dict.fromkeys(tag.strip() for tag in parts if tag.strip()))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _created(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def channel_from_wire(record: Mapping[str, Any], types: TypeCatalog) -> Channel:
    """A neutral `Channel`; the key shown is the first one, `raw` keeps the record verbatim.

    Lenient: a field of an unexpected type reads as empty. Only a missing or malformed global id
    raises (`KeyError` / `ValueError`), since without it the channel cannot be addressed.
    """
    keys = keys_of(record)
    entries = record.get("disabledAPIKeys")
    disabled = {
        str(entry.get("key"))
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, Mapping) and entry.get("key")
    }
    tags = split_tags(_strings(record.get("tags")))
    several = len(keys) > 1
    return Channel(
        id=channel_id(record["id"]),
        name=_text(record.get("name")),
        type=types.get(_text(record.get("type"))),
        status=status_of(record),
        base_url=_text(record.get("baseURL")),
        key=keys[0] if keys else None,
        models=tuple(_strings(record.get("supportedModels"))),
        tag=", ".join(tags) or None,
        created_time=_created(record.get("createdAt")),
        key_count=len(keys) if several else None,
        enabled_key_count=sum(1 for k in keys if k not in disabled) if several else None,
        raw=dict(record),
    )


def settings_value(value: Any) -> dict[str, Any]:
    """The settings object from a form's JSON text or a mapping; `RequestRejected` if it is not one."""
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value or "").strip()
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise RequestRejected(f"The channel settings are not valid JSON ({exc}).") from None
    if not isinstance(parsed, dict):
        raise RequestRejected('The channel settings must be a JSON object, like {"modelMappings": []}.')
    return parsed


def wire_value(name: str, value: Any) -> Any:
    """A form or spec value in the shape the GraphQL input takes (lists for tuples, objects for JSON)."""
    if name == "settings":
        return settings_value(value)
    if name in ("tags",):
        return split_tags(value)
    if isinstance(value, tuple):
        return list(value)
    return value
