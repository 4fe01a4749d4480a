"""Bulk operations (services.bulk) through the batch engine against the demo gateway."""

from __future__ import annotations

import itertools

import pytest

from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.demo.gateway import DemoGateway
from tui_channels.models import ChannelStatus
from tui_channels.errors import PermissionDenied
from tui_channels.services import bulk, trash
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.results import Outcome

FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=1)
WRITES = BatchSettings(concurrency=3, read_only=False)
_names = itertools.count(1)


async def newapi(gateway: DemoGateway, flavor: str):
    site = gateway.add_newapi(f"bulk-{flavor}-{next(_names)}", flavor=flavor, channels=12)
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, retry=FAST)
    await backend.connect()
    return site, backend


async def test_set_status_uses_the_legacy_put_fallback_and_skips_no_ops(gateway: DemoGateway) -> None:
    site, backend = await newapi(gateway, "newapi-legacy")
    try:
        channels = (await backend.list_channels())[:10]
        results = await BatchRun(channels, bulk.set_status(backend, False, channels), WRITES).run()
        for channel, result in zip(channels, results):
            if channel.status is ChannelStatus.MANUALLY_DISABLED:
                assert result.outcome is Outcome.SKIPPED and result.message == "already disabled"
            elif channel.status is ChannelStatus.AUTO_DISABLED:  # left to the gateway, which re-enables it
                assert result.outcome is Outcome.SKIPPED and result.message == "already auto-disabled"
                assert site.server.record(channel.id)["status"] == 3
                continue
            else:
                assert result.ok and result.value == "manually_disabled"
            assert site.server.record(channel.id)["status"] == 2
        written = [c for c in channels if c.status is ChannelStatus.ENABLED]
        assert len(site.stats.requests("PUT", "/api/channel/")) == len(written)
        probes = site.stats.requests("POST", "/api/channel/*/status")
        assert 1 <= len(probes) <= WRITES.concurrency < len(written)  # only the first wave probes the route
    finally:
        await backend.close()


async def test_set_status_on_current_new_api_uses_the_status_route(gateway: DemoGateway) -> None:
    site, backend = await newapi(gateway, "newapi")
    try:
        channels = [c for c in await backend.list_channels() if not c.status.is_enabled][:2]
        results = await BatchRun(channels, bulk.set_status(backend, True, channels), WRITES).run()
        assert all(r.ok and r.value == "enabled" for r in results)
        assert all(site.server.record(c.id)["status"] == 1 for c in channels)
        assert not site.stats.requests("PUT", "/api/channel/")
    finally:
        await backend.close()


async def test_delete_reports_each_channel_and_counts_a_vanished_one_as_gone(gateway: DemoGateway) -> None:
    site = gateway.add_octopus(f"bulk-octo-{next(_names)}", generation="current", channels=6)
    backend = OctopusBackend(site.url, username=site.username or "", password=site.secret, retry=FAST)
    await backend.connect()
    try:
        channels = (await backend.list_channels())[:3]
        del site.server.channels[channels[1].id]
        results = await BatchRun(channels, bulk.delete(backend), WRITES).run()
        assert [r.message for r in results] == ["deleted", "already gone from the server", "deleted"]
        assert all(r.ok for r in results)
        assert not {c.id for c in channels} & set(site.server.channels)
    finally:
        await backend.close()


async def test_set_tag_per_channel_and_grouped(gateway: DemoGateway) -> None:
    site, backend = await newapi(gateway, "newapi")
    try:
        channels = (await backend.list_channels())[:4]
        results = await BatchRun(channels[:2], bulk.set_tag(backend, "team-x"), WRITES).run()
        assert [r.message for r in results] == ["tag team-x", "tag team-x"]
        grouped = await bulk.set_tag_grouped(backend, channels[2:], "team-y")
        assert all(r.ok and r.value == "team-y" for r in grouped)
        assert [site.server.record(c.id)["tag"] for c in channels] == ["team-x", "team-x", "team-y", "team-y"]
        assert len(site.stats.requests("POST", "/api/channel/batch/tag")) == 3
        cleared = await bulk.set_tag_grouped(backend, channels[:1], None)
        assert cleared[0].message == "tag cleared" and site.server.record(channels[0].id)["tag"] in ("", None)
    finally:
        await backend.close()


async def test_grouped_tag_failure_fails_every_channel_with_the_reason(gateway: DemoGateway) -> None:
    site, backend = await newapi(gateway, "oneapi")
    try:
        channels = (await backend.list_channels())[:3]
        results = await bulk.set_tag_grouped(backend, channels, "x")
        assert [r.outcome for r in results] == [Outcome.FAILED] * 3
        assert all("does not support" in r.message for r in results)
    finally:
        await backend.close()


async def test_delete_all_disabled_keeps_the_trash_true(gateway: DemoGateway) -> None:
    """Records are written first; what the server did not delete is marked, so restore never offers it."""
    site, backend = await newapi(gateway, "newapi")
    try:
        disabled = [c for c in await backend.list_channels() if c.status.is_disabled]
        revived = disabled[0]
        site.server.store[revived.id]["status"] = 1  # enabled again by someone else meanwhile
        trashed = trash.append(disabled, site=site.name, capabilities=backend.capabilities, reason="delete_disabled")
        count = await bulk.delete_disabled(backend, disabled, trashed)
        assert count == len(disabled) - 1 and revived.id in site.server.store
        assert sorted(r["channel"]["id"] for r in trash.read()) == sorted(c.id for c in disabled[1:])
    finally:
        await backend.close()


async def test_a_refused_delete_all_disabled_marks_every_record(gateway: DemoGateway) -> None:
    site = gateway.add_newapi(f"bulk-admin-{next(_names)}", channels=12, role="admin")
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, retry=FAST)
    await backend.connect()
    try:
        disabled = [c for c in await backend.list_channels() if c.status.is_disabled]
        trashed = trash.append(disabled, site=site.name, capabilities=backend.capabilities, reason="delete_disabled")
        with pytest.raises(PermissionDenied):
            await bulk.delete_disabled(backend, disabled, trashed)
        assert trash.read() == [] and all(c.id in site.server.store for c in disabled)
    finally:
        await backend.close()
