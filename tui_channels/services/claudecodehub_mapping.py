"""Carrying channels to and from Claude Code Hub providers (a part of `channel_mapping`).

Facts (docs/contracts/claude-code-hub.md): a provider's groups are New API's user groups (none
means `default`); its weight is 1–100; its priority runs the other way from New API's (the lowest
wins), so a priority number never carries between the two; its model redirects are New API's
model mapping when they are exact rules; its custom headers are a name → value object where
secret values read as `[REDACTED]`. Everything else of a provider (limits, cost multiplier,
circuit breaker, timeouts, client lists…) exists only on Claude Code Hub.

`carry` fills the spec and the losses and returns the names of the origin's wire fields it
carried, so `channel_mapping` reports the origin's other fields as losses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..backends.base import Capabilities
from ..backends.claudecodehub.carry import HUB, HUB_ONLY
from ..backends.claudecodehub.wire import (
    DEFAULT_GROUP,
    MAX_WEIGHT,
    MIN_WEIGHT,
    PROTECTED_HEADERS,
    REDACTED,
    is_masked,
    other_rules,
    redacted_fields,
    write_fields,
)
from ..models import BackendKind, Channel
from .carried import Carried, Origin

NEUTRAL_WRITES = frozenset({"is_enabled", "priority", "weight", "group_tag", "provider_type"})
"""Write fields a spec carries itself; the rest of a provider's settings travel in `spec.extra`."""


def carry(channel: Channel, origin: Origin, target: Capabilities, carried: Carried) -> frozenset[str]:
    """Fill `carried` for a copy where the origin, the target or both are Claude Code Hub."""
    if origin.kind is BackendKind.CLAUDECODEHUB and target.kind is BackendKind.CLAUDECODEHUB:
        _between_hubs(channel, carried)
        return frozenset()
    if target.kind is BackendKind.CLAUDECODEHUB:
        return _to_hub(channel, origin, carried)
    _from_hub(channel, target, carried)
    return frozenset()


def _weight(weight: int | None, carried: Carried) -> int | None:
    """A weight the hub takes: 0 or none becomes its default (1); above 100 is cut to 100, and said."""
    if not weight:
        return None
    if weight > MAX_WEIGHT:
        carried.losses.append(f"weight {weight} becomes {MAX_WEIGHT}: {HUB} weights are {MIN_WEIGHT}–{MAX_WEIGHT}")
        return MAX_WEIGHT
    return max(MIN_WEIGHT, weight)


def _between_hubs(channel: Channel, carried: Carried) -> None:
    spec, raw = carried.spec, channel.raw
    spec.groups = channel.groups
    spec.priority = max(0, channel.priority or 0)
    spec.weight = _weight(channel.weight, carried)
    spec.extra = {k: v for k, v in write_fields(raw).items() if k not in NEUTRAL_WRITES}
    carried.models_error = ""
    for label in redacted_fields(raw):
        carried.losses.append(f"{label}: the server shows it redacted, so it cannot be copied")


def _to_hub(channel: Channel, origin: Origin, carried: Carried) -> frozenset[str]:
    """New API, Octopus or AxonHub → Claude Code Hub."""
    spec, raw, losses = carried.spec, channel.raw, carried.losses
    handled: set[str] = set()
    spec.groups = channel.groups if origin.kind is BackendKind.NEWAPI and channel.groups else (DEFAULT_GROUP,)
    if origin.kind is BackendKind.NEWAPI:
        if channel.priority:
            losses.append(
                f"priority {channel.priority}: New API tries the highest first, {HUB} the lowest; created at 0"
            )
        spec.weight = _weight(channel.weight, carried)
        if channel.tag:
            losses.append(f"tag {channel.tag!r}: {HUB} has no tags")
        redirects = _redirects_from_mapping(raw.get("model_mapping"))
        if redirects:
            spec.extra["model_redirects"] = redirects
            handled.add("model_mapping")
        headers = _header_object(_json_object(raw.get("header_override")), carried)
        if headers is not None:
            spec.extra["custom_headers"] = headers
            handled.add("header_override")
    elif origin.kind is BackendKind.AXONHUB:
        settings = raw.get("settings") if isinstance(raw.get("settings"), Mapping) else {}
        mappings = [m for m in settings.get("modelMappings") or [] if isinstance(m, Mapping)]
        redirects = [
            {"matchType": "exact", "source": str(m["from"]), "target": str(m["to"])}
            for m in mappings
            if m.get("from") and m.get("to")
        ]
        if redirects:
            spec.extra["model_redirects"] = redirects
            handled.add("modelMappings")
    else:
        entries = [h for h in raw.get("custom_header") or [] if isinstance(h, Mapping)]
        headers = _header_object({str(h.get("header_key")): h.get("header_value") for h in entries}, carried)
        if headers is not None:
            spec.extra["custom_headers"] = headers
            handled.add("custom_header")
        if raw.get("channel_proxy"):
            spec.extra["proxy_url"] = raw["channel_proxy"]
            handled.add("channel_proxy")
    return frozenset(handled)


