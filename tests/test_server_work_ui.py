"""Server-side model work in the app (Pilot): Octopus's own sync from f8 and the palette."""

from __future__ import annotations

from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.models import split_list
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.services.results import Outcome

from .ui_helpers import main_screen, running_app, screen_text, wait_for, wait_loaded, wait_screen


def auto_sync_ids(server) -> list[int]:
    return sorted(i for i, r in server.channels.items() if r["auto_sync"])


async def test_f8_confirms_then_the_server_syncs_and_the_channels_reload():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        taking_part = auto_sync_ids(server)
        assert taking_part, "the demo seeds some auto-sync channels"
        stale = taking_part[0]
        server.channels[stale]["model"] = "stale-model"
        screen = main_screen(app)
        assert "server sync 2h ago" in screen_text(app)

        await pilot.press("f8")
        confirm = await wait_screen(pilot, ConfirmScreen)
        message = str(confirm.query_one("#confirm-message").render())
        assert f"each of its {len(taking_part)} auto-sync channels" in message
        await pilot.click("#confirm-yes")

        results = await wait_screen(pilot, BatchResultsScreen, timeout=20)
        assert [r.channel_id for r in results._results] == taking_part
        row = next(r for r in results._results if r.channel_id == stale)
        if row.outcome is Outcome.OK:
            assert row.removed_models == ("stale-model",)
        await pilot.press("escape")
        await wait_loaded(pilot)
        await wait_for(pilot, lambda: "server sync just now" in screen_text(app))
        shown = next(c for c in screen.current.channels if c.id == stale)
        stored = server.record(stale)
        assert shown.models == split_list(f"{stored['model']},{stored['custom_model']}")


async def test_auto_sync_is_a_column_and_a_filter():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        screen = main_screen(app)
        assert " Sync " in screen_text(app).splitlines()[2]
        screen.query_one("#flag-filter").value = "auto_sync_on"
        await wait_for(pilot, lambda: screen.table.row_count == len(auto_sync_ids(server)))
        screen.query_one("#flag-filter").value = "auto_sync_off"
        await wait_for(pilot, lambda: screen.table.row_count == len(server.channels) - len(auto_sync_ids(server)))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.table.row_count == len(server.channels))


async def test_f8_on_new_api_says_why_it_is_unavailable():
    async with running_app(site=NEWAPI_SITE) as (app, pilot, _demo):
        await pilot.press("f8")
        await wait_for(pilot, lambda: any("server sync is not supported" in str(n.message) for n in app._notifications))
        assert not main_screen(app).query("#flag-filter").first().display
