"""Server-side model work pinned as SVG snapshots: Octopus's own sync, confirmed and reported.

They share the fixed demo ports of tests/test_snapshots.py, so they run in the same xdist group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.confirm import ConfirmScreen

from .ui_helpers import (
    SNAPSHOT_PORT_BASE,
    demo_session,
    is_loaded,
    wait_for,
    wait_loaded,
    wait_screen,
    without_toasts,
)

pytestmark = pytest.mark.xdist_group("snapshots")

Steps = Callable[[Pilot], Awaitable[None]]


def snapshot(snap_compare, steps: Steps, *, site: str = OCTOPUS_SITE, size: tuple[int, int] = (120, 40)) -> bool:
    async def run_before(pilot: Pilot) -> None:
        await wait_loaded(pilot)
        await steps(pilot)
        await pilot.pause()

    with demo_session(channels=60, port_base=SNAPSHOT_PORT_BASE):
        return snap_compare(ChannelsApp(site=site), terminal_size=size, run_before=run_before)


async def confirm_server_sync(pilot: Pilot) -> None:
    await pilot.press("f8")
    await wait_screen(pilot, ConfirmScreen)


class TestServerSync:
    def test_confirmation_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, confirm_server_sync, size=(80, 24))

    def test_confirmation_at_120x40(self, snap_compare):
        assert snapshot(snap_compare, confirm_server_sync)

    def test_report_after_the_run(self, snap_compare):
        async def steps(pilot: Pilot) -> None:
            await confirm_server_sync(pilot)
            await pilot.click("#confirm-yes")
            await wait_screen(pilot, BatchResultsScreen, timeout=20)
            await wait_for(pilot, lambda: is_loaded(pilot.app))
            await without_toasts(pilot)

        assert snapshot(snap_compare, steps)


async def review_server_findings(pilot: Pilot) -> None:
    from tui_channels.screens.scope_picker import ScopePicker
    from tui_channels.screens.upstream_review import SyncSourcePicker, UpstreamReviewScreen

    await pilot.press("y")
    picker = await wait_screen(pilot, ScopePicker)
    picker.query_one("OptionList").highlighted = [s.key for s in picker._scopes].index("all")
    await pilot.press("enter")
    await wait_screen(pilot, SyncSourcePicker)
    await pilot.press("enter")
    await wait_screen(pilot, UpstreamReviewScreen)


async def choose_sync_source(pilot: Pilot) -> None:
    from tui_channels.screens.scope_picker import ScopePicker
    from tui_channels.screens.upstream_review import SyncSourcePicker

    await pilot.press("y")
    picker = await wait_screen(pilot, ScopePicker)
    picker.query_one("OptionList").highlighted = [s.key for s in picker._scopes].index("all")
    await pilot.press("enter")
    await wait_screen(pilot, SyncSourcePicker)


class TestUpstreamUpdates:
    def test_sync_source_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, choose_sync_source, site=NEWAPI_SITE, size=(80, 24))

    def test_review_at_80x24(self, snap_compare):
        assert snapshot(snap_compare, review_server_findings, site=NEWAPI_SITE, size=(80, 24))

    def test_review_at_120x40(self, snap_compare):
        assert snapshot(snap_compare, review_server_findings, site=NEWAPI_SITE)
