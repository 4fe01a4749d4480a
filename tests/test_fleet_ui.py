"""The fleet view (every site at once) driven from the keyboard, over New API, Octopus and AxonHub
demo sites whose channel ids overlap (each has a channel 7)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import OptionList, Select

from tui_channels.app import ChannelsApp
from tui_channels.backends.base import Operation
from tui_channels.demo.names import DONEHUB_SITE
from tui_channels.demo.session import AXONHUB_SITE, CLAUDECODEHUB_SITE, MORE_SITES, NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.channel_detail import ChannelDetailScreen
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.find import FindScreen
from tui_channels.screens.fleet_jump import Jump
from tui_channels.screens.health import HealthScreen
from tui_channels.screens.scope_picker import ScopePicker
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.screens.tag_confirm import TagConfirmScreen
from tui_channels.screens.sync_preview import SyncPreviewScreen
from tui_channels.services import trash
from tui_channels.services.batch import BatchProgress
from tui_channels.services.channel_view import ChannelRef
from tui_channels.services.fleet_batch import FleetProgress
from tui_channels.services.model_groups import memberships
from tui_channels.services.results import Outcome
from tui_channels.widgets.batch_progress import progress_text, sites_text

from .ui_helpers import (
    batch_idle,
    demo_session,
    forget_notices,
    main_screen,
    mark_read_only,
    notices,
    running_app,
    screen_text,
    wait_for,
    wait_loaded,
    wait_painted,
    wait_screen,
)

SITES = (NEWAPI_SITE, OCTOPUS_SITE, AXONHUB_SITE, CLAUDECODEHUB_SITE)
ALL_SITES = (*SITES, *(name for name, _flavor in MORE_SITES))
TOTAL = 60 + 15 * (len(ALL_SITES) - 1)
"""Every demo site's channels: 60 on the New API site, 15 on each other one."""


def ref(site: str, channel_id: int) -> ChannelRef:
    return ChannelRef(site, channel_id)


async def select_rows(pilot, *keys: ChannelRef) -> None:
    """Move the cursor to each row and press space, as a user would."""
    table = main_screen(pilot.app).table
    for key in keys:
        table.move_cursor_to_channel(key)
        assert table.cursor_key == key
        await pilot.press("space")


async def test_the_fleet_lists_every_site_with_a_site_column():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        counts = {s.name: len(s.channels) for s in screen.fleet.sessions}
        assert counts == {name: 60 if name == NEWAPI_SITE else 15 for name in ALL_SITES}
        assert len(demo.gateway.sites[OCTOPUS_SITE].server.channels) == 15
        assert screen.table.total_count == TOTAL
        assert screen.table.columns[0] == "site"
        text = screen_text(app)
        assert "All sites" in text and f"{TOTAL} of {TOTAL} channels" in text and f"{len(ALL_SITES)} sites" in text
        positions = {screen.table.index.position(ref(site, 7)) for site in ALL_SITES}
        assert None not in positions and len(positions) == len(ALL_SITES)


async def test_f_the_switcher_and_the_palette_reach_the_fleet():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        assert screen.current.name == NEWAPI_SITE
        await pilot.press("F")
        await wait_loaded(pilot)
        assert screen.fleet is not None and screen.table.total_count == TOTAL
        await pilot.press("s")
        assert "All sites" in screen_text(app)
        await pilot.press("down", "down", "enter")
        await wait_loaded(pilot)
        assert screen.current is not None and screen.current.name == OCTOPUS_SITE
        await pilot.press("s", "home", "enter")
        await wait_loaded(pilot)
        assert screen.fleet is not None
        titles = {command.title for command in app.get_system_commands(screen)}
        assert "All sites (fleet view)" in titles


async def test_the_fleet_opens_again_next_time_and_no_site_can_be_called_all(cli):
    with demo_session():
        async with ChannelsApp(fleet=True).run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
        async with ChannelsApp().run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            assert main_screen(pilot.app).fleet is not None
            await pilot.press("s", "down", "enter")
            await wait_loaded(pilot)
        async with ChannelsApp().run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            assert main_screen(pilot.app).current.name == NEWAPI_SITE
        refused = cli("sites", "add", "all", "--kind", "newapi", "--url", "http://127.0.0.1:9", "--user-id", "1")
        assert refused.code == 2 and "reserved" in refused.err


