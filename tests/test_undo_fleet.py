"""Undoing a write made over several sites at once (a fleet tag): its entries share one batch id on
every site, and one undo (`U` in the history, `history undo --batch`) asks once, checks and writes
each site's part under that site's own backend, leaves a site whose channels changed since with
the reason, and reports per site."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from textual.widgets import Button

from tui_channels.config import AppConfig, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.history import HistoryScreen
from tui_channels.screens.scope_picker import ScopePicker
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services.channel_view import ChannelRef
from tui_channels.services.fleet_batch import FleetRun, SiteBatch
from tui_channels.services.journal import Journal, read_entries
from tui_channels.services.sites import SiteSession
from tui_channels.services.tagging import tag_operation

from .ui_helpers import (
    app_on_sites,
    batch_idle,
    demo_profile,
    main_screen,
    notices,
    screen_text,
    wait_for,
    wait_loaded,
    wait_screen,
)

_names = itertools.count(1)
TAGGED = (2, 3)
"""The channels tagged on every site."""


def _sites(gateway: DemoGateway, prefix: str) -> list[DemoSite]:
    number = next(_names)
    return [gateway.add_newapi(f"{prefix}-{letter}-{number}", channels=8) for letter in "abc"]


def _tags(site: DemoSite) -> dict[int, str | None]:
    return {i: site.server.store[i].get("tag") or None for i in TAGGED}


async def test_u_undoes_a_fleet_tag_on_every_site_at_once_leaving_a_site_changed_since(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = _sites(gateway, "undo-fleet")
    first, second, third = sites
    before = {site.name: _tags(site) for site in sites}
    async with app_on_sites(monkeypatch, *sites) as (app, pilot):
        screen = main_screen(app)
        await pilot.press("F")
        await wait_loaded(pilot)
        await wait_for(pilot, lambda: screen.fleet is not None and not screen.fleet.pending_sites())
        for site in sites:
            for channel_id in TAGGED:
                screen.table.move_cursor_to_channel(ChannelRef(site.name, channel_id))
                await pilot.press("space")
        await pilot.press("g")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter", *"undo-fleet-tag", "enter")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: all(set(_tags(s).values()) == {"undo-fleet-tag"} for s in sites))
        await wait_screen(pilot, BatchResultsScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: batch_idle(app) and app.screen is screen)
        written = [e for e in read_entries().entries if e.op == "tag"]
        assert len(written) == 6 and len({e.batch for e in written}) == 1, "one batch over the three sites"
        batch = written[0].batch
        for channel_id in TAGGED:
            third.server.store[channel_id]["tag"] = "moved-since"  # another admin, on one site

        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        await wait_for(pilot, lambda: history.loaded)
        assert f"One of 6 entries of batch {batch} on 3 sites: U undoes every one it can." in screen_text(app)
        await pilot.press("U")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert f"Undo batch {batch}: put back 4 channels on 2 sites?" in screen_text(app)
        message = str(confirm.query_one("#confirm-message").render())
        assert f"{first.name}: 2 channels from 2 entries." in message
        assert f"{second.name}: 2 channels from 2 entries." in message
        assert f"{third.name}: left alone: No entry of batch {batch} can be undone" in message
        assert "tag is moved-since, not undo-fleet-tag" in message
        assert message.index("left alone") < message.index("  Entry"), "counts and warnings before the channels"
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: any(n.message.startswith(f"Undid batch {batch}:") for n in notices(app)))
        note = next(n for n in notices(app) if n.message.startswith(f"Undid batch {batch}:"))
        assert f"{first.name}: put back 2 channels." in note.message
        assert f"{second.name}: put back 2 channels." in note.message
        assert f"{third.name}: left alone" in note.message
        assert _tags(first) == before[first.name] and _tags(second) == before[second.name]
        assert set(_tags(third).values()) == {"moved-since"}
        undos = [e for e in read_entries().entries if e.undoes is not None]
        assert {e.site for e in undos} == {first.name, second.name} and len({e.batch for e in undos}) == 1


def test_history_undo_batch_undoes_every_site_of_a_fleet_write(
    cli, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = _sites(gateway, "undo-fleet-cli")
    before = {site.name: _tags(site) for site in sites}
    save_config(AppConfig(sites=[demo_profile(site) for site in sites]))

    async def tag_everywhere() -> None:
        sessions = []
        for site in sites:
            monkeypatch.setenv(env_var_name(site.name), site.secret)
            sessions.append(SiteSession(profile=demo_profile(site), secrets=SecretStore()))
        try:
            batches = []
            for session in sessions:
                channels = [c for c in await session.load() if c.id in TAGGED]
                assert session.backend is not None
                batches.append(SiteBatch(session.name, channels, tag_operation(session.backend, "undo-fleet-cli-tag", channels)))
            await FleetRun(batches).run()
        finally:
            for session in sessions:
                await session.disconnect()

    asyncio.run(tag_everywhere())
    entry = Journal(sites[1].name).entries()[-1]
    result = cli("history", "undo", str(entry.id), "--site", sites[1].name, "--batch", "--yes")
    assert result.code == 0, result.err
    assert f"Undo batch {entry.batch} (6 entries) on 3 sites:" in result.err
    for site in sites:
        assert f"{site.name}: put back 2 channels." in result.err
        assert site.name in result.out
        assert _tags(site) == before[site.name]


def test_history_undo_batch_exits_4_when_it_leaves_an_entry_or_a_site_of_the_batch_alone(
    cli, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README says 0 means everything was put back: a batch undo that leaves a site it cannot
    reach any more (not configured now), or an entry changed since, exits 4 and says what it left."""
    sites = _sites(gateway, "undo-fleet-left")
    before = {site.name: _tags(site) for site in sites}
    save_config(AppConfig(sites=[demo_profile(site) for site in sites]))

    async def tag_everywhere() -> None:
        sessions = []
        for site in sites:
            monkeypatch.setenv(env_var_name(site.name), site.secret)
            sessions.append(SiteSession(profile=demo_profile(site), secrets=SecretStore()))
        try:
            batches = []
            for session in sessions:
                channels = [c for c in await session.load() if c.id in TAGGED]
                assert session.backend is not None
                batches.append(SiteBatch(session.name, channels, tag_operation(session.backend, "undo-fleet-left-tag", channels)))
            await FleetRun(batches).run()
        finally:
            for session in sessions:
                await session.disconnect()

    asyncio.run(tag_everywhere())
    first, second, gone = sites
    first.server.store[TAGGED[0]]["tag"] = "another-admins-tag"
    save_config(AppConfig(sites=[demo_profile(first), demo_profile(second)]))
    entry = Journal(second.name).entries()[-1]
    result = cli("history", "undo", str(entry.id), "--site", second.name, "--batch", "--yes", "--json")
    assert result.code == 4, result.err
    assert f"{gone.name}: left alone" in result.err
    assert "Not everything was put back: 1 entry and 1 site of the batch left alone" in result.err
    document = json.loads(result.out)
    assert (document["site"], document["entry"], document["batch"]) == (second.name, entry.id, entry.batch)
    assert [(left["site"], left["entry"] is None) for left in document["left_alone"]] == [
        (first.name, False),
        (gone.name, True),
    ]
    assert {(r["site"], r["outcome"]) for r in document["results"]} == {(first.name, "ok"), (second.name, "ok")}
    assert document["key_not_restored"] is False
    assert _tags(second) == before[second.name]
    assert (first.server.store[TAGGED[1]].get("tag") or None) == before[first.name][TAGGED[1]]
    everything = cli("history", "undo", str(entry.id), "--site", second.name, "--batch", "--yes")
    assert everything.code == 1


