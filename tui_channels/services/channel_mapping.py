"""Carry a channel to another site: its type, base URL, key and fields, and what cannot come along.

Between two sites of one kind almost everything carries; between kinds only what both model does.
Types travel by the protocol they speak (an OpenAI-compatible DeepSeek channel becomes an Octopus
"OpenAI Chat" channel); base URLs gain or lose their version segment (see `base_urls`); New API's
user groups, priority, weight, tag, model mapping and most overrides have no Octopus counterpart,
and Octopus's proxies, model regex and extra keys have no New API one; AxonHub keeps several keys,
a list of tags and a settings object (model mappings, prefixes, overrides) but no groups, priority
or weight. Claude Code Hub shares user groups and weights with New API and model mapping as exact
redirect rules, but its priority runs the other way (the lowest wins), so a priority never carries
between it and another backend; its limits, circuit breaker and other provider settings carry only
to another Claude Code Hub (`claudecodehub_mapping`). A family that declares how its channels
travel within itself (`ChannelCarry.within`: One Hub) is mapped through the families' `Portable`
settings instead, to and from every other family. A New API multi-key pool stays a pool (its keys
supplied by the user, its multi-key mode kept) where the target can hold one: New API v0.8.8+,
legacy Octopus's and AxonHub's key lists. Everything dropped is listed, per channel, so the user
sees it before confirming.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..backends.axonhub import carry as axonhub_carry
from ..backends.axonhub.wire import KEY_LIST_LABEL
from ..backends.base import Capabilities, FieldKind, Operation, VersionSegment
from ..backends.newapi import carry as newapi_carry
from ..backends.wire_values import json_object
from ..backends.registry import family_of, type_catalog
from ..models import BackendKind, Channel, ChannelSpec, ChannelStatus, ChannelType, TypeCode
from ..wording import plural
from . import base_urls
from . import claudecodehub_mapping as claudecodehub
from .carried import Carried, Origin
from .channel_form import MULTI_KEY_MODE

_OPENAI_LIKE = frozenset(
    {
        "openai", "openai chat", "custom", "openrouter", "moonshot", "perplexity", "lingyiwanwu",
        "siliconflow", "mistral", "deepseek", "xinference", "xai", "submodel", "groq",
        "openaicompatible", "openai compatible", "togetherai", "novita", "stepfun", "ollama",
    }
)
_PROTOCOL_BY_NAME = {
    "openai responses": "responses",
    "codex": "responses",
    "openai embedding": "embedding",
    "anthropic": "anthropic",
    "claude": "anthropic",
    "gemini": "gemini",
    "volcengine": "volcengine",
    "doubao": "volcengine",
}
_OCTOPUS_SEGMENT = {"gemini": "/v1beta", "volcengine": "/api/v3"}
_AXONHUB_OPENAI_CODES = frozenset(
    {
        "openai", "gemini_openai", "deepseek", "deepinfra", "moonshot", "zhipu", "zai", "openrouter", "vercel",
        "xai", "ppio", "siliconflow", "longcat", "minimax", "aihubmix", "burncloud", "modelscope", "bailian",
        "github", "ollama", "openai_fake",
    }
)
"""AxonHub types that speak the OpenAI chat API with a plain key (axonhub.md §3.4)."""
_OCTOPUS_CARRIED = (
    "proxy", "auto_sync", "custom_header", "param_override", "channel_proxy", "match_regex", "custom_model",
)
_OCTOPUS_ONLY = (
    ("proxy", "global proxy"), ("channel_proxy", "channel proxy"), ("match_regex", "model match regex"),
    ("auto_sync", "auto sync"),
)


def protocol(channel_type: ChannelType) -> str | None:
    """The wire protocol a type speaks, from its name (or AxonHub's type code), or None for a
    provider-specific one (AWS or GCP accounts, OAuth subscriptions)."""
    name = channel_type.name.lower()
    by_name = "openai" if name in _OPENAI_LIKE else _PROTOCOL_BY_NAME.get(name)
    code = channel_type.code
    if by_name is not None or not isinstance(code, str):
        return by_name
    if code in _AXONHUB_OPENAI_CODES:
        return "openai"
    if code.endswith("_anthropic"):
        return "anthropic"
    return {"openai_responses": "responses", "gemini": "gemini", "doubao": "volcengine"}.get(code)


def _same_numbering(channel: Channel, origin: Origin, target: Capabilities) -> bool:
    """Whether the type code means the same on the target: one numbering, and the target knows it."""
    if origin.flavor == target.flavor:
        return True
    types = type_catalog(origin.kind, origin.flavor)
    return types is not None and types.numbering == target.types.numbering and channel.type.code in target.types


def _target_type(channel: Channel, origin: Origin, target: Capabilities, carried: Carried) -> TypeCode | None:
    """The same type where the numbering agrees, else the type of the same name, else the target's
    type for the protocol the channel speaks (`Capabilities.protocol_types`)."""
    if _same_numbering(channel, origin, target):
        return channel.type.code
    named = target.types.by_name(channel.type.name)
    if named is not None:
        return named.code
    kind = protocol(channel.type)
    if kind is None or kind not in target.protocol_types:
        carried.problem = f"type {channel.type.name} has no {target.flavor_label} equivalent"
        return None
    code = target.protocol_types[kind]
    target_name = target.types.get(code).name
    if _canonical(target_name) != _canonical(channel.type.name):
        carried.losses.append(f"type {channel.type.name} becomes {target_name}")
    return code


def _canonical(type_name: str) -> str:
    """Type names that mean the same thing on both sides ("OpenAI" and Octopus's "OpenAI Chat")."""
    name = type_name.lower()
    return "openai" if name in ("openai", "openai chat", "openai compatible") else name


def _target_url(channel: Channel, origin: Origin, target: Capabilities) -> str:
    """The base URL as the target wants it; within one kind, as it was (empty stays "the default")."""
    if origin.kind is target.kind:
        return base_urls.clean(channel.base_url)
    url = channel.base_url or channel.type.default_base_url
    kind = protocol(channel.type) or "openai"
    if target.base_url_style is VersionSegment.STRIP:
        stripped = base_urls.without_version(url)
        return stripped.removesuffix("/api") if kind == "volcengine" else stripped
    if target.kind is BackendKind.AXONHUB and kind == "anthropic":
        return base_urls.without_version(url)
    segment = _OCTOPUS_SEGMENT.get(kind, "/v1")
    if target.base_url_style is VersionSegment.BY_RELEASE:
        return base_urls.for_octopus(url, target.version, legacy=target.flavor == "octopus-legacy", segment=segment)
    return base_urls.with_version(url, segment)


def _status(channel: Channel, carried: Carried) -> ChannelStatus:
    if channel.status is ChannelStatus.AUTO_DISABLED:
        carried.losses.append("auto-disabled: created as disabled")
    if channel.status in (ChannelStatus.ENABLED, ChannelStatus.UNKNOWN):
        return ChannelStatus.ENABLED
    return ChannelStatus.MANUALLY_DISABLED


def map_channel(channel: Channel, origin: Origin, target: Capabilities) -> Carried:
    """The spec that recreates `channel` (from `origin`) on the `target` site, with its losses."""
    carried = Carried(ChannelSpec(name=channel.name, type=0, key=channel.key or "", models=channel.models))
    carried.models_error = "" if channel.models else "the original had none"
    type_code = _target_type(channel, origin, target, carried)
    if type_code is None:
        return carried
    spec = carried.spec
    spec.type = type_code
    spec.base_url = _target_url(channel, origin, target)
    spec.status = _status(channel, carried)
    carried.needs_key = not channel.key
    raw = channel.raw
    if _carried_by_family(origin, target):
        _by_family(channel, origin, target, carried)
    elif BackendKind.CLAUDECODEHUB in (origin.kind, target.kind):
        handled = claudecodehub.carry(channel, origin, target, carried)
        if origin.kind is BackendKind.NEWAPI:
            _newapi_leftovers(raw, target, carried, handled)
        elif origin.kind is BackendKind.OCTOPUS:
            _octopus_leftovers(raw, target, carried, handled)
        elif origin.kind is BackendKind.AXONHUB:
            _axonhub_leftovers(channel, target, carried, handled)
    elif BackendKind.AXONHUB in (origin.kind, target.kind):
        _with_axonhub(channel, origin, target, carried)
    elif origin.kind is BackendKind.NEWAPI and target.kind is BackendKind.NEWAPI:
        _newapi_to_newapi(channel, target, carried)
    elif origin.kind is BackendKind.NEWAPI:
        _newapi_to_octopus(channel, carried)
    elif target.kind is BackendKind.NEWAPI:
        _octopus_to_newapi(raw, target, carried)
    else:
        _octopus_to_octopus(raw, origin, target, carried)
    if origin.kind is BackendKind.NEWAPI and _multi_key_size(raw) > 1:
        _multi_key_pool(raw, target, carried)
    _fit_name(carried, target)
    return carried


def _carried_by_family(origin: Origin, target: Capabilities) -> bool:
    """Whether a family's own `ChannelCarry` moves this channel: every pair with a family that
    carries channels within itself (One Hub); the older families' pairs are mapped below."""
    return any(family_of(kind).carry.within is not None for kind in (origin.kind, target.kind))


def _by_family(channel: Channel, origin: Origin, target: Capabilities, carried: Carried) -> None:
    """Within a family wire field by wire field; across families through `Portable` settings."""
    target_carry = family_of(target.kind).carry
    if origin.kind is target.kind and target_carry.within is not None:
        settings = target_carry.within(channel, origin.flavor, target)
    else:
        portable = family_of(origin.kind).carry.export(channel)
        settings = target_carry.adopt(portable, target)
        settings.losses.extend(loss.format(target=target.flavor_label) for loss in portable.unportable)
    spec = carried.spec
    spec.groups, spec.priority, spec.weight, spec.tag = settings.groups, settings.priority, settings.weight, settings.tag
    spec.extra = settings.extra
    if settings.key is not None:
        spec.key = settings.key
    carried.losses.extend(settings.losses)


def _fit_name(carried: Carried, target: Capabilities) -> None:
    """A name longer than the target takes is cut, and the cut is reported."""
    spec = target.field("name")
    limit = int(spec.maximum) if spec is not None and spec.maximum else None
    if limit is not None and len(carried.spec.name) > limit:
        carried.losses.append(f"name cut to {plural(limit, 'character')}: {target.flavor_label} takes no longer names")
        carried.spec.name = carried.spec.name[:limit].rstrip()


def _multi_key_size(raw: Mapping[str, Any]) -> int:
    info = raw.get("channel_info")
    return int(info.get("multi_key_size") or 0) if isinstance(info, Mapping) and info.get("is_multi_key") else 0


def _multi_key_pool(raw: Mapping[str, Any], target: Capabilities, carried: Carried) -> None:
    """A New API multi-key pool: recreated as a pool where the target can hold one, else one key."""
    info = raw["channel_info"]
    size = _multi_key_size(raw)
    carried.key_count = size
    if not can_hold_several_keys(target, multi_key_mode=True):
        carried.losses.append(
            f"multi-key pool of {plural(size, 'key')}: {target.flavor_label} holds one key per channel, so supply one"
        )
        carried.key_count = 1
        return
    if target.kind is BackendKind.NEWAPI:
        carried.spec.extra[MULTI_KEY_MODE] = info.get("multi_key_mode") or "random"
    statuses = info.get("multi_key_status_list") or {}
    off = sum(1 for status in statuses.values() if status not in (None, 1))
    if off:
        carried.losses.append(f"{off} disabled key{'s' if off > 1 else ''} of the pool: every key starts enabled")


def can_hold_several_keys(capabilities: Capabilities, *, multi_key_mode: bool) -> bool:
    """Whether one channel on this server can hold several keys: a key list (legacy Octopus, AxonHub
    where its key field is a list), or a New API multi-key pool (`mode: multi_to_single`, v0.8.8+)
    when a multi-key mode is chosen."""
    key_field = capabilities.field("key")
    if key_field is not None and (key_field.kind is FieldKind.KEY_LIST or key_field.label == KEY_LIST_LABEL):
        return True
    return multi_key_mode and capabilities.supports(Operation.MULTI_KEY)


def several_keys_problem(capabilities: Capabilities, spec: ChannelSpec) -> str:
    """Why `spec`'s key cannot be created as one channel (several lines the server would split or
    refuse), or "": the same rule the preview and the create follow, so they never disagree."""
    lines = [line for line in spec.key.splitlines() if line.strip()]
    if len(lines) <= 1 or can_hold_several_keys(capabilities, multi_key_mode=bool(spec.extra.get(MULTI_KEY_MODE))):
        return ""
    given = plural(len(lines), "key")
    return f"{given} given: {capabilities.flavor_label} holds one key per channel here, so supply one"


def _edited_by_entries(target: Capabilities, name: str) -> bool:
    """Whether the target edits this JSON column entry by entry (Veloera's `setting.proxy`…)."""
    return any(spec.name.startswith(f"{name}.") for spec in target.fields)


def _newapi_to_newapi(channel: Channel, target: Capabilities, carried: Carried) -> None:
    spec = carried.spec
    spec.groups = channel.groups or ("default",)
    spec.priority, spec.weight = channel.priority, channel.weight
    if channel.tag and target.field("tag"):
        spec.tag = channel.tag
    elif channel.tag:
        carried.losses.append(f"tag {channel.tag!r}: {target.flavor_label} has no tags")
    for name, label in newapi_carry.WIRE_LABELS:
        value = channel.raw.get(name)
        if name == "auto_ban" and value is not None and target.field(name):
            spec.extra[name] = value
        elif newapi_carry.meaningful(name, value):
            if target.field(name) or _edited_by_entries(target, name):
                spec.extra[name] = value
            else:
                carried.losses.append(f"{label}: {target.flavor_label} has no such field")


def _newapi_to_octopus(channel: Channel, carried: Carried) -> None:
    spec, raw, losses = carried.spec, channel.raw, carried.losses
    spec.groups, spec.extra["auto_sync"] = (), False
    if channel.groups:
        losses.append(f"groups {', '.join(channel.groups)}: Octopus channels have no user groups")
    if channel.priority:
        losses.append(f"priority {channel.priority}: Octopus sets priority on its groups")
    if channel.weight:
        losses.append(f"weight {channel.weight}: Octopus sets weights on its groups")
    if channel.tag:
        losses.append(f"tag {channel.tag!r}: Octopus has no tags")
    headers = _headers_from_override(raw.get("header_override"))
    if headers:
        spec.extra["custom_header"] = headers
    for name, label in newapi_carry.WIRE_LABELS:
        value = raw.get(name)
        if name == "param_override" and newapi_carry.meaningful(name, value):
            spec.extra["param_override"] = value
        elif name == "header_override" and headers:
            continue
        elif newapi_carry.meaningful(name, value):
            losses.append(f"{label}: Octopus has no such field")


def _newapi_leftovers(raw: Mapping[str, Any], target: Capabilities, carried: Carried, handled: frozenset[str]) -> None:
    """New API settings another backend's mapping did not carry, as losses."""
    for name, label in newapi_carry.WIRE_LABELS:
        if name not in handled and name != "auto_ban" and newapi_carry.meaningful(name, raw.get(name)):
            carried.losses.append(f"{label}: {target.flavor_label} has no such field")


def _octopus_leftovers(raw: Mapping[str, Any], target: Capabilities, carried: Carried, handled: frozenset[str]) -> None:
    """Octopus settings another backend's mapping did not carry, as losses."""
    for name, label in (*_OCTOPUS_ONLY, ("param_override", "parameter override"), ("custom_header", "custom headers")):
        if name not in handled and newapi_carry.meaningful(name, raw.get(name)):
            carried.losses.append(f"{label}: {target.flavor_label} has no such setting")
    _extra_urls_and_keys(raw, carried, target.flavor_label)


def _axonhub_leftovers(channel: Channel, target: Capabilities, carried: Carried, handled: frozenset[str]) -> None:
    """AxonHub settings another backend's mapping did not carry, as losses."""
    raw, label = channel.raw, target.flavor_label
    keys = axonhub_carry.keys_of(raw)
    if len(keys) > 1:
        carried.losses.append(f"{plural(len(keys) - 1, 'more key')}: {label} keeps one per channel (the first is carried)")
    if channel.tag:
        carried.losses.append(f"tags {channel.tag}: {label} has no tags")
    for name, what in axonhub_carry.WIRE_LABELS:
        if name not in handled and raw.get(name) not in (None, "", [], 0):
            carried.losses.append(f"{what}: {label} has no such field")
    left = sorted(axonhub_carry.settings_of(raw).keys() - handled)
    if left:
        carried.losses.append(f"settings ({', '.join(left)}): {label} has no counterpart")
    _lost_credentials(raw, carried, label)


def _headers_from_override(value: Any) -> list[dict[str, str]]:
    """New API's header override (a JSON object of plain values) as Octopus custom headers."""
    return [{"header_key": k, "header_value": v} for k, v in newapi_carry.headers_from_override(value).items()]


def _octopus_to_newapi(raw: Mapping[str, Any], target: Capabilities, carried: Carried) -> None:
    spec, losses = carried.spec, carried.losses
    spec.groups, spec.priority, spec.weight = ("default",), 0, 0
    if newapi_carry.meaningful("param_override", raw.get("param_override")):
        if target.field("param_override"):
            spec.extra["param_override"] = raw["param_override"]
        else:
            losses.append(f"parameter override: {target.flavor_label} has no such field")
    entries = [h for h in raw.get("custom_header") or [] if isinstance(h, Mapping)]
    headers = {h.get("header_key"): h.get("header_value") for h in entries}
    if headers and target.field("header_override"):
        spec.extra["header_override"] = json.dumps(headers, ensure_ascii=False)
    elif headers:
        losses.append(f"custom headers: {target.flavor_label} has no header override")
    for name, label in _OCTOPUS_ONLY:
        if raw.get(name):
            losses.append(f"{label}: New API has no such channel setting")
    _extra_urls_and_keys(raw, carried, "New API")


def _extra_urls_and_keys(raw: Mapping[str, Any], carried: Carried, target_label: str) -> None:
    """Legacy Octopus channels hold several base URLs, several keys and an auto-group mode."""
    urls = raw.get("base_urls") or []
    keys = [k for k in raw.get("keys") or [] if isinstance(k, Mapping) and k.get("channel_key")]
    if len(urls) > 1:
        carried.losses.append(f"{len(urls) - 1} more base URLs: {target_label} keeps one (the fastest is carried)")
    if len(keys) > 1:
        carried.losses.append(f"{plural(len(keys) - 1, 'more key')}: {target_label} keeps one (the first enabled is carried)")
    if raw.get("auto_group"):
        carried.losses.append(f"auto group mode {raw['auto_group']}: {target_label} has no auto grouping")


def _octopus_to_octopus(raw: Mapping[str, Any], origin: Origin, target: Capabilities, carried: Carried) -> None:
    spec = carried.spec
    spec.groups = ()
    spec.extra = {name: raw[name] for name in _OCTOPUS_CARRIED if name in raw}
    both_legacy = origin.flavor == target.flavor == "octopus-legacy"
    if both_legacy:
        spec.extra["auto_group"] = raw.get("auto_group") or 0
        if raw.get("base_urls"):
            spec.extra["base_urls"] = [{"url": u.get("url"), "delay": u.get("delay") or 0} for u in raw["base_urls"]]
        keys = [k for k in raw.get("keys") or [] if isinstance(k, Mapping) and k.get("channel_key")]
        if keys:
            spec.extra["keys"] = [
                {"enabled": bool(k.get("enabled")), "channel_key": k["channel_key"], "remark": k.get("remark") or ""}
                for k in keys
            ]
    elif origin.flavor == "octopus-legacy":
        _extra_urls_and_keys(raw, carried, target.flavor_label)


def _with_axonhub(channel: Channel, origin: Origin, target: Capabilities, carried: Carried) -> None:
    """Channels to, from or between AxonHub sites."""
    spec = carried.spec
    spec.groups = ()
    if origin.kind is BackendKind.AXONHUB and target.kind is BackendKind.AXONHUB:
        _axonhub_to_axonhub(channel, target, carried)
    elif origin.kind is BackendKind.AXONHUB:
        _from_axonhub(channel, target, carried)
    elif origin.kind is BackendKind.NEWAPI:
        _newapi_to_axonhub(channel, target, carried)
    else:
        _octopus_to_axonhub(channel.raw, target, carried)


def _lost_credentials(raw: Mapping[str, Any], carried: Carried, target_label: str) -> None:
    carried.losses.extend(loss.format(target=target_label) for loss in axonhub_carry.lost_credentials(raw))


def _axonhub_to_axonhub(channel: Channel, target: Capabilities, carried: Carried) -> None:
    spec, raw = carried.spec, channel.raw
    label = target.flavor_label
    if raw.get("status") == "archived":
        carried.losses.append("archived: created as disabled")
    keys = axonhub_carry.keys_of(raw)
    key_field = target.field("key")
    if len(keys) > 1 and key_field is not None and key_field.label == KEY_LIST_LABEL:
        spec.key = "\n".join(keys)
    elif len(keys) > 1:
        carried.losses.append(f"{plural(len(keys) - 1, 'more key')}: {label} keeps one per channel (the first is carried)")
    spec.tag = channel.tag if target.field("tag") else None
    if channel.tag and not target.field("tag"):
        carried.losses.append(f"tags {channel.tag}: {target.flavor_label} has no tags")
    for name, what in axonhub_carry.WIRE_LABELS:
        if raw.get(name) in (None, "", [], 0):
            continue
        if target.field(name):
            spec.extra[name] = raw[name]
        else:
            carried.losses.append(f"{what}: {label} has no such field")
    settings = axonhub_carry.settings_of(raw)
    settings_field = target.field("settings")
    members = {name for name, _ in settings_field.choices} if settings_field is not None else set()
    kept = {name: value for name, value in settings.items() if name in members}
    if kept:
        spec.extra["settings"] = kept
    left = sorted(settings.keys() - kept.keys())
    if left:
        carried.losses.append(f"settings ({', '.join(left)}): {label} has no such field")
    _lost_credentials(raw, carried, label)


def _from_axonhub(channel: Channel, target: Capabilities, carried: Carried) -> None:
    spec, raw, losses = carried.spec, channel.raw, carried.losses
    label = target.flavor_label
    keys = axonhub_carry.keys_of(raw)
    if len(keys) > 1:
        losses.append(f"{plural(len(keys) - 1, 'more key')}: {label} keeps one per channel (the first is carried)")
    tags = [t.strip() for t in (channel.tag or "").split(",") if t.strip()]
    if tags and target.field("tag"):
        spec.tag = tags[0]
        if len(tags) > 1:
            losses.append(f"tags {', '.join(tags[1:])}: {label} keeps one tag (the first is carried)")
    elif tags:
        losses.append(f"tags {', '.join(tags)}: {label} has no tags")
    settings = axonhub_carry.settings_of(raw)
    mappings = settings.pop("modelMappings", None)
    if mappings and target.field("model_mapping"):
        spec.extra["model_mapping"] = json.dumps(
            {m.get("from"): m.get("to") for m in mappings if isinstance(m, Mapping)}, ensure_ascii=False
        )
    elif mappings:
        losses.append(f"model mapping: {label} has no such field")
    if settings:
        losses.append(f"settings ({', '.join(settings)}): {label} has no counterpart")
    if target.kind is BackendKind.NEWAPI:
        spec.groups, spec.priority, spec.weight = ("default",), 0, 0
        for name, wire, what in (("defaultTestModel", "test_model", "test model"), ("remark", "remark", "remark")):
            if raw.get(name) and target.field(wire):
                spec.extra[wire] = raw[name]
            elif raw.get(name):
                losses.append(f"{what}: {label} has no such field")
    else:
        spec.extra["auto_sync"] = False
        manual = [str(m) for m in raw.get("manualModels") or []]
        if manual:
            spec.extra["custom_model"] = ",".join(manual)
        if raw.get("remark"):
            losses.append(f"remark: {label} has no such field")
    if raw.get("orderingWeight"):
        losses.append(f"display order {raw['orderingWeight']}: {label} has no such field")
    _lost_credentials(raw, carried, label)


def _newapi_to_axonhub(channel: Channel, target: Capabilities, carried: Carried) -> None:
    spec, raw, losses = carried.spec, channel.raw, carried.losses
    label = target.flavor_label
    if channel.groups:
        losses.append(f"groups {', '.join(channel.groups)}: AxonHub channels have no user groups")
    if channel.priority:
        losses.append(f"priority {channel.priority}: AxonHub routes by its load-balancer settings")
    if channel.weight:
        losses.append(f"weight {channel.weight}: AxonHub routes by its load-balancer settings")
    if channel.tag and target.field("tag"):
        spec.tag = channel.tag
    elif channel.tag:
        losses.append(f"tag {channel.tag!r}: {label} has no tags")
    mapping = json_object(raw.get("model_mapping"))
    if mapping and target.field("settings"):
        spec.extra["settings"] = {"modelMappings": [{"from": k, "to": str(v)} for k, v in mapping.items()]}
    carried_wire = {"model_mapping": bool(mapping and target.field("settings"))}
    for name, wire in (("test_model", "defaultTestModel"), ("remark", "remark")):
        if newapi_carry.meaningful(name, raw.get(name)) and target.field(wire):
            spec.extra[wire] = raw[name]
            carried_wire[name] = True
    for name, what in newapi_carry.WIRE_LABELS:
        if name != "auto_ban" and newapi_carry.meaningful(name, raw.get(name)) and not carried_wire.get(name):
            losses.append(f"{what}: AxonHub has no such field")


def _octopus_to_axonhub(raw: Mapping[str, Any], target: Capabilities, carried: Carried) -> None:
    custom = [m.strip() for m in str(raw.get("custom_model") or "").split(",") if m.strip()]
    if custom and target.field("manualModels"):
        carried.spec.extra["manualModels"] = custom
    for name, label in (*_OCTOPUS_ONLY, ("custom_header", "custom headers"), ("param_override", "parameter override")):
        if raw.get(name):
            carried.losses.append(f"{label}: AxonHub has no such channel setting")
    _extra_urls_and_keys(raw, carried, "AxonHub")
