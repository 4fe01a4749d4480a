"""Table-backed `/api/channel/*` handlers of the emulated New API-family server (newapi.md §3, §7).

Each handler answers the way the flavor's Go controller does: business errors are HTTP 200 with
`success:false` and the controller's own message, bodies bind with Go's decoding rules, and
updates follow GORM's zero-value semantics. Handlers take the request and the route's `:id` text.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .store import (
    READ_ONLY,
    SORTABLE,
    ChannelTable,
    Flavor,
    Sort,
    bind,
    by_tags,
    count_types,
    distinct_tags,
    go_atoi,
    is_multi_key,
    is_zero,
    json_kind,
    key_lines,
    multi_key_info,
    new_row,
    passes,
    plain,
    public_view,
    with_json_fields,
)

PRIVILEGE_MESSAGE = "Unauthorized, insufficient privileges"
INVALID_PARAMS = "Invalid parameters"
"""The current flavor's answer to a status in a PUT, or a status request it cannot read."""
SENSITIVE_COLUMNS = frozenset(
    {"key", "type", "base_url", "openai_organization", "setting", "settings", "other"}
    | {"header_override", "param_override"}
)
"""Columns only a user with `channel.sensitive_write` may change on the current flavor."""
_PATCH_EXTRAS = frozenset({"multi_key_mode", "key_mode"})
_NO_DATA = object()
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}


def reply(success: bool, message: str = "", data: Any = _NO_DATA, *, status: int = 200, **top: Any) -> JSONResponse:
    """The `{success, message, data}` envelope; extra keywords become top-level fields (`time`, `balance`)."""
    body: dict[str, Any] = {"success": success, "message": message}
    if data is not _NO_DATA:
        body["data"] = data
    body.update(top)
    return JSONResponse(body, status)


def fail(message: str, *, status: int = 200) -> JSONResponse:
    return reply(False, message, status=status)


def go_bool(text: str | None) -> bool:
    """`strconv.ParseBool`, with errors read as false as the controllers do."""
    return (text or "") in _TRUE


async def read_json(request: Request) -> tuple[Any, str]:
    """The JSON body, or the error text Go's decoder would give."""
    raw = await request.body()
    if not raw.strip():
        return None, "EOF"
    try:
        return json.loads(raw), ""
    except ValueError as exc:
        text = raw.decode("utf-8", "replace")
        position = getattr(exc, "pos", 0)
        char = text[position : position + 1] or " "
        return None, f"invalid character {char!r} looking for beginning of value"


async def read_object(request: Request, go_type: str) -> tuple[dict[str, Any], str]:
    value, error = await read_json(request)
    if error:
        return {}, error
    if not isinstance(value, dict):
        return {}, f"json: cannot unmarshal {json_kind(value)} into Go value of type {go_type}"
    return value, ""


def json_error(text: str) -> str:
    """"" when `text` is valid JSON, else Go's complaint."""
    try:
        json.loads(text)
    except ValueError as exc:
        char = text[getattr(exc, "pos", 0) : getattr(exc, "pos", 0) + 1] or " "
        return f"invalid character {char!r} looking for beginning of value"
    return ""


def _int_list(value: Any) -> list[int] | None:
    if isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        return value
    return None


def _status_filter(text: str | None) -> int | None:
    lowered = (text or "").lower()
    return 1 if lowered in ("enabled", "1") else 0 if lowered in ("disabled", "0") else None


def _group_filter(text: str | None) -> str | None:
    return None if (text or "") in ("", "all", "null") else text


def _type_filter(text: str | None) -> int | None:
    value, _ = go_atoi(text)
    return value if value is not None and value >= 0 else None


