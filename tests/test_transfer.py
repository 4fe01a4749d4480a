"""Export, restore (from files and the trash) and copy between sites, against the demo gateway."""

from __future__ import annotations

import json
from dataclasses import replace
import os
import stat

import pytest

from tui_channels.backends.base import Backend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import Channel, ChannelSpec, ChannelStatus
from tui_channels.services import trash
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.channel_mapping import Origin
from tui_channels.services.channel_plan import ChannelPlan, CreateRun, RowState, creation_settings
from tui_channels.services.results import Outcome
from tui_channels.services.transfer import (
    TransferFileError,
    export_channels,
    exported_channels,
    key_warning,
    plan_transfer,
    read_export,
    trashed_channels,
    write_export,
)

from .backend_helpers import connected_site


NEWAPI_CARRIED = (
    "type", "name", "base_url", "models", "group", "priority", "weight", "tag", "model_mapping",
    "status_code_mapping", "auto_ban", "test_model", "remark", "param_override", "header_override",
    "setting", "settings", "other", "openai_organization",
)
OCTOPUS_CARRIED = (
    "name", "type", "enabled", "base_url", "key", "base_urls", "model", "custom_model", "proxy",
    "auto_sync", "custom_header", "param_override", "channel_proxy", "match_regex", "auto_group",
)


async def site_and_backend(gateway: DemoGateway, kind: str, *, channels: int = 12) -> tuple[DemoSite, Backend]:
    """A new emulated site of the kind `kind` names, and a connected client for it."""
    return await connected_site(gateway, kind, channels=channels, prefix="tr")


def origin_of(site: DemoSite, backend: Backend) -> Origin:
    return Origin(site.name, backend.capabilities.kind, backend.capabilities.flavor)


async def create_all(backend: Backend, plan: ChannelPlan) -> CreateRun:
    run = CreateRun(backend, plan)
    results = await BatchRun(plan.placeholders(), run, creation_settings(BatchSettings(concurrency=4))).run()
    assert all(r.outcome is Outcome.OK for r in results), [r.message for r in results if not r.ok]
    return run


def carried(record: dict, fields: tuple[str, ...]) -> dict:
    return {name: record.get(name) for name in fields if name in record}


def octopus_keys(record: dict) -> list[tuple]:
    return [(k["enabled"], k["channel_key"], k["remark"]) for k in record.get("keys") or []]


# -- export files -------------------------------------------------------------------------------


async def test_exports_leave_keys_out_unless_asked_and_the_server_returns_them(gateway, tmp_path):
    site, backend = await site_and_backend(gateway, "octopus-legacy", channels=5)
    channels = await backend.list_channels()
    plain = export_channels(site.name, backend.capabilities, channels, include_keys=False)
    assert not plain.includes_keys
    assert all(e.key is None for e in plain.channels)
    assert all(k["channel_key"] == "" for e in plain.channels for k in e.record["keys"])
    with_keys = export_channels(site.name, backend.capabilities, channels, include_keys=True)
    assert with_keys.includes_keys and "plain text" in key_warning(backend.capabilities, True)
    path = tmp_path / "out" / "octopus.json"
    write_export(with_keys, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text())
    assert (data["format"], data["version"], data["kind"], data["flavor"]) == (
        "tui-channels/channels", 1, "octopus", "octopus-legacy",
    )
    assert read_export(path) == with_keys
    await backend.close()


async def test_new_api_exports_hold_no_keys_and_say_so(gateway):
    site, backend = await site_and_backend(gateway, "newapi", channels=3)
    export = export_channels(site.name, backend.capabilities, await backend.list_channels(), include_keys=True)
    assert not export.includes_keys
    assert "never returns channel keys" in key_warning(backend.capabilities, True)
    await backend.close()


@pytest.mark.parametrize("text", ["not json", '{"format": "something else"}', "[]"])
def test_a_file_that_is_not_an_export_is_refused(tmp_path, text):
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(TransferFileError):
        read_export(path)


