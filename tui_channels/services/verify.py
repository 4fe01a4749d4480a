"""Check a site profile step by step: reachable, the backend it runs, and whether the credentials work.

Used by `tui-channels sites verify` and by the site manager's "Verify configuration": each step
becomes one `Check` in plain words, so a user sees which of the three is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backends.registry import create_backend
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
    try:
        capabilities = await backend.verify()
    except (Unreachable, TLSFailure, RequestTimeout) as error:
        return [
            Check("Reachable", False, f"{error.title}: {error.message}"),
            Check("Backend", None, NOT_TRIED),
            Check("Credentials", None, NOT_TRIED),
        ]
    except (AuthError, PermissionDenied) as error:
        detected = backend.detected_label or f"answered like a {profile.kind.label} server"
        return [
            reached,
            Check("Backend", True, detected),
            Check("Credentials", False, f"{error.title}: {error.message}"),
        ]
    except (BadResponse, NotSupported) as error:
        return [
            reached,
            Check(
                "Backend",
                False,
                f"{error.message} Is this really a {profile.kind.label} gateway, and is the URL its root?",
            ),
            Check("Credentials", None, NOT_TRIED),
        ]
    except ChannelsError as error:
        return [reached, Check("Backend", None, NOT_TRIED), Check("Credentials", False, f"{error.title}: {error.message}")]
    finally:
        await backend.close()
    return [
        reached,
        Check(
            "Backend",
            True,
            f"{capabilities.flavor_label}, version {capabilities.version} ({capabilities.kind.label} family)",
        ),
        Check("Credentials", True, "accepted: the account can read and manage channels"),
    ]
