"""Client for the New API family: New API (current and legacy), One API, Veloera and compatible forks.

Follows ../shared/api/newapi.md. Auth is `Authorization: Bearer <access token>` plus the user-id
header under every fork's name. The protocol generation is detected once in `connect()` from
`GET /api/status` and from the shape of the first channel page, and refined later from what the
server answers (a 404 error object on `POST /:id/status` means "use PUT").
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Unpack

from ...errors import (
    AuthError,
    BackendError,
    BadResponse,
    DatabaseError,
    NoBalance,
    NotFound,
    NotSupported,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from ...models import (
    NEUTRAL_FIELDS,
    BackendKind,
    Channel,
    ChannelSpec,
    ChannelStatus,
    TestResult,
    TypeCode,
    join_list,
)
from ...wording import clause
from ..base import BackendBase, Capabilities, Operation, ProgressCallback, VersionSegment
from ..envelope import Envelope, ErrorAnswer
from ..http import HttpTransport, TransportSettings, json_or_none
from ..wire_values import as_int, read_records
from .admin import NewApiAdmin
from .flavors import FLAVORS, UPSTREAM_FIELDS, USER_ID_HEADERS, Flavor, flavor_from_status
from .upstream import DETECT, NewApiUpstream
from .wire import (
    NEUTRAL_TO_WIRE,
    STATUS_TO_WIRE,
    settings_object,
    NOT_CLEARABLE,
    PRIVILEGE_HINT,
    REPEATED,
    channel_from_wire,
    classify_refusal,
    joined_keys,
    model_ids,
    pack_entries,
    wire_value,
)

PAGE_SIZE = 100
PAGE_CONCURRENCY = 6
MAX_PAGES = 1000
"""A `total` that would take more pages than this is not trusted: the pages are read in turn instead."""
SLOW_CALL_TIMEOUT = 120.0
"""Tests, model fetches and balance queries wait for the upstream: they get a long timeout."""

UPSTREAM_LIST_FAILED = "Failed to fetch models"
"""Legacy New API and Veloera answer an upstream's refusal of an ad-hoc model list with HTTP 500 and
this message (veloera.md §3.7): the upstream failed, not the gateway."""

PERMISSION_PROBES = (
    (
        "POST",
        "/api/channel/fetch_models",
        "channel.sensitive_write",
        "create, copy or delete channels, nor change their keys, types, base URLs or overrides",
    ),
    ("PUT", "/api/channel/", "channel.write", "edit channels"),
    ("POST", "/api/channel/status/batch", "channel.operate", "enable, disable or test channels"),
)
"""(method, route, permission, what the account cannot do without it): routes that each need one
permission (`router/channel-router.go`, 2026) and refuse an unreadable body without acting."""


@dataclass(slots=True)
class _Protocol:
    """What was detected about the connected server; refined as the server answers."""

    flavor: Flavor
    version: str
    one_based_pages: bool
    wrapped_add: bool
    status_route: bool | None
    operations: frozenset[Operation]


class NewApiBackend(NewApiAdmin, NewApiUpstream, BackendBase):
    """A connected New API-family site."""

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str,
        user_id: int | None,
        flavor: str = "auto",
        **transport: Unpack[TransportSettings],
    ) -> None:
        if flavor != "auto" and flavor not in FLAVORS:
            raise ValueError(f"unknown New API flavor {flavor!r}")
        headers = {"Authorization": f"Bearer {access_token}", "Accept-Language": "en"}
        if user_id is not None:
            headers.update({name: str(user_id) for name in USER_ID_HEADERS})
        self._http = HttpTransport(base_url, headers=headers, **transport)
        self._envelope = Envelope(self._http, refusal=_refusal, status_error=_status_error)
        self._forced_flavor = flavor
        self._protocol: _Protocol | None = None
        self._probe_headers = {"Authorization": f"Bearer {access_token}", "Veloera-User": str(user_id)}
        self._probe_address = (base_url, transport)
        self._user_id = user_id

    # -- connection ------------------------------------------------------------------------

    async def connect(self) -> Capabilities:
        status = await self._call("GET", "/api/status", action="read the server status")
        data = status.get("data") if isinstance(status.get("data"), dict) else {}
        flavor = FLAVORS[self._forced_flavor] if self._forced_flavor != "auto" else flavor_from_status(data)
        self._protocol = _Protocol(
            flavor=flavor,
            version=str(data.get("version") or "unknown"),
            one_based_pages=flavor.one_based_pages,
            wrapped_add=flavor.wrapped_add,
            status_route=False if flavor.name == "oneapi" else None,
            operations=flavor.operations,
        )
        self.detected_label = f"{flavor.label}, version {self._protocol.version}"
        first = await self._call(
            "GET", "/api/channel/", params={"p": 0, "page_size": 1}, action="list channels"
        )
        await self._refine_from_page(first.get("data"))
        if self._forced_flavor == "auto" and self._protocol.flavor.name == "newapi-legacy":
            if "checkin_enabled" not in data and await self._answers_as_veloera():
                self._use_flavor(FLAVORS["veloera"])
        if self._require_protocol().flavor.name == "newapi" and await self._has_upstream_updates():
            self._protocol.operations |= {Operation.UPSTREAM_UPDATES}  # type: ignore[union-attr]
        self._capabilities = self._build_capabilities()
        return self._capabilities

    async def _has_upstream_updates(self) -> bool:
        """Probe the upstream-update routes with channel id 0: the server answers "invalid channel
        id" (route there) or 404 with an error object (route missing). Nothing is checked or changed."""
        try:
            await self._call("POST", DETECT, json_body={"id": 0}, action="probe the server's features")
        except NotSupported:
            return False
        except BackendError:
            return True
        return True

    async def _answers_as_veloera(self) -> bool:
        """Whether the server takes `Veloera-User` alone: Veloera before its check-in flag (veloera.md §1).

        Legacy New API refuses that request (it wants `New-Api-User`), so one extra request at
        connect tells the two apart; without a user id there is nothing to probe with.
        """
        if self._user_id is None:
            return False
        base_url, transport = self._probe_address
        probe = HttpTransport(base_url, headers=self._probe_headers, **transport)
        try:
            response = await probe.request("GET", "/api/channel/", params={"p": 0, "page_size": 1})
            body = json_or_none(response)
        except BackendError:
            return False
        finally:
            await probe.aclose()
        return response.status_code == 200 and isinstance(body, dict) and body.get("success") is True

    def _use_flavor(self, flavor: Flavor) -> None:
        protocol = self._require_protocol()
        protocol.flavor, protocol.operations = flavor, flavor.operations
        self.detected_label = f"{flavor.label}, version {protocol.version}"

    async def verify(self) -> Capabilities:
        return await self.connect()

    async def missing_permissions(self) -> tuple[str, ...]:
        """Probe New API's per-route permissions (current servers, newapi.md §1b) without changing anything.

        Each probe sends a body the handler cannot read (`[]`): a server that lets the account through
        answers it with a parse error, one that does not answers 403 before the handler runs. A route
        the server lacks (older servers, One API) proves nothing and is skipped.
        """
        missing = []
        for method, path, permission, effect in PERMISSION_PROBES:
            try:
                await self._call(method, path, json_body=[], action="probe the account's permissions")
            except PermissionDenied:
                missing.append(f"{permission} (it cannot {effect})")
            except BackendError:
                continue
        return tuple(missing)

    async def close(self) -> None:
        await self._http.aclose()

    async def _refine_from_page(self, data: Any) -> None:
        """Pagination and add-body shape from what the server really answers (newapi.md §9)."""
        protocol = self._require_protocol()
        if isinstance(data, list):
            protocol.one_based_pages = False
            if protocol.flavor.name == "newapi":
                protocol.flavor = FLAVORS["newapi-legacy"]
                protocol.operations = protocol.flavor.operations
            items = data
        elif isinstance(data, dict) and isinstance(data.get("items"), list):
            protocol.one_based_pages = True
            if protocol.flavor.name == "newapi-legacy" and self._forced_flavor == "auto":
                protocol.flavor = FLAVORS["newapi"]
                protocol.operations = protocol.flavor.operations
                protocol.wrapped_add = protocol.flavor.wrapped_add
            items = data["items"]
        else:
            raise BadResponse("The channel list had an unexpected shape; is this a New API-compatible gateway?")
        if not protocol.one_based_pages or protocol.flavor.name != "newapi":
            protocol.wrapped_add = False
            return
        sample = next((item for item in items if isinstance(item, Mapping)), None)
        wrapped = "channel_info" in sample if sample is not None else await self._route_exists("POST", "/api/channel/copy/0")
        protocol.wrapped_add = wrapped
        if not wrapped:
            protocol.operations = protocol.operations - {Operation.COPY, Operation.MULTI_KEY}

    async def _route_exists(self, method: str, path: str) -> bool:
        """A feature probe: an unknown route answers 404 with an OpenAI-style error object."""
        try:
            await self._call(method, path, action="probe the server's features")
        except NotSupported:
            return False
        except BackendError:
            return True
        return True

    def _require_protocol(self) -> _Protocol:
        if self._protocol is None:
            raise RuntimeError("connect() must be awaited first")
        return self._protocol

    def _build_capabilities(self) -> Capabilities:
        protocol = self._require_protocol()
        flavor = protocol.flavor
        notes = []
        if not protocol.wrapped_add:
            notes.append("Creates send a bare channel body (pre-v0.8.8 protocol).")
        if not protocol.one_based_pages:
            notes.append("0-based pagination with a bare array (pre-v0.8.4 protocol).")
        upstream = Operation.UPSTREAM_UPDATES in protocol.operations
        return Capabilities(
            kind=BackendKind.NEWAPI,
            flavor=flavor.name,
            flavor_label=flavor.label,
            version=protocol.version,
            types=flavor.types,
            fields=flavor.fields + UPSTREAM_FIELDS if upstream else flavor.fields,
            columns=flavor.columns | {"upstream"} if upstream else flavor.columns,
            operations=protocol.operations,
            returns_keys=False,
            notes=tuple(notes),
            openai_type=1,
            base_url_style=VersionSegment.STRIP,
            protocol_types=flavor.protocol_types,
            untestable_types=flavor.untestable_types,
            listable_types=flavor.listable_types,
            tag_fields=flavor.tag_fields if Operation.TAG_EDIT in protocol.operations else (),
            api_rate_limit=flavor.api_rate_limit,
        )

    # -- the envelope ----------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, action: str, **options: Any) -> dict[str, Any]:
        """`Envelope.call` with New API's refusals and HTTP errors (its options, its errors)."""
        return await self._envelope.call(method, path, action=action, **options)

    # -- listing ---------------------------------------------------------------------------

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        """Every channel, all pages; a record that cannot be a channel is skipped into `list_warnings`."""
        protocol = self._require_protocol()
        if protocol.one_based_pages:
            records = await self._list_one_based(on_progress)
        else:
            records = await self._list_zero_based(on_progress)
        channels, self.list_warnings = self._to_channels(records)
        return channels

    async def _page(self, page: int) -> Any:
        body = await self._call(
            "GET", "/api/channel/", params={"p": page, "page_size": PAGE_SIZE}, action="list channels"
        )
        return body.get("data")

    async def _list_one_based(self, on_progress: ProgressCallback | None) -> list[Any]:
        first = await self._page(1)
        items = _page_items(first, 1)
        page_size = as_int(first.get("page_size")) or PAGE_SIZE
        page_size = page_size if page_size > 0 else PAGE_SIZE
        total = as_int(first.get("total"))
        if total is None or total > page_size * MAX_PAGES:
            return await self._list_until_short_page(items, page_size, on_progress)
        if on_progress:
            on_progress(len(items), total)
        pages = math.ceil(total / page_size)
        if pages <= 1:
            return items
        limit = asyncio.Semaphore(PAGE_CONCURRENCY)
        loaded = [len(items)]

        async def fetch(page: int) -> list[Any]:
            async with limit:
                page_items = _page_items(await self._page(page), page)
            loaded[0] += len(page_items)
            if on_progress:
                on_progress(loaded[0], total)
            return page_items

        for page_items in await asyncio.gather(*(fetch(page) for page in range(2, pages + 1))):
            items.extend(page_items)
        return items

    async def _list_until_short_page(
        self, items: list[Any], page_size: int, on_progress: ProgressCallback | None
    ) -> list[Any]:
        """Pages one after the other, for a server whose `total` is not a plausible number: until a
        short page, or one that brings no channel not seen yet."""
        seen = _record_ids(items)
        page, last = 1, items
        while len(last) >= page_size:
            page += 1
            last = _page_items(await self._page(page), page)
            fresh = _record_ids(last) - seen
            if not fresh:
                break
            seen |= fresh
            items.extend(last)
            if on_progress:
                on_progress(len(items), None)
        return items

    async def _list_zero_based(self, on_progress: ProgressCallback | None) -> list[Any]:
        protocol = self._require_protocol()
        expected = protocol.flavor.fixed_page_size or PAGE_SIZE
        items: list[Any] = []
        seen: set[int] = set()
        page = 0
        while True:
            data = await self._page(page)
            if not isinstance(data, list):
                raise BadResponse(
                    f"Page {page + 1} of the channel list could not be read: the server answered "
                    f"{_shape(data)} where it had answered a list. Try refreshing."
                )
            fresh = _record_ids(data) - seen
            if not fresh:
                break
            seen |= fresh
            items.extend(record for record in data if _record_id(record) is None or _record_id(record) in fresh)
            if on_progress:
                on_progress(len(items), None)
            if len(data) < expected:
                break
            page += 1
        return items

    def _to_channels(self, records: Sequence[Any]) -> tuple[list[Channel], list[str]]:
        """The channels of `records` (the first of each id), and one warning per record skipped."""
        types = self.capabilities.types
        return read_records(records, lambda record, at: channel_from_wire(record, types, at), repeated=REPEATED)

    async def search_channels(self, keyword: str) -> list[Channel]:
        self.capabilities.require(Operation.SEARCH)
        protocol = self._require_protocol()
        params: dict[str, Any] = {"keyword": keyword}
        if not protocol.one_based_pages:
            body = await self._call("GET", "/api/channel/search", params=params, action="search channels")
            data = body.get("data")
            return self._to_channels(data if isinstance(data, list) else [])[0]
        records: list[Any] = []
        page = 1
        while True:
            body = await self._call(
                "GET",
                "/api/channel/search",
                params={**params, "p": page, "page_size": PAGE_SIZE},
                action="search channels",
            )
            data = body.get("data")
            if isinstance(data, list):
                return self._to_channels(data)[0]
            batch = _page_items(data, page)
            records.extend(batch)
            total = as_int(data.get("total")) or 0
            if not batch or len(records) >= total:
                return self._to_channels(records)[0]
            page += 1

    async def reveal_key(self, channel_id: int) -> str:
        """The stored key, where the server answers it on `GET /api/channel/:id` (Veloera; veloera.md §3.3)."""
        self.capabilities.require(Operation.REVEAL_KEY)
        return (await self.get_channel(channel_id)).key or ""

    async def get_channel(self, channel_id: int) -> Channel:
        body = await self._call("GET", f"/api/channel/{channel_id}", action=f"read channel {channel_id}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise NotFound(f"Channel {channel_id} does not exist on this server.")
        return channel_from_wire(data, self.capabilities.types)

    # -- create / update -------------------------------------------------------------------

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        self.capabilities.require(Operation.CREATE)
        protocol = self._require_protocol()
        key = joined_keys(spec.key, protocol.flavor.key_separator)
        if not key:
            raise RequestRejected("A channel needs an API key.")
        multi_key_mode = spec.extra.get("multi_key_mode")
        if "\n" in key and not (protocol.wrapped_add and multi_key_mode):
            raise RequestRejected(
                "The key has several lines. This server would turn it into one channel per line"
                if not protocol.wrapped_add
                else "The key has several lines. Choose a multi-key mode (random or polling) to keep them "
                "in one channel, or create one channel per key"
            )
        record: dict[str, Any] = {
            "type": spec.type,
            "name": spec.name,
            "key": key,
            "base_url": spec.base_url,
            "models": join_list(spec.models),
            "group": join_list(spec.groups) or "default",
            "status": STATUS_TO_WIRE[spec.status.is_enabled],
        }
        if spec.priority is not None:
            record["priority"] = spec.priority
        if spec.weight is not None:
            record["weight"] = spec.weight
        if spec.tag and self.capabilities.field("tag"):
            record["tag"] = spec.tag
        extra = {k: v for k, v in spec.extra.items() if k != "multi_key_mode"}
        record.update(self._fold_nested(extra, {}))
        pack_entries(record, {})
        if protocol.wrapped_add:
            body: dict[str, Any] = {"mode": "multi_to_single" if multi_key_mode else "single", "channel": record}
            if multi_key_mode:
                body["multi_key_mode"] = multi_key_mode
        else:
            body = record
        await self._call("POST", "/api/channel/", json_body=body, action=f"create channel {spec.name!r}")
        return await self._find_created(spec)

    async def _find_created(self, spec: ChannelSpec) -> Channel:
        """The add route returns no id: find the newest channel with that exact name and type."""
        candidates = await self.search_channels(spec.name)
        matches = [c for c in candidates if c.name == spec.name and c.type.code == spec.type]
        if not matches:
            raise BadResponse(
                f"The gateway accepted channel {spec.name!r} but it cannot be found afterwards; refresh the list."
            )
        return max(matches, key=lambda c: c.id)

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        """PUT only the changed fields plus `id`; a status change goes through `set_status`."""
        self.capabilities.require(Operation.UPDATE)
        body: dict[str, Any] = {"id": channel.id}
        nested = {n: v for n, v in changes.items() if (f := self.capabilities.field(n)) is not None and f.within}
        if nested:
            fresh = changes if "settings" in changes else (await self.get_channel(channel.id)).raw
            changes = {**{n: v for n, v in changes.items() if n not in nested}, **self._fold_nested(nested, fresh)}
        for name, value in changes.items():
            if name == "status":
                continue
            if name == "key" and (not value or "•" in str(value)):
                continue
            if name == "key":
                value = joined_keys(str(value), self._require_protocol().flavor.key_separator)
            if name in NEUTRAL_FIELDS:
                body[NEUTRAL_TO_WIRE[name]] = wire_value(name, value)
            else:
                body[name] = value
        pack_entries(body, channel.raw)
        for wire_name in NOT_CLEARABLE & body.keys():
            if body[wire_name] in ("", None):
                raise RequestRejected(
                    f"New API cannot clear '{wire_name}': the server keeps the old value when it is empty."
                )
        updated = channel
        if len(body) > 1:
            answer = await self._call("PUT", "/api/channel/", json_body=body, action=f"update channel {channel.name!r}")
            data = answer.get("data")
            updated = (
                channel_from_wire(data, self.capabilities.types)
                if isinstance(data, dict)
                else await self.get_channel(channel.id)
            )
        status = changes.get("status")
        if isinstance(status, ChannelStatus) and status is not channel.status:
            await self.set_status(channel.id, status is ChannelStatus.ENABLED)
            updated = replace(
                updated,
                status=ChannelStatus.ENABLED if status is ChannelStatus.ENABLED else ChannelStatus.MANUALLY_DISABLED,
            )
        return updated

    def _fold_nested(self, values: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
        """Fields kept inside a JSON-object field (`settings`) set in that field, read from `record`
        (the server's current copy, so what its detector stored meanwhile is kept); others as given."""
        folded: dict[str, Any] = {}
        containers: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            spec = self.capabilities.field(name)
            if spec is None or not spec.within:
                folded[name] = value
                continue
            container = containers.setdefault(spec.within, settings_object({"settings": record.get(spec.within)}))
            container[name] = list(value) if isinstance(value, (tuple, list)) else value
        for name, container in containers.items():
            folded[name] = json.dumps(container, ensure_ascii=False)
        return folded

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        """`POST /:id/status` on current servers; `PUT {id, status}` where that route is missing."""
        protocol = self._require_protocol()
        status = STATUS_TO_WIRE[enabled]
        action = f"{'enable' if enabled else 'disable'} channel {channel_id}"
        if protocol.status_route is not False:
            try:
                await self._call("POST", f"/api/channel/{channel_id}/status", json_body={"status": status}, action=action)
            except NotSupported:
                protocol.status_route = False
            else:
                protocol.status_route = True
                return
        await self._call("PUT", "/api/channel/", json_body={"id": channel_id, "status": status}, action=action)

    # -- delete ----------------------------------------------------------------------------

    async def delete_channel(self, channel_id: int) -> None:
        self.capabilities.require(Operation.DELETE)
        await self._call("DELETE", f"/api/channel/{channel_id}", action=f"delete channel {channel_id}")

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        if not channel_ids:
            return 0
        if not self.capabilities.supports(Operation.BATCH_DELETE):
            for channel_id in channel_ids:
                await self.delete_channel(channel_id)
            return len(channel_ids)
        body = await self._call(
            "POST", "/api/channel/batch", json_body={"ids": list(channel_ids)}, action="delete channels"
        )
        return as_int(body.get("data")) or 0

    async def delete_disabled(self) -> int:
        self.capabilities.require(Operation.DELETE_DISABLED)
        body = await self._call("DELETE", "/api/channel/disabled", action="delete disabled channels")
        return as_int(body.get("data")) or 0

    # -- upstream-facing operations ----------------------------------------------------------

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        self.capabilities.require(Operation.TEST)
        params = {"model": model} if model else None
        body = await self._call(
            "GET",
            f"/api/channel/test/{channel.id}",
            params=params,
            timeout=SLOW_CALL_TIMEOUT,
            action=f"test channel {channel.name!r}",
            allow_failure=True,
        )
        return _test_result(body)

    async def test_all(self) -> str:
        """Start the server's own test of every channel; returns what it said ("" when nothing):
        current servers queue a task (`data: {task_id, status}`), older ones answer a bare success."""
        self.capabilities.require(Operation.TEST_ALL)
        body = await self._call("GET", "/api/channel/test", action="start the server-side test of all channels")
        data = body.get("data")
        if isinstance(data, Mapping) and data.get("task_id"):
            return f"task {data['task_id']}, {data.get('status') or 'queued'}"
        return str(body.get("message") or "")

    async def fetch_models(self, channel: Channel) -> list[str]:
        self.capabilities.require(Operation.FETCH_MODELS)
        try:
            body = await self._call(
                "GET",
                f"/api/channel/fetch_models/{channel.id}",
                timeout=SLOW_CALL_TIMEOUT,
                action=f"fetch the upstream models of {channel.name!r}",
            )
        except RequestRejected as error:
            raise _upstream_failed(error) from None
        return model_ids(body.get("data"))

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        self.capabilities.require(Operation.FETCH_MODELS_ADHOC)
        try:
            body = await self._call(
                "POST",
                "/api/channel/fetch_models",
                json_body={"type": type_code, "base_url": base_url, "key": key},
                timeout=SLOW_CALL_TIMEOUT,
                action="fetch the upstream models for this key",
            )
        except RequestRejected as error:
            raise _upstream_failed(error) from None
        except ServerError as error:
            if UPSTREAM_LIST_FAILED not in error.message:
                raise
            raise RequestRejected(
                "The upstream did not list its models for this key (the gateway answered HTTP 500: "
                f"{UPSTREAM_LIST_FAILED}). Check the key and the base URL.",
                title="Upstream failed",
            ) from None
        return model_ids(body.get("data"))

    async def update_balance(self, channel_id: int) -> float:
        self.capabilities.require(Operation.BALANCE)
        try:
            body = await self._call(
                "GET",
                f"/api/channel/update_balance/{channel_id}",
                timeout=SLOW_CALL_TIMEOUT,
                action=f"query the balance of channel {channel_id}",
            )
        except RequestRejected as error:
            raise _balance_failed(error) from None
        balance = body.get("balance")
        if not isinstance(balance, (int, float)):
            raise BadResponse("The balance answer had no number in its top-level 'balance' field.")
        return float(balance)

    async def update_all_balances(self) -> None:
        self.capabilities.require(Operation.BALANCE_ALL)
        await self._call(
            "GET", "/api/channel/update_balance", timeout=SLOW_CALL_TIMEOUT * 5, action="refresh every balance"
        )

    # -- groups, tags, copy ------------------------------------------------------------------

    async def list_groups(self) -> list[str]:
        self.capabilities.require(Operation.GROUPS)
        body = await self._call("GET", "/api/group/", action="list the user groups")
        data = body.get("data")
        return [str(g) for g in data] if isinstance(data, list) else []

    async def copy_channel(self, channel_id: int, suffix: str = "_copy") -> int:
        self.capabilities.require(Operation.COPY)
        body = await self._call(
            "POST",
            f"/api/channel/copy/{channel_id}",
            params={"suffix": suffix, "reset_balance": "true"},
            action=f"copy channel {channel_id}",
        )
        data = body.get("data")
        new_id = as_int(data.get("id")) if isinstance(data, dict) else None
        if new_id is None:
            raise BadResponse("The copy answer carried no new channel id.")
        return new_id

    async def set_tag(self, channel_ids: Sequence[int], tag: str | None) -> None:
        self.capabilities.require(Operation.BATCH_TAG)
        await self._call(
            "POST",
            "/api/channel/batch/tag",
            json_body={"ids": list(channel_ids), "tag": tag or ""},
            action="set the tag",
        )

    async def set_tag_status(self, tag: str, enabled: bool) -> None:
        self.capabilities.require(Operation.TAG_STATUS)
        route = "enabled" if enabled else "disabled"
        await self._call(
            "POST", f"/api/channel/tag/{route}", json_body={"tag": tag}, action=f"{route[:-1]} tag {tag!r}"
        )


def _test_result(body: Mapping[str, Any]) -> TestResult:
    """A test answer in either shape: `time` and `error_code` at the top level (New API up to 2026-08),
    or inside `data` (`{"success":true,"data":{"time":1.234}}`, newer servers); time in seconds."""
    data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
    seconds = data.get("time", body.get("time"))
    code = data.get("error_code") or body.get("error_code") or ""
    ok = body.get("success") is not False
    message = str(body.get("message") or ("" if ok else "test failed"))
    return TestResult(
        ok=ok,
        seconds=float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None,
        message=message,
        error_code=str(code),
    )


def _upstream_failed(error: RequestRejected) -> RequestRejected:
    """A model fetch the gateway answered with `success:false`: its upstream failed, not the gateway."""
    reason = error.message.split(": ", 1)[-1].rstrip(".")
    return RequestRejected(
        f"The upstream did not list its models ({reason}). Check the channel's base URL and key, "
        "and that the upstream is up.",
        title="Upstream failed",
    )


def _page_items(data: Any, page: int) -> list[Any]:
    """The records of a 1-based page (`{items, total, …}`), or one line on why it cannot be read."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return list(data["items"])
    if isinstance(data, dict) and data.get("items") is None and not data.get("total"):
        return []
    raise BadResponse(
        f"Page {page} of the channel list could not be read: the server answered {_shape(data)} "
        "where a page of channels ({items, total}) belongs. Try refreshing; if it persists, the "
        "server or a proxy in front of it is answering something else."
    )


def _shape(data: Any) -> str:
    if isinstance(data, dict):
        return "an object whose items are not a list" if "items" in data else "an object without items"
    return {list: "a list", str: "text", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(data), "null" if data is None else "something else"
    )


def _record_id(record: Any) -> int | None:
    return as_int(record.get("id")) if isinstance(record, Mapping) else None


def _record_ids(records: Sequence[Any]) -> set[int]:
    return {number for number in map(_record_id, records) if number is not None}


_UPSTREAM_ANSWER = re.compile(r'^(status code: \d+|(Get|Post) ")')
"""How New API words a failed upstream call in `updateChannelBalance` (`GetResponseBody`, `http.Client`)."""


CANNOT_QUERY = {
    "尚未实现": "the gateway cannot query the balance of this channel type",
    "not implemented": "the gateway cannot query the balance of this channel type",
    "多密钥渠道不支持余额查询": "the gateway cannot query the balance of a multi-key channel",
}
"""Refusals that mean "this channel has no balance to query" (the server's own words) -> reason."""


def _balance_failed(error: RequestRejected) -> RequestRejected:
    """A balance query the gateway answered with `success:false`: `NoBalance` when the gateway
    cannot query this channel, the upstream's fault when the reason is an upstream's HTTP status or
    transport error, else the gateway's own refusal."""
    cannot = next((why for marker, why in CANNOT_QUERY.items() if marker in error.message.lower()), None)
    if cannot is not None:
        return NoBalance(cannot)
    reason = error.message.split(": ", 1)[-1].rstrip(".")
    if not _UPSTREAM_ANSWER.match(reason):
        return error
    return RequestRejected(
        f"The upstream did not report its balance ({reason}). Check the channel's base URL and key, "
        "and that the upstream is up.",
        title="Upstream failed",
    )


def _refusal(message: str, action: str) -> BackendError:
    return classify_refusal(message, action=action)


def _status_error(answer: ErrorAnswer) -> BackendError:
    """New API's HTTP errors (newapi.md §1): a 401's `AUTH_TOKEN_EXPIRED` code (current servers), a
    404 with the relay's error object for a route the server lacks, and a 502/504 carrying the
    gateway's own `success: false` (newer builds answer a failed model fetch so), read like the
    same answer with HTTP 200."""
    status, body, message, action = answer.status, answer.body, answer.message, answer.action
    if status == 401:
        expired = isinstance(body, dict) and body.get("code") == "AUTH_TOKEN_EXPIRED"
        return AuthError(
            ("The access token has expired or was revoked" if expired else "The gateway refused the credentials")
            + (f" ({message})." if message else ".")
            + " Check the site's access token and user id; a new token can be generated in the "
            "gateway's personal settings (it replaces the old one)."
        )
    if status == 403:
        return PermissionDenied(f"The gateway refused to {action} (HTTP 403: {message or 'forbidden'}). {PRIVILEGE_HINT}")
    if status == 404:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return NotSupported(
                f"This server has no {answer.method} {_route_of(answer.path)} route, so it cannot {action} "
                "(an older or different New API-family version)."
            )
        return NotFound(f"Could not {action}: {message or 'not found'} (HTTP 404).")
    if status in (400, 409):
        return RequestRejected(f"The gateway refused to {action}: {message or f'HTTP {status}'}")
    if status >= 500:
        database = DatabaseError.from_message(message, action=action)
        if database is not None:
            return database
        if status in (502, 504) and isinstance(body, dict) and body.get("success") is False and message:
            return classify_refusal(message, action=action)
        said = f": {clause(message)}." if message else "."
        return ServerError(
            f"The gateway failed while trying to {action} (HTTP {status}){said} "
            "See the gateway's logs; retrying later may help."
        )
    return BadResponse(f"Unexpected HTTP {status} from {answer.path} while trying to {action}.")


def _route_of(path: str) -> str:
    """`/api/channel/5/status` -> `/api/channel/:id/status`, for messages about missing routes."""
    return "/".join(":id" if part.isdigit() else part for part in path.split("/"))
