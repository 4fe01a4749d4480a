"""At 60x20 the enable / disable, tag enable and undo confirmations show their counts and warnings
without scrolling (the list of channels is what scrolls): the dialog takes the whole height below
24 lines, and undoing a change over several sites says its totals and warnings before its sites."""

from __future__ import annotations

from textual.widgets import Button

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import NEWAPI_SITE
from tui_channels.demo.names import DONEHUB_SITE
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.history import HistoryScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen

from .ui_helpers import (
    batch_idle,
    demo_session,
    main_screen,
    mark_read_only,
    running_app,
    wait_for,
    wait_loaded,
    wait_screen,
)

SHORT = (60, 20)


def in_sight(app, *fragments: str) -> list[str]:
    """The fragments not on the terminal as it shows now (a wrapped line is joined to the next)."""
    strips = app.screen._compositor.render_strips()
    shown = " ".join(" ".join("".join(s.text for s in strip).replace("│", " ").split()) for strip in strips)
    return [fragment for fragment in fragments if fragment not in shown]


async def _fleet(pilot, app):
    main = main_screen(app)
    await wait_for(pilot, lambda: main.fleet is not None and not main.fleet.pending_sites())
    return main


async def _fleet_disable(pilot, app, *, read_only: bool) -> None:
    """Every channel of the fleet selected, then `-`: its confirmation on screen."""
    main = await _fleet(pilot, app)
    await pilot.press("a")
    await wait_for(pilot, lambda: len(main.table.selected_ids) == main.table.total_count)
    await pilot.press("minus")
    await wait_screen(pilot, StatusConfirmScreen)
    await pilot.pause()


async def test_a_fleet_disable_shows_what_stays_and_the_sites_left_out_at_60x20():
    with demo_session():
        mark_read_only(NEWAPI_SITE)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=SHORT) as pilot:
            await wait_loaded(pilot)
            await _fleet_disable(pilot, app, read_only=True)
            missing = in_sight(app, "already disabled", "Left out: 60 channels on demo-newapi", "Disable 67 (y)")
            assert not missing, missing


async def test_undoing_a_fleet_disable_says_its_totals_and_what_it_leaves_before_its_sites_at_60x20():
    with demo_session() as demo:
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=SHORT) as pilot:
            await wait_loaded(pilot)
            main = main_screen(app)
            await _fleet_disable(pilot, app, read_only=False)
            await pilot.press("y")
            await wait_screen(pilot, BatchResultsScreen)
            await pilot.press("escape")
            await wait_for(pilot, lambda: batch_idle(app) and app.screen is main)
            changed = next(c for c in demo.gateway.sites[DONEHUB_SITE].server.table.rows.values() if c["status"] == 2)
            changed["status"] = 1  # another admin, on the last site
            await pilot.press("ctrl+z")
            confirm = await wait_screen(pilot, ConfirmScreen)
            await pilot.pause()
            first = str(confirm.query_one("#confirm-message").render()).splitlines()[0]
            assert first.startswith("Sets ") and " on 7 sites: " in first, first
            missing = in_sight(app, "Left alone, changed since:", "Undo (y)")
            assert not missing, missing


async def test_a_tag_enable_shows_its_auto_disabled_count_and_skip_at_60x20():
    async with running_app(size=SHORT, site=NEWAPI_SITE) as (app, pilot, demo):
        main = main_screen(app)
        await pilot.press("G")
        await wait_for(pilot, lambda: main.table.tag_mode and bool(main.table.groups))
        group = max((g for g in main.table.groups if g.tag), key=lambda g: g.count)
        for channel_id in sorted(group.ids)[:2]:
            demo.gateway.sites[NEWAPI_SITE].server.table.rows[channel_id]["status"] = 3
        while main.table.cursor_group != group or main.table.cursor_channel is not None:
            await pilot.press("down")
        await pilot.press("plus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.pause()
        missing = in_sight(app, "Auto-disabled by the gateway because they failed:", "Skip auto-disabled (s)")
        assert not missing, missing


async def test_a_fleet_tag_undo_shows_each_site_and_what_it_leaves_at_60x20():
    with demo_session() as demo:
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=SHORT) as pilot:
            await wait_loaded(pilot)
            main = await _fleet(pilot, app)
            await pilot.press("a")
            await wait_for(pilot, lambda: len(main.table.selected_ids) == main.table.total_count)
            await pilot.press("g", "enter", *"short-tag", "enter")
            confirm = await wait_screen(pilot, ConfirmScreen)
            confirm.query_one("#confirm-yes", Button).press()
            await wait_screen(pilot, BatchResultsScreen)
            await pilot.press("escape")
            await wait_for(pilot, lambda: batch_idle(app) and app.screen is main)
            for row in demo.gateway.sites[DONEHUB_SITE].server.table.rows.values():
                row["tag"] = "moved-since"
            await pilot.press("h")
            history = await wait_screen(pilot, HistoryScreen)
            await wait_for(pilot, lambda: history.loaded)
            await pilot.press("U")
            await wait_screen(pilot, ConfirmScreen)
            await pilot.pause()
            missing = in_sight(app, "on 3 sites?", f"{NEWAPI_SITE}: 60 channels", f"{DONEHUB_SITE}: left alone", "Undo (y)")
            assert not missing, missing
