"""Octopus groups pinned as SVG snapshots: the groups screen at 80x24 and larger, the form, the
"add every matching model" preview, and the groups of a channel.

They share the fixed demo ports of tests/test_snapshots.py, so they run in the same xdist group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import OCTOPUS_SITE
from tui_channels.screens.group_form import GroupFormScreen
from tui_channels.screens.group_members import MatchingPreview
from tui_channels.screens.groups import GroupsScreen

from .ui_helpers import SNAPSHOT_PORT_BASE, demo_session, main_screen, wait_for, wait_loaded, wait_screen

pytestmark = pytest.mark.xdist_group("snapshots")

Steps = Callable[[Pilot], Awaitable[None]]


def still(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def snapshot(snap_compare, steps: Steps, *, size: tuple[int, int] = (120, 40), generation: str = "current") -> bool:
    async def run_before(pilot: Pilot) -> None:
        await wait_loaded(pilot)
        await steps(pilot)
        still(pilot)
        await pilot.pause()

    with demo_session(channels=60, port_base=SNAPSHOT_PORT_BASE, octopus_generation=generation):
        return snap_compare(ChannelsApp(site=OCTOPUS_SITE), terminal_size=size, run_before=run_before)


async def open_groups(pilot: Pilot) -> None:
    await pilot.press("v")
    await wait_screen(pilot, GroupsScreen)


async def edit_first(pilot: Pilot) -> None:
    await open_groups(pilot)
    await pilot.press("e")
    form = await wait_screen(pilot, GroupFormScreen)
    form.query_one("#group-members", OptionList).focus()


class TestGroupsScreen:
    def test_groups_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, open_groups, size=(80, 24))

    def test_groups_at_120x40(self, snap_compare):
        assert snapshot(snap_compare, open_groups)

    def test_legacy_groups_with_weights(self, snap_compare):
        assert snapshot(snap_compare, open_groups, generation="legacy")

    def test_groups_of_the_cursor_channel(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            screen = main_screen(pilot.app)
            server_groups = screen.current.groups
            channel_id = server_groups[0].members[0].channel_id
            screen.table.move_cursor_to_channel(channel_id)
            await pilot.press("V")
            await wait_screen(pilot, GroupsScreen)

        assert snapshot(snap_compare, steps)


class TestGroupForm:
    def test_edit_form_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, edit_first, size=(80, 24))

    def test_legacy_edit_form(self, snap_compare):
        assert snapshot(snap_compare, edit_first, generation="legacy")

    def test_add_matching_preview(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await edit_first(pilot)
            await pilot.press("m")
            preview = await wait_screen(pilot, MatchingPreview)
            preview.query_one("#match-pattern", Input).value = "gpt"
            await wait_for(pilot, lambda: preview.query_one(OptionList).option_count > 0)

        assert snapshot(snap_compare, steps)
