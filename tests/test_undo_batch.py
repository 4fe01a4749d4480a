"""Undoing a whole batch: a bulk action's writes share a batch id; its undo checks every entry,
puts back those the server still holds as the batch left them, leaves the others with their
reasons, and is itself one batch. In the app (U), from the CLI (--batch) and as a service."""

from __future__ import annotations

import itertools
import json

import pytest
from textual.widgets import Button

from tui_channels.config import AppConfig, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import Channel
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.history import HistoryScreen
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services import bulk
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.journal import Journal
from tui_channels.services.results import Outcome
from tui_channels.services.sites import SiteSession
from tui_channels.services.undo import UndoRefused, apply_batch_undo, plan_batch_undo

from .backend_helpers import emulated_site
from .ui_helpers import app_on_sites, demo_profile, main_screen, screen_text, wait_for, wait_screen

_names = itertools.count(1)


async def _disable_in_one_batch(site: DemoSite, monkeypatch: pytest.MonkeyPatch, count: int) -> list[Channel]:
    """Disable `count` enabled channels with one bulk action, through a journalling session."""
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = [c for c in await session.load() if c.status.is_enabled][:count]
        assert session.backend is not None
        await BatchRun(channels, bulk.set_status(session.backend, False, channels), BatchSettings(concurrency=4)).run()
    finally:
        await session.disconnect()
    return channels


def _enabled(site: DemoSite, channel: Channel) -> bool:
    record = site.server.record(channel.id)
    return record.get("status", record.get("enabled")) in (1, True)


@pytest.mark.parametrize("flavor", ["newapi", "octopus-current"])
async def test_a_bulk_disable_is_undone_as_one_batch_leaving_what_changed_since(
    flavor: str, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, other = emulated_site(gateway, flavor, channels=30, prefix="undo-batch")
    disabled = await _disable_in_one_batch(site, monkeypatch, 12)
    entries = Journal(site.name).entries()
    assert len(entries) == 12 and len({e.batch for e in entries}) == 1 and entries[0].batch
    await other.connect()
    try:
        await other.set_status(disabled[0].id, True)
        session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
        backend = await session.connect()
        try:
            undo = await plan_batch_undo(backend, entries[3], entries)
            assert len(undo.plans) == 11 and len(undo.refused) == 1
            reason = undo.refused[0][1]
            assert f"nothing to put back: #{disabled[0].id} {disabled[0].name}: already enabled (changed back since)" in reason
            results = [r for _plan, part in await apply_batch_undo(backend, undo, site=site.name) for r in part]
        finally:
            await session.disconnect()
        assert [r.outcome for r in results] == [Outcome.OK] * 11
        assert all(_enabled(site, c) for c in disabled)
        undos = Journal(site.name).entries()[12:]
        assert len(undos) == 11 and len({u.batch for u in undos}) == 1 and undos[0].batch != entries[0].batch
        theirs = next(e for e in entries if disabled[0].id in e.channel_ids())
        assert {u.undoes for u in undos} == {e.id for e in entries} - {theirs.id}
        with pytest.raises(UndoRefused, match="No entry of batch .* can be undone") as refused:
            await plan_batch_undo(await session.connect(), theirs, Journal(site.name).entries())
        message = refused.value.message
        assert ".;" not in message and message.endswith(".") and not message.endswith("..")
        assert "and 9 more." in message
        await session.disconnect()
    finally:
        await other.close()


def test_the_cli_undoes_a_batch(cli, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    site = gateway.add_newapi(f"undo-batch-cli-{next(_names)}", channels=20)
    save_config(AppConfig(sites=[demo_profile(site)]))
    disabled = asyncio.run(_disable_in_one_batch(site, monkeypatch, 5))
    listed = json.loads(cli("history", "--site", site.name, "--json").out)
    batch = listed[0]["batch"]
    assert batch and len(json.loads(cli("history", "--batch", batch, "--json").out)) == 5
    result = cli("history", "undo", "2", "--site", site.name, "--batch", "--yes")
    assert result.code == 0, result.err
    assert f"Undo batch {batch} (5 entries)" in result.err
    assert all(_enabled(site, c) for c in disabled)


async def test_u_in_the_history_undoes_the_whole_batch(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    number = next(_names)
    newapi = gateway.add_newapi(f"undo-batch-ui-{number}", channels=20)
    octopus = gateway.add_octopus(f"undo-batch-ui-oct-{number}", channels=4)
    disabled = await _disable_in_one_batch(newapi, monkeypatch, 6)
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await wait_for(pilot, lambda: main_screen(app).current.channels)
        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        await wait_for(pilot, lambda: history.loaded)
        assert "One of 6 entries of batch" in screen_text(app)
        await pilot.press("U")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert f"put back 6 channels on {newapi.name}?" in screen_text(app)
        assert f"{newapi.name}: 6 channels from 6 entries." in str(confirm.query_one("#confirm-message").render())
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: all(_enabled(newapi, c) for c in disabled))
        await wait_for(pilot, lambda: "undo #" in screen_text(app))


async def test_a_batch_of_deletes_says_why_it_cannot_be_undone_once_with_a_count(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every entry of a batch of three deletes has the same reason: the refusal says it once, with
    how many entries gave it, not one clause per entry."""
    site = gateway.add_newapi(f"undo-batch-deletes-{next(_names)}", channels=10)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = (await session.load())[:3]
        assert session.backend is not None
        await BatchRun(channels, bulk.delete(session.backend), BatchSettings(concurrency=2)).run()
        entries = Journal(site.name).entries()
        assert len(entries) == 3 and len({e.batch for e in entries}) == 1
        with pytest.raises(UndoRefused) as refused:
            await plan_batch_undo(session.backend, entries[0], entries)
    finally:
        await session.disconnect()
    message = refused.value.message
    assert message.count("a delete is undone on its own") == 1, message
    assert message.endswith("a delete is undone on its own, with its restore preview (3 entries)."), message