# -- export -> restore round trips ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["octopus-legacy", "octopus-current"])
async def test_octopus_round_trip_keeps_every_field(gateway, tmp_path, kind):
    source, source_backend = await site_and_backend(gateway, kind, channels=12)
    channels = await source_backend.list_channels()
    path = tmp_path / "export.json"
    write_export(export_channels(source.name, source_backend.capabilities, channels, include_keys=True), path)
    target, target_backend = await site_and_backend(gateway, kind, channels=0)
    export = read_export(path)
    plan = plan_transfer(exported_channels(export), target_backend.capabilities, [], site=target.name, title="restore")
    assert plan.counts()[RowState.READY] == len(channels)
    assert all(not row.losses for row in plan.rows)
    run = await create_all(target_backend, plan)
    for row in plan.rows:
        original = source.server.record(channels[row.position - 1].id)
        restored = target.server.record(run.created[row.position].id)
        assert carried(restored, OCTOPUS_CARRIED) == carried(original, OCTOPUS_CARRIED)
        assert octopus_keys(restored) == octopus_keys(original)
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", ["newapi", "newapi-legacy", "oneapi"])
async def test_new_api_round_trip_keeps_every_field_once_keys_are_supplied(gateway, tmp_path, kind):
    source, source_backend = await site_and_backend(gateway, kind, channels=12)
    channels = await source_backend.list_channels()
    path = tmp_path / "export.json"
    write_export(export_channels(source.name, source_backend.capabilities, channels, include_keys=False), path)
    target, target_backend = await site_and_backend(gateway, kind, channels=0)
    plan = plan_transfer(
        exported_channels(read_export(path)), target_backend.capabilities, [], site=target.name, title="restore"
    )
    assert {row.state for row in plan.rows} == {RowState.BLOCKED}
    assert all(row.reason.startswith("the server never returns") for row in plan.rows)
    for row, channel in zip(plan.rows, channels):
        plan.supply_key(row, " ".join(source.server.record(channel.id)["key"].split("\n")[: row.key_count]))
    assert plan.counts()[RowState.READY] == len(channels)
    run = await create_all(target_backend, plan)
    pools = 0
    for row, channel in zip(plan.rows, channels):
        original = source.server.record(channel.id)
        restored = target.server.record(run.created[row.position].id)
        assert carried(restored, NEWAPI_CARRIED) == carried(original, NEWAPI_CARRIED)
        assert restored["status"] == (1 if original["status"] == 1 else 2)
        if original.get("channel_info", {}).get("is_multi_key"):
            pools += 1
            assert restored["key"] == original["key"]
            info, before = restored["channel_info"], original["channel_info"]
            assert (info["multi_key_size"], info["multi_key_mode"]) == (before["multi_key_size"], before["multi_key_mode"])
        else:
            assert restored["key"] == original["key"]
    assert pools or kind != "newapi"
    await source_backend.close()
    await target_backend.close()


async def test_restoring_into_the_same_site_finds_every_channel_already_present(gateway):
    site, backend = await site_and_backend(gateway, "octopus-current", channels=6)
    channels = await backend.list_channels()
    export = export_channels(site.name, backend.capabilities, channels, include_keys=True)
    plan = plan_transfer(exported_channels(export), backend.capabilities, channels, site=site.name, title="restore")
    assert plan.counts() == {RowState.READY: 0, RowState.PRESENT: 6, RowState.BLOCKED: 0}
    await backend.close()


# -- the trash ----------------------------------------------------------------------------------


