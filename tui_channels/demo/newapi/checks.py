"""Upstream-facing `/api/channel/*` handlers of the emulated server: tests, model fetches, balances.

Tests and model fetches really call the fake upstream over HTTP (newapi.md §3.9, §3.11); the
current flavor answers a failed model fetch with HTTP 502 and its JSON envelope (upstream main's
`FetchUpstreamModels`, `fetch_models_failed`), the older ones with HTTP 200 `success:false`. There is
no balance API upstream, so balance queries (§3.10) compute a deterministic pseudo balance for the
types the real servers can query and refuse the others with the servers' own message.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .channels import change_status, fail, read_json, reply
from .probe import Upstream, model_ids, reply_text
from .store import ChannelTable, Flavor, go_atoi, is_multi_key, key_lines

BALANCE_TYPES = {
    "newapi": frozenset({1, 5, 8, 10, 12, 13, 20, 40, 43}),
    "oneapi": frozenset({1, 4, 5, 8, 10, 12, 13, 20, 36, 44}),
}
"""Types whose balance the servers can query (OpenAI-style billing APIs, OpenRouter, SiliconFlow, DeepSeek…)."""

TEST_ALL_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class Outcome:
    """One channel test: `message` is the reply text on success, the error otherwise."""

    ok: bool
    seconds: float
    message: str
    error_code: str
    model: str
    upstream_status: int = 0


class CheckApi:
    """Test, fetch-models and balance handlers, plus the background "test every channel" run."""

    def __init__(self, flavor: Flavor, table: ChannelTable, upstream: Upstream) -> None:
        self.flavor = flavor
        self.table = table
        self.upstream = upstream
        self._balance_queries: dict[int, int] = {}
        self._test_run: asyncio.Task[None] | None = None
        self._test_task: dict[str, str] = {}
        self.enveloped_tests = False
        """Answer tests inside the envelope's `data` (`{"success":true,"data":{"time":…}}`), a shape
        reported from newer builds; the current build here (2026-08) answers at the top level."""

    def _base_url(self, row: dict[str, Any]) -> str:
        return row.get("base_url") or self.flavor.types.get(row["type"]).default_base_url

    # -- tests ---------------------------------------------------------------------------------

    async def test_channel(self, request: Request, arg: str) -> JSONResponse:
        channel_id, error = go_atoi(arg)
        row = self.table.get(channel_id or 0)
        if error or row is None:
            return fail(error or "record not found")
        outcome = await self.probe(row, request.query_params.get("model", ""))
        if outcome.ok:
            self._record_test(row, outcome.seconds)
        # a failed request is answered with time 0, as `TestChannel` does for a local error
        top: dict[str, Any] = {"time": outcome.seconds if outcome.ok else 0.0}
        if self.flavor.oneapi:
            return reply(outcome.ok, outcome.message, **top, modelName=outcome.model)
        message = "" if outcome.ok else outcome.message
        if self.flavor.current and not outcome.ok:
            top["error_code"] = outcome.error_code
        if self.flavor.current and self.enveloped_tests:
            return reply(outcome.ok, message, data=top)
        return reply(outcome.ok, message, **top)

    async def probe(self, row: dict[str, Any], model: str) -> Outcome:
        """Send the test chat completion with the channel's first key and time it."""
        model = model or self._default_model(row)
        if row["type"] in self.flavor.untestable_types:
            name = self.flavor.types.get(row["type"]).name
            return Outcome(False, 0.0, f"{name} channel test is not supported", "invalid_api_type", model)
        answer = await self.upstream.chat(self._base_url(row), self._test_key(row), model)
        seconds = max(1, round(answer.seconds * 1000)) / 1000
        if not answer.ok:
            return Outcome(False, seconds, answer.error, answer.error_code, model, answer.status)
        text = reply_text(answer.body)
        if text is None:
            return Outcome(False, seconds, "invalid response body", "bad_response_body", model, answer.status)
        return Outcome(True, seconds, text, "", model, answer.status)

    def _test_key(self, row: dict[str, Any]) -> str:
        """The first key of a multi-key pool; Veloera sends its key field as it is, commas and all."""
        if not self.flavor.splits_keys:
            return row["key"]
        keys = key_lines(row["key"])
        return keys[0] if keys else ""

    def _default_model(self, row: dict[str, Any]) -> str:
        if self.flavor.oneapi:
            return "gpt-3.5-turbo"
        models = [m for m in row["models"].split(",") if m]
        return row.get("test_model") or (models[0] if models else "gpt-4o-mini")

    @staticmethod
    def _record_test(row: dict[str, Any], seconds: float) -> None:
        row.update(response_time=round(seconds * 1000), test_time=int(time.time()))

    async def test_all(self, request: Request, _arg: str) -> JSONResponse:
        if self._test_run is not None and not self._test_run.done():
            if self.flavor.current:
                return reply(False, "a channel test task is already queued or running", self._test_task, status=409)
            return fail("测试已在运行中")
        if self.flavor.oneapi and request.query_params.get("scope") == "disabled":
            ids = [r["id"] for r in self.table if r["status"] != 1]
        elif self.flavor.oneapi:
            ids = list(self.table.rows)
        else:
            ids = [r["id"] for r in self.table if r["status"] != 2]
        self._test_task = {"task_id": f"task_{secrets.token_hex(8)}", "status": "queued", "type": "channel_test"}
        self._test_run = asyncio.get_running_loop().create_task(self._test_every(ids))
        if self.flavor.current:
            return reply(True, data={"task_id": self._test_task["task_id"], "status": "queued"})
        return reply(True)

    async def _test_every(self, ids: list[int]) -> None:
        """Test channels a few at a time; ban failing keys (401/403) and revive passing auto-bans."""
        self._test_task["status"] = "running"
        gate = asyncio.Semaphore(TEST_ALL_CONCURRENCY)

        async def one(channel_id: int) -> None:
            async with gate:
                row = self.table.get(channel_id)
                if row is None:
                    return
                outcome = await self.probe(row, "")
            if outcome.ok:
                self._record_test(row, outcome.seconds)
                if row["status"] == 3:
                    change_status(row, 1, None)
            elif outcome.upstream_status in (401, 403) and row.get("auto_ban", 1) and row["status"] == 1:
                change_status(row, 3, outcome.message)

        await asyncio.gather(*(one(i) for i in ids))
        self._test_task["status"] = "succeeded"

    # -- models --------------------------------------------------------------------------------

    async def fetch_models(self, _request: Request, arg: str) -> JSONResponse:
        channel_id, error = go_atoi(arg)
        row = self.table.get(channel_id or 0)
        if error or row is None:
            return fail(error or "record not found")
        keys = key_lines(row["key"].replace(",", "\n")) if not self.flavor.splits_keys else key_lines(row["key"])
        answer = await self.upstream.models(self._base_url(row), keys[0] if keys else "")
        if not answer.ok:
            detail = answer.error if answer.transport_error or self.flavor.current else f"status code: {answer.status}"
            if self.flavor.current:
                return reply(False, f"获取模型列表失败: {detail}", status=502, code="fetch_models_failed")
            return fail(detail)
        ids = model_ids(answer.body)
        if ids is None:
            return fail("解析响应失败: the upstream did not answer with a model list")
        return reply(True, data=self._listed(ids))

    async def fetch_models_adhoc(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_json(request)
        fields_ok = isinstance(body, dict) and all(
            body.get(name) is None or isinstance(body[name], kind) and not isinstance(body[name], bool)
            for name, kind in (("base_url", str), ("key", str), ("type", int))
        )
        if error or not fields_ok:
            return fail("Invalid request", status=400)
        base_url = body.get("base_url") or self.flavor.types.get(body.get("type") or 0).default_base_url
        key = (body.get("key") or "").strip().split("\n")[0]
        answer = await self.upstream.models(base_url, key)
        ids = model_ids(answer.body) if answer.ok else None
        if self.flavor.current:
            if not answer.ok:
                return fail(f"获取模型列表失败: {answer.error}")
            return reply(True, data=ids) if ids is not None else fail("解析响应失败: not a model list")
        if answer.transport_error or ids is None:
            return fail(answer.transport_error or "Failed to fetch models", status=500)
        return JSONResponse({"success": True, "data": self._listed(ids)})

    def _listed(self, ids: list[str]) -> list[str] | None:
        """Legacy servers (v0.6.x) answer an empty upstream list with `data: null` (Go's nil slice)."""
        return ids if ids or self.flavor.current else None

    # -- balance -------------------------------------------------------------------------------

    async def update_balance(self, _request: Request, arg: str) -> JSONResponse:
        """The server asks the upstream for its balance; an upstream that refuses or is down is
        answered as `success:false` with `status code: 401` or the transport error, as New API's
        `updateChannelBalance` does (the upstream's model list stands in for its billing route)."""
        channel_id, error = go_atoi(arg)
        row = self.table.get(channel_id or 0)
        if error or row is None:
            return fail(error or "record not found")
        if is_multi_key(row):
            return fail("多密钥渠道不支持余额查询")
        if not self._balance_supported(row):
            return fail("尚未实现")
        keys = key_lines(row["key"])
        answer = await self.upstream.models(self._base_url(row), keys[0] if keys else "")
        if not answer.ok:
            return fail(answer.transport_error or f"status code: {answer.status}")
        return reply(True, balance=self._query_balance(row))

    async def update_all_balances(self, _request: Request, _arg: str) -> JSONResponse:
        """New API refreshes every enabled channel it can; One API answers success and does nothing
        (its `UpdateAllChannelsBalance` has the refresh commented out)."""
        if self.flavor.oneapi:
            return reply(True)
        for row in self.table:
            if row["status"] == 1 and not is_multi_key(row) and self._balance_supported(row):
                self._query_balance(row)
        return reply(True)

    def _balance_supported(self, row: dict[str, Any]) -> bool:
        return row["type"] in BALANCE_TYPES["oneapi" if self.flavor.oneapi else "newapi"]

    def _query_balance(self, row: dict[str, Any]) -> float:
        """A pseudo balance in USD that depends on the channel and how often it was queried."""
        count = self._balance_queries.get(row["id"], 0) + 1
        self._balance_queries[row["id"]] = count
        balance = round((row["id"] * 7919 + count * 104_729) % 50_000 / 100, 2)
        row.update(balance=balance, balance_updated_time=int(time.time()))
        return balance
