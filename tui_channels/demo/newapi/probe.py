"""Outbound calls of the emulated New API-family server: channel tests and model listings.

The real server reaches the provider over HTTP, so the emulation does too (the demo gateway's fake
upstream). The client (`demo.outbound`) opens its session lazily on first use, inside the server's
own event loop, and failures come back as Go-style error strings rather than exceptions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..outbound import Outbound, OutboundFailure, OutboundTimeout


@dataclass(frozen=True, slots=True)
class Reply:
    """One upstream exchange: HTTP status (0 when none arrived), decoded body, elapsed seconds."""

    status: int
    body: Any
    seconds: float
    transport_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.transport_error and 200 <= self.status < 300

    @property
    def error(self) -> str:
        """What went wrong, preferring the upstream's own `error.message`."""
        if self.transport_error:
            return self.transport_error
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        return f"bad response status code {self.status}"

    @property
    def error_code(self) -> str:
        """The upstream's own `error.code` when it gives one (as New API relays it), else New API's."""
        if self.transport_error:
            return "do_request_failed"
        error = self.body.get("error") if isinstance(self.body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) and code else "bad_response_status_code"


class Upstream:
    """Bearer-authenticated JSON calls to provider base URLs, bounded by a per-call timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._outbound = Outbound(timeout)

    async def call(self, method: str, url: str, key: str, payload: Any = None) -> Reply:
        verb = method.title()
        if not url.startswith(("http://", "https://")):
            scheme = url.split("://", 1)[0] if "://" in url else ""
            return Reply(0, None, 0.0, f'{verb} "{url}": unsupported protocol scheme "{scheme}"')
        started = time.perf_counter()
        try:
            response = await self._outbound.send(
                method, url, headers={"Authorization": f"Bearer {key}"}, payload=payload
            )
        except OutboundTimeout:
            elapsed = time.perf_counter() - started
            detail = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            return Reply(0, None, elapsed, f'{verb} "{url}": {detail}')
        except OutboundFailure as exc:
            elapsed = time.perf_counter() - started
            return Reply(0, None, elapsed, f'{verb} "{url}": dial tcp: {exc}')
        elapsed = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(response.status, body, elapsed)

    async def chat(self, base_url: str, key: str, model: str) -> Reply:
        """The one-message chat completion a channel test sends."""
        payload = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16}
        return await self.call("POST", f"{base_url.rstrip('/')}/v1/chat/completions", key, payload)

    async def models(self, base_url: str, key: str) -> Reply:
        return await self.call("GET", f"{base_url.rstrip('/')}/v1/models", key)


def model_ids(body: Any) -> list[str] | None:
    """The ids of an OpenAI-style model list, or None when the body is not one."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]


def reply_text(body: Any) -> str | None:
    """The assistant's text of a chat completion, or None when the body is not one."""
    try:
        return str(body["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError):
        return None
