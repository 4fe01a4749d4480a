"""Key import, export, restore and copy from the keyboard (Pilot), and snapshots of the previews."""

from __future__ import annotations

import pytest

import json

from textual.widgets import ContentSwitcher

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.copy_report import CopyReportScreen
from tui_channels.screens.import_preview import ImportPreviewScreen
from tui_channels.screens.key_dialogs import AccountDialog
from tui_channels.screens.key_library import KeyLibraryScreen
from tui_channels.screens.transfer_dialogs import ExportDialog, PromptDialog, RestoreDialog, SitePicker
from tui_channels.secret_store import SecretStore
from tui_channels.services import trash
from tui_channels.services.channel_plan import RowState
from tui_channels.services.key_library import KeyLibrary, UpstreamKey
from tui_channels.widgets.picker import Picker

from .ui_helpers import (
    batch_idle,
    demo_session,
    main_screen,
    notices,
    running_app,
    screen_text,
    wait_for,
    wait_loaded,
    wait_screen,
    without_toasts,
)

GOOD_KEY = "sk-relay-0a1b2c3d4e5f60718293"
PORT_BASE = 28410
"""Fixed ports for the import preview, whose base URLs are on screen: below Linux's ephemeral range
(32768-60999), where a client connection's leftover TIME_WAIT can block a fixed port, and apart from
the main snapshots'. The copy report shows no URL, so it takes free ports and may run alongside."""
DEAD_KEY = "sk-invalid-9f8e7d6c5b4a"


def stock_library(upstream_url: str) -> None:
    """Two pasted keys: one whose upstream lists its own models, one the upstream refuses."""
    url = f"{upstream_url}/p/openai"
    KeyLibrary(SecretStore()).add(
        [
            UpstreamKey(name="main", source="relay", base_url=url, key=GOOD_KEY),
            UpstreamKey(name="spare", source="relay", base_url=url, key=DEAD_KEY),
        ]
    )


async def open_import_preview(pilot) -> ImportPreviewScreen:
    await pilot.press("K")
    await wait_screen(pilot, KeyLibraryScreen)
    await pilot.press("a", "enter")
    return await wait_screen(pilot, ImportPreviewScreen)


async def open_copy_report(pilot) -> CopyReportScreen:
    await pilot.press("space", "space", "C")
    await wait_screen(pilot, SitePicker)
    await pilot.press("enter")
    return await wait_screen(pilot, CopyReportScreen)


async def test_keys_are_imported_from_the_library_into_the_current_site():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        demo.gateway.upstream.key_models[GOOD_KEY] = ["relay-model-a", "relay-model-b"]
        stock_library(demo.gateway.upstream_url)
        preview = await open_import_preview(pilot)
        assert [row.state for row in preview.plan.rows] == [RowState.READY, RowState.BLOCKED]
        await pilot.press("down", "e")
        await wait_screen(pilot, PromptDialog)
        await pilot.press(*"typed-model", "enter")
        await wait_screen(pilot, ImportPreviewScreen)
        assert preview.plan.rows[1].state is RowState.READY
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: batch_idle(app) and not isinstance(app.screen, ImportPreviewScreen))
        server = demo.gateway.sites[OCTOPUS_SITE].server
        created = {c["name"]: c for c in server.channels.values() if c["name"].startswith("relay |")}
        assert created["relay | main (auto)"]["model"] == "relay-model-a,relay-model-b"
        spare = created["relay | spare (auto)"]
        assert (spare["model"], spare["custom_model"]) == ("typed-model", "")
        screen = main_screen(app)
        assert {"relay | main (auto)", "relay | spare (auto)"} <= {c.name for c in screen.current.channels}
        assert screen.table.total_count == len(server.channels)


async def test_a_relay_account_is_added_and_its_enabled_tokens_listed():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        relay = demo.gateway.sites[NEWAPI_SITE]
        user = next(u for u in relay.server.tokens.users.values() if u.username == "relay-user")
        await pilot.press("K")
        library = await wait_screen(pilot, KeyLibraryScreen)
        await pilot.press("n")
        dialog = await wait_screen(pilot, AccountDialog)
        for widget_id, value in (
            ("#account-name", "my relay"),
            ("#account-url", relay.url),
            ("#account-user-id", str(user.id)),
            ("#account-token", user.access_token),
        ):
            dialog.query_one(widget_id).value = value
        await pilot.press("ctrl+s")
        listed = ("my relay: 3 enabled tokens", "default", "team-a")
        await wait_for(pilot, lambda: app.screen is library and all(t in screen_text(app) for t in listed), timeout=30)
        assert [profile.name for profile in app.config.key_sources] == ["my relay"]
        assert user.access_token not in screen_text(app)


