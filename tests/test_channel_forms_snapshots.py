"""The channel form, the model editor and the delete confirmation, pinned as SVG snapshots.

They share the fixed demo ports of tests/test_snapshots.py (base URLs are on screen), so they run
in the same xdist group. Review changed snapshots as pictures (`--snapshot-report`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, TextArea

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import AXONHUB_SITE, CLAUDECODEHUB_SITE, MORE_SITES, NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.model_editor import ModelEditorScreen

from .ui_helpers import SNAPSHOT_PORT_BASE, demo_session, main_screen, wait_for, wait_loaded, wait_screen

pytestmark = pytest.mark.xdist_group("snapshots")

Steps = Callable[[Pilot], Awaitable[None]]


def still(pilot: Pilot) -> None:
    """No blinking cursors: a snapshot taken mid-blink would differ from run to run."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False


def snapshot(
    snap_compare,
    steps: Steps,
    *,
    site: str = NEWAPI_SITE,
    size: tuple[int, int] = (120, 40),
    **generations: str,
) -> bool:
    async def run_before(pilot: Pilot) -> None:
        await wait_loaded(pilot)
        await steps(pilot)
        still(pilot)
        await pilot.pause()

    with demo_session(channels=60, port_base=SNAPSHOT_PORT_BASE, **generations):
        return snap_compare(ChannelsApp(site=site), terminal_size=size, run_before=run_before)


async def groups_loaded(pilot: Pilot, count: int = 3) -> None:
    form = await wait_screen(pilot, ChannelFormScreen)
    groups = form.query_one("#field-groups SelectionList", SelectionList)
    await wait_for(pilot, lambda: groups.option_count == count)


class TestChannelForm:
    def test_new_api_edit_form(self, snap_compare):
        """New API: type picker button, empty key with its hint, groups from the server, priority, weight."""

        async def steps(pilot: Pilot) -> None:
            await pilot.press("e")
            await groups_loaded(pilot)

        assert snapshot(snap_compare, steps)

    def test_new_api_form_refuses_to_save_with_reasons(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("n")
            await groups_loaded(pilot)
            await pilot.press("ctrl+s")

        assert snapshot(snap_compare, steps)

    def test_octopus_create_form(self, snap_compare):
        """Octopus: no groups, priority or weight; required base URL; custom models, auto sync, proxy."""

        async def steps(pilot: Pilot) -> None:
            await pilot.press("n")
            await wait_screen(pilot, ChannelFormScreen)

        assert snapshot(snap_compare, steps, site=OCTOPUS_SITE)

    def test_octopus_legacy_edit_form_with_key_and_url_lists(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("e")
            await wait_screen(pilot, ChannelFormScreen)

        assert snapshot(snap_compare, steps, site=OCTOPUS_SITE, octopus_generation="legacy")


class TestClaudeCodeHubForm:
    def test_claude_code_hub_edit_form_at_80x24(self, snap_compare):
        """Claude Code Hub: provider type, key kept unless typed, allowed models, groups, and a priority
        that says the lowest wins, on the smallest terminal."""

        async def steps(pilot: Pilot) -> None:
            await pilot.press("e")
            await groups_loaded(pilot, 3)

        assert snapshot(snap_compare, steps, site=CLAUDECODEHUB_SITE, size=(80, 24))

    def test_claude_code_hub_edit_form(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("e")
            await groups_loaded(pilot, 3)

        assert snapshot(snap_compare, steps, site=CLAUDECODEHUB_SITE)


class TestAxonHubForm:
    def test_axonhub_edit_form_at_80x24(self, snap_compare):
        """AxonHub: keys, tags and a test model; no groups, priority or weight; settings under Advanced."""

        async def steps(pilot: Pilot) -> None:
            await pilot.press("e")
            await wait_screen(pilot, ChannelFormScreen)

        assert snapshot(snap_compare, steps, site=AXONHUB_SITE, size=(80, 24))

    def test_axonhub_create_form(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("n")
            await wait_screen(pilot, ChannelFormScreen)

        assert snapshot(snap_compare, steps, site=AXONHUB_SITE)

    def test_older_axonhub_edit_form_shows_the_type_read_only(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("e")
            await wait_screen(pilot, ChannelFormScreen)

        assert snapshot(snap_compare, steps, site=AXONHUB_SITE, axonhub_generation="older")


class TestEveryBackendsFormAt80x24:
    """The create form of each backend on a small terminal: its own fields, nothing cut off."""

    @pytest.mark.parametrize(
        "site",
        [NEWAPI_SITE, OCTOPUS_SITE, AXONHUB_SITE, CLAUDECODEHUB_SITE, *(name for name, _flavor in MORE_SITES)],
    )
    def test_create_form(self, snap_compare, site):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("n")
            await wait_screen(pilot, ChannelFormScreen)

        assert snapshot(snap_compare, steps, site=site, size=(80, 24))


class TestModelEditor:
    def test_model_editor_on_the_cursor_channel(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press("m")
            await wait_screen(pilot, ModelEditorScreen)

        assert snapshot(snap_compare, steps)

    def test_upstream_diff_before_accepting(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            screen = main_screen(pilot.app)
            usable = next(c for c in screen.current.channels if c.type.code == 1 and len(c.models) < 10)
            screen.table.move_cursor_to_channel(usable.id)
            await pilot.press("m")
            editor = await wait_screen(pilot, ModelEditorScreen)
            await pilot.press("f")
            await wait_for(pilot, lambda: "upstream offers" in str(editor.query_one("#upstream-text").render()))

        assert snapshot(snap_compare, steps)


class TestDeleteConfirmation:
    def test_deleting_twelve_channels_asks_for_the_typed_count(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await pilot.press(*["space"] * 12, "d")
            await wait_screen(pilot, ConfirmScreen)
            await pilot.press("1")

        assert snapshot(snap_compare, steps)
