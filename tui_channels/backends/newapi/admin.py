"""New API operations beyond channel CRUD: tags, multi-key channels, model catalogs, maintenance.

A mixin of `NewApiBackend` (kept apart so the client module stays about channels). Each method
checks the connected server's capabilities first, so One API or a legacy New API answers with a
readable `NotSupported` instead of a raw 404 (newapi.md §3, §3.12, §3.13).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ...errors import BadResponse
from ...models import ChannelStatus
from ..base import Capabilities, Operation
from ..wire_values import as_int, as_list, as_text
from .wire import model_ids

MULTI_KEY_ACTIONS = frozenset(
    {"enable_key", "disable_key", "delete_key", "enable_all_keys", "disable_all_keys", "delete_disabled_keys"}
)
_KEY_STATUS = {1: ChannelStatus.ENABLED, 2: ChannelStatus.MANUALLY_DISABLED, 3: ChannelStatus.AUTO_DISABLED}


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """One key of a multi-key channel as the server describes it (the key itself is only a preview)."""

    index: int
    status: ChannelStatus
    preview: str
    reason: str
    disabled_time: int | None


@dataclass(frozen=True, slots=True)
class KeyStatusPage:
    keys: tuple[KeyStatus, ...]
    total: int
    page: int
    total_pages: int
    enabled: int
    manually_disabled: int
    auto_disabled: int


@dataclass(frozen=True, slots=True)
class FixResult:
    """What `POST /api/channel/fix` rebuilt; legacy servers only report the successes."""

    succeeded: int
    failed: int


class _Caller(Protocol):
    capabilities: Capabilities
    _call: Callable[..., Awaitable[dict[str, Any]]]


class NewApiAdmin:
    """Tag, multi-key, catalog and maintenance calls; mixed into `NewApiBackend`."""

    async def edit_tag(self: _Caller, tag: str, changes: Mapping[str, Any]) -> None:
        """`PUT /api/channel/tag`: `changes` may hold new_tag, priority, weight, model_mapping,
        models, groups, param_override, header_override (the server's own names; note `groups`)."""
        self.capabilities.require_tag_edit(changes)
        await self._call("PUT", "/api/channel/tag", json_body={"tag": tag, **changes}, action=f"edit tag {tag!r}")

    async def tag_models(self: _Caller, tag: str) -> list[str]:
        """The longest model list among the tag's channels (what the web UI pre-fills)."""
        self.capabilities.require(Operation.TAG_EDIT)
        body = await self._call("GET", "/api/channel/tag/models", params={"tag": tag}, action=f"read tag {tag!r} models")
        data = body.get("data")
        return [m.strip() for m in str(data or "").split(",") if m.strip()]

    async def model_catalog(self: _Caller) -> list[str]:
        """Every model name the server knows (`GET /api/channel/models`), for pickers."""
        self.capabilities.require(Operation.MODEL_CATALOG)
        body = await self._call("GET", "/api/channel/models", action="list the known models")
        return model_ids(body.get("data"))

    async def enabled_models(self: _Caller) -> list[str]:
        """Distinct models served by enabled channels (`GET /api/channel/models_enabled`)."""
        self.capabilities.require(Operation.MODELS_ENABLED)
        body = await self._call("GET", "/api/channel/models_enabled", action="list the enabled models")
        return model_ids(body.get("data"))

    async def fix_abilities(self: _Caller) -> FixResult:
        """Rebuild the abilities table; current servers count successes and failures."""
        self.capabilities.require(Operation.FIX_ABILITIES)
        body = await self._call("POST", "/api/channel/fix", action="fix the channel abilities")
        data = body.get("data")
        if isinstance(data, dict):
            return FixResult(as_int(data.get("success")) or 0, as_int(data.get("fails")) or 0)
        return FixResult(as_int(data) or 0, 0)

    async def key_status(self: _Caller, channel_id: int, page: int = 1, page_size: int = 50) -> KeyStatusPage:
        """One page of a multi-key channel's keys with their status and disabled reason."""
        self.capabilities.require(Operation.MULTI_KEY)
        body = await self._call(
            "POST",
            "/api/channel/multi_key/manage",
            json_body={"channel_id": channel_id, "action": "get_key_status", "page": page, "page_size": page_size},
            action=f"list the keys of channel {channel_id}",
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponse("The key status answer had no data object.")
        keys = tuple(
            KeyStatus(
                index=index,
                status=_KEY_STATUS.get(as_int(item.get("status")) or 0, ChannelStatus.UNKNOWN),
                preview=as_text(item.get("key_preview")),
                reason=as_text(item.get("reason")),
                disabled_time=as_int(item.get("disabled_time")) or None,
            )
            for item in as_list(data.get("keys"))
            if isinstance(item, dict) and (index := as_int(item.get("index", 0))) is not None
        )
        return KeyStatusPage(
            keys=keys,
            total=as_int(data.get("total")) or len(keys),
            page=as_int(data.get("page")) or page,
            total_pages=as_int(data.get("total_pages")) or 1,
            enabled=as_int(data.get("enabled_count")) or 0,
            manually_disabled=as_int(data.get("manual_disabled_count")) or 0,
            auto_disabled=as_int(data.get("auto_disabled_count")) or 0,
        )

    async def manage_keys(self: _Caller, channel_id: int, action: str, key_index: int | None = None) -> str:
        """Enable, disable or delete one key (by index), or all keys, or all disabled keys."""
        self.capabilities.require(Operation.MULTI_KEY)
        if action not in MULTI_KEY_ACTIONS:
            raise ValueError(f"unknown multi-key action {action!r}")
        body: dict[str, Any] = {"channel_id": channel_id, "action": action}
        if key_index is not None:
            body["key_index"] = key_index
        answer = await self._call(
            "POST",
            "/api/channel/multi_key/manage",
            json_body=body,
            action=f"{action.replace('_', ' ')} on channel {channel_id}",
        )
        return str(answer.get("message") or "done")
