"""A channel's field values as the history journal keeps them, and back as an undo sends them.

A field is named as `Backend.update_channel` takes it (a neutral name or the backend's wire name)
and its value is what an edit form would send for it (`ChannelForm.sent_values`), made plain JSON.
So "before" and "after" compare like for like whichever backend the site runs, and an undo sends
a "before" value back through the same path an edit takes. No backend kind is named here.

Secrets never enter the journal: keys, key lists, headers and anything named like a credential are
withheld by name, and any other value the scrubber would mask (a key in a base URL, a password in
a settings object, a proxy URL with credentials) is withheld too. Identifiers (a name, a tag, model
and group lists) are not secrets: one is withheld only if it holds a secret this process knows
(`redact.mask_remembered`), never because it looks like a key (`xai-official-90`).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..backends.base import Capabilities, FieldKind, FieldSpec
from ..backends.registry import family_of
from ..backends.secret_fields import SecretFields, redact
from ..model_groups import GroupMember, ModelGroup
from ..models import NEUTRAL_FIELDS, Channel, ChannelStatus, split_list
from ..redact import holds_remembered, mask_remembered, remembers_secrets, scrub
from .channel_form import ChannelForm, FormMode, field_index

SECRET_KINDS = frozenset({FieldKind.SECRET, FieldKind.KEY_LIST, FieldKind.HEADERS})
_SECRET_NAME = re.compile(r"key|credential|header|password|passwd|token|secret|cookie|auth", re.IGNORECASE)
_KEEP_NAMES = frozenset({"multi_key_mode"})
"""Names the credential pattern catches that hold no secret (how a multi-key channel picks a key)."""
INSTRUCTIONS = frozenset({"key_mode"})
"""Change keys that say how to apply a change rather than naming a field: never journalled."""
_IDENTIFIER_NAMES = frozenset({"name", "tag"})
_IDENTIFIER_KINDS = frozenset({FieldKind.MODELS, FieldKind.GROUPS, FieldKind.TYPE, FieldKind.STATUS})
_URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
_PLAIN_TYPES = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class FieldValues:
    """Plain JSON values by field name, and the fields withheld as secrets."""

    values: dict[str, Any]
    withheld: tuple[str, ...] = ()


def field_spec(capabilities: Capabilities, name: str) -> FieldSpec | None:
    """The form field a change key belongs to (list fields are sent under their wire names)."""
    return field_index(capabilities.fields).by_wire_name.get(name)


def is_secret_field(capabilities: Capabilities, name: str) -> bool:
    return _secret_field(field_spec(capabilities, name), name)


def _secret_field(spec: FieldSpec | None, name: str) -> bool:
    if spec is not None and spec.kind in SECRET_KINDS:
        return True
    return name not in _KEEP_NAMES and bool(_SECRET_NAME.search(name))


def looks_secret(value: Any) -> bool:
    """Whether the scrubber would mask anything in the value, or it holds a URL with credentials."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return scrub(text) != text or bool(_URL_CREDENTIALS.search(text))


def holds_secret(capabilities: Capabilities, name: str, value: Any) -> bool:
    """Whether a readable field's value must be withheld: an identifier only when it holds a
    remembered secret, any other value when it looks like one (`looks_secret`) or its family's
    secret fields hide something in it (`BackendFamily.secrets`: a proxy's token user)."""
    return _holds_secret(field_spec(capabilities, name), name, value, family_of(capabilities.kind).secrets)


def _holds_secret(spec: FieldSpec | None, name: str, value: Any, secrets: SecretFields) -> bool:
    if name in _IDENTIFIER_NAMES or (spec is not None and spec.kind in _IDENTIFIER_KINDS):
        if not remembers_secrets():
            return False
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        return holds_remembered(text)
    return looks_secret(value) or bool(redact(secrets, {name: value}).withheld)


