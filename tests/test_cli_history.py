"""`tui-channels history` and `history undo` over a New API and an Octopus demo site."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime

import pytest

from tui_channels.config import AppConfig, save_config
from tui_channels.demo.gateway import DemoSite
from tui_channels.models import ChannelSpec
from tui_channels.services.creation import create_channel
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services import trash
from tui_channels.services import journal as journal_module
from tui_channels.services.journal import Change, Journal
from tui_channels.services.sites import SiteSession

from .ui_helpers import demo_profile

_count = itertools.count(1)


@pytest.fixture
def sites(gateway, monkeypatch) -> tuple[DemoSite, DemoSite]:
    number = next(_count)
    newapi = gateway.add_newapi(f"hist-newapi-{number}", channels=12)
    octopus = gateway.add_octopus(f"hist-octopus-{number}", channels=6)
    for site in (newapi, octopus):
        monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[demo_profile(newapi), demo_profile(octopus)]))
    return newapi, octopus


def _history(cli, *args: str) -> list[dict]:
    result = cli("history", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_changes_from_commands_are_listed_and_filtered(cli, sites) -> None:
    newapi, octopus = sites
    assert cli("tags", "disable", "backup", "--site", newapi.name).code == 0
    assert cli("tags", "edit", "premium", "--site", newapi.name, "--priority", "4").code == 0
    assert cli("channels", "sync", "--site", octopus.name, "--all").code in (0, 1)
    everything = _history(cli)
    assert {e["site"] for e in everything} == {newapi.name, octopus.name}
    on_newapi = _history(cli, "--site", newapi.name)
    assert [(e["id"], e["op"]) for e in on_newapi] == [(1, "tag_status"), (2, "tag_edit")]
    assert on_newapi[0]["outcome"] == "ok" and on_newapi[0]["at"].endswith("Z")
    backup = [i for i, r in newapi.server.store.items() if r["tag"] == "backup"]
    assert {c["id"] for c in on_newapi[0]["changes"]} == set(backup)
    assert _history(cli, "--op", "sync") == [e for e in everything if e["action"] == "sync"]
    assert [e["op"] for e in _history(cli, "--site", newapi.name, "--channel", str(backup[0]))] == ["tag_status"]
    assert _history(cli, "--since", "1h", "--limit", "1") == everything[-1:]
    table = cli("history", "--site", newapi.name)
    assert "tag disable" in table.out and "tag backup" in table.out and "WHEN (UTC)" in table.out


def test_undo_puts_values_back_and_refuses_twice(cli, sites) -> None:
    newapi, _octopus = sites
    backup = [i for i, r in newapi.server.store.items() if r["tag"] == "backup"]
    before = {i: newapi.server.record(i)["status"] for i in backup}
    assert cli("tags", "disable", "backup", "--site", newapi.name).code == 0
    undo = cli("history", "undo", "1", "--site", newapi.name, "--yes")
    assert undo.code == 0, undo.err
    assert {i: newapi.server.record(i)["status"] for i in backup} == before
    again = cli("history", "undo", "1", "--site", newapi.name)
    assert again.code == 1 and "undone already" in again.err
    entries = _history(cli, "--site", newapi.name)
    assert entries[0]["outcome"].startswith("undone #") and all(e["undoes"] == 1 for e in entries[1:])


def test_undo_refuses_what_changed_since_and_names_the_field(cli, sites) -> None:
    newapi, _octopus = sites
    assert cli("tags", "edit", "premium", "--site", newapi.name, "--priority", "4").code == 0
    member = next(i for i, r in newapi.server.store.items() if r["tag"] == "premium")
    newapi.server.store[member]["priority"] = 77
    undo = cli("history", "undo", "1", "--site", newapi.name)
    assert undo.code == 1 and "changed since" in undo.err and "priority is 77" in undo.err


def test_undo_of_a_delete_recreates_from_the_trash_and_of_that_create_needs_yes(cli, sites, monkeypatch) -> None:
    _newapi, octopus = sites

    async def delete_first() -> str:
        session = SiteSession(profile=demo_profile(octopus), secrets=SecretStore())
        try:
            channels = await session.load()
            trash.append([channels[0]], site=octopus.name, capabilities=session.backend.capabilities)
            await session.backend.delete_channel(channels[0].id)
            return channels[0].name
        finally:
            await session.disconnect()

    name = asyncio.run(delete_first())
    recreated = cli("history", "undo", "1", "--site", octopus.name, "--json", "--yes")
    assert recreated.code == 0, recreated.err
    assert name in recreated.err and any(r["name"] == name for r in octopus.server.channels.values())
    entry = Journal(octopus.name).entries()[-1]
    assert (entry.op, entry.undoes) == ("create", 1)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    refused = cli("history", "undo", str(entry.id), "--site", octopus.name)
    assert refused.code == 2 and "--yes" in refused.err
    deleted = cli("history", "undo", str(entry.id), "--site", octopus.name, "--yes")
    assert deleted.code == 0 and not any(r["name"] == name for r in octopus.server.channels.values())


def test_usage_errors_and_unknown_entries(cli, sites) -> None:
    newapi, _octopus = sites
    assert cli("history", "--since", "yesterday").code == 2
    missing = cli("history", "undo", "99", "--site", newapi.name)
    assert missing.code == 1 and "has no entry 99" in missing.err
    empty = cli("history", "--site", newapi.name)
    assert empty.code == 0 and "No change" in empty.err
    assert cli("tags", "disable", "backup", "--site", newapi.name).code == 0
    for argv, said in (
        (("--channel", "abc"), "--channel 'abc': no channel of the history has that name"),
        (("--op", "nonsense"), "--op 'nonsense' is not an operation the history records"),
        (("--batch", "nonsense"), "--batch 'nonsense': no entry of the history has that batch id"),
        (("--limit", "0"), "must be 1 or more"),
    ):
        wrong = cli("history", *argv)
        assert (wrong.code, wrong.out) == (2, ""), argv
        assert said in wrong.err and wrong.err.count("\n") == 1, wrong.err
    backup = next(i for i, r in newapi.server.store.items() if r["tag"] == "backup")
    name = newapi.server.store[backup]["name"]
    for argv in (("--op", "tag disable"), ("--op", "tag_status"), ("--channel", name), ("--channel", f"#{backup}")):
        found = cli("history", *argv, "--json")
        assert found.code == 0 and [e["op"] for e in json.loads(found.out)] == ["tag_status"], argv
    assert cli("history", "--op", "edit").err.startswith("No change matches")


async def _write(site: DemoSite, change) -> None:
    """Send writes through a journalled site session, as the app would."""
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        await change(session.backend, channels)
    finally:
        await session.disconnect()


def test_undo_of_an_edit_with_a_new_key_puts_back_the_rest_and_exits_3(cli, sites) -> None:
    newapi, _octopus = sites
    channel_id = min(newapi.server.store)
    name = newapi.server.record(channel_id)["name"]

    async def rotate(backend, channels) -> None:
        [channel] = [c for c in channels if c.id == channel_id]
        await backend.update_channel(channel, {"key": "sk-cli-rotated-0123456789", "name": name + "-rotated"})

    asyncio.run(_write(newapi, rotate))
    undo = cli("history", "undo", "1", "--site", newapi.name, "--yes", "--json")
    assert undo.code == 3, undo.err
    assert "The key cannot be restored: the journal never keeps secrets" in undo.err
    assert "Undo: put back 1 channel." in undo.err
    record = newapi.server.record(channel_id)
    assert record["name"] == name and record["key"] == "sk-cli-rotated-0123456789"
    document = json.loads(undo.out)
    assert {k: document[k] for k in ("site", "entry", "batch", "left_alone", "key_not_restored", "not_restored")} == {
        "site": newapi.name,
        "entry": 1,
        "batch": None,
        "left_alone": [],
        "key_not_restored": True,
        "not_restored": ["key"],
    }
    assert document["results"] == [
        {
            "site": newapi.name,
            "entry": 1,
            "channel_id": channel_id,
            "name": name + "-rotated",
            "outcome": "ok",
            "message": document["results"][0]["message"],
        }
    ]


def test_undo_of_a_create_the_tool_edited_since_is_refused(cli, sites) -> None:
    newapi, _octopus = sites

    async def create_then_edit(backend, channels) -> None:
        source = channels[0]
        spec = ChannelSpec(name="cli-undo-made", type=source.type.code, key="sk-cli-made-0123456789", base_url=source.base_url, models=("gpt-4o",))
        created = await create_channel(backend, spec)
        await backend.update_channel(created, {"priority": 42})

    asyncio.run(_write(newapi, create_then_edit))
    refused = cli("history", "undo", "1", "--site", newapi.name, "--yes")
    assert refused.code == 1 and "changed since it was created (priority is 42" in refused.err
    assert "changed by entry 2: undo that first" in refused.err
    assert any(r["name"] == "cli-undo-made" for r in newapi.server.store.values())


def test_the_demo_says_its_history_is_temporary_and_where_a_real_one_is(cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TUI_CHANNELS_DATA_DIR", str(tmp_path / "real"))
    result = cli("--demo", "--channels", "8", "history")
    assert result.code == 0, result.err
    assert "No change has been journalled yet." in result.err
    assert "data folder" in result.err and "temporary and removed when the demo exits" in result.err
    assert str(tmp_path / "real" / "journal") in result.err
    assert "temporary" not in cli("history").err


def test_history_lists_and_undo_finds_entries_in_rotated_files(cli, sites, monkeypatch) -> None:
    newapi, _octopus = sites
    monkeypatch.setattr(journal_module, "ROTATE_AT_BYTES", 1500)
    channel_id = min(newapi.server.store)
    name = newapi.server.record(channel_id)["name"]
    journal = Journal(newapi.name)
    for number in range(12):
        change = Change(id=channel_id, name=name, before={"priority": number}, after={"priority": number + 1})
        journal.append(at=datetime.now(UTC), backend="newapi", flavor="newapi", op="update", changes=(change,))
    assert journal_module.rotated_path(journal.path, 2).exists()
    assert [e["id"] for e in _history(cli, "--site", newapi.name)] == list(range(1, 13))
    oldest = cli("history", "undo", "1", "--site", newapi.name)
    assert oldest.code == 1 and "has no entry" not in oldest.err and "changed since" in oldest.err


async def _delete_first(site: DemoSite) -> str:
    """Delete the site's first channel as the app does (its record to the trash first); its name."""
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        trash.append([channels[0]], site=site.name, capabilities=session.backend.capabilities)
        await session.backend.delete_channel(channels[0].id)
        return channels[0].name
    finally:
        await session.disconnect()