async def test_deleted_channels_come_back_from_the_trash(gateway, tmp_path):
    site, backend = await site_and_backend(gateway, "octopus-legacy", channels=6)
    channels = await backend.list_channels()
    doomed = channels[:2]
    trash_file = tmp_path / "trash.jsonl"
    trash.append(doomed, site=site.name, capabilities=backend.capabilities, path=trash_file)
    await backend.delete_channels([c.id for c in doomed])
    deleted = trashed_channels(trash.read(trash_file))
    assert [t.channel.name for t in deleted] == [c.name for c in reversed(doomed)]
    items = [(t.channel, t.origin) for t in deleted]
    plan = plan_transfer(items, backend.capabilities, await backend.list_channels(), site=site.name, title="restore")
    assert plan.counts()[RowState.READY] == 2
    run = await create_all(backend, plan)
    for row, original in zip(plan.rows, reversed(doomed)):
        restored = site.server.record(run.created[row.position].id)
        assert octopus_keys(restored) == octopus_keys(original.raw)
        assert restored["name"] == original.name
    await backend.close()


# -- copy between sites -------------------------------------------------------------------------


async def newapi_source(gateway: DemoGateway) -> tuple[DemoSite, Backend, Channel]:
    site, backend = await site_and_backend(gateway, "newapi", channels=0)
    spec = ChannelSpec(
        name="relay-main",
        type=1,
        key="sk-copy-source-key-000111",
        base_url=f"{gateway.upstream_url}/p/openai",
        models=("gpt-4o", "gpt-4o-mini"),
        groups=("default", "vip"),
        priority=5,
        weight=10,
        tag="team-a",
        extra={
            "model_mapping": '{"gpt-4": "gpt-4o"}',
            "header_override": '{"X-Team": "a"}',
            "param_override": '{"temperature": 0.5}',
            "test_model": "gpt-4o-mini",
        },
    )
    return site, backend, await backend.create_channel(spec)


@pytest.mark.parametrize(("kind", "url_tail"), [("octopus-legacy", "/v1"), ("octopus-current", "")])
async def test_copy_new_api_to_octopus_reports_what_cannot_be_carried(gateway, kind, url_tail):
    source, source_backend, channel = await newapi_source(gateway)
    target, target_backend = await site_and_backend(gateway, kind, channels=0)
    origin = origin_of(source, source_backend)
    plan = plan_transfer([(channel, origin)], target_backend.capabilities, [], site=target.name, title="copy")
    [row] = plan.rows
    assert row.state is RowState.BLOCKED and "supply it" in row.reason
    assert list(row.losses) == [
        "groups default, vip: Octopus channels have no user groups",
        "priority 5: Octopus sets priority on its groups",
        "weight 10: Octopus sets weights on its groups",
        "tag 'team-a': Octopus has no tags",
        "model mapping: Octopus has no such field",
        "test model: Octopus has no such field",
    ]
    plan.supply_key(row, "sk-copy-source-key-000111")
    assert row.state is RowState.READY
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    url = record["base_urls"][0]["url"] if "base_urls" in record else record["base_url"]
    assert url == f"{gateway.upstream_url}/p/openai{url_tail}"
    assert record["model"] == "gpt-4o,gpt-4o-mini"
    assert record["custom_header"] == [{"header_key": "X-Team", "header_value": "a"}]
    assert record["param_override"] == '{"temperature": 0.5}'
    assert record["auto_sync"] is False
    await source_backend.close()
    await target_backend.close()


async def test_types_travel_by_protocol_or_block_when_octopus_has_none(gateway):
    source, source_backend = await site_and_backend(gateway, "newapi", channels=0)
    target, target_backend = await site_and_backend(gateway, "octopus-current", channels=0)
    url = f"{gateway.upstream_url}/p/deepseek"
    deepseek = await source_backend.create_channel(
        ChannelSpec(name="ds", type=43, key="sk-ds-000111222", base_url=url, models=("deepseek-chat",), groups=())
    )
    baidu = await source_backend.create_channel(
        ChannelSpec(name="baidu", type=15, key="sk-bd-000111222", models=("ernie",), groups=())
    )
    origin = origin_of(source, source_backend)
    plan = plan_transfer([(deepseek, origin), (baidu, origin)], target_backend.capabilities, [], site="t", title="copy")
    first, second = plan.rows
    assert first.spec.type == "openai" and "type DeepSeek becomes OpenAI Chat" in first.losses
    assert second.state is RowState.BLOCKED and second.reason == "type Baidu has no Octopus equivalent"
    await source_backend.close()
    await target_backend.close()


