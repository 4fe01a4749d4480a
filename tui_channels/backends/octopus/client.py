"""Octopus backend: login sessions, the `{code, message, data}` envelope, and the channel routes.

Follows ../shared/api/octopus.md. Both generations log in with a username and password; legacy
answers a JWT to send as a Bearer header, current sets an `auth` cookie; the login's `expire` is in
minutes on legacy servers and in seconds on current ones. The session lives in memory only, is
renewed shortly before the token says it expires, and a 401 on an admin call triggers one fresh
login and one retry. Record mapping and request bodies live in `wire.py`, the capability
description in `fields.py`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Unpack

import httpx

from ...channel_types import OCTOPUS_CURRENT_TYPES, OCTOPUS_LEGACY_TYPES
from ...errors import (
    AuthError,
    BackendError,
    BadResponse,
    ConfigError,
    DatabaseError,
    NotFound,
    NotSupported,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from ...model_groups import ModelGroup
from ...models import Channel, ChannelSpec, ChannelStatus, TestResult, TypeCatalog, TypeCode
from ...redact import scrub
from ...wording import clause, plural
from ..base import BackendBase, Capabilities, ProgressCallback
from ..http import HttpTransport, TransportSettings, decode_json, host_of, json_or_none
from ..wire_values import as_names, read_records
from .fields import GENERATIONS, build_capabilities, generation_label
from .groups import active_item_id, group_from_wire
from .groups import create_body as group_create_body
from .groups import update_body as group_update_body
from .wire import (
    REPEATED,
    adhoc_body,
    channel_from_wire,
    create_body,
    dropped_key_states,
    is_legacy_record,
    update_body,
)

LOGIN = "/api/v1/user/login"
STATUS = "/api/v1/user/status"
NOW_VERSION = "/api/v1/update/now-version"
LIST = "/api/v1/channel/list"
CREATE = "/api/v1/channel/create"
UPDATE = "/api/v1/channel/update"
ENABLE = "/api/v1/channel/enable"
DELETE = "/api/v1/channel/delete/{id}"
FETCH_MODEL = "/api/v1/channel/fetch-model"
GROUP_LIST = "/api/v1/group/list"
GROUP_CREATE = "/api/v1/group/create"
GROUP_UPDATE = "/api/v1/group/update"
GROUP_DELETE = "/api/v1/group/delete/{id}"
GROUP_ACTIVE = "/api/v1/group/active/{id}"
SYNC = "/api/v1/channel/sync"
LAST_SYNC = "/api/v1/channel/last-sync-time"
SYNC_TIMEOUT = 31 * 60.0
"""The server's own sync answers when it has finished, within its 30-minute budget (task/sync.go)."""
GO_ZERO_YEAR = 1
COOKIE = "auth"
RENEW_MARGIN = 60.0
"""Renew a session this many seconds before it expires (at most a fifth of its length)."""

_DUPLICATE_NAME = re.compile(
    r"unique constraint failed: channels\.name|duplicate entry.*name|name already exists", re.IGNORECASE
)
_GROUP_NAME_TAKEN = re.compile(r"unique constraint failed: groups\.name", re.IGNORECASE)
_MEMBER_TWICE = re.compile(r"unique constraint failed: group_items\.", re.IGNORECASE)
_GROUP_REFUSALS = ("not found in channel", "group item channel", "group name is required")
"""Current Octopus's checks of a group's members and name, answered as HTTP 500 (contract §1)."""


def _is_envelope(payload: Any) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("code"), int) and "message" in payload


