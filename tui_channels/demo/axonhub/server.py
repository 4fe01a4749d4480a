"""Emulated AxonHub admin API for the demo gateway: sign-in, then channels over GraphQL.

Follows ../shared/api/axonhub.md as corrected by a real v0.9.38 server. The GraphQL side is
graphql-core executing the SDL of `schema.py`, so clients meet real parsing, validation (HTTP 422,
`GRAPHQL_VALIDATION_FAILED`) and introspection. The traps are the servers': a new channel starts
`disabled` whatever was asked; `credentials` and `settings` given to `updateChannel` replace the
stored ones whole; `status` inside `updateChannel` (and v0.1's `createChannel`) is ignored; the
older generation cannot change a channel's type, delete it, fetch models or return credentials;
and the current one answers a Volcengine model fetch with an empty list.
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
from graphql import (
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    build_schema,
    execute,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...wording import plural
from ..seed import SeedChannel, seed_channels
from ..upstream import UpstreamServer
from .schema import CURRENT, OLDER

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "axonhub-demo-pass"
VERSIONS = {"current": "v0.9.38", "older": "v0.1.1"}
SESSION_SECONDS = 7 * 86400
GLOBAL_ID = "gid://axonhub/Channel/{id}"

_TYPES = {
    "current": {
        "openai": "openai",
        "anthropic": "anthropic",
        "gemini": "gemini",
        "deepseek": "deepseek",
        "mistral": "openai",
        "moonshot": "moonshot",
        "qwen": "bailian",
        "zhipu": "zhipu",
        "xai": "xai",
        "siliconflow": "siliconflow",
    },
    "older": {
        "openai": "openai",
        "anthropic": "anthropic",
        "gemini": "gemini_openai",
        "deepseek": "deepseek",
        "mistral": "openai",
        "moonshot": "moonshot",
        "qwen": "openai",
        "zhipu": "zhipu",
        "xai": "openai",
        "siliconflow": "openai",
    },
}
_UPDATABLE = {
    "current": (
        "type",
        "baseURL",
        "name",
        "defaultTestModel",
        "orderingWeight",
        "autoSyncSupportedModels",
        "supportedModels",
        "manualModels",
        "tags",
        "settings",
        "policies",
        "credentials",
        "remark",
        "autoSyncModelPattern",
    ),
    "older": ("baseURL", "name", "defaultTestModel", "supportedModels", "settings", "credentials"),
}
"""What `updateChannel` really writes; every other input field (status, append*, clearTags…) is ignored."""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _error(message: str, code: str | None = None, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions} if code else None)


class AxonHubServer:
    """One emulated AxonHub of the `current` or `older` generation, with its channels."""

    def __init__(self, generation: str, *, upstream_url: str, channels: int, seed: int) -> None:
        self.generation = generation
        self.version = VERSIONS[generation]
        self.email = DEMO_EMAIL
        self.password = DEMO_PASSWORD
        self.upstream_url = upstream_url
        self.schema: GraphQLSchema = build_schema(CURRENT if generation == "current" else OLDER)
        self.schema.get_type("Node").resolve_type = lambda value, info, abstract: "Channel"  # type: ignore[union-attr]
        self.records: dict[int, dict[str, Any]] = {}
        self.sessions: dict[str, float] = {}
        """Issued tokens and when each expires."""
        self._next_id = 1
        self._seed(seed_channels(channels, seed=seed, upstream_url=upstream_url), seed)
        self.app = Starlette(
            routes=[
                Route("/health", self._health, methods=["GET"]),
                Route("/admin/system/status", self._system_status, methods=["GET"]),
                Route("/admin/auth/signin", self._sign_in, methods=["POST"]),
                Route("/admin/graphql", self._graphql, methods=["POST"]),
            ]
        )

    # -- REST --------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """v0.1 answers `{"error": text}`; newer servers `{"error": {"type", "message"}}`."""
        if self.generation == "older":
            return {"error": message}
        kinds = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
        return {"error": {"type": kinds.get(status, "Internal Server Error"), "message": message}}

    def _fail(self, status: int, message: str) -> JSONResponse:
        return JSONResponse(self.error_body(status, message), status)

    async def _health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "healthy",
                "timestamp": _iso(time.time()),
                "version": self.version,
                "build": {"version": self.version},
                "uptime": "1h0m0s",
            }
        )

    async def _system_status(self, request: Request) -> Response:
        return JSONResponse({"isInitialized": True})

    async def _sign_in(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return self._fail(400, "Invalid request format")
        email = body.get("email") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not isinstance(email, str) or "@" not in email or not isinstance(password, str) or not password:
            return self._fail(400, "Invalid request format")
        if email != self.email or password != self.password:
            return self._fail(401, "Invalid email or password")
        claims = base64.urlsafe_b64encode(
            json.dumps({"user_id": 1, "exp": int(time.time()) + SESSION_SECONDS}).encode()
        )
        token = f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{claims.decode().rstrip('=')}.{secrets.token_urlsafe(32)}"
        self.sessions[token] = time.time() + SESSION_SECONDS
        user = {"email": self.email, "firstName": "Demo", "lastName": "Admin", "isOwner": True, "scopes": ["*"]}
        return JSONResponse({"user": user, "token": token})

    def record(self, channel_id: int) -> dict[str, Any]:
        """A channel as stored (global id aside), for tests to check what a client really wrote."""
        return self.records[channel_id]

    def channel_ids(self) -> list[int]:
        return sorted(self.records)

    def revoke_sessions(self) -> None:
        """Every issued token stops working, as after the JWT's seven days."""
        self.sessions.clear()

    def _authorised(self, request: Request) -> str | None:
        """Why the request is refused (401), or None."""
        header = request.headers.get("authorization", "")
        if not header:
            return "API key is required"
        if not header.startswith("Bearer "):
            return "Invalid token"
        expiry = self.sessions.get(header[7:].strip())
        return None if expiry is not None and expiry > time.time() else "Invalid token"

    # -- GraphQL -----------------------------------------------------------------------------

    async def _graphql(self, request: Request) -> Response:
        refusal = self._authorised(request)
        if refusal:
            return self._fail(401, refusal)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errors": [{"message": "json request body could not be decoded"}], "data": None}, 400)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return JSONResponse({"errors": [{"message": "no operation provided"}], "data": None}, 422)
        try:
            document = parse(body["query"])
        except GraphQLSyntaxError as exc:
            failed = {**exc.formatted, "extensions": {"code": "GRAPHQL_PARSE_FAILED"}}
            return JSONResponse({"errors": [failed], "data": None}, 422)
        problems = validate(self.schema, document)
        if problems:
            errors = [{**e.formatted, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}} for e in problems]
            return JSONResponse({"errors": errors, "data": None}, 422)
        result = execute(
            self.schema,
            document,
            root_value=self._root(),
            variable_values=body.get("variables") or {},
            operation_name=body.get("operationName"),
        )
        if inspect.isawaitable(result):
            result = await result
        return JSONResponse(result.formatted)  # type: ignore[union-attr]

    def _root(self) -> dict[str, Callable[..., Any]]:
        root: dict[str, Callable[..., Any]] = {
            "node": self._node,
            "channels": self._channels,
            "me": lambda info: {
                "email": self.email,
                "firstName": "Demo",
                "lastName": "Admin",
                "isOwner": True,
                "scopes": ["*"],
            },
            "createChannel": self._create,
            "updateChannel": self._update,
            "updateChannelStatus": self._update_status,
            "testChannel": self._test,
        }
        if self.generation == "current":
            root.update(
                queryChannels=lambda info, input: self._channels(info, **input),
                allChannelTags=lambda info: sorted({t for r in self.records.values() for t in r.get("tags") or []}),
                fetchModels=self._fetch_models,
                systemVersion=lambda info: {
                    "version": self.version,
                    "commit": "",
                    "buildTime": "",
                    "goVersion": "go1.26",
                    "platform": "linux/amd64",
                    "uptime": "1h",
                },
                deleteChannel=self._delete,
                bulkDeleteChannels=lambda info, ids: self._bulk(ids, None),
                bulkEnableChannels=lambda info, ids: self._bulk(ids, "enabled"),
                bulkDisableChannels=lambda info, ids: self._bulk(ids, "disabled"),
                bulkArchiveChannels=lambda info, ids: self._bulk(ids, "archived"),
            )
        return root

    def _id(self, global_id: Any, what: str = "") -> int:
        text = str(global_id)
        if not text.startswith("gid://axonhub/"):
            raise _error("guid must start with gid://axonhub/")
        kind, _, number = text[len("gid://axonhub/") :].partition("/")
        if not kind or not number:
            raise _error("guid must contain type and id")
        if not number.isdigit():
            raise _error(f'strconv.Atoi: parsing "{number}": invalid syntax')
        return int(number)

    def _present(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record as the resolvers answer it (credentials as the current server presents them)."""
        shown = copy.deepcopy(record)
        shown["id"] = GLOBAL_ID.format(id=record["id"])
        if self.generation == "older":
            shown["deletedAt"] = 0
            return shown
        credentials = shown.get("credentials") or {}
        oauth = credentials.get("oauth") or {}
        if not oauth.get("accessToken"):
            keys = ([credentials["apiKey"]] if credentials.get("apiKey") else []) + list(
                credentials.get("apiKeys") or []
            )
            credentials.update(apiKey="", apiKeys=keys)
        settings = shown.get("settings")
        if isinstance(settings, dict):
            settings.setdefault("headerOverrideOperations", [])
            settings.setdefault("bodyOverrideOperations", [])
            settings["headerOverrideOperations"] = settings["headerOverrideOperations"] or []
            settings["bodyOverrideOperations"] = settings["bodyOverrideOperations"] or []
        return shown

    def _get(self, channel_id: int, verb: str) -> dict[str, Any]:
        record = self.records.get(channel_id)
        if record is None:
            raise _error(f"failed to {verb} channel: ent: channel not found")
        return record

    def _node(self, info: Any, id: str) -> dict[str, Any] | None:
        channel_id = self._id(id)
        record = self.records.get(channel_id)
        if record is None:
            raise _error(f"Could not resolve to a node with the global id of '{channel_id}'", "NOT_FOUND")
        return self._present(record)

    def _channels(
        self,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        where: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Relay paging over the channels by id; the cursor is the last id, opaque to clients."""
        matching = [r for r in sorted(self.records.values(), key=lambda r: r["id"]) if _matches(r, where or {})]
        start = 0
        if after:
            try:
                last = int(after.removeprefix("cursor:"))
            except ValueError:
                raise _error("invalid cursor") from None
            start = next((i for i, r in enumerate(matching) if r["id"] > last), len(matching))
        window = matching[start:] if first is None else matching[start : start + max(0, first)]
        edges = [{"node": self._present(r), "cursor": f"cursor:{r['id']}"} for r in window]
        return {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": start + len(window) < len(matching),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "totalCount": len(matching),
        }

    def _check_name(self, name: str, own_id: int | None) -> None:
        if any(r["name"] == name and r["id"] != own_id for r in self.records.values()):
            if self.generation == "older":
                raise _error(
                    "failed to create channel: ent: constraint failed: UNIQUE constraint failed: channels.name"
                )
            raise _error(
                f"channel name '{name}' already exists", "DUPLICATE_NAME", field="name", resource="channel", value=name
            )

    def _create(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        self._check_name(input["name"], None)
        now = _iso(time.time())
        record = {
            "id": self._next_id,
            "createdAt": now,
            "updatedAt": now,
            "type": input["type"],
            "baseURL": input.get("baseURL"),
            "name": input["name"],
            "status": "disabled",
            "supportedModels": list(input["supportedModels"]),
            "defaultTestModel": input["defaultTestModel"],
            "settings": input.get("settings"),
            "orderingWeight": 0,
            "credentials": dict(input.get("credentials") or {}),
        }
        if self.generation == "current":
            record.update(
                manualModels=input.get("manualModels"),
                autoSyncSupportedModels=bool(input.get("autoSyncSupportedModels")),
                autoSyncModelPattern=input.get("autoSyncModelPattern") or "",
                tags=list(input.get("tags") or []),
                policies=input.get("policies") or {"stream": "unlimited"},
                orderingWeight=input.get("orderingWeight") or 0,
                errorMessage=None,
                remark=input.get("remark"),
                disabledAPIKeys=[],
            )
        self.records[self._next_id] = record
        self._next_id += 1
        return self._present(record)

    def _update(self, info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        channel_id = self._id(id)
        if "name" in input and input["name"] is not None:
            self._check_name(input["name"], channel_id)
        record = self._get(channel_id, "update")
        for name in _UPDATABLE[self.generation]:
            if input.get(name) is not None:
                record[name] = copy.deepcopy(input[name])
        if input.get("clearBaseURL"):
            record["baseURL"] = None
        if input.get("clearSettings"):
            record["settings"] = None
        if self.generation == "current" and input.get("clearRemark"):
            record["remark"] = None
        record["updatedAt"] = _iso(time.time())
        return self._present(record)

    def _update_status(self, info: Any, id: str, status: str) -> dict[str, Any]:
        record = self._get(self._id(id), "update")
        record["status"] = status
        if self.generation == "current" and status == "enabled":
            record["errorMessage"] = None
        return self._present(record)

    def _delete(self, info: Any, id: str) -> bool:
        channel_id = self._id(id)
        self._get(channel_id, "delete")
        del self.records[channel_id]
        return True

    def _bulk(self, ids: list[str], status: str | None) -> bool:
        """Bulk delete skips ids that are gone; bulk status changes refuse the whole list then."""
        wanted = [self._id(i) for i in ids]
        present = [i for i in wanted if i in self.records]
        if status is not None and len(present) != len(wanted):
            raise _error(f"expected to find {plural(len(wanted), 'channel')}, but found {len(present)}")
        for channel_id in present:
            if status is None:
                del self.records[channel_id]
            else:
                self.records[channel_id]["status"] = status
        return True

    # -- upstream calls ------------------------------------------------------------------------

    async def _test(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        record = self._get(self._id(input["channelID"]), "test")
        keys = _keys(record)
        model = input.get("modelID") or record.get("defaultTestModel") or next(iter(record["supportedModels"]), "")
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.post(
                    f"{(record.get('baseURL') or '').rstrip('/')}/chat/completions",
                    headers={"Authorization": f"Bearer {keys[0] if keys else ''}"},
                    json={"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1},
                )
        except httpx.HTTPError as exc:
            return {
                "latency": time.perf_counter() - started,
                "success": False,
                "message": "",
                "error": f"failed to do request: HTTP request failed: {exc}",
            }
        latency = time.perf_counter() - started
        if response.status_code != 200:
            return {
                "latency": latency,
                "success": False,
                "message": "",
                "error": f"failed to do request: HTTP request failed: status {response.status_code}: {response.text}",
            }
        return {"latency": latency, "success": True, "message": "", "error": None}

    async def _fetch_models(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        channel_type, base_url, key = input["channelType"], input["baseURL"], input.get("apiKey") or ""
        if channel_type == "volcengine":
            return {"models": [], "error": None}
        if input.get("channelID") and not key:
            record = self.records.get(self._id(input["channelID"]))
            if record is None:
                return {"models": [], "error": "failed to get channel: ent: channel not found"}
            if record["type"] != channel_type or (record.get("baseURL") or "") != base_url:
                return {"models": [], "error": "API key is required when channel type or base URL is changed"}
            key = next(iter(_keys(record)), "")
        if not key:
            return {"models": [], "error": "API key is required"}
        base = base_url.rstrip("/")
        url = f"{base}/models" if base.endswith("/v1") else f"{base}/v1/models"
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.get(url, headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError as exc:
            return {"models": [], "error": f"failed to fetch models: HTTP request failed: {exc}"}
        if response.status_code != 200:
            return {"models": [], "error": f"failed to fetch models: {response.status_code}"}
        data = response.json().get("data") or []
        return {"models": [{"id": m["id"]} for m in data if isinstance(m, dict) and m.get("id")], "error": None}

    # -- seed ----------------------------------------------------------------------------------

    def _seed(self, seeds: list[SeedChannel], seed: int) -> None:
        types = _TYPES[self.generation]
        for s in seeds:
            created = _iso(s.created_time)
            record: dict[str, Any] = {
                "id": s.id,
                "createdAt": created,
                "updatedAt": created,
                "type": types[s.provider],
                "baseURL": f"{UpstreamServer.base_url(self.upstream_url, s.provider)}/v1",
                "name": s.name,
                "status": "enabled" if s.status == 1 else "disabled",
                "supportedModels": list(s.models),
                "defaultTestModel": s.models[0],
                "settings": {"modelMappings": _mappings(s.model_mapping)},
                "orderingWeight": 0,
                "credentials": {"apiKey": s.key},
            }
            if self.generation == "current":
                keys = [s.key] + ([f"{s.key[:-4]}b2b2"] if s.id % 9 == 0 else [])
                record["settings"]["extraModelPrefix"] = "team" if s.id % 11 == 0 else ""
                record.update(
                    status="archived" if s.id % 23 == 0 else record["status"],
                    credentials={"apiKeys": keys},
                    manualModels=[m for m in s.models if "custom" in m] or None,
                    autoSyncSupportedModels=False,
                    autoSyncModelPattern="",
                    tags=[s.tag] if s.tag else [],
                    policies={"stream": "unlimited"},
                    orderingWeight=s.priority,
                    errorMessage="Channel disabled after upstream error 401" if s.status == 3 else None,
                    remark=s.remark,
                    disabledAPIKeys=[],
                )
            self.records[s.id] = record
        self._next_id = max(self.records, default=0) + 1


def _mappings(model_mapping: str) -> list[dict[str, str]]:
    if not model_mapping:
        return []
    return [{"from": k, "to": v} for k, v in json.loads(model_mapping).items()]


def _keys(record: dict[str, Any]) -> list[str]:
    credentials = record.get("credentials") or {}
    return ([credentials["apiKey"]] if credentials.get("apiKey") else []) + list(credentials.get("apiKeys") or [])


def _matches(record: dict[str, Any], where: dict[str, Any]) -> bool:
    """The subset of ent's `ChannelWhereInput` the emulation knows."""
    for name, value in where.items():
        if value is None:
            continue
        if name == "or" and not any(_matches(record, w) for w in value):
            return False
        if name == "and" and not all(_matches(record, w) for w in value):
            return False
        if name == "not" and _matches(record, value):
            return False
        field, test = _PREDICATES.get(name, (None, None))
        if field is not None and test is not None and not test(record.get(field), value):
            return False
    return True


_PREDICATES: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "type": ("type", lambda have, want: have == want),
    "typeIn": ("type", lambda have, want: have in want),
    "name": ("name", lambda have, want: have == want),
    "nameContains": ("name", lambda have, want: want in (have or "")),
    "nameContainsFold": ("name", lambda have, want: want.lower() in (have or "").lower()),
    "baseURLContains": ("baseURL", lambda have, want: want in (have or "")),
    "baseURLContainsFold": ("baseURL", lambda have, want: want.lower() in (have or "").lower()),
    "status": ("status", lambda have, want: have == want),
    "statusIn": ("status", lambda have, want: have in want),
}


def build_axonhub_server(generation: str, *, upstream_url: str, channels: int = 20, seed: int = 3) -> AxonHubServer:
    """A seeded emulated AxonHub (`current` is v0.9.38, `older` is v0.1.1)."""
    if generation not in VERSIONS:
        raise ValueError(f"unknown AxonHub generation {generation!r}; choose current or older")
    return AxonHubServer(generation, upstream_url=upstream_url, channels=channels, seed=seed)
