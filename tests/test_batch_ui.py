"""Batch work in the app (Pilot): tests, sync preview and apply, balances, cancel; and snapshots.

Snapshots of a running batch hold chosen upstream keys with a delay so the progress bar is on
screen, and give the engine a stepped clock (the run starts at 100 s, everything after happens at
104 s) so the rate, the ETA and the durations render the same every time.
"""

from __future__ import annotations

import threading
import time

import pytest
from textual.widgets import Input, OptionList

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.scope_picker import ScopePicker
from tui_channels.screens.sync_preview import SyncPreviewScreen
from tui_channels.services import batch
from tui_channels.services.results import Outcome
from tui_channels.widgets.batch_progress import BatchProgressBar

from .batch_helpers import key_of, newapi_models, stored, working_ids
from .ui_helpers import (
    app_on_sites,
    batch_idle,
    choose_this_apps_sync,
    demo_session,
    main_screen,
    notices,
    running_app,
    screen_text,
    wait_for,
    wait_loaded,
    wait_screen,
)


async def select(pilot, channel_ids: list[int]) -> None:
    """Select channels the way a user does: cursor to each, space."""
    screen = main_screen(pilot.app)
    for channel_id in channel_ids:
        screen.table.move_cursor_to_channel(channel_id)
        await pilot.press("space")


def channel_in(app: ChannelsApp, channel_id: int):
    """The app's copy of a channel of the current site."""
    return next(c for c in main_screen(app).current.channels if c.id == channel_id)


def progress_visible(app: ChannelsApp) -> bool:
    return main_screen(app).query_one(BatchProgressBar).display


async def test_t_tests_the_selection_updating_rows_live_then_shows_the_results():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        fast, slow = working_ids(site)[:2], working_ids(site)[2]
        slow_answers = threading.Event()
        demo.gateway.upstream.key_holds[key_of(site, slow)] = slow_answers
        screen = main_screen(app)
        await select(pilot, [*fast, slow])
        started = time.time()
        await pilot.press("t")

        def fast_ones_tested() -> bool:
            fresh = [c for c in screen.current.channels if c.id in fast and (c.test_time or 0) >= int(started)]
            return len(fresh) == len(fast)

        await wait_for(pilot, fast_ones_tested)
        assert screen.batch_running  # the slow channel is still out: rows changed while it ran
        shown = screen.table.index.channel(screen.table.index.position(fast[0]))
        assert shown.test_time >= int(started)
        assert shown.response_time_ms == site.server.record(fast[0])["response_time"]
        slow_answers.set()
        results = await wait_screen(pilot, BatchResultsScreen)
        assert {r.channel_id for r in results._results} == {*fast, slow}
        assert all(r.outcome is Outcome.OK for r in results._results)
        assert "3 channels: 3 ok" in screen_text(app)


async def test_a_hostile_server_name_is_drawn_on_one_line_in_the_results():
    hostile = "evil\u202eevil\u200b\n" + "x" * 2000
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        target, other = working_ids(site)[:2]
        site.server.store[target]["name"] = hostile
        await pilot.press("r")
        await wait_loaded(pilot)
        await select(pilot, [target, other])
        await pilot.press("t")
        results = await wait_screen(pilot, BatchResultsScreen)
        prompts = [results.query_one(OptionList).get_option_at_index(i).prompt.plain for i in range(2)]
        line = next(p for p in prompts if "evil" in p).split("\n")[0]
        assert "\u202e" not in line and "\u200b" not in line and len(line) < 100
        assert "evil\ufffdevil\ufffd\ufffdxxx" in line


async def test_escape_cancels_a_running_test_at_once():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        ids = working_ids(site)[:4]
        for channel_id in ids:
            demo.gateway.upstream.key_delays[key_of(site, channel_id)] = 30.0
        await select(pilot, ids)
        await pilot.press("t")
        await wait_for(pilot, lambda: progress_visible(app))
        assert "Esc cancels" in screen_text(app)
        started = time.monotonic()
        await pilot.press("escape")
        results = await wait_screen(pilot, BatchResultsScreen)
        assert time.monotonic() - started < 3
        assert {r.outcome for r in results._results} == {Outcome.CANCELLED}
        assert not progress_visible(app)

        for channel_id in ids:  # ctrl+r runs the cancelled channels again
            demo.gateway.upstream.key_delays.pop(key_of(site, channel_id))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchResultsScreen) and app.screen is not results, 30)
        assert sorted(r.channel_id for r in app.screen._results) == sorted(ids)
        assert {r.outcome for r in app.screen._results} == {Outcome.OK}


