"""A server record, or a URL, as a screen, a report or the command line may show it: every secret
of its family (`BackendFamily.secrets`) masked like a key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backends.registry import family_of
from ..backends.secret_fields import hide_url_credentials, masked, redact
from ..models import BackendKind


def shown_record(kind: BackendKind, record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` with its keys, header values, proxy passwords and credentials in settings masked."""
    return redact(family_of(kind).secrets, record, masked).record


def shown_url(url: str) -> str:
    """A base URL or a proxy URL with its password (or token user) masked."""
    return hide_url_credentials(url, masked)
