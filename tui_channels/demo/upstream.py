"""Fake upstream LLM providers that the emulated gateways call for model lists and tests.

Each provider lives under `/p/<provider>` and answers OpenAI-style `GET /v1/models` and
`POST /v1/chat/completions` (a few under another API root, as `OTHER_ROOTS` says; any other path is
a 404, as a real upstream answers a base URL with a wrong version segment), and the other protocols
Claude Code Hub speaks: Anthropic `POST /v1/messages`, OpenAI `POST /v1/responses`, and Gemini
`GET /v1beta/models` and `POST /v1beta/models/<model>:generateContent`. Keys decide the outcome, so
seeded channels can fail realistically: a key containing `invalid` is refused (401), `echo` is
refused with the key quoted back in full as some relays do (401), `ratelimit` answers 429, `broken`
answers 500. Tests can give a key its own model list or delay.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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


class UpstreamServer:
    """The fake providers' ASGI app and the knobs tests turn."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.key_delays: dict[str, float] = {}
        self.key_holds: dict[str, threading.Event] = {}
        """Requests with one of these keys wait until its event is set (from any thread): a test
        keeps a channel's test out for as long as it needs, not for a guessed number of seconds."""
        self.key_models: dict[str, list[str]] = {}
        self.app = Starlette(
            routes=[
                Route("/p/{provider}/v1/messages", self.messages, methods=["POST"]),
                Route("/p/{provider}/v1/responses", self.responses, methods=["POST"]),
                Route("/p/{provider}/v1beta/models", self.gemini_models, methods=["GET"]),
                Route("/p/{provider}/v1beta/models/{target}", self.gemini_generate, methods=["POST"]),
                Route("/p/{provider}/{root:path}/models", self.models, methods=["GET"]),
                Route("/p/{provider}/{root:path}/chat/completions", self.chat, methods=["POST"]),
            ]
        )

    @staticmethod
    def base_url(upstream_url: str, provider: str) -> str:
        """A provider's base URL without the version segment (New API style)."""
        return f"{upstream_url}/p/{provider}"

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": "upstream_error", "code": status}}

    def _error(self, status: int, message: str, code: str) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": message, "type": "invalid_request_error", "code": code}}, status
        )

    async def _check(self, request: Request) -> tuple[str, JSONResponse | None]:
        provider = request.path_params["provider"]
        root = OTHER_ROOTS[provider][0] if provider in OTHER_ROOTS else "v1"
        if (provider not in PROVIDERS and provider not in OTHER_ROOTS) or request.path_params.get("root", root) != root:
            return "", self._error(404, f"Unknown URL {request.url.path}", "not_found")
        key = _key_of(request)
        wait = self.delay + self.key_delays.get(key, 0.0)
        if wait:
            await asyncio.sleep(wait)
        hold = self.key_holds.get(key)
        while hold is not None and not hold.is_set():
            await asyncio.sleep(0.01)
        if not key:
            return key, self._error(401, "You didn't provide an API key.", "missing_api_key")
        if "echo" in key:
            header = request.headers.get("authorization") or key
            return key, self._error(401, f"Incorrect API key provided: {header}.", "invalid_api_key")
        if "invalid" in key or "revoked" in key:
            return key, self._error(401, "Incorrect API key provided.", "invalid_api_key")
        if "ratelimit" in key:
            return key, self._error(429, "Rate limit reached for requests.", "rate_limit_exceeded")
        if "broken" in key:
            return key, self._error(500, "The upstream server had an error.", "server_error")
        return key, None

    async def models(self, request: Request) -> JSONResponse:
        key, refusal = await self._check(request)
        if refusal is not None:
            return refusal
        provider = request.path_params["provider"]
        offered = OTHER_ROOTS[provider][1] if provider in OTHER_ROOTS else PROVIDERS[provider]
        names = self.key_models.get(key, list(offered))
        created = 1_715_000_000
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": name, "object": "model", "created": created, "owned_by": provider}
                    for name in names
                ],
            }
        )

    async def chat(self, request: Request) -> JSONResponse:
        key, refusal = await self._check(request)
        if refusal is not None:
            return refusal
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "We could not parse the JSON body of your request.", "invalid_json")
        model = body.get("model") or "gpt-4o-mini"
        return JSONResponse(
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


    async def _model_of(self, request: Request, default: str) -> tuple[str, JSONResponse | None]:
        try:
            body = await request.json()
        except ValueError:
            return "", self._error(400, "We could not parse the JSON body of your request.", "invalid_json")
        return str(body.get("model") or default) if isinstance(body, dict) else default, None

    async def messages(self, request: Request) -> JSONResponse:
        """Anthropic Messages: a `message` with one text block."""
        _key, refusal = await self._check(request)
        if refusal is not None:
            return refusal
        model, refusal = await self._model_of(request, "claude-sonnet-4-20250514")
        if refusal is not None:
            return refusal
        return JSONResponse(
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

    async def responses(self, request: Request) -> JSONResponse:
        """OpenAI Responses: one output message with one text part."""
        _key, refusal = await self._check(request)
        if refusal is not None:
            return refusal
        model, refusal = await self._model_of(request, "gpt-4.1-mini")
        if refusal is not None:
            return refusal
        return JSONResponse(
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

    async def gemini_models(self, request: Request) -> JSONResponse:
        key, refusal = await self._check(request)
        if refusal is not None:
            return refusal
        provider = request.path_params["provider"]
        names = self.key_models.get(key, list(PROVIDERS[provider]))
        return JSONResponse(
            {
                "models": [
                    {"name": f"models/{name}", "supportedGenerationMethods": ["generateContent", "countTokens"]}
                    for name in names
                ]
            }
        )

    async def gemini_generate(self, request: Request) -> JSONResponse:
        """`POST /v1beta/models/<model>:generateContent`: one candidate saying pong."""
        _key, refusal = await self._check(request)
        if refusal is not None:
            return refusal
        model, _, method = request.path_params["target"].partition(":")
        if method != "generateContent":
            return self._error(404, f"Unknown method {method}", "not_found")
        return JSONResponse(
            {
                "candidates": [{"content": {"role": "model", "parts": [{"text": "pong"}]}, "finishReason": "STOP"}],
                "modelVersion": model,
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1},
            }
        )


def _key_of(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (
        request.headers.get("x-api-key")
        or request.headers.get("x-goog-api-key")
        or request.query_params.get("key")
        or auth.strip()
    )


def build_upstream(*, delay: float = 0.0) -> UpstreamServer:
    return UpstreamServer(delay=delay)
