"""Emulated One Hub (v0.14.27) and Done Hub (v1.23.18) admin APIs, for the demo gateway.

Follows ../shared/api/onehub.md and what the real servers answered, traps included: an update
carrying `models` blanks every column it was not sent (key, name, status, type…), a merge update
skips zero values; the list is nested (`data.data`, `page`, `size`, `total_count`), at most 100 a
page, and shows one representative row per tag (the highest id on One Hub, the lowest on Done
Hub) whose members come from `/api/channel_tag/:tag/list` (a bare array on One Hub, paged on Done
Hub); a create splits its key on new lines into several channels; batch delete wants a JSON body
with a non-empty `value`; a test without a model and without a test model is refused, and a test
the upstream refuses the key for disables the channel; business errors are HTTP 200
`success:false`, a missing token 401. Auth is the access token alone: no user-id header.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ...channel_types import DONEHUB_TYPES, ONEHUB_TYPES
from ..newapi.probe import Upstream, model_ids
from ..seed import seed_channels
from .store import ChannelTable, order_key, sort_rows

VERSIONS = {"onehub": "v0.14.27", "donehub": "v1.23.18"}
DEMO_TOKENS = {"onehub": "0123456789abcdef0123456789abcdef", "donehub": "fedcba9876543210fedcba9876543210"}
MAX_PAGE_SIZE = 100
GROUPS = ["default", "vip", "svip"]
PROVIDER_TYPES = {
    "openai": 1, "anthropic": 14, "gemini": 25, "deepseek": 28, "mistral": 30, "moonshot": 29,
    "qwen": 17, "zhipu": 16, "xai": 56, "siliconflow": 45,
}
UNTESTABLE = frozenset({24, 34, 41})
UNLISTABLE = frozenset({15, 16, 18, 23, 24, 32, 34, 35, 37, 38, 40, 42, 44, 46, 51, 52, 53})
BALANCE_TYPES = frozenset({1, 8, 20, 28, 45})
WEB_PAGE = "<!doctype html><html><head><title>One Hub</title></head><body><div id=root></div></body></html>"
"""What the server answers for a path outside its API: its web UI (the demo has none of its own)."""
DISABLES = ("invalid", "revoked")
"""Keys the upstream refuses with 401: a test then disables the channel (`ShouldDisableChannel`)."""
_ONEHUB_STATUS = {
    "PaymentUSDRate": 7.3, "UptimeEnabled": False, "telegram_bot": "", "EnableSafe": False, "UserInvoiceMonth": False,
    "UptimeDomain": "", "UptimePageName": "", "PaymentMinAmount": 1, "RechargeDiscount": "",
    "SafeKeyWords": [], "SafeToolName": "", "chat_link": "", "chat_links": "", "display_in_currency": True,
    "email_verification": False, "footer_html": "", "github_client_id": "", "github_oauth": False,
    "language": "en", "lark_client_id": "", "lark_login": False, "logo": "", "mj_notify_enabled": False,
    "oidc_auth": False, "quota_per_unit": 500000, "server_address": "", "top_up_link": "",
    "turnstile_check": False, "turnstile_site_key": "", "wechat_login": False, "wechat_qrcode": "",
}
_DONEHUB_STATUS = {
    "ClaudeAPIEnabled": True, "GeminiAPIEnabled": True, "builtin_chat_enabled": False,
    "invite_code_register": False, "language_switch_prompt_enabled": False, "linuxDo_client_id": "",
    "linuxDo_oauth": False, "max_log_query_days": 0, "privacy_policy_enabled": False,
    "quota_remind_threshold": 0, "user_agreement_enabled": False,
}

Handler = Callable[[Request], Awaitable[Response]]


def ok(data: Any = None, **top: Any) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "message": "", **top}
    if data is not None:
        body["data"] = data
    return JSONResponse(body)


def fail(message: str, **top: Any) -> JSONResponse:
    return JSONResponse({"success": False, "message": message, **top})


class OneHubServer:
    """One emulated server: its channel table, the access token, and its Starlette app."""

    def __init__(
        self,
        flavor: str = "onehub",
        *,
        upstream_url: str,
        channels: int = 20,
        seed: int = 5,
        access_token: str | None = None,
        system_name: str | None = None,
        upstream_timeout: float = 10.0,
    ) -> None:
        if flavor not in VERSIONS:
            raise ValueError(f"unknown One Hub flavor {flavor!r}; choose onehub or donehub")
        self.flavor = flavor
        self.donehub = flavor == "donehub"
        self.access_token = access_token or DEMO_TOKENS[flavor]
        self.system_name = system_name or ("Done Hub" if self.donehub else "One Hub")
        self.types = DONEHUB_TYPES if self.donehub else ONEHUB_TYPES
        self.table = ChannelTable(donehub=self.donehub)
        self.upstream = Upstream(upstream_timeout)
        self.requests: list[tuple[str, str, Any]] = []
        """(method, path, JSON body) of every write, for tests that check what the client sent."""
        self._test_run: asyncio.Task[None] | None = None
        self._seed(channels, seed, upstream_url)
        self.app = self._build_app()

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"success": False, "message": message}

    def channel_ids(self) -> list[int]:
        return sorted(self.table.rows)

    def record(self, channel_id: int) -> dict[str, Any]:
        """The stored row, key included, for tests to compare with."""
        return self.table.shown(self.table.rows[channel_id], with_key=True)

    def _seed(self, count: int, seed: int, upstream_url: str) -> None:
        rng = random.Random(seed)
        for item in seed_channels(count, seed=seed, upstream_url=upstream_url):
            self.table.insert(
                {
                    "type": PROVIDER_TYPES.get(item.provider, 1),
                    "name": item.name,
                    "key": item.key,
                    "base_url": item.base_url,
                    "models": ",".join(item.models),
                    "status": item.status,
                    "group": item.group,
                    "priority": item.priority,
                    "weight": max(item.weight, 1),
                    "tag": item.tag or "",
                    "balance": item.balance,
                    "response_time": item.response_time,
                    "test_time": item.test_time,
                    "used_quota": item.used_quota,
                    "created_time": item.created_time,
                    "model_mapping": item.model_mapping or None,
                    "test_model": item.models[0] if rng.random() < 0.5 else "",
                    "proxy": "",
                    "model_headers": "",
                    "custom_parameter": "",
                }
            )
        for row in self.table.rows.values():
            row["used_quota"] = rng.randint(0, 900_000_000)

    # -- app and plumbing --------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        routes = [
            Route("/api/status", self._status, methods=["GET"]),
            Route("/api/group/", self._admin(self._groups), methods=["GET"]),
            Route("/api/channel/", self._admin(self._list), methods=["GET"]),
            Route("/api/channel/", self._admin(self._create), methods=["POST"]),
            Route("/api/channel/", self._admin(self._update), methods=["PUT"]),
            Route("/api/channel/models", self._admin(self._models), methods=["GET"]),
            Route("/api/channel/provider_models_list", self._admin(self._provider_models), methods=["POST"]),
            Route("/api/channel/test", self._admin(self._test_all), methods=["GET"]),
            Route("/api/channel/test/{id}", self._admin(self._test), methods=["GET"]),
            Route("/api/channel/update_balance", self._admin(self._balance_all), methods=["GET"]),
            Route("/api/channel/update_balance/{id}", self._admin(self._balance), methods=["GET"]),
            Route("/api/channel/disabled", self._admin(self._delete_disabled), methods=["DELETE"]),
            Route("/api/channel/batch", self._admin(self._batch_delete), methods=["DELETE"]),
            Route("/api/channel/batch/del_model", self._admin(self._batch_del_model), methods=["PUT"]),
            Route("/api/channel/{id}/tag", self._admin(self._untag), methods=["DELETE"]),
            Route("/api/channel/{id}", self._admin(self._get), methods=["GET"]),
            Route("/api/channel/{id}", self._admin(self._delete), methods=["DELETE"]),
            Route("/api/channel_tag/_all", self._admin(self._tags), methods=["GET"]),
            Route("/api/channel_tag/{tag}/list", self._admin(self._tag_list), methods=["GET"]),
            Route("/api/channel_tag/{tag}/priority", self._admin(self._tag_priority), methods=["PUT"]),
            Route("/api/channel_tag/{tag}/status/{action}", self._admin(self._tag_status), methods=["PUT"]),
            Route("/api/channel_tag/{tag}/disabled", self._admin(self._tag_delete_disabled), methods=["DELETE"]),
            Route("/api/channel_tag/{tag}", self._admin(self._tag_get), methods=["GET"]),
            Route("/api/channel_tag/{tag}", self._admin(self._tag_put), methods=["PUT"]),
            Route("/api/channel_tag/{tag}", self._admin(self._tag_delete), methods=["DELETE"]),
        ]
        return Starlette(routes=routes, exception_handlers={HTTPException: self._no_route})

    async def _no_route(self, request: Request, exc: Exception) -> Response:
        """An unknown route or method: under `/api` and `/v1` the relay router's OpenAI-style error,
        elsewhere the web UI's page (One Hub v0.14, Done Hub v1.23, read from the servers)."""
        path = request.url.path
        if not path.startswith(("/api/", "/v1/")):
            return HTMLResponse(WEB_PAGE)
        message = f"Invalid URL ({request.method} {path})"
        return JSONResponse({"error": {"code": "", "message": message, "type": "invalid_request_error"}}, 404)

    def _admin(self, handler: Handler) -> Handler:
        """The access token in `Authorization` (one `Bearer ` prefix stripped); no user-id header."""

        async def guarded(request: Request) -> Response:
            token = request.headers.get("authorization", "").strip()
            token = token.removeprefix("Bearer ").strip()
            if not token:
                return JSONResponse({"success": False, "message": "无权进行此操作，未登录且未提供 access token"}, 401)
            if token != self.access_token:
                return fail("无权进行此操作，access token 无效")
            if request.method != "GET":
                self.requests.append((request.method, request.url.path, await _json(request)))
            return await handler(request)

        return guarded

    def _row(self, request: Request) -> tuple[dict[str, Any] | None, JSONResponse | None]:
        try:
            channel_id = int(request.path_params["id"])
        except ValueError:
            return None, fail(f'strconv.Atoi: parsing "{request.path_params["id"]}": invalid syntax')
        row = self.table.get(channel_id)
        return (row, None) if row is not None else (None, fail("record not found"))

    # -- status and reads -------------------------------------------------------------------

    async def _status(self, request: Request) -> Response:
        data = {
            **_ONEHUB_STATUS,
            **(_DONEHUB_STATUS if self.donehub else {}),
            "system_name": self.system_name,
            "version": VERSIONS[self.flavor],
            "start_time": 1_760_000_000,
        }
        return ok(data)

    async def _groups(self, request: Request) -> Response:
        """One Hub lists the symbols; Done Hub objects (checked on v1.23.18, unlike the contract note)."""
        if self.donehub:
            return ok([{"symbol": g, "name": f"{g}分组", "description": "", "ratio": 1} for g in GROUPS])
        return ok(GROUPS)

    async def _list(self, request: Request) -> Response:
        query = request.query_params
        try:
            page = max(int(query.get("page") or 1), 1)
            size = int(query.get("size") or 10)
        except ValueError:
            return fail("参数错误")
        if size > MAX_PAGE_SIZE:
            return fail("size 参数不能超过 100")
        size = size if size > 0 else 10
        fields, error = order_key(query.get("order", ""), donehub=self.donehub)
        if error:
            return fail(error)
        rows = [r for r in self.table.rows.values() if self._matches(r, query)]
        rows = self._collapse_tags(rows, query.get("filter_tag", "0"))
        rows = sort_rows(rows, fields)
        items = [self.table.shown(r, with_key=False) for r in rows[(page - 1) * size : page * size]]
        return ok({"data": items, "page": page, "size": size, "total_count": len(rows)})

    def _matches(self, row: dict[str, Any], query: Any) -> bool:
        """The list's filters: exact `type`, `status`, `key`, `tag`; LIKE `name` (or the tag name),
        `models`, `group` entry; prefix `other`, `test_model`; Done Hub's LIKE `base_url`."""
        for name in ("type", "status"):
            if query.get(name) and str(row[name]) != query[name]:
                return False
        if query.get("key") and row["key"] != query["key"]:
            return False
        if query.get("tag") and row["tag"] != query["tag"]:
            return False
        if query.get("name") and query["name"] not in row["name"] and query["name"] not in row["tag"]:
            return False
        if query.get("models") and query["models"] not in row["models"]:
            return False
        if query.get("group") and query["group"] not in row["group"].split(","):
            return False
        for name in ("other", "test_model"):
            if query.get(name) and not str(row[name] or "").startswith(query[name]):
                return False
        if self.donehub and query.get("base_url") and query["base_url"] not in str(row["base_url"] or ""):
            return False
        return True

    def _collapse_tags(self, rows: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
        """0: untagged plus one row per tag; 1: untagged only; 2: the tag rows only."""
        untagged = [r for r in rows if not r["tag"]]
        by_tag: dict[str, dict[str, Any]] = {}
        for row in sorted((r for r in rows if r["tag"]), key=lambda r: r["id"], reverse=not self.donehub):
            by_tag.setdefault(row["tag"], row)
        representatives = list(by_tag.values())
        if mode == "1":
            return untagged
        if mode == "2":
            return representatives
        return untagged + representatives

    async def _get(self, request: Request) -> Response:
        row, error = self._row(request)
        return error or ok(self.table.shown(row, with_key=True))  # type: ignore[arg-type]

    async def _models(self, request: Request) -> Response:
        names = sorted({m for r in self.table.rows.values() for m in r["models"].split(",") if m})
        data = [{"id": name, "object": "model", "created": 1677649963, "owned_by": "demo"} for name in names]
        return JSONResponse({"data": data})

    # -- writes ------------------------------------------------------------------------------

    async def _create(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict):
            return fail("invalid character in the JSON body")
        keys = [k for k in str(body.get("key") or "").split("\n") if k.strip()]
        if not keys:
            return fail("key 不能为空")
        urls = [u for u in str(body.get("base_url") or "").split("\n")]
        error = self._tag_mixes_types(str(body.get("tag") or ""), body.get("type"), None)
        if error:
            return fail(error)
        now = int(time.time())
        for index, key in enumerate(keys):
            values = {k: v for k, v in body.items() if k not in ("id", "used_quota")}
            values["key"] = key.strip()
            values["base_url"] = urls[index] if len(urls) == len(keys) else urls[0]
            if index:
                values["name"] = f"{body.get('name') or ''}_{index + 1}"
            values["created_time"] = now
            self.table.insert(values)
        return ok()

    async def _update(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            return fail("invalid channel id")
        row = self.table.get(body["id"])
        if row is None:
            return fail("record not found")
        if "tag" in body or "type" in body:
            error = self._tag_mixes_types(
                str(body.get("tag", row["tag"]) or ""), body.get("type", row["type"]), row["id"]
            )
            if error:
                return fail(error)
        if body.get("models"):
            self.table.overwrite(row["id"], body)
        else:
            self.table.merge(row["id"], body)
        return ok(self.table.shown(row, with_key=True))

    def _tag_mixes_types(self, tag: str, type_code: Any, channel_id: int | None) -> str:
        """Done Hub refuses a channel whose tag holds another channel of another type, on create and
        update (`model.CheckTagTypeConsistency`, v1.23.18; its own words)."""
        if not self.donehub or not tag:
            return ""
        others = {r["type"] for r in self.table.tag_members(tag) if r["id"] != channel_id}
        if others - {type_code}:
            return f"标签「{tag}」下已有其它类型的渠道，无法加入不同类型的渠道；请使用相同类型，或换一个标签名"
        return ""

    async def _delete(self, request: Request) -> Response:
        row, error = self._row(request)
        if error:
            return error
        self.table.delete(row["id"])  # type: ignore[index]
        return ok()

    async def _batch_delete(self, request: Request) -> Response:
        """`BatchChannelsParams`: both `ids` and `value` required."""
        body = await _json(request)
        ids = body.get("ids") if isinstance(body, dict) else None
        if not ids:
            return fail("Key: 'BatchChannelsParams.Ids' Error:Field validation for 'Ids' failed on the 'required' tag")
        if not body.get("value"):
            return fail(
                "Key: 'BatchChannelsParams.Value' Error:Field validation for 'Value' failed on the 'required' tag"
            )
        return ok(sum(1 for channel_id in ids if isinstance(channel_id, int) and self.table.delete(channel_id)))

    async def _batch_del_model(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict) or not body.get("ids") or not body.get("value"):
            return fail("Key: 'BatchChannelsParams.Value' Error:Field validation for 'Value' failed on the 'required' tag")
        changed = 0
        for channel_id in body["ids"]:
            row = self.table.get(channel_id)
            if row is None:
                continue
            models = [m for m in row["models"].split(",") if m and m != body["value"]]
            if models != row["models"].split(","):
                row["models"] = ",".join(models)
                changed += 1
        return ok(changed)

    async def _delete_disabled(self, request: Request) -> Response:
        doomed = [r["id"] for r in self.table.rows.values() if r["status"] in (2, 3)]
        for channel_id in doomed:
            self.table.delete(channel_id)
        return ok(len(doomed))

    async def _untag(self, request: Request) -> Response:
        row, error = self._row(request)
        if error:
            return error
        row["tag"] = ""  # type: ignore[index]
        return ok()

    # -- tags --------------------------------------------------------------------------------

    async def _tags(self, request: Request) -> Response:
        items = []
        for tag in self.table.tags():
            members = self.table.tag_members(tag)
            item: dict[str, Any] = {"id": members[0]["id"], "tag": tag}
            if self.donehub:
                item.update(
                    count=len(members),
                    enabled=sum(1 for m in members if m["status"] == 1),
                    type_count=len({m["type"] for m in members}),
                    group_count=len({m["group"] for m in members}),
                    used_quota=sum(m["used_quota"] for m in members),
                    balance=sum(m["balance"] or 0 for m in members),
                    response_time=0,
                )
            items.append(item)
        return ok(items)

    async def _tag_list(self, request: Request) -> Response:
        """One Hub: a bare array; Done Hub: pages like the channel list."""
        members = [self.table.shown(r, with_key=True) for r in self.table.tag_members(request.path_params["tag"])]
        if not self.donehub:
            return ok(members)
        try:
            page = max(int(request.query_params.get("page") or 1), 1)
            size = int(request.query_params.get("size") or 10)
        except ValueError:
            return fail("参数错误")
        if size > MAX_PAGE_SIZE:
            return fail("size 参数不能超过 100")
        chunk = members[(page - 1) * size : page * size]
        return ok({"data": chunk, "page": page, "size": size, "total_count": len(members)})

    async def _tag_get(self, request: Request) -> Response:
        members = self.table.tag_members(request.path_params["tag"])
        if not members:
            return fail("record not found")
        first = self.table.shown(members[0], with_key=True)
        first["key"] = "\n".join(m["key"] for m in members)
        first["KeyMap"] = {m["key"]: m["id"] for m in members}
        if self.donehub:
            first["count"] = len(members)
        return ok(first)

    async def _tag_put(self, request: Request) -> Response:
        """The key list is diffed (new keys make channels, missing keys delete theirs), then the
        shared columns are written to every member (One Hub: non-zero values only)."""
        tag = request.path_params["tag"]
        body = await _json(request)
        members = self.table.tag_members(tag)
        if not isinstance(body, dict) or not members:
            return fail("record not found")
        keys = [k.strip() for k in str(body.get("key") or "").split("\n") if k.strip()]
        if not keys:
            return fail("key 不能为空")
        if self.donehub and body.get("tag") == "":
            return fail("标签不能为空")
        have = {m["key"]: m for m in members}
        for key, member in have.items():
            if key not in keys:
                self.table.delete(member["id"])
        template = members[0]
        for index, key in enumerate(k for k in keys if k not in have):
            values = {k: v for k, v in template.items() if k not in ("id", "used_quota")}
            values.update(key=key, name=f"{template['name']}_{len(have) + index + 1}")
            self.table.insert(values)
        fixed = {"id", "key", "type", "status", "priority", "weight", "cost_ratio", "used_quota", "balance",
                 "balance_updated_time", "response_time", "created_time", "test_time", "name"}
        for member in self.table.tag_members(tag):
            for name in [*self.table.plain, *self.table.pointers]:
                if name in fixed:
                    continue
                value = body.get(name)
                if self.donehub:
                    member[name] = value if value is not None else self.table.blank()[name]
                elif value not in (None, "", 0, False):
                    member[name] = value
        return ok()

    async def _tag_priority(self, request: Request) -> Response:
        body = await _json(request)
        kind = body.get("type") if isinstance(body, dict) else None
        allowed = ("priority", "weight", "cost_ratio") if self.donehub else ("priority",)
        if kind not in allowed:
            return fail("参数错误")
        value = body.get("value")
        if kind == "weight" and (not isinstance(value, int) or value < 1):
            return fail("权重必须大于 0")
        for member in self.table.tag_members(request.path_params["tag"]):
            member[kind] = value
        return ok()

    async def _tag_status(self, request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("enable", "disable"):
            return fail("参数错误")
        for member in self.table.tag_members(request.path_params["tag"]):
            member["status"] = 1 if action == "enable" else 2
        return ok()

    async def _tag_delete(self, request: Request) -> Response:
        for member in self.table.tag_members(request.path_params["tag"]):
            self.table.delete(member["id"])
        return ok()

    async def _tag_delete_disabled(self, request: Request) -> Response:
        """One Hub answers nothing at all on success; Done Hub the envelope."""
        for member in self.table.tag_members(request.path_params["tag"]):
            if member["status"] in (2, 3):
                self.table.delete(member["id"])
        return ok() if self.donehub else Response(status_code=200)

    # -- upstream-facing ---------------------------------------------------------------------

    def _base_url(self, row: dict[str, Any]) -> str:
        return str(row.get("base_url") or "") or self.types.get(row["type"]).default_base_url

    async def _probe(self, row: dict[str, Any], model: str) -> tuple[bool, float, str, bool]:
        """(ok, seconds, message, disabled) of one test; the server has no model of its own."""
        model = model or str(row.get("test_model") or "")
        if not model:
            return False, 0.0, "测速失败，原因：请填写测速模型后再试", False
        if row["type"] in UNTESTABLE:
            return False, 0.0, "测速失败，原因：不支持的模型类型", False
        reply = await self.upstream.chat(self._base_url(row), row["key"], model)
        seconds = round(reply.seconds, 3)
        if reply.transport_error:
            return False, 0.0, f"测速失败，原因：{self._unreachable()}", False
        if reply.ok:
            return True, seconds, "测速成功", False
        if reply.status == 401 and any(word in row["key"] for word in DISABLES):
            row["status"] = 3
            return False, seconds, f"测速失败，已被禁用，原因：{reply.error}", True
        return False, seconds, f"测速失败，原因：{reply.error}", False

    async def _test(self, request: Request) -> Response:
        row, error = self._row(request)
        if error:
            return error
        passed, seconds, message, _ = await self._probe(row, request.query_params.get("model", ""))  # type: ignore[arg-type]
        if passed:
            row["response_time"] = int(seconds * 1000)  # type: ignore[index]
            row["test_time"] = int(time.time())  # type: ignore[index]
        return JSONResponse({"success": passed, "message": message, "time": seconds})

    async def _test_all(self, request: Request) -> Response:
        if self._test_run is not None and not self._test_run.done():
            return fail("测试已在运行中")
        self._test_run = asyncio.get_running_loop().create_task(self._run_all_tests())
        return ok()

    async def _run_all_tests(self) -> None:
        for row in list(self.table.rows.values()):
            passed, seconds, _, _ = await self._probe(row, "")
            if passed and row["status"] == 3:
                row["status"] = 1
            if passed:
                row["response_time"], row["test_time"] = int(seconds * 1000), int(time.time())

    def _unreachable(self) -> str:
        """What the servers say when the upstream cannot be reached (Done Hub adds the cause)."""
        return "请求上游地址失败: connection refused" if self.donehub else "请求上游地址失败"

    async def _provider_models(self, request: Request) -> Response:
        """One Hub v0.14.27 panics (HTTP 500, no body) on an ad-hoc body without `proxy`."""
        body = await _json(request)
        if not isinstance(body, dict):
            return fail("invalid character in the JSON body")
        key = str(body.get("key") or "").split("\n")[0]
        record = body
        if not key:
            if not body.get("id"):
                return fail("key is required")
            stored = self.table.get(int(body["id"]))
            if stored is None:
                return fail("record not found")
            record, key = stored, stored["key"]
        type_code = record.get("type")
        if type_code not in self.types:
            return fail("provider not found")
        if type_code in UNLISTABLE:
            return fail("channel not implemented")
        if not self.donehub and record is body and "proxy" not in body:
            return Response(status_code=500)
        reply = await self.upstream.models(self._base_url(record), key)
        if reply.transport_error:
            return fail(self._unreachable())
        names = model_ids(reply.body) if reply.ok else None
        if names is None:
            return fail(reply.error)
        return ok(list(dict.fromkeys(names)))

    async def _balance(self, request: Request) -> Response:
        row, error = self._row(request)
        if error:
            return error
        if row["type"] not in BALANCE_TYPES:  # type: ignore[index]
            return fail("provider not implemented")
        row["balance"] = round((row["id"] * 37.5) % 250, 2)  # type: ignore[index]
        row["balance_updated_time"] = int(time.time())  # type: ignore[index]
        return JSONResponse({"success": True, "message": "", "balance": row["balance"]})  # type: ignore[index]

    async def _balance_all(self, request: Request) -> Response:
        for row in self.table.rows.values():
            if row["status"] == 1 and row["type"] in BALANCE_TYPES:
                row["balance"] = round((row["id"] * 37.5) % 250, 2)
        return ok()


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def build_onehub_server(flavor: str, *, upstream_url: str, channels: int = 20, seed: int = 5, **options: Any) -> OneHubServer:
    return OneHubServer(flavor, upstream_url=upstream_url, channels=channels, seed=seed, **options)
