"""How Octopus channels travel to and from families that map through `Portable` settings (One Hub;
see `services/channel_mapping.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...models import Channel
from ...wording import plural
from ..base import Capabilities, CarriedSettings, ChannelCarry, Portable

_OWN = (("proxy", "global proxy"), ("match_regex", "model match regex"), ("auto_sync", "auto sync"))


def _extra_urls_and_keys(raw: Mapping[str, Any]) -> list[str]:
    """Legacy Octopus channels hold several base URLs, several keys and an auto-group mode."""
    urls = raw.get("base_urls") or []
    keys = raw.get("keys") or []
    losses = []
    if len(urls) > 1:
        losses.append(f"{len(urls) - 1} more base URLs: {{target}} keeps one (the fastest is carried)")
    if len(keys) > 1:
        losses.append(f"{plural(len(keys) - 1, 'more key')}: {{target}} keeps one (the first enabled is carried)")
    if raw.get("auto_group"):
        losses.append(f"auto group mode {raw['auto_group']}: {{target}} has no auto grouping")
    return losses


def export(channel: Channel) -> Portable:
    raw = channel.raw
    entries = [h for h in raw.get("custom_header") or [] if isinstance(h, Mapping)]
    headers = {str(h.get("header_key")): str(h.get("header_value") or "") for h in entries if h.get("header_key")}
    unportable = [f"{label}: {{target}} has no such channel setting" for name, label in _OWN if raw.get(name)]
    return Portable(
        headers=headers,
        param_override=str(raw.get("param_override") or ""),
        proxy=str(raw.get("channel_proxy") or ""),
        pinned_models=tuple(m.strip() for m in str(raw.get("custom_model") or "").split(",") if m.strip()),
        unportable=tuple(unportable + _extra_urls_and_keys(raw)),
    )


def adopt(portable: Portable, target: Capabilities) -> CarriedSettings:
    """Portable settings as an Octopus channel's: no groups, priority, weight or tags; auto sync off."""
    carried = CarriedSettings(extra={"auto_sync": False})
    losses = carried.losses
    if portable.groups:
        losses.append(f"groups {', '.join(portable.groups)}: Octopus channels have no user groups")
    if portable.priority:
        losses.append(f"priority {portable.priority}: Octopus sets priority on its groups")
    if portable.weight:
        losses.append(f"weight {portable.weight}: Octopus sets weights on its groups")
    if portable.tag:
        losses.append(f"tag {portable.tag!r}: Octopus has no tags")
    if portable.headers:
        carried.extra["custom_header"] = [{"header_key": k, "header_value": v} for k, v in portable.headers.items()]
    if portable.param_override:
        carried.extra["param_override"] = portable.param_override
    if portable.proxy:
        carried.extra["channel_proxy"] = portable.proxy
    if portable.pinned_models:
        carried.extra["custom_model"] = ",".join(portable.pinned_models)
    if portable.model_mapping:
        losses.append("model mapping: Octopus has no such field")
    if portable.test_model:
        losses.append("test model: Octopus has no such field")
    if portable.remark:
        losses.append("remark: Octopus has no such field")
    return carried


CARRY = ChannelCarry(export=export, adopt=adopt)
