"""Claude Code Hub's provider records and request bodies, as pydantic models at the edge.

Facts from docs/contracts/claude-code-hub.md (read from the server's OpenAPI document, v0.9):
answers are camelCase, request bodies snake_case, and every body schema is strict, so a field the
write schema lacks makes the server refuse the whole request. The write models here forbid unknown
fields too, so such a mistake fails in the client, with the field named, before anything is sent.
A read record is never echoed back: `write_fields` maps it explicitly.

`allowedModels` holds rules (`{matchType, pattern}`; plain strings are stored as exact rules): the
neutral `models` are the exact patterns, and an update keeps every other rule as it was. An empty
or null list allows every model. `groupTag` is a comma-separated list of groups; no tag means
the `default` group. The lowest `priority` wins; `weight` (1–100) splits traffic within a level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from ...errors import RequestRejected
from ...models import Channel, ChannelSpec, ChannelStatus, TypeCatalog, join_list, split_list

ProviderType = Literal["claude", "codex", "gemini", "openai-compatible"]
PROVIDER_TYPES: tuple[str, ...] = ("claude", "codex", "gemini", "openai-compatible")
DEFAULT_GROUP = "default"
MASK_CHARACTER = "•"
REDACTED = "[REDACTED]"
MIN_WEIGHT, MAX_WEIGHT = 1, 100
MAX_BATCH = 500
"""Ids per `:batchUpdate` / `:batchDelete` call (`ProviderIdsBodySchema`)."""
PROTECTED_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key"})
"""Custom headers the server refuses (without saying why): it sets the upstream's auth itself."""

ResetMode = Literal["fixed", "rolling"]
TimeOfDay = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255, pattern=r"^https?://\S+$")]
Money = Annotated[float, Field(ge=0)]
Millis = Annotated[int, Field(ge=0)]


class _Read(BaseModel):
    """An answer: camelCase on the wire, snake_case here; fields this app does not use are kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)


class AllowedModelRule(_Read):
    match_type: str = Field(alias="matchType")
    pattern: str


class ProviderRecord(_Read):
    """`ProviderSummarySchema`: the fields this app reads (the rest stays in `Channel.raw`).

    Id, name, URL, status and type must be usable; the others fall back to the server's defaults
    when a record holds something unexpected, so one odd provider never hides the whole list.
    """

    id: int = Field(gt=0)
    name: str
    url: str
    masked_key: str = Field(default="", alias="maskedKey")
    is_enabled: bool = Field(alias="isEnabled")
    weight: float = 1
    priority: int = 0
    group_tag: str | None = Field(default=None, alias="groupTag")
    provider_type: str = Field(alias="providerType")
    allowed_models: list[Any] | None = Field(default=None, alias="allowedModels")

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: Any) -> float:
        usable = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return value if usable else 1

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @field_validator("masked_key", mode="before")
    @classmethod
    def _masked_key(cls, value: Any) -> str:
        return value if isinstance(value, str) else ""

    @field_validator("group_tag", mode="before")
    @classmethod
    def _group_tag(cls, value: Any) -> str | None:
        return value if isinstance(value, str) else None

    @field_validator("allowed_models", mode="before")
    @classmethod
    def _allowed_models(cls, value: Any) -> list[Any] | None:
        return value if isinstance(value, list) else None


class ProviderList(_Read):
    items: list[Any]
    """Each read on its own (`client._listed`): one record of the wrong shape skips, not the list."""


class RevealedKey(_Read):
    key: str


class UpstreamModels(_Read):
    models: list[str]


class BatchUpdated(_Read):
    updated_count: int = Field(alias="updatedCount")


class BatchDeleted(_Read):
    deleted_count: int = Field(alias="deletedCount")


class TestOutcome(_Read):
    """The unified test result (`testProviderById`): `status` is green, yellow or red."""

    success: bool
    status: str = ""
    sub_status: str = Field(default="", alias="subStatus")
    latency_ms: int | None = Field(default=None, alias="latencyMs")
    http_status_code: int | None = Field(default=None, alias="httpStatusCode")
    model: str | None = None
    error_message: str | None = Field(default=None, alias="errorMessage")
    content: str | None = None


class Problem(_Read):
    """An RFC 9457 `application/problem+json` error answer."""

    type: str = ""
    title: str = ""
    status: int = 0
    detail: str = ""
    instance: str = ""
    error_code: str = Field(default="", alias="errorCode")
    invalid_params: list[dict[str, Any]] = Field(default_factory=list, alias="invalidParams")


class _Write(BaseModel):
    """A request body: snake_case, and no field the server's strict schema lacks."""

    model_config = ConfigDict(extra="forbid")


