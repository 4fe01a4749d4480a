"""The New API family's protocol differences as a small table, not as copy-pasted classes.

New API (current and legacy generations), One API and Veloera share one admin API with different
pagination, add-body shapes, routes, fields and type lists (see ../shared/api/newapi.md). A
`Flavor` is the starting point chosen from `GET /api/status`; the client then refines it from the
shapes it actually sees (pagination, `channel_info`, a 404 on a newer route).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...channel_types import NEWAPI_TYPES, ONEAPI_TYPES, VELOERA_TYPES
from ...models import TypeCatalog, TypeCode
from ..base import COLUMNS_ALL, FieldKind, FieldSpec, Operation

USER_ID_HEADERS = ("New-Api-User", "Veloera-User", "voapi-user", "User-id", "Rix-Api-User", "neo-api-user")
"""Forks rename the user-id header; sending all of them is harmless and works everywhere."""

_COMMON_FIELDS = (
    FieldSpec("name", "Name", FieldKind.TEXT, required=True),
    FieldSpec("type", "Type", FieldKind.TYPE, required=True),
    FieldSpec("key", "API key", FieldKind.SECRET, required=True),
    FieldSpec(
        "base_url",
        "Base URL",
        FieldKind.TEXT,
        help="Empty uses the type's default; no /v1: the server appends it.",
    ),
    FieldSpec("models", "Models", FieldKind.MODELS),
    FieldSpec("status", "Status", FieldKind.STATUS),
    FieldSpec("groups", "Groups", FieldKind.GROUPS, help="User groups allowed to use this channel"),
    FieldSpec("priority", "Priority", FieldKind.INT, help="Higher is tried first"),
    FieldSpec("weight", "Weight", FieldKind.INT, help="Random weight within one priority"),
)

_MODEL_MAPPING = FieldSpec(
    "model_mapping", "Model mapping", FieldKind.JSON, help='JSON object, e.g. {"gpt-4": "gpt-4o"}'
)

_NEWAPI_FIELDS = _COMMON_FIELDS + (
    FieldSpec("tag", "Tag", FieldKind.TEXT),
    FieldSpec("test_model", "Test model", FieldKind.TEXT, help="Model used by connectivity tests"),
    FieldSpec("auto_ban", "Auto-ban", FieldKind.BOOL, help="May be disabled automatically on errors", default=1),
    _MODEL_MAPPING,
    FieldSpec("remark", "Remark", FieldKind.TEXT),
    FieldSpec(
        "multi_key_mode",
        "Keys",
        FieldKind.CHOICE,
        help="Several keys in one channel: type them separated by spaces",
        choices=(("", "One key"), ("random", "Multi-key, random"), ("polling", "Multi-key, polling")),
    ),
    FieldSpec(
        "key_mode",
        "New keys (multi-key)",
        FieldKind.CHOICE,
        advanced=True,
        help="How keys typed on edit combine with a multi-key channel's stored keys",
        choices=(("append", "Append to the stored keys"), ("replace", "Replace the stored keys")),
    ),
    FieldSpec("openai_organization", "OpenAI organization", FieldKind.TEXT, advanced=True),
    FieldSpec("other", "Other (type-specific)", FieldKind.TEXT, advanced=True, help="Azure API version, region…"),
    FieldSpec("status_code_mapping", "Status code mapping", FieldKind.JSON, advanced=True),
    FieldSpec("param_override", "Parameter override", FieldKind.JSON, advanced=True),
    FieldSpec("header_override", "Header override", FieldKind.JSON, advanced=True),
    FieldSpec("setting", "Channel settings", FieldKind.JSON, advanced=True, help="proxy, force_format, …"),
    FieldSpec("settings", "Other settings", FieldKind.JSON, advanced=True),
)

UPSTREAM_FIELDS = (
    FieldSpec(
        "upstream_model_update_check_enabled",
        "Check upstream",
        FieldKind.BOOL,
        within="settings",
        help="The server checks this channel's upstream for added and removed models",
    ),
    FieldSpec(
        "upstream_model_update_auto_sync_enabled",
        "Auto-add upstream",
        FieldKind.BOOL,
        within="settings",
        help="Scheduled checks add new upstream models by themselves (they never remove)",
    ),
    FieldSpec(
        "upstream_model_update_ignored_models",
        "Ignored upstream models",
        FieldKind.MODELS,
        within="settings",
        help="Never proposed; `regex:<pattern>` ignores every match",
    ),
)
"""The upstream-update switches of current servers, kept in the channel's `settings` JSON."""

_LEGACY_ABSENT = {"header_override", "remark", "settings", "multi_key_mode", "key_mode"}
_LEGACY_FIELDS = tuple(f for f in _NEWAPI_FIELDS if f.name not in _LEGACY_ABSENT)

