"""Claude Code Hub providers in exports, the trash, restores, copies and key imports, to and from every backend."""

from __future__ import annotations

import json

import pytest

from tui_channels.backends.base import Backend
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import Channel, ChannelSpec, ChannelStatus
from tui_channels.services import trash
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.channel_mapping import Origin
from tui_channels.services.channel_plan import ChannelPlan, CreateRun, RowState, creation_settings
from tui_channels.services.key_import import plan_import
from tui_channels.services.key_library import UpstreamKey
from tui_channels.services.results import Outcome
from tui_channels.services.revealed_keys import KeyRevealFailed, with_keys
from tui_channels.services.transfer import (
    export_channels,
    exported_channels,
    key_warning,
    plan_transfer,
    read_export,
    trashed_channels,
    write_export,
)

from .backend_helpers import connected_site

HUB = "claudecodehub"
OTHERS = ["newapi", "newapi-legacy", "oneapi", "octopus-legacy", "octopus-current", "axonhub-current"]
SETTINGS = (
    "providerType", "isEnabled", "weight", "priority", "groupTag", "allowedModels", "costMultiplier",
    "limitDailyUsd", "modelRedirects", "maxRetryAttempts", "proxyFallbackToDirect",
)


async def site(gateway: DemoGateway, kind: str, channels: int = 0) -> tuple[DemoSite, Backend]:
    return await connected_site(gateway, kind, channels=channels, prefix="cchtr")


def origin(site_: DemoSite, backend: Backend) -> Origin:
    return Origin(site_.name, backend.capabilities.kind, backend.capabilities.flavor)


async def create_all(backend: Backend, plan: ChannelPlan) -> CreateRun:
    run = CreateRun(backend, plan)
    results = await BatchRun(plan.placeholders(), run, creation_settings(BatchSettings(concurrency=3))).run()
    assert all(r.outcome is Outcome.OK for r in results), [r.message for r in results if not r.ok]
    return run


async def hub_provider(gateway: DemoGateway, backend: Backend, **fields: object) -> Channel:
    spec = ChannelSpec(
        name="hub-main",
        type="claude",
        key="sk-hub-source-key-0042",
        base_url=f"{gateway.upstream_url}/p/anthropic",
        models=("claude-sonnet-4-20250514",),
        groups=("default", "vip"),
        priority=3,
        weight=40,
        extra={
            "cost_multiplier": 1.5,
            "limit_daily_usd": 25.0,
            "max_retry_attempts": 3,
            "model_redirects": [
                {"matchType": "exact", "source": "claude-latest", "target": "claude-sonnet-4-20250514"},
                {"matchType": "prefix", "source": "claude-3", "target": "claude-3-7-sonnet-20250219"},
            ],
            "custom_headers": {"X-Team": "a", "X-Relay-Token": "tok-hidden"},
        },
    )
    spec.extra.update(fields)
    return await backend.create_channel(spec)


async def test_an_export_with_keys_reads_them_from_the_reveal_route(gateway, tmp_path):
    source, backend = await site(gateway, HUB, channels=6)
    channels = await backend.list_channels()
    assert all(c.key is None for c in channels)
    revealed = await with_keys(backend, channels)
    assert [c.key for c in revealed] == [source.server.keys[c.id] for c in channels]
    assert "plain text" in key_warning(backend.capabilities, True)
    export = export_channels(source.name, backend.capabilities, revealed, include_keys=True)
    assert export.includes_keys
    path = tmp_path / "hub.json"
    write_export(export, path)
    assert read_export(path).flavor == HUB
    await backend.close()


