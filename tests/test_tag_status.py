"""Disabling a whole tag never marks an auto-disabled member disabled by hand (the server's tag
route would: it sets status 2 on every member), and an undo counts only what it changes."""

from __future__ import annotations

import pytest

from tui_channels.config import AppConfig, save_config
from tui_channels.demo.gateway import DemoGateway
from tui_channels.demo.names import DONEHUB_SITE, NEWAPI_SITE, ONEHUB_SITE, VELOERA_SITE
from tui_channels.models import ChannelStatus
from tui_channels.secret_store import env_var_name
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.services.results import Outcome
from tui_channels.services.undo import UndoRefused, apply_undo, plan_undo, tally

from .backend_helpers import undo_subject
from .ui_helpers import (
    batch_idle,
    demo_profile,
    main_screen,
    notices,
    running_app,
    screen_text,
    wait_for,
    wait_screen,
    wait_settled,
)

TAG_ROUTES = {
    NEWAPI_SITE: ("POST", "/api/channel/tag/disabled"),
    VELOERA_SITE: ("POST", "/api/channel/tag/disabled"),
    ONEHUB_SITE: ("PUT", "/api/channel_tag/*"),
    DONEHUB_SITE: ("PUT", "/api/channel_tag/*"),
}


def rows(demo, site: str) -> dict[int, dict]:
    return demo.gateway.sites[site].server.table.rows


def statuses(demo, site: str, ids) -> dict[int, int]:
    return {i: rows(demo, site)[i]["status"] for i in ids}


async def _on_tag(pilot, demo, site: str, states: tuple[int, ...]) -> tuple[str, list[int]]:
    """Tag mode with the cursor on the header of a tag whose first members the server now holds
    with `states` (the others disabled by hand); the tag and its members' ids."""
    table = main_screen(pilot.app).table
    await pilot.press("G")
    await wait_for(pilot, lambda: table.tag_mode and bool(table.groups))
    group = next(g for g in table.groups if g.tag and g.count >= len(states))
    members = sorted(group.ids)
    for channel_id, state in zip(members, (*states, *[2] * len(members)), strict=False):
        rows(demo, site)[channel_id]["status"] = state
    while table.cursor_group != group or table.cursor_channel is not None:
        await pilot.press("down")
    return group.tag, members


def tag_writes(demo, site: str, *, enabled: bool = False) -> int:
    method, path = TAG_ROUTES[site]
    if enabled:
        path = path.replace("/tag/disabled", "/tag/enabled")
    return len(demo.gateway.sites[site].stats.requests(method, path))


@pytest.mark.parametrize("site", list(TAG_ROUTES))
async def test_a_tag_disable_leaves_its_auto_disabled_channel_alone_and_says_so(site):
    async with running_app(site=site) as (app, pilot, demo):
        tag, members = await _on_tag(pilot, demo, site, (1, 3))
        enabled, automatic = members[0], members[1]
        await pilot.press("minus")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusConfirmScreen))
        text = str(app.screen.query_one("#confirm-message").render())
        assert f"1 channel auto-disabled by the gateway (#{automatic} " in text and ") stays as it is" in text
        listed = text.split("\n\nWill be disabled:\n", 1)[1]
        assert listed.startswith(f"  #{enabled} ") and f"#{automatic} " not in listed
        assert "Disable 1 channel?" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: rows(demo, site)[enabled]["status"] == 2)
        await wait_for(pilot, lambda: batch_idle(app))
        await wait_settled(pilot)
        assert rows(demo, site)[automatic]["status"] == 3
        assert tag_writes(demo, site) == 0
        assert any(f"Disabling tag {tag} one by one" == n.title for n in notices(app))
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert f"Undo the last disable of 1 channel on {site}?" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: rows(demo, site)[enabled]["status"] == 1)
        await wait_for(pilot, lambda: batch_idle(app))
        assert rows(demo, site)[automatic]["status"] == 3


@pytest.mark.parametrize("site", [VELOERA_SITE, ONEHUB_SITE])
async def test_a_tag_whose_channels_are_all_disabled_is_left_alone(site):
    async with running_app(site=site) as (app, pilot, demo):
        tag, members = await _on_tag(pilot, demo, site, (3, 2))
        before = statuses(demo, site, members)
        await pilot.press("minus")
        await wait_for(pilot, lambda: any("Nothing to disable" in n.message for n in notices(app)))
        note = next(n.message for n in notices(app) if "Nothing to disable" in n.message)
        assert f"tagged {tag} are disabled already, 1 of them auto-disabled by the gateway, left so" in note
        assert not isinstance(app.screen, StatusConfirmScreen)
        assert statuses(demo, site, members) == before and tag_writes(demo, site) == 0