async def test_a_site_that_fails_shows_its_error_and_the_others_load():
    with demo_session() as demo:
        octopus = demo.gateway.sites[OCTOPUS_SITE]
        fault = octopus.faults.add("server_error", "/api/v1/channel/list", times=None)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            assert screen.table.total_count == TOTAL - 15
            text = screen_text(app)
            assert "✗ demo-octopus" in text and "1 failed" in text
            octopus.faults.remove(fault)
            await pilot.press("r")
            await wait_loaded(pilot)
            assert screen.table.total_count == TOTAL
            assert "✗" not in screen_text(app)


async def test_the_cursor_stays_on_the_first_row_while_sites_arrive_ahead_of_it():
    """AxonHub sorts first but answers last: its rows go in above the cursor, which stays on top."""
    with demo_session() as demo:
        demo.gateway.sites[AXONHUB_SITE].faults.add("latency", "*", times=None, delay=1.0)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            assert screen.table.total_count == TOTAL
            assert screen.table.cursor_row == 0
            assert screen.table.cursor_site == AXONHUB_SITE


async def test_search_filters_the_site_filter_and_sort_work_over_every_site():
    async with running_app(fleet=True) as (app, pilot, _demo):
        screen = main_screen(app)
        site_filter = screen.query_one("#site-filter", Select)
        assert site_filter.display
        site_filter.value = OCTOPUS_SITE
        await wait_for(pilot, lambda: screen.table.row_count == 15)
        assert {screen.table.index.site(p) for p in screen.table.index.view(screen.table.view_state)} == {OCTOPUS_SITE}
        site_filter.value = Select.NULL
        await wait_for(pilot, lambda: screen.table.row_count == TOTAL)
        await pilot.press("slash", *"claude")
        shown = [screen.table.index.channel(p) for p in screen.table.index.view(screen.table.view_state)]
        assert shown and all("claude" in " ".join((c.name, c.base_url, *c.models)).lower() for c in shown)
        assert len({screen.table.index.site(p) for p in screen.table.index.view(screen.table.view_state)}) > 1
        await pilot.press("escape", "escape")
        screen.sort_by("name", False)
        await pilot.pause()
        assert app.config.ui.fleet_sort is not None and app.config.ui.fleet_sort.column == "name"
        names = [screen.table.index.channel(p).name.casefold() for p in screen.table.index.view(screen.table.view_state)]
        assert names == sorted(names)


async def test_a_selection_is_per_site_and_a_test_goes_to_each_channels_own_site():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        newapi, octopus, axonhub, _hub = (demo.gateway.sites[name] for name in SITES)
        await select_rows(pilot, ref(NEWAPI_SITE, 3), ref(OCTOPUS_SITE, 3))
        assert screen.table.selected_ids == {ref(NEWAPI_SITE, 3), ref(OCTOPUS_SITE, 3)}
        axonhub_requests = axonhub.stats.total
        octopus_fetches = octopus.stats.count("POST", "/api/v1/channel/fetch-model")
        await pilot.press("t")
        results = await wait_screen(pilot, BatchResultsScreen)
        assert newapi.stats.count("GET", "/api/channel/test/*") == 1
        assert newapi.stats.count("GET", "/api/channel/test/3") == 1
        assert octopus.stats.count("POST", "/api/v1/channel/fetch-model") == octopus_fetches + 1
        assert axonhub.stats.total == axonhub_requests
        assert {(r.site, r.channel_id) for r in results._results} == {(NEWAPI_SITE, 3), (OCTOPUS_SITE, 3)}
        text = screen_text(app)
        assert f"── {NEWAPI_SITE}" in text and f"── {OCTOPUS_SITE}" in text and "on 2 sites" in text


async def test_a_batch_over_sites_shows_each_sites_count_while_a_slow_one_works():
    """Octopus never answers its model fetches: New API's share finishes and says so beside it."""
    with demo_session() as demo:
        demo.gateway.sites[OCTOPUS_SITE].faults.add("hang", "/api/v1/channel/fetch-model", times=None)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            await select_rows(pilot, ref(NEWAPI_SITE, 3), ref(NEWAPI_SITE, 4), ref(OCTOPUS_SITE, 3))
            await pilot.press("t")
            await wait_for(pilot, lambda: f"{NEWAPI_SITE} 2/2" in screen_text(app))
            text = screen_text(app)
            assert "by site:" in text and f"{OCTOPUS_SITE} 0/1" in text and " 2/3 " in text
            await pilot.press("escape")
            await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
            _title, results = screen.last_batch
            by_site = {(r.site, r.channel_id): r.outcome for r in results}
            assert by_site[(OCTOPUS_SITE, 3)] is Outcome.CANCELLED
            assert by_site[(NEWAPI_SITE, 3)] is not Outcome.CANCELLED


