"""New API wire records <-> the neutral `Channel`, and the error classification of its envelope."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ...errors import AuthError, BackendError, BadResponse, DatabaseError, NotFound, PermissionDenied, RequestRejected
from ...models import Channel, ChannelStatus, TypeCatalog, UpstreamWatch, join_list
from ...wording import clause
from ..wire_values import as_float, as_int, as_mapping, as_names, as_text, json_object, record_id

STATUS_FROM_WIRE = {
    1: ChannelStatus.ENABLED,
    2: ChannelStatus.MANUALLY_DISABLED,
    3: ChannelStatus.AUTO_DISABLED,
}
STATUS_TO_WIRE = {True: 1, False: 2}
"""One API's channel status codes, kept by every server descended from it (New API, Veloera, One Hub,
Done Hub)."""

NEUTRAL_TO_WIRE = {
    "name": "name",
    "type": "type",
    "base_url": "base_url",
    "key": "key",
    "models": "models",
    "groups": "group",
    "priority": "priority",
    "weight": "weight",
    "tag": "tag",
}
"""Neutral field name -> JSON field of One API's channel table, the same on New API and One Hub;
`status` is not here: New API has a route for it."""

REPEATED = ("base_url", "models", "group", "tag", "model_mapping", "status_code_mapping", "settings", "other_info")
"""Text fields that many channels of a site share (`read_records` keeps one copy of each value)."""

NOT_CLEARABLE = frozenset({"name", "models", "group", "other", "type", "settings", "other_info"})
"""Plain (non-pointer) fields: the server ignores "" and 0 for them, so a PUT cannot clear them."""


def _nonzero(value: Any) -> int | None:
    number = as_int(value)
    return number or None


def multi_key_counts(record: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(keys, enabled keys) of a multi-key channel from `channel_info`; (None, None) otherwise.

    `multi_key_status_list` maps stringified key indexes to a status; a key it omits is enabled.
    """
    info = as_mapping(record.get("channel_info"))
    if info is None or not info.get("is_multi_key"):
        return None, None
    size = as_int(info.get("multi_key_size")) or 0
    statuses = as_mapping(info.get("multi_key_status_list")) or {}
    disabled = sum(1 for status in statuses.values() if as_int(status) not in (None, 1))
    return size, max(size - disabled, 0)


UPSTREAM_SETTINGS = {
    "checks": "upstream_model_update_check_enabled",
    "auto_sync": "upstream_model_update_auto_sync_enabled",
    "last_check_time": "upstream_model_update_last_check_time",
    "added": "upstream_model_update_last_detected_models",
    "removed": "upstream_model_update_last_removed_models",
    "ignored": "upstream_model_update_ignored_models",
}
"""`UpstreamWatch` field -> its key in the channel's `settings` JSON (relaykit/dto/channel_settings.go)."""


def settings_object(record: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's `settings` JSON string as an object ({} when absent or not an object)."""
    return _settings_value(record.get("settings"))


def _settings_value(text: Any) -> dict[str, Any]:
    if isinstance(text, Mapping):
        return dict(text)
    try:
        value = json.loads(text) if isinstance(text, str) and text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip())) if isinstance(value, list) else ()


def upstream_watch(record: Mapping[str, Any]) -> UpstreamWatch | None:
    """The detector's switches and findings kept in `settings`; None when the record has no `settings`."""
    if "settings" not in record:
        return None
    text = record.get("settings")
    return _watch_of_text(text) if type(text) is str else _watch_of(_settings_value(text))


@lru_cache(maxsize=2048)
def _watch_of_text(text: str) -> UpstreamWatch:
    """The watch a `settings` text holds, parsed once per distinct text (a listing of thousands of
    channels has a few distinct ones; an `UpstreamWatch` is immutable, so channels share it)."""
    return _watch_of(_settings_value(text))


def _watch_of(data: Mapping[str, Any]) -> UpstreamWatch:
    keys = UPSTREAM_SETTINGS
    return UpstreamWatch(
        checks=bool(data.get(keys["checks"])),
        auto_sync=bool(data.get(keys["auto_sync"])),
        last_check_time=_nonzero(data.get(keys["last_check_time"])),
        added=_names(data.get(keys["added"])),
        removed=_names(data.get(keys["removed"])),
        ignored=_names(data.get(keys["ignored"])),
    )


