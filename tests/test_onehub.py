"""One Hub and Done Hub: the whole-record update trap, paging and tags, detection, tests, copies."""

from __future__ import annotations

import itertools
from dataclasses import replace

import httpx
import pytest

from tui_channels.backends.base import Operation
from tui_channels.backends.onehub.client import OneHubBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import AuthError, ConfigError, RequestRejected
from tui_channels.models import ChannelSpec, ChannelStatus
from tui_channels.services.channel_plan import RowState
from tui_channels.services.balance import balance_operation
from tui_channels.services.connectivity import connectivity_operation, disable_warning
from tui_channels.services.results import Outcome
from tui_channels.services.transfer import exported_channels, export_channels, plan_transfer

from .backend_helpers import FAST_RETRY, connected_site
from .batch_helpers import run_batch
from .test_transfer import create_all, origin_of

FLAVORS = ("onehub", "donehub")
_names = itertools.count()


def new_site(gateway: DemoGateway, flavor: str, channels: int = 12, **options) -> DemoSite:
    return gateway.add_onehub(f"oh-{flavor}-{next(_names)}", flavor=flavor, channels=channels, **options)


async def connected(site: DemoSite, flavor: str = "auto", token: str | None = None) -> OneHubBackend:
    backend = OneHubBackend(site.url, access_token=token or site.secret, flavor=flavor, retry=FAST_RETRY)
    await backend.connect()
    return backend


def spec(gateway: DemoGateway, **changes) -> ChannelSpec:
    values = {
        "name": f"oh-{next(_names)}",
        "type": 1,
        "key": f"sk-onehub-{next(_names):06d}-0123456789",
        "base_url": f"{gateway.upstream_url}/p/openai",
        "models": ("gpt-4o", "gpt-4o-mini"),
        "groups": ("default", "vip"),
        "priority": 5,
        "weight": 3,
        "tag": None,
        "extra": {
            "test_model": "gpt-4o-mini",
            "model_mapping": '{"gpt-4": "gpt-4o"}',
            "proxy": "socks5://127.0.0.1:1080",
            "other": "2024-06-01",
            "model_headers": '{"X-Team": "a"}',
            "custom_parameter": '{"temperature": 0.2}',
            "only_chat": True,
            "pre_cost": 2,
        },
    }
    values.update(changes)
    return ChannelSpec(**values)


@pytest.fixture(params=FLAVORS)
async def hub(request, gateway: DemoGateway):
    site = new_site(gateway, request.param)
    backend = await connected(site)
    yield site, backend
    await backend.close()


# -- the trap: an update with models replaces the whole record ----------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_the_demo_blanks_what_an_update_with_models_leaves_out(gateway, flavor):
    """The emulation reproduces the server (checked on One Hub v0.14.27 and Done Hub v1.23.18): a
    PUT of `{id, models}` zeroes the key, the name, the status and the type; without `models` it merges."""
    site = new_site(gateway, flavor, channels=2)
    headers = {"Authorization": f"Bearer {site.secret}"}
    async with httpx.AsyncClient(base_url=site.url, headers=headers) as http:
        await http.put("/api/channel/", json={"id": 1, "priority": 9})
        merged = site.server.record(1)
        assert merged["priority"] == 9 and merged["key"] and merged["name"]
        await http.put("/api/channel/", json={"id": 1, "models": "gpt-4o"})
    blanked = site.server.record(1)
    assert (blanked["key"], blanked["name"], blanked["status"], blanked["type"], blanked["priority"]) == ("", "", 0, 0, None)


EDITS = [
    ("name", "renamed-once"),
    ("models", ("gpt-4.1",)),
    ("base_url", "http://127.0.0.1:9/p/openai"),
    ("groups", ("svip",)),
    ("tag", "team-z"),
    ("priority", 0),
    ("weight", 7),
    ("status", ChannelStatus.MANUALLY_DISABLED),
    ("key", "sk-onehub-replaced-0123456789"),
    ("test_model", "gpt-4o"),
    ("model_mapping", ""),
    ("proxy", ""),
    ("other", ""),
    ("only_chat", False),
    ("pre_cost", 1),
]
WIRE = {"groups": "group"}


def wire_value(name: str, value):
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, ChannelStatus):
        return 1 if value.is_enabled else 2
    return value


@pytest.mark.parametrize(("field", "value"), EDITS, ids=[name for name, _ in EDITS])
async def test_an_edit_of_one_field_leaves_every_other_stored_field_as_it_was(gateway, hub, field, value):
    site, backend = hub
    created = await backend.create_channel(spec(gateway))
    listed = {c.id: c for c in await backend.list_channels()}[created.id]
    before = site.server.record(created.id)
    await backend.update_channel(listed, {field: value})
    after = site.server.record(created.id)
    wire = WIRE.get(field, field)
    assert after[wire] == wire_value(field, value)
    assert {k: v for k, v in after.items() if k != wire} == {k: v for k, v in before.items() if k != wire}