async def test_channels_are_exported_to_the_chosen_file(tmp_path):
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        await pilot.press("x")
        dialog = await wait_screen(pilot, ExportDialog)
        target = tmp_path / "octopus.json"
        dialog.query_one("#export-path").value = str(target)
        await pilot.click("#export-go")
        await wait_for(pilot, target.exists)
        data = json.loads(target.read_text())
        assert data["site"] == OCTOPUS_SITE and len(data["channels"]) == len(main_screen(app).current.channels)
        assert all(c["key"] is None for c in data["channels"])


async def test_a_copy_to_another_site_shows_the_loss_report_and_takes_supplied_keys():
    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        report = await open_copy_report(pilot)
        assert report.plan.site == OCTOPUS_SITE
        assert all(row.losses for row in report.plan.rows)
        first = report.plan.rows[0]
        assert first.state is RowState.BLOCKED and "supply it" in first.reason
        assert "Cannot be carried" in screen_text(app)
        await pilot.press("k")
        await wait_screen(pilot, PromptDialog)
        await pilot.press(*"sk-supplied-key-123456", "enter")
        await wait_screen(pilot, CopyReportScreen)
        assert first.state is RowState.READY and "sk-supplied-key-123456" not in screen_text(app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: batch_idle(app) and not isinstance(app.screen, CopyReportScreen))
        server = demo.gateway.sites[OCTOPUS_SITE].server
        copied = [c for c in server.channels.values() if c["name"] == first.spec.name]
        assert [c["key"] for c in copied] == ["sk-supplied-key-123456"]


async def test_channels_are_restored_from_an_export_file(tmp_path):
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("space", "x")
        dialog = await wait_screen(pilot, ExportDialog)
        path = tmp_path / "one.json"
        dialog.query_one("#export-path").value = str(path)
        dialog.query_one("#export-keys").value = True
        await pilot.click("#export-go")
        await wait_for(pilot, path.exists)
        exported = json.loads(path.read_text())["channels"][0]
        demo.gateway.sites[OCTOPUS_SITE].server.channels.pop(exported["id"])
        await pilot.press("r")
        await wait_loaded(pilot)
        await pilot.press("L")
        restore = await wait_screen(pilot, RestoreDialog)
        restore.query_one("#restore-path").value = str(path)
        await pilot.click("#restore-file")
        report = await wait_screen(pilot, CopyReportScreen)
        assert [row.state for row in report.plan.rows] == [RowState.READY]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: batch_idle(app) and exported["name"] in {c.name for c in screen.current.channels})


async def test_a_restore_is_planned_against_the_server_not_the_list_loaded_before_a_delete_elsewhere(tmp_path):
    """The channel went from the server after the app listed it (another admin, another tool): the
    restore's preview lists the site again and finds it gone, not "already present"."""
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("space", "x")
        dialog = await wait_screen(pilot, ExportDialog)
        path = tmp_path / "one.json"
        dialog.query_one("#export-path").value = str(path)
        dialog.query_one("#export-keys").value = True
        await pilot.click("#export-go")
        await wait_for(pilot, path.exists)
        exported = json.loads(path.read_text())["channels"][0]
        demo.gateway.sites[OCTOPUS_SITE].server.channels.pop(exported["id"])
        assert exported["name"] in {c.name for c in screen.current.channels}, "the app's list is from before"
        await pilot.press("L")
        restore = await wait_screen(pilot, RestoreDialog)
        restore.query_one("#restore-path").value = str(path)
        await pilot.click("#restore-file")
        report = await wait_screen(pilot, CopyReportScreen)
        assert [row.state for row in report.plan.rows] == [RowState.READY]


async def test_an_export_names_the_groups_the_server_holds_not_those_listed_before(tmp_path):
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        server = demo.gateway.sites[OCTOPUS_SITE].server
        await wait_for(pilot, lambda: bool(screen.current.groups))
        gone = server.groups.groups.pop(min(server.groups.groups))["name"]
        assert gone in {g.name for g in screen.current.groups}, "the app's list is from before"
        await pilot.press("x")
        dialog = await wait_screen(pilot, ExportDialog)
        path = tmp_path / "all.json"
        dialog.query_one("#export-path").value = str(path)
        await pilot.click("#export-go")
        await wait_for(pilot, path.exists)
        names = {g["name"] for g in json.loads(path.read_text())["groups"]}
        assert names and gone not in names


