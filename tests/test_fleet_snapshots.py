"""The fleet view and its health report pinned as SVG snapshots, at 80x24 and larger.

They share the snapshot tests' fixed demo ports (site URLs are on screen), so they run in the same
xdist group.
"""

from __future__ import annotations

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.config import HealthSettings
from tui_channels.demo.session import OCTOPUS_SITE

from .ui_helpers import SNAPSHOT_PORT_BASE, demo_session, main_screen, screen_text, wait_for, wait_loaded

pytestmark = pytest.mark.xdist_group("snapshots")


def fleet_snapshot(snap_compare, *, size=(120, 40), press=(), then=None, failing: str | None = None) -> bool:
    """The app on the fleet view of a fresh demo session (with `failing`, that site's list fails)."""

    async def loaded(pilot) -> None:
        await wait_loaded(pilot)
        pilot.app.clear_notifications()
        if then is not None:
            await then(pilot)

    with demo_session(port_base=SNAPSHOT_PORT_BASE) as demo:
        if failing is not None:
            demo.gateway.sites[failing].faults.add("server_error", "/api/v1/channel/list", times=None)
        return snap_compare(ChannelsApp(fleet=True), terminal_size=size, run_before=loaded, press=press)


async def health_with_thresholds(pilot) -> None:
    """Thresholds that flag something on the seeded sites: slow over 3 s, low under $10."""
    pilot.app.config.health = HealthSettings(slow_ms=3000, low_balance=10.0)
    await pilot.press("H")
    await wait_for(pilot, lambda: "Auto-disabled" in screen_text(pilot.app))


class TestFleet:
    def test_fleet_at_80x24(self, snap_compare):
        assert fleet_snapshot(snap_compare, size=(80, 24))

    def test_fleet_at_120x40(self, snap_compare):
        assert fleet_snapshot(snap_compare)

    def test_fleet_with_a_site_that_fails(self, snap_compare):
        assert fleet_snapshot(snap_compare, failing=OCTOPUS_SITE)

    def test_fleet_selection_over_two_sites(self, snap_compare):
        async def select(pilot) -> None:
            await pilot.press("slash", *"gpt-4o", "enter", "space", "space", "space")
            await wait_for(pilot, lambda: len(main_screen(pilot.app).table.selected_ids) == 3)

        assert fleet_snapshot(snap_compare, then=select)


class TestHealth:
    def test_health_at_80x24(self, snap_compare):
        assert fleet_snapshot(snap_compare, size=(80, 24), then=health_with_thresholds)

    def test_health_at_120x40(self, snap_compare):
        assert fleet_snapshot(snap_compare, then=health_with_thresholds)
