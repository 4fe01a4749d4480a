"""The answer-handling contract: every family turns the same server answers into the same typed errors.

Each case injects one answer (the server's own refusal in its envelope, an HTTP error, a web page,
malformed JSON, an answer past the size cap, no answer at all) on every request to an emulated
site of each flavor, then reads the channel list (a GET, which the transport may retry) and
disables a channel (a write, which it never retries). The typed error is what the app relies on;
where a family's answer differs for a documented reason, `EXCEPTIONS` says so. Every message is
one line without doubled spaces, names the failure and never shows the site's secret.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tui_channels.backends.base import Backend, Operation
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.registry import create_backend
from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import (
    AnswerTooLarge,
    AuthError,
    BackendError,
    BadResponse,
    NotSupported,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
)
from tui_channels.models import BackendKind

from .backend_helpers import FLAVORS, HUNG_SERVER_TIMEOUT, profile_of

_names = itertools.count(1)
NO_ROUTE = "/api/v1/no-such-route"
REFUSAL = "the name dedup-contract is already taken"
"""A refusal message no client invents: a case that passes quoted it from the server's answer."""
QUICK = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.05, max_wait=0.5)
"""One fast retry, and a 429 wait cut short: the cases test the verdict, not the patience."""

MISSING_ROUTE: dict[BackendKind, tuple[int, Any]] = {
    BackendKind.NEWAPI: (
        404,
        {"error": {"message": f"Invalid URL (GET {NO_ROUTE})", "type": "invalid_request_error", "param": "", "code": ""}},
    ),
    BackendKind.ONEHUB: (
        404,
        {"error": {"code": "", "message": f"Invalid URL (GET {NO_ROUTE})", "type": "invalid_request_error"}},
    ),
    BackendKind.OCTOPUS: (404, b"404 page not found"),
    BackendKind.AXONHUB: (404, b"Not Found"),
    BackendKind.CLAUDECODEHUB: (404, b"404 Not Found"),
}
"""What each family's server answers `GET NO_ROUTE` with, read from the servers: New API v0.6.3.0
and 2026 main, One API and Veloera, One Hub v0.14 and Done Hub v1.23 their relay router's
OpenAI-style error object, Octopus v0.9.28 and v0.11.0 gin's plain text, Claude Code Hub v0.9 Next's
plain text. (AxonHub serves its web UI outside `/admin/graphql`; its 404 here is a proxy's.)"""


def refusal(site: DemoSite) -> dict[str, Any]:
    """The server's own refusal of a request in its envelope, with HTTP 400 (AxonHub: GraphQL's
    `errors`, with HTTP 200 as gqlgen answers them)."""
    if site.kind is BackendKind.AXONHUB:
        return {"kind": "body", "status": 200, "body": {"data": None, "errors": [{"message": REFUSAL}]}}
    return {"kind": "body", "status": 400, "body": site.server.error_body(400, REFUSAL)}


@dataclass(frozen=True)
class Case:
    """One injected answer and the typed error every family turns it into."""

    fault: Callable[[DemoSite], dict[str, Any]]
    expected: type[BackendError]
    quotes: str | None = None
    """Text of the server's answer the message must carry."""


CASES: dict[str, Case] = {
    "refusal-400": Case(refusal, RequestRejected, REFUSAL),
    "unauthorized-401": Case(lambda s: {"kind": "unauthorized"}, AuthError),
    "forbidden-403": Case(lambda s: {"kind": "forbidden"}, PermissionDenied),
    "missing-route-404": Case(
        lambda s: {"kind": "body", "status": MISSING_ROUTE[s.kind][0], "body": MISSING_ROUTE[s.kind][1]}, NotSupported
    ),
    "rate-limited-429": Case(lambda s: {"kind": "rate_limit", "retry_after": 3600}, RateLimited),
    "rate-limited-429-without-retry-after": Case(lambda s: {"kind": "rate_limit"}, RateLimited),
    "server-error-500": Case(lambda s: {"kind": "server_error"}, ServerError, "internal server error"),
    "database-error-500": Case(lambda s: {"kind": "database_error"}, ServerError, "database is locked"),
    "proxy-502": Case(lambda s: {"kind": "bad_gateway"}, ServerError, "502"),
    "plain-text-500": Case(lambda s: {"kind": "body", "status": 500, "body": b"Internal Server Error"}, ServerError, "500"),
    "web-page": Case(lambda s: {"kind": "html"}, BadResponse, "web page"),
    "malformed-json": Case(lambda s: {"kind": "malformed_json"}, BadResponse, "malformed JSON"),
    "oversized": Case(lambda s: {"kind": "huge_body", "size": 3 * 2**20}, AnswerTooLarge, "more than 1 MB"),
}

EXCEPTIONS: dict[tuple[str, BackendKind], type[BackendError]] = {
    ("missing-route-404", BackendKind.CLAUDECODEHUB): BadResponse,
}
"""Where a family's verdict differs, and why: Claude Code Hub's API answers every error as
problem+json, so a 404 without it is not its API at all (a wrong base URL), not a missing route."""