async def test_copy_octopus_to_new_api_carries_the_key_and_drops_the_version_segment(gateway):
    source, source_backend = await site_and_backend(gateway, "octopus-legacy", channels=8)
    target, target_backend = await site_and_backend(gateway, "newapi", channels=0)
    channels = [c for c in await source_backend.list_channels() if c.type.name == "OpenAI Chat"][:2]
    plan = plan_transfer(
        [(c, origin_of(source, source_backend)) for c in channels], target_backend.capabilities, [], site="t", title="c"
    )
    assert [row.state for row in plan.rows] == [RowState.READY] * len(channels)
    run = await create_all(target_backend, plan)
    for row, channel in zip(plan.rows, channels):
        record = target.server.record(run.created[row.position].id)
        assert record["base_url"] == channel.base_url.removesuffix("/v1")
        assert record["key"] == channel.key
        assert record["type"] == 1 and record["group"] == "default"
        assert set(record["models"].split(",")) == set(channel.models)
    await source_backend.close()
    await target_backend.close()


# -- AxonHub ------------------------------------------------------------------------------------

AXONHUB_CARRIED = (
    "type", "name", "baseURL", "supportedModels", "manualModels", "tags", "defaultTestModel", "remark",
    "orderingWeight", "settings", "credentials",
)


def axonhub_settings(record: dict) -> dict:
    return {k: v for k, v in (record.get("settings") or {}).items() if v not in (None, "", [], {}, False)}


async def test_axonhub_round_trip_keeps_every_field(gateway, tmp_path):
    source, source_backend = await site_and_backend(gateway, "axonhub-current", channels=24)
    channels = await source_backend.list_channels()
    path = tmp_path / "export.json"
    write_export(export_channels(source.name, source_backend.capabilities, channels, include_keys=True), path)
    target, target_backend = await site_and_backend(gateway, "axonhub-current", channels=0)
    plan = plan_transfer(
        exported_channels(read_export(path)), target_backend.capabilities, [], site=target.name, title="restore"
    )
    assert plan.counts()[RowState.READY] == len(channels)
    for row, channel in zip(plan.rows, channels):
        expected = ["archived: created as disabled"] if channel.raw["status"] == "archived" else []
        if channel.raw["status"] == "disabled" and channel.raw.get("errorMessage"):
            expected = ["auto-disabled: created as disabled"]
        assert list(row.losses) == expected
    run = await create_all(target_backend, plan)
    for row, channel in zip(plan.rows, channels):
        original = source.server.record(channel.id)
        restored = target.server.record(run.created[row.position].id)
        for name in AXONHUB_CARRIED:
            if name == "settings":
                assert axonhub_settings(restored) == axonhub_settings(original)
            elif name == "credentials":
                assert restored["credentials"]["apiKeys"] == original["credentials"]["apiKeys"]
            else:
                assert restored.get(name) == original.get(name), name
        assert restored["status"] == ("enabled" if original["status"] == "enabled" else "disabled")
    await source_backend.close()
    await target_backend.close()


async def test_an_axonhub_export_without_keys_holds_no_secret(gateway):
    site, backend = await site_and_backend(gateway, "axonhub-current", channels=6)
    channels = await backend.list_channels()
    export = export_channels(site.name, backend.capabilities, channels, include_keys=False)
    text = export.model_dump_json()
    assert not any(key in text for c in channels for key in c.raw["credentials"]["apiKeys"])
    await backend.close()


