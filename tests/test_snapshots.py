"""Screens pinned as SVG snapshots (pytest-textual-snapshot), each a short user story.

Snapshots share fixed demo ports (site URLs are on screen), so they run in one xdist group.
Review changed snapshots as pictures: `pytest tests/test_snapshots.py --snapshot-report`.
"""

from __future__ import annotations

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import CLAUDECODEHUB_SITE, NEWAPI_SITE, OCTOPUS_SITE

from .ui_helpers import (
    SNAPSHOT_PORT_BASE,
    demo_session,
    main_screen,
    screen_text,
    wait_for,
    wait_loaded,
    wait_settled,
)

pytestmark = pytest.mark.xdist_group("snapshots")


def snapshot(
    snap_compare, *, site: str = NEWAPI_SITE, size=(120, 40), press=(), channels: int = 60, then=None
):
    """The app on a fresh demo session, loaded, then `then(pilot)` if given, then `press`."""

    async def loaded(pilot) -> None:
        await wait_loaded(pilot)
        if then is not None:
            await then(pilot)

    with demo_session(channels=channels, port_base=SNAPSHOT_PORT_BASE):
        app = ChannelsApp(site=site)
        return snap_compare(app, terminal_size=size, run_before=loaded, press=press)


class TestMainScreen:
    def test_newapi_site_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, size=(80, 24))

    def test_newapi_site_at_120x40(self, snap_compare):
        assert snapshot(snap_compare)

    def test_octopus_site_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, site=OCTOPUS_SITE, size=(80, 24))

    def test_octopus_site_at_120x40(self, snap_compare):
        assert snapshot(snap_compare, site=OCTOPUS_SITE)

    def test_claude_code_hub_site_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, site=CLAUDECODEHUB_SITE, size=(80, 24))

    def test_claude_code_hub_site_at_120x40(self, snap_compare):
        """Groups, a priority header that says the lowest wins, and weight."""
        assert snapshot(snap_compare, site=CLAUDECODEHUB_SITE)

    def test_search_selection_and_batch_bar(self, snap_compare):
        assert snapshot(snap_compare, press=["slash", *"gpt", "enter", "space", "space"])


class TestDialogs:
    def test_site_switcher(self, snap_compare):
        assert snapshot(snap_compare, press=["s"])

    def test_column_picker(self, snap_compare):
        assert snapshot(snap_compare, press=["c", "down", "space"])

    def test_help(self, snap_compare):
        assert snapshot(snap_compare, press=["question_mark"])

    def test_column_picker_at_80x24_keeps_its_hint(self, snap_compare):
        assert snapshot(snap_compare, size=(80, 24), press=["c"])

    def test_sort_picker_at_80x24_keeps_its_hint(self, snap_compare):
        assert snapshot(snap_compare, size=(80, 24), press=["o"])

    def test_a_confirmation_at_80x24_shows_its_own_keys(self, snap_compare):
        assert snapshot(snap_compare, size=(80, 24), press=["f5"])


class TestNewApiCompleteness:
    def test_tag_mode_with_one_tag_open(self, snap_compare):
        assert snapshot(snap_compare, press=["G", "enter"])

    def test_multi_key_manager(self, snap_compare):
        async def on_multi_key_channel(pilot) -> None:
            screen = main_screen(pilot.app)
            channel = next(c for c in screen.current.channels if c.is_multi_key)
            screen.table.move_cursor_to_channel(channel.id)
            await pilot.press("M")
            await wait_for(pilot, lambda: "keys:" in screen_text(pilot.app))
            await wait_settled(pilot)  # the key list too, not only the summary

        assert snapshot(snap_compare, then=on_multi_key_channel)


class TestKeyDialogs:
    def test_relay_account_dialog_at_80x24_as_typed(self, snap_compare):
        """Focus starts in Name, each field is a visible shaded line, the token shows masked."""
        typed = (*"r1", "tab", *"http://127.0.0.1:9", "tab", "1", "tab", *"tok-SECRETvalue-1234567890abcdef")
        assert snapshot(snap_compare, size=(80, 24), press=("K", "n", *typed))
