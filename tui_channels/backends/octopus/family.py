"""The Octopus family as the registry knows it: an admin username and a password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...channel_types import OCTOPUS_CURRENT_TYPES, OCTOPUS_LEGACY_TYPES
from ...models import BackendKind
from ..base import Backend, BackendFamily, Login, SiteAddress
from ..secret_fields import SecretFields
from .fields import GENERATIONS, generation_label
from .carry import CARRY
from .wire import channel_from_wire

if TYPE_CHECKING:
    from ..http import TransportSettings


def create_client(site: SiteAddress, secret: str, transport: TransportSettings) -> Backend:
    from .client import OctopusBackend

    return OctopusBackend(site.url, username=site.username or "", password=secret, generation=site.flavor, **transport)


OCTOPUS = BackendFamily(
    kind=BackendKind.OCTOPUS,
    login=Login("username", "the admin's username"),
    secret="password",
    flavors=GENERATIONS,
    create=create_client,
    channel_from_wire=channel_from_wire,
    carry=CARRY,
    secrets=SecretFields(
        keys=("key",),
        key_lists=(("keys", "channel_key"),),
        headers=("custom_header",),
        urls=("channel_proxy",),
        settings=("param_override",),
    ),
    catalogs={"octopus-legacy": OCTOPUS_LEGACY_TYPES, "octopus-current": OCTOPUS_CURRENT_TYPES},
    article="an",
    secret_in_header=False,
    flavor_labels={"current": generation_label(False), "legacy": generation_label(True)},
)
"""No request budget: Octopus has no API rate limit."""
