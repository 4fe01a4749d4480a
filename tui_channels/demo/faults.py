"""Fault injection and request accounting for the demo gateway's emulated servers.

Tests and benchmarks add `Fault`s by request path; the `FaultMiddleware` in front of each emulated
server applies the first matching one, so error paths are exercised over real sockets. It also
counts requests and in-flight requests per server, which lets tests check concurrency bounds.
"""

from __future__ import annotations

import asyncio
import enum
import fnmatch
import json
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class FaultKind(str, enum.Enum):
    LATENCY = "latency"
    UNAUTHORIZED = "unauthorized"
    EXPIRED = "expired"
    FORBIDDEN = "forbidden"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    HTML = "html"
    MALFORMED_JSON = "malformed_json"
    HANG = "hang"
    ECHO = "echo"
    BODY = "body"
    REWRITE = "rewrite"
    TRICKLE = "trickle"
    HUGE_BODY = "huge_body"
    FAKE_GZIP = "fake_gzip"
    BAD_CHARSET = "bad_charset"
    BAD_GATEWAY = "bad_gateway"
    DATABASE_ERROR = "database_error"


@dataclass
class Fault:
    """One injected fault.

    `path` is a glob over the request path (`/api/channel/*`); `method` narrows it when given.
    `times` is how many matching requests it affects (None: until removed); `every` applies it to
    one matching request in `every` (2: every other one). `delay` is the latency added (LATENCY),
    the hang length (HANG) or the seconds between bytes (TRICKLE). `retry_after` is sent as the
    `Retry-After` header on RATE_LIMIT when not None. ECHO answers the server's error envelope with
    HTTP `status` (401 by default) quoting the request's `Authorization` header and body back, as a
    debug build or a chatty proxy does. BODY answers `body` (JSON-encoded unless it is bytes) with
    HTTP `status` (200 by default): a page a proxy replaced. REWRITE lets the server answer, then
    passes its decoded JSON through `rewrite` and sends what that returns: the server's real page,
    with a record of the wrong shape or a field of the wrong type.
    DATABASE_ERROR answers the server's error envelope with a database message and HTTP `status`
    (500 by default). HUGE_BODY answers a JSON body of `size` bytes, with a `Content-Length`
    unless `declare_length` is false; BAD_CHARSET declares `charset` for a body not valid in it.
    `sent` counts the body bytes the server got out before the client hung up (HUGE_BODY, TRICKLE).
    """

    kind: FaultKind
    path: str = "*"
    method: str | None = None
    times: int | None = 1
    every: int = 1
    delay: float = 0.0
    retry_after: float | None = None
    status: int | None = None
    body: Any = None
    rewrite: Callable[[Any], Any] | None = None
    size: int = 64 * 1024 * 1024
    declare_length: bool = True
    charset: str = "utf-8"
    hits: int = 0
    sent: int = 0
    _seen: int = field(default=0, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)


ErrorBody = Callable[[int, str], dict[str, Any]]
"""Builds a server's own error envelope for (HTTP status, message)."""


