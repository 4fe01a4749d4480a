"""The Claude Code Hub family as the registry knows it: the admin token is all a site needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...channel_types import CLAUDECODEHUB_TYPES
from ...models import BackendKind
from ..base import Backend, BackendFamily, SiteAddress
from ..secret_fields import SecretFields
from .carry import CARRY
from .wire import channel_from_wire

if TYPE_CHECKING:
    from ..http import TransportSettings


def create_client(site: SiteAddress, secret: str, transport: TransportSettings) -> Backend:
    from .client import ClaudeCodeHubBackend

    return ClaudeCodeHubBackend(site.url, admin_token=secret, **transport)


CLAUDECODEHUB = BackendFamily(
    kind=BackendKind.CLAUDECODEHUB,
    login=None,
    secret="admin token",
    flavors=("auto",),
    create=create_client,
    channel_from_wire=channel_from_wire,
    catalogs={"claudecodehub": CLAUDECODEHUB_TYPES},
    carry=CARRY,
    secrets=SecretFields(
        keys=("key",), headers=("customHeaders",), urls=("proxyUrl", "mcpPassthroughUrl")
    ),
)
"""No request budget: the management API has no rate limit of its own (only the login route does)."""
