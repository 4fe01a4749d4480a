"""Enabling and disabling many channels asks first, leaves auto-disabled channels alone unless told,
and ctrl+z sets each channel back to the status it had (issue 13, item 2)."""

from __future__ import annotations

from textual.widgets import Input

from tui_channels.demo.session import NEWAPI_SITE
from tui_channels.services.journal import read_entries
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen

from .ui_helpers import main_screen, notices, running_app, wait_for, wait_screen

ENABLED, DISABLED, AUTO = 1, 2, 3


def statuses(demo) -> dict[int, int]:
    return {i: r["status"] for i, r in demo.gateway.sites[NEWAPI_SITE].server.store.items()}


def message(screen) -> str:
    return str(screen.query_one("#confirm-message").render())


async def finish_batch(pilot) -> None:
    """Wait for the batch's results screen and close it."""
    await wait_screen(pilot, BatchResultsScreen, timeout=30)
    await pilot.press("escape")
    await wait_for(pilot, lambda: not main_screen(pilot.app).batch_running and pilot.app.screen is main_screen(pilot.app))


async def test_disabling_every_channel_asks_first_and_cancel_changes_nothing():
    async with running_app() as (app, pilot, demo):
        before = statuses(demo)
        await pilot.press("a", "minus")
        confirm = await wait_screen(pilot, StatusConfirmScreen)
        enabled = sum(s == ENABLED for s in before.values())
        text = message(confirm)
        assert f"{enabled} channels will be disabled" in text
        assert f"{len(before) - enabled} others, already disabled (" in text
        assert "auto-disabled by the gateway" in text
        await pilot.press("enter")  # focus starts on Cancel: a stray Enter changes nothing
        await wait_for(pilot, lambda: app.screen is main_screen(app))
        assert statuses(demo) == before
        assert any("Nothing was changed" in n.message for n in notices(app))


async def test_disable_leaves_auto_disabled_channels_alone_and_undo_restores_each_status():
    async with running_app() as (app, pilot, demo):
        before = statuses(demo)
        assert AUTO in before.values() and DISABLED in before.values()
        await pilot.press("a", "minus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await finish_batch(pilot)
        after = statuses(demo)
        assert all(s != ENABLED for s in after.values())
        assert {i for i, s in after.items() if s == AUTO} == {i for i, s in before.items() if s == AUTO}

        await pilot.press("ctrl+z")
        undo = await wait_screen(pilot, ConfirmScreen)
        assert f"{sum(s == ENABLED for s in before.values())} to enabled" in message(undo)
        await pilot.press("y")
        await finish_batch(pilot)
        assert statuses(demo) == before
        shown = {c.id: c.status.value for c in main_screen(app).current.channels}
        assert shown == {i: {1: "enabled", 2: "manually_disabled", 3: "auto_disabled"}[s] for i, s in before.items()}

        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: any("No enable or disable to undo" in n.message for n in notices(app)))


async def test_enable_says_what_is_auto_disabled_and_can_leave_it_alone():
    async with running_app() as (app, pilot, demo):
        before = statuses(demo)
        await pilot.press("a", "plus")
        confirm = await wait_screen(pilot, StatusConfirmScreen)
        automatic = sum(s == AUTO for s in before.values())
        assert f"Auto-disabled by the gateway because they failed: {automatic} of them" in message(confirm)
        await pilot.press("s")
        await finish_batch(pilot)
        after = statuses(demo)
        assert {i for i, s in after.items() if s == AUTO} == {i for i, s in before.items() if s == AUTO}
        assert all(s == ENABLED for i, s in after.items() if before[i] != AUTO)

        await pilot.press("ctrl+z")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await finish_batch(pilot)
        assert statuses(demo) == before


async def test_the_confirmation_counts_channels_the_filter_hides():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("a")
        selected = set(screen.table.selected_ids)
        search = screen.query_one("#search", Input)
        search.value = "openai"
        await wait_for(pilot, lambda: len(screen.table.visible_ids()) < len(selected))
        visible = screen.table.visible_ids()
        screen.table.focus()
        await pilot.press("minus")
        confirm = await wait_screen(pilot, StatusConfirmScreen)
        store = demo.gateway.sites[NEWAPI_SITE].server.store
        hidden = sum(1 for i in selected - visible if store[i]["status"] == ENABLED)
        assert hidden and f"{hidden} of the " in message(confirm) and "hidden by the current filter" in message(confirm)
        await pilot.press("n")


async def test_one_enabled_channel_is_disabled_without_a_question():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        channel = next(c for c in screen.current.channels if c.status.is_enabled)
        screen.table.move_cursor_to_channel(channel.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: statuses(demo)[channel.id] == DISABLED)
        assert not isinstance(app.screen, StatusConfirmScreen)