class FaultInjector:
    """Thread-safe list of faults; tests call it from their thread, the server from its loop."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind | str, path: str = "*", **options: Any) -> Fault:
        fault = Fault(kind=FaultKind(kind), path=path, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any, consuming one of its `times`."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                fault._seen += 1
                if (fault._seen - 1) % max(1, fault.every):
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """A request as the server received it: tests check exactly what a client sent."""

    method: str
    path: str
    query: str
    body: bytes
    content_type: str = ""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, slots=True)
class LoggedAnswer:
    """An answer as the server sent it, with its request: tests check an emulation against a contract."""

    request: LoggedRequest
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class RequestStats:
    """Per-server counters: requests by path, the in-flight high-water mark, the last requests and answers."""

    def __init__(self, *, keep: int = 500) -> None:
        self._lock = threading.Lock()
        self.by_path: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.log: deque[LoggedRequest] = deque(maxlen=keep)
        self.answers: deque[LoggedAnswer] = deque(maxlen=keep)

    def reset(self) -> None:
        with self._lock:
            self.by_path.clear()
            self.in_flight = 0
            self.max_in_flight = 0
            self.log.clear()
            self.answers.clear()

    def record(self, request: LoggedRequest) -> None:
        with self._lock:
            self.log.append(request)

    def answered(self, answer: LoggedAnswer) -> None:
        with self._lock:
            self.answers.append(answer)

    def answers_to(self, method: str, pattern: str = "*") -> list[LoggedAnswer]:
        """Logged answers to requests with this method whose path matches the glob, oldest first."""
        with self._lock:
            return [
                a
                for a in self.answers
                if a.request.method == method.upper() and fnmatch.fnmatchcase(a.request.path, pattern)
            ]

    def requests(self, method: str, pattern: str = "*") -> list[LoggedRequest]:
        """Logged requests with this method whose path matches the glob, oldest first."""
        with self._lock:
            return [
                r for r in self.log if r.method == method.upper() and fnmatch.fnmatchcase(r.path, pattern)
            ]

    def started(self, method: str, path: str) -> None:
        with self._lock:
            self.by_path[f"{method} {path}"] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def finished(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def count(self, method: str, pattern: str = "*") -> int:
        with self._lock:
            return sum(
                n
                for key, n in self.by_path.items()
                if key.split(" ", 1)[0] == method.upper()
                and fnmatch.fnmatchcase(key.split(" ", 1)[1], pattern)
            )

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_path.values())


HTML_PAGE = b"<!DOCTYPE html><html><head><title>Gateway</title></head><body><div id=root></div></body></html>"
HANG_SECONDS = 600.0
RECORDED_BODY = 1024 * 1024
"""Bytes of each answer the request log keeps."""
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class FaultMiddleware:
    """Pure ASGI middleware: counts every HTTP request and applies injected faults."""

    def __init__(
        self, app: Any, *, faults: FaultInjector, stats: RequestStats, error_body: ErrorBody, log: bool = True
    ) -> None:
        """`log` False counts requests without logging them or their answers (a server in a process
        of its own, whose log nothing could read)."""
        self.app = app
        self.faults = faults
        self.stats = stats
        self.error_body = error_body
        self.log = log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        self.stats.started(method, path)
        request: LoggedRequest | None = None

        def log_answer(recorded: _AnswerRecorder) -> None:
            if request is not None:
                self.stats.answered(recorded.logged(request))

        recorder = _AnswerRecorder(send, on_complete=log_answer) if self.log else None
        answer = send if recorder is None else recorder
        try:
            body = await _read_body(receive)
            if recorder is not None:
                content_type = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1")
                request = LoggedRequest(method, path, scope.get("query_string", b"").decode(), body, content_type)
                self.stats.record(request)
            fault = self.faults.take(method, path)
            if fault is None:
                await self.app(scope, _replay(body), answer)
            elif fault.kind is FaultKind.LATENCY:
                await asyncio.sleep(fault.delay)
                await self.app(scope, _replay(body), answer)
            elif fault.kind is FaultKind.REWRITE:
                await self._rewritten(fault, scope, body, answer)
            else:
                await self._apply(fault, answer, scope, body, receive)
        finally:
            if recorder is not None and not recorder.complete:
                log_answer(recorder)
            self.stats.finished()

    async def _rewritten(self, fault: Fault, scope: dict[str, Any], body: bytes, send: Any) -> None:
        """The server's own answer, its JSON passed through `fault.rewrite`."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, _replay(body), keep)
        assert fault.rewrite is not None, "a REWRITE fault needs a rewrite function"
        content = json.dumps(fault.rewrite(json.loads(b"".join(chunks)))).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _apply(
        self, fault: Fault, send: Any, scope: dict[str, Any], request_body: bytes, receive: Any
    ) -> None:
        kind = fault.kind
        if kind in _STREAMED:
            gone = asyncio.ensure_future(receive())
            try:
                await _STREAMED[kind](fault, send, gone)
            finally:
                gone.cancel()
            return
        headers: list[tuple[bytes, bytes]] = []
        if kind is FaultKind.ECHO:
            status = fault.status or 401
            auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            message = f"invalid request: Authorization={auth}; body={request_body.decode('utf-8', 'replace')}"
            body = json.dumps(self.error_body(status, message)).encode()
            ctype = b"application/json; charset=utf-8"
        elif kind is FaultKind.BODY:
            status = fault.status or 200
            body = fault.body if isinstance(fault.body, bytes) else json.dumps(fault.body).encode()
            ctype = b"application/json; charset=utf-8"
        elif kind is FaultKind.HANG:
            if await _client_left(receive, fault.delay or HANG_SECONDS):
                return
            status, body, ctype = 504, b"", b"text/plain"
        elif kind is FaultKind.RATE_LIMIT:
            status, body, ctype = 429, b"", b"text/plain"
            if fault.retry_after is not None:
                headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
        elif kind is FaultKind.HTML:
            status, body, ctype = 200, HTML_PAGE, b"text/html; charset=utf-8"
        elif kind is FaultKind.MALFORMED_JSON:
            status, body, ctype = 200, b'{"success": true, "data": [', b"application/json"
        elif kind is FaultKind.FAKE_GZIP:
            status, body, ctype = 200, b'{"success": true, "message": "", "data": []}', b"application/json"
            headers.append((b"content-encoding", b"gzip"))
        elif kind is FaultKind.BAD_CHARSET:
            status, body = 200, b'{"success": true, "message": "\xff\xfe\xfa", "data": []}'
            ctype = f"application/json; charset={fault.charset}".encode()
        elif kind is FaultKind.BAD_GATEWAY:
            status, body, ctype = 502, NGINX_502, b"text/html"
        else:
            status, message = {
                FaultKind.UNAUTHORIZED: (401, "Authentication failed"),
                FaultKind.EXPIRED: (401, "token expired"),
                FaultKind.FORBIDDEN: (403, "insufficient privileges"),
                FaultKind.SERVER_ERROR: (500, "internal server error"),
                FaultKind.DATABASE_ERROR: (fault.status or 500, "database is locked"),
            }[kind]
            body = json.dumps(self.error_body(status, message)).encode()
            ctype = b"application/json; charset=utf-8"
        headers += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _AnswerRecorder:
    """A `send` that passes everything on and keeps the status, headers and body it saw (the
    first `RECORDED_BODY` bytes of it: a huge answer is not held in memory).

    `on_complete` runs before the last body chunk goes out, so a client that has read the whole
    answer always finds it logged (logging after the app returned raced the client).
    """

    def __init__(self, send: Any, *, on_complete: Callable[["_AnswerRecorder"], None]) -> None:
        self._send = send
        self._on_complete = on_complete
        self.complete = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self._kept = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            if self._kept < RECORDED_BODY:
                chunk = message.get("body", b"")[: RECORDED_BODY - self._kept]
                self.chunks.append(chunk)
                self._kept += len(chunk)
            if not message.get("more_body", False):
                self.complete = True
                self._on_complete(self)
        await self._send(message)

    def logged(self, request: LoggedRequest) -> LoggedAnswer:
        return LoggedAnswer(request, self.status, self.headers, b"".join(self.chunks))


