"""Backend clients, one module per family, behind the `Backend` protocol of `base.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import BackendKind
from .base import Backend
from .http import RetryPolicy
from .ratelimit import RequestBudget

if TYPE_CHECKING:
    from ..config import SiteProfile


def create_backend(
    profile: SiteProfile,
    secret: str,
    *,
    retry: RetryPolicy | None = None,
    budget: RequestBudget | None = None,
) -> Backend:
    """A client for the site (not yet connected: await `connect()` before using it)."""
    if profile.kind is BackendKind.NEWAPI:
        from .newapi import NewApiBackend

        return NewApiBackend(
            profile.url,
            access_token=secret,
            user_id=profile.user_id,
            flavor=profile.flavor,
            verify_tls=profile.verify_tls,
            timeout=profile.timeout,
            retry=retry,
            budget=budget,
        )
    from .octopus import OctopusBackend

    return OctopusBackend(
        profile.url,
        username=profile.username or "",
        password=secret,
        generation=profile.flavor,
        verify_tls=profile.verify_tls,
        timeout=profile.timeout,
        retry=retry,
        budget=budget,
    )