async def test_deleted_channels_are_restored_from_the_trash():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        doomed = screen.current.channels[0]
        trash.append([doomed], site=OCTOPUS_SITE, capabilities=screen.current.capabilities)
        demo.gateway.sites[OCTOPUS_SITE].server.channels.pop(doomed.id)
        await pilot.press("r")
        await wait_loaded(pilot)
        await pilot.press("L")
        dialog = await wait_screen(pilot, RestoreDialog)
        dialog.query_one("#restore-trash").select(0)
        await pilot.click("#restore-trash-go")
        report = await wait_screen(pilot, CopyReportScreen)
        assert [(row.spec.name, row.state) for row in report.plan.rows] == [(doomed.name, RowState.READY)]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: batch_idle(app) and doomed.name in {c.name for c in screen.current.channels})
        server = demo.gateway.sites[OCTOPUS_SITE].server
        assert [c["key"] for c in server.channels.values() if c["name"] == doomed.name] == [doomed.key]

        # restored once: the trash no longer offers it, so a second restore cannot make a duplicate
        assert trash.read() == [] and len(trash.read(include_restored=True)) == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("L")
        dialog = await wait_screen(pilot, RestoreDialog)
        assert not dialog.query("#restore-trash")
        await pilot.click("#restore-purge")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Purged 1 record" in n.message for n in notices(app)))
        assert trash.read(include_restored=True) == []


async def test_a_restore_into_an_emptied_site_replaces_the_empty_message_with_the_table():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        doomed = screen.current.channels[0]
        trash.append([doomed], site=OCTOPUS_SITE, capabilities=screen.current.capabilities)
        demo.gateway.sites[OCTOPUS_SITE].server.channels.clear()
        await pilot.press("r")
        await wait_loaded(pilot)
        body = screen.query_one("#body", ContentSwitcher)
        assert body.current == "empty"
        await pilot.press("L")
        dialog = await wait_screen(pilot, RestoreDialog)
        dialog.query_one("#restore-trash").select(0)
        await pilot.click("#restore-trash-go")
        await wait_screen(pilot, CopyReportScreen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: batch_idle(app) and len(screen.current.channels) == 1)
        await wait_for(pilot, lambda: body.current == "table")
        assert screen.table.row_count == 1


async def test_the_restore_dialog_offers_only_the_channels_deleted_from_its_site():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, _demo):
        screen = main_screen(app)
        mine, theirs = screen.current.channels[:2]
        capabilities = screen.current.capabilities
        trash.append([mine], site=OCTOPUS_SITE, capabilities=capabilities)
        trash.append([theirs], site=NEWAPI_SITE, capabilities=capabilities)
        await pilot.press("L")
        dialog = await wait_screen(pilot, RestoreDialog)
        picker = dialog.query_one("#restore-trash", Picker)
        assert [option.prompt.plain.split("#")[-1] for option in picker.options] == [f"{mine.id} {mine.name}"]


async def test_the_trash_picker_marks_only_picked_rows_and_a_picks_all_or_none():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, _demo):
        screen = main_screen(app)
        trash.append(screen.current.channels[:3], site=OCTOPUS_SITE, capabilities=screen.current.capabilities)
        await pilot.press("L")
        dialog = await wait_screen(pilot, RestoreDialog)
        picker = dialog.query_one("#restore-trash", Picker)
        picker.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: len(picker.selected) == 1)
        buttons = [picker.render_line(y).text[:3] for y in range(3)]
        assert buttons[0] != buttons[1] == buttons[2]
        assert "X" not in buttons[1]
        await pilot.press("a")
        await wait_for(pilot, lambda: sorted(picker.selected) == [0, 1, 2])
        await pilot.press("a")
        await wait_for(pilot, lambda: picker.selected == [])


# -- snapshots ----------------------------------------------------------------------------------

@pytest.mark.xdist_group("snapshots")
def test_snapshot_import_preview(snap_compare):
    with demo_session(channels=20, port_base=PORT_BASE) as demo:
        demo.gateway.upstream.key_models[GOOD_KEY] = ["relay-model-a", "relay-model-b"]
        stock_library(demo.gateway.upstream_url)

        async def preview(pilot) -> None:
            await wait_loaded(pilot)
            await open_import_preview(pilot)
            await without_toasts(pilot)

        assert snap_compare(ChannelsApp(site=OCTOPUS_SITE), terminal_size=(120, 40), run_before=preview)


def test_snapshot_copy_report(snap_compare):
    with demo_session(channels=20):

        async def report(pilot) -> None:
            await wait_loaded(pilot)
            await open_copy_report(pilot)
            await without_toasts(pilot)

        assert snap_compare(ChannelsApp(site=NEWAPI_SITE), terminal_size=(120, 40), run_before=report)
