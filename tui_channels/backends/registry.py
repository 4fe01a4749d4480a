"""The backend families by the kind a site profile names: the one list of families.

Each family is a package here whose `family.py` declares its `BackendFamily`; adding one is adding
its package (and its `BackendKind`) and its entry below. Declarations import no client, so the
command line can offer every kind without loading one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import BackendKind, TypeCatalog
from ..redact import remember
from .axonhub.family import AXONHUB
from .base import Backend, BackendFamily, SiteAddress
from .claudecodehub.family import CLAUDECODEHUB
from .newapi.family import NEWAPI
from .octopus.family import OCTOPUS
from .onehub.family import ONEHUB

if TYPE_CHECKING:
    from .http import RetryPolicy, TransportSettings
    from .ratelimit import RequestBudget

FAMILIES: dict[BackendKind, BackendFamily] = {
    family.kind: family for family in (NEWAPI, OCTOPUS, AXONHUB, CLAUDECODEHUB, ONEHUB)
}


def family_of(kind: BackendKind) -> BackendFamily:
    return FAMILIES[kind]


def supported_gateways() -> str:
    """Every family's gateways, for a sentence: "New API / One API, Octopus, AxonHub and Claude Code Hub"."""
    names = [family.servers or family.label for family in FAMILIES.values()]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def type_catalog(kind: BackendKind, flavor: str) -> TypeCatalog | None:
    """The type list behind a flavor a file or the trash names; None for a flavor this version lacks."""
    return FAMILIES[kind].catalogs.get(flavor)


def create_backend(
    site: SiteAddress,
    secret: str,
    *,
    retry: RetryPolicy | None = None,
    budget: RequestBudget | None = None,
) -> Backend:
    """A client for the site (not yet connected: await `connect()` before using it).

    The secret is remembered by the scrubber first, so no message, whatever the client or the
    libraries under it quote, can show it; then checked, so a secret no server could receive (a
    stored token with a line break, say) is `InvalidSecret` before any request, not a failed
    connection. Without `retry`, the default policy with the site's `max_wait`.
    """
    from .http import RetryPolicy

    remember(secret)
    family = FAMILIES[site.kind]
    policy = retry if retry is not None else RetryPolicy(max_wait=site.max_wait)
    return family.create(site, family.check_secret(secret), site_transport(site, retry=policy, budget=budget))


def site_transport(site: SiteAddress, *, retry: RetryPolicy, budget: RequestBudget | None) -> TransportSettings:
    """The transport settings of a site's profile, for its family's client: the one place the
    profile's `max_answer_mb` (MiB) becomes the transport's byte cap."""
    return {
        "verify_tls": site.verify_tls,
        "timeout": site.timeout,
        "retry": retry,
        "budget": budget,
        "max_answer_bytes": int(site.max_answer_mb * 2**20),
    }