def _granted_seconds(token: str) -> float | None:
    """How long a session JWT was issued for (`exp` − `iat`), or None when it does not say."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - float(claims["iat"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


class OctopusBackend(BackendBase):
    """A client for one Octopus server of either generation."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        password: str,
        generation: str = "auto",
        session_seconds: int = 3600,
        **transport: Unpack[TransportSettings],
    ) -> None:
        if generation not in GENERATIONS:
            raise ConfigError(f"Unknown Octopus generation {generation!r}: choose auto, current or legacy.")
        self._http = HttpTransport(base_url, **transport)
        self._host = host_of(base_url)
        self._username = username
        self._password = password
        self._forced_legacy = None if generation == "auto" else generation == "legacy"
        self._legacy: bool | None = self._forced_legacy
        self._session_seconds = session_seconds
        self._renew_at: float | None = None
        self._session_id = 0
        self._login_lock = asyncio.Lock()

    # Session

    async def _login(self) -> None:
        """Log in, detect the generation from the answer's shape, and keep the session in memory.

        The current generation's cookie is sent as an explicit `Cookie` header rather than left to
        the cookie jar, whose whole-second expiry could drop it a moment before the server would.
        """
        self._http.set_header("Authorization", None)
        self._http.set_header("Cookie", None)
        if self._legacy is None:
            self._legacy = await self._probe_generation()
        if self._legacy is not None and self.detected_label is None:
            self.detected_label = f"{generation_label(self._legacy)}, version known only after a login"
        credentials = {"username": self._username, "password": self._password, "expire": self._expire()}
        response = await self._http.request("POST", LOGIN, json_body=credentials)
        self._http.cookies.clear()
        if response.status_code == 401:
            raise AuthError(
                f"The username or password for {self._host} is wrong (Octopus answered 401). "
                "Check the site's Octopus credentials."
            )
        data = self._unwrap(response, "log in")
        token = data.get("token") if isinstance(data, dict) else None
        cookie = next((c for c in response.cookies.jar if c.name == COOKIE and c.value), None)
        legacy = self._detect(bool(token), cookie is not None)
        if cookie is not None and not legacy:
            self._http.set_header("Cookie", f"{COOKIE}={cookie.value}")
            session = cookie.value
        else:
            self._http.set_header("Authorization", f"Bearer {token}")
            session = str(token)
        self._legacy = legacy
        lifetime = self._lifetime(_granted_seconds(session))
        self._renew_at = time.monotonic() + lifetime - min(RENEW_MARGIN, lifetime / 5)
        self._session_id += 1

    def _detect(self, has_token: bool, has_cookie: bool) -> bool:
        """Legacy answers a token in the body, current sets a cookie; a forced generation must agree."""
        if not has_token and not has_cookie:
            raise BadResponse(
                f"{self._host} accepted the login but sent neither a token nor an `auth` session cookie. "
                "Check that the site URL points at an Octopus server."
            )
        legacy = has_token if self._forced_legacy is None else self._forced_legacy
        if (legacy and not has_token) or (not legacy and not has_cookie):
            answered, wanted = ("legacy", "current") if has_token else ("current", "legacy")
            raise BadResponse(
                f"{self._host} answered the login like a {answered}-generation Octopus, but the site is set "
                f"to {wanted}. Set the site's Octopus generation to auto or {answered}."
            )
        return legacy

    async def _probe_generation(self) -> bool | None:
        """Legacy (True) or current (False) from an unauthenticated call, before the first login.

        The login's `expire` is in minutes on legacy servers and in seconds on current ones
        (v0.9.28 and v0.11.0 `auth.GenerateJWTToken`), so the unit must be known before logging in.
        Without credentials legacy answers 400 (no Authorization header) and current 401 (no cookie).
        """
        response = await self._http.request("GET", STATUS)
        return {400: True, 401: False}.get(response.status_code)

    def _expire(self) -> int:
        """The login's `expire` for the session length wanted: minutes on legacy, seconds otherwise."""
        if self._legacy:
            return max(1, math.ceil(self._session_seconds / 60))
        return self._session_seconds

    def _lifetime(self, granted: float | None) -> float:
        """The session length: as requested, unless the server granted less.

        `granted` comes from the session token itself (its `exp` minus `iat`), so it does not depend
        on the server's clock agreeing with ours, nor on which unit the server read `expire` in.
        """
        requested = float(self._session_seconds)
        if granted is not None and 0 < granted < requested:
            return granted
        return requested

    async def _relogin(self, seen_session: int) -> None:
        """Log in unless another task already did since `seen_session` (one login for many callers)."""
        async with self._login_lock:
            if self._session_id == seen_session:
                await self._login()

    async def _ensure_session(self) -> None:
        if self._renew_at is None or time.monotonic() >= self._renew_at:
            await self._relogin(self._session_id)

    # Requests

    async def _exchange(
        self, method: str, path: str, body: Any = None, *, timeout: float | None = None
    ) -> httpx.Response:
        """One admin call with a live session; a 401 gets one fresh login and one retry.

        The session is checked before the handler runs, so a 401 means nothing was done.
        """
        await self._ensure_session()
        session = self._session_id
        response = await self._send(method, path, body, timeout)
        if response.status_code != 401:
            return response
        await self._relogin(session)
        response = await self._send(method, path, body, timeout)
        if response.status_code == 401:
            raise AuthError(
                f"{self._host} refused the session again right after a fresh login ({method} {path}). "
                "Check that the account is still an Octopus admin and log in through the web UI to confirm."
            )
        return response

    async def _send(self, method: str, path: str, body: Any, timeout: float | None = None) -> httpx.Response:
        if method == "POST" and body is None:
            body = {}
        return await self._http.request(method, path, json_body=body, timeout=timeout)

    async def _call(
        self,
        method: str,
        path: str,
        action: str,
        body: Any = None,
        *,
        name: str | None = None,
        upstream: bool = False,
    ) -> Any:
        """`upstream`: the call reaches an upstream through the server (a model fetch), so a 5xx means
        the upstream failed, and the message points there rather than at the gateway."""
        return self._unwrap(await self._exchange(method, path, body), action, name=name, upstream=upstream)

    def _unwrap(self, response: httpx.Response, action: str, *, name: str | None = None, upstream: bool = False) -> Any:
        """The envelope's `data` on success; otherwise the typed error for its status and message."""
        status, path = response.status_code, response.request.url.path
        try:
            payload = decode_json(response)
        except BadResponse:
            if status == 404:
                raise self._no_route(path) from None
            if status >= 500:
                raise ServerError(
                    f"Octopus at {self._host} failed to {action} (HTTP {status}, and the answer was not the "
                    "API's JSON). The gateway or a proxy in front of it has a problem; check its log and retry."
                ) from None
            raise
        if not _is_envelope(payload):
            if status == 404:
                raise self._no_route(path)
            raise BadResponse(
                f"{path} answered JSON without Octopus's code/message envelope (HTTP {status}). "
                "Check that the site is an Octopus server and its URL is right."
            )
        if status == 200 and payload["code"] == 200:
            return payload.get("data")
        code = status if status != 200 else payload["code"]
        if upstream and code >= 500:
            raise ServerError(
                f"The upstream failed while Octopus at {self._host} tried to {action}: "
                f"{clause(str(payload['message']))}. Check the channel's base URL and key, and "
                "that the upstream is up.",
                title="Upstream failed",
            )
        raise self._error(code, str(payload["message"]), action, name)

    def _no_route(self, path: str) -> NotSupported:
        return NotSupported(
            f"{self._host} has no {path} route (HTTP 404 without Octopus's answer format). "
            "Check that the site URL points at an Octopus server, not its web page or another gateway."
        )

    def _error(self, status: int, message: str, action: str, name: str | None) -> BackendError:
        """The typed error for an Octopus error answer, with the server's message made readable."""
        where = f"Octopus at {self._host}"
        if _DUPLICATE_NAME.search(message) and (status == 409 or status >= 500):
            named = f"named {name!r}" if name else "with this name"
            duplicate = f"A channel {named} already exists; channel names must be unique. Choose another name."
            return RequestRejected(duplicate) if status == 409 else ServerError(duplicate)
        if status == 400:
            return RequestRejected(f"{where} refused to {action}: {message} (HTTP 400). Check the values sent.")
        if status == 401:
            return AuthError(f"{where} rejected the session while trying to {action} ({message}). Log in again.")
        if status == 403:
            return PermissionDenied(
                f"{where} refused to {action}: the account lacks the permission ({message}). Use an admin account."
            )
        if status == 404:
            return NotFound(
                f"{where} could not {action}: {clause(message)}. It may have been deleted meanwhile; reload the list."
            )
        if status == 409:
            return RequestRejected(f"{where} refused to {action}: it already exists ({message}).")
        if status == 415:
            return RequestRejected(
                f"{where} refused the request body as not JSON (HTTP 415: {message}). A proxy in front of "
                "the gateway may be rewriting the Content-Type header."
            )
        if status >= 500:
            database = DatabaseError.from_message(message, action=action)
            if database is not None:
                return database
            return ServerError(
                f"{where} failed to {action}: {message} (HTTP {status}). Check the gateway's log; try again later."
            )
        return RequestRejected(f"{where} refused to {action}: {message} (HTTP {status}).")

    @property
    def _types(self) -> TypeCatalog:
        return OCTOPUS_LEGACY_TYPES if self._legacy else OCTOPUS_CURRENT_TYPES

    def _channel(self, record: Any) -> Channel:
        """One record the server answered for a single channel; `BadRecord` when it is not one."""
        return channel_from_wire(record, self._types)

    def _model_names(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            raise BadResponse(f"Octopus at {self._host} answered a model fetch without a list of model names.")
        return list(as_names(data))

    # Backend protocol

    async def connect(self) -> Capabilities:
        await self._relogin(self._session_id)
        try:
            version = str(await self._call("GET", NOW_VERSION, "read the server version"))
        except (NotSupported, NotFound):
            version = "unknown"
        self._capabilities = build_capabilities(legacy=bool(self._legacy), version=version)
        return self._capabilities

    async def close(self) -> None:
        await self._http.aclose()

    async def verify(self) -> Capabilities:
        capabilities = await self.connect()
        await self._call("GET", STATUS, "check the session")
        return capabilities

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        data = await self._call("GET", LIST, "list channels")
        if not isinstance(data, list):
            raise BadResponse(f"Octopus at {self._host} answered the channel list without a list of channels.")
        channels, self.list_warnings = read_records(
            data, lambda record, at: channel_from_wire(record, self._types, at), repeated=REPEATED
        )
        if on_progress is not None:
            on_progress(len(channels), len(channels))
        return channels

    async def search_channels(self, keyword: str) -> list[Channel]:
        """Octopus has no search route: filter the full list by id, name, base URL or model."""
        needle = keyword.strip().lower()
        return [
            channel
            for channel in await self.list_channels()
            if not needle
            or needle == str(channel.id)
            or needle in channel.name.lower()
            or needle in channel.base_url.lower()
            or any(needle in model.lower() for model in channel.models)
        ]

    async def get_channel(self, channel_id: int) -> Channel:
        for channel in await self.list_channels():
            if channel.id == channel_id:
                return channel
        raise NotFound(
            f"Channel {channel_id} does not exist on {self._host}; it may have been deleted. Reload the list."
        )

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        await self._ensure_session()
        body = create_body(spec, legacy=bool(self._legacy), types=self._types)
        data = await self._call("POST", CREATE, f"create channel {spec.name!r}", body, name=body["name"])
        return self._channel(data)

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        """Send `id` plus the changed fields; a status change goes through the enable route first."""
        legacy = is_legacy_record(channel.raw) if channel.raw else bool(self._legacy)
        body = update_body(channel, changes, legacy=legacy)
        raw = dict(channel.raw)
        if "status" in changes:
            enabled = _wanted_enabled(changes["status"])
            await self.set_status(channel.id, enabled)
            raw["enabled"] = enabled
        if len(body) == 1:
            return self._channel(raw)
        data = await self._call("POST", UPDATE, f"update channel {channel.name!r}", body, name=body.get("name"))
        added = body.get("keys_to_add") or []
        fix = dropped_key_states(added, raw, data) if isinstance(data, dict) else []
        if fix:
            action = f"disable the keys just added to {channel.name!r}"
            data = await self._call("POST", UPDATE, action, {"id": channel.id, "keys_to_update": fix})
            if dropped_key_states(added, raw, data):
                raise RequestRejected(
                    f"Octopus at {self._host} saved {channel.name!r} but keeps the keys just added to it enabled, "
                    "although they were added disabled. Disable them in the channel's key list."
                )
        return self._channel(data)

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        action = f"{'enable' if enabled else 'disable'} channel {channel_id}"
        await self._call("POST", ENABLE, action, {"id": channel_id, "enabled": enabled})

    async def delete_channel(self, channel_id: int) -> None:
        await self._call("DELETE", DELETE.format(id=channel_id), f"delete channel {channel_id}")

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        """Octopus deletes one channel per call; ids already gone are skipped, not counted."""
        deleted = 0
        for channel_id in channel_ids:
            try:
                await self.delete_channel(channel_id)
            except NotFound:
                continue
            deleted += 1
        return deleted

    async def fetch_models(self, channel: Channel) -> list[str]:
        action = f"fetch models for {channel.name!r}"
        answer = await self._call("POST", FETCH_MODEL, action, _fetch_record(channel), upstream=True)
        return self._model_names(answer)

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        await self._ensure_session()
        body = adhoc_body(type_code, base_url, key, legacy=bool(self._legacy))
        return self._model_names(await self._call("POST", FETCH_MODEL, "fetch models", body, upstream=True))

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        """A timed model fetch with the channel's settings (Octopus has no test route).

        An upstream failure is a failed result with the server's message; problems reaching or
        authenticating with the gateway itself raise. With `model`, the upstream must also list it.
        """
        await self._ensure_session()
        started = time.perf_counter()
        response = await self._exchange("POST", FETCH_MODEL, _fetch_record(channel))
        seconds = time.perf_counter() - started
        try:
            names = self._model_names(self._unwrap(response, f"test {channel.name!r}"))
        except (ServerError, RequestRejected) as exc:
            return TestResult(ok=False, seconds=seconds, message=_server_message(response) or exc.message)
        if names and model is not None and model not in names:
            message = f"The upstream answered but does not list {model}."
            return TestResult(ok=False, seconds=seconds, message=message, models_listed=len(names))
        return TestResult(
            ok=True, seconds=seconds, message=f"{plural(len(names), 'model')} listed", models_listed=len(names)
        )

    # Server-side model sync

    async def server_sync(self) -> str | None:
        """`POST /channel/sync`: the server syncs every auto-sync channel before it answers.

        Legacy always answers success. Current answers HTTP 500 with its first failure after it has
        synced every other channel (returned here, not raised), and 500 `model sync already
        running` while another run is in progress (raised as `RequestRejected`).
        """
        response = await self._exchange("POST", SYNC, timeout=SYNC_TIMEOUT)
        try:
            self._unwrap(response, "run its model sync")
        except ServerError as error:
            message = _server_message(response)
            if "already running" in message:
                raise RequestRejected(
                    f"Octopus at {self._host} is already running a model sync. Wait for it to end, then reload."
                ) from None
            if message.startswith("failed to"):
                return scrub(message)
            raise error from None
        return None

    # Groups

    def _group(self, record: Any) -> ModelGroup:
        try:
            return group_from_wire(record, legacy=bool(self._legacy))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadResponse(f"Octopus at {self._host} returned a group record without a usable id.") from None

    async def _group_call(self, method: str, path: str, action: str, body: Any = None) -> Any:
        """A group route; its 500 answers about names, members and missing groups become readable."""
        response = await self._exchange(method, path, body)
        try:
            return self._unwrap(response, action)
        except ServerError as error:
            message = _server_message(response)
            if _GROUP_NAME_TAKEN.search(message):
                name = body.get("name") if isinstance(body, dict) else None
                raise RequestRejected(
                    f"A group named {name!r} already exists on {self._host}; group names must be unique."
                ) from None
            if _MEMBER_TWICE.search(message):
                raise RequestRejected(
                    "The group would hold the same model of the same channel twice. Remove the duplicate member."
                ) from None
            if message == "group not found" or message == "group item not found":
                raise NotFound(
                    f"Octopus at {self._host} could not {action}: {clause(message)}. It may have been deleted meanwhile; "
                    "reload the groups."
                ) from None
            if any(refusal in message for refusal in _GROUP_REFUSALS):
                raise RequestRejected(f"Octopus at {self._host} refused to {action}: {clause(message)}.") from None
            raise error from None

    async def list_model_groups(self) -> list[ModelGroup]:
        data = await self._group_call("GET", GROUP_LIST, "list the groups")
        if not isinstance(data, list):
            raise BadResponse(f"Octopus at {self._host} answered the group list without a list of groups.")
        return sorted((self._group(record) for record in data), key=lambda g: g.id or 0)

    async def create_model_group(self, group: ModelGroup) -> ModelGroup:
        """Create the group; on the current generation, then make its chosen member active."""
        await self._ensure_session()
        body = group_create_body(group, legacy=bool(self._legacy))
        saved = self._group(await self._group_call("POST", GROUP_CREATE, f"create group {group.name!r}", body))
        return await self._set_active(saved, group.active)

    async def update_model_group(self, old: ModelGroup, new: ModelGroup) -> ModelGroup:
        await self._ensure_session()
        body = group_update_body(old, new, legacy=bool(self._legacy))
        saved = old
        if len(body) > 1:
            saved = self._group(await self._group_call("POST", GROUP_UPDATE, f"update group {old.name!r}", body))
        return await self._set_active(saved, new.active)

    async def _set_active(self, saved: ModelGroup, wanted: tuple[int, str] | None) -> ModelGroup:
        """`active/:id` (current only) when the member the user chose is not the active one yet."""
        if self._legacy or saved.id is None:
            return saved
        item = active_item_id(saved, wanted)
        if item is None:
            return saved
        path, action = GROUP_ACTIVE.format(id=saved.id), f"choose the active member of {saved.name!r}"
        return self._group(await self._group_call("POST", path, action, {"item_id": item}))

    async def delete_model_group(self, group_id: int) -> None:
        await self._group_call("DELETE", GROUP_DELETE.format(id=group_id), f"delete group {group_id}")

    async def last_server_sync(self) -> datetime | None:
        """`GET /channel/last-sync-time`: when the last sync ended (the process start before the first)."""
        data = await self._call("GET", LAST_SYNC, "read the last sync time")
        try:
            moment = datetime.fromisoformat(str(data))
        except ValueError:
            raise BadResponse(f"Octopus at {self._host} answered the last sync time with {data!r}.") from None
        if moment.year <= GO_ZERO_YEAR:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _fetch_record(channel: Channel) -> dict[str, Any]:
    """The channel's own record, as `fetch-model` takes it (the read-only stats left out)."""
    return {name: value for name, value in channel.raw.items() if name != "stats"}


def _server_message(response: httpx.Response) -> str:
    payload = json_or_none(response)
    return str(payload["message"]) if _is_envelope(payload) else ""


def _wanted_enabled(status: Any) -> bool:
    if isinstance(status, bool):
        return status
    if isinstance(status, ChannelStatus) and status is not ChannelStatus.UNKNOWN:
        return status.is_enabled
    raise RequestRejected(f"Cannot set an Octopus channel's status to {status!r}: choose enabled or disabled.")
