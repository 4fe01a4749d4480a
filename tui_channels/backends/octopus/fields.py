"""What an Octopus server can do, per generation: fields for the forms, columns, operations, types."""

from __future__ import annotations

from ...channel_types import OCTOPUS_CURRENT_TYPES, OCTOPUS_LEGACY_TYPES
from ...models import BackendKind
from ..base import Capabilities, FieldKind, FieldSpec, Operation, VersionSegment
from .groups import CURRENT_SPEC, LEGACY_SPEC

GENERATIONS = ("auto", "current", "legacy")
"""What a profile may pin: `auto` tells the generations apart from the server's answers."""

LEGACY_PROTOCOL_TYPES = {"openai": 0, "responses": 1, "anthropic": 2, "gemini": 3, "volcengine": 4, "embedding": 5}
CURRENT_PROTOCOL_TYPES = {
    "openai": "openai", "responses": "openai_responses", "anthropic": "anthropic",
    "gemini": "gemini", "volcengine": "volcengine", "embedding": "openai",
}
"""The Octopus type per wire protocol (octopus.md §4): Octopus types are protocols."""

COLUMNS = frozenset(
    {
        "id",
        "name",
        "type",
        "status",
        "models",
        "auto_sync",
        "base_url",
        "response_time",
        "test_time",
        "success_rate",
        "cost",
    }
)

HIDDEN_COLUMNS = frozenset({"test_time", "cost"})
"""Octopus keeps no test time: the column fills only with this app's own tests of the session.
Cost is offered in the column picker."""
COLUMN_LABELS = {"response_time": "Avg wait"}
"""Octopus's response time is the mean wait of its traffic (`stats`), not a test's: headed so."""

OPERATIONS = frozenset(
    {
        Operation.CREATE,
        Operation.UPDATE,
        Operation.DELETE,
        Operation.SET_STATUS,
        Operation.TEST,
        Operation.FETCH_MODELS,
        Operation.FETCH_MODELS_ADHOC,
        Operation.SERVER_SYNC,
        Operation.MODEL_GROUPS,
    }
)

NOTES = (
    "Octopus has no search route: the channel list is filtered in this app.",
    "A test is a timed model fetch with the channel's settings: Octopus has no per-channel test route.",
)

_COMMON_TAIL = (
    FieldSpec("models", "Models", FieldKind.MODELS, help="Models found by the last sync (the `model` field)."),
    FieldSpec("custom_model", "Custom models", FieldKind.MODELS, help="Models added by hand; a sync keeps them."),
    FieldSpec("status", "Status", FieldKind.STATUS),
    FieldSpec("auto_sync", "Auto sync", FieldKind.BOOL, help="Include in the server's periodic model sync."),
    FieldSpec("proxy", "Use global proxy", FieldKind.BOOL, help="Reach the upstream through the server's proxy."),
    FieldSpec("channel_proxy", "Channel proxy", FieldKind.TEXT, advanced=True, help="Proxy URL for this channel."),
    FieldSpec("custom_header", "Custom headers", FieldKind.HEADERS, advanced=True, help="Extra upstream headers."),
    FieldSpec(
        "match_regex",
        "Model match regex",
        FieldKind.TEXT,
        advanced=True,
        help="Regular expression; a model fetch keeps only the models it matches.",
    ),
    FieldSpec(
        "param_override",
        "Parameter override",
        FieldKind.JSON,
        advanced=True,
        help="JSON merged into request bodies.",
    ),
)

_LEGACY_FIELDS = (
    FieldSpec("name", "Name", FieldKind.TEXT, required=True, help="Unique on the server."),
    FieldSpec("type", "Type", FieldKind.TYPE, required=True),
    FieldSpec(
        "key",
        "Keys",
        FieldKind.KEY_LIST,
        required=True,
        help="Upstream keys, each enabled or not, with a remark; the first enabled key is used first.",
    ),
    FieldSpec(
        "base_url",
        "Base URLs",
        FieldKind.URL_LIST,
        required=True,
        help="Upstream base URLs with their measured delay; the server prefers the lowest delay.",
    ),
    *_COMMON_TAIL,
    FieldSpec(
        "auto_group",
        "Auto group",
        FieldKind.CHOICE,
        help="Add the channel's models to Octopus groups by name.",
        choices=(("0", "None"), ("1", "Fuzzy"), ("2", "Exact"), ("3", "Regex")),
        default=0,
    ),
)

_CURRENT_FIELDS = (
    FieldSpec("name", "Name", FieldKind.TEXT, required=True, help="Unique on the server."),
    FieldSpec("type", "Type", FieldKind.TYPE, required=True),
    FieldSpec("key", "Key", FieldKind.SECRET, required=True, help="One upstream key per channel."),
    FieldSpec(
        "base_url",
        "Base URL",
        FieldKind.TEXT,
        required=True,
        help="Upstream base URL, e.g. https://api.openai.com/v1; the server adds a missing /v1 itself.",
    ),
    *_COMMON_TAIL,
)


def generation_label(legacy: bool) -> str:
    return "Octopus (legacy)" if legacy else "Octopus"


def build_capabilities(*, legacy: bool, version: str) -> Capabilities:
    return Capabilities(
        kind=BackendKind.OCTOPUS,
        flavor="octopus-legacy" if legacy else "octopus-current",
        flavor_label=generation_label(legacy),
        version=version,
        types=OCTOPUS_LEGACY_TYPES if legacy else OCTOPUS_CURRENT_TYPES,
        fields=_LEGACY_FIELDS if legacy else _CURRENT_FIELDS,
        columns=COLUMNS,
        operations=OPERATIONS,
        returns_keys=True,
        notes=NOTES,
        hidden_columns=HIDDEN_COLUMNS,
        column_labels=COLUMN_LABELS,
        groups=LEGACY_SPEC if legacy else CURRENT_SPEC,
        openai_type=0 if legacy else "openai",
        base_url_style=VersionSegment.BY_RELEASE,
        protocol_types=LEGACY_PROTOCOL_TYPES if legacy else CURRENT_PROTOCOL_TYPES,
        upstream_needs_key=True,
    )
