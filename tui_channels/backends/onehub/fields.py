"""What a One Hub or Done Hub server can do: form fields, columns, operations, types (onehub.md).

The flavors differ in a few fields (Done Hub adds a header override, a body pass-through and a
cost multiplier), in their type lists (Done Hub adds 57-62), in the tag edits they take, and in
how a server says which it is (`GET /api/status` keys, §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...channel_types import DONEHUB_TYPES, ONEHUB_TYPES
from ...models import BackendKind
from ..base import COLUMNS_ALL, Capabilities, FieldKind, FieldSpec, Operation, VersionSegment

FLAVORS = ("auto", "onehub", "donehub")
"""What a profile may pin: `auto` tells One Hub and Done Hub apart from `GET /api/status`."""

ONEHUB_MARKERS = frozenset({"PaymentUSDRate", "UptimeEnabled", "telegram_bot", "EnableSafe", "UserInvoiceMonth"})
"""Status keys both One Hub and Done Hub have, and New API and One API lack (onehub.md §2)."""
DONEHUB_MARKERS = frozenset({"linuxDo_oauth", "invite_code_register", "GeminiAPIEnabled", "ClaudeAPIEnabled"})
"""Status keys only Done Hub has (note the capital D of `linuxDo_oauth`)."""


def is_onehub_status(data: Mapping[str, Any]) -> bool:
    """Whether `GET /api/status` data comes from One Hub or Done Hub (at least two of their keys)."""
    return len(ONEHUB_MARKERS & data.keys()) >= 2


def flavor_from_status(data: Mapping[str, Any]) -> str:
    return "donehub" if len(DONEHUB_MARKERS & data.keys()) >= 2 else "onehub"


LABELS = {"onehub": "One Hub", "donehub": "Done Hub"}

COLUMNS = frozenset(COLUMNS_ALL) - {"auto_sync", "upstream", "success_rate", "cost"}
"""Columns One Hub and Done Hub fill: no server-side model sync, upstream model updates or traffic stats."""

OPERATIONS = frozenset(
    {
        Operation.SEARCH,
        Operation.CREATE,
        Operation.UPDATE,
        Operation.DELETE,
        Operation.BATCH_DELETE,
        Operation.DELETE_DISABLED,
        Operation.SET_STATUS,
        Operation.TEST,
        Operation.TEST_ALL,
        Operation.FETCH_MODELS,
        Operation.FETCH_MODELS_ADHOC,
        Operation.BALANCE,
        Operation.BALANCE_ALL,
        Operation.BATCH_TAG,
        Operation.TAG_STATUS,
        Operation.TAG_EDIT,
        Operation.GROUPS,
        Operation.MODEL_CATALOG,
        Operation.REVEAL_KEY,
    }
)

TAG_FIELDS = ("new_tag", "priority", "weight", "models", "groups", "model_mapping")
"""What a tag edit changes on every channel of the tag (`PUT /api/channel_tag/:tag` and its
priority route); Done Hub also takes the header override."""

UNTESTABLE_TYPES = frozenset({24, 34, 41})
"""Azure Speech, Midjourney and Suno: no chat, embeddings or image provider to test with."""

LISTABLE_TYPES = frozenset({1, 3, 8, 14, 15, 17, 20, 25, 26, 27, 28, 29, 30, 31, 33, 36, 39, 41, 45, 47, 49, 55, 56})
"""Types whose provider lists its models (`provider_models_list`): its own model list or the OpenAI
one it builds on; Custom (8) uses the OpenAI provider with its base URL."""

PROTOCOL_TYPES = {"openai": 1, "responses": 1, "embedding": 1, "anthropic": 14, "gemini": 25}

_COMMON = (
    FieldSpec("name", "Name", FieldKind.TEXT, required=True),
    FieldSpec("type", "Type", FieldKind.TYPE, required=True),
    FieldSpec(
        "key",
        "API key",
        FieldKind.SECRET,
        required=True,
        help="One key per channel; several keys make several channels (give them one tag)",
    ),
    FieldSpec("base_url", "Base URL", FieldKind.TEXT, help="Empty uses the type's default"),
    FieldSpec("models", "Models", FieldKind.MODELS, required=True),
    FieldSpec("status", "Status", FieldKind.STATUS),
    FieldSpec("groups", "Groups", FieldKind.GROUPS, help="User groups allowed to use this channel"),
    FieldSpec("priority", "Priority", FieldKind.INT, help="Higher is tried first", default=0),
    FieldSpec("weight", "Weight", FieldKind.INT, help="Share within one priority", minimum=1, default=1),
    FieldSpec(
        "tag",
        "Tag",
        FieldKind.TEXT,
        maximum=32,
        help="Channels with one tag share their settings and differ by key",
    ),
    FieldSpec(
        "test_model",
        "Test model",
        FieldKind.TEXT,
        maximum=50,
        help="Tests use it when none is chosen; without one the server refuses to test",
    ),
    FieldSpec("model_mapping", "Model mapping", FieldKind.JSON, help='JSON object, e.g. {"gpt-4": "gpt-4o"}'),
    FieldSpec("model_headers", "Extra headers", FieldKind.JSON, advanced=True, help="Upstream headers, a JSON object"),
    FieldSpec(
        "custom_parameter", "Custom parameters", FieldKind.JSON, advanced=True, help="JSON merged into requests"
    ),
    FieldSpec("proxy", "Proxy", FieldKind.TEXT, advanced=True, help="http:// or socks5://; %s becomes a per-key id"),
    FieldSpec("other", "Other (type-specific)", FieldKind.TEXT, advanced=True, help="API version, region…"),
    FieldSpec("only_chat", "Chat only", FieldKind.BOOL, advanced=True),
    FieldSpec(
        "pre_cost",
        "Pre-billing",
        FieldKind.CHOICE,
        advanced=True,
        choices=(("1", "Normal"), ("2", "Skip images"), ("3", "None")),
        default=1,
    ),
    FieldSpec("compatible_response", "Responses via chat", FieldKind.BOOL, advanced=True),
    FieldSpec("allow_extra_body", "Pass unknown fields", FieldKind.BOOL, advanced=True),
)

_DONEHUB_ONLY = (
    FieldSpec("header_override", "Header override", FieldKind.JSON, advanced=True),
    FieldSpec("pass_through_body", "Pass the body through", FieldKind.BOOL, advanced=True),
    FieldSpec(
        "cost_ratio", "Cost multiplier", FieldKind.NUMBER, advanced=True, minimum=0, nullable=True, help="Empty: none"
    ),
)

NOTES = (
    "An edit reads the whole channel and sends it back: One Hub blanks every field an update "
    "with models leaves out.",
    "Tags group channels that share settings and differ by key; the list shows every member.",
)


def build_capabilities(flavor: str, version: str) -> Capabilities:
    donehub = flavor == "donehub"
    return Capabilities(
        kind=BackendKind.ONEHUB,
        flavor=flavor,
        flavor_label=LABELS[flavor],
        version=version,
        types=DONEHUB_TYPES if donehub else ONEHUB_TYPES,
        fields=_COMMON + (_DONEHUB_ONLY if donehub else ()),
        columns=COLUMNS,
        operations=OPERATIONS,
        returns_keys=False,
        notes=NOTES,
        openai_type=1,
        base_url_style=VersionSegment.STRIP,
        protocol_types=PROTOCOL_TYPES,
        untestable_types=UNTESTABLE_TYPES,
        listable_types=LISTABLE_TYPES,
        test_needs_model=True,
        test_may_disable=True,
        tag_fields=TAG_FIELDS + (("header_override",) if donehub else ()),
        tag_one_type=donehub,
    )