async def test_a_sync_over_two_sites_previews_both_then_each_site_writes_its_own():
    async with running_app(fleet=True) as (app, pilot, demo):
        newapi, octopus = demo.gateway.sites[NEWAPI_SITE], demo.gateway.sites[OCTOPUS_SITE]
        chosen = [ref(NEWAPI_SITE, n) for n in (3, 5, 6)] + [ref(OCTOPUS_SITE, n) for n in (2, 3, 7)]
        await select_rows(pilot, *chosen)
        await pilot.press("y")
        await wait_screen(pilot, ScopePicker)
        assert "6 channels on 2 sites" in screen_text(app)
        await pilot.press("enter")
        preview = await wait_screen(pilot, SyncPreviewScreen)
        planned = {(r.site, r.channel_id): r for r in preview._previews}
        assert set(planned) == {(k.site, k.id) for k in chosen}
        changing = {key for key, r in planned.items() if r.added_models or r.removed_models}
        assert {site for site, _id in changing} == {NEWAPI_SITE, OCTOPUS_SITE}
        assert not newapi.stats.requests("PUT", "/api/channel/")
        assert not octopus.stats.requests("POST", "/api/v1/channel/update")
        await pilot.press("a")
        await wait_screen(pilot, BatchResultsScreen)
        written = {(NEWAPI_SITE, r.json()["id"]) for r in newapi.stats.requests("PUT", "/api/channel/")}
        written |= {(OCTOPUS_SITE, r.json()["id"]) for r in octopus.stats.requests("POST", "/api/v1/channel/update")}
        assert written == changing
        for site, channel_id in changing:
            shown = next(c for c in main_screen(app).fleet.session(site).channels if c.id == channel_id)
            assert set(shown.models) == set(planned[(site, channel_id)].new_models or ())


async def test_balance_over_two_sites_skips_the_one_that_has_no_balances_and_says_why():
    async with running_app(fleet=True) as (app, pilot, _demo):
        screen = main_screen(app)
        await select_rows(pilot, ref(NEWAPI_SITE, 3), ref(OCTOPUS_SITE, 3))
        await pilot.press("b")
        await wait_screen(pilot, ScopePicker)
        assert "Selected channels  (1 channel; 1 left out)" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        _title, results = screen.last_batch
        by_site = {r.site: r for r in results}
        assert by_site[OCTOPUS_SITE].outcome is Outcome.SKIPPED
        assert "balance" in by_site[OCTOPUS_SITE].message.lower()
        assert by_site[NEWAPI_SITE].outcome is not Outcome.SKIPPED or "balance" in by_site[NEWAPI_SITE].message


async def test_delete_over_two_sites_says_how_many_on_how_many_and_deletes_only_those():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        newapi, octopus, axonhub, _hub = (demo.gateway.sites[name] for name in SITES)
        await select_rows(pilot, ref(NEWAPI_SITE, 8), ref(OCTOPUS_SITE, 8))
        await pilot.press("d")
        await wait_screen(pilot, ConfirmScreen)
        text = screen_text(app)
        assert "Delete 2 channels on 2 sites?" in text
        assert f"{NEWAPI_SITE} (1)" in text and f"{OCTOPUS_SITE} (1)" in text
        if "Type 2 to confirm" in text:
            await pilot.press("2", "enter")
        else:
            await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: batch_idle(app) and screen.table.index.position(ref(NEWAPI_SITE, 8)) is None)
        await wait_for(pilot, lambda: screen.table.index.position(ref(OCTOPUS_SITE, 8)) is None)
        assert 8 not in newapi.server.store
        assert 8 not in octopus.server.channels
        assert axonhub.server.record(8)
        assert screen.table.index.position(ref(AXONHUB_SITE, 8)) is not None
        assert sorted((r["site"], r["channel"]["id"]) for r in trash.read()) == [(NEWAPI_SITE, 8), (OCTOPUS_SITE, 8)]


