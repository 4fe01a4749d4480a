"""Claude Code Hub in the app, driven with the Pilot: the form's ranges, the priority header, key
reveal, and keys kept in the trash. Each test ends on what the server stored or was sent."""

from __future__ import annotations

import itertools

from textual.widgets import Button, Input, Label, Static

from tui_channels.config import load_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.screens.channel_detail import ChannelDetailScreen
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.key_reveal import KeyRevealScreen
from tui_channels.screens.main import MainScreen
from tui_channels.screens.number_prompt import NumberPrompt
from tui_channels.services import trash

from .ui_helpers import app_on_sites, is_loaded, main_screen, screen_text, wait_for, wait_screen

_names = itertools.count(1)


def hub(gateway: DemoGateway, channels: int = 8) -> DemoSite:
    return gateway.add_claudecodehub(f"ui-hub-{next(_names)}", channels=channels)


def field_input(form: ChannelFormScreen, name: str) -> Input:
    return form.query_one(f"#field-{name} Input", Input)


def field_error(form: ChannelFormScreen, name: str) -> str:
    error = form.query_one(f"#field-{name} .field-error", Static)
    return str(error.render()) if error.display else ""


async def back_to_main(pilot) -> MainScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen) and is_loaded(pilot.app))
    return main_screen(pilot.app)


async def test_the_form_holds_weight_and_priority_to_the_servers_ranges(gateway, monkeypatch) -> None:
    site = hub(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_input(form, "weight").value == "1" and field_input(form, "priority").value == "0"
        field_input(form, "name").value = "made-in-ui"
        field_input(form, "key").value = "sk-hub-from-ui-0001"
        field_input(form, "base_url").value = f"{gateway.upstream_url}/p/anthropic"
        field_input(form, "weight").value = "0"
        field_input(form, "priority").value = "-2"
        await pilot.pause()
        assert field_error(form, "weight") == "Enter a whole number from 1 to 100."
        assert field_error(form, "priority") == "Enter a whole number of at least 0."
        posts = len(site.stats.requests("POST", "/api/v1/providers"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and len(site.stats.requests("POST", "/api/v1/providers")) == posts
        field_input(form, "weight").value = "60"
        field_input(form, "priority").value = "2"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await back_to_main(pilot)
        body = site.stats.requests("POST", "/api/v1/providers")[-1].json()
        assert (body["weight"], body["priority"], body["provider_type"], body["key"]) == (
            60, 2, "claude", "sk-hub-from-ui-0001",
        )
        assert "isEnabled" not in body and "group_tag" not in body


async def test_the_weight_key_holds_the_weight_to_the_servers_range(gateway, monkeypatch) -> None:
    site = hub(gateway)
    target = min(site.server.providers)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        main_screen(app).table.move_cursor_to_channel(target)
        await pilot.press("W")
        prompt = await wait_screen(pilot, NumberPrompt)
        prompt.query_one(Input).value = "1000"
        await pilot.press("enter")
        error = prompt.query_one("#number-error", Label)
        await wait_for(pilot, lambda: str(error.render()) == "Enter a whole number from 1 to 100.")
        assert app.screen is prompt
        prompt.query_one(Input).value = "60"
        await pilot.press("enter")
        await wait_for(pilot, lambda: site.server.providers[target]["weight"] == 60)


async def test_an_edit_sends_only_the_changed_limit_and_an_emptied_one_as_null(gateway, monkeypatch) -> None:
    site = hub(gateway)
    target = next(i for i, p in site.server.providers.items() if p["limitDailyUsd"] is None)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        main_screen(app).table.move_cursor_to_channel(target)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert form.query_one("#field-priority .field-label", Static).render().plain.startswith("Priority (lower wins)")
        field_input(form, "limit_daily_usd").value = "12.5"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await back_to_main(pilot)
        assert site.stats.requests("PATCH")[-1].json() == {"limit_daily_usd": 12.5}
        assert site.server.record(target)["limitDailyUsd"] == 12.5
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_input(form, "limit_daily_usd").value == "12.5"
        field_input(form, "limit_daily_usd").value = ""
        await pilot.pause()
        await pilot.press("ctrl+s")
        await back_to_main(pilot)
        assert site.stats.requests("PATCH")[-1].json() == {"limit_daily_usd": None}


async def test_the_priority_header_says_the_lowest_wins(gateway, monkeypatch) -> None:
    site = hub(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        assert "Prio(low)" in screen_text(app)
        await pilot.press("enter")
        detail = await wait_screen(pilot, ChannelDetailScreen)
        assert "Priority (lower wins)" in screen_text(app)
        assert "k reveals it" in screen_text(app)
        detail.dismiss()


async def test_k_reveals_the_key_through_the_server(gateway, monkeypatch) -> None:
    site = hub(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        channel = main_screen(app).table.cursor_channel
        await pilot.press("k")
        await wait_screen(pilot, KeyRevealScreen)
        assert site.server.keys[channel.id] in screen_text(app)
        assert site.stats.requests("GET", f"/api/v1/providers/{channel.id}/key:reveal")


async def test_a_deleted_provider_keeps_its_key_in_the_trash(gateway, monkeypatch) -> None:
    site = hub(gateway)
    disabled = next(i for i, p in site.server.providers.items() if not p["isEnabled"])
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        main_screen(app).table.move_cursor_to_channel(disabled)
        channel = main_screen(app).table.cursor_channel
        key = site.server.keys[channel.id]
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: channel.id not in site.server.providers)
        [record] = [r for r in trash.read() if r["channel"]["id"] == channel.id and r["site"] == site.name]
        assert record["channel"]["key"] == key and record["backend"] == "claudecodehub"


async def test_duplicate_fills_in_the_revealed_key(gateway, monkeypatch) -> None:
    site = hub(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        channel = main_screen(app).table.cursor_channel
        await pilot.press("D")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_input(form, "key").value == site.server.keys[channel.id]
        assert field_input(form, "name").value == f"{channel.name} copy"
        await pilot.press("ctrl+s")
        await back_to_main(pilot)
        body = site.stats.requests("POST", "/api/v1/providers")[-1].json()
        assert body["key"] == site.server.keys[channel.id] and body["name"] == f"{channel.name} copy"


async def test_the_site_form_asks_only_for_the_admin_token(gateway, monkeypatch) -> None:
    site = hub(gateway)
    other = hub(gateway)
    async with app_on_sites(monkeypatch, other) as (app, pilot):
        await pilot.press("S", "a")
        form = app.screen
        form.query_one("#name").value = "hub-from-form"
        form.query_one("#kind").value = site.kind
        await pilot.pause()
        assert not any(w.display for w in form.query("#user-id, #username, #email"))
        assert "Admin token" in str(form.query_one("#secret-label").render())
        form.query_one("#url").value = site.url
        form.query_one("#secret").value = site.secret
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "✓ Credentials" in str(form.query_one("#verify-result").render()))
        assert "Claude Code Hub, version 0.9.0" in str(form.query_one("#verify-result").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = load_config().site("hub-from-form")
        assert (saved.kind, saved.user_id, saved.username) == (site.kind, None, None)
        assert app.secrets.get("hub-from-form") == site.secret