def test_a_batch_undo_names_a_write_of_the_batch_that_failed_as_left_alone(
    cli, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Done Hub refuses a tag whose channels differ in type: of two channels of two types tagged
    at once, one is refused. The batch's undo puts the other back and names the failed one."""
    site = gateway.add_onehub(f"undo-failed-{next(_names)}", flavor="donehub", channels=12)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[demo_profile(site)]))
    rows = site.server.table.rows
    first = next(i for i, r in rows.items() if not r["tag"])
    other = next(i for i, r in rows.items() if r["tag"] and len(site.server.table.tag_members(r["tag"])) == 1)
    assert rows[first]["type"] != rows[other]["type"]
    tags = {first: rows[first]["tag"], other: rows[other]["tag"]}

    async def tag_both() -> None:
        session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
        try:
            channels = [c for c in await session.load() if c.id in (first, other)]
            assert session.backend is not None
            await FleetRun([SiteBatch(session.name, channels, tag_operation(session.backend, "mixed-types", channels))]).run()
        finally:
            await session.disconnect()

    asyncio.run(tag_both())
    entries = Journal(site.name).entries()
    failed = next(e for e in entries if not e.ok)
    result = cli("history", "undo", str(entries[-1].id), "--site", site.name, "--batch", "--yes")
    assert result.code == 4, result.err
    assert f"entry {failed.id}: its write failed" in result.err and "left alone" in result.err
    assert {first: rows[first]["tag"], other: rows[other]["tag"]} == tags
