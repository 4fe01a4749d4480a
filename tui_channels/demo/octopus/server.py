"""Emulated Octopus admin API, legacy (v0.9.28) and current (v0.11.0), for the demo gateway.

Follows ../shared/api/octopus.md: the `{code, message, data}` envelope with HTTP status == code,
signed JWT sessions that really expire (a body token on legacy, an `auth` cookie on current), the
channel routes, and `fetch-model` calls that really reach the fake upstream over HTTP, so clients
meet the same shapes and failures as on a real server. Traps of the real servers included: a create
stores the channel (and, on legacy, each key; also each key an update adds) enabled whatever was
asked; a model fetch whose upstream refuses the key answers HTTP 200 with an empty list; legacy key
entries may have no key at all.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from ...models import split_list
from ..outbound import Outbound, OutboundFailure, OutboundTimeout
from ..answer import answer
from ..seed import SeedChannel, seed_channels
from .groups import GroupError, GroupStore

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "octopus-demo-pass"
VERSIONS = {"current": "v0.11.0", "legacy": "v0.9.28"}
DEFAULT_SESSION_SECONDS = 15 * 60
LONG_SESSION_SECONDS = 30 * 86400
COOKIE = "auth"
ANY_BODY = "any-body"
"""Route checks of the sync routes: admin session, but no Content-Type check (contract §0)."""
SYNCED_BEFORE_START = 2 * 3600 + 300
"""The demo server behaves as if it started (and ran its start-up sync) this many seconds ago."""

INVALID_PARAMS = "Invalid request parameters"
INVALID_JSON = "Invalid JSON format"
INVALID_PARAM = "Invalid parameter"
NOT_FOUND = "Resource not found"
AUTH_FAILED = "Authentication failed"
UNIQUE_NAME = "UNIQUE constraint failed: channels.name"

_LEGACY_TYPE = {"openai": 0, "openai_responses": 1, "anthropic": 2, "gemini": 3, "volcengine": 4}
_PROVIDER_TYPE = {"anthropic": "anthropic", "gemini": "gemini"}
_NULLABLE = frozenset({"param_override", "channel_proxy", "match_regex"})
WEB_UI = "<!doctype html><html><head><title>Octopus</title></head><body><div id=root></div></body></html>"
"""The page the server's web UI answers at `/` (its static build; the API is under `/api/v1`)."""


class ApiError(Exception):
    """An error answer: the HTTP status, which is also the envelope's `code`, and its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Wire(BaseModel):
    """Gin's ShouldBindJSON: unknown fields ignored, wrong JSON types refused."""

    model_config = ConfigDict(strict=True, extra="ignore")


class HeaderIn(_Wire):
    header_key: str
    header_value: str = ""


class BaseUrlIn(_Wire):
    url: str
    delay: int = 0


class KeyIn(_Wire):
    enabled: bool = False
    channel_key: str = ""
    remark: str = ""


class KeyUpdateIn(_Wire):
    id: int
    enabled: bool | None = None
    channel_key: str | None = None
    remark: str | None = None


class LoginIn(_Wire):
    username: str = ""
    password: str = ""
    expire: int = 0


class EnableIn(_Wire):
    id: int
    enabled: bool = False


class _ChannelIn(_Wire):
    name: str = ""
    enabled: bool = False
    model: str = ""
    custom_model: str = ""
    proxy: bool = False
    auto_sync: bool = False
    custom_header: list[HeaderIn] = []
    param_override: str | None = None
    channel_proxy: str | None = None
    match_regex: str | None = None


class CurrentChannelIn(_ChannelIn):
    type: str = "openai"
    base_url: str = ""
    key: str = ""


class LegacyChannelIn(_ChannelIn):
    type: int = 0
    base_urls: list[BaseUrlIn] = []
    keys: list[KeyIn] = []
    auto_group: int = 0


class _UpdateIn(_Wire):
    id: int
    name: str | None = None
    enabled: bool | None = None
    model: str | None = None
    custom_model: str | None = None
    proxy: bool | None = None
    auto_sync: bool | None = None
    custom_header: list[HeaderIn] | None = None
    param_override: str | None = None
    channel_proxy: str | None = None
    match_regex: str | None = None


class CurrentUpdateIn(_UpdateIn):
    type: str | None = None
    base_url: str | None = None
    key: str | None = None