def test_counts_agree_with_their_nouns():
    from tui_channels.wording import plural

    assert [plural(n, "key") for n in (0, 1, 2, 1200)] == ["0 keys", "1 key", "2 keys", "1,200 keys"]


async def test_undo_reads_the_server_not_the_rows_loaded_before():
    """Another admin turned the channel back on after our disable: the rows still say disabled, the
    server says enabled. The undo reads the server, leaves the channel alone and shows it enabled."""
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        channel = next(c for c in screen.current.channels if c.status.is_enabled)
        screen.table.move_cursor_to_channel(channel.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: statuses(demo)[channel.id] == DISABLED)
        await wait_for(pilot, lambda: not screen.batch_running)
        demo.gateway.sites[NEWAPI_SITE].server.store[channel.id]["status"] = ENABLED
        assert next(c for c in screen.current.channels if c.id == channel.id).status.is_disabled

        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: any("Nothing to undo" in n.message for n in notices(app)))
        note = next(n.message for n in notices(app) if "Nothing to undo" in n.message)
        assert f"#{channel.id} {channel.name} (now enabled)" in note and "0 channels" not in note
        assert next(c for c in screen.current.channels if c.id == channel.id).status.is_enabled
        assert screen.table.cursor_channel.id == channel.id and screen.table.cursor_channel.status.is_enabled
        assert not isinstance(app.screen, ConfirmScreen)


def test_an_undo_says_the_status_it_writes_not_one_it_cannot():
    """After enabling a channel disabled by hand and one auto-disabled by the gateway, the undo
    sets both to disabled by hand (a client cannot mark a channel auto-disabled): its description
    says so, and never promises "to auto-disabled"."""
    from tui_channels.models import Channel, ChannelStatus, ChannelType
    from tui_channels.services.status_change import StatusChange, UndoPlan

    before = {1: ChannelStatus.MANUALLY_DISABLED, 2: ChannelStatus.AUTO_DISABLED}
    change = StatusChange("Enable", before=before, after=dict.fromkeys(before, ChannelStatus.ENABLED))
    openai = ChannelType(1, "OpenAI")
    restore = tuple(Channel(id=i, name=f"c{i}", type=openai, status=ChannelStatus.ENABLED) for i in before)
    text = UndoPlan(change, restore, ()).describe()
    assert f"2 to {ChannelStatus.MANUALLY_DISABLED.label}" in text
    assert ChannelStatus.AUTO_DISABLED.label not in text.splitlines()[0]
    assert "1 of them was auto-disabled before the change: it is set to disabled by hand" in text
    assert "re-enable it once its upstream works" in text and "them" not in text.split("by hand")[1]
    one = UndoPlan(change, restore[1:], ()).describe()
    assert "It was auto-disabled before the change" in one and "of them" not in one
    many = {i: ChannelStatus.AUTO_DISABLED for i in (1, 2, 3)}
    change = StatusChange("Enable", before=many, after=dict.fromkeys(many, ChannelStatus.ENABLED))
    three = tuple(Channel(id=i, name=f"c{i}", type=openai, status=ChannelStatus.ENABLED) for i in many)
    assert "3 of them were auto-disabled before the change: they are set" in UndoPlan(change, three, ()).describe()


