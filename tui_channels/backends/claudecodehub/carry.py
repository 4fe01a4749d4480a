"""How Claude Code Hub providers travel to and from families that map through `Portable` settings
(One Hub; see `services/channel_mapping.py`; the other families' pairs are in
`services/claudecodehub_mapping.py`).

A provider's groups are user groups and its weight is 1-100; its priority runs the other way from
the others' (the lowest wins), so a priority never carries; exact model redirects are a model
mapping; secret header values read as `[REDACTED]` and cannot be copied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...models import Channel
from ..base import Capabilities, CarriedSettings, ChannelCarry, Portable
from .wire import DEFAULT_GROUP, MAX_WEIGHT, MIN_WEIGHT, PROTECTED_HEADERS, REDACTED, is_masked, other_rules

HUB = "Claude Code Hub"

HUB_ONLY: tuple[tuple[str, str, Any], ...] = (
    ("costMultiplier", "cost multiplier", 1),
    ("limit5hUsd", "5-hour spend limit", None),
    ("limitDailyUsd", "daily spend limit", None),
    ("limitWeeklyUsd", "weekly spend limit", None),
    ("limitMonthlyUsd", "monthly spend limit", None),
    ("limitTotalUsd", "total spend limit", None),
    ("limitConcurrentSessions", "concurrent session limit", 0),
    ("maxRetryAttempts", "retry attempts", None),
    ("groupPriorities", "per-group priorities", None),
    ("activeTimeStart", "active hours", None),
    ("allowedClients", "allowed clients", []),
    ("blockedClients", "blocked clients", []),
    ("preserveClientIp", "client IP passthrough", False),
    ("disableSessionReuse", "no session reuse", False),
    ("mcpPassthroughType", "MCP passthrough", "none"),
    ("firstByteTimeoutStreamingMs", "first-byte timeout", 0),
    ("streamingIdleTimeoutMs", "streaming idle timeout", 0),
    ("requestTimeoutNonStreamingMs", "request timeout", 0),
    ("circuitBreakerFailureThreshold", "circuit breaker threshold", 5),
    ("circuitBreakerOpenDuration", "circuit breaker open time", 1_800_000),
    ("websiteUrl", "website", None),
)
"""Provider settings no other backend has: (read name, label, the server's default)."""


def export(channel: Channel) -> Portable:
    raw = channel.raw
    unportable: list[str] = []
    if channel.priority:
        unportable.append(f"priority {channel.priority}: {HUB} tries the lowest first, {{target}} does not; created at 0")
    for rule in other_rules(raw.get("allowedModels")):
        unportable.append(f"model rule {rule.get('matchType')} {rule.get('pattern')!r}: {{target}} lists models by name")
    mapping: dict[str, str] = {}
    for rule in raw.get("modelRedirects") or ():
        if not isinstance(rule, Mapping):
            continue
        if rule.get("matchType", "exact") == "exact" and rule.get("source") and rule.get("target"):
            mapping[str(rule["source"])] = str(rule["target"])
        else:
            unportable.append(
                f"model redirect {rule.get('matchType')} {rule.get('source')!r} → {rule.get('target')!r}: "
                "{target} maps models by exact name"
            )
    custom = raw.get("customHeaders") if isinstance(raw.get("customHeaders"), Mapping) else {}
    headers = {str(k): str(v) for k, v in custom.items() if v != REDACTED}
    unportable += [f"custom header {k}: the server shows it redacted" for k, v in custom.items() if v == REDACTED]
    for read_name, setting, default in HUB_ONLY:
        value = raw.get(read_name)
        if value is not None and value != default:
            unportable.append(f"{setting}: {{target}} has no such setting")
    proxy = raw.get("proxyUrl")
    return Portable(
        groups=channel.groups,
        weight=channel.weight,
        model_mapping=json.dumps(mapping, ensure_ascii=False) if mapping else "",
        headers=headers,
        proxy=str(proxy) if proxy and not is_masked(str(proxy)) else "",
        unportable=tuple(unportable),
    )


def adopt(portable: Portable, target: Capabilities) -> CarriedSettings:
    """Portable settings as a provider's: groups (`default` when none), weight within 1-100, priority 0."""
    label = target.flavor_label
    carried = CarriedSettings(groups=portable.groups or (DEFAULT_GROUP,), priority=0)
    losses = carried.losses
    if portable.priority:
        losses.append(f"priority {portable.priority}: the origin tries the highest first, {HUB} the lowest; created at 0")
    weight = portable.weight or None
    if weight is not None and weight > MAX_WEIGHT:
        losses.append(f"weight {weight} becomes {MAX_WEIGHT}: {HUB} weights are {MIN_WEIGHT}–{MAX_WEIGHT}")
        weight = MAX_WEIGHT
    carried.weight = max(MIN_WEIGHT, weight) if weight is not None else None
    if portable.tag:
        losses.append(f"tag {portable.tag!r}: {label} has no tags")
    try:
        mapping = json.loads(portable.model_mapping) if portable.model_mapping else {}
    except ValueError:
        mapping = {}
    if isinstance(mapping, dict) and mapping:
        carried.extra["model_redirects"] = [
            {"matchType": "exact", "source": str(k), "target": str(v)} for k, v in mapping.items()
        ]
    kept = {}
    for name, value in portable.headers.items():
        if name.lower() in PROTECTED_HEADERS:
            losses.append(f"header {name}: {HUB} sets the upstream's authentication itself")
        else:
            kept[name] = value
    if kept:
        carried.extra["custom_headers"] = kept
    if portable.proxy:
        carried.extra["proxy_url"] = portable.proxy
    for what, value in (
        ("test model", portable.test_model),
        ("parameter override", portable.param_override),
        ("remark", portable.remark),
    ):
        if value:
            losses.append(f"{what}: {label} has no such field")
    return carried


CARRY = ChannelCarry(export=export, adopt=adopt)