class ProviderPatch(_Write):
    """`ProviderUpdateSchema`: every field optional; a field left out stays as stored."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    url: HttpUrl | None = None
    key: Annotated[str, StringConstraints(min_length=1)] | None = None
    is_enabled: bool | None = None
    weight: Annotated[int, Field(ge=MIN_WEIGHT, le=MAX_WEIGHT)] | None = None
    priority: Annotated[int, Field(ge=0)] | None = None
    cost_multiplier: Money | None = None
    group_tag: Annotated[str, StringConstraints(max_length=255)] | None = None
    group_priorities: dict[str, Annotated[int, Field(ge=0)]] | None = None
    provider_type: ProviderType | None = None
    preserve_client_ip: bool | None = None
    disable_session_reuse: bool | None = None
    model_redirects: list[Any] | None = None
    active_time_start: TimeOfDay | None = None
    active_time_end: TimeOfDay | None = None
    allowed_models: list[Any] | None = None
    allowed_clients: list[Annotated[str, StringConstraints(min_length=1)]] | None = None
    blocked_clients: list[Annotated[str, StringConstraints(min_length=1)]] | None = None
    mcp_passthrough_type: Literal["none", "minimax", "glm", "custom"] | None = None
    mcp_passthrough_url: Annotated[str, StringConstraints(max_length=512)] | None = None
    limit_5h_usd: Money | None = None
    limit_5h_reset_mode: ResetMode | None = None
    limit_daily_usd: Money | None = None
    daily_reset_mode: ResetMode | None = None
    daily_reset_time: TimeOfDay | None = None
    limit_weekly_usd: Money | None = None
    limit_monthly_usd: Money | None = None
    limit_total_usd: Money | None = None
    limit_concurrent_sessions: Annotated[int, Field(ge=0)] | None = None
    max_retry_attempts: Annotated[int, Field(ge=1, le=10)] | None = None
    circuit_breaker_failure_threshold: Annotated[int, Field(ge=0)] | None = None
    circuit_breaker_open_duration: Annotated[int, Field(ge=1000, le=86_400_000)] | None = None
    circuit_breaker_half_open_success_threshold: Annotated[int, Field(ge=1, le=10)] | None = None
    proxy_url: Annotated[str, StringConstraints(max_length=512)] | None = None
    proxy_fallback_to_direct: bool | None = None
    custom_headers: dict[str, str] | None = None
    first_byte_timeout_streaming_ms: Millis | None = None
    streaming_idle_timeout_ms: Millis | None = None
    request_timeout_non_streaming_ms: Millis | None = None
    website_url: Annotated[str, StringConstraints(max_length=512)] | None = None
    favicon_url: Annotated[str, StringConstraints(max_length=512)] | None = None
    cache_ttl_preference: str | None = None
    swap_cache_ttl_billing: bool | None = None
    context_1m_preference: str | None = None
    codex_reasoning_effort_preference: str | None = None
    codex_reasoning_summary_preference: str | None = None
    codex_text_verbosity_preference: str | None = None
    codex_parallel_tool_calls_preference: str | None = None
    codex_image_generation_preference: Literal["inherit", "true", "false"] | None = None
    codex_service_tier_preference: str | None = None
    anthropic_max_tokens_preference: str | None = None
    anthropic_thinking_budget_preference: str | None = None
    anthropic_adaptive_thinking: Any = None
    gemini_google_search_preference: str | None = None


class ProviderCreate(ProviderPatch):
    """`ProviderCreateSchema`: name, url and key are required; `provider_type` defaults to claude."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    url: HttpUrl
    key: Annotated[str, StringConstraints(min_length=1)]


NOT_NULLABLE = frozenset(
    {
        "name", "url", "key", "is_enabled", "weight", "priority", "cost_multiplier", "provider_type",
        "preserve_client_ip", "disable_session_reuse", "allowed_clients", "blocked_clients",
        "mcp_passthrough_type", "limit_5h_reset_mode", "daily_reset_mode", "daily_reset_time",
        "limit_concurrent_sessions", "circuit_breaker_failure_threshold", "circuit_breaker_open_duration",
        "circuit_breaker_half_open_success_threshold", "proxy_fallback_to_direct", "cache_ttl_preference",
        "swap_cache_ttl_billing", "codex_reasoning_effort_preference", "codex_reasoning_summary_preference",
        "codex_text_verbosity_preference", "codex_parallel_tool_calls_preference",
        "codex_image_generation_preference", "codex_service_tier_preference",
        "anthropic_max_tokens_preference", "anthropic_thinking_budget_preference",
        "gemini_google_search_preference",
    }
)  # fmt: skip
"""Write fields the server's schema does not accept `null` for (a read `null` is not sent back)."""


