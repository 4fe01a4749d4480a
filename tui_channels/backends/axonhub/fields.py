"""What a connected AxonHub can do, from its schema's `Features`: form fields, columns, operations.

Forms and tables adapt through this description only: no priority or weight (AxonHub has none),
the type read-only on edit where the server cannot change it, and every operation the server lacks
missing from `operations` with the reason the UI and CLI show.
"""

from __future__ import annotations

from ...channel_types import axonhub_types
from ...models import BackendKind
from ..base import Capabilities, FieldKind, FieldSpec, Operation, VersionSegment
from .schema import Features
from .wire import KEY_LIST_LABEL

COLUMNS = frozenset({"id", "name", "type", "status", "models", "tag", "base_url"})

PROTOCOL_TYPES: dict[str, tuple[str, ...]] = {
    "openai": ("openai",),
    "embedding": ("openai",),
    "responses": ("openai_responses", "openai"),
    "anthropic": ("anthropic",),
    "gemini": ("gemini", "gemini_openai"),
    "volcengine": ("volcengine", "doubao"),
}
"""AxonHub type codes per wire protocol, the preferred first (older servers lack some)."""


def _operations(features: Features) -> tuple[frozenset[Operation], dict[Operation, str]]:
    operations = {Operation.SEARCH, Operation.CREATE, Operation.UPDATE, Operation.SET_STATUS, Operation.TEST}
    reasons: dict[Operation, str] = {}
    probed = (
        (
            Operation.DELETE,
            features.delete,
            "Deleting channels",
            "no deleteChannel mutation (AxonHub v0.1 had none); archive the channel in AxonHub's web UI instead",
        ),
        (
            Operation.BATCH_DELETE,
            features.bulk_delete,
            "Deleting channels in one request",
            "no bulkDeleteChannels mutation",
        ),
        (
            Operation.FETCH_MODELS,
            features.fetch_models,
            "Listing upstream models",
            "no fetchModels query (AxonHub v0.1 had none)",
        ),
        (
            Operation.FETCH_MODELS_ADHOC,
            features.fetch_models,
            "Listing the upstream models of a key",
            "no fetchModels query (AxonHub v0.1 had none)",
        ),
    )
    for operation, present, what, why in probed:
        if present:
            operations.add(operation)
        else:
            reasons[operation] = f"{what} is not possible on this AxonHub server: its API has {why}."
    for operation, what in _ABSENT.items():
        reasons[operation] = f"AxonHub channels have no {what}."
    return frozenset(operations), reasons


_ABSENT = {
    Operation.GROUPS: "user groups",
    Operation.BALANCE: "upstream balance",
    Operation.BALANCE_ALL: "upstream balance",
    Operation.BATCH_TAG: "single tag to set in bulk: their tags are a list, edited per channel",
    Operation.TAG_EDIT: "tag-level edits",
}
"""Operations of other families that AxonHub has no counterpart for, with what is missing."""


def _fields(features: Features) -> tuple[FieldSpec, ...]:
    keys_help = (
        "Upstream API keys; separate several with spaces and the server takes turns. On edit, typing "
        "here replaces every stored key; leave empty to keep them."
        if features.key_list
        else "The upstream API key. On edit, leave empty to keep the stored one."
    )
    fields = [
        FieldSpec("name", "Name", FieldKind.TEXT, required=True, help="Unique on the server."),
        FieldSpec(
            "type",
            "Type",
            FieldKind.TYPE,
            required=True,
            fixed_on_edit=not features.type_editable,
            help=""
            if features.type_editable
            else "Fixed once created on this server: create a new channel to change it.",
        ),
        FieldSpec(
            "key",
            KEY_LIST_LABEL if features.key_list else "Key",
            FieldKind.SECRET,
            required=True,
            help=keys_help,
        ),
        FieldSpec(
            "base_url",
            "Base URL",
            FieldKind.TEXT,
            help="With the version segment, e.g. https://api.openai.com/v1; AxonHub appends the endpoint path.",
        ),
        FieldSpec("models", "Models", FieldKind.MODELS, help="The supported models the server routes to this channel."),
        FieldSpec(
            "status",
            "Status",
            FieldKind.STATUS,
            help="AxonHub creates channels disabled; this app sets the status you choose.",
        ),
        FieldSpec(
            "defaultTestModel",
            "Test model",
            FieldKind.TEXT,
            help="Model the server's test uses; empty takes the first model.",
        ),
    ]
    if features.tags:
        fields.append(FieldSpec("tag", "Tags", FieldKind.TEXT, help="Comma-separated; API-key profiles route by tag."))
    if features.manual_models:
        fields.append(
            FieldSpec(
                "manualModels",
                "Manual models",
                FieldKind.MODELS,
                advanced=True,
                help="Models added by hand; the server's own model sync keeps them.",
            )
        )
    if features.remark:
        fields.append(FieldSpec("remark", "Remark", FieldKind.TEXT, advanced=True))
    if features.ordering_weight:
        fields.append(
            FieldSpec(
                "orderingWeight",
                "Display order",
                FieldKind.INT,
                advanced=True,
                default=0,
                help="Sort order in AxonHub's web UI; not a routing weight.",
            )
        )
    if features.settings:
        fields.append(
            FieldSpec(
                "settings",
                "Settings",
                FieldKind.JSON,
                advanced=True,
                help="The channel's settings object (model mappings, prefixes, proxy, overrides); saved whole.",
                choices=tuple((name, name) for name in features.settings_members),
            )
        )
    return tuple(fields)


def build_capabilities(features: Features, *, version: str) -> Capabilities:
    operations, reasons = _operations(features)
    notes = ["AxonHub channels have no priority or weight: routing lives in its load-balancer settings."]
    if not features.readable_keys:
        notes.append("This AxonHub version never returns channel keys.")
    if not features.paged_query:
        notes.append("Channels are listed through the older `channels` connection.")
    return Capabilities(
        kind=BackendKind.AXONHUB,
        flavor="axonhub",
        flavor_label="AxonHub" if features.delete else "AxonHub (older API)",
        version=version,
        types=axonhub_types(list(features.types)),
        fields=_fields(features),
        columns=COLUMNS,
        operations=operations,
        returns_keys=features.readable_keys,
        notes=tuple(notes),
        reasons=reasons,
        openai_type="openai",
        base_url_style=VersionSegment.APPEND,
        protocol_types={k: next((c for c in codes if c in features.types), codes[0]) for k, codes in PROTOCOL_TYPES.items()},
    )