async def test_disable_over_every_site_reaches_each_site_and_undo_restores_each_site():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        rows = [ref(site, 2) for site in SITES]

        def status_of(key: ChannelRef):
            return screen.table.index.channel(screen.table.index.position(key)).status

        before = {key: status_of(key) for key in rows}
        assert all(status.is_enabled for status in before.values())
        await select_rows(pilot, *rows)
        await pilot.press("minus")
        await wait_screen(pilot, StatusConfirmScreen)
        assert f"Disable {len(rows)} channels on {len(SITES)} sites?" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        _title, results = screen.last_batch
        assert {(r.site, r.channel_id): r.outcome for r in results} == {
            (site, 2): Outcome.OK for site in SITES
        }
        for key in rows:
            assert status_of(key).is_disabled

        await wait_screen(pilot, BatchResultsScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        screen.last_batch = None
        await pilot.press("ctrl+z")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert f"Undo the last disable of {len(rows)} channels on {len(SITES)} sites?" in screen_text(app)
        message = str(confirm.query_one("#confirm-message").render())
        for key in rows:
            name = screen.table.index.channel(screen.table.index.position(key)).name
            assert f"{key.site} (1):\n  #2 {name}" in message, message
        await pilot.press("y")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        _title, results = screen.last_batch
        assert {(r.site, r.channel_id): r.outcome for r in results} == {
            (site, 2): Outcome.OK for site in SITES
        }
        assert {key: status_of(key) for key in rows} == before


async def test_undoing_a_status_change_on_one_site_of_the_fleet_names_the_site_and_the_channel():
    async with running_app(fleet=True) as (app, pilot, _demo):
        screen = main_screen(app)
        key = ref(OCTOPUS_SITE, 3)
        name = screen.table.index.channel(screen.table.index.position(key)).name
        screen.table.move_cursor_to_channel(key)
        await pilot.press("minus")
        await wait_for(pilot, lambda: batch_idle(app) and screen.table.cursor_channel.status.is_disabled)
        await pilot.press("ctrl+z")
        confirm = await wait_screen(pilot, ConfirmScreen)
        message = str(confirm.query_one("#confirm-message").render())
        assert f"Undo the last disable of 1 channel on {OCTOPUS_SITE}?" in screen_text(app)
        assert f"#3 {name}" in message, message
        await pilot.press("escape")


async def test_the_cursor_channel_is_edited_on_its_own_site_and_site_wide_actions_say_one_site():
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        octopus_name = demo.gateway.sites[OCTOPUS_SITE].server.record(7)["name"]
        screen.table.move_cursor_to_channel(ref(OCTOPUS_SITE, 7))
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert f"Edit channel 7: {octopus_name}" in screen_text(app)
        assert form._backend is screen.fleet.session(OCTOPUS_SITE).backend
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        forget_notices(app)
        await pilot.press("X")
        await wait_for(pilot, lambda: any("one site at a time" in n.message for n in notices(app)))


async def test_a_dialog_or_notice_about_one_channel_names_its_site():
    """Channel ids and names repeat across sites (each demo site has a channel 7): in the fleet, the
    edit form, the details, a delete's confirmation and a one-channel batch's notice say which site."""
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        name = demo.gateway.sites[OCTOPUS_SITE].server.record(7)["name"]
        screen.table.move_cursor_to_channel(ref(OCTOPUS_SITE, 7))
        for key, kind, title in (
            ("e", ChannelFormScreen, f"Edit channel 7: {name} on {OCTOPUS_SITE}"),
            ("enter", ChannelDetailScreen, f"Channel 7: {name} on {OCTOPUS_SITE}"),
            ("d", ConfirmScreen, f"Delete channel {name} on {OCTOPUS_SITE}?"),
        ):
            await pilot.press(key)
            await wait_screen(pilot, kind)
            assert title in screen_text(app), screen_text(app)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
        forget_notices(app)
        await pilot.press("t")
        await wait_for(pilot, lambda: any(n.title.endswith(f"{name} on {OCTOPUS_SITE}") for n in notices(app)))


async def test_health_opens_the_fleet_and_a_row_leads_to_its_channel():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        newapi = demo.gateway.sites[NEWAPI_SITE]
        auto = min(i for i in newapi.server.store if newapi.server.record(i)["status"] == 3)
        await pilot.press("H")
        await wait_screen(pilot, HealthScreen)
        assert screen.fleet is not None
        await wait_for(pilot, lambda: not screen.fleet.pending_sites())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("slash", *"no channel is called this", "enter")
        assert screen.table.row_count == 0
        await pilot.press("H")
        health = await wait_screen(pilot, HealthScreen)
        await wait_for(pilot, lambda: Jump(NEWAPI_SITE, auto) in health._rows)
        assert "Auto-disabled" in screen_text(app)
        health.query_one(OptionList).highlighted = health._rows.index(Jump(NEWAPI_SITE, auto))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.table.cursor_key == ref(NEWAPI_SITE, auto)


async def test_where_is_it_finds_a_model_on_every_site_and_goes_to_the_match():
    async with running_app(fleet=True) as (app, pilot, _demo):
        screen = main_screen(app)
        await pilot.press("w")
        finder = await wait_screen(pilot, FindScreen)
        await pilot.press(*"gpt-4o-mini", "enter")
        await wait_for(pilot, lambda: any(row is not None for row in finder._rows))
        sites = {row.site for row in finder._rows if row is not None}
        assert sites == set(ALL_SITES)
        assert f"matches on {len(ALL_SITES)} of {len(ALL_SITES)} sites" in screen_text(app)
        target = next(row for row in finder._rows if row is not None and row.site == OCTOPUS_SITE)
        finder.query_one(OptionList).highlighted = finder._rows.index(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.table.cursor_key == ref(OCTOPUS_SITE, target.channel_id)


async def test_fleet_writes_leave_a_read_only_site_out_and_count_only_what_they_write():
    """A selection over every site with one read-only: disable, delete, sync and tag each count only
    the channels they will write, name the site they leave out and why, and never write to it (the
    journalling backend would refuse it too)."""
    left_out = f"Left out: 1 channel on {NEWAPI_SITE} (read-only: {NEWAPI_SITE} is marked read-only in its profile)"
    with demo_session() as demo:
        mark_read_only(NEWAPI_SITE)
        newapi_before = dict(demo.gateway.sites[NEWAPI_SITE].server.store)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            await wait_for(pilot, lambda: not screen.fleet.pending_sites())
            await select_rows(pilot, *(ref(site, 2) for site in SITES))
            writable = len(SITES) - 1

            await pilot.press("d")
            confirm = await wait_screen(pilot, ConfirmScreen)
            text = str(confirm.query_one("#confirm-message").render())
            assert f"Delete {writable} channels on {writable} sites?" in screen_text(app) and left_out in text
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)

            await pilot.press("y")
            await wait_screen(pilot, ScopePicker)
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(left_out in n.message for n in notices(app)))
            preview = await wait_screen(pilot, SyncPreviewScreen)
            assert NEWAPI_SITE not in {r.site for r in preview._previews}
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            forget_notices(app)
            screen.last_batch = None

            await pilot.press("g")
            await wait_for(pilot, lambda: any(left_out in n.message for n in notices(app)))
            refusal = next(n for n in notices(app) if left_out in n.message)
            assert refusal.title == "Not available", "no other selected site has tags: nothing is asked or written"
            assert app.screen is screen, "the selection cannot be tagged: no other scope is offered in its place"
            assert screen.last_batch is None

            await pilot.press("minus")
            confirm = await wait_screen(pilot, StatusConfirmScreen)
            text = str(confirm.query_one("#confirm-message").render())
            assert f"{writable} channels on {writable} sites will be disabled" in text and left_out in text
            await pilot.press("y")
            await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
            _title, results = screen.last_batch
            assert {r.site for r in results} == set(SITES) - {NEWAPI_SITE}
            assert all(r.outcome is Outcome.OK for r in results)
            assert demo.gateway.sites[NEWAPI_SITE].server.store == newapi_before