_VELOERA_FIELDS = tuple(
    FieldSpec(
        "key",
        "API key",
        FieldKind.SECRET,
        required=True,
        help="Several keys in one channel: separate them with commas (the server uses them in turn)",
    )
    if f.name == "key"
    else f
    for f in _LEGACY_FIELDS
    if f.name != "setting"
) + (
    FieldSpec(
        "model_prefix",
        "Model prefix",
        FieldKind.TEXT,
        maximum=64,
        help="Clients call <prefix><model> (e.g. az-gpt-4o) to reach only channels with this prefix",
    ),
    FieldSpec(
        "setting.stream_support",
        "Streaming",
        FieldKind.CHOICE,
        advanced=True,
        help="For upstreams that only answer whole replies, the server fakes the stream",
        choices=(("", "Stream and non-stream"), ("NON_STREAM_ONLY", "Non-stream only (stream emulated)")),
    ),
    FieldSpec("setting.force_format", "Force OpenAI format", FieldKind.BOOL, advanced=True),
    FieldSpec("setting.thinking_to_content", "Thinking to content", FieldKind.BOOL, advanced=True),
    FieldSpec("setting.proxy", "Proxy", FieldKind.TEXT, advanced=True, help="http:// or socks5:// proxy URL"),
)
"""Veloera's channel (veloera.md §4): New API v0.6's, plus the model prefix and its own `setting`
options, edited one by one (the server keeps any other `setting` key as it was)."""

_ONEAPI_FIELDS = _COMMON_FIELDS + (
    _MODEL_MAPPING,
    FieldSpec("system_prompt", "System prompt", FieldKind.TEXT, advanced=True),
    FieldSpec("config", "Config", FieldKind.JSON, advanced=True, help="region, ak, sk, api_version…"),
    FieldSpec("other", "Other (deprecated)", FieldKind.TEXT, advanced=True),
)

_OTHER_FAMILIES = frozenset(
    {Operation.SERVER_SYNC, Operation.MODEL_GROUPS, Operation.REVEAL_KEY, Operation.BATCH_UPDATE}
)
"""Operations of other families (Octopus, Claude Code Hub) no New API-family server has; Veloera
reveals keys (`GET /api/channel/:id` answers the stored key)."""
PROBED_OPERATIONS = frozenset({Operation.UPSTREAM_UPDATES})
"""Operations a current server may or may not have: the client adds them after a feature probe."""
_CURRENT_OPERATIONS = frozenset(Operation) - _OTHER_FAMILIES - PROBED_OPERATIONS
_NEWAPI_OPERATIONS = _CURRENT_OPERATIONS - {Operation.MULTI_KEY, Operation.COPY}
_ONEAPI_OPERATIONS = frozenset(
    {
        Operation.SEARCH,
        Operation.CREATE,
        Operation.UPDATE,
        Operation.DELETE,
        Operation.DELETE_DISABLED,
        Operation.SET_STATUS,
        Operation.TEST,
        Operation.TEST_ALL,
        Operation.BALANCE,
        Operation.GROUPS,
        Operation.MODEL_CATALOG,
    }
)
"""One API's routes (`router/api.go`, v0.6.11): `GET /api/group/` too, but no working refresh of all
balances — its `GET /api/channel/update_balance` answers success and does nothing (the call is
commented out in `controller/channel-billing.go`), so the app refreshes each channel instead."""


_COLUMNS = frozenset(COLUMNS_ALL) - {"auto_sync", "upstream", "success_rate", "cost"}
"""Columns every New API-family server fills (`upstream` is added where the probe finds the routes)."""

NEWAPI_UNTESTABLE_TYPES: frozenset[TypeCode] = frozenset({2, 5, 36, 50, 51, 52, 54})
"""Types New API's test route refuses (Midjourney, Suno, Kling, Jimeng, Vidu, DoubaoVideo; newapi.md §3.9)."""

NEWAPI_LISTABLE_TYPES: frozenset[TypeCode] = frozenset(
    {1, 4, 14, 17, 20, 23, 24, 25, 26, 27, 31, 34, 35, 40, 42, 43, 45, 47, 48, 57, 58, 59, 60}
)
"""New API types whose upstream model list the server can fetch: the ones its own web UI offers
"fetch models" for. Others (Azure, Midjourney, Suno, video and key-pair types…) have no such list."""

NEWAPI_PROTOCOL_TYPES: dict[str, TypeCode] = {
    "openai": 1, "responses": 1, "embedding": 1, "anthropic": 14, "gemini": 24, "volcengine": 45,
}
ONEAPI_PROTOCOL_TYPES: dict[str, TypeCode] = {**NEWAPI_PROTOCOL_TYPES, "volcengine": 40}