async def _client_left(receive: Any, seconds: float) -> bool:
    """Wait up to `seconds`, or less if the client hangs up first (then True): the answer could not
    reach it anyway, and a stopping demo would otherwise wait for the hang to end."""
    gone = asyncio.ensure_future(receive())
    try:
        await asyncio.wait([gone], timeout=seconds)
        return gone.done()
    finally:
        gone.cancel()


async def _trickle(fault: Fault, send: Any, gone: asyncio.Future[Any]) -> None:
    """Headers at once, then one byte of a JSON answer every `delay` seconds until the client hangs up."""
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    body = b'{"success": true, "message": "", "data": ['
    position = 0
    while not gone.done():
        byte = body[position : position + 1] or b" "
        position += 1
        await send({"type": "http.response.body", "body": byte, "more_body": True})
        fault.sent += 1
        await asyncio.wait([gone], timeout=fault.delay or 1.0)


async def _huge_body(fault: Fault, send: Any, gone: asyncio.Future[Any]) -> None:
    """A valid JSON answer of `size` bytes (a model list), made as it is sent so the demo holds none of it."""
    head, tail = b'{"success": true, "message": "", "data": [', b'"last"]}'
    item = b'"model-0000000000000000000000000000000000000000000000000000",'
    count = max(0, (fault.size - len(head) - len(tail)) // len(item))
    headers = [(b"content-type", b"application/json")]
    if fault.declare_length:
        length = len(head) + count * len(item) + len(tail)
        headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    chunk = item * 1024
    await send({"type": "http.response.body", "body": head, "more_body": True})
    for start in range(0, count, 1024):
        if gone.done():
            return
        piece = chunk if count - start >= 1024 else item * (count - start)
        await send({"type": "http.response.body", "body": piece, "more_body": True})
        fault.sent += len(piece)
        await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": tail})


_STREAMED = {FaultKind.TRICKLE: _trickle, FaultKind.HUGE_BODY: _huge_body}


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Any:
    """A `receive` that hands the already-read body to the app, then waits like a live socket."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive
