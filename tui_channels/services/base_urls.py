"""Upstream base URLs as each backend and server version wants them, and one form to compare them by.

A version segment is a path segment such as `v1`, `v1beta` or `v3`, wherever it is in the path:
`https://api.ppinfra.com/v3/openai` and `https://generativelanguage.googleapis.com/v1beta/openai`
already name their API version, and appending `/v1` to them breaks them (the upstream answers 404).

- New API appends `/v1/...` to a channel's base URL itself, so its base URLs carry no trailing
  version segment.
- Octopus before v0.10.0 (the legacy generation, e.g. v0.9.28) sends requests to
  `<base URL>/chat/completions` as given (`internal/helper/fetch.go`, `transformer/outbound`), so a
  base URL must carry its version: `/v1` is appended when the path has no version segment at all.
- Octopus from v0.10.0 on builds request URLs with AxonHub's `transformer.NormalizeBaseURL(url,
  "v1")` (`internal/relay/protocol.go`, `internal/helper/fetch.go`; v0.11.0 is the newest release):
  it appends `/v1` itself unless the URL ends with `/v1` or contains `/v1/`, and a URL ending with
  `#` is used as given. A URL with another version segment therefore gets a `#`, or the server would
  turn `…/v3/openai` into `…/v3/openai/v1`.

Comparing URLs across backends ignores a trailing version segment and a trailing `#`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from ..backends.base import Capabilities, VersionSegment

_VERSION = re.compile(r"^v\d+[a-z0-9]*$", re.IGNORECASE)
_VERSION_TAIL = re.compile(r"/v\d+[a-z0-9]*$", re.IGNORECASE)
_RELEASE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
KEEP_AS_GIVEN = "#"
"""The suffix that makes Octopus v0.10.0+ use a base URL without appending a version segment."""
OCTOPUS_APPENDS_VERSION_FROM = (0, 10, 0)
"""The first Octopus release that appends `/v1` to base URLs itself."""


def clean(url: str) -> str:
    """Trimmed, without trailing slashes."""
    return url.strip().rstrip("/")


def has_version_segment(url: str) -> bool:
    """Whether any segment of the path is a version segment (`v1`, `v1beta`, `v3`…)."""
    path = urlsplit(clean(url).rstrip(KEEP_AS_GIVEN)).path
    return any(_VERSION.match(segment) for segment in path.split("/"))


def with_version(url: str, segment: str = "/v1") -> str:
    """`url` with `segment` appended, unless its path already has a version segment anywhere."""
    url = clean(url)
    return url if not url or has_version_segment(url) else f"{url}{segment}"


def without_version(url: str) -> str:
    """`url` without a trailing version segment."""
    return _VERSION_TAIL.sub("", clean(url))


def release(version: str) -> tuple[int, int, int] | None:
    """`v0.11.0` as (0, 11, 0); None for a version string that is not a release number."""
    match = _RELEASE.match(version.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def octopus_appends_version(version: str, *, legacy: bool) -> bool:
    """Whether an Octopus server of this version appends `/v1` itself; by generation when unknown."""
    number = release(version)
    return (not legacy) if number is None else number >= OCTOPUS_APPENDS_VERSION_FROM


def for_octopus(url: str, version: str, *, legacy: bool, segment: str = "/v1") -> str:
    """The base URL an Octopus server of `version` turns into the upstream's real API root.

    `segment` is the version the channel's protocol uses (`/v1`, Gemini `/v1beta`, Volcengine
    `/api/v3`): appended where the server does not append one itself and the URL has none, and
    (its last part) what a v0.10.0+ server appends unless the URL already has it.
    """
    url = clean(url)
    if not url or url.endswith(KEEP_AS_GIVEN):
        return url
    if not octopus_appends_version(version, legacy=legacy):
        return with_version(url, segment)
    if not has_version_segment(url):
        return url if segment == "/v1" else f"{url}{segment}"
    appended = "/" + segment.rsplit("/", 1)[-1]
    path = urlsplit(url).path
    if path.endswith(appended) or f"{appended}/" in path:
        return url
    return f"{url}{KEEP_AS_GIVEN}"


def for_site(capabilities: Capabilities, url: str) -> str:
    """The base URL as the site's server wants it, by the rules above: New API and Claude Code Hub
    append `/v1` themselves (a trailing version segment is dropped), Octopus by its release
    (`for_octopus`), AxonHub gets `/v1` unless the path has a version segment anywhere."""
    style = capabilities.base_url_style
    if style is VersionSegment.STRIP:
        return without_version(url)
    if style is VersionSegment.BY_RELEASE:
        return for_octopus(url, capabilities.version, legacy=capabilities.flavor == "octopus-legacy")
    return with_version(url)


def appended_twice(capabilities: Capabilities, url: str) -> str | None:
    """The URL without its trailing version segment when the site's server appends that segment
    itself (so requests would go to `…/v1/v1/…`), else None."""
    wanted = for_site(capabilities, url)
    return wanted if wanted != clean(url) and clean(url).startswith(wanted) else None


def comparable(url: str) -> str:
    """The normal form two base URLs are compared in: scheme and host lower-cased, no version tail."""
    parts = urlsplit(without_version(clean(url).rstrip(KEEP_AS_GIVEN)))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def is_http_url(url: str) -> bool:
    parts = urlsplit(clean(url))
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str:
    return urlsplit(clean(url)).hostname or ""
