"""The demo's hang fault: a request that never gets an answer, until its client gives up on it."""

from __future__ import annotations

import asyncio
from typing import Any

from tui_channels.demo.faults import FaultInjector, FaultMiddleware, RequestStats


async def test_a_hung_request_ends_when_its_client_hangs_up() -> None:
    """A hang the client left used to hold its server task for ten minutes, and a stopping demo waited."""
    faults = FaultInjector()
    faults.add("hang", "/api/channel/", times=None)
    stats = RequestStats()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise AssertionError("a hung request never reaches the server's routes")

    middleware = FaultMiddleware(app, faults=faults, stats=stats, error_body=lambda status, text: {})
    hung_up = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not stats.requests("GET", "/api/channel/"):
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/channel/", "query_string": b"", "headers": []}
    request = asyncio.create_task(middleware(scope, receive, send))
    while not stats.requests("GET", "/api/channel/"):
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert not request.done(), "the request hangs while its client waits"
    hung_up.set()
    await asyncio.wait_for(request, timeout=30)  # far less than the hang's ten minutes
    assert sent == [] and stats.in_flight == 0
