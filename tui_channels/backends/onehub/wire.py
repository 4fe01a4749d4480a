"""One Hub / Done Hub wire records <-> the neutral `Channel`, and how a full-record update is built.

The channel object (onehub.md §4) has plain columns, which a merge update (`PUT` without `models`)
skips when zero, and pointer columns (`weight`, `priority`, `base_url`, `model_mapping`,
`model_headers`, `custom_parameter`, `proxy`, DH `header_override`, `cost_ratio`), which it writes
whenever they are present. An update that carries `models` overwrites every column with what it
was sent, so `full_update` starts from the stored record (`GET /api/channel/:id`).
"""

from __future__ import annotations

import re

from collections.abc import Mapping
from typing import Any

from ...errors import AuthError, BackendError, BadResponse, NotFound, PermissionDenied, RequestRejected
from ...models import Channel, ChannelStatus, TypeCatalog, join_list
from ...wording import clause
from ..newapi.wire import NEUTRAL_TO_WIRE, STATUS_FROM_WIRE, STATUS_TO_WIRE
from ..wire_values import as_float, as_int, as_names, as_text, record_id

MERGE_SAFE = frozenset({"status", "priority", "weight"})
"""What goes in a merge update (no `models`): the server writes these without touching the rest."""

READ_ONLY = frozenset({"used_quota"})
"""Columns the overwrite path leaves alone (`Omit("UsedQuota")`), so an update need not send them."""


def channel_from_wire(record: Mapping[str, Any], types: TypeCatalog, position: int = 0) -> Channel:
    """One channel record (list item, tag member, get or update answer) as a `Channel`.

    Lenient (`wire_values`): numbers as strings and models or groups as lists are read for what they
    mean; a field of another type reads as absent. A record that is not an object or has no usable
    id raises `BadRecord` naming it (by its `position` in the list).
    """
    channel_id = record_id(record, position)
    type_code = as_int(record.get("type"))
    status = as_int(record.get("status"))
    return Channel(
        id=channel_id,
        name=as_text(record.get("name")),
        type=types.get(type_code if type_code is not None else 0),
        status=STATUS_FROM_WIRE.get(status if status is not None else 0, ChannelStatus.UNKNOWN),
        base_url=as_text(record.get("base_url")),
        key=as_text(record.get("key")) or None,
        models=as_names(record.get("models")),
        groups=as_names(record.get("group")),
        priority=as_int(record.get("priority")),
        weight=as_int(record.get("weight")),
        tag=as_text(record.get("tag")) or None,
        balance=as_float(record.get("balance")),
        response_time_ms=as_int(record.get("response_time")) or None,
        test_time=as_int(record.get("test_time")) or None,
        used_quota=as_int(record.get("used_quota")),
        created_time=as_int(record.get("created_time")) or None,
        raw=dict(record),
    )


def wire_value(neutral_name: str, value: Any) -> Any:
    """A neutral field's value as One Hub takes it (lists are comma-separated, a missing tag is "")."""
    if neutral_name in ("models", "groups"):
        return join_list(value)
    if neutral_name == "tag":
        return value or ""
    if isinstance(value, ChannelStatus):
        return STATUS_TO_WIRE[value.is_enabled]
    return value


def wire_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Changes by neutral or wire name, as wire fields and values."""
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "status":
            body["status"] = wire_value(name, value)
        elif name in NEUTRAL_TO_WIRE:
            body[NEUTRAL_TO_WIRE[name]] = wire_value(name, value)
        else:
            body[name] = value
    return body


def full_update(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The whole record to `PUT` so that only `changes` change: the stored record (with its key),
    the changes applied, the read-only columns left out."""
    body = {name: value for name, value in stored.items() if name not in READ_ONLY}
    body.update(changes)
    return body


def page_items(data: Any, what: str) -> tuple[list[dict[str, Any]], int | None]:
    """(items, total) of a paged answer `{data, page, size, total_count}`, or of a bare array."""
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)], None
    if isinstance(data, dict) and isinstance(data.get("data"), (list, type(None))):
        items = [item for item in data.get("data") or [] if isinstance(item, dict)]
        total = data.get("total_count")
        return items, int(total) if isinstance(total, int) and not isinstance(total, bool) else None
    raise BadResponse(f"The {what} answer had an unexpected shape; is this a One Hub or Done Hub server?")


def model_ids(data: Any) -> list[str]:
    """Model names from `provider_models_list` (strings) or `GET /models` (objects with an `id`)."""
    if not isinstance(data, list):
        raise BadResponse("The model list answer was not a list.")
    names = [str(item.get("id") or "") if isinstance(item, dict) else str(item) for item in data]
    return list(dict.fromkeys(name for name in names if name))


UPSTREAM_REASONS = (
    ("请求上游地址失败", "the upstream could not be reached"),
    ("请填写测速模型后再试", "no test model: choose one or set the channel's test model"),
    ("不支持的模型类型", "the server cannot test this kind of model"),
    ("channel not implemented", "the server cannot list this type's models"),
)
"""The servers' own words for an upstream-facing failure (`controller/channel-*.go`), in English."""


def plain_reason(message: str) -> str:
    """A test, model-list or balance failure in English where the server's phrase is known; what
    follows the phrase (Done Hub adds the transport error) stays, in parentheses."""
    for phrase, words in UPSTREAM_REASONS:
        if message.startswith(phrase):
            rest = message[len(phrase) :].lstrip(":： ")
            return f"{words} ({rest})" if rest else words
    return message or "no reason given"


TAG_OF_ANOTHER_TYPE = re.compile(r"标签「(?P<tag>.*)」下已有其它类型的渠道")
"""Done Hub's refusal of a channel whose tag holds channels of another type
(`model.CheckTagTypeConsistency`, v1.23.18: "标签「%s」下已有其它类型的渠道，无法加入不同类型的渠道；
请使用相同类型，或换一个标签名")."""


def tag_type_refusal(message: str) -> str | None:
    """Done Hub's tag type refusal in words, with the server's own after it; None for another message."""
    found = TAG_OF_ANOTHER_TYPE.search(message)
    if found is None:
        return None
    return (
        f"channels of one tag must share a type, and tag {found['tag']!r} already holds channels of another "
        f"type: give this channel their type, or another tag (the server said: {message})"
    )


_AUTH_MARKERS = ("无权进行此操作", "未登录", "access token", "用户已被封禁", "会话无效", "用户校验失败")


def classify_refusal(message: str, *, action: str, site: str) -> BackendError:
    """A `success:false` answer as the typed error it amounts to (One Hub refuses with HTTP 200)."""
    if "权限不足" in message:
        return PermissionDenied(f"{site} refused to {action}: {clause(message)}. The account needs admin rights.")
    if any(marker in message for marker in _AUTH_MARKERS):
        return AuthError(
            f"{site} refused the access token ({message}). Generate a new one in the web UI's profile "
            "settings (it replaces the old one) and store it with `sites set-secret`."
        )
    if "record not found" in message:
        return NotFound(f"Could not {action}: the channel does not exist on {site}.")
    explained = tag_type_refusal(message)
    if explained is not None:
        return RequestRejected(f"{site} refused to {action}: {explained}")
    return RequestRejected(f"{site} refused to {action}: {message or 'no reason given'}")
