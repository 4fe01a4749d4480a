"""A batch held by the request budget, in the app: the progress bar says what it waits for and
until when, the bar is empty at 0/N, and the results leave the wait out of each channel's time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.backends.ratelimit import Pause
from tui_channels.config import AppConfig, SiteProfile
from tui_channels.demo.gateway import DemoSite
from tui_channels.secret_store import env_var_name
from tui_channels.services.batch import TICK
from tui_channels.widgets.batch_progress import BatchProgressBar

from .batch_helpers import newapi_site, working_ids
from .ui_helpers import demo_profile, main_screen, screen_text, wait_for, wait_loaded

CONNECT_AND_LIST = 4
"""Requests the app sends to load a small current New API site: status, the probe of its
upstream-update routes, first page, the list."""


def budget_profile(site: DemoSite, budget: int, window: float) -> SiteProfile:
    return SiteProfile(**{**demo_profile(site).model_dump(), "request_budget": budget, "budget_window": window})


@asynccontextmanager
async def app_with_budget(
    monkeypatch: pytest.MonkeyPatch, site: DemoSite, budget: int, window: float, size: tuple[int, int]
) -> AsyncIterator[tuple[ChannelsApp, object]]:
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    config = AppConfig(sites=[budget_profile(site, budget, window)], last_site=site.name)
    app = ChannelsApp(config=config)
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot)
        yield app, pilot


def waiting_text(app: ChannelsApp) -> bool:
    return "waiting for the request budget, resumes " in screen_text(app)


async def start_test(pilot, channel_ids: list[int]) -> None:
    screen = main_screen(pilot.app)
    for channel_id in channel_ids:
        screen.table.move_cursor_to_channel(channel_id)
        await pilot.press("space")
    await pilot.press("t")


async def test_a_batch_held_by_the_budget_says_so_and_its_bar_is_empty(gateway, monkeypatch):
    site = newapi_site(gateway, channels=10)
    async with app_with_budget(monkeypatch, site, CONNECT_AND_LIST, 600.0, (120, 40)) as (app, pilot):
        assert site.stats.total == CONNECT_AND_LIST
        await start_test(pilot, working_ids(site)[:2])
        screen = main_screen(app)
        await wait_for(pilot, lambda: waiting_text(app))
        bar = screen.query_one(BatchProgressBar)
        assert bar.display
        assert "0/2" in screen_text(app)
        assert bar.query_one("ProgressBar").percentage == 0
        progress = screen._batch.progress().total
        assert progress.pause is not None and progress.pause.reason == "waiting for the request budget"
        assert progress.in_flight == 2 and progress.done == 0
        assert site.stats.total == CONNECT_AND_LIST  # nothing was sent past the budget
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.batch_running)


async def test_results_leave_the_budget_wait_out_of_each_channels_time(gateway, monkeypatch):
    site = newapi_site(gateway, channels=10)
    first, second = working_ids(site)[:2]
    async with app_with_budget(monkeypatch, site, CONNECT_AND_LIST + 1, 10.0, (120, 40)) as (app, pilot):
        screen = main_screen(app)
        started = time.monotonic()
        await start_test(pilot, [first, second])
        await wait_for(pilot, lambda: waiting_text(app))  # one test went out, the other waits
        run = screen._batch.site_runs[site.name]
        await wait_for(pilot, lambda: screen.last_batch is not None, timeout=60)
        elapsed = time.monotonic() - started
        _, results = screen.last_batch
        assert {r.channel_id for r in results} == {first, second}
        # The second test waited for the loads' 10 s window to pass: the batch counted that wait
        # (to the tick), and no channel's time includes it, however slow the machine.
        assert run is not None and run.paced >= TICK
        assert all(r.duration + run.paced <= elapsed + TICK for r in results)


@pytest.fixture
def pinned_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every wait shows 37 s left, so the snapshot renders the same every time."""
    monkeypatch.setattr(Pause, "seconds_left", lambda self, now=None: 37.0)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_waiting_for_the_request_budget(snap_compare, gateway, monkeypatch, pinned_wait, size):
    site = gateway.add_newapi(f"waits-{size[0]}", channels=10, seed=5)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    config = AppConfig(sites=[budget_profile(site, CONNECT_AND_LIST, 600.0)], last_site=site.name)

    async def run_before(pilot) -> None:
        await wait_loaded(pilot)
        await start_test(pilot, working_ids(site)[:2])
        await wait_for(pilot, lambda: waiting_text(pilot.app))

    assert snap_compare(ChannelsApp(config=config), terminal_size=size, run_before=run_before)
