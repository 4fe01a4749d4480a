"""The HTTP client the emulated servers reach their upstreams with (channel tests, model fetches).

The real servers are Go programs, whose HTTP client costs next to nothing beside the upstream's
answer. Through httpx (its own transport, or even aiohttp's under it), an emulated gateway spent
most of its CPU per channel test on the outbound call, and `bench/batch.py`, which counts the
servers' CPU in its ideal, measured the emulation rather than the client. This sends the same
request over one pooled aiohttp session and hands back the status and the body, nothing more.

The environment's proxy settings are not read: the fake upstream is on 127.0.0.1, which Go's
client never sends through a proxy either, and aiohttp looked for them (and a netrc file, in a
thread) on every request.

Failures are typed: `OutboundTimeout` (no complete answer in time) and `OutboundFailure` (no
answer at all: refused, reset, an unusable URL), each with a one-line reason for the server's
Go-style error text.
"""

from __future__ import annotations

import json
import os
import socket
import weakref
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..backends.aiohttp_transport import close_quietly

MAX_CONNECTIONS = 100
"""Connections one emulated server keeps to its upstreams at most (Go's and httpx's default pool)."""


class OutboundTimeout(Exception):
    """The upstream did not answer in full within the timeout."""


class OutboundFailure(Exception):
    """No answer came: the connection failed or broke, or the URL could not be used."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An upstream's answer: its HTTP status and its body."""

    status: int
    content: bytes

    def json(self) -> Any:
        """The body as JSON; `ValueError` when it is not."""
        return json.loads(self.content)


class Outbound:
    """One emulated server's upstream calls, over a session made on first use (in the server's loop)."""

    def __init__(self, timeout: float = 5.0) -> None:
        """`timeout`: seconds to connect, and seconds between bytes of the answer, per call by default."""
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            weakref.finalize(self, close_quietly, self._session)
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        payload: Any = None,
        timeout: float | None = None,
    ) -> Answer:
        """One request with a JSON body when `payload` is given; raises `OutboundTimeout` or `OutboundFailure`."""
        seconds = timeout or self.timeout
        limits = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        try:
            async with self._open().request(
                method, url, headers=headers, json=payload, timeout=limits, allow_redirects=False
            ) as response:
                return Answer(response.status, await response.read())
        except TimeoutError as exc:
            raise OutboundTimeout(str(exc) or "timeout") from exc
        except aiohttp.ClientConnectorError as exc:
            raise OutboundFailure(_connect_reason(exc)) from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise OutboundFailure(_first_line(exc)) from exc


def _connect_reason(exc: aiohttp.ClientConnectorError) -> str:
    """Why no connection was made, as Go's dialer says it (`connect: connection refused`)."""
    error = exc.os_error
    if isinstance(error, socket.gaierror):
        return f"lookup {exc.host}: no such host"
    if error.errno:
        return f"connect: {os.strerror(error.errno).lower()}"
    return _first_line(error)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__
