"""The channel form's domain logic, for any backend: initial values, validation, and what to send.

The fields come from `Capabilities.fields`. This module knows how each `FieldKind` appears as a
form value, how it is checked, and how it goes back to the server: on edit as the changes dict
`Backend.update_channel` takes (only what the user changed; an empty key means "keep the stored
one" and is never sent), on create as a `ChannelSpec`. No Textual here: the screen only draws it.

Form values per kind: TEXT, SECRET, INT, NUMBER and JSON are the text as typed; BOOL a bool; CHOICE the
choice's key; TYPE a type code; STATUS a `ChannelStatus`; MODELS and GROUPS tuples of names;
URL_LIST, KEY_LIST and HEADERS tuples of `UrlEntry`, `KeyEntry` and `Header`.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..backends.base import Capabilities, FieldKind, FieldSpec
from ..backends.wire_values import json_object
from ..models import NEUTRAL_FIELDS, Channel, ChannelSpec, ChannelStatus, ChannelType, TypeCode, split_list
from ..validation import check_name, check_upstream_url
from ..wording import plural
from . import base_urls

Values = dict[str, Any]

HAND_ADDED = "custom_model"
"""A backend that keeps hand-added models apart (Octopus) has this field; `models` then shows the rest."""
DEFAULT_GROUPS = ("default",)
MULTI_KEY_MODE = "multi_key_mode"
"""New API's key arrangement: "" for one key, or how a multi-key channel picks among its keys."""
COPY_SUFFIX = " copy"
URL_HINT = "Enter a full URL starting with http:// or https://."
"""Each form adds an example of the URL its backend wants (`ChannelForm.url_hint`)."""
URL_EXAMPLE = "https://api.example.com/v1"

LIST_WIRE_NAMES = {FieldKind.URL_LIST: "base_urls", FieldKind.KEY_LIST: "keys"}
"""List editors read and send the server's list field (legacy Octopus), not the field's neutral name."""


@dataclass(frozen=True, slots=True)
class FieldIndex:
    """A form's fields by name, and by the name `update_channel` takes them under (list fields by
    their wire names); the first field of each name."""

    by_name: dict[str, FieldSpec]
    by_wire_name: dict[str, FieldSpec]


_INDEXES: dict[int, tuple[tuple[FieldSpec, ...], FieldIndex]] = {}
_INDEXES_KEPT = 32


def field_index(fields: tuple[FieldSpec, ...]) -> FieldIndex:
    """`fields` indexed, once per field list (a connection's capabilities keep theirs). The history
    journal builds an edit form twice per write; indexing its fields each time, every lookup
    hashing an enum in Python, was most of what a batch of writes spent on the journal's values."""
    kept = _INDEXES.get(id(fields))
    if kept is not None and kept[0] is fields:
        return kept[1]
    by_name: dict[str, FieldSpec] = {}
    by_wire_name: dict[str, FieldSpec] = {}
    for spec in fields:
        by_name.setdefault(spec.name, spec)
        by_wire_name.setdefault(LIST_WIRE_NAMES.get(spec.kind, spec.name), spec)
    if len(_INDEXES) >= _INDEXES_KEPT:
        _INDEXES.clear()
    index = FieldIndex(by_name, by_wire_name)
    _INDEXES[id(fields)] = (fields, index)  # the tuple kept with it: its id is not reused meanwhile
    return index

_REGEX_FIELDS = frozenset({"match_regex"})
_URL_FIELDS = frozenset({"base_url"})
_TEXT_KINDS = frozenset({FieldKind.TEXT, FieldKind.SECRET, FieldKind.INT, FieldKind.NUMBER, FieldKind.JSON})
_NUMERIC_KINDS = frozenset({FieldKind.INT, FieldKind.NUMBER})
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class FormMode(enum.Enum):
    CREATE = "create"
    EDIT = "edit"
    DUPLICATE = "duplicate"
    """A create form prefilled from another channel (for backends without a copy operation)."""


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One key of a key list. On edit `id` names a stored key, and an empty `key` keeps it."""

    key: str = ""
    enabled: bool = True
    remark: str = ""
    id: int | None = None
    stored: str = ""
    """The stored key, only ever shown masked, as a hint for what an empty `key` keeps."""


@dataclass(frozen=True, slots=True)
class UrlEntry:
    url: str = ""
    delay: int = 0
    """The server's measured delay in ms; it prefers the lowest."""


