"""Fake upstream LLM providers that the emulated gateways call for model lists and tests.

Each provider lives under `/p/<provider>` and answers OpenAI-style `GET /v1/models` and
`POST /v1/chat/completions` (a few under another API root, as `OTHER_ROOTS` says; any other path is
a 404, as a real upstream answers a base URL with a wrong version segment), and the other protocols
Claude Code Hub speaks: Anthropic `POST /v1/messages`, OpenAI `POST /v1/responses`, and Gemini
`GET /v1beta/models` and `POST /v1beta/models/<model>:generateContent`. Keys decide the outcome, so
seeded channels can fail realistically: a key containing `invalid` is refused (401), `echo` is
refused with the key quoted back in full as some relays do (401), `ratelimit` answers 429, `broken`
answers 500. Tests can give a key its own model list or delay.

It is served by aiohttp's low-level server (`handle` takes each request), not by the ASGI stack the
emulated gateways run on: it stands for providers on other machines, and every channel test of a
batch passes through this one process, whose CPU `bench/batch.py` counts in its ideal. A path no
route takes is a 404 and a known path asked with another method a 405, as before.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .faults import LoggedRequest, RequestStats

PROVIDERS: dict[str, tuple[str, ...]] = {
    "openai": (
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "o3",
        "o3-mini",
        "o4-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
    ),
    "anthropic": (
        "claude-3-5-haiku-20241022",
        "claude-3-7-sonnet-20250219",
        "claude-sonnet-4-20250514",
        "claude-opus-4-20250514",
    ),
    "gemini": ("gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004"),
    "deepseek": ("deepseek-chat", "deepseek-reasoner"),
    "mistral": ("mistral-large-latest", "mistral-small-latest", "codestral-latest"),
    "moonshot": ("moonshot-v1-8k", "moonshot-v1-32k", "kimi-k2-0711-preview"),
    "qwen": ("qwen-max", "qwen-plus", "qwen-turbo", "qwen3-coder-plus"),
    "zhipu": ("glm-4-plus", "glm-4-flash", "glm-4.5"),
    "xai": ("grok-3", "grok-3-mini", "grok-4"),
    "siliconflow": ("deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-72B-Instruct", "THUDM/glm-4-9b-chat"),
}
"""Provider name -> the models its `/v1/models` lists by default (the providers seeded channels use)."""

OTHER_ROOTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ppinfra": ("v3/openai", ("deepseek/deepseek-v3", "qwen/qwen3-235b-a22b")),
}
"""Providers whose OpenAI-compatible API is not under `/v1` (like `https://api.ppinfra.com/v3/openai`):
name -> (API root, models)."""


Handler = Callable[["Call"], Awaitable[web.Response]]


class Call:
    """One request as the handlers read it: the route's parts of the path, the key, the body."""

    __slots__ = ("request", "provider", "root", "target")

    def __init__(self, request: web.BaseRequest, provider: str, root: str | None, target: str) -> None:
        self.request = request
        self.provider = provider
        self.root = root
        """The API root the path asked for (`v1`, `v3/openai`), None on routes with a fixed one."""
        self.target = target

    @property
    def path(self) -> str:
        return self.request.path

    def header(self, name: str) -> str:
        return self.request.headers.get(name, "")

    async def json(self) -> Any:
        """The body as JSON; `ValueError` when it is not."""
        return json.loads(await self.request.read())


