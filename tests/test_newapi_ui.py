"""Tag mode, tag edits, inline priority/weight, the multi-key manager and maintenance, via the keyboard."""

from __future__ import annotations

from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.help import HelpScreen
from tui_channels.screens.key_manager import KeyManagerScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.screens.tag_edit import TagEditScreen, tag_changes
from tui_channels.services.journal import read_entries

from .ui_helpers import batch_idle, main_screen, notices, running_app, screen_text, wait_for, wait_settled


def server(demo):
    return demo.gateway.sites[NEWAPI_SITE].server


async def test_tag_mode_groups_channels_and_keeps_untagged_ones():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("G")
        table = screen.table
        assert table.tag_mode
        groups = table.groups
        tags = {r["tag"] or "" for r in server(demo).store.values()}
        assert {g.tag for g in groups} == tags
        assert groups[-1].label == "(untagged)"
        assert sum(g.count for g in groups) == 60
        assert table.cursor_channel is None and table.cursor_group == groups[0]
        assert "channels ·" in screen_text(app)
        named = [g.tag for g in groups[:-1]]
        assert named == sorted(named, key=str.casefold), "tags by name"
        lines = screen_text(app).splitlines()
        assert "TAG MODE" in lines[0] and lines[2].lstrip().startswith(f"Tag mode: {len(groups)} tags by name")
        assert "Status" not in lines[2], "no channel column headers above tag rows"

        await pilot.press("enter")  # expand the first tag
        await pilot.press("down")
        assert table.cursor_channel is not None and table.cursor_channel.tag == groups[0].tag
        await pilot.press("up", "space")  # select the whole tag from its header
        assert set(table.selected_ids) == set(groups[0].ids)
        await pilot.press("G")
        assert not table.tag_mode and table.row_count == 60


async def test_edit_by_tag_reaches_every_channel_of_the_tag():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        tagged = next(r for r in server(demo).store.values() if r["tag"] == "premium")
        screen.table.move_cursor_to_channel(tagged["id"])
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, TagEditScreen))
        app.screen.query_one("#tag-priority").value = "42"
        app.screen.query_one("#tag-new_tag").value = "gold"
        await pilot.press("ctrl+s")
        await wait_settled(pilot)
        assert all(r["tag"] != "premium" for r in server(demo).store.values())
        gold = [r for r in server(demo).store.values() if r["tag"] == "gold"]
        assert gold and all(r["priority"] == 42 for r in gold)
        assert {c.tag for c in screen.current.channels if c.priority == 42} >= {"gold"}


def test_tag_changes_validates_numbers_and_json():
    changes, errors = tag_changes(
        {"priority": "x", "weight": "3", "model_mapping": "[1]", "param_override": '{"a": 1}', "models": "a, b,a"}
    )
    assert errors == {"priority": "a whole number", "model_mapping": "must be a JSON object"}
    assert changes == {"weight": 3, "param_override": '{"a": 1}', "models": "a,b"}


async def test_inline_priority_for_the_cursor_and_weight_for_a_selection():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        first = screen.table.cursor_channel
        await pilot.press("P", *"9", "enter")  # the prompt's current value is selected: typing replaces it
        await wait_for(pilot, lambda: batch_idle(app) and server(demo).record(first.id)["priority"] == 9)
        assert screen.table.index.channel(screen.table.index.position(first.id)).priority == 9

        await pilot.press("home", "space", "space", "space", "W", *"77", "enter")
        await wait_for(pilot, lambda: batch_idle(app))
        await pilot.press("escape")  # close the results screen
        selected = screen.table.selected_ids
        assert len(selected) == 3 and all(server(demo).record(i)["weight"] == 77 for i in selected)


async def test_inline_priority_on_a_tag_header_edits_the_whole_tag_after_confirming():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("G")
        group = screen.table.cursor_group
        await pilot.press("P", *"5", "enter")
        assert f"tag {group.label}" in screen_text(app)
        await pilot.press("tab", "enter")  # focus the confirm button, press it
        await wait_for(pilot, lambda: all(server(demo).record(i)["priority"] == 5 for i in group.ids))