class LegacyUpdateIn(_UpdateIn):
    type: int | None = None
    base_urls: list[BaseUrlIn] | None = None
    auto_group: int | None = None
    keys_to_add: list[KeyIn] = []
    keys_to_update: list[KeyUpdateIn] = []
    keys_to_delete: list[int] = []


class Sessions:
    """HS256 JWTs with an `exp` claim; rotating the signing key revokes every issued token."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self.issued: list[int] = []
        """The length in seconds of every session issued, for tests."""

    def issue(self, seconds: int) -> tuple[str, float]:
        self.issued.append(seconds)
        now = time.time()
        expires = now + seconds
        claims = {"iss": "octopus", "iat": now, "nbf": int(now), "exp": expires}
        signing_input = f"{_b64_json({'alg': 'HS256', 'typ': 'JWT'})}.{_b64_json(claims)}"
        return f"{signing_input}.{self._sign(signing_input)}", expires

    def valid(self, token: str) -> bool:
        signing_input, _, signature = token.rpartition(".")
        if not signing_input or not hmac.compare_digest(signature, self._sign(signing_input)):
            return False
        try:
            claims = json.loads(_b64_decode(signing_input.split(".")[1]))
        except (IndexError, ValueError):
            return False
        return isinstance(claims, dict) and float(claims.get("exp", 0)) > time.time()

    def revoke(self) -> None:
        self._key = secrets.token_bytes(32)

    def _sign(self, signing_input: str) -> str:
        digest = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64_json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _b64_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc3339_nano(timestamp: float) -> str:
    """Go's `time.Time` JSON in UTC: RFC 3339 with the fraction's trailing zeros trimmed."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    fraction = f"{moment.microsecond:06d}000".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def request_base_url(type_code: str, url: str) -> str:
    """Current generation, when it calls the upstream: AxonHub's `NormalizeBaseURL(url, version)`.

    The stored base URL is kept as given; at request time a URL ending with `#` is used without
    it, any other gets the type's version (`v1`, Volcengine `v3`, Gemini `v1beta` unless it ends
    with `/v1`) appended unless it already ends with that version or has it as a path segment.
    """
    if url.endswith("#"):
        return url[:-1].rstrip("/")
    trimmed = url.rstrip("/")
    version = {"volcengine": "v3", "gemini": "v1beta"}.get(type_code, "v1")
    if type_code == "gemini" and trimmed.endswith("/v1"):
        return trimmed
    if not url or url.endswith(f"/{version}") or f"/{version}/" in url:
        return trimmed
    return f"{trimmed}/{version}"


def normalise_models(model: str, custom_model: str) -> tuple[str, str]:
    """Current generation: trim and de-duplicate both lists; a custom model is never also synced."""
    custom = split_list(custom_model)
    return ",".join(m for m in split_list(model) if m not in custom), ",".join(custom)


Handler = Callable[[Request], Awaitable[Any]]
Endpoint = Callable[[Request], Awaitable[Response]]


