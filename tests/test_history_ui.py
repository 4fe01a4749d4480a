"""The history screen from the keyboard, over a New API and an Octopus demo site: changes made in
the app are listed per site or for every site, filtered, and undone after a confirmation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from dataclasses import replace

import pytest
from textual.widgets import Button, DataTable

from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.model_groups import GroupMember, ModelGroup
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.copy_report import CopyReportScreen
from tui_channels.screens import history as history_screen
from tui_channels.screens.history import HistoryScreen
from tui_channels.screens.main import MainScreen
from tui_channels.services.channel_view import ChannelRef
from tui_channels.models import ChannelSpec, ChannelStatus
from tui_channels.services.channel_plan import RowState
from tui_channels.services.creation import create_channel
from tui_channels.services.journal import Change, Journal
from tui_channels.services.recorder import acting, one_batch

from .backend_helpers import connect
from .ui_helpers import (
    app_on_sites,
    forget_notices,
    is_loaded,
    main_screen,
    notices,
    screen_text,
    wait_for,
    wait_screen,
)

_names = itertools.count(1)


def _sites(gateway: DemoGateway) -> tuple[DemoSite, DemoSite]:
    number = next(_names)
    return (
        gateway.add_newapi(f"ui-hist-na-{number}", channels=12),
        gateway.add_octopus(f"ui-hist-oct-{number}", channels=6),
    )


async def _on_channel(pilot, channel_id: int) -> None:
    screen = main_screen(pilot.app)
    screen.table.move_cursor_to_channel(channel_id)
    await pilot.pause()


async def _back_to_main(pilot) -> MainScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen) and is_loaded(pilot.app))
    return main_screen(pilot.app)


async def _open_history(pilot) -> HistoryScreen:
    await pilot.press("h")
    screen = await wait_screen(pilot, HistoryScreen)
    await wait_for(pilot, lambda: screen.loaded)
    return screen


async def _disable(pilot, site: DemoSite, channel_id: int, flag: str) -> None:
    await _on_channel(pilot, channel_id)
    await pilot.press("minus")
    await wait_for(pilot, lambda: site.server.record(channel_id)[flag] in (False, 2))
    # The entry is appended once the server has answered: wait for it, not for the server alone.
    await wait_for(pilot, lambda: any(channel_id in e.channel_ids() for e in Journal(site.name).entries()))
    await _back_to_main(pilot)


async def test_changes_on_two_sites_are_listed_and_one_is_undone(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    na_channel = next(i for i, r in newapi.server.store.items() if r["status"] == 1)
    oct_channel = next(i for i, r in octopus.server.channels.items() if r["enabled"])
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await _disable(pilot, newapi, na_channel, "status")
        main_screen(app).open_site(octopus.name)
        await _back_to_main(pilot)
        await _disable(pilot, octopus, oct_channel, "enabled")

        history = await _open_history(pilot)
        table = history.query_one(DataTable)
        assert table.row_count == 1 and f"{octopus.name} · 1 entry" in screen_text(app)
        await pilot.press("a")
        assert table.row_count == 2 and "every site" in screen_text(app)
        await pilot.press("down")
        assert f"Entry 1 on {newapi.name}" in screen_text(app)

        await pilot.press("u")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "status disabled → enabled" in str(confirm.query_one("#confirm-message").render())
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: newapi.server.record(na_channel)["status"] == 1)
        await wait_for(pilot, lambda: "undone" in screen_text(app))
        undo = Journal(newapi.name).entries()[-1]
        assert (undo.undoes, undo.op, undo.ok) == (1, "status", True)

        await pilot.press("slash", *octopus.name, "enter")
        assert table.row_count == 1
        await pilot.press("slash", *["backspace"] * len(octopus.name), *"undo", "enter")
        assert table.row_count == 1 and f"Entry 2 on {newapi.name}" in screen_text(app)
        await pilot.press("escape")
        await _back_to_main(pilot)
        assert octopus.server.record(oct_channel)["enabled"] is False


async def test_a_deleted_new_api_channel_comes_back_once_its_key_is_typed(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    gone = next(i for i, r in newapi.server.store.items() if r["status"] != 1)
    name = newapi.server.record(gone)["name"]
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await _on_channel(pilot, gone)
        await pilot.press("delete")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: gone not in newapi.server.store)
        await _back_to_main(pilot)

        await _open_history(pilot)
        await pilot.press("u")
        report = await wait_screen(pilot, CopyReportScreen)
        assert "supply it" in screen_text(app)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"sk-history-typed-key-0123", "enter")
        await wait_for(pilot, lambda: report.plan.rows[0].spec.key != "")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(r["name"] == name for r in newapi.server.store.values()))
        await wait_screen(pilot, HistoryScreen)
        await wait_for(pilot, lambda: "undo #1" in screen_text(app))
        assert any(f"Undid entry 1 on {newapi.name}: created 1 channel again." in n.message for n in notices(app))
        await pilot.press("escape")
        screen = await _back_to_main(pilot)
        await wait_for(pilot, lambda: any(c.name == name for c in screen.current.channels))


@pytest.mark.parametrize("flavor", ["newapi", "octopus"])
async def test_a_delete_undo_leaves_a_channel_recreated_while_its_preview_was_open(gateway, monkeypatch, flavor) -> None:
    """The preview found no channel like the deleted one; another admin creates one while it is
    open: the undo lists the site again right before creating, creates nothing, and says why
    (New API takes two channels of one name: without the check it would hold two)."""
    newapi, octopus = _sites(gateway)
    site, other_site = (newapi, octopus) if flavor == "newapi" else (octopus, newapi)
    records = site.server.store if flavor == "newapi" else site.server.channels
    gone_id = next(iter(records))
    records[gone_id].update({"status": 2} if flavor == "newapi" else {"enabled": False})
    async with app_on_sites(monkeypatch, site, other_site) as (app, pilot):
        session = main_screen(app).current
        gone = next(c for c in session.channels if c.id == gone_id)
        await _on_channel(pilot, gone.id)
        await pilot.press("delete")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: gone.id not in records)
        await _back_to_main(pilot)

        await _open_history(pilot)
        await pilot.press("u")
        report = await wait_screen(pilot, CopyReportScreen)
        if flavor == "newapi":
            await pilot.press("k")
            await pilot.pause()
            await pilot.press(*"sk-history-typed-key-0123", "enter")
            await wait_for(pilot, lambda: report.plan.rows[0].spec.key != "")
        assert [row.state for row in report.plan.rows] == [RowState.READY]
        other = await connect(site)
        try:
            spec = ChannelSpec(
                name=gone.name, type=gone.type.code, key="sk-recreated-meanwhile-0123", base_url=gone.base_url, models=("gpt-4o",)
            )
            await create_channel(other, spec)
        finally:
            await other.close()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(n.title == "Undo incomplete" for n in notices(app)))
        note = next(n.message for n in notices(app) if n.title == "Undo incomplete")
        assert "left alone (a channel like it is on the server)" in note
        assert f"a channel named {gone.name!r} exists" in note and "appeared after the preview" in note
        assert [r["name"] for r in records.values()].count(gone.name) == 1


async def test_an_undo_that_cannot_be_done_says_why(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        session = main_screen(app).current
        channel = session.channels[0]
        await session.backend.update_channel(channel, {"key": "sk-history-rotated-0123456789"})
        await session.backend.update_channel(channel, {"priority": 9})
        newapi.server.store[channel.id]["priority"] = 11
        await _open_history(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: any("priority is 11" in str(n.message) for n in notices(app)))
        await pilot.press("down")
        assert "Cannot be undone: it changed only key" in screen_text(app)
        await pilot.press("u")
        await wait_for(pilot, lambda: any("cannot be undone: it changed only key" in str(n.message) for n in notices(app)))
        assert isinstance(app.screen, HistoryScreen)


async def test_an_octopus_group_edit_is_undone_from_the_history(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        main_screen(app).open_site(octopus.name)
        session = (await _back_to_main(pilot)).current
        backend = session.backend
        spec = backend.capabilities.groups
        members = tuple(GroupMember(c.id, c.models[0]) for c in session.channels[:2])
        saved = await backend.create_model_group(ModelGroup(None, "history-fast", spec.default_mode, members))
        await backend.update_model_group(saved, replace(saved, name="history-faster", members=members[:1]))

        await _open_history(pilot)
        assert "group history-faster" in screen_text(app) and "group edit" in screen_text(app)
        await pilot.press("u")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert "name history-faster → history-fast" in str(confirm.query_one("#confirm-message").render())
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: "undone" in screen_text(app))
        [group] = [g for g in await backend.list_model_groups() if g.id == saved.id]
        assert group.name == "history-fast" and len(group.members) == 2
        assert Journal(octopus.name).entries()[-1].undoes == 2


async def test_a_long_history_shows_its_newest_entries_and_the_filter_reaches_all(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    monkeypatch.setattr(history_screen, "SHOWN_AT_MOST", 3)
    journal = Journal(newapi.name)
    for number in range(1, 8):
        change = Change(id=number, name=f"old-{number}", before={"priority": 0}, after={"priority": number})
        journal.append(at=datetime.now(UTC), backend="newapi", flavor="newapi", op="update", changes=(change,))
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await _back_to_main(pilot)
        history = await _open_history(pilot)
        table = history.query_one(DataTable)
        assert table.row_count == 3 and "7 entries · the newest 3 shown" in screen_text(app)
        await pilot.press("slash", *"old-1", "enter")
        assert table.row_count == 1 and "Entry 1 on" in screen_text(app)


def _notified(app, text: str) -> bool:
    return any(text in str(n.message) for n in notices(app))


async def test_an_edit_with_a_new_key_is_undone_except_the_key_and_says_so(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        session = main_screen(app).current
        channel = session.channels[0]
        await session.backend.update_channel(channel, {"key": "sk-history-rotated-0123456789", "priority": 9})
        await _open_history(pilot)
        assert "u undoes it" in screen_text(app)
        await pilot.press("u")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert f"Undo entry 1 on {newapi.name}, except the key?" in screen_text(app)
        assert "The key cannot be restored: the journal never keeps secrets" in str(confirm.query_one("#confirm-message").render())
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: _notified(app, f"Undid entry 1 on {newapi.name}: put back 1 channel."))
        assert _notified(app, "The key cannot be restored: the journal never keeps secrets")
        record = newapi.server.record(channel.id)
        assert record["priority"] == channel.priority and record["key"] == "sk-history-rotated-0123456789"


async def test_after_an_undo_the_fleet_shows_what_the_server_holds(gateway, monkeypatch) -> None:
    newapi, octopus = _sites(gateway)
    channel_id = next(i for i, r in newapi.server.store.items() if r["status"] == 1)
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await _disable(pilot, newapi, channel_id, "status")
        screen = main_screen(app)
        screen.open_fleet()
        await wait_for(pilot, lambda: screen.fleet is not None and not screen.fleet.pending_sites())
        key = ChannelRef(newapi.name, channel_id)

        def shown():
            return screen.table.index.channel(screen.table.index.position(key))

        await wait_for(pilot, lambda: screen.table.index.position(key) is not None)
        assert shown().status.is_disabled
        await _open_history(pilot)
        await pilot.press("u")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: _notified(app, f"Undid entry 1 on {newapi.name}: put back 1 channel."))
        assert newapi.server.record(channel_id)["status"] == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: screen.table.index.position(key) is not None and shown().status.is_enabled)


async def test_undo_on_an_empty_history_says_there_is_nothing_to_undo(gateway, monkeypatch) -> None:
    """`u` and `U` are shown in the footer; with no entry under the cursor they say why, never
    nothing at all."""
    site = gateway.add_newapi(f"ui-hist-empty-{next(_names)}", channels=2)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await _open_history(pilot)
        for key in ("u", "U"):
            forget_notices(app)
            await pilot.press(key)
            await wait_for(pilot, lambda: any("Nothing to undo" in str(n.message) for n in notices(app)))


async def test_home_and_end_move_the_cursor_to_the_first_and_last_entry(gateway, monkeypatch) -> None:
    """`u` acts on the entry under the cursor: Home and End must move it, not only scroll."""
    newapi, octopus = _sites(gateway)
    journal = Journal(newapi.name)
    for number in range(1, 5):
        change = Change(id=number, name=f"row-{number}", before={"priority": 0}, after={"priority": number})
        journal.append(at=datetime.now(UTC), backend="newapi", flavor="newapi", op="update", changes=(change,))
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await _back_to_main(pilot)
        history = await _open_history(pilot)
        table = history.query_one(DataTable)
        table.focus()
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: table.cursor_row == 2)
        await pilot.press("home")
        await wait_for(pilot, lambda: table.cursor_row == 0)
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row == table.row_count - 1)


async def test_every_header_of_a_long_history_shows_whole_at_80x24(gateway, monkeypatch) -> None:
    """More entries than the screen holds bring a scrollbar: the last header still reads "Change"
    whole and "Result" is there, on one site and on every site (the last one read "Resu")."""
    newapi, octopus = _sites(gateway)
    journal = Journal(newapi.name)
    for number in range(1, 40):
        change = Change(id=number, name=f"long-{number}", before={"priority": 0}, after={"priority": number})
        journal.append(at=datetime.now(UTC), backend="newapi", flavor="newapi", op="update", changes=(change,))
    async with app_on_sites(monkeypatch, newapi, octopus, size=(80, 24)) as (app, pilot):
        await _back_to_main(pilot)
        history = await _open_history(pilot)
        for scope in ("one site", "every site"):
            await wait_for(pilot, lambda: history.query_one(DataTable).row_count > 20)
            header = next(line for line in screen_text(app).splitlines() if "When (UTC)" in line)
            assert header.split()[-1] == "Change" and "Result" in header.split(), (scope, header)
            if scope == "one site":
                await pilot.press("a")
                await wait_for(pilot, lambda: "every site" in screen_text(app) and "Site" in screen_text(app))


async def test_a_batch_undo_names_the_channel_a_later_entry_changed_back_and_that_entry(gateway, monkeypatch) -> None:
    """A batch member whose channel a later entry set back is left alone, and the confirmation says
    which channel and which entry: it was not undone, it was changed since."""
    newapi, octopus = _sites(gateway)
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        backend = main_screen(app).current.backend
        first, second = [c for c in main_screen(app).current.channels if c.status is ChannelStatus.ENABLED][:2]
        with acting("disable"), one_batch():
            await backend.set_status(first.id, False)
            await backend.set_status(second.id, False)
        with acting("enable"):
            await backend.set_status(first.id, True)
        latest = Journal(newapi.name).entries()[-1]
        history = await _open_history(pilot)
        await pilot.press("down")
        assert history.query_one(DataTable).cursor_row == 1
        await pilot.press("U")
        await wait_screen(pilot, ConfirmScreen)
        text = str(app.screen.query_one("#confirm-message").render())
        assert f"#{first.id} {first.name}: already enabled (changed since by entry {latest.id})" in text
        assert "undone already" not in text


async def test_undo_refuses_a_channel_that_took_the_id_of_the_one_disabled(gateway, monkeypatch) -> None:
    """New API gives the highest id again once its channel is deleted: `u` on the disable of a
    channel deleted since refuses, naming the channel there now, and never enables it."""
    newapi, octopus = _sites(gateway)
    highest = max(newapi.server.store)
    newapi.server.store[highest]["status"] = 1
    name = newapi.server.record(highest)["name"]
    async with app_on_sites(monkeypatch, newapi, octopus) as (app, pilot):
        await _disable(pilot, newapi, highest, "status")
        session = main_screen(app).current
        [channel] = [c for c in session.channels if c.id == highest]
        await session.backend.delete_channel(highest)
        spec = ChannelSpec(name="history-other", type=channel.type.code, key="sk-history-other-0123456789", base_url=channel.base_url, models=("gpt-4o",))
        assert (await create_channel(session.backend, spec)).id == highest
        newapi.server.store[highest]["status"] = 2  # another admin disables the new channel

        await _open_history(pilot)
        await pilot.press("end")
        await wait_for(pilot, lambda: f"Entry 1 on {newapi.name}" in screen_text(app))
        await pilot.press("u")
        refusal = f"#{highest} is now history-other, not {name}: the channel was deleted since (entry 2)"
        await wait_for(pilot, lambda: any(refusal in str(n.message) for n in app._notifications))
        assert isinstance(app.screen, HistoryScreen) and newapi.server.record(highest)["status"] == 2