async def test_copy_new_api_to_axonhub_carries_mapping_tag_and_test_model_and_names_the_rest(gateway):
    source, source_backend, channel = await newapi_source(gateway)
    target, target_backend = await site_and_backend(gateway, "axonhub-current", channels=0)
    plan = plan_transfer(
        [(channel, origin_of(source, source_backend))], target_backend.capabilities, [], site=target.name, title="copy"
    )
    [row] = plan.rows
    assert list(row.losses) == [
        "groups default, vip: AxonHub channels have no user groups",
        "priority 5: AxonHub routes by its load-balancer settings",
        "weight 10: AxonHub routes by its load-balancer settings",
        "parameter override: AxonHub has no such field",
        "header override: AxonHub has no such field",
    ]
    plan.supply_key(row, "sk-copy-source-key-000111")
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    assert record["baseURL"] == f"{gateway.upstream_url}/p/openai/v1"
    assert record["settings"]["modelMappings"] == [{"from": "gpt-4", "to": "gpt-4o"}]
    assert (record["tags"], record["defaultTestModel"], record["status"]) == (["team-a"], "gpt-4o-mini", "enabled")
    assert record["credentials"]["apiKeys"] == ["sk-copy-source-key-000111"]


# -- multi-key pools -----------------------------------------------------------------------------


async def pool_source(gateway: DemoGateway) -> tuple[DemoSite, Backend, Channel, list[str]]:
    """A current New API site and one of its multi-key pools (keys in order), as the client lists it."""
    site, backend = await site_and_backend(gateway, "newapi", channels=0)
    keys = ["sk-pool-0001", "sk-pool-0002", "sk-pool-0003"]
    spec = ChannelSpec(
        name="pool", type=1, key="\n".join(keys), models=("gpt-4o",), extra={"multi_key_mode": "polling"}
    )
    channel = await backend.create_channel(spec)
    return site, backend, channel, keys


async def test_a_pool_copied_to_a_new_api_that_keeps_pools_stays_a_pool(gateway):
    source, source_backend, pool, keys = await pool_source(gateway)
    target, target_backend = await site_and_backend(gateway, "newapi", channels=0)
    plan = plan_transfer(
        [(pool, origin_of(source, source_backend))], target_backend.capabilities, [], site=target.name, title="copy"
    )
    [row] = plan.rows
    assert row.state is RowState.BLOCKED and "supply the pool's 3 keys" in row.reason and not row.losses
    plan.supply_key(row, " ".join(keys))
    assert row.state is RowState.READY
    run = await create_all(target_backend, plan)
    restored = target.server.record(run.created[1].id)
    assert restored["key"].split("\n") == keys
    assert restored["channel_info"]["is_multi_key"] is True
    assert restored["channel_info"]["multi_key_mode"] == "polling"
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", ["newapi", "octopus-current", "octopus-legacy", "axonhub-older"])
async def test_copy_from_axonhub_carries_the_first_key_and_names_what_stays_behind(gateway, kind):
    source, source_backend = await site_and_backend(gateway, "axonhub-current", channels=0)
    created = await source_backend.create_channel(
        ChannelSpec(
            name="axon-main",
            type="openai",
            key="sk-axon-first-0001 sk-axon-second-0002",
            base_url=f"{gateway.upstream_url}/p/openai/v1",
            models=("gpt-4o",),
            tag="team-a, eu",
            extra={"settings": {"modelMappings": [{"from": "gpt-4", "to": "gpt-4o"}], "extraModelPrefix": "px"}},
        )
    )
    target, target_backend = await site_and_backend(gateway, kind, channels=0)
    label = target_backend.capabilities.flavor_label
    plan = plan_transfer(
        [(created, origin_of(source, source_backend))], target_backend.capabilities, [], site="t", title="copy"
    )
    [row] = plan.rows
    assert row.state is RowState.READY, row.reason
    losses = list(row.losses)
    assert f"1 more key: {label} keeps one per channel (the first is carried)" in losses
    if kind == "axonhub-older":
        assert losses == [
            f"1 more key: {label} keeps one per channel (the first is carried)",
            f"tags team-a, eu: {label} has no tags",
            f"settings (extraModelPrefix): {label} has no such field",
        ]
    else:
        assert f"settings (extraModelPrefix): {label} has no counterpart" in losses
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    if kind == "newapi":
        assert record["key"] == "sk-axon-first-0001" and record["tag"] == "team-a"
        assert json.loads(record["model_mapping"]) == {"gpt-4": "gpt-4o"}
        assert record["base_url"] == f"{gateway.upstream_url}/p/openai"
    elif kind == "axonhub-older":
        assert record["credentials"] == {"apiKey": "sk-axon-first-0001"}
        assert record["settings"] == {"modelMappings": [{"from": "gpt-4", "to": "gpt-4o"}]}


