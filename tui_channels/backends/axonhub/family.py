"""The AxonHub family as the registry knows it: an admin's email address and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...channel_types import AXONHUB_TYPES
from ...models import BackendKind
from ..base import Backend, BackendFamily, Login, SiteAddress
from ..secret_fields import SecretFields
from .carry import CARRY
from .wire import channel_from_wire

if TYPE_CHECKING:
    from ..http import TransportSettings


def create_client(site: SiteAddress, secret: str, transport: TransportSettings) -> Backend:
    from .client import AxonHubBackend

    return AxonHubBackend(site.url, email=site.email or "", password=secret, **transport)


AXONHUB = BackendFamily(
    kind=BackendKind.AXONHUB,
    login=Login("email", "the admin's sign-in email address"),
    secret="password",
    flavors=("auto",),
    create=create_client,
    channel_from_wire=channel_from_wire,
    catalogs={"axonhub": AXONHUB_TYPES},
    carry=CARRY,
    secrets=SecretFields(keys=("credentials", "disabledAPIKeys"), settings=("settings",)),
    article="an",
    secret_in_header=False,
)
"""No request budget: AxonHub's admin API has no rate limit. One flavor: the client reads what the
connected server can do from its GraphQL schema."""