@dataclass(frozen=True, slots=True)
class Header:
    name: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where "fetch models" asks: the saved channel, or the draft's type, base URL and key."""

    saved: bool
    type_code: TypeCode
    base_url: str
    key: str

    @property
    def missing(self) -> str:
        """Why the draft cannot be asked yet, or "" when it can."""
        if self.saved or self.key:
            return ""
        return "Enter the API key first: the models are fetched with the key and base URL in the form."


def url_problem(text: str, hint: str = URL_HINT) -> str | None:
    """Why `text` cannot be an upstream base URL (`validation.check_upstream_url`), or None.

    A value that is not an http(s) address at all gets `hint`; a bad port, host or a stray
    space gets what exactly is wrong, since the server would store it and every request fail.
    """
    if not text.strip().lower().startswith(("http://", "https://")):
        return hint
    try:
        check_upstream_url(text)
    except ValueError as problem:
        return f"The URL {problem}."
    return None


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name` plus " copy" (then " copy 2", …) so that it clashes with no name in `taken`."""
    used = set(taken)
    candidate = f"{name}{COPY_SUFFIX}"
    number = 2
    while candidate in used:
        candidate = f"{name}{COPY_SUFFIX} {number}"
        number += 1
    return candidate


def key_entries(capabilities: Capabilities, channel: Channel) -> tuple[KeyEntry, ...]:
    """The channel's keys as the server returned them: a key list, one key, or none (New API).

    A list entry without a key (legacy Octopus stores such "ghost" entries) is no key: left out.
    """
    spec = capabilities.field("key")
    if spec is not None and spec.kind is FieldKind.KEY_LIST:
        return tuple(
            KeyEntry(
                key=str(entry.get("channel_key")),
                enabled=bool(entry.get("enabled")),
                remark=str(entry.get("remark") or ""),
                id=entry.get("id") if isinstance(entry.get("id"), int) else None,
            )
            for entry in channel.raw.get(LIST_WIRE_NAMES[FieldKind.KEY_LIST]) or []
            if isinstance(entry, Mapping) and entry.get("channel_key")
        )
    return (KeyEntry(key=channel.key),) if channel.key else ()


def _stored(raw: Mapping[str, Any], name: str) -> Any:
    """A wire field's stored value; `column.key` reads one entry of a JSON-object column."""
    if name in raw or "." not in name:
        return raw.get(name)
    column, key = name.split(".", 1)
    value = raw.get(column)
    try:
        data = json.loads(value) if isinstance(value, str) and value.strip() else value
    except ValueError:
        return None
    return data.get(key) if isinstance(data, Mapping) else None


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _json_object_error(text: str) -> str | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    if not isinstance(value, dict):
        return 'Must be a JSON object, like {"name": "value"}.'
    return None


def _regex_error(text: str) -> str | None:
    try:
        re.compile(text)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}."
    return None


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?[0-9]+", text) is not None


def _whole(text: str) -> int:
    """`text` (digits) as an int; beyond 40 digits, a stand-in of its sign far outside any range
    (Python refuses to convert very long digit strings at all)."""
    if len(text) <= 40:
        return int(text)
    return -(10**40) if text.startswith("-") else 10**40


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The range of the servers' integer columns (Go `int64`: New API `priority`, every backend's ids),
checked for an INT field that has no range of its own: a larger number is refused or wraps."""


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"from {_number_text(low)} to {_number_text(high)}"
    return f"of at least {_number_text(low)}" if low is not None else f"of at most {_number_text(high or 0)}"


def number_error(spec: FieldSpec, text: str) -> str | None:
    """Why `text` is not a value of this INT or NUMBER field, or None: not a number, outside the
    field's range, or (INT) outside int64, which no server column holds.

    Whole numbers are compared exactly (as floats, 2**63 would pass for 2**63 - 1).
    """
    whole = spec.kind is FieldKind.INT
    text = text.strip()
    value: float | None = _whole(text) if whole and _is_int(text) else None if whole else _number(text)
    noun = "a whole number" if whole else "a number"
    if value is None:
        return f"Enter {noun}, such as {spec.minimum or 0:g}." if spec.minimum is not None else (
            "Enter a whole number, such as 0 or 10." if whole else "Enter a number, such as 1 or 0.5."
        )
    if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
        return f"Enter {noun} {_range_text(spec.minimum, spec.maximum)}."
    if whole and not INT64_MIN <= value <= INT64_MAX:
        return f"Enter {noun} {_range_text(INT64_MIN, INT64_MAX)}: the server stores a 64-bit integer."
    return None


def _headers_error(headers: tuple[Header, ...]) -> str | None:
    for header in headers:
        name = header.name.strip()
        if not name and not header.value.strip():
            continue
        if not name:
            return "Each header needs a name; remove the row to drop it."
        if not _HEADER_NAME.match(name):
            return f"{name!r} is not a valid header name: use letters, digits and '-'."
    return None


def _key_wire(entry: KeyEntry) -> dict[str, Any]:
    wire: dict[str, Any] = {"enabled": entry.enabled, "remark": entry.remark.strip()}
    if entry.id is not None:
        wire["id"] = entry.id
    if entry.key.strip():
        wire["channel_key"] = entry.key.strip()
    return wire


class ChannelForm:
    """One form: its fields, where its values start, and what they amount to."""

    def __init__(
        self,
        capabilities: Capabilities,
        mode: FormMode = FormMode.CREATE,
        channel: Channel | None = None,
        *,
        taken_names: Iterable[str] = (),
        start: Mapping[str, Any] | None = None,
    ) -> None:
        """`start` overrides what the form shows at first without changing its baseline: those fields
        count as changed and are sent on save (a server-side copy made disabled, shown with its
        original's status)."""
        if (channel is None) != (mode is FormMode.CREATE):
            raise ValueError("edit and duplicate forms need a channel; a create form takes none")
        self.capabilities = capabilities
        self.mode = mode
        self.channel = channel
        self.fields: tuple[FieldSpec, ...] = capabilities.fields
        self._index = field_index(self.fields)
        self._by_name = self._index.by_name
        self._taken = set(taken_names)
        self._start = dict(start or {})

    @cached_property
    def initial(self) -> Values:
        """Every field's value as the form opens, before `start`: the baseline of `changes`."""
        return self._initial_values()

    @cached_property
    def shown(self) -> Values:
        """What the form shows at first: `initial`, with `start` over it."""
        return {**self.initial, **self._start}

    @property
    def main_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.advanced)

    @property
    def advanced_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.advanced)

    def field(self, name: str) -> FieldSpec:
        return self._by_name[name]

    def locked(self, name: str) -> bool:
        """Whether the field shows read-only: set at creation and fixed afterwards, on an edit form."""
        return self.mode is FormMode.EDIT and self._by_name[name].fixed_on_edit

    @property
    def _keeps_hand_added(self) -> bool:
        return HAND_ADDED in self._by_name and "models" in self._by_name

    # -- initial values ----------------------------------------------------------------------

    def blank_values(self) -> Values:
        """What a new channel starts with."""
        return {spec.name: self._blank(spec) for spec in self.fields}

    def _blank(self, spec: FieldSpec) -> Any:
        kind = spec.kind
        if kind is FieldKind.BOOL:
            return bool(spec.default)
        if kind is FieldKind.TYPE:
            return self._default_type().code
        if kind is FieldKind.STATUS:
            return ChannelStatus.ENABLED
        if kind is FieldKind.GROUPS:
            return DEFAULT_GROUPS
        if kind in (FieldKind.MODELS, FieldKind.HEADERS):
            return ()
        if kind is FieldKind.URL_LIST:
            return (UrlEntry(),)
        if kind is FieldKind.KEY_LIST:
            return (KeyEntry(),)
        if kind is FieldKind.CHOICE and spec.default is None:
            return spec.choices[0][0] if spec.choices else ""
        if kind in _NUMERIC_KINDS and isinstance(spec.default, (int, float)):
            return f"{spec.default:g}"
        return "" if spec.default is None else str(spec.default)

    def _default_type(self) -> ChannelType:
        """The first type with a default base URL (OpenAI on every backend), else the first type."""
        types = list(self.capabilities.types)
        return next((t for t in types if t.default_base_url), types[0])

    def _initial_values(self) -> Values:
        channel = self.channel
        if channel is None:
            return self.blank_values()
        values = {spec.name: self._from_channel(spec, channel) for spec in self.fields}
        if self.mode is FormMode.DUPLICATE and "name" in values:
            values["name"] = unique_name(channel.name, self._taken)
        return values

    def _initial_value(self, spec: FieldSpec) -> Any:
        """One field's initial value; an edit form works it out alone until `initial` is built
        (the history journal reads two fields of a write, not the whole form, twice per write)."""
        if self.mode is FormMode.EDIT and self.channel is not None and "initial" not in self.__dict__:
            return self._from_channel(spec, self.channel)
        return self.initial[spec.name]

    def _from_channel(self, spec: FieldSpec, channel: Channel) -> Any:
        kind = spec.kind
        if kind is FieldKind.SECRET:
            return "" if self.mode is FormMode.EDIT else channel.key or ""
        if kind is FieldKind.KEY_LIST:
            return self._initial_keys(channel) or (KeyEntry(),)
        if kind is FieldKind.URL_LIST:
            entries = channel.raw.get(LIST_WIRE_NAMES[kind]) or []
            urls = tuple(
                UrlEntry(str(e.get("url") or ""), int(e.get("delay") or 0)) for e in entries if isinstance(e, Mapping)
            )
            return urls or (UrlEntry(channel.base_url),)
        if spec.name in NEUTRAL_FIELDS:
            return self._neutral(spec, channel)
        if spec.within:
            return self._wire_to_form(spec, json_object(channel.raw.get(spec.within)).get(spec.name))
        if spec.name == MULTI_KEY_MODE:
            info = channel.raw.get("channel_info")
            return str(info.get("multi_key_mode") or "random") if channel.is_multi_key and isinstance(info, Mapping) else ""
        return self._wire_to_form(spec, _stored(channel.raw, spec.source or spec.name))

    def _initial_keys(self, channel: Channel) -> tuple[KeyEntry, ...]:
        stored = key_entries(self.capabilities, channel)
        if self.mode is FormMode.EDIT:
            return tuple(KeyEntry(enabled=e.enabled, remark=e.remark, id=e.id, stored=e.key) for e in stored)
        return tuple(KeyEntry(key=e.key, enabled=e.enabled, remark=e.remark) for e in stored)

    def _neutral(self, spec: FieldSpec, channel: Channel) -> Any:
        value = getattr(channel, spec.name)
        if spec.kind is FieldKind.TYPE:
            return channel.type.code
        if spec.name == "models" and self._keeps_hand_added:
            custom = set(split_list(str(channel.raw.get(HAND_ADDED) or "")))
            return tuple(m for m in channel.models if m not in custom)
        if isinstance(value, (tuple, ChannelStatus)):
            return value
        return "" if value is None else str(value)

    def _wire_to_form(self, spec: FieldSpec, value: Any) -> Any:
        kind = spec.kind
        if value is None:
            return self._blank(spec)
        if kind is FieldKind.BOOL:
            return bool(value)
        if kind is FieldKind.JSON:
            return _json_text(value)
        if kind is FieldKind.MODELS:
            return split_list(value) if isinstance(value, str) else tuple(str(v) for v in value)
        if kind is FieldKind.HEADERS and isinstance(value, Mapping):
            return tuple(Header(str(name), str(text)) for name, text in value.items())
        if kind is FieldKind.HEADERS:
            return tuple(
                Header(str(h.get("header_key") or ""), str(h.get("header_value") or ""))
                for h in value
                if isinstance(h, Mapping)
            )
        if kind in _NUMERIC_KINDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:g}"
        return str(value)

    # -- hints ---------------------------------------------------------------------------------

    def channel_type(self, values: Values) -> ChannelType:
        return self.capabilities.types.get(values.get("type", self._default_type().code))

    def base_url_required(self, values: Values) -> bool:
        spec = self._by_name.get("base_url")
        return bool(spec and spec.required) or self.channel_type(values).base_url_required

    def base_url_placeholder(self, values: Values) -> str:
        channel_type = self.channel_type(values)
        default = channel_type.default_base_url
        if self.base_url_required(values):
            return f"e.g. {default}" if default else f"required for {channel_type.name}"
        return f"empty: {default}" if default else ""

    def key_hint(self) -> str:
        if self.mode is FormMode.EDIT:
            return "Leave empty to keep the stored key."
        revealed = self.channel is not None and bool(self.channel.key)
        if self.mode is FormMode.DUPLICATE and not self.capabilities.returns_keys and not revealed:
            return "The server never returns stored keys: enter the key for the copy."
        return ""

    # -- validation ----------------------------------------------------------------------------

    def errors(self, values: Values) -> dict[str, str]:
        """Field name -> why its value cannot be saved; empty when the form may be saved."""
        found = {}
        for spec in self.fields:
            message = self.field_error(spec.name, values)
            if message:
                found[spec.name] = message
        return found

    def field_error(self, name: str, values: Values) -> str | None:
        spec = self._by_name[name]
        value = values[name]
        kind = spec.kind
        if kind in _TEXT_KINDS:
            return self._text_error(spec, value.strip(), values)
        if kind is FieldKind.URL_LIST:
            return self._urls_error(value, values)
        if kind is FieldKind.KEY_LIST:
            return self._keys_error(value)
        if kind is FieldKind.HEADERS:
            return _headers_error(value)
        if kind is FieldKind.CHOICE and spec.choices and value not in {key for key, _ in spec.choices}:
            return "Choose one of the options."
        if name == MULTI_KEY_MODE and self.mode is FormMode.EDIT and self.channel is not None:
            if bool(value) != self.channel.is_multi_key:
                return (
                    "The server cannot switch a saved channel between one key and several: "
                    "create a new channel instead (D duplicates this one)."
                )
        return None

    def _text_error(self, spec: FieldSpec, text: str, values: Values) -> str | None:
        if not text:
            return self._missing(spec, values)
        if spec.kind in _NUMERIC_KINDS:
            return number_error(spec, text)
        if spec.name == "name":
            try:
                check_name(text)
            except ValueError as problem:
                return f"The name {problem}."
        if spec.kind is FieldKind.TEXT and spec.maximum is not None and len(text) > spec.maximum:
            return f"At most {plural(int(spec.maximum), 'character')} ({len(text)} now)."
        if spec.kind is FieldKind.JSON:
            return _json_object_error(text)
        if spec.name in _REGEX_FIELDS:
            return _regex_error(text)
        if spec.name in _URL_FIELDS:
            return url_problem(text, self.url_hint()) or self._version_twice(text)
        return None

    def url_hint(self) -> str:
        """What a base URL looks like, with an example as this backend wants it (no `/v1` where the
        server appends it itself: `base_urls.for_site`)."""
        return f"{URL_HINT} For example {base_urls.for_site(self.capabilities, URL_EXAMPLE)}"

    def _version_twice(self, text: str) -> str | None:
        """Why a base URL ending in a version segment the server appends itself is refused (New
        API, Claude Code Hub: requests would go to `…/v1/v1/…`); a stored URL left as it was passes."""
        stored = self.channel.base_url if self.channel is not None and self.mode is FormMode.EDIT else None
        wanted = base_urls.appended_twice(self.capabilities, text)
        if wanted is None or (stored is not None and base_urls.clean(stored) == base_urls.clean(text)):
            return None
        segment = base_urls.clean(text)[len(wanted) :]
        return (
            f"{self.capabilities.flavor_label} appends {segment} itself: enter {wanted} "
            f"(as typed, requests would go to …{segment}{segment}/…)."
        )

    def _missing(self, spec: FieldSpec, values: Values) -> str | None:
        if spec.kind is FieldKind.SECRET:
            if self.mode is FormMode.EDIT:
                return None
            return self.key_hint() or f"{spec.label} is required."
        if spec.name in _URL_FIELDS and self.base_url_required(values):
            return f"{self.channel_type(values).name} channels need a base URL."
        if spec.required:
            return f"{spec.label} is required."
        if spec.kind in _NUMERIC_KINDS and not spec.nullable and spec.minimum:
            return f"Enter a number {_range_text(spec.minimum, spec.maximum)}."
        return None

    def _urls_error(self, entries: tuple[UrlEntry, ...], values: Values) -> str | None:
        if not any(e.url.strip() for e in entries):
            return "Add at least one base URL." if self.base_url_required(values) else None
        for entry in entries:
            if not entry.url.strip():
                return "Fill in the empty URL row, or remove it."
            problem = url_problem(entry.url, self.url_hint())
            if problem:
                return f"{entry.url.strip()!r}: {problem}"
        return None

    @staticmethod
    def _keys_error(entries: tuple[KeyEntry, ...]) -> str | None:
        if not entries:
            return "Add at least one key."
        if any(e.id is None and not e.key.strip() for e in entries):
            return "Enter the key in the empty row, or remove the row."
        if not any(e.enabled for e in entries):
            return "Enable at least one key: a channel without an enabled key cannot serve requests."
        return None

    # -- what to send --------------------------------------------------------------------------

    def _int_flag(self, spec: FieldSpec) -> bool:
        """Whether the server stores this flag or choice as a number (as in the record, or its default)."""
        sample = self.channel.raw.get(spec.name) if self.channel is not None else None
        if sample is None:
            sample = spec.default
        return isinstance(sample, int) and not isinstance(sample, bool)

    def _wire(self, spec: FieldSpec, value: Any) -> tuple[str, Any]:
        """(name to send under, value as the backend takes it) for one field's form value."""
        kind = spec.kind
        name = LIST_WIRE_NAMES.get(kind, spec.name)
        if kind in (FieldKind.TEXT, FieldKind.SECRET, FieldKind.JSON):
            return name, value.strip()
        if kind in _NUMERIC_KINDS and not value.strip():
            return name, None if spec.nullable else 0
        if kind is FieldKind.INT:
            return name, int(value)
        if kind is FieldKind.NUMBER:
            return name, float(value)
        if kind is FieldKind.BOOL:
            return name, int(value) if self._int_flag(spec) else bool(value)
        if kind is FieldKind.CHOICE:
            return name, int(value) if self._int_flag(spec) and _is_int(value) else value
        if kind is FieldKind.URL_LIST:
            return name, [{"url": e.url.strip(), "delay": e.delay} for e in value if e.url.strip()]
        if kind is FieldKind.KEY_LIST:
            return name, [_key_wire(e) for e in value]
        if kind is FieldKind.HEADERS:
            return name, [
                {"header_key": h.name.strip(), "header_value": h.value} for h in value if h.name.strip()
            ]
        if kind in (FieldKind.MODELS, FieldKind.GROUPS):
            return name, tuple(value)
        return name, value

    def _multi_key(self, values: Values) -> bool:
        return bool(values.get(MULTI_KEY_MODE)) if MULTI_KEY_MODE in self._by_name else False

    @staticmethod
    def _joined_keys(text: str) -> str:
        """Several keys typed on one line (separated by spaces) as the server's `\n`-separated list."""
        return "\n".join(text.split())

    def changes(self, values: Values) -> dict[str, Any]:
        """Edit: only what the user changed, under the names `update_channel` takes; never an empty key.

        Multi-key channels: typed keys become a `\n`-separated list sent with `key_mode` (append or
        replace); the key mode alone is never sent, since it only says how to combine new keys.
        """
        changes = self._plain_changes(values)
        if self._multi_key(values) and "key" in changes:
            changes["key"] = self._joined_keys(changes["key"])
            changes["key_mode"] = values.get("key_mode") or "append"
        else:
            changes.pop("key_mode", None)
        return changes

    def _plain_changes(self, values: Values) -> dict[str, Any]:
        if self.mode is not FormMode.EDIT:
            raise ValueError("only an edit form has changes; create forms build a spec")
        coupled = {"models", HAND_ADDED} if self._keeps_hand_added else set()
        changes: dict[str, Any] = {}
        for spec in self.fields:
            if spec.name in coupled or self.locked(spec.name):
                continue
            name, new = self._wire(spec, values[spec.name])
            if new == self._wire(spec, self.initial[spec.name])[1]:
                continue
            if spec.kind is FieldKind.SECRET and not new:
                continue
            changes[name] = new
        if coupled and any(values[n] != self.initial[n] for n in coupled):
            custom = tuple(values[HAND_ADDED])
            changes["models"] = tuple(dict.fromkeys((*values["models"], *custom)))
            changes[HAND_ADDED] = custom
        return changes

    def sent_values(self, names: Iterable[str]) -> dict[str, Any]:
        """The channel's value of each named field as `changes` would send it (by the name
        `update_channel` takes); names the form has no field for are left out.

        The history journal records values this way, so an undo sends a field back exactly as an
        edit would. A backend that keeps hand-added models apart gets its whole model list under
        `models`, as a model sync sends it. A secret field is "" here, like an untouched key.
        """
        sent: dict[str, Any] = {}
        for wanted in dict.fromkeys(names):
            spec = self._index.by_wire_name.get(wanted)
            if spec is not None:
                name, value = self._wire(spec, self._initial_value(spec))
                sent[name] = value
        if "models" in sent and self._keeps_hand_added and self.channel is not None:
            sent["models"] = tuple(self.channel.models)
        return sent

    def spec(self, values: Values) -> ChannelSpec:
        """Create and duplicate: the new channel; wire fields go to `extra` where they differ from a blank form."""
        if self.mode is FormMode.EDIT:
            raise ValueError("an edit form sends changes, not a spec")
        blank = self.blank_values()
        neutral: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for spec in self.fields:
            name, value = self._wire(spec, values[spec.name])
            if spec.name in NEUTRAL_FIELDS and spec.kind not in LIST_WIRE_NAMES:
                neutral[spec.name] = value
            elif spec.kind in LIST_WIRE_NAMES or value != self._wire(spec, blank[spec.name])[1]:
                extra[name] = value
        keys = extra.get("keys") or []
        urls = extra.get("base_urls") or []
        key = neutral.get("key") or next((k["channel_key"] for k in keys if k.get("enabled")), "")
        extra.pop("key_mode", None)
        if self._multi_key(values):
            key = self._joined_keys(key)
        models = tuple(dict.fromkeys((*neutral.get("models", ()), *extra.get(HAND_ADDED, ()))))
        return ChannelSpec(
            name=neutral.get("name", ""),
            type=neutral.get("type", self._default_type().code),
            key=key,
            base_url=neutral.get("base_url") or (urls[0]["url"] if urls else ""),
            models=models,
            status=neutral.get("status", ChannelStatus.ENABLED),
            groups=neutral.get("groups", DEFAULT_GROUPS),
            priority=self._optional_int(values, "priority"),
            weight=self._optional_int(values, "weight"),
            tag=neutral.get("tag") or None,
            extra=extra,
        )

    @staticmethod
    def _optional_int(values: Values, name: str) -> int | None:
        text = str(values.get(name) or "").strip()
        return int(text) if text else None

    def upstream(self, values: Values) -> Upstream:
        """Fetch from the saved channel while type, base URL and keys are as saved, else from the draft."""
        unchanged = all(values.get(n) == self.initial.get(n) for n in ("type", "base_url", "key"))
        return Upstream(
            saved=self.mode is FormMode.EDIT and unchanged,
            type_code=values.get("type", self._default_type().code),
            base_url=self._draft_base_url(values),
            key=self._draft_key(values),
        )

    def _is_list(self, name: str) -> bool:
        spec = self._by_name.get(name)
        return spec is not None and spec.kind in LIST_WIRE_NAMES

    def _draft_base_url(self, values: Values) -> str:
        value = values.get("base_url")
        if self._is_list("base_url"):
            text = next((e.url.strip() for e in value if e.url.strip()), "")
        else:
            text = str(value or "").strip()
        return text or self.channel_type(values).default_base_url

    def _draft_key(self, values: Values) -> str:
        if self._is_list("key"):
            enabled = [e for e in values["key"] if e.enabled]
            return next((e.key.strip() or e.stored for e in enabled if e.key.strip() or e.stored), "")
        typed = str(values.get("key") or "").strip()
        return typed or (self.channel.key or "" if self.channel is not None else "")