@pytest.mark.parametrize("field", ["status", "priority", "weight"])
async def test_status_priority_and_weight_go_without_models(gateway, hub, field):
    site, backend = hub
    created = await backend.create_channel(spec(gateway))
    value = {"status": ChannelStatus.MANUALLY_DISABLED, "priority": 8, "weight": 4}[field]
    site.server.requests.clear()
    await backend.update_channel(created, {field: value})
    [(method, path, body)] = site.server.requests
    assert (method, path, set(body)) == ("PUT", "/api/channel/", {"id", field})


async def test_a_channel_without_models_cannot_be_saved(gateway, hub):
    """Without models the server merges and would keep the old list: refuse instead of pretending."""
    _site, backend = hub
    created = await backend.create_channel(spec(gateway))
    with pytest.raises(RequestRejected, match="without models"):
        await backend.update_channel(created, {"models": ()})


# -- listing: nested pages, tags collapsed, server filters ---------------------------------------


async def test_every_channel_is_listed_across_pages_and_tags(gateway, hub):
    site, backend = hub
    for index in range(230):
        site.server.table.insert({"name": f"bulk-{index}", "type": 1, "key": f"sk-bulk-{index}", "models": "gpt-4o",
                                  "tag": f"pool-{index % 3}" if index % 2 else ""})
    listed = await backend.list_channels()
    assert sorted(c.id for c in listed) == site.server.channel_ids()
    assert len({c.id for c in listed}) == len(listed)


async def test_the_plain_list_shows_one_row_per_tag(gateway, hub):
    """What the trap looks like from a naive client: tagged members hide behind one row."""
    site, _backend = hub
    for index in range(4):
        site.server.table.insert({"name": f"tagged-{index}", "type": 1, "key": f"sk-t-{index}", "models": "m", "tag": "pool"})
    async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": site.secret}) as http:
        page = (await http.get("/api/channel/", params={"page": 1, "size": 100, "tag": "pool"})).json()
        too_big = (await http.get("/api/channel/", params={"page": 1, "size": 101})).json()
    [row] = page["data"]["data"]
    members = site.server.table.tag_members("pool")
    expected = members[0]["id"] if site.flavor == "donehub" else members[-1]["id"]
    assert (row["id"], row["key"], page["data"]["total_count"]) == (expected, "", 1)
    assert too_big == {"success": False, "message": "size 参数不能超过 100"}


async def test_search_uses_the_server_filters_and_finds_tag_members(gateway, hub):
    site, backend = hub
    site.server.table.insert({"name": "needle-free", "type": 1, "key": "sk-needle-free", "models": "m"})
    site.server.table.insert({"name": "needle-tagged", "type": 1, "key": "sk-needle-tag-1", "models": "m", "tag": "hay"})
    site.server.table.insert({"name": "other-tagged", "type": 1, "key": "sk-needle-tag-2", "models": "m", "tag": "hay"})
    names = {c.name for c in await backend.search_channels("needle")}
    assert {"needle-free", "needle-tagged"} <= names and "other-tagged" not in names
    assert {c.name for c in await backend.search_channels("sk-needle-tag-2")} == {"other-tagged"}


# -- create, delete, tags -----------------------------------------------------------------------


async def test_a_key_of_several_lines_is_refused_rather_than_split_into_channels(gateway, hub):
    site, backend = hub
    before = site.server.channel_ids()
    with pytest.raises(RequestRejected, match="one tag"):
        await backend.create_channel(spec(gateway, key="sk-a-0123456789\nsk-b-0123456789"))
    assert site.server.channel_ids() == before


async def test_batch_delete_sends_the_body_the_server_requires(gateway, hub):
    site, backend = hub
    ids = site.server.channel_ids()[:3]
    assert await backend.delete_channels(ids) == 3
    assert not set(ids) & set(site.server.channel_ids())
    async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": site.secret}) as http:
        refused = (await http.request("DELETE", "/api/channel/batch", json={"ids": site.server.channel_ids()[:1]})).json()
    assert refused["success"] is False and "Value" in refused["message"]


async def test_tags_are_groups_of_channels_switched_and_prioritised_together(gateway, hub):
    site, backend = hub
    for index in range(3):
        await backend.create_channel(spec(gateway, name=f"pooled-{index}", tag="pool"))
    await backend.set_tag_status("pool", False)
    await backend.edit_tag("pool", {"priority": 42})
    members = site.server.table.tag_members("pool")
    assert {(m["status"], m["priority"]) for m in members} == {(2, 42)}
    listed = [c for c in await backend.list_channels() if c.tag == "pool"]
    assert len(listed) == 3