async def test_undo_checks_the_server_again_right_before_writing():
    """The undo's confirmation stays open while the gateway auto-disables a channel the undo would
    enable again: the undo reads the server once more before writing, leaves that channel alone
    with the reason, puts the others back and shows the channel as the server holds it."""
    async with running_app() as (app, pilot, demo):
        before = statuses(demo)
        await pilot.press("a", "minus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await finish_batch(pilot)

        await pilot.press("ctrl+z")
        await wait_screen(pilot, ConfirmScreen)
        failing = min(i for i, s in before.items() if s == ENABLED)
        demo.gateway.sites[NEWAPI_SITE].server.store[failing]["status"] = AUTO
        await pilot.press("y")
        results = await wait_screen(pilot, BatchResultsScreen, timeout=30)
        refused = [r for r in results._results if r.channel_id == failing]
        assert refused and "changed since the undo was checked" in refused[0].message
        await pilot.press("escape")
        await wait_for(pilot, lambda: not main_screen(app).batch_running and app.screen is main_screen(app))
        assert statuses(demo) == {**before, failing: AUTO}
        shown = next(c for c in main_screen(app).current.channels if c.id == failing)
        assert shown.status.value == "auto_disabled"


def journalled() -> list:
    return list(read_entries(site=NEWAPI_SITE).entries)


async def test_every_undo_of_a_status_change_is_journalled_as_the_undo_of_its_entry():
    """u over one channel and ctrl+z over a selection write entries with action `undo`, each naming
    the entry that wrote its channel's status, as an undo from the history does."""
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        channel = next(c for c in screen.current.channels if c.status.is_enabled)
        screen.table.move_cursor_to_channel(channel.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: len(journalled()) == 1 and not screen.batch_running)
        single = journalled()[0]
        await pilot.press("u")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: len(journalled()) == 2)
        last = journalled()[-1]
        assert (last.action, last.undoes, last.changes[0].id) == ("undo", single.id, channel.id)
        await wait_for(pilot, lambda: statuses(demo)[channel.id] == ENABLED)
        if isinstance(app.screen, BatchResultsScreen):
            await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.batch_running and app.screen is screen)

        await pilot.press("a", "minus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await finish_batch(pilot)
        disables = {e.changes[0].id: e.id for e in journalled()[2:]}
        assert len(disables) > 1

        await pilot.press("ctrl+z")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await finish_batch(pilot)
        undos = journalled()[2 + len(disables):]
        assert len(undos) == len(disables)
        assert all(e.action == "undo" for e in undos)
        assert {e.changes[0].id: e.undoes for e in undos} == disables


def test_a_confirmation_names_one_auto_disabled_or_hidden_channel_in_the_singular():
    """"1 of them … Enabling them" and "1 of the 3 are hidden" read as plurals for one channel."""
    from tui_channels.models import Channel, ChannelStatus, ChannelType
    from tui_channels.services.status_change import StatusPlan, StatusPlans, plan_summary

    openai = ChannelType(1, "OpenAI")
    statuses = (ChannelStatus.AUTO_DISABLED, ChannelStatus.MANUALLY_DISABLED, ChannelStatus.MANUALLY_DISABLED)
    targets = tuple(Channel(id=i, name=f"c{i}", type=openai, status=s) for i, s in enumerate(statuses, 1))
    text = plan_summary(StatusPlans((StatusPlan(True, targets, hidden_ids=frozenset({2})),)))
    assert "1 of the 3 is hidden by the current filter." in text
    assert "because it failed: 1 of them. Enabling it sends requests to it again." in text


async def test_a_channel_set_back_while_the_undo_is_confirmed_is_skipped_not_failed():
    """Another admin re-enables a channel while the undo's confirmation is open: it is where the
    undo would put it, so it is left alone as skipped (ctrl+r has nothing to retry), not failed."""
    async with running_app() as (app, pilot, demo):
        before = statuses(demo)
        await pilot.press("a", "minus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await finish_batch(pilot)

        await pilot.press("ctrl+z")
        await wait_screen(pilot, ConfirmScreen)
        meanwhile = min(i for i, s in before.items() if s == ENABLED)
        demo.gateway.sites[NEWAPI_SITE].server.store[meanwhile]["status"] = ENABLED
        await pilot.press("y")
        results = await wait_screen(pilot, BatchResultsScreen, timeout=30)
        [left] = [r for r in results._results if r.channel_id == meanwhile]
        assert (left.outcome.value, left.message) == ("skipped", "already enabled (set so since the undo was checked): left alone")
        assert not any(r.outcome.value == "failed" for r in results._results)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not main_screen(app).batch_running and app.screen is main_screen(app))
        assert statuses(demo) == before
        shown = next(c for c in main_screen(app).current.channels if c.id == meanwhile)
        assert shown.status.is_enabled


async def test_undo_leaves_alone_a_channel_that_took_the_id_of_the_one_disabled():
    """New API gives the highest id again once its channel is deleted: after our disable, another
    admin deletes the channel, creates another (it gets the id) and disables it. ctrl+z must not
    enable that other channel."""
    import time

    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        server = demo.gateway.sites[NEWAPI_SITE].server
        channel = max((c for c in screen.current.channels if c.status.is_enabled), key=lambda c: c.id)
        for other_id in [i for i in server.store if i > channel.id]:
            server.table.delete([other_id])
        screen.table.move_cursor_to_channel(channel.id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: statuses(demo)[channel.id] == DISABLED)
        await wait_for(pilot, lambda: not screen.batch_running)
        row = {**server.record(channel.id), "id": 0, "name": "undo-id-other", "created_time": int(time.time()) + 60}
        server.table.delete([channel.id])
        assert server.table.insert(row) == channel.id

        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: any("Nothing to undo" in n.message for n in app._notifications))
        note = next(n.message for n in app._notifications if "Nothing to undo" in n.message)
        assert f"#{channel.id} {channel.name} (gone: #{channel.id} is now undo-id-other)" in note
        assert statuses(demo)[channel.id] == DISABLED