async def test_sync_previews_first_then_applies_exactly_the_preview():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        ids = working_ids(site)[:5]
        await select(pilot, ids)
        await pilot.press("y")
        picker = await wait_screen(pilot, ScopePicker)
        assert "Selected channels  (5 channels)" in screen_text(app)
        await pilot.press("enter")
        await choose_this_apps_sync(pilot)
        preview = await wait_screen(pilot, SyncPreviewScreen)
        planned = {r.channel_id: r for r in preview._previews}
        changing = {i for i, r in planned.items() if r.added_models or r.removed_models}
        assert set(planned) == set(ids) and changing
        assert not site.stats.requests("PUT", "/api/channel/")  # nothing written before Apply
        assert f"{len(changing)} of 5 channels change" in screen_text(app)
        await pilot.press("a")
        await wait_screen(pilot, BatchResultsScreen)
        for channel_id in changing:
            assert newapi_models(site, channel_id) == planned[channel_id].new_models
            assert channel_in(app, channel_id).models == planned[channel_id].new_models
        assert {r.json()["id"] for r in site.stats.requests("PUT", "/api/channel/")} == changing
        assert picker is not app.screen


async def test_shift_t_tests_the_filtered_view_with_a_chosen_model():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        screen = main_screen(app)
        await pilot.press("slash", *"deepseek", "enter")
        in_view = screen.table.row_count
        assert 0 < in_view < 60
        await pilot.press("T")
        await wait_screen(pilot, ScopePicker)
        assert f"Channels in the filtered view  ({in_view} channels)" in screen_text(app)
        await pilot.press("down", "enter", *"deepseek-chat", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ScopePicker) and batch_idle(app))
        queries = [r.query for r in site.stats.requests("GET", "/api/channel/test/*")]
        assert len(queries) == in_view and set(queries) == {"model=deepseek-chat"}


async def test_balance_is_unavailable_on_octopus_and_says_why():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, ScopePicker)
        assert any("Octopus does not support balances." in n.message for n in notices(app))
        assert demo.gateway.sites[OCTOPUS_SITE].stats.count("GET", "*balance*") == 0


async def test_sync_is_unavailable_on_one_api_and_says_why(gateway, monkeypatch):
    site = gateway.add_newapi("batch-ui-oneapi", flavor="oneapi", channels=6)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, ScopePicker)
        assert any("One API does not support fetching a channel's models from its upstream." in n.message for n in notices(app))
        await pilot.press("t")  # tests work there: the cursor channel is tested
        await wait_for(pilot, lambda: site.stats.count("GET", "/api/channel/test/*") == 1 and batch_idle(app))


async def test_balance_refreshes_the_balance_column():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        screen = main_screen(app)
        screen.table.move_cursor_to_channel(1)
        await pilot.press("b")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter")
        await wait_for(pilot, lambda: batch_idle(app) and not isinstance(app.screen, ScopePicker))
        assert channel_in(app, 1).balance == site.server.record(1)["balance"]
        assert f"${site.server.record(1)['balance']:,.2f}" in screen_text(app)


# -- snapshots --------------------------------------------------------------------------------


class SteppedClock:
    """`time` for the batch engine: its first reading is 100 s, every later one 104 s."""

    def __init__(self) -> None:
        self.readings = 0

    def monotonic(self) -> float:
        self.readings += 1
        return 100.0 if self.readings == 1 else 104.0


@pytest.fixture
def stepped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "time", SteppedClock())


def batch_snapshot(snap_compare, then) -> bool:
    """The app on a fresh demo session with channels 1-5 selected, then `then(pilot, demo)`."""
    with demo_session() as demo:

        async def run_before(pilot) -> None:
            await wait_loaded(pilot)
            await pilot.press(*["space"] * 5)
            await then(pilot, demo)

        return snap_compare(ChannelsApp(), terminal_size=(120, 40), run_before=run_before)


def test_snapshot_progress_bar_mid_run(snap_compare, stepped_clock):
    async def two_of_five_done(pilot, demo) -> None:
        site = demo.gateway.sites[NEWAPI_SITE]
        assert working_ids(site)[:1] == [3]  # channels 1 and 2 fail fast: seeded invalid keys
        for channel_id in (3, 4, 5):
            demo.gateway.upstream.key_delays[key_of(site, channel_id)] = 60.0
        await pilot.press("t")
        screen = main_screen(pilot.app)
        await wait_for(pilot, lambda: screen._batch is not None and screen._batch.progress().total.done == 2)
        await wait_for(pilot, lambda: "2/5" in screen_text(pilot.app))

    assert batch_snapshot(snap_compare, two_of_five_done)


def test_snapshot_results_screen(snap_compare, stepped_clock):
    async def balances_refreshed(pilot, demo) -> None:
        demo.gateway.sites[NEWAPI_SITE].faults.add("html", "/api/channel/update_balance/3")
        await pilot.press("b")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter")
        await wait_screen(pilot, BatchResultsScreen)

    assert batch_snapshot(snap_compare, balances_refreshed)


def test_snapshot_sync_preview(snap_compare):
    async def previewed(pilot, demo) -> None:
        await pilot.press("y")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter")
        await choose_this_apps_sync(pilot)
        await wait_screen(pilot, SyncPreviewScreen)

    assert batch_snapshot(snap_compare, previewed)


