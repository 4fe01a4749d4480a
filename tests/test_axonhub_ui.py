"""The app on AxonHub sites: forms, columns and actions adapt through the capabilities."""

from __future__ import annotations

import itertools

import pytest
from textual.widgets import Input

from tui_channels.screens.channel_form import ChannelFormScreen

from .ui_helpers import app_on_sites, main_screen, notices, screen_text, wait_for, wait_screen

_names = itertools.count(1)


async def test_editing_a_name_saves_it_and_keeps_keys_and_settings(gateway, monkeypatch: pytest.MonkeyPatch):
    site = gateway.add_axonhub(f"axon-ui-{next(_names)}", channels=6)
    record = site.server.records[1]
    record["settings"]["extraModelPrefix"] = "team"
    keys = list(record["credentials"]["apiKeys"])
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        screen = main_screen(app)
        assert not {"priority", "weight", "group"} & set(screen.table.columns)
        screen.table.move_cursor_to_channel(1)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert not form.query("#field-priority") and not form.query("#field-groups")
        name = form.query_one("#field-name Input", Input)
        name.value = "renamed-in-the-app"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: record["name"] == "renamed-in-the-app")
        assert record["credentials"]["apiKeys"] == keys
        assert record["settings"]["extraModelPrefix"] == "team"


async def test_the_type_is_read_only_when_editing_on_an_older_server(gateway, monkeypatch: pytest.MonkeyPatch):
    site = gateway.add_axonhub(f"axon-ui-older-{next(_names)}", generation="older", channels=4)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert form.query_one("#field-type").disabled
        assert "Fixed once created" in screen_text(app)
        await pilot.click("#field-type Button")
        await pilot.pause()
        assert app.screen is form


async def test_delete_on_an_older_server_says_why_it_cannot(gateway, monkeypatch: pytest.MonkeyPatch):
    site = gateway.add_axonhub(f"axon-ui-del-{next(_names)}", generation="older", channels=4)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("d")
        await wait_for(pilot, lambda: any("deleteChannel" in str(n.message) for n in notices(app)))
        assert len(site.server.records) == 4
