"""Octopus groups in the app (Pilot): the groups screen, the form, add matching, delete with the trash,
restore, the groups of a channel, and the warnings when a channel is a group's last enabled member."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from tui_channels.backends.octopus.client import GROUP_DELETE, GROUP_LIST
from tui_channels.demo.faults import Fault, FaultKind
from tui_channels.demo.session import OCTOPUS_SITE
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.screens.group_form import GroupFormScreen
from tui_channels.screens.group_members import MatchingPreview, MemberPicker
from tui_channels.screens.group_plan import GroupPlanScreen, TrashedGroupPicker
from tui_channels.screens.groups import GroupsScreen
from tui_channels.screens.number_prompt import NumberPrompt
from tui_channels.services.group_transfer import read_group_trash

from .ui_helpers import WAIT_LIMIT, main_screen, running_app, screen_text, wait_for, wait_loaded, wait_screen


def stored(server) -> dict[str, dict]:
    return {g["name"]: g for g in server.groups.groups.values()}


async def type_number(pilot, key: str, value: int) -> None:
    await pilot.press(key)
    prompt = await wait_screen(pilot, NumberPrompt)
    prompt.query_one(Input).value = str(value)
    await pilot.press("enter")
    await wait_screen(pilot, GroupFormScreen)


@pytest.fixture(params=["current", "legacy"])
def generation(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_create_a_group_with_a_member_and_every_matching_model(generation: str):
    async with running_app(site=OCTOPUS_SITE, octopus_generation=generation) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        assert len(groups._shown) == len(server.groups.groups)
        await pilot.press("n")
        form = await wait_screen(pilot, GroupFormScreen)
        form.query_one("#group-name", Input).value = "gpt-4o"
        form.query_one("#group-timeout", Input).value = "20"
        form.query_one("#group-members", OptionList).focus()
        await pilot.press("m")
        preview = await wait_screen(pilot, MatchingPreview)
        expected = {
            (i, m)
            for i, r in server.channels.items()
            for m in (r["model"] + "," + r["custom_model"]).split(",")
            if "gpt-4o" in m.lower()
        }
        await wait_for(pilot, lambda: len(preview._members) == len(expected))
        assert {(m.channel_id, m.model) for m in preview._members} == expected
        await pilot.press("ctrl+s")
        await wait_screen(pilot, GroupFormScreen)
        assert len(form.group.members) == len(expected)
        await pilot.press("ctrl+s")
        await wait_screen(pilot, GroupsScreen)
        def saved() -> bool:
            """The group is written with every member (and, on current, its active member)."""
            record = stored(server).get("gpt-4o")
            if record is None or len(record["items"]) != len(expected):
                return False
            return generation == "legacy" or bool(record.get("active_item_id"))

        await wait_for(pilot, saved)
        record = stored(server)["gpt-4o"]
        assert {(i["channel_id"], i["model_name"]) for i in record["items"]} == expected
        if generation == "legacy":
            assert record["first_token_time_out"] == 20
        else:
            assert record["relay_config"]["member_stream_first_event_timeout_seconds"] == 20
            assert record["relay_config"]["member_affinity_seconds"] == 300
            first = min(record["items"], key=lambda i: i["priority"])
            # The active member is set by a second request after the create: wait for it, not for the create.
            await wait_for(pilot, lambda: stored(server)["gpt-4o"]["active_item_id"] != 0)
            assert stored(server)["gpt-4o"]["active_item_id"] == first["id"], "a manual group gets an active member"


async def test_edit_priority_weight_and_remove_a_member(generation: str):
    async with running_app(site=OCTOPUS_SITE, octopus_generation=generation) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        group_id = min(server.groups.groups)
        name = server.groups.groups[group_id]["name"]
        before = {i["id"]: dict(i) for i in server.groups.groups[group_id]["items"]}
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        groups.query_one("#groups-list", OptionList).highlighted = [g.name for g in groups._shown].index(name)
        await pilot.press("e")
        form = await wait_screen(pilot, GroupFormScreen)
        form.query_one("#group-members", OptionList).focus()
        form.query_one("#group-members", OptionList).highlighted = 0
        await type_number(pilot, "p", 7)
        if generation == "legacy":
            await type_number(pilot, "w", 5)
        form.query_one("#group-members", OptionList).highlighted = 1
        await pilot.press("d")
        await pilot.press("ctrl+s")
        await wait_screen(pilot, GroupsScreen)
        await wait_for(pilot, lambda: len(server.groups.groups[group_id]["items"]) == len(before) - 1)
        after = {i["id"]: i for i in server.groups.groups[group_id]["items"]}
        changed = [i for i in after.values() if i["priority"] == 7]
        assert len(changed) == 1
        if generation == "legacy":
            assert changed[0]["weight"] == 5
            untouched = [i for i in after.values() if i["priority"] != 7]
            assert all(i["weight"] == before[i["id"]]["weight"] for i in untouched), "weights survive an edit"


async def test_delete_goes_to_the_trash_and_restore_maps_members_back():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        group_id = min(server.groups.groups)
        original = server.groups.groups[group_id]
        name, members = original["name"], {(i["channel_id"], i["model_name"]) for i in original["items"]}
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        groups.query_one("#groups-list", OptionList).highlighted = [g.name for g in groups._shown].index(name)
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-typed", Input).value = name
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: name not in stored(server))
        assert read_group_trash(site=OCTOPUS_SITE)[0].group.name == name, "the newest record is this group's"

        await wait_screen(pilot, GroupsScreen)
        await pilot.press("L")
        await wait_screen(pilot, TrashedGroupPicker)
        await pilot.press("enter")
        plan = await wait_screen(pilot, GroupPlanScreen)
        await wait_for(pilot, lambda: "1 of 1 group ready" in screen_text(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: name in stored(server))
        restored = stored(server)[name]
        assert {(i["channel_id"], i["model_name"]) for i in restored["items"]} == members
        assert plan is not None


async def test_a_restore_pressed_right_after_the_delete_plans_against_the_server_not_the_list_reloading():
    """The list reloads after a delete; L pressed before it is back must not find the deleted group
    there ("already present") and restore nothing: the plan lists the server's groups itself."""
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        site = demo.gateway.sites[OCTOPUS_SITE]
        server = site.server
        group_id = min(server.groups.groups)
        name = server.groups.groups[group_id]["name"]
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        groups.query_one("#groups-list", OptionList).highlighted = [g.name for g in groups._shown].index(name)
        # Once the server has deleted the group, the next listing of the groups (the reload's) is
        # held until the app goes: the list still shows the deleted group while the restore is planned.
        held: list[Fault] = []

        def hold_the_reload(answer):
            held.append(site.faults.add(FaultKind.HANG, GROUP_LIST, method="GET", delay=WAIT_LIMIT * 4))
            return answer

        site.faults.add(FaultKind.REWRITE, GROUP_DELETE.format(id=group_id), rewrite=hold_the_reload)
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-typed", Input).value = name
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: name not in stored(server) and held and held[0].hits == 1)
        await wait_screen(pilot, GroupsScreen)
        assert name in [g.name for g in groups._shown], "the list is still the one from before the delete"
        await pilot.press("L")
        await wait_screen(pilot, TrashedGroupPicker)
        await pilot.press("enter")
        await wait_screen(pilot, GroupPlanScreen)
        await wait_for(pilot, lambda: "1 of 1 group ready" in screen_text(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: name in stored(server))


async def test_an_edit_of_a_group_changed_since_it_was_listed_is_refused():
    """The form was filled from the list; the server's group changed meanwhile: the update, computed
    from the listed copy, is not sent."""
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        group_id = min(server.groups.groups)
        name = server.groups.groups[group_id]["name"]
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        groups.query_one("#groups-list", OptionList).highlighted = [g.name for g in groups._shown].index(name)
        await pilot.press("e")
        form = await wait_screen(pilot, GroupFormScreen)
        dropped = server.groups.groups[group_id]["items"].pop()
        kept = [dict(i) for i in server.groups.groups[group_id]["items"]]
        form.query_one("#group-members", OptionList).focus()
        form.query_one("#group-members", OptionList).highlighted = 0
        await pilot.press("d")
        await pilot.press("ctrl+s")
        await wait_screen(pilot, GroupsScreen)
        await wait_for(pilot, lambda: any(n.title == "Not saved" for n in app._notifications))
        note = next(n.message for n in app._notifications if n.title == "Not saved")
        assert f"Group {name} changed on {OCTOPUS_SITE} since the list was loaded; nothing was saved." in note
        assert server.groups.groups[group_id]["items"] == kept, f"{dropped['model_name']} stays gone, the rest as they were"


async def test_a_channel_shows_its_groups_and_warns_before_stranding_one():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        group = next(g for g in server.groups.groups.values() if g["mode"] == "manual")
        active = next(i for i in group["items"] if i["id"] == group["active_item_id"])
        channel_id = active["channel_id"]
        server.channels[channel_id]["enabled"] = True
        screen = main_screen(app)
        await pilot.press("r")
        await wait_loaded(pilot)
        await wait_for(
            pilot,
            lambda: screen.current.groups is not None
            and any(c.id == channel_id and c.status.is_enabled for c in screen.current.channels),
        )
        screen.table.move_cursor_to_channel(channel_id)
        await pilot.press("V")
        groups = await wait_screen(pilot, GroupsScreen)
        assert group["name"] in [g.name for g in groups._shown]
        await pilot.press("escape")

        screen.table.move_cursor_to_channel(channel_id)
        await pilot.press("minus")
        confirm = await wait_screen(pilot, StatusConfirmScreen)
        message = str(confirm.query_one("#confirm-message").render())
        assert f"{group['name']}: routes only to" in message
        await pilot.click("#confirm-no")
        assert server.channels[channel_id]["enabled"] is True

        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        message = str(confirm.query_one("#confirm-message").render())
        assert "restoring a channel later does not put it back" in message
        await pilot.click("#confirm-no")


async def test_member_picker_adds_one_model():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        await pilot.press("v")
        await wait_screen(pilot, GroupsScreen)
        await pilot.press("n")
        form = await wait_screen(pilot, GroupFormScreen)
        form.query_one("#group-name", Input).value = "picked"
        form.query_one("#group-members", OptionList).focus()
        await pilot.press("a")
        picker = await wait_screen(pilot, MemberPicker)
        channel_id, record = next(iter(server.channels.items()))
        model = record["model"].split(",")[0]
        picker.query_one(Input).value = record["name"]
        await wait_for(pilot, lambda: picker.query_one(OptionList).option_count > 0)
        await pilot.press("enter", "enter")
        await wait_screen(pilot, GroupFormScreen)
        assert form.group.members[0].key == (channel_id, model)


async def test_copy_a_group_to_another_octopus_site_maps_members_by_channel_name(gateway, monkeypatch):
    from tui_channels.screens.transfer_dialogs import SitePicker

    from .ui_helpers import app_on_sites

    source = gateway.add_octopus("groups-copy-from", generation="legacy", channels=10)
    target = gateway.add_octopus("groups-copy-to", generation="current", channels=10)
    group = next(iter(source.server.groups.groups.values()))
    target.server.groups.groups.clear()
    kept = group["items"][0]["channel_id"]
    for channel_id, record in target.server.channels.items():
        if channel_id != kept:
            record["name"] = f"renamed-{channel_id}"
    async with app_on_sites(monkeypatch, source, target) as (app, pilot):
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        groups.query_one("#groups-list", OptionList).highlighted = [g.name for g in groups._shown].index(group["name"])
        await pilot.press("C")
        await wait_screen(pilot, SitePicker)
        await pilot.press("enter")
        plan = await wait_screen(pilot, GroupPlanScreen)
        text = screen_text(app)
        assert "not mapped:" in text and "not carried: member weights" in text
        assert plan is app.screen
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(g["name"] == group["name"] for g in target.server.groups.groups.values()))
        copied = next(g for g in target.server.groups.groups.values() if g["name"] == group["name"])
        assert [i["channel_id"] for i in copied["items"]] == [kept]
        assert copied["mode"] == "failover"