def channel_from_wire(record: Mapping[str, Any], types: TypeCatalog, position: int = 0) -> Channel:
    """Map one channel record (list item, get, or update answer) to a `Channel`.

    Lenient (`wire_values`): an id or number as a string, models or groups as a JSON list are read
    for what they mean; a field of another type reads as absent. A record that is not an object or
    has no usable id raises `BadRecord` naming it (by its `position` in the list).
    `raw` is `record` itself, not a copy: records come from decoded answers that nothing else
    holds, and a copy per channel held every record twice while a listing was read.
    """
    channel_id = record_id(record, position)
    key_count, enabled_keys = multi_key_counts(record)
    key = record.get("key")
    return Channel(
        id=channel_id,
        name=as_text(record.get("name")),
        type=types.get(as_int(record.get("type")) or 0),
        status=STATUS_FROM_WIRE.get(as_int(record.get("status")) or 0, ChannelStatus.UNKNOWN),
        base_url=as_text(record.get("base_url")),
        key=key if isinstance(key, str) and key else None,
        models=as_names(record.get("models")),
        groups=as_names(record.get("group")),
        priority=as_int(record.get("priority")),
        weight=as_int(record.get("weight")),
        tag=as_text(record.get("tag")) or None,
        balance=as_float(record.get("balance")),
        balance_time=_nonzero(record.get("balance_updated_time")),
        response_time_ms=_nonzero(record.get("response_time")),
        test_time=_nonzero(record.get("test_time")),
        used_quota=as_int(record.get("used_quota")),
        created_time=_nonzero(record.get("created_time")),
        key_count=key_count,
        enabled_key_count=enabled_keys,
        upstream=upstream_watch(record),
        raw=record,
    )


def pack_entries(body: dict[str, Any], raw: Mapping[str, Any]) -> None:
    """Fold `column.key` entries of `body` (`setting.proxy`) into their JSON-object column.

    The column starts from the body's own value or else the stored one (`raw`), so keys the form
    does not show survive; an entry set to "", False or None is removed, and a column left empty is
    sent as "" (which clears a pointer column on the server).
    """
    for name in [n for n in body if "." in n]:
        column, key = name.split(".", 1)
        data = json_object(body.get(column, raw.get(column)))
        value = body.pop(name)
        if value in ("", False, None):
            data.pop(key, None)
        else:
            data[key] = value
        body[column] = json.dumps(data, ensure_ascii=False) if data else ""


def joined_keys(key: str, separator: str) -> str:
    """Several keys typed on separate lines or with spaces, as the server joins them."""
    if separator == "\n":
        return key.strip()
    parts = [part for line in key.split() for part in line.split(separator) if part]
    return separator.join(parts)


def wire_value(neutral_name: str, value: Any) -> Any:
    """A neutral field's value as New API expects it (lists become comma-separated strings)."""
    if neutral_name in ("models", "groups"):
        return join_list(value)
    if neutral_name == "tag":
        return value or ""
    return value


_AUTH_MARKERS = (
    "无权进行此操作",
    "未登录",
    "access token",
    "new-api-user",
    "veloera-user",
    "用户已被封禁",
    "has been banned",
    "not logged in",
)
_PRIVILEGE_MARKERS = ("权限不足", "insufficient privilege")


PRIVILEGE_HINT = (
    "The account needs admin rights on channels (on current New API, creating or deleting channels and "
    "changing keys, types, base URLs or overrides also needs the channel.sensitive_write permission)."
)


def classify_refusal(message: str, *, action: str) -> BackendError:
    """Turn a `success:false` message into the right typed error.

    New API answers invalid tokens, banned users and low roles with HTTP 200, so the message is the
    only signal; it is matched against the gateways' own phrases in both languages they speak, so
    that an upstream's error text relayed in a test result is not mistaken for our own auth failure.
    """
    lowered = message.lower()
    database = DatabaseError.from_message(message, action=action)
    if database is not None:
        return database
    if any(marker in lowered for marker in _PRIVILEGE_MARKERS):
        return PermissionDenied(f"The gateway refused to {action}: {clause(message)}. {PRIVILEGE_HINT}")
    if any(marker in lowered for marker in _AUTH_MARKERS):
        return AuthError(
            f"The gateway refused the credentials: {clause(message)}. Check the site's access token (generate "
            "one in the gateway's personal settings) and the numeric user id it belongs to."
        )
    if "record not found" in lowered:
        return NotFound(f"Could not {action}: the channel does not exist (server said: {message}).")
    return RequestRejected(f"The gateway refused to {action}: {message or 'no reason given'}")


def model_ids(data: Any) -> list[str]:
    """Model names from a list answer: plain strings, or OpenAI-style objects with an `id`.

    `null` is an empty list: legacy New API (v0.6.3) answers an upstream that listed nothing with
    `data: null` on `GET /api/channel/fetch_models/:id` and `POST /api/channel/fetch_models`.
    """
    if data is None:
        return []
    if not isinstance(data, list):
        raise BadResponse("The model list answer was not a list.")
    return list(as_names(data))

