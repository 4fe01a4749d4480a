"""The app's writes start from the server, not from its table (trial round 3): another admin changes
a channel over HTTP after the app listed it, then the user acts on the row the table still shows."""

from __future__ import annotations

from textual.widgets import Input, Static

from tui_channels.demo.session import AXONHUB_SITE, NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.number_prompt import NumberPrompt
from tui_channels.screens.scope_picker import ScopePicker
from tui_channels.services import trash
from tui_channels.services.channel_view import ChannelRef
from tui_channels.services.journal import Journal
from tui_channels.services.results import Outcome
from tui_channels.screens.status_confirm import StatusConfirmScreen

from .backend_helpers import connect
from .ui_helpers import (
    batch_idle,
    forget_notices,
    main_screen,
    notices,
    running_app,
    screen_text,
    wait_for,
    wait_screen,
)


def confirm_text(screen) -> str:
    return str(screen.query_one("#confirm-message").render())


async def test_a_disable_of_a_channel_another_admin_disabled_writes_nothing():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        site = demo.gateway.sites[NEWAPI_SITE]
        listed = next(c for c in screen.current.channels if c.status.is_enabled)
        other = await connect(site)
        try:
            await other.set_status(listed.id, False)
        finally:
            await other.close()
        written = len(Journal(NEWAPI_SITE).entries())
        forget_notices(app)
        screen.table.move_cursor_to_channel(listed.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: any("already disabled on the server" in n.message for n in notices(app)))
        assert len(Journal(NEWAPI_SITE).entries()) == written
        assert next(c for c in screen.current.channels if c.id == listed.id).status.is_disabled


async def test_a_disable_leaves_a_channel_the_gateway_auto_disabled_since_it_was_listed():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        store = demo.gateway.sites[NEWAPI_SITE].server.store
        listed = next(c for c in screen.current.channels if c.status.is_enabled)
        store[listed.id]["status"] = 3
        forget_notices(app)
        screen.table.move_cursor_to_channel(listed.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: any("already disabled on the server" in n.message for n in notices(app)))
        assert store[listed.id]["status"] == 3
        assert next(c for c in screen.current.channels if c.id == listed.id).status.value == "auto_disabled"


async def test_a_fleet_disable_counts_what_the_servers_hold_and_journals_their_before():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        rows = [ChannelRef(site, 2) for site in (NEWAPI_SITE, OCTOPUS_SITE, AXONHUB_SITE)]
        for key in rows:
            assert screen.table.index.channel(screen.table.index.position(key)).status.is_enabled
        other = await connect(demo.gateway.sites[OCTOPUS_SITE])
        try:
            await other.set_status(2, False)
        finally:
            await other.close()
        octopus_entries = len(Journal(OCTOPUS_SITE).entries())
        table = screen.table
        for key in rows:
            table.move_cursor_to_channel(key)
            await pilot.press("space")
        await pilot.press("minus")
        confirm = await wait_screen(pilot, StatusConfirmScreen)
        text = confirm_text(confirm)
        assert "2 channels on 2 sites will be disabled." in text
        assert "1 other, already disabled, stays as it is." in text
        await pilot.press("y")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        assert len(Journal(OCTOPUS_SITE).entries()) == octopus_entries
        newapi = Journal(NEWAPI_SITE).entries()[-1]
        assert newapi.op == "status" and newapi.changes[0].before == {"status": "enabled"}


async def other_admin_edits(site, channel, changes) -> None:
    """Another admin's edit of `channel` (a channel or its row key), over HTTP with its own client
    (not journalled)."""
    other = await connect(site)
    try:
        await other.update_channel(await other.get_channel(channel.id), changes)
    finally:
        await other.close()


async def test_saving_a_form_refuses_a_field_another_admin_changed_since_it_opened():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        site = demo.gateway.sites[NEWAPI_SITE]
        listed = next(c for c in screen.current.channels if not c.tag)
        screen.table.move_cursor_to_channel(listed.id)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        await other_admin_edits(site, listed, {"priority": listed.priority + 5})
        form.query_one("#field-priority Input", Input).value = str(listed.priority + 7)
        await pilot.pause()
        await pilot.press("ctrl+s")
        problem = form.query_one("#form-error", Static)
        expected = (
            f"Changed on the server: priority changed on the server since you opened the form: "
            f"{listed.priority + 5}, was {listed.priority}; reload with r"
        )
        await wait_for(pilot, lambda: str(problem.render()) == expected)
        assert app.screen is form
        assert site.server.store[listed.id]["priority"] == listed.priority + 5


