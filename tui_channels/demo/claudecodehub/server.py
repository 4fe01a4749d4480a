"""Emulated Claude Code Hub management API (REST, v0.9) and a pre-v0.8.1 server, for the demo gateway.

Follows docs/contracts/claude-code-hub.md, traps included, so the client meets what a real server
does: camelCase answers and snake_case strict bodies (an unknown field is refused with a
problem+json listing it), `X-API-Version` on every `/api/v1` answer, lowest priority wins and
weight 1–100 on single edits but not on `:batchUpdate`, a masked key sent back as the key is
stored as it is, business failures with no reason (`provider.action_failed`), `/api/version`
failing with HTTP 500 while still naming the version, and tests and model fetches that really
call the fake upstream. The `legacy` generation has only the deprecated actions API.
"""

from __future__ import annotations

import copy
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..seed import SeedChannel, seed_channels
from .schema import (
    BATCH_UPDATE_FIELDS,
    CREATE_REQUIRED,
    FETCH_MODELS,
    FETCH_MODELS_REQUIRED,
    PROVIDER_IDS,
    PROVIDER_WRITE,
    TEST_BY_ID,
    Rule,
    headers_valid,
    model_rules_valid,
    redirect_rules_valid,
    strict_object,
)

DEMO_ADMIN_TOKEN = "cch-demo-admin-token"
DEMO_USER_KEY = "sk-cch-demo-user-key"
"""A user API key: readable routes only; admin routes answer 403 `auth.api_key_admin_disabled`."""
VERSIONS = {"current": "v0.9.0", "legacy": "v0.8.0"}
API_VERSION = "1.0.0"
PROBLEM = "application/problem+json"
REDACTED = "[REDACTED]"
NEXT_404 = b"<!DOCTYPE html><html><head><title>404: This page could not be found.</title></head><body></body></html>"

_PROVIDER_TYPE = {"anthropic": "claude", "gemini": "gemini"}
_TEST_MODEL = {
    "claude": "claude-haiku-4-5-20251001",
    "codex": "gpt-5.5",
    "gemini": "gemini-2.5-flash",
    "openai-compatible": "gpt-4.1-mini",
}
_SECRET_HEADER = ("authorization", "api-key", "apikey", "api_key", "cookie", "token", "secret", "password")
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    500: "Internal server error",
}


class Problem(Exception):
    """An error answer in problem+json: status, errorCode, detail, and zod's issues if any."""

    def __init__(self, status: int, code: str, detail: str | None = None, *, title: str | None = None,
                 issues: list[dict[str, Any]] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail or _TITLES.get(status, "Error")
        self.title = title or _TITLES.get(status, "Error")
        self.issues = issues


class Plain(Exception):
    """An error answer that is not problem+json (the body parser's plain-text refusals)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def mask_key(key: str) -> str:
    """The server's `maskedKey`: first and last four characters around six dots, or six dots alone."""
    return "••••••" if len(key) <= 8 else f"{key[:4]}••••••{key[-4:]}"


def _secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER)


def redact_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    if not headers:
        return None
    return {name: REDACTED if _secret_header(name) else value for name, value in headers.items()}


def redact_url(url: str | None) -> str | None:
    if not url:
        return None
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://REDACTED:REDACTED@{rest.split('@', 1)[1]}"


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return REDACTED in value or "REDACTED:REDACTED@" in value
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    return False


def _today(timestamp: float | None = None) -> str:
    return datetime.fromtimestamp(timestamp or time.time(), timezone.utc).strftime("%Y-%m-%d")


def _exact_rules(models: list[Any] | None) -> list[dict[str, str]] | None:
    """Allowed models as stored: a plain name becomes an exact rule, objects keep their match type."""
    if models is None:
        return None
    return [{"pattern": m, "matchType": "exact"} if isinstance(m, str) else dict(m) for m in models]


Handler = Callable[[Request], Awaitable[Any]]


