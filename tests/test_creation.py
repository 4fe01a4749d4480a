"""Every create goes through `services.creation`: what a server silently drops is set and verified.

Octopus (both generations) stores a new channel enabled whatever `enabled` said, and legacy Octopus
stores each key of a new channel (and each key an update adds) enabled; the demo gateway does the same.
"""

from __future__ import annotations

import pytest

from tui_channels.backends.base import Backend
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import ChannelSpec, ChannelStatus
from tui_channels.services.creation import CreatedNotAsAsked, create_channel

from .backend_helpers import connected_site

KINDS = ["newapi", "newapi-legacy", "oneapi", "veloera", "octopus-current", "octopus-legacy"]


def disabled_spec(gateway: DemoGateway, backend: Backend, name: str, **extra: object) -> ChannelSpec:
    legacy_octopus = backend.capabilities.flavor == "octopus-legacy"
    octopus = backend.capabilities.kind.value == "octopus"
    return ChannelSpec(
        name=name,
        type=(0 if legacy_octopus else "openai") if octopus else 1,
        key="sk-creation-0001",
        base_url=f"{gateway.upstream_url}/p/openai" + ("/v1" if octopus else ""),
        models=("gpt-4o",),
        status=ChannelStatus.MANUALLY_DISABLED,
        extra=dict(extra),
    )


def stored_enabled(site: DemoSite, channel_id: int) -> bool:
    record = site.server.record(channel_id)
    return record["enabled"] if "enabled" in record else record["status"] == 1


async def test_the_demo_octopus_drops_enabled_false_on_create_like_the_real_one(gateway: DemoGateway):
    for kind in ("octopus-current", "octopus-legacy"):
        site, backend = await connected_site(gateway, kind, channels=1, prefix="create")
        spec = disabled_spec(gateway, backend, "dropped")
        if kind == "octopus-legacy":
            spec.extra["keys"] = [{"enabled": False, "channel_key": "sk-off", "remark": ""}]
        created = await backend.create_channel(spec)
        record = site.server.record(created.id)
        assert record["enabled"] is True
        assert all(k["enabled"] for k in record.get("keys", []))
        await backend.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_a_channel_created_disabled_is_stored_disabled_on_every_backend(gateway: DemoGateway, kind: str):
    site, backend = await connected_site(gateway, kind, channels=1, prefix="create")
    channel = await create_channel(backend, disabled_spec(gateway, backend, "born-off"))
    assert channel.status is ChannelStatus.MANUALLY_DISABLED
    assert stored_enabled(site, channel.id) is False
    await backend.close()


async def test_legacy_octopus_keys_created_disabled_stay_disabled(gateway: DemoGateway):
    site, backend = await connected_site(gateway, "octopus-legacy", channels=1, prefix="create")
    keys = [
        {"enabled": True, "channel_key": "sk-on-0001", "remark": "main"},
        {"enabled": False, "channel_key": "sk-off-0002", "remark": "spare"},
    ]
    spec = disabled_spec(gateway, backend, "keys-off", keys=keys)
    spec.status = ChannelStatus.ENABLED
    channel = await create_channel(backend, spec)
    stored = site.server.record(channel.id)
    assert stored["enabled"] is True
    assert [(k["channel_key"], k["enabled"], k["remark"]) for k in stored["keys"]] == [
        ("sk-on-0001", True, "main"),
        ("sk-off-0002", False, "spare"),
    ]
    assert channel.enabled_key_count == 1
    await backend.close()


@pytest.mark.parametrize("kind", ["octopus-current", "octopus-legacy"])
async def test_a_status_the_server_will_not_set_fails_the_create_and_names_the_channel(gateway: DemoGateway, kind):
    site, backend = await connected_site(gateway, kind, channels=1, prefix="create")
    site.faults.add(FaultKind.SERVER_ERROR, "/api/v1/channel/enable", times=None)
    with pytest.raises(CreatedNotAsAsked) as caught:
        await create_channel(backend, disabled_spec(gateway, backend, "stuck-on"))
    created = caught.value.channel
    assert site.server.record(created.id)["enabled"] is True
    assert f"created as #{created.id}" in caught.value.message and "status disabled" in caught.value.message
    await backend.close()


async def test_a_legacy_octopus_update_that_adds_a_disabled_key_keeps_it_disabled(gateway: DemoGateway):
    site, backend = await connected_site(gateway, "octopus-legacy", channels=2, prefix="create")
    channel = next(c for c in await backend.list_channels() if c.id == 1)
    keys = [
        {"id": k["id"], "channel_key": k["channel_key"], "enabled": k["enabled"], "remark": k["remark"]}
        for k in channel.raw["keys"]
    ]
    keys.append({"channel_key": "sk-added-off", "enabled": False, "remark": "later"})
    saved = await backend.update_channel(channel, {"keys": keys})
    added = next(k for k in site.server.record(1)["keys"] if k["channel_key"] == "sk-added-off")
    assert added["enabled"] is False
    assert any(k["channel_key"] == "sk-added-off" and not k["enabled"] for k in saved.raw["keys"])
    await backend.close()
