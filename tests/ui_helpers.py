"""Helpers for UI tests: the app against a demo session, and waiting for what a user would wait for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

import pytest
from textual.app import App
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.screen import Screen

from tui_channels.app import ChannelsApp
from tui_channels.backends.registry import family_of
from tui_channels.config import AppConfig, SiteProfile, load_config, save_config
from tui_channels.demo.gateway import DemoSite
from tui_channels.demo.session import DemoSession
from tui_channels.screens.main import MainScreen
from tui_channels.screens.upstream_review import SyncSourcePicker
from tui_channels.secret_store import env_var_name
from tui_channels.services.sites import LoadState

ScreenT = TypeVar("ScreenT", bound=Screen)

SNAPSHOT_PORT_BASE = 28310
"""Fixed ports for snapshot tests: the site switcher shows site URLs, so they must not vary."""


@contextmanager
def demo_session(**options) -> Iterator[DemoSession]:
    with DemoSession(**options) as demo:
        yield demo


def mark_read_only(site: str) -> None:
    """Mark one configured site read-only in the saved config (the demo session's), as `sites edit
    --read-only` would."""
    config = load_config()
    config.sites = [p.model_copy(update={"read_only": p.name == site}) for p in config.sites]
    save_config(config)


def main_screen(app: ChannelsApp) -> MainScreen:
    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise AssertionError("the main screen is not on the stack")


WAIT_LIMIT = 30.0
"""Seconds a test waits for a state before it fails: a bound for a state that never comes, not a
guess at how long it takes (the suite runs on two cores shared with other work)."""


async def wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float = WAIT_LIMIT) -> None:
    """Let the app run until `condition()` holds; fail the test if it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the app did not reach the expected state in time")
        await pilot.pause(0.02)
    await pilot.pause()


def is_painted(screen: Screen) -> bool:
    """True once the screen and every widget on it have no layout, repaint, scroll or recompose
    pending and no message waiting: what the terminal shows is what their state says. Textual lays
    out on its update timer, which a loaded machine fires late: a check of what is shown right
    after a pause can read a dialog whose hint is not laid out yet."""
    widgets = [screen, *screen.walk_children()]
    return not screen._dirty_widgets and not any(
        w._layout_required
        or w._repaint_required
        or w._scroll_required
        or w._recompose_required
        or not w._message_queue.empty()
        for w in widgets
    )


async def wait_painted(pilot: Pilot, timeout: float = WAIT_LIMIT) -> None:
    """Let the app run until its current screen `is_painted`, then paint it."""
    await wait_for(pilot, lambda: is_painted(pilot.app.screen), timeout)


def is_loaded(app: ChannelsApp) -> bool:
    """True once the current site's load finished (whatever its outcome); in the fleet view, once
    every site's load did."""
    screen = main_screen(app)
    if screen.fleet is not None:
        return not screen.fleet.pending_sites() and not any(
            w.group == "load" and w.is_running for w in screen.workers
        )
    session = screen.current
    return (
        session is not None
        and session.state not in (LoadState.IDLE, LoadState.LOADING)
        and not any(w.group == "load" and w.is_running for w in screen.workers)
    )


async def wait_loaded(pilot: Pilot, timeout: float = WAIT_LIMIT) -> None:
    await wait_for(pilot, lambda: is_loaded(pilot.app), timeout)  # type: ignore[arg-type]


def is_settled(app: ChannelsApp) -> bool:
    """True once no worker of the app runs and the site is loaded: every action a key started,
    including a reload it asked for after the server answered, has finished."""
    return not any(w.is_running for w in app.workers) and is_loaded(app)


async def wait_settled(pilot: Pilot, timeout: float = WAIT_LIMIT) -> None:
    """After an action that saves first and reloads after the server's answer: `wait_loaded`
    alone would see the list loaded before the save, not after it."""
    await wait_for(pilot, lambda: is_settled(pilot.app), timeout)  # type: ignore[arg-type]


def batch_idle(app: ChannelsApp) -> bool:
    return not main_screen(app).batch_running


@asynccontextmanager
async def running_app(
    size: tuple[int, int] = (120, 40), *, site: str | None = None, fleet: bool = False, **demo_options
) -> AsyncIterator[tuple[ChannelsApp, Pilot, DemoSession]]:
    """The app against a fresh demo session, with the first site loaded (with `fleet`, every site
    in the fleet view)."""
    with demo_session(**demo_options) as demo:
        app = ChannelsApp(site=site, fleet=fleet)
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            yield app, pilot, demo


def screen_text(app: ChannelsApp) -> str:
    """What the terminal shows, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def demo_profile(site: DemoSite) -> SiteProfile:
    """The profile a user would write for a site of the shared `gateway` fixture."""
    login = family_of(site.kind).login_field
    fields = {login: getattr(site, login)} if login else {}
    return SiteProfile(name=site.name, kind=site.kind, url=site.url, **fields)


@asynccontextmanager
async def app_on_sites(
    monkeypatch: pytest.MonkeyPatch, *sites: DemoSite, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[ChannelsApp, Pilot]]:
    """The app configured for `sites` (secrets from the environment), the first one loaded.

    For tests that need a server a `DemoSession` does not start: another flavor, role or seed.
    """
    for site in sites:
        monkeypatch.setenv(env_var_name(site.name), site.secret)
    config = AppConfig(sites=[demo_profile(site) for site in sites], last_site=sites[0].name)
    app = ChannelsApp(config=config)
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot)
        yield app, pilot


NOTICES = "recorded_notifications"
"""The app attribute where the suite keeps every notification the app raised (conftest)."""


def notices(app: App) -> list[Notification]:
    """Every notification `app` raised since it started (or since `forget_notices`), oldest first.

    Unlike `app._notifications`, nothing here expires: a test that waits for a notification under
    load still finds it after its toast timed out.
    """
    return app.__dict__.setdefault(NOTICES, [])


def forget_notices(app: App) -> None:
    """Forget the notifications raised so far, so that a test can wait for the next one."""
    notices(app).clear()
    app.clear_notifications()


async def without_toasts(pilot: Pilot) -> None:
    """Clear the notifications and wait until their toasts have left the screen (for snapshots)."""
    pilot.app.clear_notifications()
    await wait_for(pilot, lambda: not pilot.app.screen.query("Toast"))


async def wait_screen(pilot: Pilot, screen_type: type[ScreenT], timeout: float = WAIT_LIMIT) -> ScreenT:
    """Wait until the top screen is a `screen_type` and return it."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen_type), timeout)
    return pilot.app.screen  # type: ignore[return-value]


async def choose_this_apps_sync(pilot: Pilot) -> None:
    """Current New API finds upstream changes itself: `y` asks which sync; take this app's own."""
    source = await wait_screen(pilot, SyncSourcePicker)
    source.query_one("OptionList").highlighted = 2
    await pilot.press("enter")