def plain(value: Any) -> Any:
    """A value as plain JSON: tuples as lists, enums as their values."""
    if type(value) in _PLAIN_TYPES:
        return value
    if type(value) in (tuple, list) and all(type(v) is str for v in value):
        return list(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def values_of(capabilities: Capabilities, channel: Channel, names: Iterable[str]) -> FieldValues:
    """The channel's value of each named field, as an edit would send it, secrets withheld.

    A batch's writes build two of these each (the "before" and "after" of its journal entry): the
    fields are looked up through the index the capabilities' field list keeps (`field_index`)."""
    specs = field_index(capabilities.fields).by_wire_name
    secrets = family_of(capabilities.kind).secrets
    wanted = [n for n in dict.fromkeys(names) if n not in INSTRUCTIONS]
    withheld = [n for n in wanted if _secret_field(specs.get(n), n)]
    readable = [n for n in wanted if n not in withheld]
    sent = ChannelForm(capabilities, FormMode.EDIT, channel).sent_values(readable)
    values: dict[str, Any] = {}
    for name in readable:
        value = plain(sent[name]) if name in sent else _unformed(channel, name)
        spec = specs.get(name)
        if spec is not None and spec.kind is FieldKind.URL_LIST and isinstance(value, list):
            value = [{"url": e.get("url", "")} if isinstance(e, dict) else e for e in value]
        if _holds_secret(spec, name, value, secrets):
            withheld.append(name)
        else:
            values[name] = value
    return FieldValues(values, tuple(withheld))


def _unformed(channel: Channel, name: str) -> Any:
    """A field no form shows: a neutral attribute, else the server's record as it came."""
    if name == "type":
        return channel.type.code
    if name in NEUTRAL_FIELDS:
        return plain(getattr(channel, name))
    return plain(channel.raw.get(name))


def requested(capabilities: Capabilities, changes: Mapping[str, Any]) -> FieldValues:
    """The values a write asked for, as sent (for a write that failed, which has no saved channel)."""
    values: dict[str, Any] = {}
    withheld: list[str] = []
    for name, value in changes.items():
        if name in INSTRUCTIONS:
            continue
        if is_secret_field(capabilities, name) or holds_secret(capabilities, name, plain(value)):
            withheld.append(name)
        else:
            values[name] = plain(value)
    return FieldValues(values, tuple(withheld))


def projected(channel: Channel, changes: Mapping[str, Any]) -> Channel:
    """The channel as it would read after a write that answers no record (a tag edit, a status
    change): neutral fields set as neutral values, other fields in its record."""
    neutral: dict[str, Any] = {}
    raw = dict(channel.raw)
    for name, value in changes.items():
        if name in ("models", "groups"):
            neutral[name] = split_list(value) if isinstance(value, str) else tuple(value)
        elif name == "status":
            neutral[name] = value if isinstance(value, ChannelStatus) else ChannelStatus(value)
        elif name == "tag":
            neutral[name] = value or None
        elif name in ("priority", "weight"):
            neutral[name] = None if value is None else int(value)
        elif name in NEUTRAL_FIELDS and name != "type":
            neutral[name] = value
        else:
            raw[name] = value
    return replace(channel, raw=raw, **neutral)


def decoded(capabilities: Capabilities, name: str, value: Any) -> Any:
    """A journalled value back as `update_channel` takes it (model and group lists as tuples,
    a status as `ChannelStatus`)."""
    spec = field_spec(capabilities, name)
    kind = spec.kind if spec is not None else None
    if kind in (FieldKind.MODELS, FieldKind.GROUPS) or (kind is None and name in ("models", "groups")):
        return tuple(value or ())
    if kind is FieldKind.STATUS or name == "status":
        return ChannelStatus(value)
    return value


def same(left: Any, right: Any) -> bool:
    """Whether two journalled values mean the same: JSON text compared parsed, None as empty."""
    return _comparable(left) == _comparable(right)


def _comparable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return _comparable(json.loads(text))
            except ValueError:
                return text
        return text
    if isinstance(value, Mapping):
        return {str(k): _comparable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


GROUP_FIELDS = ("name", "mode", "members", "timeout", "pattern", "active")
"""What the journal keeps of a model group: everything the group form edits."""


def group_values(group: ModelGroup) -> FieldValues:
    """A model group's settings as plain JSON (members as [channel id, model, priority, weight],
    by priority, channel and model, so lists compare whatever ids the server gave the members),
    any value the scrubber would mask withheld."""
    ordered = sorted(group.members, key=lambda m: (m.priority, m.channel_id, m.model))
    members = [[m.channel_id, m.model, m.priority, m.weight] for m in ordered]
    every = {
        "name": group.name,
        "mode": group.mode,
        "members": members,
        "timeout": group.timeout,
        "pattern": group.pattern,
        "active": list(group.active) if group.active else None,
    }
    withheld = tuple(
        name for name, value in every.items()
        if (mask_remembered(value) != value if name == "name" else looks_secret(value))
    )
    return FieldValues({n: v for n, v in every.items() if n not in withheld}, withheld)


def group_with(group: ModelGroup, values: Mapping[str, Any]) -> ModelGroup:
    """`group` with journalled values put in: members matched by channel and model keep their ids."""
    settings: dict[str, Any] = {}
    for name, value in values.items():
        if name == "members":
            settings[name] = tuple(
                GroupMember(int(c), str(m), int(p), int(w), _member_id(group, (int(c), str(m))))
                for c, m, p, w in value
            )
        elif name == "active":
            settings[name] = (int(value[0]), str(value[1])) if value else None
        elif name in GROUP_FIELDS:
            settings[name] = value
    return replace(group, **settings)


def _member_id(group: ModelGroup, key: tuple[int, str]) -> int | None:
    member = group.member(key)
    return member.id if member is not None else None