class BatchUpdateFields(_Write):
    """`ProviderBatchUpdateFieldsSchema`, the part this app sends. The server checks neither the
    weight range nor a negative priority here, so the client keeps both in the single-edit limits."""

    is_enabled: bool | None = None
    priority: Annotated[int, Field(ge=0)] | None = None
    weight: Annotated[int, Field(ge=MIN_WEIGHT, le=MAX_WEIGHT)] | None = None
    group_tag: Annotated[str, StringConstraints(max_length=200)] | None = None


class BatchUpdate(_Write):
    provider_ids: list[int] = Field(serialization_alias="providerIds", min_length=1, max_length=MAX_BATCH)
    updates: BatchUpdateFields


class ProviderIds(_Write):
    provider_ids: list[int] = Field(serialization_alias="providerIds", min_length=1, max_length=MAX_BATCH)


class TestById(_Write):
    model: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None


class FetchUpstreamModels(_Write):
    provider_url: str = Field(serialization_alias="providerUrl")
    api_key: Annotated[str, StringConstraints(min_length=1)] = Field(serialization_alias="apiKey")
    provider_type: ProviderType = Field(serialization_alias="providerType")


READ_TO_WRITE: dict[str, str] = {
    "name": "name",
    "url": "url",
    "isEnabled": "is_enabled",
    "weight": "weight",
    "priority": "priority",
    "groupPriorities": "group_priorities",
    "costMultiplier": "cost_multiplier",
    "groupTag": "group_tag",
    "providerType": "provider_type",
    "preserveClientIp": "preserve_client_ip",
    "disableSessionReuse": "disable_session_reuse",
    "modelRedirects": "model_redirects",
    "activeTimeStart": "active_time_start",
    "activeTimeEnd": "active_time_end",
    "allowedModels": "allowed_models",
    "allowedClients": "allowed_clients",
    "blockedClients": "blocked_clients",
    "mcpPassthroughType": "mcp_passthrough_type",
    "mcpPassthroughUrl": "mcp_passthrough_url",
    "limit5hUsd": "limit_5h_usd",
    "limit5hResetMode": "limit_5h_reset_mode",
    "limitDailyUsd": "limit_daily_usd",
    "dailyResetMode": "daily_reset_mode",
    "dailyResetTime": "daily_reset_time",
    "limitWeeklyUsd": "limit_weekly_usd",
    "limitMonthlyUsd": "limit_monthly_usd",
    "limitTotalUsd": "limit_total_usd",
    "limitConcurrentSessions": "limit_concurrent_sessions",
    "maxRetryAttempts": "max_retry_attempts",
    "circuitBreakerFailureThreshold": "circuit_breaker_failure_threshold",
    "circuitBreakerOpenDuration": "circuit_breaker_open_duration",
    "circuitBreakerHalfOpenSuccessThreshold": "circuit_breaker_half_open_success_threshold",
    "proxyUrl": "proxy_url",
    "proxyFallbackToDirect": "proxy_fallback_to_direct",
    "customHeaders": "custom_headers",
    "firstByteTimeoutStreamingMs": "first_byte_timeout_streaming_ms",
    "streamingIdleTimeoutMs": "streaming_idle_timeout_ms",
    "requestTimeoutNonStreamingMs": "request_timeout_non_streaming_ms",
    "websiteUrl": "website_url",
    "faviconUrl": "favicon_url",
    "cacheTtlPreference": "cache_ttl_preference",
    "swapCacheTtlBilling": "swap_cache_ttl_billing",
    "context1mPreference": "context_1m_preference",
    "codexReasoningEffortPreference": "codex_reasoning_effort_preference",
    "codexReasoningSummaryPreference": "codex_reasoning_summary_preference",
    "codexTextVerbosityPreference": "codex_text_verbosity_preference",
    "codexParallelToolCallsPreference": "codex_parallel_tool_calls_preference",
    "codexImageGenerationPreference": "codex_image_generation_preference",
    "codexServiceTierPreference": "codex_service_tier_preference",
    "anthropicMaxTokensPreference": "anthropic_max_tokens_preference",
    "anthropicThinkingBudgetPreference": "anthropic_thinking_budget_preference",
    "anthropicAdaptiveThinking": "anthropic_adaptive_thinking",
    "geminiGoogleSearchPreference": "gemini_google_search_preference",
}
"""Every read field with a write counterpart; the others (id, maskedKey, vendor id, statistics,
dates) are the server's own and never sent."""

