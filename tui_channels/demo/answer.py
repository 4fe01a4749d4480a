"""How the emulated gateways answer a request once routed, without a web framework around them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send


async def answer(
    handler: Callable[[Request], Awaitable[Response]], scope: Scope, receive: Receive, send: Send
) -> None:
    """Send `handler`'s response to the request in `scope`; a handler that raises before anything
    was sent is answered 500 "Internal Server Error" (as the Starlette apps that served the demo
    before answered), and the error goes on up to the server."""
    started = False

    async def sending(message: Message) -> None:
        nonlocal started
        started = True
        await send(message)

    try:
        response = await handler(Request(scope, receive))
        await response(scope, receive, sending)
    except Exception:
        if not started:
            await PlainTextResponse("Internal Server Error", 500)(scope, receive, send)
        raise