# -- upstream-facing ----------------------------------------------------------------------------


async def test_a_test_takes_the_test_model_or_the_first_model(gateway, hub):
    site, backend = hub
    created = await backend.create_channel(spec(gateway, extra={}))
    result = await backend.test_channel(created)
    assert result.ok and result.message == "gpt-4o"
    assert site.server.record(created.id)["test_model"] == ""


async def test_a_refused_key_fails_and_says_the_server_switched_the_channel_off(gateway, hub):
    site, backend = hub
    assert disable_warning(backend.capabilities) == (
        f"{backend.capabilities.flavor_label} may disable a channel whose test fails (its own auto-disable "
        "rule); check the results for channels it switched off."
    )
    created = await backend.create_channel(spec(gateway, key="sk-invalid-0123456789abcdef"))
    result = await connectivity_operation(backend)(created)
    assert result.outcome is Outcome.FAILED
    assert "(the server disabled the channel)" in result.message
    assert "sk-invalid" not in result.message
    assert (await backend.get_channel(created.id)).status is ChannelStatus.AUTO_DISABLED


async def test_models_and_balance(gateway, hub):
    _site, backend = hub
    created = await backend.create_channel(spec(gateway))
    assert "gpt-4.1" in await backend.fetch_models(created)
    assert "gpt-4o" in await backend.fetch_models_adhoc(1, f"{gateway.upstream_url}/p/openai", "sk-adhoc-0123456789")
    assert await backend.update_balance(created.id) >= 0
    assert backend.capabilities.supports(Operation.BALANCE)


async def test_a_type_without_a_balance_is_skipped_as_on_new_api_not_failed(gateway, hub):
    """Both servers answer `success:false "provider not implemented"` for such a type (seen on One Hub)."""
    _site, backend = hub
    created = await backend.create_channel(spec(gateway, type=14, name="no-balance"))
    (result,) = await run_batch([created], balance_operation(backend))
    assert result.outcome is Outcome.SKIPPED
    assert result.message == "the gateway cannot query the balance of this channel type"


async def test_an_unreachable_upstream_is_said_in_plain_words(gateway, hub):
    """The servers say it in Chinese (`请求上游地址失败`, Done Hub adds the cause)."""
    _site, backend = hub
    created = await backend.create_channel(spec(gateway, base_url="http://127.0.0.1:9"))
    result = await backend.test_channel(created)
    assert not result.ok and result.message.startswith("the upstream could not be reached")
    with pytest.raises(RequestRejected, match="could not be reached"):
        await backend.fetch_models_adhoc(1, "http://127.0.0.1:9", "sk-adhoc-0123456789")


async def test_user_groups_are_their_symbols_on_both(hub):
    """One Hub lists the symbols, Done Hub objects with a `symbol` (seen on v1.23.18)."""
    _site, backend = hub
    assert await backend.list_groups() == ["default", "vip", "svip"]


# -- connection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_one_hub_and_done_hub_are_told_apart_by_their_status_keys(gateway, flavor):
    site = new_site(gateway, flavor, channels=1, system_name="Acme Gateway")
    backend = await connected(site)
    try:
        assert backend.capabilities.flavor == flavor
        assert (57 in backend.capabilities.types) is (flavor == "donehub")
        assert backend.capabilities.types.get(25).name == "Gemini"
    finally:
        await backend.close()


async def test_no_user_id_header_is_sent_and_a_bad_token_is_an_auth_error(gateway):
    site = new_site(gateway, "onehub", channels=1)
    with pytest.raises(AuthError):
        await connected(site, token="0" * 32)
    backend = await connected(site)
    try:
        sent = {name.lower() for name in backend._http._client.headers}  # noqa: SLF001
        assert not {name for name in sent if "user" in name and name != "user-agent"}
    finally:
        await backend.close()


async def test_a_new_api_site_is_not_taken_for_one_hub(gateway):
    site = gateway.add_newapi(f"not-oh-{next(_names)}", channels=1)
    backend = OneHubBackend(site.url, access_token=site.secret, retry=FAST_RETRY)
    try:
        with pytest.raises(ConfigError, match="does not answer like One Hub"):
            await backend.connect()
    finally:
        await backend.close()


# -- copies and restores ------------------------------------------------------------------------


