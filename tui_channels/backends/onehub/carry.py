"""How One Hub and Done Hub channels travel: within the family column by column, to and from every
other family through `Portable` settings (`services/channel_mapping.py`).

A One Hub channel holds one key (several keys are several channels sharing a tag), user groups,
priority (higher first), weight, a tag, a model mapping, extra upstream headers (`model_headers`),
custom parameters merged into requests, a proxy and a test model; the rest (`other`, pre-billing,
the chat-only and pass-through switches, plugins, Done Hub's cost multiplier) is its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...models import Channel
from ..base import Capabilities, CarriedSettings, ChannelCarry, Portable
from ..wire_values import json_object

OWN_COLUMNS = (
    ("other", "type-specific setting (other)"),
    ("only_chat", "chat only"),
    ("pre_cost", "pre-billing mode"),
    ("compatible_response", "Responses via chat"),
    ("allow_extra_body", "pass unknown fields"),
    ("disabled_stream", "models without streaming"),
    ("plugin", "plugins"),
    ("header_override", "header override"),
    ("pass_through_body", "body pass-through"),
    ("cost_ratio", "cost multiplier"),
)
"""Columns only this family has, with the label a loss names."""

SHARED_COLUMNS = ("model_mapping", "model_headers", "custom_parameter", "proxy", "test_model")
"""Columns that carry within the family (and, translated, to other families)."""

_DEFAULTS: Mapping[str, Any] = {"pre_cost": 1}


def meaningful(name: str, value: Any) -> bool:
    """Whether a column says something beyond the server's default (pre-billing's default is 1)."""
    if name in _DEFAULTS:
        return value not in (None, _DEFAULTS[name], 0)
    return value not in (None, "", "{}", [], {}, False)


def _headers(value: Any) -> dict[str, str]:
    """`model_headers` as plain headers; {} when it holds anything but text values."""
    data = json_object(value)
    return {str(k): v for k, v in data.items()} if all(isinstance(v, str) for v in data.values()) else {}


def export(channel: Channel) -> Portable:
    raw = channel.raw
    headers = _headers(raw.get("model_headers"))
    unportable = [
        f"{label}: {{target}} has no such field" for name, label in OWN_COLUMNS if meaningful(name, raw.get(name))
    ]
    if meaningful("model_headers", raw.get("model_headers")) and not headers:
        unportable.append("extra headers (not plain text values): {target} takes plain headers only")
    return Portable(
        groups=channel.groups,
        priority=channel.priority,
        weight=channel.weight,
        tag=channel.tag,
        model_mapping=str(raw.get("model_mapping") or "") if meaningful("model_mapping", raw.get("model_mapping")) else "",
        headers=headers,
        param_override=str(raw.get("custom_parameter") or "")
        if meaningful("custom_parameter", raw.get("custom_parameter"))
        else "",
        test_model=str(raw.get("test_model") or ""),
        proxy=str(raw.get("proxy") or ""),
        unportable=tuple(unportable),
    )


def adopt(portable: Portable, target: Capabilities) -> CarriedSettings:
    """Portable settings as a One Hub channel's; a remark and hand-pinned models have no place here."""
    label = target.flavor_label
    carried = CarriedSettings(
        groups=portable.groups or ("default",),
        priority=portable.priority or 0,
        weight=max(portable.weight or 1, 1),
        tag=portable.tag or None,
    )
    if portable.weight == 0:
        carried.losses.append(f"weight 0 becomes 1: {label} weights start at 1")
    for name, value in (
        ("model_mapping", portable.model_mapping),
        ("custom_parameter", portable.param_override),
        ("test_model", portable.test_model),
        ("proxy", portable.proxy),
    ):
        if value:
            carried.extra[name] = value
    if portable.headers:
        carried.extra["model_headers"] = json.dumps(dict(portable.headers), ensure_ascii=False)
    if portable.remark:
        carried.losses.append(f"remark: {label} has no such field")
    if portable.pinned_models:
        carried.losses.append(
            f"hand-added models kept apart ({', '.join(portable.pinned_models)}): {label} keeps one model list"
        )
    return carried


def within(channel: Channel, origin_flavor: str, target: Capabilities) -> CarriedSettings:
    """Column by column between One Hub and Done Hub sites; Done Hub's own columns are lost on One Hub."""
    raw = channel.raw
    carried = CarriedSettings(
        groups=channel.groups or ("default",), priority=channel.priority, weight=channel.weight, tag=channel.tag
    )
    for name in SHARED_COLUMNS:
        if meaningful(name, raw.get(name)):
            carried.extra[name] = raw[name]
    for name, label in OWN_COLUMNS:
        value = raw.get(name)
        if not meaningful(name, value):
            continue
        if target.field(name) or name in ("disabled_stream", "plugin"):
            carried.extra[name] = value
        else:
            carried.losses.append(f"{label}: {target.flavor_label} has no such field")
    return carried


CARRY = ChannelCarry(export=export, adopt=adopt, within=within)