async def test_multi_key_manager_lists_and_changes_keys():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        channel_id = next(i for i, r in server(demo).store.items() if r["channel_info"]["is_multi_key"])
        screen.table.move_cursor_to_channel(channel_id)
        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, KeyManagerScreen))
        manager = app.screen
        await wait_for(pilot, lambda: "keys:" in str(manager.query_one("#key-summary").render()))
        size = server(demo).record(channel_id)["channel_info"]["multi_key_size"]
        assert f"{size} keys" in str(manager.query_one("#key-summary").render())
        previews = {k.preview for k in manager._page.keys}
        assert len(previews) == 1, "the server shows each key's first 10 characters: alike here"
        assert "the # tells them apart" in str(manager.query_one("#key-summary").render())
        assert previews.pop() not in screen_text(app)
        await pilot.press("minus")
        await wait_for(pilot, lambda: server(demo).record(channel_id)["channel_info"]["multi_key_status_list"].get("0") == 2)
        await pilot.press("escape")
        await wait_settled(pilot)


async def test_key_manager_refuses_a_single_key_channel_politely():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        channel_id = next(i for i, r in server(demo).store.items() if not r["channel_info"]["is_multi_key"])
        screen.table.move_cursor_to_channel(channel_id)
        await pilot.press("M")
        assert not isinstance(app.screen, KeyManagerScreen)
        assert any("single key" in n.message for n in notices(app))


async def confirm(pilot, key: str) -> None:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await pilot.press("tab", "enter")


async def test_maintenance_actions_confirm_and_report():
    async with running_app() as (app, pilot, demo):
        await confirm(pilot, "f5")
        await wait_for(pilot, lambda: any("Abilities rebuilt: 60" in n.message for n in notices(app)))
        demo.gateway.upstream.delay = 0.3  # keeps the server's own test run busy for a while
        await confirm(pilot, "f6")
        await wait_for(pilot, lambda: any("Server-side test started" in n.message for n in notices(app)))
        started = next(n.message for n in notices(app) if "Server-side test started" in n.message)
        assert started.startswith("Server-side test started (task task_") and "(started)" not in started
        await confirm(pilot, "f6")  # a second run while the first is active: 409
        await wait_for(pilot, lambda: any(n.severity == "error" for n in notices(app)))
        await confirm(pilot, "f7")
        await wait_for(pilot, lambda: any("Balances refreshed" in n.message for n in notices(app)))


async def test_f7_on_one_api_refreshes_each_balance_since_its_own_route_does_nothing():
    async with running_app(newapi_flavor="oneapi") as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        assert main_screen(app).check_action("refresh_all_balances", ()) is True
        await confirm(pilot, "f7")
        await wait_for(pilot, lambda: batch_idle(app) and site.stats.count("GET", "/api/channel/update_balance/*") == 60)
        assert not site.stats.requests("GET", "/api/channel/update_balance")
        refreshed = [r for r in site.server.store.values() if r.get("balance_updated_time")]
        assert refreshed and all(
            main_screen(app).table.index.channel(main_screen(app).table.index.position(r["id"])).balance == r["balance"]
            for r in refreshed
        )


async def test_one_api_shows_unsupported_actions_as_disabled_with_the_reason():
    async with running_app(newapi_flavor="oneapi") as (app, pilot, _demo):
        screen = main_screen(app)
        assert screen.check_action("key_manager", ()) is None
        assert screen.check_action("fix_abilities", ()) is None
        assert screen.check_action("refresh", ()) is True
        await pilot.press("M")
        assert not isinstance(app.screen, KeyManagerScreen)
        assert any("One API does not support" in n.message for n in notices(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "One API does not support" in screen_text(app)


async def test_octopus_has_no_tag_mode():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, _demo):
        await pilot.press("G")
        assert not main_screen(app).table.tag_mode
        assert any("no tags" in n.message for n in notices(app))


async def test_plus_and_minus_on_a_tag_header_switch_the_whole_tag():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("G")
        group = screen.table.cursor_group
        assert not any(server(demo).record(i)["status"] == 3 for i in group.ids)
        await pilot.press("minus")
        await wait_for_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: all(server(demo).record(i)["status"] == 2 for i in group.ids))
        assert len(demo.gateway.sites[NEWAPI_SITE].stats.requests("POST", "/api/channel/tag/disabled")) == 1
        await wait_settled(pilot)
        await pilot.press("plus")
        await wait_for_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: all(server(demo).record(i)["status"] == 1 for i in group.ids))
        assert len(demo.gateway.sites[NEWAPI_SITE].stats.requests("POST", "/api/channel/tag/enabled")) == 1