async def test_the_journalling_backend_refuses_a_write_to_a_read_only_site():
    """The last guard: whatever asks, a read-only site's backend sends no write and journals none."""
    import pytest

    from tui_channels.errors import ReadOnly

    with demo_session() as demo:
        mark_read_only(NEWAPI_SITE)
        app = ChannelsApp(site=NEWAPI_SITE)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            session = main_screen(app).current
            backend = await session.connect()
            before = dict(demo.gateway.sites[NEWAPI_SITE].server.store)
            with pytest.raises(ReadOnly, match="marked read-only in its profile: nothing was written"):
                await backend.set_status(2, False)
            assert demo.gateway.sites[NEWAPI_SITE].server.store == before
            assert not backend.journal.path.exists() or not backend.journal.path.read_text().strip()


async def test_tag_mode_stays_on_its_site_the_fleet_and_a_site_without_tags_open_without_it():
    """Tag mode groups one site's channels by tag: `F` from it opens the fleet one row per channel
    (every key works there, Enter included), a site without tags opens without it, and coming back
    to a site with tags shows it again without tag mode."""
    async with running_app(size=(80, 24), site=DONEHUB_SITE) as (app, pilot, _demo):
        screen = main_screen(app)
        await pilot.press("G")
        await wait_for(pilot, lambda: screen.table.tag_mode)
        await pilot.press("F")
        await wait_loaded(pilot)
        assert screen.fleet is not None and not screen.table.tag_mode
        assert "TAG MODE" not in screen_text(app)
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("space")
        assert len(screen.table.selected_ids) == 1
        screen.table.set_tag_mode(True)
        assert not screen.table.tag_mode, "a fleet table refuses tag mode: its groups would mix sites"
        screen.open_site(DONEHUB_SITE)
        await wait_loaded(pilot)
        assert not screen.table.tag_mode
        await pilot.press("G")
        await wait_for(pilot, lambda: screen.table.tag_mode)
        screen.open_site(OCTOPUS_SITE)
        await wait_loaded(pilot)
        assert not screen.table.tag_mode and "TAG MODE" not in screen_text(app)
        screen.open_site(DONEHUB_SITE)
        await wait_loaded(pilot)
        await pilot.press("G")
        await wait_for(pilot, lambda: screen.table.tag_mode)
        await pilot.press("G")
        await wait_for(pilot, lambda: not screen.table.tag_mode)


