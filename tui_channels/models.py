"""Backend-neutral domain model: channels, their status and types.

Backends translate their wire records into these plain objects and back. A `Channel` keeps the
server's original record in `raw`, so that nothing the app does not model is ever lost: updates
are built from a diff against it, never from a re-serialised copy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from sys import intern
from typing import Any

from .redact import scrub

TypeCode = int | str
"""A backend's own channel type code: an int on New API / One API / legacy Octopus, a str on current
Octopus, AxonHub and Claude Code Hub."""


class BackendKind(str, enum.Enum):
    """The backend families a site profile can point at."""

    NEWAPI = "newapi"
    OCTOPUS = "octopus"
    AXONHUB = "axonhub"
    CLAUDECODEHUB = "claudecodehub"
    ONEHUB = "onehub"
    """One Hub and its fork Done Hub."""

    @property
    def label(self) -> str:
        return {
            "newapi": "New API",
            "octopus": "Octopus",
            "axonhub": "AxonHub",
            "claudecodehub": "Claude Code Hub",
            "onehub": "One Hub",
        }[self.value]


class ChannelStatus(enum.Enum):
    """Channel status, neutral across backends (New API: 1 / 2 / 3; Octopus: enabled flag)."""

    ENABLED = "enabled"
    MANUALLY_DISABLED = "manually_disabled"
    AUTO_DISABLED = "auto_disabled"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            "enabled": "enabled",
            "manually_disabled": "disabled",
            "auto_disabled": "auto-disabled",
            "unknown": "unknown",
        }[self.value]

    @property
    def is_enabled(self) -> bool:
        return self is ChannelStatus.ENABLED

    @property
    def is_disabled(self) -> bool:
        return self in (ChannelStatus.MANUALLY_DISABLED, ChannelStatus.AUTO_DISABLED)


@dataclass(frozen=True, slots=True)
class ChannelType:
    """One entry of a backend's channel type list."""

    code: TypeCode
    name: str
    default_base_url: str = ""
    base_url_required: bool = False
    known: bool = True

    @property
    def label(self) -> str:
        return self.name


