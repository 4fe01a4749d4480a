"""Upstream base URLs as each backend wants them, and one normal form to compare them by.

New API appends `/v1/...` to a channel's base URL itself, so its base URLs carry no version
segment; Octopus sends requests to `<base URL>/chat/completions`, so its base URLs end with one
(`/v1`, Gemini `/v1beta`, Volcengine `/api/v3`). The current Octopus generation adds a missing
segment on its own; the legacy one does not. Comparing URLs across backends therefore ignores a
trailing version segment.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_VERSION_TAIL = re.compile(r"/v\d+[a-z0-9]*$", re.IGNORECASE)


def clean(url: str) -> str:
    """Trimmed, without trailing slashes."""
    return url.strip().rstrip("/")


def has_version_segment(url: str) -> bool:
    """Whether the path already ends with a version segment such as `/v1`, `/v1beta` or `/v3`."""
    return bool(_VERSION_TAIL.search(urlsplit(clean(url)).path))


def with_version(url: str, segment: str = "/v1") -> str:
    """`url` with `segment` appended, unless it already ends with a version segment."""
    url = clean(url)
    return url if not url or has_version_segment(url) else f"{url}{segment}"


def without_version(url: str) -> str:
    """`url` without a trailing version segment."""
    return _VERSION_TAIL.sub("", clean(url))


def comparable(url: str) -> str:
    """The normal form two base URLs are compared in: scheme and host lower-cased, no version tail."""
    parts = urlsplit(without_version(url))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def is_http_url(url: str) -> bool:
    parts = urlsplit(clean(url))
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str:
    return urlsplit(clean(url)).hostname or ""
