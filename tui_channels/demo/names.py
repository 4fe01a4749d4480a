"""The demo's site names, apart from the demo itself, so that the command line can name them in its
messages without starting (or importing) the emulated gateways."""

from __future__ import annotations

NEWAPI_SITE = "demo-newapi"
OCTOPUS_SITE = "demo-octopus"
AXONHUB_SITE = "demo-axonhub"
CLAUDECODEHUB_SITE = "demo-claudecodehub"
VELOERA_SITE = "demo-veloera"
ONEHUB_SITE = "demo-onehub"
DONEHUB_SITE = "demo-donehub"
MORE_SITES: tuple[tuple[str, str], ...] = ((VELOERA_SITE, "veloera"), (ONEHUB_SITE, "onehub"), (DONEHUB_SITE, "donehub"))
"""The other backends' sites, by name and emulated flavor (`DemoGateway.add_flavor`): one per backend."""
DEMO_SITES: tuple[str, ...] = (
    NEWAPI_SITE,
    OCTOPUS_SITE,
    AXONHUB_SITE,
    CLAUDECODEHUB_SITE,
    *(name for name, _flavor in MORE_SITES),
)
"""Every demo site, in the order `DemoSession` configures them."""
