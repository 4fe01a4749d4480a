"""The emulated server's request validation: zod's strict objects, as Claude Code Hub declares them.

Written from the server's schemas (`src/lib/api/v1/schemas/providers.ts`, v0.9), independently of
the client's wire models, so a test can hold both to the facts in docs/contracts/claude-code-hub.md.
Like zod, a body is checked whole and every problem is reported, each with its path, a code and a
message; unknown keys are one `unrecognized_keys` problem at the body's root.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Issue = dict[str, Any]
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PROVIDER_TYPES = ("claude", "codex", "gemini", "openai-compatible")
MATCH_TYPES = ("exact", "prefix", "suffix", "contains", "regex")
PROTECTED_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One field: its kind, range (length for strings), and whether null is allowed."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    choices: tuple[str, ...] = ()
    trim: bool = False
    item: Rule | None = None


def _text(lo: int | None = None, hi: int | None = None, **options: Any) -> Rule:
    return Rule("string", lo, hi, **options)


def _int(lo: int | None = None, hi: int | None = None, **options: Any) -> Rule:
    return Rule("int", lo, hi, **options)


def _number(lo: float | None = None, **options: Any) -> Rule:
    return Rule("number", lo, **options)


def _enum(*choices: str, **options: Any) -> Rule:
    return Rule("enum", choices=choices, **options)


BOOL = Rule("bool")
ANY_ARRAY_OR_NULL = Rule("array", nullable=True)
LIMIT = _number(0, nullable=True)
MILLIS = _int(0, nullable=True)
PREFERENCE = _text()

PROVIDER_WRITE: dict[str, Rule] = {
    "name": _text(1, 64, trim=True),
    "url": Rule("url", maximum=255, trim=True),
    "key": _text(1),
    "is_enabled": BOOL,
    "weight": _int(1, 100),
    "priority": _int(0),
    "cost_multiplier": _number(0),
    "group_tag": _text(hi=255, nullable=True),
    "group_priorities": Rule("record", nullable=True, item=_int(0)),
    "provider_type": _enum(*PROVIDER_TYPES),
    "preserve_client_ip": BOOL,
    "disable_session_reuse": BOOL,
    "model_redirects": ANY_ARRAY_OR_NULL,
    "active_time_start": Rule("time", nullable=True),
    "active_time_end": Rule("time", nullable=True),
    "allowed_models": ANY_ARRAY_OR_NULL,
    "allowed_clients": Rule("array", item=_text(1)),
    "blocked_clients": Rule("array", item=_text(1)),
    "mcp_passthrough_type": _enum("none", "minimax", "glm", "custom"),
    "mcp_passthrough_url": Rule("url", maximum=512, nullable=True),
    "limit_5h_usd": LIMIT,
    "limit_5h_reset_mode": _enum("fixed", "rolling"),
    "limit_daily_usd": LIMIT,
    "daily_reset_mode": _enum("fixed", "rolling"),
    "daily_reset_time": Rule("time"),
    "limit_weekly_usd": LIMIT,
    "limit_monthly_usd": LIMIT,
    "limit_total_usd": LIMIT,
    "limit_concurrent_sessions": _int(0),
    "max_retry_attempts": _int(1, 10, nullable=True),
    "circuit_breaker_failure_threshold": _int(0),
    "circuit_breaker_open_duration": _int(1000, 86_400_000),
    "circuit_breaker_half_open_success_threshold": _int(1, 10),
    "proxy_url": _text(hi=512, nullable=True),
    "proxy_fallback_to_direct": BOOL,
    "custom_headers": Rule("record", nullable=True, item=_text()),
    "first_byte_timeout_streaming_ms": MILLIS,
    "streaming_idle_timeout_ms": MILLIS,
    "request_timeout_non_streaming_ms": MILLIS,
    "website_url": Rule("url", maximum=512, nullable=True),
    "favicon_url": _text(hi=512, nullable=True),
    "cache_ttl_preference": PREFERENCE,
    "swap_cache_ttl_billing": BOOL,
    "context_1m_preference": _text(nullable=True),
    "codex_reasoning_effort_preference": PREFERENCE,
    "codex_reasoning_summary_preference": PREFERENCE,
    "codex_text_verbosity_preference": PREFERENCE,
    "codex_parallel_tool_calls_preference": PREFERENCE,
    "codex_image_generation_preference": _enum("inherit", "true", "false"),
    "codex_service_tier_preference": PREFERENCE,
    "anthropic_max_tokens_preference": PREFERENCE,
    "anthropic_thinking_budget_preference": PREFERENCE,
    "anthropic_adaptive_thinking": Rule("unknown", nullable=True),
    "gemini_google_search_preference": PREFERENCE,
}
"""`ProviderCreateSchema` / `ProviderUpdateSchema` fields (snake_case)."""

CREATE_REQUIRED = ("name", "url", "key")

BATCH_UPDATE_FIELDS: dict[str, Rule] = {
    "is_enabled": BOOL,
    "priority": _int(),
    "weight": _number(0),
    "cost_multiplier": _number(0),
    "group_tag": _text(hi=200, nullable=True),
    "model_redirects": ANY_ARRAY_OR_NULL,
    "allowed_models": ANY_ARRAY_OR_NULL,
    "allowed_clients": Rule("array", item=_text()),
    "blocked_clients": Rule("array", item=_text()),
    "limit_5h_usd": LIMIT,
    "limit_5h_reset_mode": _enum("fixed", "rolling"),
    "limit_daily_usd": LIMIT,
    "daily_reset_mode": _enum("fixed", "rolling"),
    "daily_reset_time": _text(),
    "codex_image_generation_preference": _enum("inherit", "true", "false", nullable=True),
    "codex_service_tier_preference": _text(nullable=True),
    "anthropic_thinking_budget_preference": _text(nullable=True),
    "anthropic_adaptive_thinking": Rule("unknown", nullable=True),
}
"""`ProviderBatchUpdateFieldsSchema`: note `priority` (any int) and `weight` (any number ≥ 0)."""

PROVIDER_IDS = Rule("array", 1, 500, item=_int(1))
TEST_BY_ID: dict[str, Rule] = {"model": _text(1, trim=True)}
FETCH_MODELS: dict[str, Rule] = {
    "providerUrl": Rule("url", trim=True),
    "apiKey": _text(1),
    "providerType": _enum(*PROVIDER_TYPES),
    "model": _text(trim=True),
    "proxyUrl": _text(trim=True, nullable=True),
    "proxyFallbackToDirect": BOOL,
    "timeoutMs": _int(5000, 120_000),
}
FETCH_MODELS_REQUIRED = ("providerUrl", "apiKey", "providerType")


def _issue(path: list[Any], code: str, message: str) -> Issue:
    return {"path": path, "code": code, "message": message}


def _check(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    """(the parsed value, problems) for one value against its rule."""
    if value is None:
        return None, [] if rule.nullable else [_issue(path, "invalid_type", f"Invalid input: expected {rule.kind}, received null")]
    checker = _CHECKERS[rule.kind]
    return checker(rule, value, path)


def _string(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if not isinstance(value, str):
        return value, [_issue(path, "invalid_type", "Invalid input: expected string")]
    text = value.strip() if rule.trim else value
    if rule.minimum is not None and len(text) < rule.minimum:
        return text, [_issue(path, "too_small", f"Too small: expected string to have >={rule.minimum:g} characters")]
    if rule.maximum is not None and len(text) > rule.maximum:
        return text, [_issue(path, "too_big", f"Too big: expected string to have <={rule.maximum:g} characters")]
    return text, []


def _url(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    text, issues = _string(rule, value, path)
    if not issues and not _URL.match(text):
        issues = [_issue(path, "invalid_format", "Invalid URL")]
    return text, issues


def _time(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if not isinstance(value, str) or not TIME_OF_DAY.match(value):
        return value, [_issue(path, "invalid_format", "Invalid string: must match pattern HH:mm")]
    return value, []


def _numeric(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value, [_issue(path, "invalid_type", "Invalid input: expected number")]
    if rule.kind == "int" and value != int(value):
        return value, [_issue(path, "invalid_type", "Invalid input: expected int, received number")]
    if rule.minimum is not None and value < rule.minimum:
        return value, [_issue(path, "too_small", f"Too small: expected number to be >={rule.minimum:g}")]
    if rule.maximum is not None and value > rule.maximum:
        return value, [_issue(path, "too_big", f"Too big: expected number to be <={rule.maximum:g}")]
    return value, []


def _bool(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if not isinstance(value, bool):
        return value, [_issue(path, "invalid_type", "Invalid input: expected boolean")]
    return value, []


def _choice(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if value not in rule.choices:
        expected = "|".join(f'"{c}"' for c in rule.choices)
        return value, [_issue(path, "invalid_value", f"Invalid option: expected one of {expected}")]
    return value, []


def _array(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if not isinstance(value, list):
        return value, [_issue(path, "invalid_type", "Invalid input: expected array")]
    if rule.minimum is not None and len(value) < rule.minimum:
        return value, [_issue(path, "too_small", f"Too small: expected array to have >={rule.minimum:g} items")]
    if rule.maximum is not None and len(value) > rule.maximum:
        return value, [_issue(path, "too_big", f"Too big: expected array to have <={rule.maximum:g} items")]
    if rule.item is None:
        return value, []
    parsed, issues = [], []
    for index, item in enumerate(value):
        item_value, item_issues = _check(rule.item, item, [*path, index])
        parsed.append(item_value)
        issues += item_issues
    return parsed, issues


def _record(rule: Rule, value: Any, path: list[Any]) -> tuple[Any, list[Issue]]:
    if not isinstance(value, dict):
        return value, [_issue(path, "invalid_type", "Invalid input: expected record")]
    parsed, issues = {}, []
    for name, item in value.items():
        parsed[name], item_issues = _check(rule.item or Rule("unknown"), item, [*path, name])
        issues += item_issues
    return parsed, issues


_CHECKERS: dict[str, Callable[[Rule, Any, list[Any]], tuple[Any, list[Issue]]]] = {
    "string": _string,
    "url": _url,
    "time": _time,
    "int": _numeric,
    "number": _numeric,
    "bool": _bool,
    "enum": _choice,
    "array": _array,
    "record": _record,
    "unknown": lambda rule, value, path: (value, []),
}


def strict_object(
    body: Any, rules: Mapping[str, Rule], *, required: tuple[str, ...] = (), path: list[Any] | None = None
) -> tuple[dict[str, Any], list[Issue]]:
    """zod `.strict()`: (the parsed fields that were sent, every problem found)."""
    where = path or []
    if not isinstance(body, dict):
        return {}, [_issue(where, "invalid_type", "Invalid input: expected object")]
    issues: list[Issue] = []
    unknown = [name for name in body if name not in rules]
    if unknown:
        names = ", ".join(f'"{name}"' for name in unknown)
        noun = "key" if len(unknown) == 1 else "keys"
        issues.append(_issue(where, "unrecognized_keys", f"Unrecognized {noun}: {names}"))
    parsed: dict[str, Any] = {}
    for name, rule in rules.items():
        if name not in body:
            if name in required:
                issues.append(_issue([*where, name], "invalid_type", f"Invalid input: expected {rule.kind}, received undefined"))
            continue
        parsed[name], field_issues = _check(rule, body[name], [*where, name])
        issues += field_issues
    return parsed, issues


def model_rules_valid(rules: Any) -> bool:
    """The action layer's check of allowed-model rules: names, or `{matchType, pattern}` objects."""
    for rule in rules or ():
        if isinstance(rule, str):
            if not rule.strip():
                return False
        elif not (
            isinstance(rule, dict) and rule.get("matchType") in MATCH_TYPES and isinstance(rule.get("pattern"), str)
            and rule["pattern"].strip()
        ):
            return False
    return True


def redirect_rules_valid(rules: Any) -> bool:
    return all(
        isinstance(rule, dict) and rule.get("matchType") in MATCH_TYPES
        and isinstance(rule.get("source"), str) and rule["source"].strip() and isinstance(rule.get("target"), str)
        for rule in rules or ()
    )


def headers_valid(headers: Any) -> bool:
    """The action layer's check of custom headers: token names, no auth header, no name twice."""
    seen: set[str] = set()
    for name, value in (headers or {}).items():
        lowered = name.lower()
        if not _HEADER_NAME.match(name) or lowered in PROTECTED_HEADERS or lowered in seen:
            return False
        if "\r" in value or "\n" in value:
            return False
        seen.add(lowered)
    return True
