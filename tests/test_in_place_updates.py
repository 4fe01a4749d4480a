"""Channels changed in place, as a batch shows each result: tag mode's headers count every change,
once per tick rather than once per result (each count walks every row), and the site's own list
finds the channel by id whatever replaced the list before."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from tui_channels.demo.names import NEWAPI_SITE
from tui_channels.config import SiteProfile
from tui_channels.models import BackendKind, Channel, ChannelStatus, ChannelType
from tui_channels.secret_store import SecretStore
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.scope_picker import ScopePicker
from tui_channels.services import tag_view
from tui_channels.services.sites import SiteSession
from tui_channels.widgets import channel_table

from .ui_helpers import batch_idle, main_screen, running_app, screen_text, wait_for, wait_screen, wait_settled

MOVED = "tagperf-moved"


def server_counts(demo) -> dict[str, tuple[int, int]]:
    """(channels, enabled) per tag as the server holds them ("" for the untagged)."""
    counts: Counter[str] = Counter()
    enabled: Counter[str] = Counter()
    for row in demo.gateway.sites[NEWAPI_SITE].server.table.rows.values():
        tag = row.get("tag") or ""
        counts[tag] += 1
        enabled[tag] += row["status"] == 1
    return {tag: (counts[tag], enabled[tag]) for tag in counts}


def shown_counts(table) -> dict[str, tuple[int, int]]:
    return {group.tag: (group.count, group.enabled) for group in table.groups}


@pytest.fixture
def regroups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time the table counted its tag groups."""
    calls: list[int] = []

    def counted(channels):
        calls.append(1)
        return tag_view.group_by_tag(channels)

    monkeypatch.setattr(channel_table, "group_by_tag", counted)
    return calls


async def test_a_tag_batch_in_tag_mode_leaves_every_header_counted_as_the_server_holds():
    """Two whole tags moved to a new one by a batch, each result shown as it lands: at the end every
    header counts what the server holds, the new tag's included."""
    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        table = screen.table
        await pilot.press("G")
        await wait_for(pilot, lambda: table.tag_mode and bool(table.groups))
        assert shown_counts(table) == server_counts(demo)
        moved = [g for g in table.groups if g.tag][:2]
        for group in moved:
            while table.cursor_group != group or table.cursor_channel is not None:
                await pilot.press("down")
            await pilot.press("space")
        chosen = set().union(*(g.ids for g in moved))
        assert table.selected_ids == chosen
        await pilot.press("g")
        await wait_screen(pilot, ScopePicker)
        await pilot.press("enter", *MOVED, "enter")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: batch_idle(app) and screen.last_batch is not None)
        await wait_settled(pilot)
        rows = demo.gateway.sites[NEWAPI_SITE].server.table.rows
        assert all(rows[i]["tag"] == MOVED for i in chosen)
        expected = server_counts(demo)
        assert expected[MOVED][0] == len(chosen) and not {g.tag for g in moved} & set(expected)
        assert shown_counts(table) == expected
        await pilot.press("escape")
        await wait_for(pilot, lambda: f"{MOVED}   {len(chosen)} channels" in screen_text(app))


async def test_changes_landing_together_are_counted_in_once(regroups: list[int]):
    """Results that land between two ticks cost one count of the groups, not one each; a read of
    the groups before the tick still sees every change."""
    async with running_app(site=NEWAPI_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        table = screen.table
        session = screen.current
        await pilot.press("G")
        await wait_for(pilot, lambda: table.tag_mode and bool(table.groups))
        tagged = max((g for g in table.groups if g.tag), key=lambda g: g.enabled)
        enabled = [c for c in tagged.channels if c.status is ChannelStatus.ENABLED]
        assert len(enabled) >= 3, "the demo must have a tag with several enabled channels"
        before = len(regroups)

        for channel in enabled:
            screen.show_saved(session, replace(channel, status=ChannelStatus.MANUALLY_DISABLED))
        header = f"{tagged.label}   {tagged.count} channels · 0 enabled"
        await wait_for(pilot, lambda: header in screen_text(app))
        assert len(regroups) - before == 1, f"{len(enabled)} changes, counted {len(regroups) - before} times"

        for channel in enabled:
            screen.show_saved(session, replace(channel, status=ChannelStatus.ENABLED))
        now = next(g for g in table.groups if g.tag == tagged.tag)
        assert (now.count, now.enabled) == (tagged.count, tagged.enabled), "read before the tick, counted at once"
        assert len(regroups) - before == 2
        await wait_for(pilot, lambda: f"{tagged.count} channels · {tagged.enabled} enabled" in screen_text(app))
        await pilot.pause()
        assert len(regroups) - before == 2, "the read counted them: the tick has nothing left to count"


def test_the_session_replaces_a_channel_by_id_after_a_reload_a_delete_and_an_addition():
    def channel(channel_id: int, name: str) -> Channel:
        return Channel(id=channel_id, name=name, type=ChannelType(1, "OpenAI"), status=ChannelStatus.ENABLED)

    profile = SiteProfile(name="tagperf", kind=BackendKind.OCTOPUS, url="http://127.0.0.1:1", username="admin")
    session = SiteSession(profile=profile, secrets=SecretStore())
    session.channels = [channel(1, "a"), channel(2, "b"), channel(3, "c")]
    session.replace_channel(channel(2, "b2"))
    assert [c.name for c in session.channels] == ["a", "b2", "c"]
    session.channels = [channel(3, "c"), channel(1, "a")]
    session.replace_channel(channel(1, "a2"))
    assert [c.name for c in session.channels] == ["c", "a2"]
    session.forget_channels({3})
    session.replace_channel(channel(1, "a3"))
    session.replace_channel(channel(4, "d"))
    session.replace_channel(channel(4, "d2"))
    assert [(c.id, c.name) for c in session.channels] == [(1, "a3"), (4, "d2")]
    session.channels.append(channel(5, "e"))
    session.replace_channel(channel(5, "e2"))
    assert [c.name for c in session.channels] == ["a3", "d2", "e2"]