async def test_sync_rules_are_edited_saved_and_used_by_the_next_sync():
    from tui_channels.config import load_config
    from tui_channels.demo.session import NEWAPI_SITE
    from tui_channels.screens.sync_rules import SyncRulesScreen
    from tui_channels.services.sync import SyncOptions

    from .ui_helpers import main_screen, running_app, wait_for

    async with running_app() as (app, pilot, _demo):
        channel = main_screen(app).table.cursor_channel
        await pilot.press("Y")
        await wait_for(pilot, lambda: isinstance(app.screen, SyncRulesScreen))
        rules = app.screen
        rules.query_one("#site-exclude").value = "embedding, /^o\\d/"
        rules.query_one("#channel-skip").value = True
        rules.query_one("#site-include").value = "/[unclosed/"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SyncRulesScreen)  # a bad regex is refused at the form
        assert "regular expression" in str(rules.query_one("#rules-error").render())
        rules.query_one("#site-include").value = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, SyncRulesScreen))
        profile = load_config().site(NEWAPI_SITE)
        assert profile.sync_exclude == ("embedding", "/^o\\d/")
        assert profile.sync_channels[channel.id].skip is True
        options = SyncOptions.from_profile(main_screen(app).current.profile)
        assert not options.allows(channel.id + 1, "text-embedding-3-small")
        assert not options.allows(channel.id + 1, "o3-mini")
        assert options.allows(channel.id + 1, "gpt-4o")


async def test_test_with_a_model_completes_the_model_name_from_the_channels():
    async with running_app() as (app, pilot, _demo):
        channel = main_screen(app).table.cursor_channel
        model = max(channel.models, key=len)
        await pilot.press("T")
        picker = await wait_screen(pilot, ScopePicker)
        await wait_for(pilot, lambda: picker._chosen().key == "cursor")
        await pilot.press("enter")
        box = picker.query_one("#scope-text", Input)
        await wait_for(pilot, lambda: box.has_focus)
        await pilot.press(*model[:-1])
        await wait_for(pilot, lambda: box._suggestion != "")
        await pilot.press("right")
        assert box.value in channel.models and box.value.startswith(model[:-1])


async def test_results_show_failures_first_and_the_model_and_select_the_failed_channels():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        good = working_ids(site)[:3]
        bad = [i for i in stored(site) if i not in working_ids(site) and site.server.record(i)["status"] == 1][:2]
        model = "gpt-4o-mini"
        await select(pilot, [*good, *bad])
        await pilot.press("T")
        picker = await wait_screen(pilot, ScopePicker)
        await wait_for(pilot, lambda: picker._chosen().key == "selection")
        await pilot.press("enter", *model, "enter")
        results = await wait_screen(pilot, BatchResultsScreen, timeout=30)
        outcomes = [r.outcome for r in results._results]
        failed = [r.channel_id for r in results._results if r.outcome is Outcome.FAILED]
        assert failed and outcomes[: len(failed)] == [Outcome.FAILED] * len(failed), "failures first"
        assert all(r.extra.get("model") == model for r in results._results if r.outcome is not Outcome.SKIPPED)
        assert f"model {model}" in screen_text(app)
        await pilot.press("f", "f")  # All → OK → Failed
        await wait_for(pilot, lambda: results.query_one("#results-outcome").value == "failed")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.screen is main_screen(app))
        assert set(main_screen(app).table.selected_ids) == set(failed)


async def test_the_tag_dialog_offers_a_tag_only_when_every_channel_of_the_scope_carries_it():
    """Enter, Enter never spreads the cursor channel's tag over a selection: the text line holds
    the tag the highlighted scope's channels share, or nothing, and keeps what the user types."""
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        channels = sorted(screen.current.channels, key=lambda c: c.id)
        tagged = next(c for c in channels if c.tag)
        same = next(c for c in channels if c.tag == tagged.tag and c.id != tagged.id)
        other = next(c for c in channels if c.tag and c.tag != tagged.tag)

        async def offered(ids: list[int]) -> str:
            screen.table.clear_selection()
            await select(pilot, ids)
            screen.table.move_cursor_to_channel(tagged.id)
            await pilot.press("g")
            picker = await wait_screen(pilot, ScopePicker)
            await pilot.pause()
            value = picker.query_one("#scope-text", Input).value
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            return value

        assert await offered([tagged.id, other.id]) == ""
        assert await offered([tagged.id, same.id]) == tagged.tag
        assert await offered([]) == tagged.tag

        await select(pilot, [tagged.id, other.id])
        screen.table.move_cursor_to_channel(tagged.id)
        await pilot.press("g")
        picker = await wait_screen(pilot, ScopePicker)
        text = picker.query_one("#scope-text", Input)
        assert text.value == ""
        scopes = picker.query_one(OptionList)
        cursor = [s.key for s in picker._scopes].index("cursor")
        scopes.highlighted = cursor
        await wait_for(pilot, lambda: text.value == tagged.tag)
        text.value = "typed"
        scopes.highlighted = [s.key for s in picker._scopes].index("selection")
        await pilot.pause()
        assert text.value == "typed"
