"""The `{success, message, data}` envelope of the New API lineage: one call and the errors it raises.

New API (v0.6.3.0 to 2026 main), One API, Veloera (newapi.md §1, veloera.md §1), One Hub v0.14 and
Done Hub v1.23 (onehub.md §1) answer their admin API as `{"success": bool, "message": str, "data":
…}` and refuse many requests with HTTP 200 and `success: false`. Their HTTP errors carry the same
envelope, or, for a route the server lacks, the relay router's OpenAI-style `{"error": {"message",
"type"}}` (read from the servers: `GET /api/v1/nosuch` answers 404 with it on every one of them).

The call, the redirect check and the reading of the answer are the same for every one of these
servers. What a family decides for itself is passed in: how a `success: false` message is
classified and worded (`Refusal`), and what each HTTP error status means (`StatusError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import AuthError, BadResponse, BackendError, PermissionDenied
from .http import HttpTransport, decode_json, json_or_none, redirect_error

Refusal = Callable[[str, str], BackendError]
"""(the server's message, the action) -> the typed error a `success: false` answer amounts to."""


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """An answer with HTTP status 400 or above, as a family's `StatusError` reads it."""

    status: int
    body: Any
    """The answer as JSON, or None when it is not JSON."""
    message: str
    """`error_message(body)`: empty when the answer says nothing."""
    method: str
    path: str
    action: str
    """What the call was for, in the words of a sentence: "list channels"."""


StatusError = Callable[[ErrorAnswer], BackendError]
"""An HTTP error answer -> the typed error it amounts to."""


def error_message(body: Any) -> str:
    """The message of an error answer: the relay's `error.message`, else the envelope's `message`."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(body.get("message") or "")


class Envelope:
    """Calls to one server in the envelope, over the client's own transport."""

    def __init__(self, http: HttpTransport, *, refusal: Refusal, status_error: StatusError) -> None:
        self._http = http
        self._refusal = refusal
        self._status_error = status_error

    async def call(
        self,
        method: str,
        path: str,
        *,
        action: str,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        allow_failure: bool = False,
    ) -> dict[str, Any]:
        """One call; the decoded envelope, or the typed error the answer amounts to.

        `timeout` is the whole request's deadline in seconds (the transport's default when None).
        With `allow_failure`, a `success: false` that is not about our own credentials comes back
        to the caller (a test reports the upstream's failure as a result, not an exception).
        Raises the transport's errors, `BadResponse` for a redirect or an answer that is not a JSON
        object, the `StatusError` of an HTTP error and the `Refusal` of a `success: false`.
        """
        response = await self._http.request(method, path, json_body=json_body, params=params, timeout=timeout)
        status = response.status_code
        if 300 <= status < 400:
            raise redirect_error(response, path)
        if status >= 400:
            body = json_or_none(response)
            raise self._status_error(ErrorAnswer(status, body, error_message(body), method, path, action))
        answer = decode_json(response)
        if not isinstance(answer, dict):
            raise BadResponse(f"{path} answered {type(answer).__name__} where an object was expected.")
        if answer.get("success", True) is False:
            error = self._refusal(str(answer.get("message") or ""), action)
            if allow_failure and not isinstance(error, (AuthError, PermissionDenied)):
                return answer
            raise error
        return answer