async def test_a_round_trip_to_another_hub_keeps_every_setting(gateway, tmp_path):
    source, source_backend = await site(gateway, HUB, channels=8)
    await hub_provider(gateway, source_backend)
    channels = await with_keys(source_backend, await source_backend.list_channels())
    path = tmp_path / "hub.json"
    write_export(export_channels(source.name, source_backend.capabilities, channels, include_keys=True), path)
    target, target_backend = await site(gateway, HUB)
    plan = plan_transfer(exported_channels(read_export(path)), target_backend.capabilities, [], site="t", title="r")
    assert plan.counts()[RowState.READY] == len(channels), [r.reason for r in plan.rows]
    run = await create_all(target_backend, plan)
    for row, channel in zip(plan.rows, channels):
        original = source.server.record(channel.id)
        restored = target.server.record(run.created[row.position].id)
        assert {k: restored[k] for k in SETTINGS} == {k: original[k] for k in SETTINGS}
        assert target.server.keys[restored["id"]] == source.server.keys[channel.id]
    hub_row = next(r for r in plan.rows if r.spec.name == "hub-main")
    assert hub_row.losses == ("custom header X-Relay-Token: the server shows it redacted, so it cannot be copied",)
    await source_backend.close()
    await target_backend.close()


async def test_a_provider_allowing_every_model_is_copied_as_such(gateway):
    source, source_backend = await site(gateway, HUB, channels=10)
    target, target_backend = await site(gateway, HUB)
    open_ = next(c for c in await source_backend.list_channels() if c.raw["allowedModels"] is None)
    [channel] = await with_keys(source_backend, [open_])
    plan = plan_transfer([(channel, origin(source, source_backend))], target_backend.capabilities, [], site="t", title="c")
    assert plan.rows[0].state is RowState.READY and plan.rows[0].spec.models == ()
    run = await create_all(target_backend, plan)
    assert target.server.record(run.created[1].id)["allowedModels"] is None
    await source_backend.close()
    await target_backend.close()


async def test_the_trash_keeps_revealed_keys_so_a_restore_needs_none(gateway, tmp_path):
    source, backend = await site(gateway, HUB, channels=5)
    doomed = (await backend.list_channels())[:2]
    keys = {c.name: source.server.keys[c.id] for c in doomed}
    trash_file = tmp_path / "trash.jsonl"
    trash.append(await with_keys(backend, doomed), site=source.name, capabilities=backend.capabilities, path=trash_file)
    assert await backend.delete_channels([c.id for c in doomed]) == 2
    deleted = trashed_channels(trash.read(trash_file))
    plan = plan_transfer(
        [(t.channel, t.origin) for t in deleted], backend.capabilities, await backend.list_channels(), site="s", title="r"
    )
    assert plan.counts()[RowState.READY] == 2
    run = await create_all(backend, plan)
    for row, channel in zip(plan.rows, reversed(doomed)):
        assert source.server.keys[run.created[row.position].id] == keys[channel.name]
        restored = source.server.record(run.created[row.position].id)
        assert restored["name"] == channel.name and restored["groupTag"] == channel.raw["groupTag"]
    await backend.close()