class TypeCatalog:
    """A backend's type list as data; unknown codes resolve to "Unknown (N)" instead of failing.

    `numbering` names the code space: two catalogs with the same numbering give a code the same
    meaning (Veloera's list is New API's up to 48), so a copy between them keeps type codes as they are.
    """

    def __init__(self, types: Iterable[ChannelType], *, numbering: str) -> None:
        self.numbering = numbering
        self._types: tuple[ChannelType, ...] = tuple(types)
        self._by_code: dict[TypeCode, ChannelType] = {t.code: t for t in self._types}

    def __iter__(self):
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def codes(self) -> tuple[TypeCode, ...]:
        return tuple(self._by_code)

    def get(self, code: TypeCode) -> ChannelType:
        """The type for `code`, or an "Unknown (code)" placeholder that keeps the code."""
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            return ChannelType(code=code, name=f"Unknown ({code})", known=False)

    def by_name(self, name: str) -> ChannelType | None:
        lowered = name.strip().lower()
        return next((t for t in self._types if t.name.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class UpstreamWatch:
    """What the server itself found about a channel's upstream models (New API upstream model updates).

    `added` are models the upstream offers that the channel lacks, `removed` models the channel has
    that the upstream no longer offers, as of `last_check_time` (Unix seconds; None before the first
    check). `ignored` are names (or `regex:` patterns) never proposed again.
    """

    checks: bool = False
    auto_sync: bool = False
    last_check_time: int | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def pending(self) -> int:
        return len(self.added) + len(self.removed)


@dataclass(slots=True)
class Channel:
    """A channel as the app sees it, whatever backend it came from.

    Fields a backend lacks stay `None` (or empty). `key` is `None` when the server does not return
    keys (New API blanks them on every read); `raw` is the server's record, verbatim.
    """

    id: int
    name: str
    type: ChannelType
    status: ChannelStatus
    base_url: str = ""
    key: str | None = None
    models: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    priority: int | None = None
    weight: int | None = None
    tag: str | None = None
    balance: float | None = None
    balance_time: int | None = None
    """When the server last queried the balance (unix seconds); None when it never did, so a 0
    balance there means "unknown", not "empty"."""
    response_time_ms: int | None = None
    test_time: int | None = None
    used_quota: int | None = None
    success_rate: float | None = None
    """Share of the channel's requests that succeeded, 0 to 1, from the server's traffic stats
    (Octopus `stats`); None where the server keeps none or before the first request."""
    cost: float | None = None
    """What the channel's traffic has cost so far, in US dollars at the server's model prices
    (Octopus `stats` input plus output cost, since the stats began); None where the server keeps none."""
    created_time: int | None = None
    key_count: int | None = None
    """How many keys a multi-key channel holds (None for a plain single-key channel)."""
    enabled_key_count: int | None = None
    auto_sync: bool | None = None
    """Whether the server syncs this channel's models itself (Octopus `auto_sync`); None elsewhere."""
    all_models: bool = False
    """No model list restricts the channel: it serves every model (a Claude Code Hub provider
    without allowed models); `models` is then empty."""
    upstream: UpstreamWatch | None = None
    """The server's own upstream model findings (current New API); None where there are none."""
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def model_count(self) -> int:
        return len(self.models)

    @property
    def is_multi_key(self) -> bool:
        return self.key_count is not None


def neutral_record(channel: Channel) -> dict[str, Any]:
    """The neutral fields of a channel as plain JSON values (for files and scripts; key as held)."""
    return {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type.code,
        "type_name": channel.type.name,
        "status": channel.status.value,
        "base_url": channel.base_url,
        "key": channel.key,
        "models": list(channel.models),
        "groups": list(channel.groups),
        "priority": channel.priority,
        "weight": channel.weight,
        "tag": channel.tag,
    }


NEUTRAL_FIELDS: frozenset[str] = frozenset(
    {"name", "type", "status", "base_url", "key", "models", "groups", "priority", "weight", "tag"}
)
"""Channel fields a user can change through the neutral model; any other change key is a wire field."""


@dataclass(slots=True)
class ChannelSpec:
    """What a user fills in to create a channel; `extra` holds backend-specific wire fields."""

    name: str
    type: TypeCode
    key: str
    base_url: str = ""
    models: tuple[str, ...] = ()
    status: ChannelStatus = ChannelStatus.ENABLED
    groups: tuple[str, ...] = ("default",)
    priority: int | None = None
    weight: int | None = None
    tag: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of one connectivity test; `message` is the server's word, scrubbed of secrets.

    `seconds` is the gateway's measured time (New API `time`, in seconds) or the client's own timing;
    `error_code` is the gateway's classification of a failure (New API `error_code`, e.g.
    `invalid_api_key`); `models_listed` is how many models the upstream listed when the test was a
    model listing (Octopus has no test route), None when it was a request to a model.
    """

    ok: bool
    seconds: float | None
    message: str = ""
    error_code: str = ""
    models_listed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", scrub(self.message))


def split_list(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated wire list (models, groups) into trimmed, de-duplicated names.

    The names are interned: thousands of channels name the same models and groups, and one copy
    of each name instead of one per channel saved about 25 MiB over 100,000 channels
    (bench/fleet.py). Equal texts give the very same tuple (a bounded cache): a listing splits
    each distinct model list once, and its channels share one tuple.
    """
    if not value:
        return ()
    if type(value) is str:
        return _split_text(value)
    return _split(value)


def _split(value: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for part in value.replace("\n", ",").split(","):
        name = part.strip()
        if name:
            seen.setdefault(intern(name), None)
    return tuple(seen)


_split_text = lru_cache(maxsize=2048)(_split)


def join_list(values: Iterable[str]) -> str:
    return ",".join(split_list(",".join(values)))


def mask_secret(secret: str | None, *, visible: int = 4) -> str:
    """A key as it may appear on screen or in output: a short prefix, then dots, never the whole."""
    if not secret:
        return ""
    secret = secret.strip()
    if len(secret) <= visible * 2:
        return "•" * 8
    return f"{secret[:visible]}{'•' * 8}{secret[-visible:]}"
