"""Helpers for the batch tests: demo sites, connected clients, and the upstream knobs they turn."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tui_channels.backends.base import Backend
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import BackendKind, Channel
from tui_channels.services.batch import BatchRun, BatchSettings, Operation
from tui_channels.services.results import ChannelResult

FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=5)
_names = itertools.count(1)


def newapi_site(gateway: DemoGateway, channels: int = 20, **options: Any) -> DemoSite:
    return gateway.add_newapi(f"batch-na-{next(_names)}", channels=channels, **options)


def octopus_site(gateway: DemoGateway, channels: int = 12, **options: Any) -> DemoSite:
    return gateway.add_octopus(f"batch-oc-{next(_names)}", channels=channels, **options)


@asynccontextmanager
async def connected(site: DemoSite, **options: Any) -> AsyncIterator[Backend]:
    """A connected client for `site` (fast retries unless `retry=` says otherwise)."""
    options.setdefault("retry", FAST_RETRY)
    backend: Backend
    if site.kind is BackendKind.NEWAPI:
        backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, **options)
    else:
        backend = OctopusBackend(site.url, username=site.username or "", password=site.secret, **options)
    await backend.connect()
    try:
        yield backend
    finally:
        await backend.close()


def key_of(site: DemoSite, channel_id: int) -> str:
    """The upstream key a channel's requests carry: its stored key, the first line of a multi-key one,
    or a legacy Octopus channel's first enabled key."""
    record = site.server.record(channel_id)
    if "keys" in record:
        return next(k["channel_key"] for k in record["keys"] if k["enabled"] and k["channel_key"])
    return record["key"].split("\n")[0].strip()


def set_key(site: DemoSite, channel_id: int, key: str) -> None:
    """Give a stored channel another upstream key (its first key on legacy Octopus)."""
    record = stored(site)[channel_id]
    if "keys" in record:
        next(k for k in record["keys"] if k["enabled"] and k["channel_key"])["channel_key"] = key
    else:
        record["key"] = key


def working_ids(site: DemoSite) -> list[int]:
    """Channels whose seeded key the fake upstream accepts (seeds include invalid and broken keys)."""
    bad = ("invalid", "revoked", "broken", "ratelimit")
    return [i for i in stored(site) if not any(word in key_of(site, i) for word in bad)]


def stored(site: DemoSite) -> dict[int, dict[str, Any]]:
    """The emulated server's own records by id (writes to them are what the server sees)."""
    return site.server.channels if site.kind is BackendKind.OCTOPUS else site.server.store


def newapi_models(site: DemoSite, channel_id: int) -> tuple[str, ...]:
    return tuple(m for m in site.server.record(channel_id)["models"].split(",") if m)


@pytest.fixture
def upstream(gateway: DemoGateway) -> Iterator[Any]:
    """The fake upstream, its per-key delays and model lists put back after the test."""
    server = gateway.upstream
    yield server
    server.key_delays.clear()
    server.key_models.clear()


async def run_batch(
    channels: Sequence[Channel], operation: Operation, settings: BatchSettings | None = None, **options: Any
) -> list[ChannelResult]:
    return await BatchRun(channels, operation, settings, **options).run()
