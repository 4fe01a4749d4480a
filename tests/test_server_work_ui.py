"""Server-side model work in the app (Pilot): Octopus's own sync from f8 and the palette."""

from __future__ import annotations

from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.models import split_list
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.services.results import Outcome
from tui_channels.wording import plural

from .ui_helpers import (
    batch_idle,
    main_screen,
    notices,
    running_app,
    screen_text,
    wait_for,
    wait_loaded,
    wait_screen,
)


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
        assert f"each of its {plural(len(taking_part), 'auto-sync channel')}" in message
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


async def test_f8_on_one_api_says_why_it_is_unavailable():
    async with running_app(site=NEWAPI_SITE, newapi_flavor="oneapi") as (app, pilot, _demo):
        await pilot.press("f8")
        await wait_for(pilot, lambda: any("does not support upstream model updates" in str(n.message) for n in notices(app)))
        assert not main_screen(app).query("#flag-filter").first().display


def pending_rows(server) -> dict[int, dict]:
    from tui_channels.demo.newapi.upstream_updates import DETECTED, REMOVED, settings_of

    return {i: r for i, r in server.store.items() if settings_of(r).get(DETECTED) or settings_of(r).get(REMOVED)}


async def test_y_offers_the_server_findings_and_applies_or_ignores_per_model():
    from tui_channels.demo.newapi.upstream_updates import IGNORED, settings_of
    from tui_channels.screens.scope_picker import ScopePicker
    from tui_channels.screens.upstream_review import SyncSourcePicker, UpstreamReviewScreen

    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[NEWAPI_SITE].server
        pending = pending_rows(server)
        assert pending, "the demo seeds channels with findings"
        screen = main_screen(app)
        assert "Upstream" in screen_text(app).splitlines()[2]
        screen.query_one("#flag-filter").value = "upstream_changes"
        await wait_for(pilot, lambda: screen.table.row_count == len(pending))

        await pilot.press("y")
        picker = await wait_screen(pilot, ScopePicker)
        picker.query_one("OptionList").highlighted = [s.key for s in picker._scopes].index("view")
        await pilot.press("enter")
        await wait_screen(pilot, SyncSourcePicker)
        await pilot.press("enter")
        review = await wait_screen(pilot, UpstreamReviewScreen)
        first = review._changes[0]
        assert first.added
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not pending_rows(server), timeout=20)
        assert first.model in settings_of(server.record(first.channel_id))[IGNORED]
        assert first.model not in server.record(first.channel_id)["models"].split(",")
        await wait_for(pilot, lambda: screen.table.row_count == 0 or not screen.batch_running)


async def test_f9_applies_everything_after_confirming_and_f8_checks_every_upstream():
    from tui_channels.screens.confirm import ConfirmScreen

    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[NEWAPI_SITE].server
        assert pending_rows(server)
        await pilot.press("f9")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "Apply every upstream change" in confirm._title
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: not pending_rows(server), timeout=20)

        await pilot.press("f8")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "Check every watched upstream" in confirm._title
        await pilot.click("#confirm-yes")
        await wait_for(
            pilot, lambda: any("channels checked" in str(n.message) for n in notices(app)), timeout=30
        )


async def test_f9_leaves_a_channel_it_would_empty_as_it_is_and_applies_the_others():
    """The server finds every model gone when an upstream lists nothing; F9 never applies that."""
    from tui_channels.demo.newapi.upstream_updates import DETECTED, REMOVED, settings_of, store_settings

    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[NEWAPI_SITE].server
        target_id, row = next(iter(pending_rows(server).items()))
        models = row["models"]
        settings = settings_of(row)
        settings.update({DETECTED: [], REMOVED: models.split(",")})
        store_settings(row, settings)
        await pilot.press("r")

        def reloaded() -> bool:
            channel = next(c for c in main_screen(app).current.channels if c.id == target_id)
            return channel.upstream is not None and not channel.upstream.added

        await wait_for(pilot, reloaded, timeout=20)
        await wait_loaded(pilot)
        await pilot.press("f9")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "Left as they are" in confirm._message and row["name"] in confirm._message
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: list(pending_rows(server)) == [target_id], timeout=20)
        assert server.record(target_id)["models"] == models
        # The results screen opens as the batch ends: leave once it is mounted, not while it mounts.
        await wait_for(pilot, lambda: batch_idle(app) and app.screen.is_mounted)


async def test_on_a_legacy_new_api_the_upstream_actions_say_why():
    async with running_app(site=NEWAPI_SITE, newapi_flavor="newapi-legacy") as (app, pilot, _demo):
        await pilot.press("f9")
        await wait_for(
            pilot, lambda: any("does not support upstream model updates" in str(n.message) for n in notices(app))
        )
        assert "Upstream" not in screen_text(app).splitlines()[2]
