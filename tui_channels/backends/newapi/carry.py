"""How New API-family channels travel to and from families that map through `Portable` settings
(One Hub; see `services/channel_mapping.py`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...models import Channel
from ..base import Capabilities, CarriedSettings, ChannelCarry, Portable
from ..secret_fields import hide_url_credentials

WIRE_LABELS = (
    ("model_mapping", "model mapping"),
    ("test_model", "test model"),
    ("auto_ban", "auto-ban"),
    ("remark", "remark"),
    ("openai_organization", "OpenAI organization"),
    ("other", "type-specific setting (other)"),
    ("status_code_mapping", "status code mapping"),
    ("param_override", "parameter override"),
    ("header_override", "header override"),
    ("setting", "channel settings (proxy, force format…)"),
    ("settings", "other settings"),
    ("system_prompt", "system prompt"),
    ("config", "config (region, keys, API version…)"),
    ("model_prefix", "model prefix"),
)
"""The wire fields of a New API-family channel worth carrying, with the label a loss names."""

_PORTABLE = frozenset({"model_mapping", "test_model", "param_override", "remark"})


def meaningful(name: str, value: Any) -> bool:
    """Whether a wire value says something beyond the server's default (auto-ban's default is on)."""
    if name == "auto_ban":
        return value == 0
    return value not in (None, "", "{}", [], {})


def headers_from_override(value: Any) -> dict[str, str]:
    """A header override (a JSON object of plain values) as headers; {} when it holds anything else."""
    try:
        headers = json.loads(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) and "{" not in v for v in headers.values()):
        return {}
    return {str(k): v for k, v in headers.items()}


def setting_value(raw: Mapping[str, Any], key: str) -> Any:
    """One entry of the `setting` JSON column (proxy, force_format…), or None."""
    text = raw.get("setting")
    try:
        data = json.loads(text) if isinstance(text, str) and text.strip() else text
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None


def export(channel: Channel) -> Portable:
    raw = channel.raw
    headers = headers_from_override(raw.get("header_override"))
    unportable = [
        f"{label}: {{target}} has no such field"
        for name, label in WIRE_LABELS
        if name not in _PORTABLE
        and meaningful(name, raw.get(name))
        and not (name == "header_override" and headers)
    ]
    return Portable(
        groups=channel.groups,
        priority=channel.priority,
        weight=channel.weight,
        tag=channel.tag,
        model_mapping=str(raw.get("model_mapping") or "") if meaningful("model_mapping", raw.get("model_mapping")) else "",
        headers=headers,
        param_override=str(raw.get("param_override") or "") if meaningful("param_override", raw.get("param_override")) else "",
        test_model=str(raw.get("test_model") or ""),
        proxy=str(setting_value(raw, "proxy") or ""),
        remark=str(raw.get("remark") or ""),
        unportable=tuple(unportable),
    )


def adopt(portable: Portable, target: Capabilities) -> CarriedSettings:
    """Portable settings as a New API-family channel's; what the target flavor lacks is a loss."""
    label = target.flavor_label
    carried = CarriedSettings(groups=portable.groups or ("default",), priority=portable.priority or 0, weight=portable.weight or 0)
    if portable.tag and target.field("tag"):
        carried.tag = portable.tag
    elif portable.tag:
        carried.losses.append(f"tag {portable.tag!r}: {label} has no tags")
    wanted = {
        "model_mapping": ("model mapping", portable.model_mapping),
        "param_override": ("parameter override", portable.param_override),
        "test_model": ("test model", portable.test_model),
        "remark": ("remark", portable.remark),
    }
    for name, (what, value) in wanted.items():
        if not value:
            continue
        if target.field(name):
            carried.extra[name] = value
        else:
            carried.losses.append(f"{what}: {label} has no such field")
    if portable.headers and target.field("header_override"):
        carried.extra["header_override"] = json.dumps(dict(portable.headers), ensure_ascii=False)
    elif portable.headers:
        carried.losses.append(f"custom headers: {label} has no header override")
    if portable.proxy and target.field("setting.proxy"):
        carried.extra["setting.proxy"] = portable.proxy
    elif portable.proxy and target.field("setting"):
        carried.extra["setting"] = json.dumps({"proxy": portable.proxy})
    elif portable.proxy:
        carried.losses.append(f"proxy {hide_url_credentials(portable.proxy)}: {label} has no channel proxy")
    return carried


CARRY = ChannelCarry(export=export, adopt=adopt)
