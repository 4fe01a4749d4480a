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


async def test_without_a_log_requests_are_counted_and_faults_still_apply() -> None:
    """A server in a process of its own keeps no log nobody could read, but its counts and its
    injected faults work as ever (the benchmark's rate-limited site relies on them)."""
    sent: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": (await receive())["body"]})

    stats, faults = RequestStats(), FaultInjector()
    faults.add("rate_limit", "/api/channel/test/*", times=1)
    middleware = FaultMiddleware(app, faults=faults, stats=stats, error_body=lambda status, text: {}, log=False)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/api/channel/test/1", "query_string": b"", "headers": []}
    await middleware(scope, receive, send)
    await middleware(scope, receive, send)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [429, 200]
    assert sent[-1]["body"] == b"{}"
    assert stats.count("GET", "/api/channel/test/*") == 2
    assert (list(stats.log), list(stats.answers), stats.in_flight) == ([], [], 0)