class UpstreamServer:
    """The fake providers' request handler (`handle`) and the knobs tests turn."""

    def __init__(self, *, delay: float = 0.0, stats: RequestStats | None = None, log: bool = True) -> None:
        """`stats` counts every request (`DemoGateway.upstream_stats`), and logs it unless `log` is False."""
        self.delay = delay
        self.stats = stats or RequestStats()
        self.log = log
        self.key_delays: dict[str, float] = {}
        self.key_holds: dict[str, threading.Event] = {}
        """Requests with one of these keys wait until its event is set (from any thread): a test
        keeps a channel's test out for as long as it needs, not for a guessed number of seconds."""
        self.key_models: dict[str, list[str]] = {}
        self._routes: tuple[tuple[re.Pattern[str], str, Handler], ...] = (
            (re.compile(r"/p/(?P<provider>[^/]+)/v1/messages"), "POST", self.messages),
            (re.compile(r"/p/(?P<provider>[^/]+)/v1/responses"), "POST", self.responses),
            (re.compile(r"/p/(?P<provider>[^/]+)/v1beta/models"), "GET", self.gemini_models),
            (re.compile(r"/p/(?P<provider>[^/]+)/v1beta/models/(?P<target>[^/]+)"), "POST", self.gemini_generate),
            (re.compile(r"/p/(?P<provider>[^/]+)/(?P<root>.*)/models"), "GET", self.models),
            (re.compile(r"/p/(?P<provider>[^/]+)/(?P<root>.*)/chat/completions"), "POST", self.chat),
        )
        """(path, method, handler), first match first, as the Starlette routes of earlier versions were."""

    @staticmethod
    def base_url(upstream_url: str, provider: str) -> str:
        """A provider's base URL without the version segment (New API style)."""
        return f"{upstream_url}/p/{provider}"

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": "upstream_error", "code": status}}

    async def handle(self, request: web.BaseRequest) -> web.Response:
        """Answer one request (aiohttp's low-level server calls this), counted and logged in `stats`."""
        method, path = request.method, request.path
        self.stats.started(method, path)
        try:
            if self.log:
                body = await request.read()
                content_type = request.headers.get("Content-Type", "")
                self.stats.record(LoggedRequest(method, path, request.query_string, body, content_type))
            return await self._route(request, method, path)
        finally:
            self.stats.finished()

    async def _route(self, request: web.BaseRequest, method: str, path: str) -> web.Response:
        allowed: list[str] = []
        for pattern, route_method, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            parts = match.groupdict()
            return await handler(Call(request, parts["provider"], parts.get("root"), parts.get("target", "")))
        if allowed:
            return web.Response(status=405, text="Method Not Allowed", headers={"Allow": ", ".join(allowed)})
        return web.Response(status=404, text="Not Found")

    def _error(self, status: int, message: str, code: str) -> web.Response:
        return _json({"error": {"message": message, "type": "invalid_request_error", "code": code}}, status)

    async def _check(self, call: Call) -> tuple[str, web.Response | None]:
        provider = call.provider
        root = OTHER_ROOTS[provider][0] if provider in OTHER_ROOTS else "v1"
        if (provider not in PROVIDERS and provider not in OTHER_ROOTS) or (call.root is not None and call.root != root):
            return "", self._error(404, f"Unknown URL {call.path}", "not_found")
        key = _key_of(call.request)
        wait = self.delay + self.key_delays.get(key, 0.0)
        if wait:
            await asyncio.sleep(wait)
        hold = self.key_holds.get(key)
        while hold is not None and not hold.is_set():
            await asyncio.sleep(0.01)
        if not key:
            return key, self._error(401, "You didn't provide an API key.", "missing_api_key")
        if "echo" in key:
            header = call.header("Authorization") or key
            return key, self._error(401, f"Incorrect API key provided: {header}.", "invalid_api_key")
        if "invalid" in key or "revoked" in key:
            return key, self._error(401, "Incorrect API key provided.", "invalid_api_key")
        if "ratelimit" in key:
            return key, self._error(429, "Rate limit reached for requests.", "rate_limit_exceeded")
        if "broken" in key:
            return key, self._error(500, "The upstream server had an error.", "server_error")
        return key, None

    async def models(self, call: Call) -> web.Response:
        key, refusal = await self._check(call)
        if refusal is not None:
            return refusal
        provider = call.provider
        offered = OTHER_ROOTS[provider][1] if provider in OTHER_ROOTS else PROVIDERS[provider]
        names = self.key_models.get(key, list(offered))
        created = 1_715_000_000
        return _json(
            {
                "object": "list",
                "data": [
                    {"id": name, "object": "model", "created": created, "owned_by": provider}
                    for name in names
                ],
            }
        )

    async def chat(self, call: Call) -> web.Response:
        key, refusal = await self._check(call)
        if refusal is not None:
            return refusal
        model, refusal = await self._model_of(call, "gpt-4o-mini")
        if refusal is not None:
            return refusal
        return _json(
            {
                "id": "chatcmpl-demo",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "pong"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _model_of(self, call: Call, default: str) -> tuple[str, web.Response | None]:
        try:
            body = await call.json()
        except ValueError:
            return "", self._error(400, "We could not parse the JSON body of your request.", "invalid_json")
        return str(body.get("model") or default) if isinstance(body, dict) else default, None

    async def messages(self, call: Call) -> web.Response:
        """Anthropic Messages: a `message` with one text block."""
        _key, refusal = await self._check(call)
        if refusal is not None:
            return refusal
        model, refusal = await self._model_of(call, "claude-sonnet-4-20250514")
        if refusal is not None:
            return refusal
        return _json(
            {
                "id": "msg_demo",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": "pong"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
        )

    async def responses(self, call: Call) -> web.Response:
        """OpenAI Responses: one output message with one text part."""
        _key, refusal = await self._check(call)
        if refusal is not None:
            return refusal
        model, refusal = await self._model_of(call, "gpt-4.1-mini")
        if refusal is not None:
            return refusal
        return _json(
            {
                "id": "resp_demo",
                "object": "response",
                "status": "completed",
                "model": model,
                "output": [
                    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "pong"}]}
                ],
                "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
            }
        )

    async def gemini_models(self, call: Call) -> web.Response:
        key, refusal = await self._check(call)
        if refusal is not None:
            return refusal
        names = self.key_models.get(key, list(PROVIDERS.get(call.provider, ())))
        return _json(
            {
                "models": [
                    {"name": f"models/{name}", "supportedGenerationMethods": ["generateContent", "countTokens"]}
                    for name in names
                ]
            }
        )

    async def gemini_generate(self, call: Call) -> web.Response:
        """`POST /v1beta/models/<model>:generateContent`: one candidate saying pong."""
        _key, refusal = await self._check(call)
        if refusal is not None:
            return refusal
        model, _, method = call.target.partition(":")
        if method != "generateContent":
            return self._error(404, f"Unknown method {method}", "not_found")
        return _json(
            {
                "candidates": [{"content": {"role": "model", "parts": [{"text": "pong"}]}, "finishReason": "STOP"}],
                "modelVersion": model,
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1},
            }
        )


def _json(content: Any, status: int = 200) -> web.Response:
    """A compact JSON answer (`application/json`), as the providers send."""
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _key_of(request: web.BaseRequest) -> str:
    headers = request.headers
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (
        headers.get("x-api-key")
        or headers.get("x-goog-api-key")
        or request.query.get("key")
        or auth.strip()
    )


def build_upstream(*, delay: float = 0.0, stats: RequestStats | None = None, log: bool = True) -> UpstreamServer:
    return UpstreamServer(delay=delay, stats=stats, log=log)
