"""Octopus groups: the client against both emulated generations, the traps of the real servers, the
rules the app applies to groups, and the `groups` commands."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.backends.octopus.groups import CURRENT_SPEC, LEGACY_SPEC, member_changes
from tui_channels.cli import main
from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import NotFound, RequestRejected
from tui_channels.model_groups import GroupMember, ModelGroup
from tui_channels.models import ChannelStatus
from tui_channels.secret_store import env_var_name
from tui_channels.services.group_transfer import carry_group, exported_group, plan_groups
from tui_channels.services.model_groups import group_problems, matching_members, memberships, stranded

from .test_channel_view import make

_names = itertools.count(1)


@pytest.fixture(params=["current", "legacy"])
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    return gateway.add_octopus(f"groups-{next(_names)}", generation=request.param, channels=12)


@pytest.fixture
async def backend(site: DemoSite) -> AsyncIterator[OctopusBackend]:
    client = OctopusBackend(
        site.url, username=site.username or "", password=site.secret, retry=RetryPolicy(base_delay=0.01)
    )
    await client.connect()
    yield client
    await client.close()


def legacy(site: DemoSite) -> bool:
    return site.flavor == "octopus-legacy"


def offered(site: DemoSite, channel_id: int) -> list[str]:
    record = site.server.channels[channel_id]
    return [m for m in f"{record['model']},{record['custom_model']}".split(",") if m]


async def test_groups_are_listed_by_id_with_members_by_priority(site: DemoSite, backend: OctopusBackend) -> None:
    groups = await backend.list_model_groups()
    assert [g.id for g in groups] == sorted(site.server.groups.groups)
    for group in groups:
        assert [m.priority for m in group.members] == sorted(m.priority for m in group.members)
    assert backend.capabilities.groups is (LEGACY_SPEC if legacy(site) else CURRENT_SPEC)


async def test_create_update_delete(site: DemoSite, backend: OctopusBackend) -> None:
    spec = backend.capabilities.groups
    a, b = offered(site, 1)[0], offered(site, 2)[0]
    draft = ModelGroup(
        None,
        "groups-test",
        spec.default_mode,
        members=(GroupMember(1, a, 1, 3), GroupMember(2, b, 2, 4)),
        timeout=15,
    )
    created = await backend.create_model_group(replace(draft, active=(2, b)))
    record = site.server.groups.groups[created.id]
    assert [(i["channel_id"], i["model_name"]) for i in record["items"]] == [(1, a), (2, b)]
    if legacy(site):
        assert [i["weight"] for i in record["items"]] == [3, 4]
        assert record["first_token_time_out"] == 15
    else:
        assert created.active == (2, b), "a manual group's chosen member is made active right after the create"
        assert record["relay_config"]["member_stream_first_event_timeout_seconds"] == 15

    edited = replace(
        created, name="groups-test-2", timeout=25, members=(replace(created.members[0], priority=9),), active=(1, a)
    )
    saved = await backend.update_model_group(created, edited)
    record = site.server.groups.groups[created.id]
    assert saved.name == record["name"] == "groups-test-2"
    assert [(i["channel_id"], i["priority"]) for i in record["items"]] == [(1, 9)]
    if legacy(site):
        assert (
            record["items"][0]["weight"] == 3
        ), "a legacy member update carries the weight, or the server zeroes it"
    else:
        relay = record["relay_config"]
        assert relay["member_stream_first_event_timeout_seconds"] == 25
        assert relay["member_affinity_seconds"] == 300, "the whole relay config is sent, or affinity drops to 0"
        assert record["active_item_id"] == record["items"][0]["id"], "the chosen member is made active again"

    await backend.delete_model_group(created.id)
    assert created.id not in site.server.groups.groups
    with pytest.raises(NotFound, match="group not found"):
        await backend.delete_model_group(created.id)


async def test_the_server_refusals_read_clearly(site: DemoSite, backend: OctopusBackend) -> None:
    spec = backend.capabilities.groups
    taken = next(iter(site.server.groups.groups.values()))["name"]
    with pytest.raises(RequestRejected, match="group named .* already exists"):
        await backend.create_model_group(ModelGroup(None, taken, spec.default_mode))
    missing = ModelGroup(None, "groups-missing", spec.default_mode, members=(GroupMember(999, "nope"),))
    if legacy(site):
        stored = await backend.create_model_group(missing)
        assert stored.members[0].channel_id == 999, "legacy stores members of channels that do not exist"
    else:
        with pytest.raises(RequestRejected, match="group item channel 999 not found"):
            await backend.create_model_group(missing)


async def test_what_channel_changes_do_to_groups(site: DemoSite, backend: OctopusBackend) -> None:
    spec = backend.capabilities.groups
    models = offered(site, 3)
    group = await backend.create_model_group(
        ModelGroup(
            None,
            "groups-effects",
            spec.default_mode,
            members=tuple(GroupMember(3, m, i) for i, m in enumerate(models[:2])),
        )
    )
    channel = next(c for c in await backend.list_channels() if c.id == 3)
    await backend.update_channel(channel, {"models": [models[1]], "custom_model": ""})
    items = site.server.groups.groups[group.id]["items"]
    if legacy(site):
        assert len(items) == 2, "legacy keeps members of models the channel no longer has"
    else:
        assert [i["model_name"] for i in items] == [models[1]]
    await backend.delete_channel(3)
    assert site.server.groups.groups[group.id]["items"] == []


def test_member_changes_match_by_channel_and_model() -> None:
    old = (GroupMember(1, "a", 1, 2, id=10), GroupMember(2, "b", 2, 1, id=11), GroupMember(3, "c", 3, 1, id=12))
    new = (GroupMember(1, "a", 5, 2), GroupMember(2, "x", 2, 1), GroupMember(3, "c", 3, 1))
    assert member_changes(old, new, legacy=True) == {
        "items_to_add": [{"channel_id": 2, "model_name": "x", "priority": 2, "weight": 1}],
        "items_to_update": [{"id": 10, "priority": 5, "weight": 2}],
        "items_to_delete": [11],
    }
    assert member_changes(old, new, legacy=False)["items_to_update"] == [{"id": 10, "priority": 5}]


def test_stranded_groups_and_memberships() -> None:
    channels = [make(1), make(2), make(3, status=ChannelStatus.MANUALLY_DISABLED)]
    failover = ModelGroup(1, "fo", "failover", members=(GroupMember(1, "m"), GroupMember(3, "m")))
    manual = ModelGroup(2, "man", "manual", members=(GroupMember(1, "m"), GroupMember(2, "m")), active=(2, "m"))
    assert stranded([failover, manual], channels, {1}, CURRENT_SPEC) == [
        "fo: ch-1 is its last enabled member; it would fail every request"
    ]
    assert stranded([failover, manual], channels, {2}, CURRENT_SPEC) == [
        "man: routes only to ch-2 (its active member); it would fail every request"
    ]
    both = ModelGroup(3, "two", "failover", members=(GroupMember(1, "m"), GroupMember(2, "m")))
    assert stranded([both], channels, {1, 2}, CURRENT_SPEC, site="home") == [
        "two on home: ch-1, ch-2 are its last enabled members; it would fail every request"
    ]
    found = memberships(1, [failover, manual], CURRENT_SPEC)
    assert [(m.group.name, m.serving) for m in found] == [("fo", True), ("man", False)]


def test_add_matching_and_the_checks_before_a_save() -> None:
    channels = [make(1, models=("gpt-4o", "gpt-4o-mini", "o3")), make(2, models=("GPT-4o",))]
    group = ModelGroup(None, "gpt-4o", 1, members=(GroupMember(1, "gpt-4o", priority=4),))
    added = matching_members(group, channels, "gpt-4o", regex=False, spec=LEGACY_SPEC)
    assert [(m.channel_id, m.model, m.priority) for m in added] == [(1, "gpt-4o-mini", 5), (2, "GPT-4o", 6)]
    assert [m.model for m in matching_members(group, channels, "^o\\d", regex=True, spec=LEGACY_SPEC)] == ["o3"]
    with pytest.raises(ValueError, match="not a valid regular expression"):
        matching_members(group, channels, "(", regex=True, spec=LEGACY_SPEC)
    broken = replace(group, name="", members=(GroupMember(9, "x"), GroupMember(2, "o3")), timeout=0)
    problems = group_problems(replace(broken, mode="manual"), channels, CURRENT_SPEC, taken=[])
    assert problems == [
        "A group needs a name: the model name clients will send.",
        "The timeout must be 1 s or more.",
        "x on channel #9: the channel does not exist",
        "o3 on ch-2: the channel does not offer this model",
        "A manual group routes to its active member only: choose one (the * key).",
    ]


def test_carrying_a_group_between_generations() -> None:
    source = [make(1, name="a", models=("m",)), make(2, name="b", models=("m",)), make(3, name="c", models=("m",))]
    legacy_group = ModelGroup(
        7,
        "g",
        4,
        members=(GroupMember(1, "m", 1, 5, id=1), GroupMember(2, "m", 2, 1, id=2)),
        timeout=10,
        pattern="^m",
    )
    exported = exported_group(legacy_group, {c.id: c.name for c in source})
    target = [make(11, name="b", models=("m",)), make(12, name="a", models=("other",))]
    carried = carry_group(exported, LEGACY_SPEC, CURRENT_SPEC, target, same_site=False)
    assert carried.group.mode == "failover" and carried.group.members == (GroupMember(11, "m", 2, 1),)
    assert carried.unmapped == ("m on a: that channel does not offer the model here",)
    assert carried.losses == (
        "mode Weighted has no equivalent here; it becomes Failover by priority",
        "member weights (this server's groups have none)",
        "the name pattern '^m'",
    )
    manual = ModelGroup(
        3, "h", "manual", members=(GroupMember(1, "m", 1, id=1), GroupMember(3, "m", 2, id=3)), active=(3, "m")
    )
    back = carry_group(
        exported_group(manual, {c.id: c.name for c in source}), CURRENT_SPEC, LEGACY_SPEC, source, same_site=False
    )
    assert back.group.mode == 3 and [m.channel_id for m in back.group.ordered()] == [
        3,
        1,
    ], "the active member first"


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_cli_groups_list_export_and_restore(
    gateway: DemoGateway, monkeypatch, capsys, tmp_path, generation: str
) -> None:
    site = gateway.add_octopus(f"cli-groups-{generation}", generation=generation, channels=12)
    other = gateway.add_octopus(f"cli-groups-{generation}-copy", generation="current", channels=12)
    profiles = []
    for each in (site, other):
        monkeypatch.setenv(env_var_name(each.name), each.secret)
        profiles.append(SiteProfile(name=each.name, kind="octopus", url=each.url, username=each.username))
    save_config(AppConfig(sites=profiles))

    assert main(["groups", "list", "--site", site.name, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [g["name"] for g in listed] == [
        g["name"] for g in sorted(site.server.groups.groups.values(), key=lambda g: g["id"])
    ]
    assert all(m["channel_name"] for g in listed for m in g["members"])
    assert main(["groups", "list", "--site", site.name]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "ID",
        "NAME",
        "MODE",
        "MEMBERS",
        "ENABLED",
        "TIMEOUT",
        "NOTE",
    ]

    path = tmp_path / "groups.json"
    assert main(["groups", "export", "--site", site.name, "--out", str(path)]) == 0
    capsys.readouterr()
    for record in other.server.groups.groups.values():
        record["name"] = f"other-{record['name']}"
    assert main(["groups", "restore", "--site", other.name, "--file", str(path), "--json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    names = {g["name"] for g in other.server.groups.groups.values()}
    for row in report:
        assert (row["name"] in names) == (row["state"] == "ready"), row
    assert main(["groups", "restore", "--site", other.name, "--file", str(path), "--dry-run"]) == 0
    assert "already present" in capsys.readouterr().out


def test_plan_blocks_a_group_without_mappable_members() -> None:
    capabilities = type("Caps", (), {"groups": CURRENT_SPEC, "flavor_label": "Octopus"})()
    exported = exported_group(ModelGroup(1, "g", "failover", members=(GroupMember(1, "m"),)), {1: "gone"})
    rows = plan_groups([(exported, "old", "octopus-current")], capabilities, [make(5, name="x")], [], site="new")
    assert rows[0].state.value == "blocked" and rows[0].reason.startswith("none of its members")


def test_channels_export_and_restore_carry_the_groups(gateway: DemoGateway, monkeypatch, capsys, tmp_path) -> None:
    """Restored channels get new ids; their groups come back with members mapped by channel name."""
    source = gateway.add_octopus("cli-groups-export", generation="legacy", channels=10)
    target = gateway.add_octopus("cli-groups-restore", generation="current", channels=1, seed=9)
    profiles = []
    for each in (source, target):
        monkeypatch.setenv(env_var_name(each.name), each.secret)
        profiles.append(SiteProfile(name=each.name, kind="octopus", url=each.url, username=each.username))
    save_config(AppConfig(sites=profiles))
    target.server.groups.groups.clear()
    path = tmp_path / "channels.json"

    assert main(["channels", "export", "--site", source.name, "--all", "--out", str(path), "--with-keys"]) == 0
    assert f"and {len(source.server.groups.groups)} groups" in capsys.readouterr().out
    code = main(["channels", "restore", "--site", target.name, "--file", str(path), "--json"])
    out = capsys.readouterr().out
    groups_report = json.loads(out[out.rindex('{\n  "groups"') :])["groups"]
    assert code in (0, 1)
    names = {r["name"]: r["id"] for r in target.server.channels.values()}
    by_id = {r["id"]: r["name"] for r in source.server.channels.values()}
    restored = {g["name"]: g for g in target.server.groups.groups.values()}
    for original in source.server.groups.groups.values():
        row = next(r for r in groups_report if r["name"] == original["name"])
        assert row["state"] == "ready" and original["name"] in restored
        expected = {(names[by_id[i["channel_id"]]], i["model_name"]) for i in original["items"]}
        got = {(i["channel_id"], i["model_name"]) for i in restored[original["name"]]["items"]}
        assert got <= expected and len(got) + len(row["not_mapped"]) == len(original["items"])
        assert got, "the members whose channel came along are mapped to its new id"