async def test_a_restore_between_one_hub_and_done_hub_keeps_every_column(gateway):
    source, source_backend = await connected_site(gateway, "donehub", channels=0, prefix="oh")
    created = await source_backend.create_channel(spec(gateway, tag="pool"))
    channels = await source_backend.list_channels()
    export = export_channels(source.name, source_backend.capabilities, channels, include_keys=True)
    target, target_backend = await connected_site(gateway, "onehub", channels=0, prefix="oh")
    plan = plan_transfer(exported_channels(export), target_backend.capabilities, [], site=target.name, title="restore")
    [row] = plan.rows
    assert row.state is RowState.READY, row.reason
    run = await create_all(target_backend, plan)
    original, restored = source.server.record(created.id), target.server.record(run.created[1].id)
    kept = ("type", "key", "name", "base_url", "models", "group", "priority", "weight", "tag", "test_model",
            "model_mapping", "model_headers", "custom_parameter", "proxy", "other", "only_chat", "pre_cost")
    assert {k: restored[k] for k in kept} == {k: original[k] for k in kept}
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", ["newapi", "octopus-current", "axonhub-current", "claudecodehub"])
async def test_a_copy_to_another_backend_names_what_cannot_be_carried(gateway, kind):
    source, source_backend = await connected_site(gateway, "onehub", channels=0, prefix="oh")
    created = await source_backend.create_channel(spec(gateway))
    channel = await source_backend.get_channel(created.id)
    target, target_backend = await connected_site(gateway, kind, channels=0, prefix="oh")
    plan = plan_transfer([(channel, origin_of(source, source_backend))], target_backend.capabilities, [],
                         site=target.name, title="copy")
    [row] = plan.rows
    label = target_backend.capabilities.flavor_label
    assert f"type-specific setting (other): {label} has no such field" in row.losses
    assert f"pre-billing mode: {label} has no such field" in row.losses
    assert row.state is RowState.READY, row.reason
    await create_all(target_backend, plan)
    await source_backend.close()
    await target_backend.close()


@pytest.mark.parametrize("kind", ["newapi", "octopus-legacy", "axonhub-current", "claudecodehub"])
async def test_a_copy_from_another_backend_lands_on_one_hub_with_its_type(gateway, kind):
    source, source_backend = await connected_site(gateway, kind, channels=6, prefix="oh")
    channel = next(c for c in await source_backend.list_channels() if c.models)
    if not channel.key and source_backend.capabilities.supports(Operation.REVEAL_KEY):
        channel = replace(channel, key=await source_backend.reveal_key(channel.id))
    target, target_backend = await connected_site(gateway, "onehub", channels=0, prefix="oh")
    plan = plan_transfer([(channel, origin_of(source, source_backend))], target_backend.capabilities, [],
                         site=target.name, title="copy")
    [row] = plan.rows
    if row.state is RowState.BLOCKED and row.needs_key:
        plan.supply_key(row, "sk-supplied-0123456789")
    if row.state is RowState.BLOCKED:
        pytest.fail(row.reason)
    run = await create_all(target_backend, plan)
    record = target.server.record(run.created[1].id)
    assert target_backend.capabilities.types.get(record["type"]).name != "Unknown"
    assert record["key"]
    await source_backend.close()
    await target_backend.close()


async def test_new_api_gemini_becomes_one_hub_gemini(gateway):
    source, source_backend = await connected_site(gateway, "newapi", channels=0, prefix="oh")
    await source_backend.create_channel(ChannelSpec(name="gem", type=24, key="sk-gem-0123456789",
                                                    base_url=f"{gateway.upstream_url}/p/gemini", models=("gemini-2.0-flash",)))
    [channel] = await source_backend.list_channels()
    target, target_backend = await connected_site(gateway, "onehub", channels=0, prefix="oh")
    plan = plan_transfer([(channel, origin_of(source, source_backend))], target_backend.capabilities, [],
                         site=target.name, title="copy")
    [row] = plan.rows
    assert row.spec.type == 25
    await source_backend.close()
    await target_backend.close()


async def test_a_record_that_cannot_be_a_channel_is_skipped_with_a_warning(gateway, hub):
    site, backend = hub
    row = site.server.table.insert({"name": "broken-row", "type": 1, "key": "sk-broken-row", "models": "m"})
    row["id"] = "not-a-number"
    listed = await backend.list_channels()
    assert "broken-row" not in {c.name for c in listed}
    assert any("broken-row" in warning for warning in backend.list_warnings)


async def test_a_server_message_ending_in_a_full_stop_is_not_given_a_second_one(gateway, hub):
    """The upstream says "Incorrect API key provided."; ours goes on after it with one full stop."""
    _site, backend = hub
    with pytest.raises(RequestRejected) as raised:
        await backend.fetch_models_adhoc(1, f"{gateway.upstream_url}/p/openai", "sk-invalid-0123456789")
    message = raised.value.message
    assert "Incorrect API key provided. Check" in message, message
    assert ".." not in message