class OctopusServer:
    """One emulated Octopus server: its channels, its sessions and its ASGI app (`app`)."""

    def __init__(
        self,
        generation: str,
        *,
        upstream_url: str,
        channels: int = 20,
        seed: int = 2,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
        max_session_seconds: int | None = None,
        upstream_timeout: float = 30.0,
    ) -> None:
        if generation not in VERSIONS:
            raise ValueError(f"unknown Octopus generation {generation!r}; choose current or legacy")
        self.generation = generation
        self.legacy = generation == "legacy"
        self.username = username
        self.password = password
        self.max_session_seconds = max_session_seconds
        self.upstream_timeout = upstream_timeout
        self.sessions = Sessions()
        self.channels: dict[int, dict[str, Any]] = {}
        self.last_sync = time.time() - SYNCED_BEFORE_START
        self._next_id = 1
        self._next_key_id = 1
        self._sync_lock = asyncio.Lock()
        self._outbound = Outbound()
        """One pooled client for every upstream call, as the server's Go HTTP client is."""
        self.groups = GroupStore(legacy=self.legacy, channels=self.channels)
        self._seed(seed_channels(channels, seed=seed, upstream_url=upstream_url), seed)
        self._seed_groups()
        self._build_routes()

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"code": status, "message": message}

    def record(self, channel_id: int) -> dict[str, Any]:
        """A deep copy of the stored channel, for tests to inspect."""
        return copy.deepcopy(self.channels[channel_id])

    def channel_ids(self) -> list[int]:
        return sorted(self.channels)

    def revoke_sessions(self) -> None:
        """Invalidate every issued token, as a password change does on a real server."""
        self.sessions.revoke()

    def _build_routes(self) -> None:
        """The route table: `(method, path)` for a fixed path, `(method, path up to its last "/")`
        for a path ending in `:id` (gin's parameter: one non-empty segment)."""
        routes = [
            ("/api/v1/user/login", "POST", self._login, False),
            ("/api/v1/user/status", "GET", self._status, True),
            ("/api/v1/update/now-version", "GET", self._now_version, True),
            ("/api/v1/channel/list", "GET", self._list, True),
            ("/api/v1/channel/create", "POST", self._create, True),
            ("/api/v1/channel/update", "POST", self._update, True),
            ("/api/v1/channel/enable", "POST", self._enable, True),
            ("/api/v1/channel/delete/:id", "DELETE", self._delete, True),
            ("/api/v1/channel/fetch-model", "POST", self._fetch_model, True),
            ("/api/v1/group/list", "GET", self._group_list, True),
            ("/api/v1/group/create", "POST", self._group_create, True),
            ("/api/v1/group/update", "POST", self._group_update, True),
            ("/api/v1/group/delete/:id", "DELETE", self._group_delete, True),
            *([] if self.legacy else [("/api/v1/group/active/:id", "POST", self._group_active, True)]),
            ("/api/v1/channel/sync", "POST", self._sync, ANY_BODY),
            ("/api/v1/channel/last-sync-time", "GET", self._last_sync_time, ANY_BODY),
        ]
        self._fixed: dict[tuple[str, str], Endpoint] = {}
        self._with_id: dict[tuple[str, str], Endpoint] = {}
        for path, method, handler, auth in routes:
            head, _slash, last = path.rpartition("/")
            if last == ":id":
                self._with_id[(method, head)] = self._endpoint(handler, auth)
            else:
                self._fixed[(method, path)] = self._endpoint(handler, auth)

    def _match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        endpoint = self._fixed.get((method, path))
        if endpoint is not None:
            return endpoint, {}
        head, _slash, last = path.rpartition("/")
        endpoint = self._with_id.get((method, head)) if last else None
        return None if endpoint is None else (endpoint, {"id": last})

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app, routing as gin does on both generations (read from the servers): a route
        answers only its own method (HEAD included: no route takes it), a path that only lacks or
        has an extra trailing slash is redirected (301 with gin's page for GET, 307 otherwise), the
        web UI is at `/`, and anything else is gin's plain-text 404. A handler's crash is a 500
        "Internal Server Error". (A Starlette app served it before; its layers cost a tenth of a
        channel test's CPU here, and it answered HEAD and redirected GET with 307.)"""
        method, path = scope["method"], scope["path"]
        found = self._match(method, path)
        if found is None:
            await self._unrouted(method, path, scope)(scope, receive, send)
            return
        endpoint, scope["path_params"] = found
        await answer(endpoint, scope, receive, send)

    def _unrouted(self, method: str, path: str, scope: Scope) -> Response:
        """Gin's answer to a path no route of `method` takes: its trailing-slash redirect when the
        other spelling has one, the web UI at `/`, else its own 404 (not the envelope)."""
        toggled = path[:-1] if path.endswith("/") else f"{path}/"
        if path != "/" and self._match(method, toggled) is not None:
            query = scope.get("query_string", b"").decode("latin-1")
            location = f"{toggled}?{query}" if query else toggled
            if method == "GET":
                body = f'<a href="{location}">Moved Permanently</a>.\n\n'
                return HTMLResponse(body, 301, headers={"Location": location})
            return Response(b"", 307, headers={"Location": location})
        if path == "/" and method in ("GET", "HEAD"):
            return HTMLResponse(WEB_UI)
        return Response(b"404 page not found", 404, headers={"Content-Type": "text/plain"})

    def _endpoint(self, handler: Handler, auth: bool | str) -> Endpoint:
        """Auth middleware, then RequireJSON, then the handler; data or ApiError become the envelope.

        `auth` is False (public), True (admin, JSON bodies) or `ANY_BODY` (admin, in the router group
        without RequireJSON: the sync routes).
        """

        async def endpoint(request: Request) -> Response:
            try:
                if auth:
                    self._authenticate(request)
                content_type = request.headers.get("content-type", "")
                if auth != ANY_BODY and request.method == "POST" and "application/json" not in content_type:
                    raise ApiError(415, INVALID_JSON)
                data = await handler(request)
            except ApiError as exc:
                response = JSONResponse(self.error_body(exc.status, exc.message), exc.status)
                if exc.status == 401 and not self.legacy:
                    response.delete_cookie(COOKIE, path="/")
                return response
            if isinstance(data, Response):
                return data
            return JSONResponse(self._success(data))

        return endpoint

    @staticmethod
    def _success(data: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"code": 200, "message": "success"}
        if data is not None:
            body["data"] = data
        return body

    def _authenticate(self, request: Request) -> None:
        if self.legacy:
            header = request.headers.get("authorization")
            if not header:
                raise ApiError(400, INVALID_PARAMS)
            token = header[7:].strip() if header.lower().startswith("bearer ") else header.strip()
        else:
            token = request.cookies.get(COOKIE, "")
        if not token or not self.sessions.valid(token):
            raise ApiError(401, AUTH_FAILED)

    @staticmethod
    async def _parse(request: Request, model: type[_Wire]) -> Any:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as exc:
            raise ApiError(400, INVALID_JSON) from exc

    def _session_seconds(self, expire: int) -> int:
        """The session a login's `expire` asks for: minutes on legacy, seconds on current (0: 15 min, -1: 30 days)."""
        seconds = {0: DEFAULT_SESSION_SECONDS, -1: LONG_SESSION_SECONDS}.get(expire, expire * (60 if self.legacy else 1))
        if seconds < 0:
            seconds = DEFAULT_SESSION_SECONDS
        if self.max_session_seconds is not None:
            seconds = min(seconds, self.max_session_seconds)
        return seconds

    async def _login(self, request: Request) -> Any:
        body = await self._parse(request, LoginIn)
        if not (
            hmac.compare_digest(body.username.encode(), self.username.encode())
            and hmac.compare_digest(body.password.encode(), self.password.encode())
        ):
            raise ApiError(401, AUTH_FAILED)
        seconds = self._session_seconds(body.expire)
        token, expires = self.sessions.issue(seconds)
        if self.legacy:
            return {"token": token, "expire_at": _rfc3339(expires)}
        response = JSONResponse(self._success("login successfully"))
        response.set_cookie(COOKIE, token, max_age=seconds, path="/", httponly=True, samesite="lax")
        return response

    async def _status(self, request: Request) -> Any:
        return "ok"

    async def _now_version(self, request: Request) -> Any:
        return VERSIONS[self.generation]

    async def _list(self, request: Request) -> Any:
        return [copy.deepcopy(channel) for channel in self.channels.values()]

    async def _create(self, request: Request) -> Any:
        body = await self._parse(request, LegacyChannelIn if self.legacy else CurrentChannelIn)
        if not body.name.strip():
            raise ApiError(400, INVALID_PARAM)
        self._check_unique(body.name, None)
        fields = {**body.model_dump(), "enabled": True}  # GORM `default:true`: a false is not stored
        channel_id = self._next_id
        self._next_id += 1
        if self.legacy:
            fields["keys"] = [self._new_key(channel_id, {**key, "enabled": True}) for key in fields["keys"]]
        record = self._store(channel_id, fields)
        return copy.deepcopy(record)

    async def _update(self, request: Request) -> Any:
        body = await self._parse(request, LegacyUpdateIn if self.legacy else CurrentUpdateIn)
        record = self.channels.get(body.id)
        if record is None:
            raise ApiError(404, NOT_FOUND)
        changes = {
            name: value
            for name, value in body.model_dump(exclude_unset=True).items()
            if name != "id" and not name.startswith("keys_to_") and (value is not None or name in _NULLABLE)
        }
        if "name" in changes:
            self._check_unique(changes["name"], body.id)
        if self.legacy:
            self._apply_key_changes(record, body)
        record.update(changes)
        if not self.legacy:
            self._normalise_current(record)
        if "model" in changes or "custom_model" in changes:
            self.groups.channel_models_changed(body.id, split_list(f"{record['model']},{record['custom_model']}"))
        return copy.deepcopy(record)

    async def _enable(self, request: Request) -> Any:
        body = await self._parse(request, EnableIn)
        if body.id not in self.channels:
            raise ApiError(404, NOT_FOUND)
        self.channels[body.id]["enabled"] = body.enabled
        return None

    async def _delete(self, request: Request) -> Any:
        try:
            channel_id = int(request.path_params["id"])
        except ValueError as exc:
            raise ApiError(400, INVALID_PARAM) from exc
        if self.channels.pop(channel_id, None) is None:
            raise ApiError(404, NOT_FOUND)
        self.groups.channel_deleted(channel_id)
        return None

    async def _fetch_model(self, request: Request) -> Any:
        body = await self._parse(request, LegacyChannelIn if self.legacy else CurrentChannelIn)
        return await self._fetch_upstream(body.model_dump())

    async def _sync(self, request: Request) -> Any:
        """The server's own model sync, answered when it has finished (contract §6).

        Current: one run at a time, and the first failure comes back as HTTP 500 after every other
        channel was synced. Legacy: no guard, failures are only logged, the answer is success.
        """
        if self.legacy:
            await self._sync_all()
            return None
        if self._sync_lock.locked():
            raise ApiError(500, "model sync already running")
        async with self._sync_lock:
            problem = await self._sync_all()
        if problem:
            raise ApiError(500, problem)
        return None

    async def _last_sync_time(self, request: Request) -> Any:
        return _rfc3339_nano(self.last_sync)

    async def _sync_all(self) -> str | None:
        """Refresh `model` of every auto_sync channel from its upstream; the first failure, if any."""
        problem = None
        for record in [r for r in self.channels.values() if r["auto_sync"]]:
            try:
                fetched = await self._fetch_upstream(record)
            except ApiError as exc:
                problem = problem or f"failed to fetch models for channel {record['name']}: {exc.message}"
                continue
            if self.legacy:
                models = [m.strip() for m in fetched if m.strip()]
            else:
                custom = split_list(record["custom_model"])
                models = [m for m in dict.fromkeys(m.strip() for m in fetched) if m and m not in custom]
            removed = [m for m in split_list(record["model"]) if m not in models]
            record["model"] = ",".join(models)
            self.groups.models_removed_by_sync(record["id"], removed)
            self.groups.auto_group(record)
        self.last_sync = time.time()
        return problem

    # -- groups (docs/contracts/octopus-groups.md) ------------------------------------------------

    async def _group_list(self, request: Request) -> Any:
        return self.groups.listed()

    async def _group_create(self, request: Request) -> Any:
        return self._grouped(self.groups.create, await request.body())

    async def _group_update(self, request: Request) -> Any:
        return self._grouped(self.groups.update, await request.body())

    async def _group_delete(self, request: Request) -> Any:
        return self._grouped(self.groups.delete, self._path_id(request))

    async def _group_active(self, request: Request) -> Any:
        return self._grouped(lambda body: self.groups.set_active(self._path_id(request), body), await request.body())

    @staticmethod
    def _path_id(request: Request) -> int:
        try:
            return int(request.path_params["id"])
        except ValueError as exc:
            raise ApiError(400, f'strconv.Atoi: parsing "{request.path_params["id"]}": invalid syntax') from exc

    @staticmethod
    def _grouped(call: Callable[[Any], Any], argument: Any) -> Any:
        try:
            return call(argument)
        except GroupError as exc:
            raise ApiError(exc.status, exc.message) from exc

    def _seed_groups(self) -> None:
        """A few groups over the seeded channels: each provider's most common model, members in id order."""
        offered: dict[str, list[int]] = {}
        for channel_id, record in sorted(self.channels.items()):
            for model in split_list(f"{record['model']},{record['custom_model']}"):
                offered.setdefault(model, []).append(channel_id)
        popular = sorted((m for m, ids in offered.items() if len(ids) > 1), key=lambda m: (-len(offered[m]), m))[:3]
        modes = (3, 4, 1) if self.legacy else ("failover", "manual", "failover")
        self.groups.seed(
            [(model, mode, [(i, model) for i in offered[model][:4]], 0) for model, mode in zip(popular, modes)]
        )

    async def _fetch_upstream(self, channel: dict[str, Any]) -> list[str]:
        """GET `{base_url}/models` on the channel's upstream with its key, as both generations do.

        The server decodes the body without looking at the status: an upstream that refuses the key
        (401) or fails (404, 500) with a JSON error object yields an empty list and HTTP 200. Only a
        transport failure or a body that is not JSON becomes HTTP 500 with Go's error text.
        """
        base_url, key = self._upstream_of(channel)
        headers = {h["header_key"]: h["header_value"] for h in channel.get("custom_header") or []}
        headers["Authorization"] = f"Bearer {key}"
        try:
            response = await self._outbound.send(
                "GET", f"{base_url}/models", headers=headers, timeout=self.upstream_timeout
            )
        except OutboundTimeout as exc:
            message = f"fetch models: upstream did not answer within {self.upstream_timeout:g}s"
            raise ApiError(500, message) from exc
        except OutboundFailure as exc:
            raise ApiError(500, f'Get "{base_url}/models": {exc}') from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError(500, "invalid character looking for beginning of value") from exc
        entries = body.get("data") if isinstance(body, dict) else None
        names = [str(e["id"]) for e in entries or [] if isinstance(e, dict) and e.get("id")]
        pattern = channel.get("match_regex")
        if pattern:
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                raise ApiError(500, f"invalid match_regex: {exc}") from exc
            names = [name for name in names if regex.search(name)]
        return names

    def _upstream_of(self, channel: dict[str, Any]) -> tuple[str, str]:
        """Legacy: the lowest-delay base URL and the first enabled key; current: the single pair."""
        if self.legacy:
            urls = sorted(channel.get("base_urls") or [], key=lambda entry: entry["delay"])
            keys = [k["channel_key"] for k in channel.get("keys") or [] if k["enabled"] and k["channel_key"]]
            base_url, key = (urls[0]["url"] if urls else ""), (keys[0] if keys else "")
        else:
            base_url, key = request_base_url(channel["type"], channel["base_url"]), channel["key"]
        if not base_url or not key:
            raise ApiError(400, INVALID_PARAM)
        return base_url.rstrip("/"), key

    def _check_unique(self, name: str, own_id: int | None) -> None:
        if any(r["name"] == name and r["id"] != own_id for r in self.channels.values()):
            raise ApiError(500, UNIQUE_NAME)

    def _apply_key_changes(self, record: dict[str, Any], body: LegacyUpdateIn) -> None:
        """Legacy keys change only through keys_to_delete, keys_to_update and keys_to_add, in that order.

        As in `op/channel.go`: ids of other channels' keys or of no key match nothing and are ignored;
        an added key may be empty (a ghost entry), and is stored enabled whatever was asked (GORM
        `default:true` drops a false).
        """
        deleted = set(body.keys_to_delete)
        keys = [key for key in record["keys"] if key["id"] not in deleted]
        by_id = {key["id"]: key for key in keys}
        for update in body.keys_to_update:
            if update.id in by_id:
                by_id[update.id].update(update.model_dump(exclude_none=True, exclude={"id"}))
        added = [self._new_key(record["id"], {**key.model_dump(), "enabled": True}) for key in body.keys_to_add]
        record["keys"] = keys + added

    def _new_key(self, channel_id: int, key: dict[str, Any], **stored: Any) -> dict[str, Any]:
        entry = {
            "id": self._next_key_id,
            "channel_id": channel_id,
            "enabled": key["enabled"],
            "channel_key": key["channel_key"],
            "status_code": 0,
            "last_use_time_stamp": 0,
            "total_cost": 0.0,
            "remark": key["remark"],
        }
        entry.update(stored)
        self._next_key_id += 1
        return entry

    def _store(
        self, channel_id: int, fields: dict[str, Any], stats: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Lay a channel out in the server's field order and keep it."""
        if self.legacy:
            link = {"base_urls": fields["base_urls"], "keys": fields["keys"]}
        else:
            link = {"base_url": fields["base_url"], "key": fields["key"]}
        record: dict[str, Any] = {
            "id": channel_id,
            "name": fields["name"],
            "type": fields["type"],
            "enabled": fields["enabled"],
            **link,
            "model": fields["model"],
            "custom_model": fields["custom_model"],
            "proxy": fields["proxy"],
            "auto_sync": fields["auto_sync"],
            "custom_header": fields["custom_header"],
            "param_override": fields["param_override"],
            "channel_proxy": fields["channel_proxy"],
            "match_regex": fields["match_regex"],
        }
        if self.legacy:
            record["auto_group"] = fields["auto_group"]
        else:
            self._normalise_current(record)
        record["stats"] = stats or _stats(channel_id)
        self.channels[channel_id] = record
        return record

    @staticmethod
    def _normalise_current(record: dict[str, Any]) -> None:
        record["model"], record["custom_model"] = normalise_models(record["model"], record["custom_model"])

    def _seed(self, seeds: list[SeedChannel], seed: int) -> None:
        """Turn the neutral seed into Octopus records, with Octopus-only settings drawn from `seed`."""
        rng = random.Random(seed * 7919 + len(seeds))
        for s in seeds:
            type_name = _PROVIDER_TYPE.get(s.provider, "openai")
            if s.provider == "openai" and rng.random() < 0.15:
                type_name = "openai_responses"
            custom = [m for m in s.models if "-custom-" in m]
            if rng.random() < 0.15:
                custom.append(f"{s.provider}-finetune-{rng.randint(1, 9)}")
            base_url = f"{s.base_url}/v1"
            fields: dict[str, Any] = {
                "name": s.name,
                "type": _LEGACY_TYPE[type_name] if self.legacy else type_name,
                "enabled": s.status == 1,
                "base_url": base_url,
                "key": s.key,
                "model": ",".join(m for m in s.models if "-custom-" not in m),
                "custom_model": ",".join(custom),
                "proxy": rng.random() < 0.15,
                "auto_sync": rng.random() < 0.3,
                "custom_header": (
                    [{"header_key": "X-Team", "header_value": s.tag}] if s.tag and rng.random() < 0.3 else []
                ),
                "param_override": '{"temperature": 0.7}' if rng.random() < 0.1 else None,
                "channel_proxy": None,
                "match_regex": "^(gpt|o\\d)" if s.provider == "openai" and rng.random() < 0.1 else None,
                "auto_group": rng.choice((0, 0, 0, 1, 2)),
            }
            if self.legacy:
                fields["base_urls"] = self._seed_base_urls(rng, s, base_url)
                fields["keys"] = self._seed_keys(rng, s)
            self._store(s.id, fields, self._seed_stats(s))
            self._next_id = s.id + 1

    @staticmethod
    def _seed_base_urls(rng: random.Random, s: SeedChannel, base_url: str) -> list[dict[str, Any]]:
        urls = [{"url": base_url, "delay": rng.randint(60, 600)}]
        if rng.random() < 0.4:
            mirror = f"https://mirror-{rng.randint(1, 9)}.{s.provider}.example/v1"
            urls.append({"url": mirror, "delay": rng.randint(700, 3000)})
        return urls

    def _seed_keys(self, rng: random.Random, s: SeedChannel) -> list[dict[str, Any]]:
        primary = {"enabled": True, "channel_key": s.key, "remark": s.remark or ""}
        keys = [self._new_key(s.id, primary, status_code=200)]
        for _ in range(rng.choice((0, 0, 1, 2))):
            enabled = rng.random() < 0.6
            remarks = ("spare", "team b") if enabled else ("quota exhausted", "revoked upstream")
            secret = f"sk-{s.provider[:3]}{rng.getrandbits(96):024x}"
            key = {"enabled": enabled, "channel_key": secret, "remark": rng.choice(remarks)}
            keys.append(self._new_key(s.id, key, status_code=200 if enabled else 429))
        return keys

    @staticmethod
    def _seed_stats(s: SeedChannel) -> dict[str, Any]:
        requests = s.used_quota // 40_000
        failed = requests // 25 if s.status == 1 else requests // 4
        return {
            "channel_id": s.id,
            "input_token": s.used_quota,
            "output_token": s.used_quota // 3,
            "input_cost": round(s.used_quota / 1e6 * 2.5, 4),
            "output_cost": round(s.used_quota / 3e6 * 10, 4),
            "wait_time": (s.response_time or 450) * requests,
            "request_success": requests - failed,
            "request_failed": failed,
        }


def _stats(channel_id: int) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "input_token": 0,
        "output_token": 0,
        "input_cost": 0.0,
        "output_cost": 0.0,
        "wait_time": 0,
        "request_success": 0,
        "request_failed": 0,
    }


def build_octopus_server(
    generation: str, *, upstream_url: str, channels: int = 20, seed: int = 2, **options: Any
) -> OctopusServer:
    """The factory `DemoGateway.add_octopus()` calls; `options` go to `OctopusServer`."""
    return OctopusServer(generation, upstream_url=upstream_url, channels=channels, seed=seed, **options)