async def test_copy_new_api_to_the_hub_carries_groups_weight_and_mapping_but_not_priority(gateway):
    source, source_backend = await site(gateway, "newapi")
    channel = await source_backend.create_channel(
        ChannelSpec(
            name="relay-main",
            type=1,
            key="sk-copy-source-key-000111",
            base_url=f"{gateway.upstream_url}/p/openai",
            models=("gpt-4o", "gpt-4o-mini"),
            groups=("default", "vip"),
            priority=5,
            weight=250,
            tag="team-a",
            extra={
                "model_mapping": '{"gpt-4": "gpt-4o"}',
                "header_override": '{"X-Team": "a", "Authorization": "Bearer x"}',
                "param_override": '{"temperature": 0.5}',
            },
        )
    )
    target, target_backend = await site(gateway, HUB)
    plan = plan_transfer([(channel, origin(source, source_backend))], target_backend.capabilities, [], site="t", title="c")
    [row] = plan.rows
    assert list(row.losses) == [
        "priority 5: New API tries the highest first, Claude Code Hub the lowest; created at 0",
        "weight 250 becomes 100: Claude Code Hub weights are 1–100",
        "tag 'team-a': Claude Code Hub has no tags",
        "header Authorization: Claude Code Hub sets the upstream's authentication itself",
        "parameter override: Claude Code Hub has no such field",
    ]
    plan.supply_key(row, "sk-copy-source-key-000111")
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    assert (record["providerType"], record["url"], record["groupTag"]) == (
        "openai-compatible", f"{gateway.upstream_url}/p/openai", "default,vip",
    )
    assert (record["priority"], record["weight"]) == (0, 100)
    assert record["modelRedirects"] == [{"matchType": "exact", "source": "gpt-4", "target": "gpt-4o"}]
    assert record["customHeaders"] == {"X-Team": "a"}
    assert [r["pattern"] for r in record["allowedModels"]] == ["gpt-4o", "gpt-4o-mini"]
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", OTHERS)
async def test_copy_from_the_hub_to_every_other_backend_names_what_is_lost(gateway, kind):
    source, source_backend = await site(gateway, HUB)
    channel = await hub_provider(gateway, source_backend, allowed_models=[
        "claude-sonnet-4-20250514", {"matchType": "regex", "pattern": "^claude-opus"}
    ])
    [channel] = await with_keys(source_backend, [channel])
    target, target_backend = await site(gateway, kind)
    plan = plan_transfer([(channel, origin(source, source_backend))], target_backend.capabilities, [], site="t", title="c")
    [row] = plan.rows
    losses = "\n".join(row.losses)
    assert "priority 3: Claude Code Hub tries the lowest first" in losses
    assert "model rule regex '^claude-opus'" in losses
    assert "model redirect prefix 'claude-3'" in losses
    assert "custom header X-Relay-Token: the server shows it redacted" in losses
    for setting in ("cost multiplier", "daily spend limit", "retry attempts"):
        assert f"{setting}: {target_backend.capabilities.flavor_label} has no such setting" in losses
    if kind.startswith("octopus"):
        assert "groups default, vip: Octopus channels have no user groups" in losses
        assert "weight 40: Octopus sets weights on its groups" in losses
    if kind.startswith("axonhub"):
        assert "groups default, vip: AxonHub channels have no user groups" in losses
        assert "custom headers: AxonHub has no such channel setting" in losses
    assert row.state is RowState.READY, row.reason
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    if kind.startswith("axonhub"):
        assert (record["type"], record["baseURL"]) == ("anthropic", f"{gateway.upstream_url}/p/anthropic")
        assert record["settings"]["modelMappings"] == [{"from": "claude-latest", "to": "claude-sonnet-4-20250514"}]
        assert record["credentials"]["apiKeys"] == ["sk-hub-source-key-0042"]
    elif kind.startswith("octopus"):
        url = record["base_urls"][0]["url"] if "base_urls" in record else record["base_url"]
        # Octopus v0.10.0+ appends /v1 itself; before, the base URL must carry it (base_urls.for_octopus)
        tail = "/v1" if kind == "octopus-legacy" else ""
        assert url == f"{gateway.upstream_url}/p/anthropic{tail}"
        assert record["custom_header"] == [{"header_key": "X-Team", "header_value": "a"}]
    else:
        assert record["base_url"] == f"{gateway.upstream_url}/p/anthropic"
        assert record["group"] == "default,vip" and record["weight"] == 40 and record["priority"] == 0
        assert json.loads(record["model_mapping"]) == {"claude-latest": "claude-sonnet-4-20250514"}
    await source_backend.close()
    await target_backend.close()


