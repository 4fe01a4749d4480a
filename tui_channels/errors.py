"""One error family for everything the app can tell a person about.

Every failure in the client layer becomes one of these, with a `title` (what went wrong, in a few
words) and a `message` (what happened and what to do). The UI and the CLI show those two strings
and never a traceback. Messages never contain secrets: no keys, tokens, passwords or headers.
"""

from __future__ import annotations


class ChannelsError(Exception):
    """Base class: an error with a short title and an actionable message."""

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConfigError(ChannelsError):
    title = "Configuration problem"


class SecretStoreError(ChannelsError):
    title = "Secret storage problem"


class BackendError(ChannelsError):
    """Anything that went wrong talking to a gateway."""

    title = "Gateway error"


class Unreachable(BackendError):
    title = "Gateway unreachable"


class TLSFailure(BackendError):
    title = "TLS error"


class RequestTimeout(BackendError):
    title = "Timed out"


class AuthError(BackendError):
    """401 or an invalid credential: the token, user id, username or password is wrong or expired."""

    title = "Authentication failed"


class PermissionDenied(BackendError):
    """403 or the server's "insufficient privileges" answer."""

    title = "Insufficient privilege"


class NotSupported(BackendError):
    """The server has no such route or feature (404 on an API path, or a flavor without it)."""

    title = "Not supported by this server"


class NotFound(BackendError):
    """The route exists but the record does not (e.g. "record not found")."""

    title = "Not found"


class RateLimited(BackendError):
    """429 after the bounded retries; `retry_after` is the server's hint in seconds, if it gave one."""

    title = "Rate limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(BackendError):
    """5xx from the gateway."""

    title = "Server error"


class BadResponse(BackendError):
    """The answer was not the API's JSON: an HTML page, malformed JSON, an unexpected shape."""

    title = "Unexpected response"


class RequestRejected(BackendError):
    """The server understood the request and refused it (`success:false` or an error code)."""

    title = "Request refused"