WRITE_TO_READ = {write: read for read, write in READ_TO_WRITE.items()}


def exact_models(rules: Sequence[Any] | None) -> tuple[str, ...]:
    """The model names of the exact-match rules (a plain string is an exact rule)."""
    names: list[str] = []
    for rule in rules or ():
        if isinstance(rule, str):
            names.append(rule)
        elif isinstance(rule, Mapping) and rule.get("matchType", "exact") == "exact" and rule.get("pattern"):
            names.append(str(rule["pattern"]))
    return split_list(",".join(names))


def other_rules(rules: Sequence[Any] | None) -> list[Any]:
    """The rules that are not exact matches (prefix, suffix, contains, regex), as stored."""
    return [r for r in rules or () if isinstance(r, Mapping) and r.get("matchType", "exact") != "exact"]


def allowed_models(models: Sequence[str], rules: Sequence[Any] | None = None) -> list[dict[str, str]] | None:
    """`models` as exact rules, after the pattern rules already stored; None (every model) when both are empty."""
    kept = [dict(rule) for rule in other_rules(rules)]
    exact = [{"matchType": "exact", "pattern": name} for name in split_list(",".join(models))]
    return kept + exact or None


def groups_of(group_tag: str | None) -> tuple[str, ...]:
    """The groups a provider serves; no tag means the `default` group."""
    return split_list(group_tag) or (DEFAULT_GROUP,)


def group_tag(groups: Sequence[str]) -> str | None:
    """The tag for `groups`: none for `default` alone (an untagged provider serves that group)."""
    names = split_list(",".join(groups))
    return None if not names or names == (DEFAULT_GROUP,) else join_list(names)


def channel_from_wire(record: Mapping[str, Any], types: TypeCatalog) -> Channel:
    """A neutral `Channel` from a provider record; `raw` keeps the camelCase record as it came.

    Raises `ValueError` (a pydantic `ValidationError`) when the record lacks a usable id, name,
    url, status or type.
    """
    provider = ProviderRecord.model_validate(record)
    return Channel(
        id=provider.id,
        name=provider.name,
        type=types.get(provider.provider_type),
        status=ChannelStatus.ENABLED if provider.is_enabled else ChannelStatus.MANUALLY_DISABLED,
        base_url=provider.url,
        models=exact_models(provider.allowed_models),
        groups=groups_of(provider.group_tag),
        priority=provider.priority,
        weight=round(provider.weight),
        all_models=not provider.allowed_models,
        raw=dict(record),
    )


def is_masked(key: str) -> bool:
    """Whether `key` is a masked or redacted echo rather than a real key.

    The server stores a masked key sent back as the key (it only refuses `[REDACTED]`), which
    would silently break the provider.
    """
    return MASK_CHARACTER in key or REDACTED in key or "REDACTED:REDACTED@" in key


def checked_key(value: str) -> str:
    """A key the server can be given: not empty, not a masked or redacted echo."""
    key = value.strip()
    if not key:
        raise RequestRejected("A provider key cannot be empty. Enter the upstream API key.")
    if is_masked(key):
        raise RequestRejected(
            "The key is the masked form the server shows (it contains • or [REDACTED]), not the key itself. "
            "Enter the full upstream key, or leave the key empty to keep the stored one."
        )
    return key


def _validated(model: type[_Write], fields: Mapping[str, Any], action: str) -> dict[str, Any]:
    """The body `model` accepts for `fields`, as JSON; a field it lacks or a bad value is refused."""
    try:
        body = model.model_validate(dict(fields))
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_url=False, include_input=False)[:3])
        raise RequestRejected(f"Cannot {action}: {problems}.") from None
    _check_headers(fields.get("custom_headers"), action)
    return body.model_dump(mode="json", exclude_unset=True, by_alias=True)


def _check_headers(headers: Mapping[str, str] | None, action: str) -> None:
    """What the server refuses in custom headers with no reason given: auth headers and repeated names."""
    seen: set[str] = set()
    for name in headers or {}:
        lowered = name.lower()
        if lowered in PROTECTED_HEADERS:
            raise RequestRejected(
                f"Cannot {action}: the custom header {name} is not allowed, because the server sets the "
                "upstream's authentication itself from the key."
            )
        if lowered in seen:
            raise RequestRejected(f"Cannot {action}: the custom header {name} is given twice.")
        seen.add(lowered)


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "body"
    if error["type"] == "extra_forbidden":
        return f"{where} is not a field Claude Code Hub accepts"
    return f"{where}: {error['msg']}"