class ChannelApi:
    """Handlers over the channel table; `sensitive_write` is whether the user may touch sensitive fields."""

    def __init__(self, flavor: Flavor, table: ChannelTable, *, sensitive_write: bool) -> None:
        self.flavor = flavor
        self.table = table
        self.sensitive_write = sensitive_write

    def _views(self, ids: list[int]) -> list[dict[str, Any]]:
        rows = self.table.rows
        return [public_view(rows[i]) for i in ids]

    def _sort(self, request: Request) -> Sort:
        query = request.query_params
        if self.flavor.current and query.get("sort_by") in SORTABLE:
            return (query["sort_by"], query.get("sort_order", "").lower() != "asc")
        return ("id", True) if go_bool(query.get("id_sort")) else ("priority", True)

    def _row(self, text: str) -> tuple[dict[str, Any] | None, str]:
        channel_id, error = go_atoi(text)
        if error:
            return None, error
        row = self.table.get(channel_id or 0)
        return row, "" if row is not None else "record not found"

    # -- reads ---------------------------------------------------------------------------------

    async def list_channels(self, request: Request, _arg: str) -> JSONResponse:
        query = request.query_params
        if self.flavor.oneapi:
            page = max(go_atoi(query.get("p"))[0] or 0, 0)
            return reply(True, data=self._views(self.table.ordered(("id", True))[page * 10 : page * 10 + 10]))
        sort, tag_mode = self._sort(request), go_bool(query.get("tag_mode"))
        if not self.flavor.current:
            page = max(go_atoi(query.get("p"))[0] or 0, 0)
            size = go_atoi(query.get("page_size"))[0] or 0
            if size == 0 and self.flavor.page_size_required:
                return reply(True, data=[])
            size = size if size > 0 else 10
            ids = self.table.ordered(sort)
            return reply(True, data=self._views(self._page(ids, page * size, size, tag_mode)))
        page = max(go_atoi(query.get("p"))[0] or 1, 1)
        size = next((n for n in (go_atoi(query.get(k))[0] for k in ("page_size", "ps", "size")) if n and n > 0), 10)
        size = min(size, 100)
        status, group = _status_filter(query.get("status")), _group_filter(query.get("group"))
        ids = self.table.select(sort, status=status, type_code=_type_filter(query.get("type")), group=group)
        total = len(distinct_tags(self.table, ids)) if tag_mode else len(ids)
        data = {
            "items": self._views(self._page(ids, (page - 1) * size, size, tag_mode)),
            "total": total,
            "page": page,
            "page_size": size,
            "type_counts": self.table.type_counts(status=status, group=group),
        }
        return reply(True, data=data)

    def _page(self, ids: list[int], start: int, size: int, tag_mode: bool) -> list[int]:
        """A page of ids, or in tag mode every channel of a page of distinct tags."""
        if not tag_mode:
            return ids[start : start + size]
        return by_tags(self.table, ids, distinct_tags(self.table, ids)[start : start + size])

    async def search(self, request: Request, _arg: str) -> JSONResponse:
        query = request.query_params
        keyword = query.get("keyword", "")
        rows = self.table.rows
        if self.flavor.oneapi:
            wanted_id, prefix = go_atoi(keyword)[0], keyword.lower()
            hits = [i for i in sorted(rows) if i == wanted_id or rows[i]["name"].lower().startswith(prefix)]
            return reply(True, data=self._views(hits))
        sort, group = self._sort(request), _group_filter(query.get("group"))
        model, match = query.get("model", "").lower(), self._matcher(keyword, self.flavor.search_base_url)
        ordered = self.table.ordered(sort)
        hits = [
            i
            for i in ordered
            if model in rows[i]["models"].lower() and passes(rows[i], None, group) and match(rows[i])
        ]
        if go_bool(query.get("tag_mode")):
            in_group = [i for i in ordered if passes(rows[i], None, group)]
            hits = by_tags(self.table, in_group, distinct_tags(self.table, hits))
        if not self.flavor.current:
            return reply(True, data=self._views(hits))
        hits = [i for i in hits if passes(rows[i], _status_filter(query.get("status")), None)]
        type_counts = count_types(rows[i] for i in hits)
        wanted_type = _type_filter(query.get("type"))
        if wanted_type is not None:
            hits = [i for i in hits if rows[i]["type"] == wanted_type]
        page = max(go_atoi(query.get("p", "1"))[0] or 0, 1)
        size = go_atoi(query.get("page_size", "20"))[0] or 0
        size = size if size > 0 else 20
        items = self._views(hits[(page - 1) * size : page * size])
        return reply(True, data={"items": items, "total": len(hits), "type_counts": type_counts})

    @staticmethod
    def _matcher(keyword: str, base_url: bool) -> Callable[[dict[str, Any]], bool]:
        """`id = kw OR name LIKE %kw% OR key = kw [OR base_url LIKE %kw%]` (case-insensitive LIKE)."""
        wanted_id, lowered = go_atoi(keyword)[0], keyword.lower()

        def match(row: dict[str, Any]) -> bool:
            return (
                row["id"] == wanted_id
                or lowered in row["name"].lower()
                or row["key"] == keyword
                or (base_url and lowered in (row.get("base_url") or "").lower())
            )

        return match

    async def get_channel(self, request: Request, arg: str) -> JSONResponse:
        row, error = self._row(arg)
        if row is None:
            return fail(error)
        return reply(True, data=public_view(row, keep_key=self.flavor.reads_keys))

    async def models(self, _request: Request, _arg: str) -> JSONResponse:
        items = self.table.memo(("models",), self._model_catalog)
        if self.flavor.oneapi:
            return JSONResponse({"object": "list", "data": items})
        return reply(True, data=items)

    def _model_catalog(self) -> list[dict[str, Any]]:
        owners: dict[str, int] = {}
        for channel_id in sorted(self.table.rows):
            row = self.table.rows[channel_id]
            for name in (m for m in row["models"].split(",") if m):
                owners.setdefault(name, row["type"])
        return [self._model_item(name, owners[name]) for name in sorted(owners)]

    def _model_item(self, name: str, type_code: int) -> dict[str, Any]:
        owner = self.flavor.types.get(type_code).name.lower().replace(" ", "-")
        item: dict[str, Any] = {"id": name, "object": "model", "created": 1626777600, "owned_by": owner}
        if self.flavor.oneapi:
            return {**item, "root": name, "parent": None}
        if "embedding" in name:
            endpoints = ["embeddings"]
        else:
            endpoints = {14: ["anthropic", "openai"], 24: ["gemini", "openai"]}.get(type_code, ["openai"])
        return {**item, "supported_endpoint_types": endpoints}

    async def models_enabled(self, _request: Request, _arg: str) -> JSONResponse:
        def build() -> list[str]:
            names = {m for row in self.table.rows.values() if row["status"] == 1 for m in row["models"].split(",")}
            return sorted(names - {""})

        return reply(True, data=self.table.memo(("models_enabled",), build))

    async def tag_models(self, request: Request, _arg: str) -> JSONResponse:
        tag = request.query_params.get("tag", "")
        if not tag:
            return fail("tag不能为空", status=400)
        longest, most = "", 0
        for channel_id in self.table.ordered(("priority", True)):
            row = self.table.rows[channel_id]
            count = len(row["models"].split(",")) if row["models"] else 0
            if row.get("tag") == tag and count > most:
                longest, most = row["models"], count
        return reply(True, data=longest)

    async def ops(self, _request: Request, _arg: str) -> JSONResponse:
        return reply(True, data={"retry_times": 0})

    async def channel_key(self, _request: Request, _arg: str) -> JSONResponse:
        """Raw keys need a dashboard-session security proof, which a PAT can never carry (§3.4)."""
        return JSONResponse(
            {
                "success": False,
                "code": "SECURITY_PROOF_REQUIRED",
                "message": "Security verification is required: verify in the dashboard, then retry",
            },
            403,
        )

    # -- create --------------------------------------------------------------------------------

    async def add_channel(self, request: Request, _arg: str) -> JSONResponse:
        if self.flavor.current:
            return await self._add_wrapped(request)
        body, error = await read_object(request, "model.Channel")
        values, error = bind(self.flavor, body) if not error else ({}, error)
        if error:
            return fail(error)
        if not self.flavor.splits_keys:
            return self._insert(values, [values.get("key", "")])
        keys = key_lines(values.get("key", ""))
        if not keys:
            return fail("empty slice found")
        too_long = _long_model_name(values)
        return fail(too_long) if too_long else self._insert(values, keys)

    async def _add_wrapped(self, request: Request) -> JSONResponse:
        body, error = await read_object(request, "controller.AddChannelRequest")
        if error:
            return fail(error)
        channel = body.get("channel")
        if channel is None:
            return fail("channel cannot be empty")
        if not isinstance(channel, dict):
            return fail(
                f"json: cannot unmarshal {json_kind(channel)} into Go struct field "
                "AddChannelRequest.channel of type model.Channel"
            )
        values, error = bind(self.flavor, channel)
        error = error or self._validate(values, adding=True)
        if error:
            return fail(error)
        mode, key = body.get("mode"), values["key"]
        if mode == "single":
            return self._insert(values, [key])
        if mode == "batch":
            keys = key_lines(key)
            prefixed = body.get("batch_add_set_key_prefix_2_name") is True and len(keys) > 1
            return self._insert(values, keys, prefix_names=prefixed) if keys else fail("empty slice found")
        if mode == "multi_to_single":
            keys = key_lines(key)
            mode_name = body.get("multi_key_mode") if body.get("multi_key_mode") in ("random", "polling") else ""
            return self._insert(values, ["\n".join(keys)], info=multi_key_info(len(keys), mode_name))
        return fail("不支持的添加模式")

    def _validate(self, values: dict[str, Any], *, adding: bool) -> str:
        """The current flavor's `validateChannel`: setting JSON, New API base URL, key, model names."""
        setting = values.get("setting")
        if setting and json_error(setting):
            return f"渠道额外设置[channel setting] 格式错误：{json_error(setting)}"
        if values.get("type") == 60 and not (values.get("base_url") or "").strip():
            return "New API channel base URL cannot be empty"
        if adding and not values.get("key"):
            return "channel cannot be empty"
        return _long_model_name(values) if adding else ""

    def _insert(
        self,
        values: dict[str, Any],
        keys: list[str],
        *,
        prefix_names: bool = False,
        info: dict[str, Any] | None = None,
    ) -> JSONResponse:
        """Insert one row per key, as `BatchInsertChannels` does; an explicit id must be free."""
        explicit = values.get("id") or 0
        if explicit and (len(keys) > 1 or explicit in self.table.rows):
            return fail("UNIQUE constraint failed: channels.id")
        now = int(time.time())
        for key in keys:
            name = f"{values.get('name', '')} {key[:8]}" if prefix_names else values.get("name", "")
            row = new_row(self.flavor, {**values, "key": key, "name": name, "created_time": now})
            if info is not None:
                row["channel_info"] = dict(info)
            self.table.insert(row)
        return reply(True)

    # -- update --------------------------------------------------------------------------------

    async def update_channel(self, request: Request, _arg: str) -> JSONResponse:
        package, struct = ("controller", "PatchChannel") if self.flavor.current else ("model", "Channel")
        body, error = await read_object(request, f"{package}.{struct}")
        values, error = bind(self.flavor, body, struct) if not error else ({}, error)
        if error:
            return fail(error)
        if self.flavor.current and "status" in body:
            return fail(INVALID_PARAMS)
        channel_id = values.pop("id", 0)
        row = self.table.get(channel_id)
        if not channel_id and not self.flavor.current:
            return fail("WHERE conditions required")
        if row is None:
            return fail("record not found")
        if self.flavor.current:
            if not self.sensitive_write and self._touches_sensitive(body, values, row):
                return fail(PRIVILEGE_MESSAGE)
            error = self._validate(values, adding=False)
            if error:
                return fail(error)
            for name in READ_ONLY | {"channel_info"}:
                values.pop(name, None)
            if is_multi_key(row):
                self._update_multi_key(row, values, body)
        for name, value in values.items():
            if self.flavor.column_map[name].pointer or not is_zero(value):
                row[name] = value
        return reply(True, data=public_view(row, keep_key=self.flavor.oneapi or self.flavor.reads_keys))

    def _touches_sensitive(self, body: dict[str, Any], values: dict[str, Any], row: dict[str, Any]) -> bool:
        """Whether the PUT changes a sensitive column, sets `key_mode`, or carries an unknown field."""
        columns = self.flavor.column_map
        if any(name not in columns and name not in _PATCH_EXTRAS for name in body) or body.get("key_mode"):
            return True
        return any(
            (columns[name].pointer or not is_zero(values[name])) and values[name] != row.get(name)
            for name in SENSITIVE_COLUMNS & values.keys()
        )

    @staticmethod
    def _update_multi_key(row: dict[str, Any], values: dict[str, Any], body: dict[str, Any]) -> None:
        """`key_mode` append merges new keys into the pool; otherwise a new key replaces the pool."""
        info = dict(row["channel_info"])
        if body.get("multi_key_mode") in ("random", "polling"):
            info["multi_key_mode"] = body["multi_key_mode"]
        new_keys = key_lines(values.pop("key", ""))
        if new_keys:
            if body.get("key_mode") == "append":
                old_keys = key_lines(row["key"])
                new_keys = old_keys + [k for k in dict.fromkeys(new_keys) if k not in old_keys]
            else:
                info["multi_key_status_list"] = None
                info.pop("multi_key_disabled_reason", None)
                info.pop("multi_key_disabled_time", None)
            info["multi_key_size"] = len(new_keys)
            row["key"] = "\n".join(new_keys)
        _store_info(row, info)

    # -- status --------------------------------------------------------------------------------

    async def set_status(self, request: Request, arg: str) -> JSONResponse:
        """`data` says whether anything changed: a missing channel, like an unchanged one, is `false`."""
        channel_id, error = go_atoi(arg)
        body, bad_body = await read_object(request, "controller.ChannelStatusRequest")
        status = body.get("status")
        if error or bad_body or status not in (1, 2) or isinstance(status, bool):
            return fail(INVALID_PARAMS)
        row = self.table.get(channel_id or 0)
        return reply(True, data=row is not None and change_status(row, status, "manual operation"))

    async def set_status_batch(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_object(request, "controller.ChannelBatchStatusRequest")
        ids, status = _int_list(body.get("ids")), body.get("status")
        if error or not ids or status not in (1, 2) or isinstance(status, bool):
            return fail(INVALID_PARAMS)
        rows = [row for i in ids if (row := self.table.get(i)) is not None]
        return reply(True, data=sum(change_status(row, status, "manual operation") for row in rows))

    # -- delete --------------------------------------------------------------------------------

    async def delete_channel(self, _request: Request, arg: str) -> JSONResponse:
        channel_id, _ = go_atoi(arg)
        self.table.delete([channel_id or 0])
        return reply(True)

    async def delete_batch(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_object(request, "controller.ChannelBatch")
        ids = _int_list(body.get("ids"))
        if error or not ids:
            return fail("参数错误")
        deleted = self.table.delete(ids)
        return reply(True, data=deleted if self.flavor.current else len(ids))

    async def delete_disabled(self, _request: Request, _arg: str) -> JSONResponse:
        return reply(True, data=self.table.delete([r["id"] for r in self.table if r["status"] in (2, 3)]))

    # -- tags ----------------------------------------------------------------------------------

    async def enable_tag(self, request: Request, _arg: str) -> JSONResponse:
        return await self._tag_status(request, 1)

    async def disable_tag(self, request: Request, _arg: str) -> JSONResponse:
        return await self._tag_status(request, 2)

    async def _tag_status(self, request: Request, status: int) -> JSONResponse:
        body, error = await read_object(request, "controller.ChannelTag")
        tag = body.get("tag")
        if error or not isinstance(tag, str) or not tag:
            return fail("参数错误")
        for row in self.table:
            if row.get("tag") == tag:
                row["status"] = status
        return reply(True)

    async def edit_tag(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_object(request, "controller.ChannelTag")
        overrides = ("param_override", "header_override") if self.flavor.current else ()
        texts = ("tag", "new_tag", "model_mapping", "models", "groups", *overrides)
        numbers_ok = all(
            body.get(k) is None or (isinstance(body[k], int) and not isinstance(body[k], bool))
            for k in ("priority", "weight")
        )
        if error or not numbers_ok or (body.get("weight") or 0) < 0:
            return fail("参数错误")
        if any(body.get(k) is not None and not isinstance(body[k], str) for k in texts):
            return fail("参数错误")
        tag = body.get("tag") or ""
        if not tag:
            return fail("tag不能为空")
        if any(body.get(k) is not None for k in overrides) and not self.sensitive_write:
            return fail(PRIVILEGE_MESSAGE)
        changes: dict[str, Any] = {}
        for name, label in zip(overrides, ("参数覆盖", "请求头覆盖")):
            if body.get(name) is not None:
                trimmed = body[name].strip()
                if trimmed and json_error(trimmed):
                    return fail(f"{label}必须是合法的 JSON 格式")
                changes[name] = trimmed
        if body.get("new_tag"):
            changes["tag"] = body["new_tag"]
        for name in ("model_mapping", "priority", "weight"):
            if body.get(name) is not None:
                changes[name] = body[name]
        if body.get("models"):
            changes["models"] = body["models"]
        if body.get("groups"):
            changes["group"] = body["groups"]
        for row in self.table:
            if row.get("tag") == tag:
                row.update(changes)
        return reply(True)

    async def batch_tag(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_object(request, "controller.ChannelBatch")
        ids, tag = _int_list(body.get("ids")), body.get("tag")
        if error or not ids or (tag is not None and not isinstance(tag, str)):
            return fail("参数错误")
        for channel_id in ids:
            row = self.table.get(channel_id)
            if row is not None:
                row["tag"] = tag
        return reply(True, data=len(ids))

    # -- copy, fix -----------------------------------------------------------------------------

    async def copy_channel(self, request: Request, arg: str) -> JSONResponse:
        row, error = self._row(arg)
        if row is None:
            return fail(error)
        query = request.query_params
        clone = plain(row)
        clone.update(id=0, name=row["name"] + query.get("suffix", "_复制"), created_time=int(time.time()))
        if go_bool(query.get("reset_balance", "true")):
            clone.update(balance=0.0, balance_updated_time=0, used_quota=0)
        return reply(True, data={"id": self.table.insert(clone)})

    async def fix_abilities(self, _request: Request, _arg: str) -> JSONResponse:
        count = len(self.table.rows)
        return reply(True, data={"success": count, "fails": 0} if self.flavor.current else count)

    # -- multi-key -----------------------------------------------------------------------------

    async def manage_multi_key(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_object(request, "controller.MultiKeyManageRequest")
        if error:
            return fail(error)
        channel_id = body.get("channel_id")
        row = self.table.get(channel_id) if isinstance(channel_id, int) else None
        if row is None:
            return fail("渠道不存在")
        if not is_multi_key(row):
            return fail("该渠道不是多密钥模式")
        action = body.get("action")
        if action in ("delete_key", "delete_disabled_keys") and not self.sensitive_write:
            return fail(PRIVILEGE_MESSAGE)
        if action == "get_key_status":
            return reply(True, data=_key_status(row, body))
        if action in ("disable_key", "enable_key", "delete_key"):
            return _one_key(row, action, body.get("key_index"))
        if action == "enable_all_keys":
            info = row["channel_info"]
            enabled = len(info.get("multi_key_status_list") or {})
            cleared = {"multi_key_status_list": {}, "multi_key_disabled_reason": {}, "multi_key_disabled_time": {}}
            _store_info(row, {**info, **cleared})
            return reply(True, f"已启用 {enabled} 个密钥")
        if action == "disable_all_keys":
            info = dict(row["channel_info"])
            statuses = dict(info.get("multi_key_status_list") or {})
            enabled = [str(i) for i in range(info["multi_key_size"]) if statuses.get(str(i), 1) == 1]
            if not enabled:
                return fail("没有可禁用的密钥")
            _store_info(row, {**info, "multi_key_status_list": {**statuses, **dict.fromkeys(enabled, 2)}})
            return reply(True, f"已禁用 {len(enabled)} 个密钥")
        if action == "delete_disabled_keys":
            removed = _keep_keys(row, lambda _index, status: status != 3)
            if not removed:
                return fail("没有需要删除的自动禁用密钥")
            return reply(True, f"已删除 {removed} 个自动禁用的密钥", data=removed)
        return fail("不支持的操作")


def _store_info(row: dict[str, Any], info: dict[str, Any]) -> None:
    """Save `channel_info`, dropping empty reason/time maps as Go's `omitempty` does."""
    row["channel_info"] = {
        k: v for k, v in info.items() if v or k not in ("multi_key_disabled_reason", "multi_key_disabled_time")
    }


def _long_model_name(values: dict[str, Any]) -> str:
    """The error for a model name over the 255-character column limit, or ""."""
    return next((f"模型名称过长: {m}" for m in values.get("models", "").split(",") if len(m) > 255), "")


def change_status(row: dict[str, Any], status: int, reason: str | None) -> bool:
    """Set a channel's status; a reason is recorded in `other_info` (single-key New API channels)."""
    if row["status"] == status:
        return False
    row["status"] = status
    if reason and "other_info" in row and not is_multi_key(row):
        row["other_info"] = with_json_fields(row["other_info"], status_reason=reason, status_time=int(time.time()))
    return True


def _key_status(row: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """One page of a multi-key pool's per-key status, with counts over the whole pool."""
    info = row["channel_info"]
    statuses = info.get("multi_key_status_list") or {}
    reasons = info.get("multi_key_disabled_reason") or {}
    times = info.get("multi_key_disabled_time") or {}
    counts = {1: 0, 2: 0, 3: 0}
    entries = []
    for index, key in enumerate(key_lines(row["key"])):
        status = statuses.get(str(index), 1)
        counts[status] = counts.get(status, 0) + 1
        entry: dict[str, Any] = {"index": index, "status": status}
        if status != 1 and times.get(str(index)):
            entry["disabled_time"] = times[str(index)]
        if status != 1 and reasons.get(str(index)):
            entry["reason"] = reasons[str(index)]
        entry["key_preview"] = f"{key[:10]}..." if len(key) > 10 else key
        entries.append(entry)
    wanted = body.get("status")
    if isinstance(wanted, int):
        entries = [e for e in entries if e["status"] == wanted]
    page = body["page"] if isinstance(body.get("page"), int) and body["page"] > 0 else 1
    size = body["page_size"] if isinstance(body.get("page_size"), int) and body["page_size"] > 0 else 50
    pages = max(1, math.ceil(len(entries) / size))
    page = min(page, pages)
    return {
        "keys": entries[(page - 1) * size : page * size],
        "total": len(entries),
        "page": page,
        "page_size": size,
        "total_pages": pages,
        "enabled_count": counts[1],
        "manual_disabled_count": counts[2],
        "auto_disabled_count": counts[3],
    }


_KEY_VERBS = {"disable_key": "禁用", "enable_key": "启用", "delete_key": "删除"}


def _one_key(row: dict[str, Any], action: str, index: Any) -> JSONResponse:
    verb = _KEY_VERBS[action]
    if index is None:
        return fail(f"未指定要{verb}的密钥索引")
    info = dict(row["channel_info"])
    if not isinstance(index, int) or not 0 <= index < info["multi_key_size"]:
        return fail("密钥索引超出范围")
    if action == "delete_key":
        if len(key_lines(row["key"])) <= 1:
            return fail("不能删除最后一个密钥")
        _keep_keys(row, lambda i, _status: i != index)
        return reply(True, "密钥已删除")
    statuses = dict(info.get("multi_key_status_list") or {})
    if action == "disable_key":
        statuses[str(index)] = 2
    else:
        statuses.pop(str(index), None)
        for name in ("multi_key_disabled_reason", "multi_key_disabled_time"):
            if info.get(name):
                info[name] = {k: v for k, v in info[name].items() if k != str(index)}
    _store_info(row, {**info, "multi_key_status_list": statuses})
    return reply(True, f"密钥已{verb}")


def _keep_keys(row: dict[str, Any], keep: Callable[[int, int], bool]) -> int:
    """Drop the pool's keys that `keep(index, status)` rejects, re-indexing their status maps."""
    info = dict(row["channel_info"])
    names = ("multi_key_status_list", "multi_key_disabled_reason", "multi_key_disabled_time")
    maps = [info.get(name) or {} for name in names]
    kept: list[str] = []
    new_maps: list[dict[str, Any]] = [{}, {}, {}]
    keys = key_lines(row["key"])
    for index, key in enumerate(keys):
        if not keep(index, maps[0].get(str(index), 1)):
            continue
        for old, new in zip(maps, new_maps):
            if str(index) in old:
                new[str(len(kept))] = old[str(index)]
        kept.append(key)
    info.update(zip(names, new_maps), multi_key_size=len(kept))
    row["key"] = "\n".join(kept)
    _store_info(row, info)
    return len(keys) - len(kept)
