"""One error family for everything the app can tell a person about.

Every failure in the client layer becomes one of these, with a `title` (what went wrong, in a few
words) and a `message` (what happened and what to do). The UI and the CLI show those two strings
and never a traceback. Messages never contain secrets: no keys, tokens, passwords or headers; the
message and title are scrubbed (`redact.scrub`) as the error is built, so a server's echo of a
key cannot reach a screen, a report or a log, whichever backend raised it.
"""

from __future__ import annotations

from .redact import scrub


class ChannelsError(Exception):
    """Base class: an error with a short title and an actionable message."""

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = scrub(title)

    def __str__(self) -> str:
        return self.message


class ConfigError(ChannelsError):
    title = "Configuration problem"


class UnknownSite(ConfigError):
    """A site name (on the command line, in a link) that no configured site has: the person's
    mistake, so the command line answers it as a usage error (exit code 2)."""

    title = "Unknown site"


class SecretStoreError(ChannelsError):
    title = "Secret storage problem"


class InvalidSecret(SecretStoreError):
    """A token or password that no server could receive as meant (a line break, a non-ASCII
    character in a header): refused where it is entered, and before any request is sent."""

    title = "Invalid secret"


class ReadOnly(ChannelsError):
    """A write was refused before it was sent: the site, or the whole run, is read-only."""

    title = "Read-only"


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


class DatabaseError(ServerError):
    """The gateway answered that its own database failed (locked, unreachable, missing table)."""

    title = "Gateway database error"

    MARKERS = ("database", "sqlite", "mysql", "postgres", "pq: ", "sqlstate", "too many connections", "数据库")
    """How the servers' database failures read (GORM and driver errors passed on verbatim)."""

    @classmethod
    def from_message(cls, message: str, *, action: str) -> DatabaseError | None:
        """A `DatabaseError` when a server's error message is its database failing, else None."""
        lowered = message.lower()
        if not any(marker in lowered for marker in cls.MARKERS):
            return None
        return cls(
            f"The gateway's database failed while trying to {action} ({message.rstrip('.')}). "
            "This is the gateway's own trouble, not the credentials or the channel: check its database "
            "and logs, then try again."
        )


class BadResponse(BackendError):
    """The answer was not the API's JSON: an HTML page, malformed JSON, an unexpected shape."""

    title = "Unexpected response"


class BadRecord(BadResponse):
    """One record of a list cannot be read as a channel (not an object, no usable id).

    List parsers skip such a record and keep its message as a warning; only a page that cannot be
    read at all fails the whole listing.
    """

    title = "Record skipped"


class AnswerTooLarge(BadResponse):
    """The answer passed the site's size cap (`max_answer_mb`) and was dropped unread."""

    title = "Answer too large"


class RequestRejected(BackendError):
    """The server understood the request and refused it (`success:false` or an error code)."""

    title = "Request refused"


class NoBalance(RequestRejected):
    """The server cannot query this channel's balance (its type, or a multi-key channel): there is
    nothing to refresh, which a balance refresh reports as skipped, not failed. The message is the
    reason in plain words."""

    title = "No balance to query"


def describe(error: BaseException) -> tuple[str, str]:
    """A title and a one-line message for any error: ours as they are, anything else as a bug.

    An unexpected error is named by its type and the first line of its text, scrubbed and cut
    short; never its traceback or the local variables around it, which may hold a secret.
    """
    if isinstance(error, ChannelsError):
        return error.title, error.message
    lines = str(error).strip().splitlines()
    detail = scrub(lines[0])[:200].rstrip(" .") if lines else ""
    return (
        "Unexpected error",
        f"{type(error).__name__}{f': {detail}' if detail else ''} (a bug in tui-channels: please report it).",
    )
