"""The app's writes start from the server, not from its table (trial round 3): another admin changes
a channel over HTTP after the app listed it, then the user acts on the row the table still shows."""

from __future__ import annotations

from tui_channels.demo.session import AXONHUB_SITE, NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.services.channel_view import ChannelRef
from tui_channels.services.journal import Journal
from tui_channels.screens.status_confirm import StatusConfirmScreen

from .backend_helpers import connect
from .ui_helpers import batch_idle, main_screen, running_app, wait_for, wait_screen


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
        screen.table.move_cursor_to_channel(listed.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: any("already disabled on the server" in n.message for n in app._notifications))
        assert len(Journal(NEWAPI_SITE).entries()) == written
        assert next(c for c in screen.current.channels if c.id == listed.id).status.is_disabled


async def test_a_disable_leaves_a_channel_the_gateway_auto_disabled_since_it_was_listed():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        store = demo.gateway.sites[NEWAPI_SITE].server.store
        listed = next(c for c in screen.current.channels if c.status.is_enabled)
        store[listed.id]["status"] = 3
        screen.table.move_cursor_to_channel(listed.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: any("already disabled on the server" in n.message for n in app._notifications))
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