@pytest.mark.parametrize("site", [NEWAPI_SITE, ONEHUB_SITE])
async def test_a_tag_without_auto_disabled_channels_goes_through_the_tag_route(site):
    async with running_app(site=site) as (app, pilot, demo):
        tag, members = await _on_tag(pilot, demo, site, (1, 2))
        await pilot.press("minus")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: all(s == 2 for s in statuses(demo, site, members).values()))
        await wait_for(pilot, lambda: any(f"tagged {tag}" in n.message for n in notices(app)))
        assert tag_writes(demo, site) == 1
        note = next(n.message for n in notices(app) if f"tagged {tag}" in n.message)
        assert note.startswith(f"Disabled the 1 channel tagged {tag}.")


@pytest.mark.parametrize("flavor", ["newapi", "veloera", "onehub"])
async def test_the_undo_of_a_tag_route_disable_puts_back_only_what_it_changed(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    """An entry the tag route wrote over an auto-disabled channel (as older versions did): its undo
    would write disabled over disabled, so it counts the channel as nothing to put back."""
    made = await undo_subject(gateway, flavor, monkeypatch, prefix="tagstatus")
    try:
        first, second = made.channels[0], made.channels[1]
        await made.other.set_tag([first.id, second.id], "tagstatus")
        await made.other.set_status(first.id, True)
        made.site.server.table.rows[second.id]["status"] = 3
        await made.backend.list_channels()  # as the app lists them before writing
        await made.backend.set_tag_status("tagstatus", False)
        plan = await plan_undo(made.backend, made.last())
        assert [item.already_undone for item in plan.channels] == [False, True]
        results = await apply_undo(made.backend, plan, site=made.site.name)
        assert tally([(plan, results)]) == "put back 1 channel; 1 channel already as before"
        made.site.server.table.rows[first.id]["status"] = 2
        made.site.server.table.rows[second.id]["status"] = 3  # the gateway marks it again
        await made.backend.list_channels()  # as the app lists them before writing
        await made.backend.set_tag_status("tagstatus", False)
        with pytest.raises(UndoRefused, match="has nothing to put back.*the gateway alone can mark"):
            await plan_undo(made.backend, made.last())
        now = {c.id: c.status for c in await made.other.list_channels()}
        assert now[first.id] is ChannelStatus.MANUALLY_DISABLED
        assert [r.outcome for r in results] == [Outcome.OK, Outcome.SKIPPED]
    finally:
        await made.close()


@pytest.mark.parametrize("flavor", ["newapi", "onehub"])
async def test_a_tag_wide_write_journals_only_the_members_it_changes(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    """The tag route sets every member, but a member already disabled did not change: the entry
    names only the members whose values changed (no "disabled → disabled"), and a tag edit only the
    fields each member changed; a write that changes nothing still says what was sent."""
    made = await undo_subject(gateway, flavor, monkeypatch, prefix="tagnoise")
    try:
        first, second, third = made.channels[:3]
        await made.other.set_tag([first.id, second.id, third.id], "tagnoise")
        await made.other.set_status(first.id, True)
        await made.other.set_status(second.id, False)
        await made.other.set_status(third.id, True)
        await made.backend.list_channels()  # as the app lists them before writing
        await made.backend.set_tag_status("tagnoise", False)
        entry = made.last()
        assert entry.op == "tag_status"
        assert sorted(c.id for c in entry.changes) == sorted([first.id, third.id])
        assert all(c.before == {"status": "enabled"} for c in entry.changes)

        await made.other.update_channel(await made.other.get_channel(first.id), {"priority": 7})
        await made.backend.list_channels()
        await made.backend.edit_tag("tagnoise", {"priority": 7})
        edit = made.last()
        assert edit.op == "tag_edit"
        assert sorted(c.id for c in edit.changes) == sorted([second.id, third.id])
        assert all(list(c.after or {}) == ["priority"] for c in edit.changes)

        await made.backend.set_tag_status("tagnoise", False)
        unchanged = made.last()
        assert len(unchanged.changes) == 3, "a write that changes nothing still names what it was sent to"
        with pytest.raises(UndoRefused, match="nothing to put back: .*already disabled \\(this write changed nothing\\)"):
            await plan_undo(made.backend, unchanged)
    finally:
        await made.close()


@pytest.mark.parametrize("site", [NEWAPI_SITE, ONEHUB_SITE])
async def test_a_tag_enable_counts_its_auto_disabled_channels_and_can_leave_them(site):
    """`+` on a tag header asks as a selection's enable does: it counts the members the gateway
    auto-disabled and offers `s` to leave them; then the others are enabled one by one (read again
    just before), the auto-disabled one stays, and the notice says so."""
    async with running_app(site=site) as (app, pilot, demo):
        tag, members = await _on_tag(pilot, demo, site, (3, 2))
        automatic, by_hand = members[0], members[1]
        await pilot.press("plus")
        confirm = await wait_screen(pilot, StatusConfirmScreen)
        text = str(confirm.query_one("#confirm-message").render())
        assert f"Enable {len(members)} channels?" in screen_text(app)
        assert "Auto-disabled by the gateway because it failed: 1 of them." in text
        assert f"Every channel tagged {tag}: {len(members)} channels on the server now." in text
        await pilot.press("s")
        await wait_for(pilot, lambda: rows(demo, site)[by_hand]["status"] == 1)
        await wait_for(pilot, lambda: batch_idle(app))
        await wait_settled(pilot)
        assert rows(demo, site)[automatic]["status"] == 3
        assert tag_writes(demo, site, enabled=True) == 0, "the tag route would enable every member"
        note = next(n for n in notices(app) if n.title == f"Enabling tag {tag} one by one")
        assert f"1 channel auto-disabled by the gateway (#{automatic} " in note.message
        assert ") stays as it is" in note.message


@pytest.mark.parametrize("site", [NEWAPI_SITE, ONEHUB_SITE])
async def test_a_tag_enable_of_every_member_says_how_many_were_auto_disabled(site):
    async with running_app(site=site) as (app, pilot, demo):
        tag, members = await _on_tag(pilot, demo, site, (3, 2))
        await pilot.press("plus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: all(s == 1 for s in statuses(demo, site, members).values()))
        await wait_for(pilot, lambda: any(f"tagged {tag}" in n.message for n in notices(app)))
        assert tag_writes(demo, site, enabled=True) == 1
        note = next(n.message for n in notices(app) if f"tagged {tag}" in n.message)
        assert note == f"Enabled the {len(members)} channels tagged {tag} (1 of them auto-disabled by the gateway)."


def test_tags_enable_can_leave_the_auto_disabled_channels(cli, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tags enable --skip-auto-disabled` leaves them as the gateway marked them; without it, the
    output counts them."""
    site = gateway.add_newapi("tagenable-cli", channels=6)
    save_config(AppConfig(sites=[demo_profile(site)]))
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    store = site.server.store
    ids = sorted(store)[:3]
    for channel_id, state in zip(ids, (3, 2, 3)):
        store[channel_id].update(tag="tagenable", status=state)
    left = cli("tags", "enable", "tagenable", "--site", site.name, "--skip-auto-disabled")
    assert left.code == 0, left.err
    assert "Enabled the 1 channel tagged 'tagenable'." in left.out
    names = ", ".join(f"#{i} {store[i]['name']}" for i in (ids[0], ids[2]))
    assert f"2 channels auto-disabled by the gateway ({names}) stay as they are" in left.out
    assert [store[i]["status"] for i in ids] == [3, 1, 3]
    every = cli("tags", "enable", "tagenable", "--site", site.name)
    assert "Enabled the 2 channels tagged 'tagenable' (2 of them auto-disabled by the gateway)." in every.out
    assert [store[i]["status"] for i in ids] == [1, 1, 1]


async def test_tag_mode_counts_follow_a_member_by_member_disable():
    """A disable that meets an auto-disabled member writes one channel at a time: the tag's header
    counts follow those writes at once, as they follow the tag route's reload."""
    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        table = main_screen(app).table
        await pilot.press("G")
        await wait_for(pilot, lambda: table.tag_mode and bool(table.groups))
        group = next(g for g in table.groups if g.tag == "cheap")
        assert group.enabled and any(c.status is ChannelStatus.AUTO_DISABLED for c in group.channels)
        while table.cursor_group is None or table.cursor_group.tag != "cheap" or table.cursor_channel is not None:
            await pilot.press("down")
        await pilot.press("minus")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: all(rows(demo, NEWAPI_SITE)[i]["status"] != 1 for i in group.ids))
        await wait_for(pilot, lambda: batch_idle(app))
        await wait_settled(pilot)
        after = next(g for g in table.groups if g.tag == "cheap")
        assert after.enabled == 0 and after.count == group.count
        assert table.cursor_group is not None and table.cursor_group.tag == "cheap"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main_screen(app))
        assert f"{after.count} channels · 0 enabled" in screen_text(app)
