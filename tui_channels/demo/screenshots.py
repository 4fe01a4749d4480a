"""Regenerate the README's SVG screenshots from the real app against the demo gateway.

`make screenshots` runs `python -m tui_channels.demo.screenshots screenshots`: each shot starts
the app on a fresh demo session, presses the keys a user would, and saves the screen.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from ..app import ChannelsApp
from ..screens.main import MainScreen
from ..services.sites import LoadState
from .session import AXONHUB_SITE, CLAUDECODEHUB_SITE, NEWAPI_SITE, OCTOPUS_SITE, DemoSession

PORT_BASE = 28390


@dataclass(frozen=True)
class Shot:
    name: str
    site: str | None
    """The site the app opens on; None opens the fleet view (every site)."""
    keys: tuple[str, ...] = ()
    size: tuple[int, int] = (120, 36)
    settle: float = 0.3
    """Seconds to let the app work after the keys (a batch finishing, a list loading)."""
    then: tuple[str, ...] = ()
    """Keys pressed once the first ones have settled (another screen opened on their outcome)."""


SHOTS = (
    Shot("main-newapi", NEWAPI_SITE),
    Shot("main-octopus", OCTOPUS_SITE),
    Shot("main-axonhub", AXONHUB_SITE),
    Shot("main-80x24", NEWAPI_SITE, size=(80, 24)),
    Shot("search-and-selection", NEWAPI_SITE, ("slash", *"claude", "enter", "space", "space")),
    Shot("site-switcher", NEWAPI_SITE, ("s",)),
    Shot("column-picker", NEWAPI_SITE, ("c",)),
    Shot("help", NEWAPI_SITE, ("question_mark",)),
    Shot("edit-form", NEWAPI_SITE, ("e",)),
    Shot("model-editor", NEWAPI_SITE, ("m",), settle=1.0),
    Shot("delete-confirmation", NEWAPI_SITE, ("space", "space", "space", "d")),
    Shot("test-results", NEWAPI_SITE, ("slash", *"gpt", "enter", "a", "t"), settle=3.0),
    Shot("tag-mode", NEWAPI_SITE, ("G", "enter")),
    Shot("octopus-form", OCTOPUS_SITE, ("e",)),
    Shot("axonhub-form", AXONHUB_SITE, ("e",)),
    Shot("server-sync", OCTOPUS_SITE, ("f8",)),
    Shot("main-claudecodehub", CLAUDECODEHUB_SITE),
    Shot("claudecodehub-form", CLAUDECODEHUB_SITE, ("e",)),
    Shot("groups", OCTOPUS_SITE, ("v",)),
    Shot("upstream-review", NEWAPI_SITE, ("y", "enter", "enter")),
    Shot("fleet", None, ("slash", *"gpt-4o", "enter", "space", "space", "down", "space")),
    Shot("health", None, ("H",), settle=1.0),
    Shot("history", NEWAPI_SITE, ("minus", "down", "P", *"5", "enter"), settle=1.5, then=("h", "down")),
)


def _loaded(app: ChannelsApp) -> bool:
    screen = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
    if screen is not None and screen.fleet is not None:
        return not screen.fleet.pending_sites()
    return (
        screen is not None
        and screen.current is not None
        and screen.current.state not in (LoadState.IDLE, LoadState.LOADING)
    )


async def take(shot: Shot, folder: Path) -> Path:
    with DemoSession(port_base=PORT_BASE):
        app = ChannelsApp(site=shot.site, fleet=shot.site is None)
        async with app.run_test(size=shot.size) as pilot:
            while not _loaded(app):
                await pilot.pause(0.05)
            await pilot.press(*shot.keys)
            await pilot.pause(shot.settle)
            if shot.then:
                await pilot.press(*shot.then)
                await pilot.pause(shot.settle)
            return Path(app.save_screenshot(filename=f"{shot.name}.svg", path=str(folder)))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        print(asyncio.run(take(shot, folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