async def test_a_fleet_tag_asks_first_counting_only_what_it_writes_and_naming_each_site_left_out():
    """`g` over every site, one read-only: the scope picker counts only the channels that can be
    tagged, and before anything is written a confirmation says how many on how many sites, whose
    tag it replaces, and names each site left out with the reason; Esc writes nothing, `y` writes
    exactly those channels."""
    with demo_session():
        mark_read_only(NEWAPI_SITE)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            await wait_for(pilot, lambda: not screen.fleet.pending_sites())
            await select_rows(pilot, *(ref(site, n) for site in ALL_SITES for n in (2, 3)))
            sessions = {s.name: s for s in screen.fleet.sessions}
            taggable = [s.name for s in sessions.values() if s.capabilities.supports(Operation.BATCH_TAG)]
            assert len(taggable) >= 2, "the demo must offer several sites that tag"
            chosen = [c for name in taggable for c in sessions[name].channels if c.id in (2, 3)]
            replaced = [c for c in chosen if c.tag and c.tag != "fleettag-new"]
            assert replaced, "the demo must have tagged channels among them"

            await pilot.press("g")
            picker = await wait_screen(pilot, ScopePicker)
            selection = next(s for s in picker._scopes if s.key == "selection")
            left = 2 * (len(ALL_SITES) - len(taggable))
            assert selection.title == (
                f"Selected channels  ({len(chosen)} channels on {len(taggable)} sites; {left} left out)"
            )
            await pilot.press("enter", *"fleettag-new", "enter")
            confirm = await wait_screen(pilot, TagConfirmScreen)
            text = str(confirm.query_one("#confirm-message").render())
            assert f"Tag {len(chosen)} channels on {len(taggable)} sites with 'fleettag-new'?" in screen_text(app)
            assert f"This replaces the tag of {len(replaced)} of them" in text
            assert (
                f"Left out: 2 channels on {NEWAPI_SITE} (read-only: {NEWAPI_SITE} is marked read-only in its profile)."
                in text
            )
            assert f"Left out: 2 channels on {OCTOPUS_SITE}" in text
            assert text.index("Left out") < text.index("  #"), "counts and warnings come before the names"
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            assert screen.last_batch is None, "nothing is written before the answer"

            await pilot.press("g")
            await wait_screen(pilot, ScopePicker)
            await pilot.press("enter", *"fleettag-new", "enter")
            await wait_screen(pilot, TagConfirmScreen)
            await pilot.press("y")
            await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
            _title, results = screen.last_batch
            assert sorted((r.site, r.channel_id) for r in results) == sorted(
                (name, n) for name in taggable for n in (2, 3)
            )
            assert all(r.outcome is Outcome.OK for r in results)


async def test_a_fleet_test_asks_once_saying_on_how_many_sites_and_which_may_switch_channels_off():
    """The confirmation counts channels and sites, and gives the One Hub / Done Hub warning once,
    naming their sites, instead of once per server."""
    async with running_app(fleet=True) as (app, pilot, demo):
        onehub, donehub = (name for name, flavor in MORE_SITES if flavor in ("onehub", "donehub"))
        tested = demo.gateway.sites[onehub].stats.count("GET", "/api/channel/test/*")
        await pilot.press("a", "t")
        confirm = await wait_screen(pilot, ConfirmScreen)
        text = screen_text(app)
        assert f"Test {TOTAL} channels on {len(ALL_SITES)} sites?" in text
        assert text.count("may disable") == 1, text
        assert f"One Hub ({onehub}) and Done Hub ({donehub}) may disable" in " ".join(text.split())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not confirm)
        assert demo.gateway.sites[onehub].stats.count("GET", "/api/channel/test/*") == tested


