"""What a Claude Code Hub server can do: form fields, table columns, operations and types.

Field names are the neutral ones, or the snake_case write names of the server (read from the
camelCase record through `FieldSpec.source`). Ranges are the server's own (`ProviderCreateSchema`):
the form refuses what the server would refuse.
"""

from __future__ import annotations

from ...channel_types import CLAUDECODEHUB_TYPES
from ...models import BackendKind
from ..base import Capabilities, FieldKind, FieldSpec, Operation, VersionSegment
from .wire import MAX_WEIGHT, MIN_WEIGHT

FLAVOR = "claudecodehub"
FLAVOR_LABEL = "Claude Code Hub"

COLUMNS = frozenset({"id", "name", "type", "status", "models", "group", "priority", "weight", "base_url"})

PRIORITY_HEADER = "Prio(low)"
"""The lowest priority wins here, unlike New API where the highest does: the header says so."""

OPERATIONS = frozenset(
    {
        Operation.SEARCH,
        Operation.CREATE,
        Operation.UPDATE,
        Operation.DELETE,
        Operation.BATCH_DELETE,
        Operation.BATCH_UPDATE,
        Operation.SET_STATUS,
        Operation.TEST,
        Operation.FETCH_MODELS,
        Operation.FETCH_MODELS_ADHOC,
        Operation.GROUPS,
        Operation.REVEAL_KEY,
    }
)

NOTES = (
    "Lower priority wins: the server routes to the lowest priority number first (New API: the highest).",
    "Listed keys are masked; the full key is read on demand through the key reveal route.",
    "Models are the provider's allowed models (exact names); none allows every model.",
)

PRIORITY_HELP = (
    "Lower wins: requests go to the providers with the lowest number first (0 is first). "
    "New API is the other way round."
)

FIELDS = (
    FieldSpec("name", "Name", FieldKind.TEXT, required=True, help="Up to 64 characters; need not be unique.", maximum=64),
    FieldSpec("type", "Provider type", FieldKind.TYPE, required=True, help="The protocol the upstream speaks."),
    FieldSpec("key", "Key", FieldKind.SECRET, required=True, help="One upstream key per provider."),
    FieldSpec(
        "base_url",
        "Base URL",
        FieldKind.TEXT,
        required=True,
        help="Upstream base URL without /v1 (the server appends /v1/messages, /v1/responses…).",
    ),
    FieldSpec(
        "models",
        "Allowed models",
        FieldKind.MODELS,
        help="Exact model names this provider serves; empty allows every model. Prefix and regex rules "
        "set in the web UI are kept.",
    ),
    FieldSpec("status", "Status", FieldKind.STATUS),
    FieldSpec(
        "groups",
        "Groups",
        FieldKind.GROUPS,
        help="Provider group tags; `default` alone serves users without a group.",
    ),
    FieldSpec("priority", "Priority (lower wins)", FieldKind.INT, help=PRIORITY_HELP, minimum=0, default=0),
    FieldSpec(
        "weight",
        "Weight",
        FieldKind.INT,
        help="1 to 100: the share of traffic among providers of the same priority.",
        minimum=MIN_WEIGHT,
        maximum=MAX_WEIGHT,
        default=1,
    ),
    FieldSpec(
        "cost_multiplier",
        "Cost multiplier",
        FieldKind.NUMBER,
        advanced=True,
        help="Multiplies the billed cost of this provider's requests.",
        minimum=0,
        default=1,
        source="costMultiplier",
    ),
    FieldSpec(
        "limit_concurrent_sessions",
        "Concurrent sessions",
        FieldKind.INT,
        advanced=True,
        help="At most this many sessions at once; 0 means no limit.",
        minimum=0,
        default=0,
        source="limitConcurrentSessions",
    ),
    *(
        FieldSpec(
            name,
            label,
            FieldKind.NUMBER,
            advanced=True,
            help="Spend limit in USD; empty means no limit.",
            minimum=0,
            nullable=True,
            source=source,
        )
        for name, label, source in (
            ("limit_5h_usd", "5-hour limit (USD)", "limit5hUsd"),
            ("limit_daily_usd", "Daily limit (USD)", "limitDailyUsd"),
            ("limit_weekly_usd", "Weekly limit (USD)", "limitWeeklyUsd"),
            ("limit_monthly_usd", "Monthly limit (USD)", "limitMonthlyUsd"),
            ("limit_total_usd", "Total limit (USD)", "limitTotalUsd"),
        )
    ),
    FieldSpec(
        "max_retry_attempts",
        "Retry attempts",
        FieldKind.INT,
        advanced=True,
        help="1 to 10 attempts on this provider; empty uses the server's default.",
        minimum=1,
        maximum=10,
        nullable=True,
        source="maxRetryAttempts",
    ),
    FieldSpec(
        "proxy_url",
        "Proxy URL",
        FieldKind.TEXT,
        advanced=True,
        help="Outbound proxy for this provider (http, https or socks5).",
        source="proxyUrl",
    ),
    FieldSpec(
        "proxy_fallback_to_direct",
        "Fall back to direct",
        FieldKind.BOOL,
        advanced=True,
        help="Call the upstream directly when the proxy fails.",
        source="proxyFallbackToDirect",
    ),
    FieldSpec(
        "custom_headers",
        "Custom headers",
        FieldKind.HEADERS,
        advanced=True,
        help="Extra upstream headers; secret values show as [REDACTED] and are kept as stored.",
        source="customHeaders",
    ),
    FieldSpec(
        "website_url",
        "Website",
        FieldKind.TEXT,
        advanced=True,
        help="The provider's website, for the dashboard.",
        source="websiteUrl",
    ),
)


def build_capabilities(version: str) -> Capabilities:
    return Capabilities(
        kind=BackendKind.CLAUDECODEHUB,
        flavor=FLAVOR,
        flavor_label=FLAVOR_LABEL,
        version=version,
        types=CLAUDECODEHUB_TYPES,
        fields=FIELDS,
        columns=COLUMNS,
        operations=OPERATIONS,
        returns_keys=False,
        notes=NOTES,
        models_optional=True,
        column_labels={"priority": PRIORITY_HEADER},
        openai_type="openai-compatible",
        base_url_style=VersionSegment.STRIP,
        protocol_types={
            "openai": "openai-compatible", "responses": "codex", "embedding": "openai-compatible",
            "anthropic": "claude", "gemini": "gemini",
        },
    )