def create_body(spec: ChannelSpec) -> dict[str, Any]:
    """The `POST /api/v1/providers` body for `spec`; `spec.extra` holds snake_case write fields."""
    fields: dict[str, Any] = {
        "name": spec.name.strip(),
        "url": spec.base_url.strip(),
        "key": checked_key(spec.key),
        "provider_type": spec.type,
        "is_enabled": spec.status.is_enabled,
    }
    tag = group_tag(spec.groups)
    if tag is not None:
        fields["group_tag"] = tag
    if spec.models:
        fields["allowed_models"] = allowed_models(spec.models)
    if spec.priority is not None:
        fields["priority"] = spec.priority
    if spec.weight is not None:
        fields["weight"] = spec.weight
    fields.update(spec.extra)
    if "custom_headers" in fields:
        fields["custom_headers"] = header_map(fields["custom_headers"])
    return _validated(ProviderCreate, fields, f"create provider {spec.name!r}")


NEUTRAL_TO_WRITE = {
    "name": "name",
    "base_url": "url",
    "type": "provider_type",
    "priority": "priority",
    "weight": "weight",
}


def update_body(channel: Channel, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The `PATCH` body: only the changed fields, in their write names; unknown names are refused."""
    fields: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "status":
            fields["is_enabled"] = wanted_enabled(value)
        elif name == "key":
            fields["key"] = checked_key(str(value))
        elif name == "models":
            fields["allowed_models"] = allowed_models(tuple(value), channel.raw.get("allowedModels"))
        elif name == "groups":
            fields["group_tag"] = group_tag(tuple(value))
        elif name == "custom_headers":
            fields[name] = header_map(value)
        elif name == "tag":
            raise RequestRejected("Claude Code Hub providers have no tag; use their groups instead.")
        else:
            fields[NEUTRAL_TO_WRITE.get(name, name)] = value
    return _validated(ProviderPatch, fields, f"update provider {channel.name!r}")


def batch_update_body(channel_ids: Sequence[int], **updates: Any) -> dict[str, Any]:
    return _validated(
        BatchUpdate, {"provider_ids": list(channel_ids), "updates": updates}, "update providers together"
    )


def header_map(value: Any) -> dict[str, str] | None:
    """Headers as the server stores them (a name → value object), from the form's header rows."""
    if value is None or isinstance(value, Mapping):
        return dict(value) if value else None
    headers = {str(h["header_key"]): str(h.get("header_value") or "") for h in value if h.get("header_key")}
    return headers or None


def wanted_enabled(status: Any) -> bool:
    if isinstance(status, bool):
        return status
    if isinstance(status, ChannelStatus) and status is not ChannelStatus.UNKNOWN:
        return status.is_enabled
    raise RequestRejected(f"Cannot set a provider's status to {status!r}: choose enabled or disabled.")


def write_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """A read record's settings under their write names, without what the server would refuse.

    Used to recreate a provider (restore, copy between Claude Code Hub sites): the server's own
    fields are dropped, `null` stays only where the write schema allows it, and redacted values
    (credentials in URLs, secret header values) are left out; `redacted_fields` names them.
    """
    fields: dict[str, Any] = {}
    for read_name, write_name in READ_TO_WRITE.items():
        if read_name not in record or write_name in ("name", "url"):
            continue
        value = record[read_name]
        if value is None and write_name in NOT_NULLABLE:
            continue
        if write_name == "custom_headers" and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if v != REDACTED} or None
        elif isinstance(value, str) and is_masked(value):
            continue
        fields[write_name] = value
    return fields


def redacted_fields(record: Mapping[str, Any]) -> list[str]:
    """Labels of the settings the server only showed redacted, which a copy cannot carry."""
    lost = []
    headers = record.get("customHeaders")
    if isinstance(headers, Mapping):
        lost += [f"custom header {name}" for name, value in headers.items() if value == REDACTED]
    for read_name in ("proxyUrl", "mcpPassthroughUrl", "websiteUrl"):
        value = record.get(read_name)
        if isinstance(value, str) and is_masked(value):
            lost.append(f"{read_name} (its credentials are redacted)")
    return lost