def _json_object(value: Any) -> dict[str, Any] | None:
    try:
        parsed = json.loads(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _redirects_from_mapping(value: Any) -> list[dict[str, str]]:
    """New API's model mapping `{"alias": "model"}` as exact redirect rules."""
    mapping = _json_object(value) or {}
    if not all(isinstance(v, str) for v in mapping.values()):
        return []
    return [{"matchType": "exact", "source": str(k), "target": v} for k, v in mapping.items()]


def _header_object(headers: Mapping[str, Any] | None, carried: Carried) -> dict[str, str] | None:
    """Plain header values the hub takes; auth headers (which it sets itself) are reported and left out."""
    if not headers or not all(isinstance(v, str) and "{" not in v for v in headers.values()):
        return None
    kept = {}
    for name, value in headers.items():
        if name.lower() in PROTECTED_HEADERS:
            carried.losses.append(f"header {name}: {HUB} sets the upstream's authentication itself")
        else:
            kept[name] = value
    return kept or None


def _from_hub(channel: Channel, target: Capabilities, carried: Carried) -> None:
    """Claude Code Hub → New API, Octopus or AxonHub."""
    spec, raw, losses = carried.spec, channel.raw, carried.losses
    label = target.flavor_label
    if channel.priority:
        losses.append(f"priority {channel.priority}: {HUB} tries the lowest first, {label} does not; created at 0")
    if channel.all_models:
        carried.models_error = f"the {HUB} provider allows every model"
    for rule in other_rules(raw.get("allowedModels")):
        losses.append(f"model rule {rule.get('matchType')} {rule.get('pattern')!r}: {label} lists models by name")
    headers = {k: v for k, v in (raw.get("customHeaders") or {}).items() if v != REDACTED}
    losses += [f"custom header {k}: the server shows it redacted" for k, v in (raw.get("customHeaders") or {}).items() if v == REDACTED]
    mapping, rules_lost = _mapping_from_redirects(raw.get("modelRedirects"))
    losses += [f"model redirect {r}: {label} maps models by exact name" for r in rules_lost]
    if target.kind is BackendKind.NEWAPI:
        spec.groups, spec.priority, spec.weight = channel.groups or (DEFAULT_GROUP,), 0, channel.weight
        _optional(target, carried, "model_mapping", "model redirects", json.dumps(mapping) if mapping else None)
        _optional(target, carried, "header_override", "custom headers", json.dumps(headers) if headers else None)
    elif target.kind is BackendKind.AXONHUB:
        spec.groups = ()
        if channel.groups != (DEFAULT_GROUP,):
            losses.append(f"groups {', '.join(channel.groups)}: AxonHub channels have no user groups")
        if channel.weight not in (None, MIN_WEIGHT):
            losses.append(f"weight {channel.weight}: AxonHub routes by its load-balancer settings")
        if mapping and target.field("settings"):
            spec.extra["settings"] = {"modelMappings": [{"from": k, "to": v} for k, v in mapping.items()]}
        elif mapping:
            losses.append(f"model redirects: {label} has no model mapping")
        if headers:
            losses.append(f"custom headers: {label} has no such channel setting")
        if raw.get("proxyUrl"):
            losses.append(f"proxy: {label} has no such channel setting")
    else:
        spec.groups, spec.extra["auto_sync"] = (), False
        if channel.groups != (DEFAULT_GROUP,):
            losses.append(f"groups {', '.join(channel.groups)}: Octopus channels have no user groups")
        if channel.weight not in (None, MIN_WEIGHT):
            losses.append(f"weight {channel.weight}: Octopus sets weights on its groups")
        if mapping:
            losses.append(f"model redirects: {label} has no model mapping")
        if headers:
            spec.extra["custom_header"] = [{"header_key": k, "header_value": v} for k, v in headers.items()]
        proxy = raw.get("proxyUrl")
        if proxy and not is_masked(proxy):
            spec.extra["channel_proxy"] = proxy
    for read_name, setting, default in HUB_ONLY:
        value = raw.get(read_name)
        if value is not None and value != default:
            losses.append(f"{setting}: {label} has no such setting")
    if target.kind is BackendKind.NEWAPI and raw.get("proxyUrl"):
        losses.append(f"proxy: {label} keeps proxies in its channel settings, not carried")


def _mapping_from_redirects(rules: Any) -> tuple[dict[str, str], list[str]]:
    """Exact redirect rules as New API's model mapping; the other rules, described, as lost."""
    mapping: dict[str, str] = {}
    lost: list[str] = []
    for rule in rules or ():
        if not isinstance(rule, Mapping):
            continue
        if rule.get("matchType", "exact") == "exact" and rule.get("source") and rule.get("target"):
            mapping[str(rule["source"])] = str(rule["target"])
        else:
            lost.append(f"{rule.get('matchType')} {rule.get('source')!r} → {rule.get('target')!r}")
    return mapping, lost


def _optional(target: Capabilities, carried: Carried, name: str, label: str, value: Any) -> None:
    if value is None:
        return
    if target.field(name):
        carried.spec.extra[name] = value
    else:
        carried.losses.append(f"{label}: {target.flavor_label} has no such field")