@pytest.mark.parametrize("kind", ["newapi-legacy", "oneapi", "octopus-current"])
async def test_a_pool_copied_where_channels_hold_one_key_is_blocked_until_one_key_is_given(gateway, kind):
    """The preview and the create follow one rule: several keys are never "ready" where they would fail."""
    source, source_backend, pool, keys = await pool_source(gateway)
    target, target_backend = await site_and_backend(gateway, kind, channels=0)
    plan = plan_transfer(
        [(pool, origin_of(source, source_backend))], target_backend.capabilities, [], site=target.name, title="copy"
    )
    [row] = plan.rows
    assert any("holds one key per channel, so supply one" in loss for loss in row.losses)
    for pasted in ("\n".join(keys), " ".join(keys)):  # the pool's keys given anyway
        plan.supply_key(row, pasted)
        assert row.state is RowState.BLOCKED and "3 keys given" in row.reason
    results = await BatchRun(
        plan.placeholders(), CreateRun(target_backend, plan), creation_settings(BatchSettings())
    ).run()
    records = target.server.channels if kind.startswith("octopus") else target.server.store
    assert results[0].outcome is Outcome.SKIPPED and not records
    plan.supply_key(row, keys[0])
    assert row.state is RowState.READY
    run = await create_all(target_backend, plan)
    assert run.created[1].key in (None, keys[0])
    await source_backend.close()
    await target_backend.close()


async def test_a_pool_copied_to_legacy_octopus_becomes_one_channel_with_every_key(gateway):
    source, source_backend, pool, keys = await pool_source(gateway)
    target, target_backend = await site_and_backend(gateway, "octopus-legacy", channels=0)
    plan = plan_transfer(
        [(pool, origin_of(source, source_backend))], target_backend.capabilities, [], site=target.name, title="copy"
    )
    [row] = plan.rows
    plan.supply_key(row, " ".join(keys))
    assert row.state is RowState.READY
    run = await create_all(target_backend, plan)
    assert [k["channel_key"] for k in target.server.record(run.created[1].id)["keys"]] == keys
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", ["newapi", "octopus-current", "claudecodehub"])
async def test_a_status_changed_after_loading_is_restored_as_it_was_at_the_delete(gateway, tmp_path, kind):
    """The app switches a channel off without reading its record again; the trash and exports keep the
    neutral status beside the stale record, and a restore follows the neutral one."""
    site, backend = await site_and_backend(gateway, kind, channels=4)
    channel = next(c for c in await backend.list_channels() if c.status.is_enabled)
    await backend.set_status(channel.id, False)
    shown = replace(channel, key=channel.key or "sk-status-kept-000111", status=ChannelStatus.MANUALLY_DISABLED)
    trash_file = tmp_path / "trash.jsonl"
    trash.append([shown], site=site.name, capabilities=backend.capabilities, path=trash_file)
    export = export_channels(site.name, backend.capabilities, [shown], include_keys=True)
    await backend.delete_channel(channel.id)
    for restored in (trashed_channels(trash.read(trash_file))[0].channel, exported_channels(export)[0][0]):
        assert restored.status is ChannelStatus.MANUALLY_DISABLED
    [(again, origin)] = [(t.channel, t.origin) for t in trashed_channels(trash.read(trash_file))]
    plan = plan_transfer([(again, origin)], backend.capabilities, [], site=site.name, title="restore")
    run = await create_all(backend, plan)
    assert (await backend.get_channel(run.created[1].id)).status.is_disabled
    await backend.close()
