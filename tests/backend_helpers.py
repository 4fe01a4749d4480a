"""A new emulated site of any flavor with a connected client, for service tests on every backend."""

from __future__ import annotations

import itertools

from tui_channels.backends.axonhub.client import AxonHubBackend
from tui_channels.backends.base import Backend
from tui_channels.backends.claudecodehub.client import ClaudeCodeHubBackend
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite

FAST_RETRY = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=1)
_names = itertools.count()

FLAVORS = (
    "newapi",
    "newapi-legacy",
    "oneapi",
    "veloera",
    "octopus-current",
    "octopus-legacy",
    "axonhub-current",
    "axonhub-older",
    "claudecodehub",
)
"""Every emulated backend flavor, for suites that run the same tests against all of them."""


def emulated_site(gateway: DemoGateway, kind: str, *, channels: int, prefix: str) -> tuple[DemoSite, Backend]:
    """A new emulated site of `kind` (one of `FLAVORS`) and a client for it, not yet connected."""
    label = f"{prefix}-{kind}-{next(_names)}"
    if kind == "claudecodehub":
        site = gateway.add_claudecodehub(label, channels=channels)
        backend: Backend = ClaudeCodeHubBackend(site.url, admin_token=site.secret, retry=FAST_RETRY)
    elif kind.startswith("octopus"):
        site = gateway.add_octopus(label, generation=kind.removeprefix("octopus-"), channels=channels)
        backend = OctopusBackend(
            site.url, username=site.username or "", password=site.secret, retry=FAST_RETRY
        )
    elif kind.startswith("axonhub"):
        site = gateway.add_axonhub(label, generation=kind.removeprefix("axonhub-"), channels=channels)
        backend = AxonHubBackend(site.url, email=site.email or "", password=site.secret, retry=FAST_RETRY)
    else:
        site = gateway.add_newapi(label, flavor=kind, channels=channels)
        backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, retry=FAST_RETRY)
    return site, backend


async def connected_site(
    gateway: DemoGateway, kind: str, *, channels: int, prefix: str
) -> tuple[DemoSite, Backend]:
    """`kind` is one of `FLAVORS`; the client is connected."""
    site, backend = emulated_site(gateway, kind, channels=channels, prefix=prefix)
    await backend.connect()
    return site, backend
