"""How AxonHub channels travel to and from families that map through `Portable` settings (One Hub;
see `services/channel_mapping.py`).

AxonHub keeps several keys, a list of tags and a settings object (model mappings, prefixes,
overrides) but no groups, priority or weight.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...models import Channel
from ...wording import plural
from ..base import Capabilities, CarriedSettings, ChannelCarry, Portable
from ..secret_fields import hide_url_credentials
from ..wire_values import json_object

WIRE_LABELS = (
    ("remark", "remark"),
    ("manualModels", "manual models"),
    ("defaultTestModel", "test model"),
    ("orderingWeight", "display order"),
)
"""The top-level wire fields of an AxonHub channel worth carrying, with the label a loss names."""


def keys_of(raw: Mapping[str, Any]) -> list[str]:
    """The channel's keys: `credentials.apiKey` first, then the `apiKeys` list without repeats."""
    credentials = raw.get("credentials") if isinstance(raw.get("credentials"), Mapping) else {}
    keys = [str(credentials["apiKey"])] if credentials.get("apiKey") else []
    return keys + [str(k) for k in credentials.get("apiKeys") or [] if k and str(k) not in keys]


def settings_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The members of an AxonHub settings object that hold something."""
    settings = raw.get("settings") if isinstance(raw.get("settings"), Mapping) else {}
    return {k: v for k, v in settings.items() if v not in (None, "", [], {}, False)}


def lost_credentials(raw: Mapping[str, Any]) -> list[str]:
    """Cloud and sign-in credentials no other family holds, as losses naming `{target}`."""
    credentials = raw.get("credentials") if isinstance(raw.get("credentials"), Mapping) else {}
    return [
        f"{label} credentials: {{target}} gets the plain key only"
        for name, label in (("gcp", "Google Cloud account"), ("aws", "AWS account"), ("oauth", "OAuth sign-in"))
        if credentials.get(name)
    ]


def export(channel: Channel) -> Portable:
    raw = channel.raw
    unportable: list[str] = []
    keys = keys_of(raw)
    if len(keys) > 1:
        unportable.append(f"{plural(len(keys) - 1, 'more key')}: {{target}} keeps one per channel (the first is carried)")
    tags = [t.strip() for t in (channel.tag or "").split(",") if t.strip()]
    if len(tags) > 1:
        unportable.append(f"tags {', '.join(tags[1:])}: {{target}} keeps one tag (the first is carried)")
    settings = settings_of(raw)
    mappings = settings.pop("modelMappings", None) or []
    if settings:
        unportable.append(f"settings ({', '.join(settings)}): {{target}} has no counterpart")
    if raw.get("orderingWeight"):
        unportable.append(f"display order {raw['orderingWeight']}: {{target}} has no such field")
    mapping = {m.get("from"): m.get("to") for m in mappings if isinstance(m, Mapping)}
    return Portable(
        tag=tags[0] if tags else None,
        model_mapping=json.dumps(mapping, ensure_ascii=False) if mapping else "",
        test_model=str(raw.get("defaultTestModel") or ""),
        remark=str(raw.get("remark") or ""),
        pinned_models=tuple(str(m) for m in raw.get("manualModels") or []),
        unportable=tuple(unportable + lost_credentials(raw)),
    )


def adopt(portable: Portable, target: Capabilities) -> CarriedSettings:
    """Portable settings as an AxonHub channel's: no groups, priority or weight."""
    label = target.flavor_label
    carried = CarriedSettings()
    losses = carried.losses
    if portable.groups:
        losses.append(f"groups {', '.join(portable.groups)}: AxonHub channels have no user groups")
    if portable.priority:
        losses.append(f"priority {portable.priority}: AxonHub routes by its load-balancer settings")
    if portable.weight:
        losses.append(f"weight {portable.weight}: AxonHub routes by its load-balancer settings")
    if portable.tag and target.field("tag"):
        carried.tag = portable.tag
    elif portable.tag:
        losses.append(f"tag {portable.tag!r}: {label} has no tags")
    mapping = json_object(portable.model_mapping)
    if mapping and target.field("settings"):
        carried.extra["settings"] = {"modelMappings": [{"from": k, "to": str(v)} for k, v in mapping.items()]}
    elif mapping:
        losses.append(f"model mapping: {label} has no such field")
    for wire, what, value in (
        ("defaultTestModel", "test model", portable.test_model),
        ("remark", "remark", portable.remark),
    ):
        if value and target.field(wire):
            carried.extra[wire] = value
        elif value:
            losses.append(f"{what}: {label} has no such field")
    if portable.pinned_models and target.field("manualModels"):
        carried.extra["manualModels"] = list(portable.pinned_models)
    if portable.param_override:
        losses.append(f"parameter override: {label} has no such field")
    if portable.headers:
        losses.append(f"header override: {label} has no such field")
    if portable.proxy:
        losses.append(f"proxy {hide_url_credentials(portable.proxy)}: {label} keeps proxies in its own settings; set it there")
    return carried


CARRY = ChannelCarry(export=export, adopt=adopt)