async def test_model_editor_completes_names_the_server_knows():
    from tui_channels.screens.model_editor import ModelEditorScreen

    async with running_app() as (app, pilot, demo):
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelEditorScreen))
        editor = app.screen
        add = editor.query_one("#model-add")
        await wait_for(pilot, lambda: add.suggester is not None)
        known = {m for r in server(demo).store.values() for m in r["models"].split(",") if m}
        add.focus()
        await pilot.press(*"claude-opus")
        await pilot.press("right")
        assert add.value in known and add.value.startswith("claude-opus")


async def _disable_a_tag(pilot, demo):
    """Tag mode, the first tag with an enabled channel disabled from its header; its channels'
    statuses before."""
    screen = main_screen(pilot.app)
    await pilot.press("G")
    table = screen.table
    group = next(
        g for g in table.groups if g.tag and g.enabled and all(server(demo).record(i)["status"] != 3 for i in g.ids)
    )
    while table.cursor_group != group:
        await pilot.press("down")
    before = {i: server(demo).record(i)["status"] for i in group.ids}
    await pilot.press("minus")
    confirm = await wait_for_screen(pilot, StatusConfirmScreen)
    assert "undoes it afterwards" in str(confirm.query_one("#confirm-message").render())
    await pilot.press("y")
    await wait_for(pilot, lambda: all(server(demo).record(i)["status"] == 2 for i in group.ids))
    await wait_settled(pilot)
    return group, before


async def wait_for_screen(pilot, kind):
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))
    return pilot.app.screen


async def test_u_on_the_table_undoes_a_whole_tag_disable_as_the_history_does():
    async with running_app() as (app, pilot, demo):
        group, before = await _disable_a_tag(pilot, demo)
        await pilot.press("u")
        undo = await wait_for_screen(pilot, ConfirmScreen)
        assert "Undo entry" in screen_text(app) and f"#{min(group.ids)}" in str(undo.query_one("#confirm-message").render())
        await pilot.press("y")
        await wait_for(pilot, lambda: {i: server(demo).record(i)["status"] for i in group.ids} == before)
        await wait_for(pilot, lambda: any(n.title == "Undone" for n in notices(app)))
        await wait_settled(pilot)
        shown = {c.id: c.status.value for c in main_screen(app).current.channels if c.id in group.ids}
        assert shown == {i: {1: "enabled", 2: "manually_disabled", 3: "auto_disabled"}[s] for i, s in before.items()}
        entries = read_entries(site=main_screen(app).current.name).entries
        disable = next(e for e in entries if e.op == "tag_status")
        undos = [e for e in entries if e.id > disable.id]
        assert undos and all((e.action, e.undoes) == ("undo", disable.id) for e in undos)


async def test_u_refuses_a_tag_undo_when_a_channel_changed_since():
    async with running_app() as (app, pilot, demo):
        group, before = await _disable_a_tag(pilot, demo)
        moved = min(i for i in group.ids if before[i] == 1)
        server(demo).store[moved]["status"] = 3  # the gateway turned it off since
        await pilot.press("u")
        await wait_for(pilot, lambda: any(n.title == "Cannot undo" for n in notices(app)))
        refusal = next(n.message for n in notices(app) if n.title == "Cannot undo")
        assert f"#{moved}" in refusal and "changed since" in refusal
        assert not isinstance(app.screen, ConfirmScreen)
        assert all(server(demo).record(i)["status"] == 2 for i in group.ids if i != moved)


async def test_a_tag_undo_checks_the_server_again_right_before_writing():
    async with running_app() as (app, pilot, demo):
        group, before = await _disable_a_tag(pilot, demo)
        moved = min(i for i in group.ids if before[i] == 1)
        await pilot.press("u")
        await wait_for_screen(pilot, ConfirmScreen)
        server(demo).store[moved]["status"] = 3
        await pilot.press("y")
        await wait_for(pilot, lambda: any(n.title == "Undo incomplete" for n in notices(app)))
        note = next(n.message for n in notices(app) if n.title == "Undo incomplete")
        assert f"#{moved}" in note and "changed since the undo was checked" in note
        assert server(demo).record(moved)["status"] == 3
        assert all(server(demo).record(i)["status"] == before[i] for i in group.ids if i != moved)