async def test_restoring_an_export_recreates_its_groups_on_the_restored_channels(tmp_path):
    import json

    from tui_channels.screens.batch_results import BatchResultsScreen
    from tui_channels.screens.copy_report import CopyReportScreen
    from tui_channels.screens.transfer_dialogs import ExportDialog, RestoreDialog

    from .ui_helpers import wait_loaded

    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        server = demo.gateway.sites[OCTOPUS_SITE].server
        group = server.groups.groups[min(server.groups.groups)]
        member = group["items"][0]
        channel_name = server.channels[member["channel_id"]]["name"]
        screen = main_screen(app)
        screen.table.move_cursor_to_channel(member["channel_id"])
        await pilot.press("space", "x")
        dialog = await wait_screen(pilot, ExportDialog)
        path = tmp_path / "with-groups.json"
        dialog.query_one("#export-path").value = str(path)
        dialog.query_one("#export-keys").value = True
        await pilot.click("#export-go")
        await wait_for(pilot, path.exists)
        assert group["name"] in [g["name"] for g in json.loads(path.read_text())["groups"]]

        server.channels.pop(member["channel_id"])
        server.groups.channel_deleted(member["channel_id"])
        server.groups.groups.pop(group["id"])
        await pilot.press("r")
        await wait_loaded(pilot)
        await pilot.press("L")
        restore = await wait_screen(pilot, RestoreDialog)
        restore.query_one("#restore-path").value = str(path)
        await pilot.click("#restore-file")
        await wait_screen(pilot, CopyReportScreen)
        await pilot.press("ctrl+s")
        await wait_screen(pilot, BatchResultsScreen, timeout=20)
        await pilot.press("escape")
        await wait_screen(pilot, GroupPlanScreen, timeout=20)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: group["name"] in stored(server), timeout=20)
        new_id = next(i for i, r in server.channels.items() if r["name"] == channel_name)
        restored = stored(server)[group["name"]]
        assert (new_id, member["model_name"]) in {(i["channel_id"], i["model_name"]) for i in restored["items"]}
