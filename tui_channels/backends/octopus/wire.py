"""Octopus channel records in and out: mapping to the neutral model and building request bodies.

Two generations share one module because they differ only in a few fields (octopus.md §3): legacy
has numeric types, `base_urls` and a `keys` list changed through `keys_to_*`; current has string
types and single `base_url` / `key` strings. Pure functions, so they are easy to test and reuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...errors import NotSupported, RequestRejected
from ...models import (
    Channel,
    ChannelSpec,
    ChannelStatus,
    TypeCatalog,
    TypeCode,
    join_list,
    split_list,
)
from ..wire_values import as_float, as_int, as_list, as_names, as_text, is_mapping, record_id

KEY_FIELDS = ("enabled", "channel_key", "remark")
UNSUPPORTED_FIELDS = frozenset({"groups", "priority", "weight", "tag"})
"""Neutral fields Octopus channels lack: they live in Octopus groups, not on channels."""


def is_legacy_record(record: Mapping[str, Any]) -> bool:
    """Legacy records carry `base_urls` / `keys` arrays and an int `type` (octopus.md, intro)."""
    return "base_urls" in record or "keys" in record or isinstance(record.get("type"), int)


REPEATED = ("base_url", "type", "model", "custom_model")
"""Text fields that many channels of a site share (`read_records` keeps one copy of each value)."""


def preferred_url(record: Mapping[str, Any]) -> str:
    """The base URL the server uses: the single one, or the lowest-delay legacy entry."""
    if not is_legacy_record(record):
        return as_text(record.get("base_url"))
    urls = [u for u in as_list(record.get("base_urls")) if isinstance(u, Mapping) and as_text(u.get("url"))]
    if not urls:
        return ""
    return as_text(min(urls, key=lambda u: as_float(u.get("delay")) or 0.0)["url"])


def preferred_key(record: Mapping[str, Any]) -> str | None:
    """The key the server uses: the single one, or the first enabled legacy key."""
    if not is_legacy_record(record):
        return as_text(record.get("key")) or None
    for entry in as_list(record.get("keys")):
        if isinstance(entry, Mapping) and entry.get("enabled") and as_text(entry.get("channel_key")):
            return as_text(entry["channel_key"])
    return None


def channel_from_wire(record: Mapping[str, Any], types: TypeCatalog, position: int = 0) -> Channel:
    """A neutral `Channel`; `models` shows synced and custom models together, `raw` keeps the record.

    Legacy key entries without a key ("ghost" entries the server accepts and keeps) are not keys:
    they count neither in `key_count` nor as enabled. Lenient (`wire_values`): an id as a string,
    models as a JSON list are read for what they mean; a record that is not an object or has no
    usable id raises `BadRecord` naming it.
    `raw` is `record` itself, not a copy: records come from decoded answers that nothing else
    holds, and a copy per channel held every record twice while a listing was read.
    """
    channel_id = record_id(record, position)
    enabled = record.get("enabled")
    status = {True: ChannelStatus.ENABLED, False: ChannelStatus.MANUALLY_DISABLED}.get(
        enabled if isinstance(enabled, bool) else None, ChannelStatus.UNKNOWN
    )
    models = split_list(",".join((*as_names(record.get("model")), *as_names(record.get("custom_model")))))
    keys = [k for k in as_list(record.get("keys")) if isinstance(k, Mapping) and k.get("channel_key")]
    several = len(keys) > 1
    type_code = record.get("type")
    return Channel(
        id=channel_id,
        name=as_text(record.get("name")),
        type=types.get(type_code if isinstance(type_code, (int, str)) and not isinstance(type_code, bool) else ""),
        status=status,
        base_url=preferred_url(record),
        key=preferred_key(record),
        models=models,
        response_time_ms=_average_wait(record.get("stats")),
        success_rate=_success_rate(record.get("stats")),
        cost=_cost(record.get("stats")),
        key_count=len(keys) if several else None,
        enabled_key_count=sum(1 for k in keys if k.get("enabled")) if several else None,
        auto_sync=record.get("auto_sync") is True or as_int(record.get("auto_sync")) == 1,
        raw=record,
    )


def _average_wait(stats: Any) -> int | None:
    """Mean wait per request from the cumulative `stats`, or None before the first request."""
    if not is_mapping(stats):
        return None
    requests = (as_int(stats.get("request_success")) or 0) + (as_int(stats.get("request_failed")) or 0)
    wait = as_float(stats.get("wait_time")) or 0
    return int(wait / requests) if requests > 0 and wait > 0 else None


def _success_rate(stats: Any) -> float | None:
    """Succeeded requests over all requests from the cumulative `stats`; None before the first request."""
    if not is_mapping(stats):
        return None
    succeeded = as_int(stats.get("request_success")) or 0
    requests = succeeded + (as_int(stats.get("request_failed")) or 0)
    return succeeded / requests if requests > 0 else None


def _cost(stats: Any) -> float | None:
    """Input plus output cost from the cumulative `stats`; None where the server sent no stats."""
    if not is_mapping(stats):
        return None
    return (as_float(stats.get("input_cost")) or 0.0) + (as_float(stats.get("output_cost")) or 0.0)


def check_regex(pattern: Any) -> None:
    """Refuse a `match_regex` that does not compile, before the server stores it."""
    if not pattern:
        return
    try:
        re.compile(str(pattern))
    except re.error as exc:
        raise RequestRejected(
            f"The model match regex {pattern!r} is not a valid regular expression ({exc}). "
            "Fix it or leave it empty."
        ) from None


def _names(value: Any) -> tuple[str, ...]:
    """A model list given as a comma-separated string or as a sequence of names."""
    if value is None:
        return ()
    return split_list(value if isinstance(value, str) else ",".join(str(name) for name in value))


def _require_key(value: str) -> str:
    key = value.strip()
    if not key:
        raise RequestRejected("A channel key cannot be empty. Enter the upstream API key for this channel.")
    return key


def _key_lines(value: str) -> list[str]:
    return [_require_key(line) for line in value.splitlines() if line.strip()] or [_require_key(value)]


def _new_key(channel_key: str, *, enabled: bool = True, remark: str = "") -> dict[str, Any]:
    return {"enabled": enabled, "channel_key": channel_key, "remark": remark}


def create_body(spec: ChannelSpec, *, legacy: bool, types: TypeCatalog) -> dict[str, Any]:
    """The wire record for a new channel; `spec.extra` wire fields are applied last, as given."""
    base_url = spec.base_url.strip() or types.get(spec.type).default_base_url
    if not base_url:
        type_name = types.get(spec.type).name
        raise RequestRejected(f"A base URL is required for an Octopus channel of type {type_name}.")
    custom = _names(spec.extra.get("custom_model"))
    body: dict[str, Any] = {
        "name": spec.name.strip(),
        "type": spec.type,
        "enabled": spec.status.is_enabled,
        "model": join_list(m for m in spec.models if m not in custom),
        "custom_model": ",".join(custom),
    }
    if legacy:
        body["base_urls"] = [{"url": base_url, "delay": 0}]
        body["keys"] = [_new_key(line) for line in _key_lines(spec.key)]
    else:
        if len(spec.key.strip().splitlines()) > 1:
            raise RequestRejected(
                "This Octopus server holds one key per channel, and the key has several lines. "
                "Create one channel per key, or enter a single key."
            )
        body["base_url"] = base_url
        body["key"] = _require_key(spec.key)
    body.update({name: value for name, value in spec.extra.items() if name != "custom_model"})
    check_regex(body.get("match_regex"))
    return body


def adhoc_body(type_code: TypeCode, base_url: str, key: str, *, legacy: bool) -> dict[str, Any]:
    """A throw-away channel record for `fetch-model` with a key that is not (yet) a channel."""
    if legacy:
        return {
            "type": type_code,
            "base_urls": [{"url": base_url, "delay": 0}],
            "keys": [_new_key(_require_key(key))],
        }
    return {"type": type_code, "base_url": base_url, "key": _require_key(key)}


def update_body(channel: Channel, changes: Mapping[str, Any], *, legacy: bool) -> dict[str, Any]:
    """`id` plus only the changed wire fields; `status` is left out (it has its own route)."""
    raw = channel.raw
    body: dict[str, Any] = {"id": channel.id}
    for name, value in changes.items():
        if name in UNSUPPORTED_FIELDS:
            raise NotSupported(
                f"Octopus channels have no {name}: routing, priority and weights are set on Octopus groups."
            )
        if name in ("status", "models", "custom_model"):
            continue
        if name == "base_url" and legacy:
            body["base_urls"] = _replace_preferred_url(raw, str(value))
        elif name in ("key", "keys") and legacy:
            body.update(key_changes(raw.get("keys") or [], _desired_keys(raw, value)))
        elif name == "key":
            body["key"] = _require_key(str(value))
        else:
            body[name] = value
    if "models" in changes or "custom_model" in changes:
        body.update(_model_fields(raw, changes))
    check_regex(body.get("match_regex"))
    return body


def _model_fields(raw: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, str]:
    """Split the shown model list back into the synced `model` and the hand-added `custom_model`.

    A custom model stays custom; one the user dropped from `models` leaves `custom_model` too.
    """
    custom = _names(changes.get("custom_model", raw.get("custom_model")))
    if "models" not in changes:
        return {"custom_model": ",".join(custom)}
    requested = _names(changes["models"])
    fields = {"model": ",".join(m for m in requested if m not in custom)}
    kept = [m for m in custom if m in requested]
    if "custom_model" in changes or tuple(kept) != _names(raw.get("custom_model")):
        fields["custom_model"] = ",".join(kept)
    return fields


def _replace_preferred_url(raw: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    """Legacy: a new base URL replaces the entry the server prefers; the other entries stay."""
    entries = [dict(entry) for entry in raw.get("base_urls") or []]
    if not entries:
        return [{"url": url.strip(), "delay": 0}]
    preferred = min(range(len(entries)), key=lambda i: entries[i].get("delay") or 0)
    entries[preferred]["url"] = url.strip()
    return entries


def _desired_keys(raw: Mapping[str, Any], value: Any) -> list[dict[str, Any]]:
    """The legacy key list the user wants.

    A list of `{id?, channel_key, enabled, remark}` is the full list. A single-line string replaces
    the key the table shows (the first enabled one); several lines are the full list, one key each.
    """
    current = [dict(k) for k in raw.get("keys") or []]
    if not isinstance(value, str):
        return [dict(entry) for entry in value]
    lines = _key_lines(value)
    if len(lines) > 1:
        return [{"channel_key": line} for line in lines]
    shown = next((k for k in current if k.get("enabled") and k.get("channel_key")), None)
    if shown is None:
        return [*current, _new_key(lines[0])]
    return [{**k, "channel_key": lines[0]} if k is shown else k for k in current]


def key_changes(current: Sequence[Mapping[str, Any]], desired: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`keys_to_add` / `keys_to_update` / `keys_to_delete` turning `current` into `desired`.

    An entry matches an existing key by `id`, else by its key string; unmatched entries are added,
    and existing keys nobody matched are deleted. Only fields that differ are updated.
    """
    by_id = {k.get("id"): k for k in current}
    by_value = {k.get("channel_key"): k for k in current}
    add: list[dict[str, Any]] = []
    update: list[dict[str, Any]] = []
    kept: set[Any] = set()
    for entry in desired:
        key_id = entry.get("id")
        existing = by_id.get(key_id) if key_id is not None else by_value.get(entry.get("channel_key"))
        if existing is None or existing.get("id") in kept:
            add.append(
                _new_key(
                    _require_key(str(entry.get("channel_key") or "")),
                    enabled=bool(entry.get("enabled", True)),
                    remark=str(entry.get("remark") or ""),
                )
            )
            continue
        kept.add(existing.get("id"))
        if "channel_key" in entry:
            _require_key(str(entry["channel_key"] or ""))
        diff = {f: entry[f] for f in KEY_FIELDS if f in entry and entry[f] != existing.get(f)}
        if diff:
            update.append({"id": existing.get("id"), **diff})
    delete = [k.get("id") for k in current if k.get("id") not in kept]
    changes: dict[str, Any] = {}
    for name, values in (("keys_to_add", add), ("keys_to_update", update), ("keys_to_delete", delete)):
        if values:
            changes[name] = values
    return changes


def dropped_key_states(
    added: Iterable[Mapping[str, Any]], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """`keys_to_update` entries that disable keys the server stored enabled although they were added off.

    Legacy Octopus stores every key of `keys_to_add` enabled (GORM `default:true` drops a false), so
    an update that adds a disabled key needs a second update for it. `before` and `after` are the
    channel's records around the first update; new keys are those whose id `before` did not have.
    """
    off = {str(k.get("channel_key")) for k in added if not k.get("enabled", True)}
    old_ids = {k.get("id") for k in before.get("keys") or [] if isinstance(k, Mapping)}
    return [
        {"id": k.get("id"), "enabled": False}
        for k in after.get("keys") or []
        if isinstance(k, Mapping) and k.get("id") not in old_ids and k.get("enabled") and k.get("channel_key") in off
    ]