async def test_the_balance_test_and_sync_pickers_count_only_the_sites_that_can_take_part():
    """`b` on an AxonHub row (AxonHub keeps no balances): each scope counts only the channels on
    sites that can refresh balances, and says how many it leaves out, as the tag picker does; the
    test and sync pickers count the same way for their own operations."""
    async with running_app(fleet=True, size=(120, 40)) as (app, pilot, _demo):
        screen = main_screen(app)
        await wait_for(pilot, lambda: not screen.fleet.pending_sites())
        sessions = {s.name: s for s in screen.fleet.sessions}
        assert not sessions[AXONHUB_SITE].capabilities.supports(Operation.BALANCE)
        for key, operation in (("b", Operation.BALANCE), ("T", Operation.TEST), ("y", Operation.UPDATE)):
            able = [s for s in sessions.values() if s.capabilities.supports(operation)]
            total = sum(len(s.channels) for s in sessions.values())
            counted = sum(len(s.channels) for s in able)
            screen.table.move_cursor_to_channel(ref(AXONHUB_SITE, 4))
            assert screen.table.cursor_site == AXONHUB_SITE
            await pilot.press(key)
            picker = await wait_screen(pilot, ScopePicker)
            scopes = {s.key: s.title for s in picker._scopes}
            left = f"; {total - counted} left out" if counted < total else ""
            assert scopes["all"] == f"All channels of every site  ({counted} channels on {len(able)} sites{left})"
            if operation is Operation.BALANCE:
                assert "cursor" not in scopes, "no choice that does nothing: the cursor's site keeps no balances"
                assert left
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_narrow_by_site_line_counts_the_sites_it_cannot_name(size):
    """Seven sites do not fit in 80 columns: those left out are counted at the end (`… +4 sites`),
    never dropped without a word, and the site still working is among those named."""
    with demo_session() as demo:
        demo.gateway.sites[OCTOPUS_SITE].faults.add("hang", "/api/v1/channel/fetch-model", times=None)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            await select_rows(pilot, *(ref(site, 3) for site in ALL_SITES))
            await pilot.press("t")
            await wait_screen(pilot, ConfirmScreen)
            await pilot.press("y")

            def sites_line() -> str:
                return next((line for line in screen_text(app).splitlines() if "by site:" in line), "")

            await wait_for(pilot, lambda: "✓" in sites_line() and f"{OCTOPUS_SITE} 0/1" in sites_line())
            line = sites_line().strip()
            named = [site for site in ALL_SITES if f" {site} " in f" {line} "]
            rest = re.search(r"… \+(\d+) sites? (\d+)/(\d+)", line)
            assert rest is not None, line
            assert len(named) + int(rest.group(1)) == len(ALL_SITES), line
            assert int(rest.group(3)) == len(ALL_SITES) - len(named), line
            assert not line.endswith("…") and len(line) < size[0], line
            await pilot.press("escape")
            await wait_for(pilot, lambda: batch_idle(app))


def test_the_by_site_line_names_every_site_that_fits_and_counts_the_rest():
    def counts(total: int, done: int, failed: int = 0) -> BatchProgress:
        return BatchProgress(total=total, done=done, ok=done - failed, failed=failed, skipped=0, elapsed=1.0)

    sites = (
        ("home", counts(60, 60)),
        ("prod", counts(300, 12, failed=2)),
        ("lab", counts(15, 0)),
        ("edge", counts(15, 4)),
    )
    progress = FleetProgress(counts(390, 76, failed=2), sites)
    assert sites_text(progress, 200).plain == (
        " by site:  home 60/60 ✓  prod 12/300 (2 failed)  lab 0/15  edge 4/15"
    )
    assert sites_text(progress, 63).plain == " by site:  home ✓  prod 12/300 (2 failed)  lab 0/15  edge 4/15"
    assert sites_text(progress, 55).plain == " by site:  prod 12/300 (2 failed)  … +3 sites 64/90"
    assert sites_text(progress, 50).plain == " by site:  … 4 sites 76/390 (2 failed)"
    assert progress_text("Test", counts(390, 0)).plain == " Test 0/390  starting…  Esc cancels"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_fleet_filter_pickers_read_as_one_sites_where_they_fit(size):
    """"Any type ▼ Any group ▼" on one site and in the fleet wherever the pickers hold it; where
    one does not (the fleet's six at 80 columns), every picker takes its short word, never a mix."""
    async with running_app(size) as (app, pilot, _demo):
        screen = main_screen(app)

        def prompts() -> list[str]:
            return [str(s.prompt) for s in screen.query("FilterBar Select") if s.display and s.id != "status-filter"]

        await wait_for(pilot, lambda: bool(prompts()) and all(p.startswith("Any ") for p in prompts()))
        one_site = prompts()
        await pilot.press("F")
        await wait_for(pilot, lambda: screen.fleet is not None and not screen.fleet.pending_sites())
        await wait_painted(pilot)
        fleet = prompts()
        assert all(p.startswith("Any ") for p in fleet) or not any(p.startswith("Any ") for p in fleet), fleet
        if size == (120, 40):
            assert set(one_site) <= set(fleet) and "Any site" in fleet, (one_site, fleet)
        line = next(line for line in screen_text(app).splitlines() if "▼" in line)
        assert all(p in line for p in fleet), (fleet, line)