@dataclass
class Subject:
    site: DemoSite
    backend: Backend
    channel_id: int


@asynccontextmanager
async def _connected(gateway: DemoGateway, flavor: str, **settings: Any) -> AsyncIterator[Subject]:
    """A connected client to a new site of the flavor with a 1 MB answer cap and `settings`."""
    site = gateway.add_flavor(f"envelope-{flavor}-{next(_names)}", flavor, channels=2)
    profile = SiteProfile(**{**profile_of(site).model_dump(), "max_answer_mb": 1, **settings})
    backend = create_backend(profile, site.secret, retry=QUICK)
    try:
        await backend.connect()
        channel_id = (await backend.list_channels())[0].id
        yield Subject(site, backend, channel_id)
    finally:
        site.faults.clear()
        await backend.close()


@pytest.fixture(params=FLAVORS)
async def subject(request: pytest.FixtureRequest, gateway: DemoGateway) -> AsyncIterator[Subject]:
    async with _connected(gateway, request.param) as connected:
        yield connected


async def _list(subject: Subject) -> Any:
    return await subject.backend.list_channels()


async def _disable(subject: Subject) -> Any:
    return await subject.backend.set_status(subject.channel_id, False)


CALLS = {"list": _list, "disable": _disable}


def _check(error: BackendError, subject: Subject, case: Case) -> None:
    message = error.message
    assert message and "\n" not in message and "  " not in message
    assert subject.site.secret not in message
    if case.quotes is not None:
        assert case.quotes in message


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("name", CASES)
async def test_every_family_gives_the_same_typed_error(subject: Subject, name: str, call: str) -> None:
    case = CASES[name]
    options = case.fault(subject.site)
    subject.site.faults.add(options.pop("kind"), "*", times=None, **options)
    expected = EXCEPTIONS.get((name, subject.site.kind), case.expected)
    with pytest.raises(BackendError) as raised:
        await CALLS[call](subject)
    assert isinstance(raised.value, expected), f"{type(raised.value).__name__}: {raised.value.message}"
    _check(raised.value, subject, case)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("flavor", FLAVORS)
async def test_a_request_without_an_answer_times_out(gateway: DemoGateway, flavor: str, call: str) -> None:
    """The site's deadline, short here, holds whatever the family: a hung server is `RequestTimeout`."""
    async with _connected(gateway, flavor, timeout=HUNG_SERVER_TIMEOUT) as subject:
        subject.site.faults.add("hang", "*", times=None)
        with pytest.raises(RequestTimeout) as raised:
            await CALLS[call](subject)
        _check(raised.value, subject, Case(lambda s: {}, RequestTimeout, "did not answer"))


ENVELOPE_FLAVORS = [flavor for flavor in FLAVORS if not flavor.startswith(("octopus", "axonhub", "claudecodehub"))]
"""The flavors whose envelope is `{success, message, data}` (New API, One API, Veloera, One Hub,
Done Hub): they answer a refusal with HTTP 200 and `success: false`."""


@pytest.mark.parametrize("call", CALLS)
async def test_success_false_with_http_200_is_a_refusal_that_quotes_the_server(
    subject: Subject, call: str
) -> None:
    if subject.site.flavor not in ENVELOPE_FLAVORS:
        pytest.skip("this family's envelope has no `success` flag")
    subject.site.faults.add("body", "*", times=None, status=200, body={"success": False, "message": REFUSAL})
    with pytest.raises(RequestRejected) as raised:
        await CALLS[call](subject)
    assert REFUSAL in raised.value.message


@pytest.mark.parametrize("call", CALLS)
async def test_a_success_answer_without_an_object_is_a_bad_response(subject: Subject, call: str) -> None:
    subject.site.faults.add("body", "*", times=None, status=200, body=[1, 2])
    with pytest.raises(BadResponse):
        await CALLS[call](subject)


@pytest.mark.parametrize("fault", ["html", "malformed_json"])
async def test_a_delete_answered_by_something_else_than_the_api_is_not_reported_done(
    subject: Subject, fault: str
) -> None:
    """A login page or a proxy's answer to a delete: the gateway never saw it."""
    if not subject.backend.capabilities.supports(Operation.DELETE):
        pytest.skip("this flavor cannot delete")
    subject.site.faults.add(fault, "*", times=None)
    with pytest.raises(BadResponse):
        await subject.backend.delete_channel(subject.channel_id)
    subject.site.faults.clear()
    assert subject.channel_id in subject.site.server.channel_ids()


@pytest.mark.parametrize("flavor", [f for f in FLAVORS if not f.startswith("axonhub")])
def test_the_demo_answers_a_route_it_lacks_as_the_server_does(gateway: DemoGateway, flavor: str) -> None:
    site = gateway.add_flavor(f"envelope-route-{flavor}-{next(_names)}", flavor, channels=0)
    status, body = MISSING_ROUTE[site.kind]
    answer = httpx.get(f"{site.url}{NO_ROUTE}")
    assert answer.status_code == status
    assert (answer.json() if isinstance(body, dict) else answer.content) == body
