"""Check a site profile step by step: reachable, the backend it runs, whether the credentials work,
and what the account may do.

Used by `tui-channels sites verify` and by the site manager's "Verify configuration": each step
becomes one `Check` in plain words, so a user sees which one is wrong. A rate limit
(HTTP 429), a server error (5xx) or the gateway's database failing is not a verdict on the
credentials: the credentials step then says it was not checked, and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backends.base import Backend
from ..backends.http import RetryPolicy
from ..backends.registry import create_backend, family_of
from ..config import SiteProfile
from ..errors import (
    AuthError,
    BadResponse,
    ChannelsError,
    InvalidSecret,
    NotSupported,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    TLSFailure,
    Unreachable,
)


def _detected(backend: Backend) -> Check:
    """The backend step when the server answered its status before failing, else not checked."""
    if backend.detected_label:
        return Check("Backend", True, backend.detected_label)
    return Check("Backend", None, "not checked (the server did not say what it runs)")


def _not_a_verdict(error: ChannelsError) -> str:
    """Why a rate limit, a server failure or a broken answer says nothing about the credentials."""
    if isinstance(error, RateLimited):
        return f"the server is rate limiting this client (HTTP 429), so it did not judge the credentials. {error.message}"
    if isinstance(error, ServerError):
        return f"the server failed ({error.title.lower()}), so it did not judge the credentials. {error.message}"
    return f"the server stopped answering ({error.title.lower()}) after saying what it runs. {error.message}"


@dataclass(frozen=True, slots=True)
class Check:
    """One verification step: `ok` is None when an earlier failure meant it was not tried."""

    name: str
    ok: bool | None
    detail: str

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "·"}[self.ok]


NOT_TRIED = "not checked (an earlier step failed)"
VERIFY_RETRY = RetryPolicy(max_wait=10.0, max_wait_source="when verifying a site")
"""A rate-limited server may hold a verification 10 s, then the rate limit is reported instead."""


async def verify_site(profile: SiteProfile, secret: str) -> list[Check]:
    """Reachability, backend family and version, credentials — in that order, as plain words."""
    try:
        backend = create_backend(profile, secret, retry=VERIFY_RETRY)
    except InvalidSecret as error:
        return [
            Check("Reachable", None, "not checked (the secret cannot be sent)"),
            Check("Backend", None, NOT_TRIED),
            Check("Credentials", False, f"{error.title}: {error.message}"),
        ]
    reached = Check("Reachable", True, f"{profile.url} answered")
    untried = Check("Permissions", None, NOT_TRIED)
    family = family_of(profile.kind)
    try:
        capabilities = await backend.verify()
        missing = await backend.missing_permissions()
    except (Unreachable, TLSFailure, RequestTimeout) as error:
        if backend.detected_label:
            not_judged = Check("Credentials", None, f"not checked: {_not_a_verdict(error)}")
            return [reached, _detected(backend), not_judged, untried]
        return [
            Check("Reachable", False, f"{error.title}: {error.message}"),
            Check("Backend", None, NOT_TRIED),
            Check("Credentials", None, NOT_TRIED),
            untried,
        ]
    except (AuthError, PermissionDenied) as error:
        detected = backend.detected_label or f"answered like {family.article} {family.label} server"
        return [
            reached,
            Check("Backend", True, detected),
            Check("Credentials", False, f"{error.title}: {error.message}"),
            untried,
        ]
    except (BadResponse, NotSupported) as error:
        return [
            reached,
            Check(
                "Backend",
                False,
                f"{error.message} Is this really {family.article} {family.label} gateway, and is the URL its root?",
            ),
            Check("Credentials", None, NOT_TRIED),
            untried,
        ]
    except (RateLimited, ServerError) as error:
        not_judged = Check("Credentials", None, f"not checked: {_not_a_verdict(error)}")
        return [reached, _detected(backend), not_judged, untried]
    except ChannelsError as error:
        failed = Check("Credentials", False, f"{error.title}: {error.message}")
        return [reached, Check("Backend", None, NOT_TRIED), failed, untried]
    finally:
        await backend.close()
    backend_check = Check(
        "Backend", True, f"{capabilities.flavor_label}, version {capabilities.version} ({family.label} family)"
    )
    if missing:
        lacks = Check("Permissions", False, "the account can read channels but lacks " + "; ".join(missing))
        return [reached, backend_check, Check("Credentials", True, "accepted"), lacks]
    return [
        reached,
        backend_check,
        Check("Credentials", True, "accepted"),
        Check("Permissions", True, "the account can read and manage channels"),
    ]