async def test_a_fleet_tag_counts_the_done_hub_channels_its_server_will_refuse_and_o_leaves_them_out():
    """Done Hub refuses a channel whose tag holds channels of another type: the confirmation says
    which will be refused and why, in words, and `o` tags only the others, so every write
    succeeds; the refused channel keeps its tag."""
    async with running_app(fleet=True) as (app, pilot, demo):
        screen = main_screen(app)
        await wait_for(pilot, lambda: not screen.fleet.pending_sites())
        donehub = next(s for s in screen.fleet.sessions if s.name == DONEHUB_SITE)
        by_type: dict[object, list] = {}
        for channel in donehub.channels:
            by_type.setdefault(channel.type.code, []).append(channel)
        kept = max(by_type.values(), key=len)[:2]
        odd = next(group for group in by_type.values() if group is not by_type[kept[0].type.code])[0]
        assert len(kept) == 2, "the demo's Done Hub needs two channels of one type"
        await select_rows(pilot, ref(NEWAPI_SITE, 2), *(ref(DONEHUB_SITE, c.id) for c in (*kept, odd)))

        await pilot.press("g")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter", *"cli-one-type", "enter")
        confirm = await wait_screen(pilot, TagConfirmScreen)
        text = str(confirm.query_one("#confirm-message").render())
        assert (
            f"Done Hub will refuse 1 channel on {DONEHUB_SITE}: channels of one tag must share a type, and its "
            "type differs from the tag's other channels there" in text
        )
        assert f"{DONEHUB_SITE}: tag 'cli-one-type' takes {kept[0].type.name}; refused: {odd.type.name} (1)" in text
        assert f"#{odd.id} {odd.name} (" in text and f"{odd.type.name}: refused)" in text
        await pilot.press("o")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        _title, results = screen.last_batch
        assert sorted((r.site, r.channel_id) for r in results) == sorted(
            [(NEWAPI_SITE, 2), *((DONEHUB_SITE, c.id) for c in kept)]
        )
        assert all(r.outcome is Outcome.OK for r in results), [r.message for r in results]
        server = demo.gateway.sites[DONEHUB_SITE].server
        assert server.record(odd.id)["tag"] == (odd.tag or "")


async def test_done_hubs_tag_type_refusal_is_explained_in_words():
    """Tagging the odd channel anyway (`y`): the server's refusal is explained in the result."""
    async with running_app(site=DONEHUB_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        server = demo.gateway.sites[DONEHUB_SITE].server
        first = screen.current.channels[0]
        odd = next(c for c in screen.current.channels if c.type.code != first.type.code)
        await select_rows(pilot, first.id, odd.id)
        await pilot.press("g")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter", *"cli-explained", "enter")
        await wait_screen(pilot, TagConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        _title, results = screen.last_batch
        failed = [r for r in results if r.outcome is Outcome.FAILED]
        assert len(failed) == 1, [r.message for r in results]
        assert "channels of one tag must share a type, and tag 'cli-explained' already holds channels of another type" in failed[0].message
        assert "标签「cli-explained」下已有其它类型的渠道" in failed[0].message
        assert {server.record(c.id)["tag"] for c in (first, odd)} >= {"cli-explained"}


async def test_a_fleet_delete_names_the_site_and_the_one_channel_a_group_loses():
    """Deleting a New API and an Octopus channel at once: the group sentence names the Octopus
    site, only the channel that is a member, and its one group in the singular."""
    async with running_app(fleet=True) as (app, pilot, _demo):
        screen = main_screen(app)
        await wait_for(pilot, lambda: not screen.fleet.pending_sites())
        octopus = next(s for s in screen.fleet.sessions if s.name == OCTOPUS_SITE)
        await wait_for(pilot, lambda: octopus.groups is not None)
        spec = octopus.capabilities.groups
        member = next(
            (c, names)
            for c in octopus.channels
            if len(names := {m.group.name for m in memberships(c.id, octopus.groups, spec)}) == 1
        )
        channel, (group,) = member
        await select_rows(pilot, ref(NEWAPI_SITE, 2), ref(OCTOPUS_SITE, channel.id))
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        text = str(confirm.query_one("#confirm-message").render())
        assert (
            f"On {OCTOPUS_SITE} the server removes #{channel.id} {channel.name} from the group {group}; "
            "restoring a channel later does not put it back." in text
        ), text
        assert "removes them" not in text