TAG_FIELDS = ("new_tag", "priority", "weight", "models", "groups", "model_mapping", "param_override", "header_override")
"""What `PUT /api/channel/tag` can change on current New API (note `groups`, not `group`)."""
LEGACY_TAG_FIELDS = TAG_FIELDS[:6]
"""Before the override fields existed (New API v0.6, Veloera)."""


@dataclass(frozen=True, slots=True)
class Flavor:
    """One member of the New API family and what it starts out assumed to support."""

    name: str
    label: str
    one_based_pages: bool
    wrapped_add: bool
    fixed_page_size: int | None
    types: TypeCatalog
    fields: tuple[FieldSpec, ...]
    operations: frozenset[Operation]
    columns: frozenset[str]
    api_rate_limit: tuple[int, float]
    """`GLOBAL_API_RATE_LIMIT` per `GLOBAL_API_RATE_LIMIT_DURATION` as shipped (newapi.md §6, the
    servers' `common/init.go`): 360 per 180 s on current New API, 180 on legacy New API and
    Veloera, 480 on One API (`common/config/config.go`)."""
    protocol_types: dict[str, TypeCode] = field(default_factory=lambda: NEWAPI_PROTOCOL_TYPES)
    untestable_types: frozenset[TypeCode] = NEWAPI_UNTESTABLE_TYPES
    listable_types: frozenset[TypeCode] | None = NEWAPI_LISTABLE_TYPES
    tag_fields: tuple[str, ...] = TAG_FIELDS
    key_separator: str = "\n"
    """How several keys of one channel are joined; an add splits `\n`-joined keys into channels
    unless the body is wrapped in a multi-key mode. Veloera joins them with commas and splits nothing."""


FLAVORS: dict[str, Flavor] = {
    "newapi": Flavor(
        "newapi",
        "New API",
        True,
        True,
        None,
        NEWAPI_TYPES,
        _NEWAPI_FIELDS,
        _CURRENT_OPERATIONS,
        _COLUMNS,
        (360, 180.0),
    ),
    "newapi-legacy": Flavor(
        "newapi-legacy",
        "New API (legacy)",
        False,
        False,
        None,
        NEWAPI_TYPES,
        _LEGACY_FIELDS,
        _NEWAPI_OPERATIONS,
        _COLUMNS,
        (180, 180.0),
        tag_fields=LEGACY_TAG_FIELDS,
    ),
    "oneapi": Flavor(
        "oneapi",
        "One API",
        False,
        False,
        10,
        ONEAPI_TYPES,
        _ONEAPI_FIELDS,
        _ONEAPI_OPERATIONS,
        _COLUMNS - {"tag"},
        (480, 180.0),
        protocol_types=ONEAPI_PROTOCOL_TYPES,
        untestable_types=frozenset(),
        tag_fields=(),
    ),
    "veloera": Flavor(
        "veloera",
        "Veloera",
        False,
        False,
        None,
        VELOERA_TYPES,
        _VELOERA_FIELDS,
        _NEWAPI_OPERATIONS | {Operation.REVEAL_KEY},
        _COLUMNS,
        (180, 180.0),
        untestable_types=frozenset({2, 5, 36}),
        listable_types=NEWAPI_LISTABLE_TYPES & frozenset(VELOERA_TYPES.codes),
        tag_fields=LEGACY_TAG_FIELDS,
        key_separator=",",
    ),
}


CURRENT_FROM = (0, 8, 4)
"""The first New API release with 1-based pages and object list answers (newapi.md, version timeline)."""
_RELEASE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
VELOERA_MARKER = "check_in_enabled"
"""A status key only Veloera has (New API spells its check-in flag `checkin_enabled`; veloera.md §2)."""


def flavor_from_status(data: dict[str, object]) -> Flavor:
    """Pick the flavor from what `GET /api/status` has, never from the site's (renamable) system name.

    Veloera has `check_in_enabled`; One API lacks `setup` and `enable_batch_update` and has
    `chat_link`; a New API reporting a release before v0.8.4 is the legacy generation (dev builds
    say `v0.0.0`, and `main-…` builds no release: they count as current until the first channel
    page says otherwise).
    """
    if VELOERA_MARKER in data:
        return FLAVORS["veloera"]
    if "setup" not in data and "enable_batch_update" not in data and "chat_link" in data:
        return FLAVORS["oneapi"]
    match = _RELEASE.match(str(data.get("version") or ""))
    release = tuple(int(part) for part in match.groups()) if match else None
    if release is not None and (0, 0, 0) < release < CURRENT_FROM:
        return FLAVORS["newapi-legacy"]
    return FLAVORS["newapi"]
