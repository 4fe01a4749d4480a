"""Claude Code Hub backend: the REST management API at `/api/v1` (v0.8.1 and later).

Follows docs/contracts/claude-code-hub.md. Every call carries `Authorization: Bearer <admin
token>` (the server's ADMIN_TOKEN; bearer callers need no CSRF token). Providers are the channels.
`connect()` tells the REST API (its `X-API-Version` header on any `/api/v1` answer) from a server
older than v0.8.1, which only has the deprecated actions adapter and is refused with a clear
message, and from something that is not Claude Code Hub at all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, Unpack

import httpx
from pydantic import BaseModel, ValidationError

from ...channel_types import CLAUDECODEHUB_TYPES
from ...errors import BadRecord, BadResponse, NotFound, NotSupported, RequestRejected
from ...models import Channel, ChannelSpec, TestResult, TypeCode
from ...wording import plural
from ..base import BackendBase, Capabilities, ProgressCallback
from ..http import HttpTransport, TransportSettings, decode_json, host_of, looks_like_html, redirect_error
from ..wire_values import describe, read_records
from .fields import FLAVOR_LABEL, build_capabilities
from .problems import brief, error_for
from .wire import (
    MAX_BATCH,
    PROVIDER_TYPES,
    BatchDeleted,
    BatchUpdated,
    FetchUpstreamModels,
    ProviderIds,
    ProviderList,
    RevealedKey,
    TestById,
    TestOutcome,
    UpstreamModels,
    batch_update_body,
    channel_from_wire,
    checked_key,
    create_body,
    group_tag,
    update_body,
    wanted_enabled,
)

API = "/api/v1"
HEALTH = f"{API}/health"
PROVIDERS = f"{API}/providers"
PROVIDER = f"{API}/providers/{{id}}"
REVEAL = f"{API}/providers/{{id}}/key:reveal"
TEST = f"{API}/providers/{{id}}/test"
GROUPS = f"{API}/providers/groups"
FETCH_MODELS = f"{API}/providers/upstream-models:fetch"
BATCH_UPDATE = f"{API}/providers:batchUpdate"
BATCH_DELETE = f"{API}/providers:batchDelete"
VERSION = "/api/version"
LEGACY_DOCS = "/api/actions/openapi.json"
API_VERSION_HEADER = "x-api-version"

TEST_TIMEOUT = 75.0
"""Seconds to wait for a test: the server itself gives the upstream 15 s (Gemini 60 s)."""
FETCH_TIMEOUT = 30.0
"""Seconds to wait for a model fetch: the server gives the upstream 10 s."""

Answer = TypeVar("Answer", bound=BaseModel)
_VERSION_TAIL = re.compile(r"/v\d+[a-z0-9]*$", re.IGNORECASE)


def _version(payload: Any) -> str:
    """`current` of `/api/version` without its leading v, or "unknown"."""
    current = payload.get("current") if isinstance(payload, dict) else None
    return str(current).removeprefix("v") if isinstance(current, str) and current else "unknown"


class ClaudeCodeHubBackend(BackendBase):
    """A client for one Claude Code Hub server."""

    def __init__(self, base_url: str, *, admin_token: str, **transport: Unpack[TransportSettings]) -> None:
        headers = {"Authorization": f"Bearer {admin_token.strip()}"}
        self._http = HttpTransport(base_url, headers=headers, **transport)
        self._host = host_of(base_url)

    # -- requests ------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        action: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One call; an error answer becomes its typed error, a success comes back as it is."""
        response = await self._http.request(method, path, json_body=body, params=params, timeout=timeout)
        if response.status_code >= 400:
            raise error_for(response, action)
        if 300 <= response.status_code < 400:
            raise redirect_error(response, path)
        return response

    async def _json(
        self, method: str, path: str, action: str, answer: type[Answer], **options: Any
    ) -> Answer:
        response = await self._send(method, path, action, **options)
        return self._parse(response, answer, action)

    def _parse(self, response: httpx.Response, answer: type[Answer], action: str) -> Answer:
        payload = decode_json(response)
        try:
            return answer.model_validate(payload)
        except ValidationError:
            raise BadResponse(
                f"Claude Code Hub at {self._host} answered {action} in a shape this app does not know "
                f"({response.request.url.path}). The server may be a version this app does not support."
            ) from None

    def _channel(self, record: Any) -> Channel:
        if not isinstance(record, dict):
            raise BadResponse(f"Claude Code Hub at {self._host} answered a provider that is not an object.")
        try:
            return channel_from_wire(record, CLAUDECODEHUB_TYPES)
        except ValueError:
            raise BadResponse(
                f"Claude Code Hub at {self._host} returned a provider record without a usable id, name, URL, "
                "status or type. The server may be a version this app does not support."
            ) from None

    def _listed(self, record: Any, position: int) -> Channel:
        """One provider of a list; `BadRecord` naming it when it cannot be one, so the list goes on."""
        if not isinstance(record, dict):
            raise BadRecord(f"{describe(record, position)} is not a channel object; it was skipped.")
        try:
            return channel_from_wire(record, CLAUDECODEHUB_TYPES)
        except ValueError:
            raise BadRecord(
                f"{describe(record, position)} has no usable id, name, URL, status or type; it was skipped."
            ) from None

    async def _record(self, method: str, path: str, action: str, **options: Any) -> Channel:
        response = await self._send(method, path, action, **options)
        return self._channel(decode_json(response))

    # -- detection -----------------------------------------------------------------------------

    async def _detect(self) -> None:
        """The REST API answers every `/api/v1` path with `X-API-Version`; older servers do not."""
        response = await self._http.request("GET", HEALTH)
        if API_VERSION_HEADER in response.headers:
            self.detected_label = FLAVOR_LABEL
            return
        legacy = await self._http.request("GET", LEGACY_DOCS)
        if legacy.status_code == 200 and not looks_like_html(legacy) and b'"openapi"' in legacy.content:
            self.detected_label = f"{FLAVOR_LABEL} before v0.8.1"
            raise NotSupported(
                f"{self._host} runs a Claude Code Hub older than v0.8.1: it only has the deprecated actions "
                "API (/api/actions), not the REST management API this app uses. Upgrade the server to "
                "v0.8.1 or later."
            )
        raise NotSupported(
            f"{self._host} has no Claude Code Hub management API (GET {HEALTH} answered HTTP "
            f"{response.status_code} without an X-API-Version header). Check the site URL: it should be "
            "the server's root, such as https://cch.example.com."
        )

    async def _server_version(self) -> str:
        """`/api/version` answers its `current` even when it fails to ask GitHub for the latest (HTTP 500)."""
        response = await self._http.request("GET", VERSION)
        try:
            return _version(decode_json(response))
        except BadResponse:
            return "unknown"

    # -- Backend protocol ----------------------------------------------------------------------

    async def connect(self) -> Capabilities:
        await self._detect()
        self._capabilities = build_capabilities(await self._server_version())
        return self._capabilities

    async def close(self) -> None:
        await self._http.aclose()

    async def verify(self) -> Capabilities:
        capabilities = await self.connect()
        await self.list_groups()
        return capabilities

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        """Every provider in one answer: the list route has no pages."""
        listing = await self._json("GET", PROVIDERS, "list providers", ProviderList)
        channels, self.list_warnings = read_records(listing.items, self._listed)
        if on_progress is not None:
            on_progress(len(channels), len(channels))
        return channels

    async def search_channels(self, keyword: str) -> list[Channel]:
        """The server's `q` search: case-insensitive, over name, URL, group tag and provider type."""
        params = {"q": keyword.strip()} if keyword.strip() else None
        listing = await self._json("GET", PROVIDERS, "search providers", ProviderList, params=params)
        return read_records(listing.items, self._listed)[0]

    async def get_channel(self, channel_id: int) -> Channel:
        return await self._record("GET", PROVIDER.format(id=channel_id), f"read provider {channel_id}")

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        body = create_body(spec)
        return await self._record("POST", PROVIDERS, f"create provider {spec.name!r}", body=body)

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        """`PATCH` with only the changed fields (a true partial update); the answer is the saved record."""
        body = update_body(channel, changes)
        if not body:
            return channel
        action = f"update provider {channel.name!r}"
        return await self._record("PATCH", PROVIDER.format(id=channel.id), action, body=body)

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        action = f"{'enable' if enabled else 'disable'} provider {channel_id}"
        await self._record("PATCH", PROVIDER.format(id=channel_id), action, body={"is_enabled": enabled})

    async def delete_channel(self, channel_id: int) -> None:
        """The server answers 204 without a body; a body that is not JSON (a proxy's or a login
        page) means the request never reached the API, so the provider was not deleted."""
        response = await self._send("DELETE", PROVIDER.format(id=channel_id), f"delete provider {channel_id}")
        if response.content.strip():
            decode_json(response)

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        """`:batchDelete` in chunks of 500. The server refuses a whole chunk naming a provider that
        is gone, so such a chunk is retried once with the providers that still exist."""
        deleted = 0
        for chunk in _chunks(channel_ids):
            try:
                deleted += await self._batch_delete(chunk)
            except NotFound:
                present = {c.id for c in await self.list_channels()}
                remaining = [i for i in chunk if i in present]
                deleted += await self._batch_delete(remaining) if remaining else 0
        return deleted

    async def _batch_delete(self, channel_ids: list[int]) -> int:
        body = ProviderIds(provider_ids=channel_ids).model_dump(by_alias=True)
        action = f"delete {plural(len(channel_ids), 'provider')}"
        return (await self._json("POST", BATCH_DELETE, action, BatchDeleted, body=body)).deleted_count

    async def update_channels(self, channel_ids: Sequence[int], changes: Mapping[str, Any]) -> int:
        """`:batchUpdate` in chunks of 500, with status, priority, weight or groups.

        The server checks neither the weight range nor negative priorities on this route (it
        stores weight 0 or 500); the body model holds them to the limits of a single edit.
        """
        updates: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "status":
                updates["is_enabled"] = wanted_enabled(value)
            elif name == "groups":
                updates["group_tag"] = group_tag(tuple(value))
            else:
                updates[name] = value
        updated = 0
        for chunk in _chunks(channel_ids):
            body = batch_update_body(chunk, **updates)
            action = f"update {plural(len(chunk), 'provider')}"
            updated += (await self._json("POST", BATCH_UPDATE, action, BatchUpdated, body=body)).updated_count
        return updated

    async def reveal_key(self, channel_id: int) -> str:
        revealed = await self._json(
            "GET", REVEAL.format(id=channel_id), f"reveal the key of provider {channel_id}", RevealedKey
        )
        return revealed.key

    async def list_groups(self) -> list[str]:
        """Every provider group tag in use, `default` first (`GET /providers/groups`)."""
        response = await self._send("GET", GROUPS, "list provider groups")
        payload = decode_json(response)
        items = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise BadResponse(f"Claude Code Hub at {self._host} answered the group list without `items`.")
        return [str(name) for name in items]

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        """The server's own test of the saved provider (`POST /providers/{id}/test`).

        A failing upstream is a failed result with the server's sub-status and the upstream's reason;
        `seconds` is the latency the server measured.
        """
        body = TestById(model=model).model_dump(exclude_none=True) if model else {}
        started = time.perf_counter()
        outcome = await self._json(
            "POST", TEST.format(id=channel.id), f"test {channel.name!r}", TestOutcome, body=body, timeout=TEST_TIMEOUT
        )
        seconds = outcome.latency_ms / 1000 if outcome.latency_ms else time.perf_counter() - started
        if outcome.success:
            return TestResult(ok=True, seconds=seconds, message=f"{outcome.model} answered" if outcome.model else "")
        return TestResult(ok=False, seconds=seconds, message=_failure(outcome))

    async def fetch_models(self, channel: Channel) -> list[str]:
        """The server lists upstream models only for a URL and key it is given, so the stored key is
        revealed first and sent back with the provider's URL and type."""
        key = await self.reveal_key(channel.id)
        return await self.fetch_models_adhoc(channel.type.code, channel.base_url, key)

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        if type_code not in PROVIDER_TYPES:
            raise NotSupported(f"{type_code!r} is not a Claude Code Hub provider type.")
        body = FetchUpstreamModels(
            provider_url=base_url.strip(), api_key=checked_key(key), provider_type=type_code  # type: ignore[arg-type]
        ).model_dump(by_alias=True)
        try:
            listed = await self._json(
                "POST", FETCH_MODELS, "list the upstream's models", UpstreamModels, body=body, timeout=FETCH_TIMEOUT
            )
        except RequestRejected as error:
            if _VERSION_TAIL.search(base_url.strip().rstrip("/")):
                raise RequestRejected(
                    f"{error.message} The base URL ends with a version segment, which the server appends "
                    "itself when it lists models (it asks <base URL>/v1/models): remove it from the base URL."
                ) from None
            raise
        return listed.models


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = list(dict.fromkeys(ids))
    return [unique[start : start + MAX_BATCH] for start in range(0, len(unique), MAX_BATCH)]


def _failure(outcome: TestOutcome) -> str:
    """Why a test failed: the server's sub-status, the upstream's HTTP status and its reason."""
    parts = [outcome.sub_status.replace("_", " ") or outcome.status or "failed"]
    if outcome.http_status_code:
        parts.append(f"HTTP {outcome.http_status_code}")
    reason = outcome.error_message or outcome.content
    if reason:
        parts.append(brief(reason, 160))
    return ": ".join(parts[:1]) + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")
