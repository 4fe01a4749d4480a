"""A new emulated site of any flavor with a connected client, for service tests on every backend."""

from __future__ import annotations

import itertools

from tui_channels.backends.base import Backend
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite

FAST_RETRY = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=1)
_names = itertools.count()


async def connected_site(
    gateway: DemoGateway, kind: str, *, channels: int, prefix: str
) -> tuple[DemoSite, Backend]:
    """`kind` is a New API flavor (`newapi`, `newapi-legacy`, …) or `octopus-current` / `octopus-legacy`."""
    label = f"{prefix}-{kind}-{next(_names)}"
    if kind.startswith("octopus"):
        site = gateway.add_octopus(label, generation=kind.removeprefix("octopus-"), channels=channels)
        backend: Backend = OctopusBackend(
            site.url, username=site.username or "", password=site.secret, retry=FAST_RETRY
        )
    else:
        site = gateway.add_newapi(label, flavor=kind, channels=channels)
        backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, retry=FAST_RETRY)
    await backend.connect()
    return site, backend
