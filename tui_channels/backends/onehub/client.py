"""Client for One Hub and Done Hub (../shared/api/onehub.md).

Auth is `Authorization: Bearer <access token>` alone: no user-id header. The traps it handles:

- An update that carries `models` overwrites every column, zeroing what it was not sent (the key,
  the status, the name…). Every edit therefore reads the stored channel (`GET /api/channel/:id`,
  which includes the key), applies the change and sends the whole record back; a change of status,
  priority or weight alone goes without `models`, which the server merges (§3.3).
- The list answers `data.data` in pages of at most 100, and shows each tag as one representative
  row: every tag's members are read from `/api/channel_tag/:tag/list` (§3.1, §3.5).
- A create splits the key on new lines into several channels; a key here is one key (§3.2).
- A test needs a model: the chosen one, else the channel's test model, else its first model; a
  failing test may disable the channel (§3.6).
- Batch delete is a DELETE with a JSON body and a required, non-empty `value` (§3).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Unpack
from urllib.parse import quote

from ...errors import (
    AuthError,
    BadRecord,
    BackendError,
    BadResponse,
    ConfigError,
    NoBalance,
    NotSupported,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from ...models import Channel, ChannelSpec, ChannelStatus, TestResult, TypeCode, join_list, split_list
from ...wording import clause
from ..base import BackendBase, Capabilities, ProgressCallback
from ..envelope import Envelope, ErrorAnswer
from ..http import HttpTransport, TransportSettings, host_of
from ..wire_values import read_records
from .fields import FLAVORS, build_capabilities, flavor_from_status, is_onehub_status
from .wire import (
    plain_reason,
    MERGE_SAFE,
    STATUS_TO_WIRE,
    channel_from_wire,
    classify_refusal,
    full_update,
    model_ids,
    page_items,
    wire_changes,
)

PAGE_SIZE = 100
"""The most the list route takes (`size` over 100 is refused)."""
CONCURRENCY = 6
SLOW_CALL_TIMEOUT = 120.0
"""Tests, model fetches and balance queries wait for the upstream."""
NO_BALANCE = "provider not implemented"
"""The servers' answer to a balance query for a type without one (`controller/channel-billing.go`,
seen on One Hub 0.14.27): nothing to refresh, not a failure."""
BATCH_DELETE_VALUE = "batch_delete"
"""Batch routes require a non-empty `value`; the web UI sends this for a delete."""
TEST_FAILED = "测速失败，"
"""How a failed test's message starts (`controller/channel-test.go`), before `原因：<reason>`."""
DISABLED_BY_TEST = "已被禁用，"
"""What follows it when the server disabled the channel because of the failure."""


