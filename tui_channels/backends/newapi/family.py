"""The New API family as the registry knows it: an admin user id and an access token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...models import BackendKind
from ..base import Backend, BackendFamily, Login, SiteAddress
from ..secret_fields import SecretFields
from .flavors import FLAVORS
from .carry import CARRY
from .wire import channel_from_wire

if TYPE_CHECKING:
    from ..http import TransportSettings


def create_client(site: SiteAddress, secret: str, transport: TransportSettings) -> Backend:
    from .client import NewApiBackend

    return NewApiBackend(site.url, access_token=secret, user_id=site.user_id, flavor=site.flavor, **transport)


NEWAPI = BackendFamily(
    kind=BackendKind.NEWAPI,
    login=Login("user_id", "the admin's numeric user id"),
    secret="access token",
    flavors=("auto", *FLAVORS),
    create=create_client,
    channel_from_wire=channel_from_wire,
    carry=CARRY,
    secrets=SecretFields(
        keys=("key",),
        headers=("header_override",),
        settings=("setting", "settings", "other", "config", "param_override"),
    ),
    catalogs={name: flavor.types for name, flavor in FLAVORS.items()},
    request_budget=180,
    servers="New API / One API / Veloera",
    flavor_labels={name: flavor.label for name, flavor in FLAVORS.items()},
)
"""`request_budget`: the lowest stock New API limit (180 per 180 s per IP; newer servers allow 360)."""
