"""HTTP plumbing shared by the backend clients: the one owner of retry policy, limits, typed errors.

Status-code meaning differs per family (New API answers many errors with HTTP 200), so this layer
only handles what is common: connection problems, TLS, the whole-request deadline, the answer size
cap, rate limiting, transient faults, and turning a body into JSON or a clear `BadResponse`. It
logs method, path and status, never headers or bodies, so secrets cannot reach a log.

Retries live here and nowhere else. Only this layer knows whether the server acted on a request:
a 429 was refused before any work (so it is resent, paced by the site's `RequestBudget`, as long
as the server's waits stay under `RetryPolicy.max_wait`); a 502/503/504 *without* the gateway's
own JSON answer on a GET is a proxy saying the gateway is briefly away (retried with back-off); a
connection dropped before a GET's answer is retried the same way. Anything else is a final
answer: a gateway's JSON saying its upstream failed, a timeout, a write that may have run. A unit
of work (a batch's channel) sets `retry_allowance` to cap the retries of all its requests together,
so retries never multiply across layers.
"""

from __future__ import annotations

import asyncio
import codecs
import email.message
import email.utils
import functools
import json
import random
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

from ..errors import (
    AnswerTooLarge,
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
from ..wording import plural
from .aiohttp_transport import AiohttpTransport, body_chunks, proxied_by_environment
from .ratelimit import DEFAULT_MAX_WAIT, RequestBudget, ServerWait, Slot, waiting_hook

log = logger("tui_channels.http")

DEFAULT_TIMEOUT = 15.0
"""Seconds a whole request may take (connect, send, the complete answer) unless a call says otherwise."""
DEFAULT_MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""The largest answer read (after decompression); a 2,000-channel Octopus list is about 6 MB."""
USER_AGENT = "tui-channels"
MAX_CONNECTIONS = 32
"""Connections one client keeps to its gateway at most (a batch's concurrency stays below it)."""
TRANSIENT_STATUSES = (502, 503, 504)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a client retries transient faults and waits out HTTP 429.

    `max_retries` retries per request (a `retry_allowance` may allow fewer), `base_delay` seconds
    doubling with jitter up to `max_delay` between them. A server may ask (`Retry-After`) or make
    (429 after 429) a request wait at most `max_wait` seconds; past that the request fails with
    `RateLimited` instead of freezing a screen or a batch.
    """

    max_retries: int = 2
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = DEFAULT_MAX_WAIT
    max_wait_source: str = "the site's max_wait setting"
    """Where `max_wait` comes from, for the message when a server asks for more."""

    def delay(self, attempt: int) -> float:
        """Seconds before retry number `attempt + 1`: exponential back-off with jitter."""
        return min(self.base_delay * (2**attempt) * (1 + random.random() / 4), self.max_delay)


class TransportSettings(TypedDict, total=False):
    """What every client passes on from its site's profile to its `HttpTransport` (same meanings):
    the keyword arguments a client takes besides its address, credentials and flavor."""

    verify_tls: bool
    timeout: float | None
    retry: RetryPolicy | None
    budget: RequestBudget | None
    max_answer_bytes: int | None


class RetryAllowance:
    """Retries left for one unit of work across all its requests (a batch's channel)."""

    def __init__(self, retries: int) -> None:
        self.left = retries
        self.used = 0

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        self.used += 1
        return True


retry_allowance: ContextVar[RetryAllowance | None] = ContextVar("retry_allowance", default=None)
"""The current task's allowance; None lets each request use its policy's `max_retries`."""


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


def format_wait(seconds: float) -> str:
    """A wait as "45 s", "3 min" or "2 h 05 min"."""
    seconds = int(seconds + 0.5)
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def clock_time(seconds_from_now: float) -> str:
    """The local wall-clock time that many seconds from now, as HH:MM:SS."""
    return time.strftime("%H:%M:%S", time.localtime(time.time() + seconds_from_now))


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


class _NotSent(Exception):
    """The request never reached the server (no connection, or it could not even be built)."""

    def __init__(self, error: ChannelsError) -> None:
        super().__init__(error.message)
        self.error = error


class _Dropped(Exception):
    """The connection broke after the request went out and before the whole answer came back."""

    def __init__(self, error: ChannelsError) -> None:
        super().__init__(error.message)
        self.error = error


_NOT_SENT = (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)


class HttpTransport:
    """An `httpx.AsyncClient` bound to one gateway: typed errors, retries, deadline, size cap."""

    def __init__(
        self,
        base_url: str,
        *,
        verify_tls: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        budget: RequestBudget | None = None,
        max_answer_bytes: int | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = host_of(self.base_url)
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.retry = retry or RetryPolicy()
        self.budget = budget
        self.max_answer_bytes = max_answer_bytes or DEFAULT_MAX_ANSWER_BYTES
        self._sleep = sleep
        self._base = _parsed_base(self.base_url)
        tls = verified_tls() if verify_tls else False
        self._direct = None if proxied_by_environment() else AiohttpTransport(tls=tls, max_connections=MAX_CONNECTIONS)
        """The transport requests go straight to (see `_exchange`); None when a proxy is in the way."""
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            verify=tls,
            timeout=self.timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            transport=self._direct,
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
        """Send one request and read its whole answer, retrying as the module docstring says.

        `timeout` is the deadline in seconds for the whole request, answer included. Raises
        `RequestTimeout`, `Unreachable`, `TLSFailure`, `BadResponse` (`AnswerTooLarge` past the
        size cap, an undecodable body) or `RateLimited`; any other status comes back to the caller.
        """
        retries = refusals = 0
        refused_since: float | None = None
        while True:
            slot = await self.budget.acquire() if self.budget is not None else None
            try:
                response = await self._send_once(method, path, json_body, params, timeout)
            except _NotSent as failure:
                if slot is not None:
                    self.budget.unsent(slot)
                raise failure.error from None
            except _Dropped as dropped:
                if slot is not None:
                    self.budget.accepted(slot)
                if method != "GET" or not self._may_retry(retries):
                    raise dropped.error from None
                retries += 1
                await self._back_off(method, path, retries, "the connection dropped")
                continue
            except BaseException:
                if slot is not None:
                    self.budget.accepted(slot)
                raise
            if response.status_code == 429:
                refused_since = refused_since or time.monotonic()
                refusals = await self._refused(method, path, response, slot, refused_since, refusals)
                continue
            if slot is not None:
                self.budget.accepted(slot)
            if _is_transient(method, response) and self._may_retry(retries):
                retries += 1
                await self._back_off(method, path, retries, f"HTTP {response.status_code}")
                continue
            return response

    def _may_retry(self, retries: int) -> bool:
        if retries >= self.retry.max_retries:
            return False
        allowance = retry_allowance.get()
        return allowance is None or allowance.take()

    async def _back_off(self, method: str, path: str, retries: int, why: str) -> None:
        wait = self.retry.delay(retries - 1)
        log.info("%s %s -> %s, retry %d in %.1fs", method, path, why, retries, wait)
        await self._sleep(wait)

    async def _refused(
        self,
        method: str,
        path: str,
        response: httpx.Response,
        slot: Slot | None,
        refused_since: float,
        refusals: int,
    ) -> int:
        """Handle a 429: raise when waiting would pass `max_wait`, else wait; returns the refusals so far.

        With a budget, the budget decides the wait (and learns); without one, exponential back-off,
        never shorter than the server's `Retry-After`. Either way the request was not acted on, so
        it is resent without using a retry.
        """
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        max_wait = self.retry.max_wait
        if retry_after is not None and retry_after > max_wait:
            error = self._asked_too_long(retry_after)
            if self.budget is not None and slot is not None:
                self.budget.halt(slot, retry_after, error)
            raise error
        if self.budget is not None and slot is not None:
            self.budget.refused(slot, retry_after)
        wait = 0.0 if self.budget is not None else max(retry_after or 0.0, self.retry.delay(refusals))
        if time.monotonic() + wait - refused_since > max_wait:
            raise self._kept_refusing(time.monotonic() - refused_since, retry_after)
        log.info("%s %s -> 429 (Retry-After %s)", method, path, retry_after)
        if wait > 0:
            hook = waiting_hook.get()
            with hook(ServerWait(wait)) if hook is not None else nullcontext():
                await self._sleep(wait)
        return refusals + 1

    def _asked_too_long(self, retry_after: float) -> RateLimited:
        return RateLimited(
            f"{self.host} asks to wait {format_wait(retry_after)} (until {clock_time(retry_after)}) before more "
            f"requests (HTTP 429); this client waits at most {format_wait(self.retry.max_wait)} "
            f"({self.retry.max_wait_source}). Try again after that time.",
            retry_after=retry_after,
        )

    def _kept_refusing(self, seconds: float, retry_after: float | None) -> RateLimited:
        return RateLimited(
            f"{self.host} kept refusing requests (HTTP 429) for {format_wait(seconds)}; this client waits at "
            f"most {format_wait(self.retry.max_wait)} ({self.retry.max_wait_source}). Lower the site's "
            "concurrency or request_budget, or try again later.",
            retry_after=retry_after,
        )

    async def _send_once(
        self,
        method: str,
        path: str,
        json_body: Any,
        params: Mapping[str, Any] | None,
        timeout: float | None,
    ) -> httpx.Response:
        """One exchange within the whole-request deadline; the answer is read in full, up to the cap."""
        deadline = timeout or self.timeout
        received = _Received()
        try:
            request = self._build(method, path, json_body, params, deadline)
            async with asyncio.timeout(deadline):
                response = await self._exchange(request, method, path, received)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise RequestTimeout(self._timeout_message(method, path, deadline, received)) from exc
        except httpx.DecodingError as exc:
            encoding = received.encoding or "compressed"
            raise BadResponse(
                f"{self.host} answered {method} {path} with a body labelled {encoding} that could not be "
                "decoded; a proxy in front of the gateway may be rewriting its answers."
            ) from exc
        except _NOT_SENT as exc:
            raise _NotSent(transport_error(exc, self.host)) from exc
        except httpx.TransportError as exc:
            raise _Dropped(transport_error(exc, self.host)) from exc
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _build(
        self, method: str, path: str, json_body: Any, params: Mapping[str, Any] | None, deadline: float
    ) -> httpx.Request:
        """The request for `path` under the base URL, as `AsyncClient.build_request` makes it, made
        directly while the cookie jar is empty (merging an empty jar and re-parsing the base URL cost
        as much as the rest of the request).

        Without query parameters its headers and body are put together here, as httpx would
        (`Host` first, the client's headers, then the body's `Content-Length` and `Content-Type`):
        httpx's own request made them by normalising every header twice and searching them for
        each one it adds (15–30 µs of the client's 0.3 ms of CPU per channel test). Where httpx
        encodes JSON otherwise than `_json_bytes` (checked once), or the client's own headers name
        one of those it adds, httpx makes the request itself."""
        extensions = {"timeout": httpx.Timeout(deadline).as_dict()}
        if self._client.cookies.jar or "://" in path:
            return self._client.build_request(method, path, json=json_body, params=params, timeout=deadline)
        url = self._url(path)
        by_httpx = params is not None or not _SAME_JSON or isinstance(url, str)
        if by_httpx or _SENT_BY_HTTPX & self._client.headers.keys():
            return httpx.Request(
                method, url, params=params, headers=self._client.headers, json=json_body, extensions=extensions
            )
        headers = [(b"Host", url.netloc), *self._client.headers.raw]
        if json_body is not None:
            body = _json_bytes(json_body)
            headers += ((b"Content-Length", str(len(body)).encode()), (b"Content-Type", b"application/json"))
        else:
            body = b""
            if method in ("POST", "PUT", "PATCH"):
                headers.insert(1, (b"Content-Length", b"0"))
        request = httpx.Request(method, url, headers=headers, stream=httpx.ByteStream(body), extensions=extensions)
        request._content = body
        return request

    def _url(self, path: str) -> httpx.URL | str:
        """`path` under the base URL: a plain path (letters, digits, `-._~` and slashes, no dot
        segment: nothing httpx would encode or normalise) joins the base URL parsed once, instead
        of httpx parsing the whole URL again, which took a seventh of the client's CPU per request."""
        tail = "/" + path.lstrip("/")
        if self._base is None or not _PLAIN_PATH.fullmatch(joined := self._base.path.rstrip("/") + tail):
            return self.base_url + tail
        url = httpx.URL.__new__(httpx.URL)
        url._uri_reference = self._base._replace(path=joined)
        return url

    async def _exchange(self, request: httpx.Request, method: str, path: str, received: _Received) -> httpx.Response:
        """Send `request` and read its whole answer, decoded, up to the size cap.

        Without a proxy the request goes straight to the transport: `AsyncClient.send` would add
        only what this client never uses (auth flows, redirects it does not follow, event hooks)
        and walk the cookie jar on every answer, a sixth of a batch's CPU per request. Cookies are
        still kept as httpx keeps them: an answer that sets one goes through the jar. A body sent
        as it is (no `Content-Encoding`, nearly every answer) is read straight off the connection,
        not through an httpx answer streaming it through its decoders.
        """
        if self._direct is None:
            streamed = await self._client.send(request, stream=True)
            try:
                content = await self._read(streamed.headers, streamed.aiter_bytes(), method, path, received)
            finally:
                await streamed.aclose()
            return _whole(streamed.status_code, streamed.headers.raw, content, request)
        if self._client.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        answer = await self._direct.open(request)
        try:
            if "Content-Encoding" in answer.headers:
                streamed = self._direct.streamed(answer, request)
                chunks = streamed.aiter_bytes()
            else:
                chunks = body_chunks(answer, request)
            content = await self._read(answer.headers, chunks, method, path, received)
        finally:
            answer.release()
        response = _whole(answer.status, answer.raw_headers, content, request)
        if "set-cookie" in response.headers:
            self._client.cookies.extract_cookies(response)
        return response

    async def _read(
        self,
        headers: Mapping[str, str],
        chunks: AsyncIterator[bytes],
        method: str,
        path: str,
        received: _Received,
    ) -> bytes:
        """The decoded body (`chunks`), stopped as soon as it passes the size cap."""
        received.started = True
        received.encoding = headers.get("content-encoding")
        limit = self.max_answer_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit and not received.encoding:
            raise self._too_large(method, path)
        body = bytearray()
        async for chunk in chunks:
            body += chunk
            received.size = len(body)
            if len(body) > limit:
                raise self._too_large(method, path)
        return bytes(body)

    def _too_large(self, method: str, path: str) -> AnswerTooLarge:
        return AnswerTooLarge(
            f"{self.host} answered {method} {path} with more than {self.max_answer_bytes / 2**20:g} MB, "
            "so the answer was dropped unread. Raise the site's max_answer_mb if such answers are expected."
        )

    def _timeout_message(self, method: str, path: str, deadline: float, received: _Received) -> str:
        if received.started:
            return (
                f"{self.host} started answering {method} {path} but did not finish within {deadline:g} s "
                f"({plural(received.size, 'byte')} arrived). The gateway, a proxy or the network is stalling; "
                "try again, or raise the site's timeout."
            )
        return (
            f"{self.host} did not answer {method} {path} within {deadline:g} s. "
            "The gateway or its upstream is slow or hung; try again, or raise the site's timeout."
        )


def _json_bytes(value: Any) -> bytes:
    """A JSON body as httpx 0.28 encodes it (compact, UTF-8, no NaN)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _same_json() -> bool:
    """Whether httpx encodes a JSON body as `_json_bytes` does, and keeps it where its own
    `read()` does (`_content`)."""
    sample = {"name": "é ü 中", "models": ["a", "b"], "weight": 1.5, "tag": None, "ok": True}
    made = httpx.Request("POST", "http://127.0.0.1/", json=sample)
    probe = httpx.Request("POST", "http://127.0.0.1/", stream=httpx.ByteStream(b""))
    try:
        probe._content = b"{}"
        return made.content == _json_bytes(sample) and probe.content == b"{}"
    except (httpx.HTTPError, httpx.StreamError, AttributeError):
        return False


_SAME_JSON = _same_json()
_SENT_BY_HTTPX = frozenset({"host", "content-length", "content-type", "transfer-encoding"})
"""Headers `_build` adds as httpx would; a client header of these names leaves the request to httpx."""


_DECODED_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})
"""Headers that describe the wire form of a body this layer has already decoded."""


def _whole(
    status: int, raw_headers: Sequence[tuple[bytes, bytes]], content: bytes, request: httpx.Request
) -> httpx.Response:
    """The answer as the backends get it: its decoded body, without the headers of its wire form
    (and with the `Content-Length` of the decoded body, as httpx gives an answer made from bytes).

    It is the answer `httpx.Response(status, headers=…, content=content)` makes, made without
    passing the body again through httpx's decoders and chunkers (a body it would only copy: this
    layer has decoded it), about 15 µs of the 0.3 ms of CPU the client spends on a channel test;
    where httpx no longer keeps a read body as `_content`, it is made that way."""
    headers = [(name, value) for name, value in raw_headers if name.lower() not in _DECODED_HEADERS]
    if not _KEEPS_READ_BODY:
        return httpx.Response(status, headers=headers, content=content, request=request)
    if content:
        headers.append((b"Content-Length", str(len(content)).encode()))
    response = httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), request=request)
    response._content = content
    response.is_stream_consumed = response.is_closed = True
    return response


def _keeps_read_body() -> bool:
    """Whether an httpx answer reads its body from `_content`, where its own `read()` keeps it."""
    probe = httpx.Response(200, headers={"Content-Type": "application/json"}, stream=httpx.ByteStream(b""))
    try:
        probe._content = b"[1]"
        return probe.content == b"[1]" and probe.json() == [1] and probe.text == "[1]"
    except (httpx.HTTPError, httpx.StreamError, AttributeError, ValueError):
        return False


_KEEPS_READ_BODY = _keeps_read_body()


_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+/?")
"""A path httpx keeps as it is: segments of unreserved characters, none of them `.` or `..`, and
maybe a trailing slash (New API's `/api/channel/`)."""


def _parsed_base(base_url: str) -> Any:
    """The base URL as httpx parsed it (its `URL._uri_reference`, a named tuple of its parts), for
    `HttpTransport._url`; None when it has a query or fragment, does not parse, or when httpx no
    longer keeps its parts that way (then every URL is parsed whole, as before)."""
    try:
        parts = getattr(httpx.URL(base_url), "_uri_reference", None)
    except httpx.InvalidURL:
        return None
    if not hasattr(parts, "_replace") or getattr(parts, "query", "") is not None or parts.fragment is not None:
        return None
    return parts


class _Received:
    """How far an answer got, for the message when the deadline cuts it off."""

    __slots__ = ("started", "size", "encoding")

    def __init__(self) -> None:
        self.started = False
        self.size = 0
        self.encoding: str | None = None


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


def _is_transient(method: str, response: httpx.Response) -> bool:
    """A proxy's 502/503/504 on a read, not the gateway's own JSON answer (which is final)."""
    if method != "GET" or response.status_code not in TRANSIENT_STATUSES:
        return False
    return not isinstance(json_or_none(response), dict)


def redirect_error(response: httpx.Response, path: str) -> BadResponse:
    """A 3xx answer to an API call: the base URL is off (http for https, a missing or extra path);
    the transport never follows redirects, so a write cannot land on another address."""
    return BadResponse(
        f"{path} redirected to {response.headers.get('location', 'another address')}. "
        "Check the site's base URL (http vs https, a missing or extra path)."
    )


def looks_like_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    if "html" in content_type:
        return True
    head = response.content[:64].lstrip().lower()
    return head.startswith(b"<!doctype") or head.startswith(b"<html")


def _answered(response: httpx.Response) -> str:
    """ "127.0.0.1:3000 answered GET /api/channel/", for messages about an answer."""
    request = response.request
    return f"{host_of(str(request.url))} answered {request.method} {request.url.path}"


@functools.lru_cache(maxsize=64)
def _charset(content_type: str | None) -> str | None:
    """The charset a `Content-Type` declares (lower case), as httpx's `Response.charset_encoding`
    reads it; kept per header value, since a batch's answers all carry the same few."""
    if content_type is None:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_charset(failobj=None)


def _json_source(response: httpx.Response) -> str | bytes:
    """The body as text in its declared charset, or as bytes for JSON's own UTF detection."""
    charset = _charset(response.headers.get("content-type"))
    if charset is None:
        return response.content
    try:
        codecs.lookup(charset)
    except LookupError:
        raise BadResponse(f"{_answered(response)} in the charset {charset!r}, which is unknown.") from None
    try:
        return response.content.decode(charset)
    except UnicodeDecodeError:
        raise BadResponse(
            f"{_answered(response)} with text that is not valid {charset} (HTTP {response.status_code}); "
            "a proxy in front of the gateway may be rewriting its answers."
        ) from None


def json_or_none(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON (for error answers, whose body is optional)."""
    try:
        return json.loads(_json_source(response))
    except (BadResponse, ValueError):
        return None


def decode_json(response: httpx.Response) -> Any:
    """The body as JSON, or `BadResponse` that says what came instead."""
    path = response.request.url.path
    if looks_like_html(response):
        raise BadResponse(
            f"{path} answered with a web page, not the API (HTTP {response.status_code}). "
            "The URL points at a web page, not the API — check the base URL."
        )
    if not response.content or response.content.isspace():
        raise BadResponse(f"{path} answered HTTP {response.status_code} with an empty body.")
    source = _json_source(response)
    try:
        return json.loads(source)
    except UnicodeDecodeError:
        raise BadResponse(
            f"{_answered(response)} with text that is not valid UTF-8 (HTTP {response.status_code}); "
            "a proxy in front of the gateway may be rewriting its answers."
        ) from None
    except ValueError:
        raise BadResponse(
            f"{path} answered malformed JSON (HTTP {response.status_code}). "
            "The gateway or a proxy in front of it returned something that is not the API's answer."
        ) from None