async def test_saving_a_form_keeps_what_another_admin_changed_in_a_field_left_alone():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        site = demo.gateway.sites[NEWAPI_SITE]
        listed = next(c for c in screen.current.channels if not c.tag)
        screen.table.move_cursor_to_channel(listed.id)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        await other_admin_edits(site, listed, {"name": listed.name + "-theirs"})
        form.query_one("#field-priority Input", Input).value = str(listed.priority + 7)
        await pilot.pause()
        await pilot.press("ctrl+s")
        saved = listed.priority + 7
        await wait_for(pilot, lambda: app.screen is screen and site.server.store[listed.id]["priority"] == saved)
        assert site.server.store[listed.id]["name"] == listed.name + "-theirs"
        entry = Journal(NEWAPI_SITE).entries()[-1]
        assert entry.changes[0].before == {"priority": listed.priority}


async def test_setting_priority_on_a_selection_refuses_the_channel_another_admin_changed():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        site = demo.gateway.sites[NEWAPI_SITE]
        first, second = [c for c in screen.current.channels if not c.tag][:2]
        await other_admin_edits(site, first, {"priority": first.priority + 5})
        for channel in (first, second):
            screen.table.move_cursor_to_channel(channel.id)
            await pilot.press("space")
        await pilot.press("P")
        prompt = await wait_screen(pilot, NumberPrompt)
        prompt.query_one(Input).value = str(second.priority + 9)
        await pilot.press("enter")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        _title, results = screen.last_batch
        by_id = {r.channel_id: r for r in results}
        assert by_id[first.id].outcome is Outcome.FAILED
        assert by_id[first.id].message.startswith(
            f"priority changed on the server since the list loaded: {first.priority + 5}, was {first.priority}"
        )
        assert by_id[second.id].ok
        assert site.server.store[first.id]["priority"] == first.priority + 5
        assert site.server.store[second.id]["priority"] == second.priority + 9


async def test_a_fleet_delete_trashes_what_the_servers_hold_not_the_rows():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        rows = [ChannelRef(NEWAPI_SITE, 8), ChannelRef(OCTOPUS_SITE, 8)]
        octopus = demo.gateway.sites[OCTOPUS_SITE]
        listed = screen.table.index.channel(screen.table.index.position(rows[1]))
        await other_admin_edits(octopus, listed, {"key": "sk-freshROTATEDkey999888777666555BBB"})
        await other_admin_edits(demo.gateway.sites[NEWAPI_SITE], ChannelRef(NEWAPI_SITE, 8), {"remark": "set-by-other"})
        for key in rows:
            screen.table.move_cursor_to_channel(key)
            await pilot.press("space")
        await pilot.press("d")
        await wait_screen(pilot, ConfirmScreen)
        if "Type 2 to confirm" in screen_text(app):
            await pilot.press("2", "enter")
        else:
            await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: batch_idle(app) and 8 not in octopus.server.channels)
        records = {r["site"]: r for r in trash.read()}
        assert records[OCTOPUS_SITE]["channel"]["key"] == "sk-freshROTATEDkey999888777666555BBB"
        assert records[NEWAPI_SITE]["raw"]["remark"] == "set-by-other"


async def test_tagging_a_selection_says_what_it_replaces_on_the_server():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        first, second = [c for c in screen.current.channels if not c.tag][:2]
        other = await connect(demo.gateway.sites[NEWAPI_SITE])
        try:
            await other.set_tag([first.id], "fresh-theirs")
        finally:
            await other.close()
        for channel in (first, second):
            screen.table.move_cursor_to_channel(channel.id)
            await pilot.press("space")
        await pilot.press("g")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter", *"fresh-mine", "enter")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "This replaces the tag of 1 of them: fresh-theirs (1)." in confirm_text(confirm)
        await pilot.press("y")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        entry = next(e for e in reversed(Journal(NEWAPI_SITE).entries()) if e.changes[0].id == first.id)
        assert entry.changes[0].before == {"tag": "fresh-theirs"}


async def test_deleting_every_disabled_channel_counts_those_the_server_holds_disabled():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        store = demo.gateway.sites[NEWAPI_SITE].server.store
        listed = next(c for c in screen.current.channels if c.status.is_enabled)
        other = await connect(demo.gateway.sites[NEWAPI_SITE])
        try:
            await other.set_status(listed.id, False)
        finally:
            await other.close()
        disabled = sorted(i for i, r in store.items() if r["status"] in (2, 3))
        await pilot.press("X")
        confirm = await wait_screen(pilot, ConfirmScreen)
        text = confirm_text(confirm)
        assert f"Disabled on the server now: {len(disabled)} (" in text
        assert f"#{listed.id} {listed.name}" in text or len(disabled) > 10
        await pilot.press(*str(len(disabled)), "enter")
        await wait_for(pilot, lambda: app.screen is screen and listed.id not in store)
        await wait_for(pilot, lambda: listed.id in {r["channel"]["id"] for r in trash.read()})
        assert sorted(r["channel"]["id"] for r in trash.read()) == disabled