class OneHubBackend(BackendBase):
    """A connected One Hub or Done Hub site."""

    def __init__(
        self, base_url: str, *, access_token: str, flavor: str = "auto", **transport: Unpack[TransportSettings]
    ) -> None:
        if flavor not in FLAVORS:
            raise ConfigError(f"Unknown One Hub flavor {flavor!r}: choose auto, onehub or donehub.")
        headers = {"Authorization": f"Bearer {access_token}", "Accept-Language": "en"}
        self._http = HttpTransport(base_url, headers=headers, **transport)
        self._envelope = Envelope(self._http, refusal=self._refusal, status_error=self._status_error)
        self._host = host_of(base_url)
        self._forced = flavor

    # -- connection ----------------------------------------------------------------------------

    async def connect(self) -> Capabilities:
        body = await self._call("GET", "/api/status", action="read the server status")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        if not is_onehub_status(data):
            raise ConfigError(
                f"{self._host} does not answer like One Hub or Done Hub (its status lacks their keys). "
                "Check the site's kind: New API, One API and Veloera sites are `newapi`."
            )
        flavor = flavor_from_status(data) if self._forced == "auto" else self._forced
        version = str(data.get("version") or "unknown")
        self.detected_label = f"{build_capabilities(flavor, version).flavor_label}, version {version}"
        await self._call("GET", "/api/channel/", params={"page": 1, "size": 1}, action="list channels")
        self._capabilities = build_capabilities(flavor, version)
        return self._capabilities

    async def verify(self) -> Capabilities:
        return await self.connect()

    async def close(self) -> None:
        await self._http.aclose()

    # -- the envelope --------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, action: str, **options: Any) -> dict[str, Any]:
        """`Envelope.call` with One Hub's refusals and HTTP errors (its options, its errors)."""
        return await self._envelope.call(method, path, action=action, **options)

    def _refusal(self, message: str, action: str) -> BackendError:
        return classify_refusal(message, action=action, site=self._host)

    def _status_error(self, answer: ErrorAnswer) -> BackendError:
        """One Hub's HTTP errors (onehub.md §1): any 404 is a route this version lacks (a missing
        channel is a `success: false` with HTTP 200), and only the host names the gateway."""
        status, message, action = answer.status, answer.message, answer.action
        if status == 401:
            return AuthError(
                f"{self._host} refused the credentials" + (f" ({message})" if message else "") + ". Check the "
                "site's access token (generate one in the web UI's profile settings; it replaces the old one)."
            )
        if status == 403:
            return PermissionDenied(f"{self._host} refused to {action} (HTTP 403). The account needs admin rights.")
        if status == 404:
            return NotSupported(
                f"{self._host} has no {answer.method} {answer.path} route, so it cannot {action} "
                "(another version or another gateway)."
            )
        if status >= 500:
            return ServerError(
                f"{self._host} failed while trying to {action} (HTTP {status})"
                + (f": {clause(message)}." if message else ".")
                + " See the gateway's log; retrying later may help."
            )
        return RequestRejected(f"{self._host} refused to {action}: {message or f'HTTP {status}'}")

    def _channel(self, record: Any) -> Channel:
        """A single record the server answered (get, update): one it cannot be is a bad answer."""
        try:
            return channel_from_wire(record, self.capabilities.types)
        except BadRecord as error:
            raise BadResponse(f"{self._host} answered a channel the app cannot read: {error.message}") from None

    # -- listing -------------------------------------------------------------------------------

    async def _pages(
        self, path: str, params: Mapping[str, Any], what: str, on_page: ProgressCallback | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paged list (`page` from 1, `size` up to 100), later pages in parallel."""
        first, total = page_items(
            (await self._call("GET", path, params={**params, "page": 1, "size": PAGE_SIZE}, action=what)).get("data"),
            what,
        )
        if on_page:
            on_page(len(first), total)
        if total is None or total <= len(first):
            return first
        limit = asyncio.Semaphore(CONCURRENCY)

        async def page(number: int) -> list[dict[str, Any]]:
            async with limit:
                body = await self._call("GET", path, params={**params, "page": number, "size": PAGE_SIZE}, action=what)
            return page_items(body.get("data"), what)[0]

        pages = await asyncio.gather(*(page(n) for n in range(2, math.ceil(total / PAGE_SIZE) + 1)))
        return first + [item for items in pages for item in items]

    async def tags(self) -> list[str]:
        """Every tag on the server (`GET /api/channel_tag/_all`)."""
        body = await self._call("GET", "/api/channel_tag/_all", action="list the tags")
        data = body.get("data")
        if not isinstance(data, list):
            raise BadResponse(f"{self._host} answered the tag list without a list.")
        return [str(item.get("tag")) for item in data if isinstance(item, dict) and item.get("tag")]

    async def tag_members(self, tag: str) -> list[dict[str, Any]]:
        """The channels of one tag, with their keys: One Hub answers a bare array, Done Hub pages."""
        path = f"/api/channel_tag/{quote(tag, safe='')}/list"
        return await self._pages(path, {}, f"list the channels tagged {tag!r}")

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        """The untagged channels (pages of the list), then every tag's members, newest first; a record
        that cannot be a channel is skipped into `list_warnings`."""
        done: dict[str, int] = {"untagged": 0}

        def untagged(count: int, total: int | None) -> None:
            done["untagged"] = count
            if on_progress:
                on_progress(count, None)

        records = await self._pages("/api/channel/", {"filter_tag": 1}, "list channels", untagged)
        limit = asyncio.Semaphore(CONCURRENCY)
        loaded = [len(records)]

        async def members(tag: str) -> list[dict[str, Any]]:
            async with limit:
                found = await self.tag_members(tag)
            loaded[0] += len(found)
            if on_progress:
                on_progress(loaded[0], None)
            return found

        for found in await asyncio.gather(*(members(tag) for tag in await self.tags())):
            records.extend(found)
        channels, self.list_warnings = read_records(
            records, lambda record, at: channel_from_wire(record, self.capabilities.types, at)
        )
        ordered = sorted(channels, key=lambda c: c.id, reverse=True)
        if on_progress:
            on_progress(len(ordered), len(ordered))
        return ordered

    async def search_channels(self, keyword: str) -> list[Channel]:
        """The server's `name` filter (untagged channels), its exact `key` filter, and the tags'
        members whose id, name or base URL match (the server filters tags by tag name only)."""
        needle = keyword.strip()
        if not needle:
            return await self.list_channels()
        by_name = await self._pages("/api/channel/", {"filter_tag": 1, "name": needle}, "search channels")
        by_key = await self._pages("/api/channel/", {"filter_tag": 1, "key": needle}, "search channels")
        lowered = needle.lower()
        tagged = [
            record
            for tag in await self.tags()
            for record in await self.tag_members(tag)
            if needle == str(record.get("id"))
            or lowered in str(record.get("name") or "").lower()
            or lowered in str(record.get("base_url") or "").lower()
            or needle == record.get("key")
        ]
        found, _skipped = read_records(
            [*by_name, *by_key, *tagged], lambda record, at: channel_from_wire(record, self.capabilities.types, at)
        )
        return sorted(found, key=lambda c: c.id, reverse=True)

    async def get_channel(self, channel_id: int) -> Channel:
        """One channel with its full key (`GET /api/channel/:id`)."""
        body = await self._call("GET", f"/api/channel/{channel_id}", action=f"read channel {channel_id}")
        return self._channel(body.get("data"))

    async def reveal_key(self, channel_id: int) -> str:
        return (await self.get_channel(channel_id)).key or ""

    # -- create / update -----------------------------------------------------------------------

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        """Create one channel; a key or base URL of several lines is refused (it would make several)."""
        key = spec.key.strip()
        if not key:
            raise RequestRejected("A channel needs an API key.")
        if "\n" in key or "\n" in spec.base_url.strip():
            raise RequestRejected(
                f"{self.capabilities.flavor_label} would turn each line of the key into a channel of its own. "
                "Create one channel per key (give them one tag to keep them together)."
            )
        if not spec.models:
            raise RequestRejected(f"{self.capabilities.flavor_label} channels need at least one model.")
        record: dict[str, Any] = {
            "type": spec.type,
            "name": spec.name,
            "key": key,
            "base_url": spec.base_url.strip(),
            "models": join_list(spec.models),
            "group": join_list(spec.groups) or "default",
            "tag": spec.tag or "",
        }
        if spec.priority is not None:
            record["priority"] = spec.priority
        if spec.weight is not None:
            record["weight"] = spec.weight
        record.update(wire_changes(spec.extra))
        await self._call("POST", "/api/channel/", json_body=record, action=f"create channel {spec.name!r}")
        created = await self._find_created(spec.name, key)
        if spec.status is not ChannelStatus.ENABLED:
            await self.set_status(created.id, False)
            created = replace(created, status=ChannelStatus.MANUALLY_DISABLED)
        return created

    async def _find_created(self, name: str, key: str) -> Channel:
        """The add route returns no id: the newest channel with that exact key and name."""
        found = await self._pages("/api/channel/", {"key": key}, "find the new channel")
        matches = [self._channel(r) for r in found if r.get("name") == name]
        if not matches:
            tagged = [r for r in found if r.get("tag")]
            for tag in {str(r["tag"]) for r in tagged}:
                matches += [self._channel(r) for r in await self.tag_members(tag) if r.get("key") == key]
            matches = [c for c in matches if c.name == name]
        if not matches:
            raise BadResponse(
                f"{self._host} accepted channel {name!r} but it cannot be found afterwards; refresh the list."
            )
        newest = max(matches, key=lambda c: c.id)
        return await self.get_channel(newest.id)

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        """Status, priority and weight alone: a merge update. Anything else: the stored record,
        read again, with the changes applied, sent back whole."""
        body = wire_changes({k: v for k, v in changes.items() if not (k == "key" and (not v or "•" in str(v)))})
        if not body:
            return channel
        if "key" in body and "\n" in str(body["key"]).strip():
            raise RequestRejected(f"{self.capabilities.flavor_label} keeps one key per channel.")
        action = f"update channel {channel.name!r}"
        if set(body) <= MERGE_SAFE:
            answer = await self._call("PUT", "/api/channel/", json_body={"id": channel.id, **body}, action=action)
            return self._answered(answer, channel.id)
        stored = (await self.get_channel(channel.id)).raw
        record = full_update(stored, body)
        if not split_list(record.get("models") if isinstance(record.get("models"), str) else None):
            raise RequestRejected(
                f"{self.capabilities.flavor_label} cannot save a channel without models: an update without them "
                "would keep the old list and could not clear anything. Keep at least one model."
            )
        answer = await self._call("PUT", "/api/channel/", json_body=record, action=action)
        return self._answered(answer, channel.id)

    def _answered(self, answer: Mapping[str, Any], channel_id: int) -> Channel:
        """The update answer's record (re-read by the server, key included)."""
        data = answer.get("data")
        if isinstance(data, dict) and data.get("id") == channel_id:
            return self._channel(data)
        raise BadResponse(f"{self._host} answered the update without the channel's record.")

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        """A merge update `{id, status}` (there is no status route)."""
        action = f"{'enable' if enabled else 'disable'} channel {channel_id}"
        await self._call("PUT", "/api/channel/", json_body={"id": channel_id, "status": STATUS_TO_WIRE[enabled]}, action=action)

    # -- delete --------------------------------------------------------------------------------

    async def delete_channel(self, channel_id: int) -> None:
        await self._call("DELETE", f"/api/channel/{channel_id}", action=f"delete channel {channel_id}")

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        """One `DELETE /api/channel/batch` with `{ids, value}` (the value is required, §3)."""
        if not channel_ids:
            return 0
        body = await self._call(
            "DELETE",
            "/api/channel/batch",
            json_body={"ids": list(channel_ids), "value": BATCH_DELETE_VALUE},
            action="delete channels",
        )
        return _count(body.get("data"))

    async def delete_disabled(self) -> int:
        body = await self._call("DELETE", "/api/channel/disabled", action="delete the disabled channels")
        return _count(body.get("data"))

    # -- upstream-facing -----------------------------------------------------------------------

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        """A test with `model`, else the channel's test model, else its first model; the server has
        no default of its own. A message saying the server disabled the channel is kept as it is."""
        chosen = model or str(channel.raw.get("test_model") or "") or (channel.models[0] if channel.models else "")
        if not chosen:
            return TestResult(ok=False, seconds=None, message="no model to test with: set a test model or add a model")
        body = await self._call(
            "GET",
            f"/api/channel/test/{channel.id}",
            params={"model": chosen},
            timeout=SLOW_CALL_TIMEOUT,
            action=f"test channel {channel.name!r}",
            allow_failure=True,
        )
        seconds = body.get("time")
        seconds = float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None
        if body.get("success") is False:
            return TestResult(ok=False, seconds=seconds or None, message=test_failure(str(body.get("message") or "")))
        return TestResult(ok=True, seconds=seconds, message=chosen)

    async def test_all(self) -> str:
        body = await self._call("GET", "/api/channel/test", action="start the server-side test of all channels")
        return str(body.get("message") or "started")

    async def fetch_models(self, channel: Channel) -> list[str]:
        """`provider_models_list` with the channel's id and no key: the server uses the stored channel."""
        record = {"id": channel.id, "type": channel.type.code, "key": ""}
        return await self._provider_models(record, f"fetch the upstream models of {channel.name!r}")

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        """A channel-shaped body with an empty `proxy`: One Hub v0.14.27 fails with HTTP 500 (a nil
        proxy) on a body without one."""
        record = {"type": type_code, "key": key.strip().split("\n")[0], "base_url": base_url, "proxy": ""}
        return await self._provider_models(record, "fetch the upstream models with the given key")

    async def _provider_models(self, record: Mapping[str, Any], action: str) -> list[str]:
        body = await self._call(
            "POST",
            "/api/channel/provider_models_list",
            json_body=record,
            timeout=SLOW_CALL_TIMEOUT,
            action=action,
            allow_failure=True,
        )
        if body.get("success") is False:
            raise RequestRejected(
                f"The upstream did not list its models: {clause(plain_reason(str(body.get('message') or '')))}. "
                "Check the channel's base URL and key.",
                title="Upstream failed",
            )
        return model_ids(body.get("data"))

    async def update_balance(self, channel_id: int) -> float:
        body = await self._call(
            "GET",
            f"/api/channel/update_balance/{channel_id}",
            timeout=SLOW_CALL_TIMEOUT,
            action=f"query the balance of channel {channel_id}",
            allow_failure=True,
        )
        if body.get("success") is False:
            message = str(body.get("message") or "")
            if message.startswith(NO_BALANCE):
                raise NoBalance("the gateway cannot query the balance of this channel type")
            raise RequestRejected(
                f"The balance of channel {channel_id} could not be read: {clause(plain_reason(message))}.",
                title="Upstream failed",
            )
        balance = body.get("balance")
        if not isinstance(balance, (int, float)) or isinstance(balance, bool):
            raise BadResponse("The balance answer had no number in its top-level 'balance' field.")
        return float(balance)

    async def update_all_balances(self) -> None:
        await self._call(
            "GET", "/api/channel/update_balance", timeout=SLOW_CALL_TIMEOUT * 5, action="refresh every balance"
        )

    async def list_groups(self) -> list[str]:
        """The user groups' symbols: One Hub answers them as strings, Done Hub as objects with a `symbol`."""
        body = await self._call("GET", "/api/group/", action="list the user groups")
        data = body.get("data")
        if not isinstance(data, list):
            return []
        symbols = [str(g.get("symbol") or "") if isinstance(g, dict) else str(g) for g in data]
        return [symbol for symbol in symbols if symbol]

    async def model_catalog(self) -> list[str]:
        """Every model the server knows (`GET /api/channel/models`, an OpenAI-style list)."""
        body = await self._call("GET", "/api/channel/models", action="list the known models")
        return model_ids(body.get("data"))

    # -- tags ----------------------------------------------------------------------------------

    async def set_tag(self, channel_ids: Sequence[int], tag: str | None) -> None:
        """Remove a tag (`DELETE /api/channel/:id/tag`) or set one (a whole-record update each:
        One Hub has no batch tag route)."""
        for channel_id in channel_ids:
            if tag:
                await self.update_channel(await self.get_channel(channel_id), {"tag": tag})
            else:
                await self._call("DELETE", f"/api/channel/{channel_id}/tag", action=f"untag channel {channel_id}")

    async def set_tag_status(self, tag: str, enabled: bool) -> None:
        route = "enable" if enabled else "disable"
        await self._call(
            "PUT", f"/api/channel_tag/{quote(tag, safe='')}/status/{route}", action=f"{route} tag {tag!r}"
        )

    async def tag_models(self, tag: str) -> list[str]:
        """The models of the tag's channels (they share their settings): the first member's."""
        body = await self._call("GET", f"/api/channel_tag/{quote(tag, safe='')}", action=f"read tag {tag!r}")
        data = body.get("data")
        return list(split_list(data.get("models"))) if isinstance(data, dict) else []

    async def edit_tag(self, tag: str, changes: Mapping[str, Any]) -> None:
        """Priority (and on Done Hub weight) through the tag's own route; weight on One Hub channel by
        channel; then the shared fields (a new tag name last of all) by `PUT /api/channel_tag/:tag`
        with the tag's whole record, keys included, read first (a key left out deletes its channel;
        Done Hub blanks what is left out)."""
        self.capabilities.require_tag_edit(changes)
        path = f"/api/channel_tag/{quote(tag, safe='')}"
        if "priority" in changes:
            await self._call(
                "PUT",
                f"{path}/priority",
                json_body={"type": "priority", "value": int(changes["priority"])},
                action=f"set the priority of tag {tag!r}",
            )
        if "weight" in changes:
            await self._tag_weight(tag, int(changes["weight"]))
        shared = {k: v for k, v in changes.items() if k not in ("priority", "weight")}
        if shared:
            current = await self._call("GET", path, action=f"read tag {tag!r}")
            record = current.get("data")
            if not isinstance(record, dict) or not record.get("key"):
                raise BadResponse(f"{self._host} answered tag {tag!r} without its channels' keys.")
            body = {k: v for k, v in record.items() if k not in ("KeyMap", "count", "used_quota")}
            for name, value in shared.items():
                wire = {"new_tag": "tag", "groups": "group"}.get(name, name)
                body[wire] = value
            await self._call("PUT", path, json_body=body, action=f"edit tag {tag!r}")

    async def _tag_weight(self, tag: str, weight: int) -> None:
        if self.capabilities.flavor == "donehub":
            await self._call(
                "PUT",
                f"/api/channel_tag/{quote(tag, safe='')}/priority",
                json_body={"type": "weight", "value": weight},
                action=f"set the weight of tag {tag!r}",
            )
            return
        for member in await self.tag_members(tag):
            await self._call(
                "PUT", "/api/channel/", json_body={"id": member["id"], "weight": weight}, action=f"set weight of {tag!r}"
            )


def test_failure(message: str) -> str:
    """A failed test's message in words: the upstream's reason, and whether the server switched the
    channel off because of it (the server words both in Chinese)."""
    rest = message.removeprefix(TEST_FAILED)
    disabled = rest.startswith(DISABLED_BY_TEST)
    reason = plain_reason(rest.removeprefix(DISABLED_BY_TEST).removeprefix("原因：").strip())
    return f"{reason} (the server disabled the channel)" if disabled else reason


def _count(data: Any) -> int:
    return int(data) if isinstance(data, int) and not isinstance(data, bool) else 0


__all__ = ["OneHubBackend", "BackendError"]
