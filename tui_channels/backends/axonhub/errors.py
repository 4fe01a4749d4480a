"""AxonHub's GraphQL `errors` as the app's typed errors (scrubbed of secrets as errors are built).

Business and permission errors come back with HTTP 200 and an `errors` list (axonhub.md §0): a
duplicate name carries `extensions.code = DUPLICATE_NAME`, a missing node `NOT_FOUND`, a write to a
missing channel "ent: channel not found", and a user without the channel scopes a privacy denial.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ...errors import BackendError, BadResponse, NotFound, PermissionDenied, RequestRejected
from ...wording import clause

_NOT_FOUND = re.compile(r"not found|could not resolve to a node", re.IGNORECASE)
_DENIED = re.compile(r"privacy|permission|forbidden|unauthori[sz]ed|access denied|not allowed", re.IGNORECASE)


def _first(errors: Sequence[Any]) -> tuple[str, str]:
    """(code, message) of the first error."""
    first = errors[0] if errors else {}
    if not isinstance(first, dict):
        return "", str(first)
    extensions = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
    return str(extensions.get("code") or ""), str(first.get("message") or "no message")


def graphql_error(errors: Sequence[Any], *, host: str, action: str, name: str | None = None) -> BackendError:
    """The typed error for the `errors` of an answer to `action` (a phrase: "create channel 'x'")."""
    code, message = _first(errors)
    where = f"AxonHub at {host}"
    if code == "DUPLICATE_NAME":
        named = f"named {name!r}" if name else "with this name"
        return RequestRejected(f"A channel {named} already exists; channel names must be unique. Choose another name.")
    if code == "GRAPHQL_VALIDATION_FAILED":
        return BadResponse(
            f"{where} refused the request to {action} as not matching its schema ({message}). "
            "The server may have changed since the app connected; reconnect to the site."
        )
    if code == "NOT_FOUND" or _NOT_FOUND.search(message):
        return NotFound(f"{where} could not {action}: {clause(message)}. It may have been deleted meanwhile; reload the list.")
    if _DENIED.search(message):
        return PermissionDenied(
            f"{where} refused to {action}: {clause(message)}. Sign in with the owner account or one with the "
            "read_channels and write_channels scopes."
        )
    return RequestRejected(f"{where} refused to {action}: {message}")
