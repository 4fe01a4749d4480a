"""Check a site profile step by step: reachable, the backend it runs, whether the credentials work,
and what the account may do.

Used by `tui-channels sites verify` and by the site manager's "Verify configuration": each step
becomes one `Check` in plain words, so a user sees which one is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backends.registry import create_backend, family_of
from ..config import SiteProfile
from ..errors import (
    AuthError,
    BadResponse,
    ChannelsError,
    InvalidSecret,
    NotSupported,
    PermissionDenied,
    RequestTimeout,
    TLSFailure,
    Unreachable,
)


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


async def verify_site(profile: SiteProfile, secret: str) -> list[Check]:
    """Reachability, backend family and version, credentials — in that order, as plain words."""
    try:
        backend = create_backend(profile, secret)
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
