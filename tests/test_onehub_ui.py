"""One Hub and Done Hub in the app: the form edits one field and the server keeps the rest."""

from __future__ import annotations

import itertools

import pytest
from textual.widgets import Input

from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.help import HelpScreen
from tui_channels.screens.tag_edit import TagEditScreen
from tui_channels.widgets.form_fields import ModelsEditor

from .ui_helpers import app_on_sites, main_screen, screen_text, wait_for, wait_screen

_names = itertools.count()


@pytest.mark.parametrize("flavor", ["onehub", "donehub"])
async def test_renaming_in_the_form_leaves_the_rest_of_the_record(gateway, monkeypatch: pytest.MonkeyPatch, flavor):
    site = gateway.add_onehub(f"oh-ui-{flavor}-{next(_names)}", flavor=flavor, channels=6)
    untagged = min(i for i in site.server.channel_ids() if not site.server.record(i)["tag"])
    before = site.server.record(untagged)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        screen = main_screen(app)
        assert {"priority", "weight", "group", "tag", "balance"} <= set(screen.table.columns)
        screen.table.move_cursor_to_channel(untagged)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        form.query_one("#field-name Input", Input).value = "renamed-in-the-app"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: site.server.record(untagged)["name"] == "renamed-in-the-app")
    after = site.server.record(untagged)
    assert {k: v for k, v in after.items() if k != "name"} == {k: v for k, v in before.items() if k != "name"}


async def test_a_channel_created_in_the_form_gets_the_servers_types_and_defaults(gateway, monkeypatch):
    site = gateway.add_onehub(f"oh-ui-new-{next(_names)}", flavor="onehub", channels=2)
    async with app_on_sites(monkeypatch, site) as (_app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        form.query_one("#field-name Input", Input).value = "made-in-the-form"
        form.query_one("#field-key Input", Input).value = "sk-made-in-the-form-0123"
        form.query_one("#field-models", ModelsEditor).set_models(("gpt-4o",))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(site.server.channel_ids()) == 3)
    record = site.server.record(max(site.server.channel_ids()))
    assert (record["name"], record["type"], record["key"], record["models"]) == (
        "made-in-the-form", 1, "sk-made-in-the-form-0123", "gpt-4o"
    )
    assert (record["status"], record["weight"], record["pre_cost"], record["group"]) == (1, 1, 1, "default")


async def test_a_batch_test_asks_first_because_the_server_may_switch_channels_off(gateway, monkeypatch):
    site = gateway.add_onehub(f"oh-ui-test-{next(_names)}", flavor="donehub", channels=4)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("a", "t")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "may disable a channel whose test fails" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not confirm)
    assert not site.stats.requests("GET", "/api/channel/test/1")


@pytest.mark.parametrize("flavor", ["onehub", "donehub"])
async def test_edit_by_tag_reaches_every_member_and_keeps_their_keys(gateway, monkeypatch, flavor):
    site = gateway.add_onehub(f"oh-ui-tag-{flavor}-{next(_names)}", flavor=flavor, channels=20)
    tag = next(t for t in site.server.table.tags() if len(site.server.table.tag_members(t)) > 1)
    members = {m["id"]: m["key"] for m in site.server.table.tag_members(tag)}
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        main_screen(app).table.move_cursor_to_channel(min(members))
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, TagEditScreen))
        app.screen.query_one("#tag-priority").value = "42"
        app.screen.query_one("#tag-new_tag").value = "gold"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not site.server.table.tag_members(tag))
    gold = site.server.table.tag_members("gold")
    assert {m["id"]: m["key"] for m in gold} == members
    assert {m["priority"] for m in gold} == {42}


@pytest.mark.parametrize(("flavor", "label"), [("onehub", "One Hub"), ("donehub", "Done Hub")])
async def test_the_help_heads_the_tag_keys_with_the_sites_own_kind(gateway, monkeypatch, flavor, label):
    site = gateway.add_onehub(f"oh-ui-help-{flavor}-{next(_names)}", flavor=flavor, channels=2)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        titles = [str(title.render()) for title in help_screen.query(".help-section")]
        assert label in titles and "New API" not in titles