class ClaudeCodeHubServer:
    """One emulated server: its providers, the admin token, and its Starlette app."""

    def __init__(
        self,
        generation: str = "current",
        *,
        upstream_url: str,
        providers: int = 12,
        seed: int = 3,
        admin_token: str = DEMO_ADMIN_TOKEN,
        user_key: str = DEMO_USER_KEY,
        upstream_timeout: float = 10.0,
    ) -> None:
        if generation not in VERSIONS:
            raise ValueError(f"unknown Claude Code Hub generation {generation!r}; choose current or legacy")
        self.generation = generation
        self.legacy = generation == "legacy"
        self.admin_token = admin_token
        self.user_key = user_key
        self.upstream_timeout = upstream_timeout
        self.providers: dict[int, dict[str, Any]] = {}
        self.keys: dict[int, str] = {}
        self._secrets: dict[tuple[int, str], str] = {}
        """Values the answers show redacted (URL credentials, secret headers), as stored."""
        self._next_id = 1
        self._seed(seed_channels(providers, seed=seed, upstream_url=upstream_url), seed)
        self.app = self._build_app()

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        code = {401: "auth.invalid", 403: "auth.forbidden", 429: "rate_limit.exceeded"}.get(status, "internal_error")
        return _problem_body(Problem(status, code, message), "/api/v1")

    def record(self, provider_id: int) -> dict[str, Any]:
        """The provider as the server answers it, for tests to inspect."""
        return copy.deepcopy(self.providers[provider_id])

    def channel_ids(self) -> list[int]:
        return sorted(self.providers)

    # -- app and plumbing --------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        if self.legacy:
            routes = [
                Route("/api/version", self._version, methods=["GET"]),
                Route("/api/actions/openapi.json", self._legacy_docs, methods=["GET"]),
                Route("/api/actions/providers/getProviders", self._legacy_providers, methods=["POST"]),
            ]
            return Starlette(routes=routes, exception_handlers={HTTPException: self._next_not_found})
        api = [
            ("/api/v1/health", "GET", self._health, False),
            ("/api/v1/openapi.json", "GET", self._openapi, False),
            ("/api/v1/providers", "GET", self._list, True),
            ("/api/v1/providers", "POST", self._create, True),
            ("/api/v1/providers/groups", "GET", self._groups, True),
            ("/api/v1/providers/upstream-models:fetch", "POST", self._fetch_models, True),
            ("/api/v1/providers:batchUpdate", "POST", self._batch_update, True),
            ("/api/v1/providers:batchDelete", "POST", self._batch_delete, True),
            ("/api/v1/providers/{id}", "GET", self._get, True),
            ("/api/v1/providers/{id}", "PATCH", self._update, True),
            ("/api/v1/providers/{id}", "DELETE", self._delete, True),
            ("/api/v1/providers/{id}/key:reveal", "GET", self._reveal, True),
            ("/api/v1/providers/{id}/test", "POST", self._test, True),
        ]
        routes = [Route("/api/version", self._version, methods=["GET"])]
        routes += [Route(path, self._endpoint(handler, auth), methods=[method]) for path, method, handler, auth in api]
        return Starlette(routes=routes, exception_handlers={HTTPException: self._not_found})

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        """Hono answers an unknown `/api/v1` path in plain text (still versioned); Next.js a page."""
        if request.url.path.startswith("/api/v1"):
            status = getattr(exc, "status_code", 404)
            return PlainTextResponse("404 Not Found" if status == 404 else "Method Not Allowed", status, headers=_versioned())
        return await self._next_not_found(request, exc)

    async def _next_not_found(self, request: Request, exc: Exception) -> Response:
        return Response(NEXT_404, 404, media_type="text/html; charset=utf-8")

    def _endpoint(self, handler: Handler, auth: bool) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if auth:
                    self._authenticate(request)
                result = await handler(request)
            except Problem as problem:
                return JSONResponse(
                    _problem_body(problem, request.url.path), problem.status, media_type=PROBLEM, headers=_versioned()
                )
            except Plain as plain:
                return PlainTextResponse(plain.text, plain.status, headers=_versioned())
            if isinstance(result, Response):
                result.headers.update(_versioned())
                return result
            return JSONResponse(result, headers=_versioned())

        return endpoint

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        if not token:
            raise Problem(401, "auth.missing", "Authentication is required.")
        if token == self.user_key:
            raise Problem(403, "auth.api_key_admin_disabled", "API key admin access is disabled.")
        if token != self.admin_token:
            raise Problem(401, "auth.invalid", "Authentication is invalid or expired.")

    @staticmethod
    async def _json_body(request: Request) -> Any:
        """Hono's body parser: JSON content type required (415), valid JSON required (400), both in plain text."""
        if "application/json" not in request.headers.get("content-type", ""):
            raise Plain(415, "Unsupported Media Type")
        raw = await request.body()
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise Plain(400, "Malformed JSON in request body") from None

    async def _body(
        self, request: Request, rules: dict[str, Rule], *, required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        parsed, issues = strict_object(await self._json_body(request), rules, required=required)
        if issues:
            raise Problem(
                400, "request.validation_failed", "One or more fields are invalid.", title="Validation failed", issues=issues
            )
        return parsed

    def _provider(self, request: Request) -> dict[str, Any]:
        raw = request.path_params["id"]
        if not raw.isdigit() or int(raw) < 1:
            issue = {"path": ["id"], "code": "invalid_type", "message": "Invalid input: expected number, received NaN"}
            raise Problem(400, "request.validation_failed", "One or more fields are invalid.",
                          title="Validation failed", issues=[issue])
        provider = self.providers.get(int(raw))
        if provider is None:
            raise Problem(404, "provider.not_found", "Provider was not found.")
        return provider

    # -- routes ------------------------------------------------------------------------------

    async def _version(self, request: Request) -> Response:
        """The version route asks GitHub for the latest release; offline that fails with HTTP 500."""
        body = {"current": VERSIONS[self.generation], "latest": None, "hasUpdate": False, "error": "无法获取最新版本信息"}
        return JSONResponse(body, 500)

    async def _health(self, request: Request) -> Any:
        return {"status": "ok", "apiVersion": API_VERSION}

    async def _openapi(self, request: Request) -> Any:
        paths = sorted({route.path for route in self.app.routes if route.path.startswith("/api/v1/providers")})  # type: ignore[attr-defined]
        return {
            "openapi": "3.1.0",
            "info": {"title": "CC Hub Management API (demo emulation)", "version": API_VERSION},
            "paths": {path: {} for path in paths},
        }

    async def _list(self, request: Request) -> Any:
        query = request.query_params
        kind = query.get("providerType")
        if kind is not None and kind not in PROVIDER_WRITE["provider_type"].choices:
            expected = "|".join(f'"{c}"' for c in PROVIDER_WRITE["provider_type"].choices)
            issue = {"path": ["providerType"], "code": "invalid_value", "message": f"Invalid option: expected one of {expected}"}
            raise Problem(400, "request.validation_failed", "One or more fields are invalid.",
                          title="Validation failed", issues=[issue])
        needle = (query.get("q") or "").strip().lower()
        items = [
            copy.deepcopy(p)
            for p in self.providers.values()
            if (kind is None or p["providerType"] == kind)
            and (
                not needle
                or any(needle in str(v).lower() for v in (p["name"], p["url"], p["groupTag"], p["providerType"]) if v)
            )
        ]
        return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})

    async def _get(self, request: Request) -> Any:
        return copy.deepcopy(self._provider(request))

    async def _create(self, request: Request) -> Response:
        fields = await self._body(request, PROVIDER_WRITE, required=CREATE_REQUIRED)
        if _has_placeholder(fields):
            raise Problem(422, "provider.redacted_placeholder_rejected",
                          "Redacted placeholders cannot be used when creating providers.")
        self._check_actions(fields)
        provider_id = self._next_id
        self._next_id += 1
        record = self._store(provider_id, fields)
        return JSONResponse(copy.deepcopy(record), 201, headers={"Location": f"/api/v1/providers/{provider_id}"})

    async def _update(self, request: Request) -> Response:
        fields = await self._body(request, PROVIDER_WRITE)
        provider = self._provider(request)
        if "key" in fields and _has_placeholder(fields["key"]):
            raise Problem(422, "provider.redacted_placeholder_rejected",
                          "Redacted placeholders cannot be used for the key field when updating providers.")
        headers = fields.get("custom_headers")
        if headers:
            fields["custom_headers"] = self._restore_redacted(provider["id"], headers)
        for name, read in (("url", "url"), ("proxy_url", "proxyUrl"), ("website_url", "websiteUrl")):
            stored = self._secrets.get((provider["id"], read))
            if stored and fields.get(name) == redact_url(stored):
                del fields[name]
        self._check_actions(fields)
        self._apply(provider, fields)
        return JSONResponse(copy.deepcopy(provider), headers=_undo_headers())

    async def _delete(self, request: Request) -> Response:
        provider = self._provider(request)
        self._remove(provider["id"])
        return Response(status_code=204, headers=_undo_headers())

    async def _reveal(self, request: Request) -> Response:
        provider = self._provider(request)
        return JSONResponse({"key": self.keys[provider["id"]]}, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def _groups(self, request: Request) -> Any:
        tags = {tag.strip() for p in self.providers.values() for tag in (p["groupTag"] or "").split(",") if tag.strip()}
        return {"items": ["default", *sorted(tags - {"default"})]}

    async def _batch_update(self, request: Request) -> Any:
        rules = {"providerIds": PROVIDER_IDS, "updates": Rule("unknown")}
        body = await self._body(request, rules, required=("providerIds", "updates"))
        updates, issues = strict_object(body["updates"], BATCH_UPDATE_FIELDS, path=["updates"])
        if issues:
            raise Problem(400, "request.validation_failed", "One or more fields are invalid.",
                          title="Validation failed", issues=issues)
        targets = self._visible(body["providerIds"])
        for provider in targets:
            self._apply(provider, updates)
        return {"updatedCount": len(targets)}

    async def _batch_delete(self, request: Request) -> Any:
        body = await self._body(request, {"providerIds": PROVIDER_IDS}, required=("providerIds",))
        targets = self._visible(body["providerIds"])
        for provider in targets:
            self._remove(provider["id"])
        return {"deletedCount": len(targets), **_undo_body()}

    async def _test(self, request: Request) -> Any:
        body = await self._body(request, TEST_BY_ID)
        provider = self._provider(request)
        kind = provider["providerType"]
        model = body.get("model") or _TEST_MODEL[kind]
        return await self._call_upstream(kind, provider["url"], self.keys[provider["id"]], model)

    async def _fetch_models(self, request: Request) -> Any:
        body = await self._body(request, FETCH_MODELS, required=FETCH_MODELS_REQUIRED)
        url = body["providerUrl"].rstrip("/")
        kind = body["providerType"]
        path = "/v1beta/models?pageSize=100" if kind == "gemini" else "/v1/models"
        headers = _auth_headers(kind, body["apiKey"])
        try:
            async with httpx.AsyncClient(timeout=self.upstream_timeout) as client:
                response = await client.get(f"{url}{path}", headers=headers)
            payload = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, UnicodeEncodeError, ValueError):
            payload = None
        if kind == "gemini":
            entries = payload.get("models") if isinstance(payload, dict) else None
            names = [str(m["name"]).removeprefix("models/") for m in entries or [] if isinstance(m, dict)]
        else:
            entries = payload.get("data") if isinstance(payload, dict) else None
            names = [str(m["id"]) for m in entries or [] if isinstance(m, dict)]
        if entries is None:
            raise Problem(400, "provider.action_failed")
        return {"models": sorted(names), "source": "upstream"}

    # -- the legacy generation -------------------------------------------------------------------

    async def _legacy_docs(self, request: Request) -> Any:
        return JSONResponse({"openapi": "3.1.0", "info": {"title": "CC Hub API", "version": "1.0.0"}, "paths": {}})

    async def _legacy_providers(self, request: Request) -> Any:
        header = request.headers.get("authorization", "")
        if header.removeprefix("Bearer ").strip() != self.admin_token:
            return JSONResponse({"ok": False, "error": "未认证"}, 401)
        return JSONResponse({"ok": True, "data": [copy.deepcopy(p) for p in self.providers.values()]})

    # -- the store ---------------------------------------------------------------------------------

    def _visible(self, ids: list[int]) -> list[dict[str, Any]]:
        """Batch routes refuse the whole call when any id is unknown."""
        if any(i not in self.providers for i in ids):
            raise Problem(404, "provider.not_found", "Provider was not found.")
        return [self.providers[i] for i in dict.fromkeys(ids)]

    @staticmethod
    def _check_actions(fields: dict[str, Any]) -> None:
        """What the business actions refuse after the schema passed: the reason stays in the server log."""
        if not model_rules_valid(fields.get("allowed_models")) or not redirect_rules_valid(fields.get("model_redirects")):
            raise Problem(400, "provider.action_failed")
        if not headers_valid(fields.get("custom_headers")):
            raise Problem(400, "provider.action_failed")

    def _restore_redacted(self, provider_id: int, headers: dict[str, str]) -> dict[str, str]:
        stored = self._secrets.get((provider_id, "customHeaders"))
        original = json.loads(stored) if stored else {}
        by_lower = {name.lower(): value for name, value in original.items()}
        restored = {}
        for name, value in headers.items():
            if value == REDACTED:
                if name.lower() not in by_lower or not _secret_header(name):
                    raise Problem(422, "provider.redacted_placeholder_rejected",
                                  "Redacted placeholders cannot be used for renamed custom header fields.")
                value = by_lower[name.lower()]
            restored[name] = value
        return restored

    def _remove(self, provider_id: int) -> None:
        self.providers.pop(provider_id, None)
        self.keys.pop(provider_id, None)
        for key in [k for k in self._secrets if k[0] == provider_id]:
            del self._secrets[key]

    def _store(self, provider_id: int, fields: dict[str, Any], *, created: float | None = None) -> dict[str, Any]:
        """A new provider with the server's defaults, then `fields` applied."""
        day = _today(created)
        record: dict[str, Any] = {
            "id": provider_id, "name": "", "url": "", "maskedKey": "", "isEnabled": True, "weight": 1, "priority": 0,
            "groupPriorities": None, "costMultiplier": 1, "groupTag": None, "providerType": "claude",
            "providerVendorId": 1, "preserveClientIp": False, "disableSessionReuse": False, "modelRedirects": None,
            "activeTimeStart": None, "activeTimeEnd": None, "allowedModels": None, "allowedClients": [],
            "blockedClients": [], "mcpPassthroughType": "none", "mcpPassthroughUrl": None, "limit5hUsd": None,
            "limit5hResetMode": "rolling", "limitDailyUsd": None, "dailyResetMode": "fixed", "dailyResetTime": "00:00",
            "limitWeeklyUsd": None, "limitMonthlyUsd": None, "limitTotalUsd": None, "totalCostResetAt": None,
            "limitConcurrentSessions": 0, "maxRetryAttempts": None, "circuitBreakerFailureThreshold": 5,
            "circuitBreakerOpenDuration": 1_800_000, "circuitBreakerHalfOpenSuccessThreshold": 2, "proxyUrl": None,
            "proxyFallbackToDirect": False, "customHeaders": None, "firstByteTimeoutStreamingMs": 0,
            "streamingIdleTimeoutMs": 0, "requestTimeoutNonStreamingMs": 0, "websiteUrl": None, "faviconUrl": None,
            "cacheTtlPreference": "inherit", "swapCacheTtlBilling": False, "context1mPreference": "inherit",
            "codexReasoningEffortPreference": "inherit", "codexReasoningSummaryPreference": "inherit",
            "codexTextVerbosityPreference": "inherit", "codexParallelToolCallsPreference": "inherit",
            "codexImageGenerationPreference": "inherit", "codexServiceTierPreference": "inherit",
            "anthropicMaxTokensPreference": "inherit", "anthropicThinkingBudgetPreference": "inherit",
            "anthropicAdaptiveThinking": None, "geminiGoogleSearchPreference": "inherit", "todayTotalCostUsd": "0",
            "todayCallCount": 0, "lastCallTime": None, "lastCallModel": None, "createdAt": day, "updatedAt": day,
        }  # fmt: skip
        self.providers[provider_id] = record
        self._apply(record, fields)
        return record

    def _apply(self, record: dict[str, Any], fields: dict[str, Any]) -> None:
        """Store written fields under their read names; secrets stay whole inside, redacted outside."""
        provider_id = record["id"]
        for name, value in fields.items():
            if name == "key":
                self.keys[provider_id] = value
                record["maskedKey"] = mask_key(value)
                continue
            read = _READ_NAME.get(name, name)
            if name == "allowed_models":
                value = _exact_rules(value)
            elif name == "custom_headers":
                self._secrets[(provider_id, "customHeaders")] = json.dumps(value or {})
                value = redact_headers(value)
            elif name in ("url", "proxy_url", "website_url", "mcp_passthrough_url") and isinstance(value, str):
                self._secrets[(provider_id, read)] = value
                value = redact_url(value)
            record[read] = value
        record["updatedAt"] = _today()

    async def _call_upstream(self, kind: str, url: str, key: str, model: str) -> dict[str, Any]:
        """The unified test: one request in the provider type's protocol; 200 with "pong" in it passes.
        A base URL that already ends with the path's version segment does not get it twice."""
        base = url.rstrip("/")
        path, body = {
            "claude": ("/v1/messages", {"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "ping"}]}),
            "codex": ("/v1/responses", {"model": model, "input": "ping"}),
            "gemini": (f"/v1beta/models/{model}:generateContent", {"contents": [{"parts": [{"text": "ping"}]}]}),
            "openai-compatible": ("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "ping"}]}),
        }[kind]
        segment = path.split("/")[1]
        if base.endswith(f"/{segment}"):
            base = base.removesuffix(f"/{segment}")
        started = time.perf_counter()
        tested_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            async with httpx.AsyncClient(timeout=self.upstream_timeout) as client:
                response = await client.post(f"{base}{path}", json=body, headers=_auth_headers(kind, key))
        except (httpx.HTTPError, UnicodeEncodeError) as exc:
            return {
                "success": False, "status": "red", "subStatus": "network_error", "message": "供应商 不可用: 网络连接失败",
                "latencyMs": 0, "requestUrl": f"{base}{path}", "errorMessage": str(exc) or type(exc).__name__,
                "errorType": "network_error", "testedAt": tested_at,
            }  # fmt: skip
        latency = max(1, round((time.perf_counter() - started) * 1000))
        text = response.text
        content = _answer_text(response) if response.status_code == 200 else _upstream_error(response)
        status, sub = _grade(response.status_code, content)
        return {
            "success": status == "green", "status": status, "subStatus": sub,
            "message": "供应商 可用: 所有检查通过" if status == "green" else "供应商 不可用",
            "latencyMs": latency, "firstByteMs": latency, "httpStatusCode": response.status_code,
            "httpStatusText": response.reason_phrase, "model": model, "content": content,
            "requestUrl": f"{base}{path}", "rawResponse": text[:2000], "testedAt": tested_at,
            "validationDetails": {
                "httpPassed": response.status_code == 200, "httpStatusCode": response.status_code,
                "latencyPassed": True, "latencyMs": latency, "contentPassed": "pong" in content, "contentTarget": "pong",
            },
        }  # fmt: skip

    # -- seed ----------------------------------------------------------------------------------

    def _seed(self, seeds: list[SeedChannel], seed: int) -> None:
        """Providers from the neutral seed, with Claude Code Hub's own settings drawn from `seed`."""
        rng = random.Random(seed * 104_729 + len(seeds))
        for s in seeds:
            kind = _PROVIDER_TYPE.get(s.provider, "openai-compatible")
            if s.provider == "openai" and rng.random() < 0.3:
                kind = "codex"
            roll = rng.random()
            if roll < 0.15:
                allowed: list[Any] | None = None
            elif roll < 0.25:
                allowed = [*s.models, {"matchType": "prefix", "pattern": s.models[0].split("-")[0]}]
            else:
                allowed = list(s.models)
            fields: dict[str, Any] = {
                "name": s.name,
                "url": s.base_url,
                "key": s.key,
                "provider_type": kind,
                "is_enabled": s.status == 1,
                "priority": rng.choice((0, 0, 0, 1, 2, 5)),
                "weight": rng.choice((1, 1, 5, 10, 50, 100)),
                "group_tag": None if s.group == "default" else s.group,
                "allowed_models": allowed,
                "cost_multiplier": rng.choice((1, 1, 1, 0.8, 1.5)),
            }
            if rng.random() < 0.2:
                fields["limit_daily_usd"] = float(rng.choice((5, 20, 100)))
            if rng.random() < 0.1:
                fields["custom_headers"] = {"X-Team": s.tag or "core", "X-Upstream-Token": f"tok-{s.id:04d}"}
            self._store(s.id, fields, created=s.created_time)
            self._next_id = s.id + 1


_READ_NAME = {
    "is_enabled": "isEnabled", "cost_multiplier": "costMultiplier", "group_tag": "groupTag",
    "group_priorities": "groupPriorities", "provider_type": "providerType", "preserve_client_ip": "preserveClientIp",
    "disable_session_reuse": "disableSessionReuse", "model_redirects": "modelRedirects",
    "active_time_start": "activeTimeStart", "active_time_end": "activeTimeEnd", "allowed_models": "allowedModels",
    "allowed_clients": "allowedClients", "blocked_clients": "blockedClients",
    "mcp_passthrough_type": "mcpPassthroughType", "mcp_passthrough_url": "mcpPassthroughUrl",
    "limit_5h_usd": "limit5hUsd", "limit_5h_reset_mode": "limit5hResetMode", "limit_daily_usd": "limitDailyUsd",
    "daily_reset_mode": "dailyResetMode", "daily_reset_time": "dailyResetTime", "limit_weekly_usd": "limitWeeklyUsd",
    "limit_monthly_usd": "limitMonthlyUsd", "limit_total_usd": "limitTotalUsd",
    "limit_concurrent_sessions": "limitConcurrentSessions", "max_retry_attempts": "maxRetryAttempts",
    "circuit_breaker_failure_threshold": "circuitBreakerFailureThreshold",
    "circuit_breaker_open_duration": "circuitBreakerOpenDuration",
    "circuit_breaker_half_open_success_threshold": "circuitBreakerHalfOpenSuccessThreshold",
    "proxy_url": "proxyUrl", "proxy_fallback_to_direct": "proxyFallbackToDirect", "custom_headers": "customHeaders",
    "first_byte_timeout_streaming_ms": "firstByteTimeoutStreamingMs", "streaming_idle_timeout_ms": "streamingIdleTimeoutMs",
    "request_timeout_non_streaming_ms": "requestTimeoutNonStreamingMs", "website_url": "websiteUrl",
    "favicon_url": "faviconUrl", "cache_ttl_preference": "cacheTtlPreference",
    "swap_cache_ttl_billing": "swapCacheTtlBilling", "context_1m_preference": "context1mPreference",
    "codex_reasoning_effort_preference": "codexReasoningEffortPreference",
    "codex_reasoning_summary_preference": "codexReasoningSummaryPreference",
    "codex_text_verbosity_preference": "codexTextVerbosityPreference",
    "codex_parallel_tool_calls_preference": "codexParallelToolCallsPreference",
    "codex_image_generation_preference": "codexImageGenerationPreference",
    "codex_service_tier_preference": "codexServiceTierPreference",
    "anthropic_max_tokens_preference": "anthropicMaxTokensPreference",
    "anthropic_thinking_budget_preference": "anthropicThinkingBudgetPreference",
    "anthropic_adaptive_thinking": "anthropicAdaptiveThinking",
    "gemini_google_search_preference": "geminiGoogleSearchPreference",
}  # fmt: skip
"""Write name → read name, for the fields whose names differ."""


def _versioned() -> dict[str, str]:
    return {"X-API-Version": API_VERSION}


def _undo_body() -> dict[str, str]:
    return {"undoToken": f"provider_patch_undo_{uuid.uuid4()}", "operationId": f"provider_patch_apply_{uuid.uuid4()}"}


def _undo_headers() -> dict[str, str]:
    undo = _undo_body()
    return {"X-CCH-Undo-Token": undo["undoToken"], "X-CCH-Operation-Id": undo["operationId"]}


def _problem_body(problem: Problem, instance: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:claude-code-hub:problem:{problem.code}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
        "errorCode": problem.code,
    }
    if problem.issues is not None:
        body["invalidParams"] = problem.issues
    return body


def _auth_headers(kind: str, key: str) -> dict[str, str]:
    if kind == "claude":
        return {"x-api-key": key, "anthropic-version": "2023-06-01"}
    if kind == "gemini":
        return {"x-goog-api-key": key}
    return {"Authorization": f"Bearer {key}"}


def _answer_text(response: httpx.Response) -> str:
    """The text of an upstream's answer in any of the four protocols."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    texts: list[str] = []
    for block in body.get("content") or []:
        texts.append(str(block.get("text") or ""))
    for choice in body.get("choices") or []:
        texts.append(str((choice.get("message") or {}).get("content") or ""))
    for item in body.get("output") or []:
        texts += [str(part.get("text") or "") for part in item.get("content") or []]
    for candidate in body.get("candidates") or []:
        texts += [str(part.get("text") or "") for part in (candidate.get("content") or {}).get("parts") or []]
    return "".join(texts)


def _upstream_error(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:300]


def _grade(status: int, content: str) -> tuple[str, str]:
    if status in (401, 403):
        return "red", "auth_error"
    if status == 429:
        return "red", "rate_limit"
    if status >= 500:
        return "red", "server_error"
    if status >= 400:
        return "red", "client_error"
    return ("green", "success") if "pong" in content else ("yellow", "content_mismatch")


def build_claudecodehub_server(
    generation: str = "current", *, upstream_url: str, channels: int = 12, seed: int = 3, **options: Any
) -> ClaudeCodeHubServer:
    """The factory `DemoGateway.add_claudecodehub()` calls; `options` go to `ClaudeCodeHubServer`."""
    return ClaudeCodeHubServer(generation, upstream_url=upstream_url, providers=channels, seed=seed, **options)
