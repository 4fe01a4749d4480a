"""httpx requests sent by aiohttp: the same client API, half the CPU time per request or less.

Over httpx's own transport (httpcore, h11 and anyio, all pure Python, with a pool that walks every
connection on each request) the client spent about 1.3 ms of CPU per request in this project's
batches; over aiohttp's connector and C parser, about 0.7 ms per test and 0.5 ms per write
(`bench/batch.py`), which is what lets one client keep 16 requests in flight to each of five
gateways on two cores beside the gateways themselves. httpx keeps
everything above the wire: URLs, headers, cookies, decompression (so the answer size cap still
counts decoded bytes), and the exception types `backends.http` maps to our errors. aiohttp's own
cookie jar, decompression, redirects and retries are off, so nothing is done twice.

Only for direct connections: when the environment names a proxy, `HttpTransport` keeps httpx's
own transport, which routes through it as before (`urllib.request.getproxies`, as httpx reads it).
"""

from __future__ import annotations

import ssl
import urllib.request
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx

CHUNK = 64 * 1024
"""Bytes read at most per chunk of an answer (the size cap is checked between chunks)."""
MAX_HEADER_LINE = 64 * 1024
"""The longest status or header line accepted (aiohttp's default, 8 KiB, is less than h11's)."""


def proxied_by_environment() -> bool:
    """Whether the environment names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and the like)."""
    return bool(urllib.request.getproxies())


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    """aiohttp's errors as the httpx errors they correspond to, for `backends.http` to classify."""
    try:
        yield
    except aiohttp.ClientConnectorCertificateError as exc:
        raise httpx.ConnectError(str(exc.certificate_error), request=request) from exc.certificate_error
    except aiohttp.ClientConnectorError as exc:  # its own text adds "ssl:default" even to a plain refusal
        raise httpx.ConnectError(str(exc.os_error), request=request) from exc.os_error
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
    except aiohttp.ServerTimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientOSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc
    except ValueError as exc:  # a header aiohttp refuses to send (a line break in a value)
        raise httpx.LocalProtocolError(str(exc), request=request) from exc


async def body_chunks(response: aiohttp.ClientResponse, request: httpx.Request) -> AsyncIterator[bytes]:
    """An answer's body as it arrives, `CHUNK` bytes at most at a time, as sent (not decoded);
    aiohttp's errors raised as httpx's."""
    with _as_httpx(request):
        while chunk := await response.content.read(CHUNK):
            yield chunk


class _Answer(httpx.AsyncByteStream):
    """An aiohttp answer's body as httpx reads it; closing it returns the connection to the pool
    when the body was read to its end, and drops the connection otherwise."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    def __aiter__(self) -> AsyncIterator[bytes]:
        return body_chunks(self._response, self._request)

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests over one aiohttp session, made on first use (it needs a running loop)."""

    def __init__(self, *, tls: ssl.SSLContext | bool, max_connections: int) -> None:
        self._tls = tls
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ssl=self._tls),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
            )
            weakref.finalize(self, close_quietly, self._session)
        return self._session

    async def open(self, request: httpx.Request) -> aiohttp.ClientResponse:
        """Send `request` and return aiohttp's answer, its body still to be read (`body_chunks`)
        and the answer to be released; aiohttp's errors are raised as httpx's."""
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        with _as_httpx(request):
            return await self._open().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )

    @staticmethod
    def streamed(response: aiohttp.ClientResponse, request: httpx.Request) -> httpx.Response:
        """aiohttp's answer as an httpx answer whose body is still to be read (and decoded by httpx)."""
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Answer(response, request),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.streamed(await self.open(request), request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def close_quietly(session: aiohttp.ClientSession) -> None:
    """Close, without a loop, the session of an owner dropped without closing it (an interrupted
    command, a stopped demo server, the process exiting), quietly as an httpx client goes: aiohttp
    would print "Unclosed client session" / "Unclosed connector" on the terminal. Its idle
    connections are closed (`_close` is the part of aiohttp's close that needs no loop).

    Register it with `weakref.finalize(owner, close_quietly, session)`, not from the owner's
    `__del__`: when the owner and its session are freed together (a cycle through an exception's
    traceback), the order of their `__del__`s is not defined, and the session's own, run first,
    printed its warning; a finalizer runs before either and keeps the session alive until it has."""
    if session.closed:
        return
    connector = session.connector
    session.detach()
    if connector is not None:
        connector._close()
