"""HTTP plumbing shared by the backend clients: retries on 429, and transport failures as typed errors.

Status-code meaning differs per family (New API answers many errors with HTTP 200), so this layer
only handles what is common: connection problems, TLS, timeouts, rate limiting with back-off, and
turning a body into JSON or a clear `BadResponse`. It logs method, path and status, never headers
or bodies, so secrets cannot reach a log.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import (
    BadResponse,
    ChannelsError,
    ConfigError,
    InvalidSecret,
    RateLimited,
    RequestTimeout,
    TLSFailure,
    Unreachable,
)
from ..redact import logger
from .ratelimit import RequestBudget

log = logger("tui_channels.http")

DEFAULT_TIMEOUT = 15.0
USER_AGENT = "tui-channels"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a client waits out HTTP 429 (and transient 502/503/504 on reads).

    Waits honour `Retry-After` when the server sends it, otherwise grow exponentially from
    `base_delay` with jitter. A wait longer than `max_delay` is not attempted: the caller gets
    `RateLimited` at once, with the server's hint, instead of a frozen screen.
    """

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return self.base_delay * (2**attempt) * (1 + random.random() / 4)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def _is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    text = str(exc).lower()
    return "certificate" in text or "ssl" in text or "tls" in text


Sleep = Callable[[float], Awaitable[None]]


@functools.cache
def verified_tls() -> ssl.SSLContext:
    """The TLS context that verifies servers against the system's CA bundle, made once per process.

    httpx builds one per client by default, loading the whole CA bundle (about 50 ms of CPU each):
    the fleet view opens a client per site, so 20 sites would spend a second on it."""
    return httpx.create_ssl_context()


class HttpTransport:
    """An `httpx.AsyncClient` bound to one gateway, with typed errors and 429 back-off."""

    def __init__(
        self,
        base_url: str,
        *,
        verify_tls: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        budget: RequestBudget | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.retry = retry or RetryPolicy()
        self.budget = budget
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            verify=verified_tls() if verify_tls else False,
            timeout=self.timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def set_header(self, name: str, value: str | None) -> None:
        if value is None:
            self._client.headers.pop(name, None)
        else:
            self._client.headers[name] = value

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request; retry 429 (and 502/503/504 on GET) within the policy's bounds."""
        attempt = 0
        while True:
            response = await self._send_once(method, path, json_body, params, timeout)
            retryable = response.status_code == 429 or (
                method == "GET" and response.status_code in (502, 503, 504)
            )
            if not retryable:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = self.retry.delay(attempt, retry_after)
            if response.status_code == 429 and self.budget is not None:
                self.budget.pause(wait)
            if attempt >= self.retry.max_retries or wait > self.retry.max_delay:
                if response.status_code == 429:
                    raise _rate_limited(self.base_url, retry_after)
                return response
            log.info("%s %s -> %s, retrying in %.1fs", method, path, response.status_code, wait)
            await self._sleep(wait)
            attempt += 1

    async def _send_once(
        self,
        method: str,
        path: str,
        json_body: Any,
        params: Mapping[str, Any] | None,
        timeout: float | None,
    ) -> httpx.Response:
        host = host_of(self.base_url)
        if self.budget is not None:
            await self.budget.acquire()
        try:
            response = await self._client.request(
                method, path, json=json_body, params=params, timeout=timeout or self.timeout
            )
        except httpx.TimeoutException as exc:
            raise RequestTimeout(
                f"{host} did not answer {method} {path} within {timeout or self.timeout:g} s. "
                "The gateway or its upstream is slow or hung; try again, or raise the site's timeout."
            ) from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise transport_error(exc, host) from exc
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response


_DNS_FAILURES = ("name or service not known", "nodename nor servname", "getaddrinfo failed", "name resolution")


def transport_error(exc: Exception, host: str) -> ChannelsError:
    """The typed error for a request that got no HTTP answer, naming its real cause.

    Each cause has its own advice: a host name that does not resolve, a refused connection, a
    TLS failure, a proxy, a request that could not even be built (a header that HTTP cannot carry
    is a bad secret, not a bad URL), and an answer that was not HTTP.
    """
    reason = _first_line(exc)
    if isinstance(exc, httpx.LocalProtocolError):
        return InvalidSecret(
            f"The request to {host} could not be sent: a header holds a character HTTP cannot carry "
            "(a line break, a control or non-ASCII character). Check the site's secret."
        )
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return ConfigError(f"The site's URL for {host} is not a usable http(s) address ({reason}); fix it.")
    if isinstance(exc, httpx.ProxyError):
        return Unreachable(
            f"The HTTP proxy failed to connect to {host} ({reason}). Check the proxy settings "
            "(HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) or set NO_PROXY for this host."
        )
    if isinstance(exc, httpx.ConnectError):
        if _is_tls_error(exc):
            return TLSFailure(
                f"TLS handshake with {host} failed ({reason}). Check the certificate, "
                "or turn off TLS verification for this site if it uses a self-signed one."
            )
        if any(marker in reason.lower() for marker in _DNS_FAILURES):
            return Unreachable(f"The host name of {host} does not resolve ({reason}). Check the site's URL and your DNS.")
        return Unreachable(f"Cannot connect to {host} ({reason}). Check the URL and that the gateway is running.")
    if isinstance(exc, httpx.RemoteProtocolError):
        return Unreachable(
            f"{host} broke off the answer or did not answer in HTTP ({reason}). The gateway may have "
            "crashed or restarted, or something else listens on that port."
        )
    return Unreachable(f"The connection to {host} broke ({type(exc).__name__}: {reason}). Check your network and retry.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__


def _rate_limited(base_url: str, retry_after: float | None) -> RateLimited:
    hint = f" The server asks to wait {retry_after:g} s." if retry_after is not None else ""
    return RateLimited(
        f"{host_of(base_url)} is rate limiting this client (HTTP 429).{hint} Wait a little and try "
        "again, or lower the batch concurrency for this site.",
        retry_after=retry_after,
    )


def looks_like_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    if "html" in content_type:
        return True
    head = response.content[:64].lstrip().lower()
    return head.startswith(b"<!doctype") or head.startswith(b"<html")


def decode_json(response: httpx.Response) -> Any:
    """The body as JSON, or `BadResponse` that says what came instead."""
    if looks_like_html(response):
        raise BadResponse(
            f"{response.request.url.path} answered with a web page, not the API (HTTP "
            f"{response.status_code}). The URL points at a web page, not the API — check the base URL."
        )
    if not response.content.strip():
        raise BadResponse(
            f"{response.request.url.path} answered HTTP {response.status_code} with an empty body."
        )
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise BadResponse(
            f"{response.request.url.path} answered malformed JSON (HTTP {response.status_code}). "
            "The gateway or a proxy in front of it returned something that is not the API's answer."
        ) from exc