def test_every_undo_that_writes_asks_first_or_needs_yes(cli, sites, monkeypatch) -> None:
    """Putting values back and creating a deleted channel again write as much as deleting a created
    one: without a terminal, each needs --yes and writes nothing without it; at one, a typed y."""
    newapi, octopus = sites
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli("tags", "disable", "backup", "--site", newapi.name).code == 0
    disabled = {i: r["status"] for i, r in newapi.server.store.items()}
    values = cli("history", "undo", "1", "--site", newapi.name)
    assert values.code == 2 and "undoing entry 1 puts back" in values.err and "add --yes" in values.err
    batch = cli("history", "undo", "1", "--site", newapi.name, "--batch")
    assert batch.code == 2 and "add --yes" in batch.err
    assert {i: r["status"] for i, r in newapi.server.store.items()} == disabled

    name = asyncio.run(_delete_first(octopus))
    recreate = cli("history", "undo", "1", "--site", octopus.name)
    assert recreate.code == 2 and "undoing entry 1 creates again 1 channel: add --yes" in recreate.err
    assert not any(r["name"] == name for r in octopus.server.channels.values())

    asked: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: asked.append(question) or "y")
    assert cli("history", "undo", "1", "--site", octopus.name).code == 0
    assert asked == ["Create 1 channel again? [y/N] "]
    assert any(r["name"] == name for r in octopus.server.channels.values())