async def test_copy_axonhub_to_the_hub_carries_model_mappings_as_redirects(gateway):
    source, source_backend = await site(gateway, "axonhub-current", channels=8)
    channel = next(c for c in await source_backend.list_channels() if c.type.code == "openai")
    raw = source.server.record(channel.id)
    raw["settings"]["modelMappings"] = [{"from": "gpt-4", "to": "gpt-4o"}]
    channel = await source_backend.get_channel(channel.id)
    target, target_backend = await site(gateway, HUB)
    plan = plan_transfer([(channel, origin(source, source_backend))], target_backend.capabilities, [], site="t", title="c")
    [row] = plan.rows
    assert row.spec.type == "openai-compatible" and not row.spec.base_url.endswith("/v1")
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    assert record["modelRedirects"] == [{"matchType": "exact", "source": "gpt-4", "target": "gpt-4o"}]
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", ["octopus-legacy", "octopus-current"])
async def test_copy_octopus_to_the_hub(gateway, kind):
    source, source_backend = await site(gateway, kind, channels=10)
    channels = [c for c in await source_backend.list_channels() if c.type.name in ("OpenAI Chat", "Anthropic")][:3]
    target, target_backend = await site(gateway, HUB)
    plan = plan_transfer(
        [(c, origin(source, source_backend)) for c in channels], target_backend.capabilities, [], site="t", title="c"
    )
    run = await create_all(target_backend, plan)
    for row, channel in zip(plan.rows, channels):
        record = target.server.record(run.created[row.position].id)
        assert record["url"] == channel.base_url.removesuffix("/v1")
        assert record["providerType"] == ("claude" if channel.type.name == "Anthropic" else "openai-compatible")
        assert target.server.keys[record["id"]] == channel.key
        assert record["isEnabled"] == channel.status.is_enabled
    await source_backend.close()
    await target_backend.close()


async def test_long_names_are_cut_to_what_the_hub_takes(gateway):
    source, source_backend = await site(gateway, "octopus-current")
    long_name = "relay-" + "x" * 80
    channel = await source_backend.create_channel(
        ChannelSpec(name=long_name, type="openai", key="sk-long-name-key-0001", base_url=f"{gateway.upstream_url}/p/openai/v1", models=("gpt-4o",))
    )
    target, target_backend = await site(gateway, HUB)
    plan = plan_transfer([(channel, origin(source, source_backend))], target_backend.capabilities, [], site="t", title="c")
    [row] = plan.rows
    assert len(row.spec.name) == 64 and "name cut to 64 characters: Claude Code Hub takes no longer names" in row.losses
    await create_all(target_backend, plan)
    await source_backend.close()
    await target_backend.close()


async def test_keys_import_into_the_hub_uses_groups_and_the_servers_defaults(gateway):
    target, backend = await site(gateway, HUB)
    key = UpstreamKey(name="k" * 70, source="relay", base_url=f"{gateway.upstream_url}/p/openai/v1", key="sk-imp-hub-0001aa")
    plan = await plan_import(backend, [key], [], site="t", groups=("vip",))
    [row] = plan.rows
    assert row.spec.name.endswith(" (auto)") and len(row.spec.name) == 64
    assert (row.spec.type, row.spec.base_url, row.spec.groups) == ("openai-compatible", f"{gateway.upstream_url}/p/openai", ("vip",))
    run = await create_all(backend, plan)
    record = target.server.record(run.created[1].id)
    assert (record["groupTag"], record["priority"], record["weight"], record["isEnabled"]) == ("vip", 0, 1, True)
    await backend.close()


async def test_a_key_the_server_refuses_to_reveal_stops_the_caller(gateway):
    source, backend = await site(gateway, HUB, channels=3)
    channels = await backend.list_channels()
    source.faults.add(FaultKind.SERVER_ERROR, "/api/v1/providers/2/key:reveal", times=1)
    with pytest.raises(KeyRevealFailed, match=f"#2 {channels[1].name}"):
        await with_keys(backend, channels)
    await backend.close()


async def test_status_carries_to_the_hub(gateway):
    source, source_backend = await site(gateway, "newapi")
    channel = await source_backend.create_channel(
        ChannelSpec(name="off", type=1, key="sk-off-000111222333", base_url=f"{gateway.upstream_url}/p/openai",
                    models=("gpt-4o",), status=ChannelStatus.MANUALLY_DISABLED)
    )
    target, target_backend = await site(gateway, HUB)
    plan = plan_transfer([(channel, origin(source, source_backend))], target_backend.capabilities, [], site="t", title="c")
    plan.supply_key(plan.rows[0], "sk-off-000111222333")
    run = await create_all(target_backend, plan)
    assert target.server.record(run.created[1].id)["isEnabled"] is False
    await source_backend.close()
    await target_backend.close()
