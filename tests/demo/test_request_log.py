"""The demo's request log: what a test reads from it must already be there when the answer arrives."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tui_channels.demo.faults import FaultInjector, FaultMiddleware, RequestStats


async def test_an_answer_is_logged_before_its_last_byte_reaches_the_client() -> None:
    """Logging after the app returned raced a client that reads the log as soon as it has the answer."""
    app_may_return = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ok":', "more_body": True})
        await send({"type": "http.response.body", "body": b"true}"})
        await app_may_return.wait()

    stats = RequestStats()
    middleware = FaultMiddleware(app, faults=FaultInjector(), stats=stats, error_body=lambda status, text: {})
    logged_when_complete: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            logged_when_complete.append(len(stats.answers_to("PATCH", "/api/v1/providers/*")))
            app_may_return.set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {"type": "http", "method": "PATCH", "path": "/api/v1/providers/1", "query_string": b"", "headers": []}
    await middleware(scope, receive, send)

    assert logged_when_complete == [1]
    [answer] = stats.answers_to("PATCH")
    assert (answer.status, answer.body) == (200, b'{"ok":true}')


async def test_an_answer_the_app_never_finished_is_still_logged() -> None:
    """An app that fails before its last chunk leaves what it sent in the log, once."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        raise RuntimeError("the app broke mid-answer")

    stats = RequestStats()
    middleware = FaultMiddleware(app, faults=FaultInjector(), stats=stats, error_body=lambda status, text: {})

    async def send(message: dict[str, Any]) -> None:
        return None

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/api/channel/", "query_string": b"", "headers": []}
    with pytest.raises(RuntimeError):
        await middleware(scope, receive, send)
    assert [a.status for a in stats.answers_to("GET")] == [500]