def test_undo_refuses_a_channel_that_took_the_id_of_the_one_it_changed(cli, sites) -> None:
    """New API on SQLite gives the highest id again once its channel is deleted: the disable's undo
    must not enable the new channel there, and the delete's undo must not take it for the deleted one."""
    newapi, _octopus = sites
    highest = max(newapi.server.store)
    newapi.server.store[highest]["status"] = 1
    name = newapi.server.record(highest)["name"]

    async def disable_delete_create(backend, channels) -> None:
        [channel] = [c for c in channels if c.id == highest]
        await backend.set_status(highest, False)
        trash.append([channel], site=newapi.name, capabilities=backend.capabilities)
        await backend.delete_channel(highest)
        spec = ChannelSpec(name="cli-undo-other", type=channel.type.code, key="sk-cli-other-0123456789", base_url=channel.base_url, models=("gpt-4o",))
        await create_channel(backend, spec)

    asyncio.run(_write(newapi, disable_delete_create))
    assert newapi.server.record(highest)["name"] == "cli-undo-other"
    newapi.server.store[highest]["status"] = 2  # another admin disables the new channel
    refused = cli("history", "undo", "1", "--site", newapi.name, "--yes")
    assert refused.code == 1, refused.err
    assert f"#{highest} is now cli-undo-other, not {name}: the channel was deleted since (entry 2)" in refused.err
    assert newapi.server.record(highest)["status"] == 2
    recreate = cli("history", "undo", "2", "--site", newapi.name, "--yes")
    assert "still on the server" not in recreate.err
    assert f"{name}: the server never returns this channel's key, so supply it" in recreate.err


def test_a_channel_set_back_while_the_undo_asks_is_left_alone_and_exits_0(cli, sites, monkeypatch) -> None:
    newapi, _octopus = sites
    channel_id = min(i for i, r in newapi.server.store.items() if r["status"] == 1)

    async def disable(backend, channels) -> None:
        await backend.set_status(channel_id, False)

    asyncio.run(_write(newapi, disable))

    def another_admin_enables_it(question: str) -> str:
        newapi.server.store[channel_id]["status"] = 1
        return "y"

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", another_admin_enables_it)
    undo = cli("history", "undo", "1", "--site", newapi.name)
    assert undo.code == 0, undo.err
    assert "already enabled (set so since the undo was checked): left alone" in undo.out
    assert "Undo: nothing changed; 1 channel already as before." in undo.err
