"""The One Hub family as the registry knows it: an access token alone (no user-id header)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...channel_types import DONEHUB_TYPES, ONEHUB_TYPES
from ...models import BackendKind
from ..base import Backend, BackendFamily, SiteAddress
from ..secret_fields import SecretFields
from .carry import CARRY
from .fields import FLAVORS, LABELS
from .wire import channel_from_wire

if TYPE_CHECKING:
    from ..http import TransportSettings


def create_client(site: SiteAddress, secret: str, transport: TransportSettings) -> Backend:
    from .client import OneHubBackend

    return OneHubBackend(site.url, access_token=secret, flavor=site.flavor, **transport)


ONEHUB = BackendFamily(
    kind=BackendKind.ONEHUB,
    login=None,
    secret="access token",
    flavors=FLAVORS,
    create=create_client,
    channel_from_wire=channel_from_wire,
    catalogs={"onehub": ONEHUB_TYPES, "donehub": DONEHUB_TYPES},
    carry=CARRY,
    secrets=SecretFields(
        keys=("key",),
        headers=("model_headers", "header_override"),
        urls=("proxy",),
        settings=("plugin", "other", "custom_parameter"),
    ),
    request_budget=300,
    servers="One Hub / Done Hub",
    flavor_labels=LABELS,
)
"""`request_budget`: the stock limit on every `/api` route (`global.api_rate_limit`, 300 per 180 s per IP)."""
