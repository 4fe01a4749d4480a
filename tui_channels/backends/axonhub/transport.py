"""GraphQL documents over `HttpTransport`, for the gql client.

gql builds the documents (its DSL, from the schema read by introspection), validates them against
that schema before anything is sent, and raises the server's `errors` as `TransportQueryError`.
The bytes travel through this transport rather than gql's own HTTPX one, so an AxonHub call gets
what every backend call gets: the site's timeout, the retry policy, the request budget, and
transport failures as typed errors. Secrets never reach a log: `HttpTransport` logs only method,
path and status.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import httpx
from gql.graphql_request import GraphQLRequest
from gql.transport.async_transport import AsyncTransport
from graphql import ExecutionResult

from ...errors import AuthError, BadResponse, NotSupported, PermissionDenied, ServerError
from ..http import HttpTransport, decode_json, host_of

GRAPHQL = "/admin/graphql"

call_timeout: ContextVar[float | None] = ContextVar("axonhub_call_timeout", default=None)
"""A longer timeout for the calls in this context (tests and model fetches wait for the upstream)."""


class SessionExpired(AuthError):
    """The server refused the bearer token (HTTP 401 before GraphQL ran): sign in again and retry."""


def error_text(response: httpx.Response) -> str:
    """The message of a REST error answer: `{"error": "..."}` (v0.1) or `{"error": {"message"}}` (newer)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error) if error else ""


class AdminGraphQL(AsyncTransport):
    """POSTs each document to `/admin/graphql` with the session's bearer token."""

    def __init__(self, http: HttpTransport) -> None:
        self._http = http
        self._host = host_of(http.base_url)

    async def connect(self) -> None:
        """The HTTP pool belongs to the backend, which opens and closes it."""

    async def close(self) -> None:
        """See `connect`."""

    def subscribe(self, request: GraphQLRequest) -> Any:
        raise NotImplementedError("AxonHub channel administration uses no subscriptions")

    async def execute(self, request: GraphQLRequest) -> ExecutionResult:
        response = await self._http.request("POST", GRAPHQL, json_body=request.payload, timeout=call_timeout.get())
        status = response.status_code
        if status == 401:
            raise SessionExpired(f"AxonHub at {self._host} refused the session ({error_text(response) or 'HTTP 401'}).")
        if status == 403:
            raise PermissionDenied(
                f"AxonHub at {self._host} refused the request ({error_text(response) or 'HTTP 403'}). "
                "Sign in with the owner account or one with the read_channels and write_channels scopes."
            )
        if status == 404:
            raise NotSupported(
                f"{self._host} has no AxonHub GraphQL endpoint at {GRAPHQL} (HTTP {status}). "
                "Check that the site URL points at an AxonHub server, not its web page or another gateway."
            )
        if status >= 500 and not _has_errors(response):
            raise ServerError(
                f"AxonHub at {self._host} failed (HTTP {status}"
                + (f": {error_text(response)}" if error_text(response) else "")
                + "). Check the gateway's log; try again later."
            )
        body = self._body(response)
        return ExecutionResult(data=body.get("data"), errors=body.get("errors"), extensions=body.get("extensions"))

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        """The GraphQL answer object, or `BadResponse` saying what came instead."""
        body = decode_json(response)
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            raise BadResponse(
                f"{GRAPHQL} on {self._host} answered without GraphQL `data` or `errors` "
                f"(HTTP {response.status_code}). Check that the site is an AxonHub server."
            )
        return body


def _has_errors(response: httpx.Response) -> bool:
    """Whether a failed answer still carries GraphQL `errors` (a resolver panic answers 500 with them)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("errors"))
