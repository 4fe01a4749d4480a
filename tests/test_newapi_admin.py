"""New API tag editing, multi-key management, model catalogs and maintenance over real HTTP."""

from __future__ import annotations

import itertools

import pytest

from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.errors import NotSupported, RequestRejected
from tui_channels.models import ChannelStatus

_names = itertools.count()


@pytest.fixture
async def site_and_backend(request, gateway):
    flavor = getattr(request, "param", "newapi")
    site = gateway.add_newapi(f"admin-{flavor}-{next(_names)}", flavor=flavor, channels=40)
    backend = NewApiBackend(
        site.url, access_token=site.secret, user_id=site.user_id, retry=RetryPolicy(base_delay=0.01)
    )
    await backend.connect()
    yield site, backend
    await backend.close()


async def test_edit_tag_changes_every_channel_of_the_tag(site_and_backend):
    site, backend = site_and_backend
    await backend.set_tag([3, 4, 5], "batch-x")
    await backend.edit_tag("batch-x", {"new_tag": "batch-y", "priority": 7, "models": "gpt-4o,o3", "groups": "vip"})
    for channel_id in (3, 4, 5):
        record = site.server.record(channel_id)
        assert (record["tag"], record["priority"], record["models"], record["group"]) == ("batch-y", 7, "gpt-4o,o3", "vip")
    body = site.stats.requests("PUT", "/api/channel/tag")[-1].json()
    assert body == {"tag": "batch-x", "new_tag": "batch-y", "priority": 7, "models": "gpt-4o,o3", "groups": "vip"}
    assert await backend.tag_models("batch-y") == ["gpt-4o", "o3"]


async def test_model_catalog_and_enabled_models(site_and_backend):
    site, backend = site_and_backend
    catalog = await backend.model_catalog()
    enabled = await backend.enabled_models()
    every_model = {m for r in site.server.store.values() for m in r["models"].split(",") if m}
    enabled_models = {m for r in site.server.store.values() if r["status"] == 1 for m in r["models"].split(",") if m}
    assert set(catalog) == every_model
    assert set(enabled) == enabled_models


async def test_fix_abilities_reports_counts(site_and_backend):
    _site, backend = site_and_backend
    result = await backend.fix_abilities()
    assert result.succeeded == 40 and result.failed == 0


@pytest.mark.parametrize("site_and_backend", ["newapi-legacy"], indirect=True)
async def test_fix_abilities_on_legacy_reports_the_bare_count(site_and_backend):
    _site, backend = site_and_backend
    assert (await backend.fix_abilities()).succeeded == 40


async def test_multi_key_status_and_management(site_and_backend):
    site, backend = site_and_backend
    channel_id = next(i for i, r in site.server.store.items() if r["channel_info"]["is_multi_key"])
    size = site.server.record(channel_id)["channel_info"]["multi_key_size"]
    page = await backend.key_status(channel_id, page_size=2)
    assert page.total == size and len(page.keys) == min(2, size)
    assert page.keys[0].preview.endswith("...") and len(page.keys[0].preview) == 13
    assert page.enabled + page.manually_disabled + page.auto_disabled == size

    assert page.auto_disabled == 1  # the seed auto-disables the last key

    await backend.manage_keys(channel_id, "delete_disabled_keys")  # removes auto-disabled keys only
    after = await backend.key_status(channel_id)
    assert after.total == size - 1 and after.auto_disabled == 0
    await backend.manage_keys(channel_id, "disable_key", 0)
    first = (await backend.key_status(channel_id)).keys[0]
    assert first.status is ChannelStatus.MANUALLY_DISABLED
    await backend.manage_keys(channel_id, "enable_all_keys")
    assert (await backend.key_status(channel_id)).enabled == size - 1
    await backend.manage_keys(channel_id, "delete_key", 0)
    assert (await backend.key_status(channel_id)).total == size - 2


async def test_multi_key_actions_on_a_single_key_channel_are_refused(site_and_backend):
    site, backend = site_and_backend
    channel_id = next(i for i, r in site.server.store.items() if not r["channel_info"]["is_multi_key"])
    with pytest.raises(RequestRejected, match="多密钥"):
        await backend.key_status(channel_id)


@pytest.mark.parametrize("site_and_backend", ["oneapi"], indirect=True)
async def test_one_api_lacks_tags_and_multi_key_but_has_the_catalog(site_and_backend):
    site, backend = site_and_backend
    with pytest.raises(NotSupported, match="One API"):
        await backend.edit_tag("x", {"priority": 1})
    with pytest.raises(NotSupported, match="One API"):
        await backend.key_status(1)
    with pytest.raises(NotSupported, match="One API"):
        await backend.fix_abilities()
    assert len(await backend.model_catalog()) > 3  # One API answers without a `success` field


async def test_test_all_reports_a_run_already_in_progress(site_and_backend):
    _site, backend = site_and_backend
    assert await backend.test_all()
    with pytest.raises(RequestRejected):
        await backend.test_all()


async def test_multi_key_channels_carry_their_key_counts(site_and_backend):
    site, backend = site_and_backend
    channels = {c.id: c for c in await backend.list_channels()}
    for channel_id, record in site.server.store.items():
        info = record["channel_info"]
        channel = channels[channel_id]
        if info["is_multi_key"]:
            disabled = sum(1 for s in (info["multi_key_status_list"] or {}).values() if s != 1)
            assert (channel.key_count, channel.enabled_key_count) == (info["multi_key_size"], info["multi_key_size"] - disabled)
        else:
            assert channel.key_count is None and not channel.is_multi_key
