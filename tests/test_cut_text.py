"""At 80x24 no footer, bar or hint line is cut off: every screen and dialog of the demo is walked.

What is checked on each: every key of the footer shows whole (none clipped at the right edge or
under the command palette's key); the site bar and the selection bar fit their line (they leave
out what does not fit, whole); every hint line shows every one of its words (it may wrap); every
button shows whole inside the row that holds it.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer
from textual.widgets._footer import FooterKey

from tui_channels.widgets.batch_bar import BatchBar
from tui_channels.widgets.site_bar import SiteBar

from .test_keys import FACTORIES, Context
from .ui_helpers import main_screen, running_app, wait_for, wait_loaded

SIZE = (80, 24)


def screen_lines(app: App) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def shown_text(app: App, region: Region) -> str:
    lines = screen_lines(app)[region.y : region.bottom]
    return " ".join(line[region.x : region.right] for line in lines)


def plain(widget: Widget) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def cut_footer_keys(screen: Screen) -> Iterator[str]:
    for footer in screen.query(Footer):
        keys = list(footer.query(FooterKey))
        palette = [k for k in keys if k.has_class("-command-palette")]
        for key in keys:
            label = " ".join(plain(key).split())
            region = key.region
            if not region or not footer.region.contains_region(region):
                yield f"footer key {label!r} is cut at the edge"
            elif any(key is not p and region.overlaps(p.region) for p in palette):
                yield f"footer key {label!r} is under the palette key"


def cut_bars(screen: Screen) -> Iterator[str]:
    for bar in screen.query("SiteBar, BatchBar"):
        if not isinstance(bar, (SiteBar, BatchBar)) or not bar.display:
            continue
        text = plain(bar)
        if Text(text).cell_len > bar.region.width:
            yield f"{type(bar).__name__} {text.strip()!r} is longer than its {bar.region.width} columns"


HINTS_READ: list[str] = []
"""Every hint line the walk read, so that an empty walk cannot pass."""


def cut_hints(app: App, screen: Screen) -> Iterator[str]:
    for hint in screen.query(".dialog-hint"):
        if not hint.display or not hint.region:
            continue
        words = plain(hint).split()
        HINTS_READ.append(" ".join(words))
        visible = shown_text(app, hint.region).split()
        if words != visible:
            yield f"hint {' '.join(words)!r} shows as {' '.join(visible)!r}"


def cut_buttons(screen: Screen) -> Iterator[str]:
    for button in screen.query(Button):
        row = button.parent
        if not button.display or not isinstance(row, Widget) or not row.region:
            continue
        if not row.region.contains_region(button.region):
            yield f"button {plain(button).strip()!r} is cut by its row"


def problems(app: App, what: str) -> list[str]:
    screen = app.screen
    found = [*cut_footer_keys(screen), *cut_bars(screen), *cut_hints(app, screen), *cut_buttons(screen)]
    return [f"{what}: {problem}" for problem in found]


async def test_nothing_is_cut_at_80_columns_on_any_screen() -> None:
    async with running_app(size=SIZE) as (app, pilot, _demo):
        main = main_screen(app)
        found = problems(app, "main screen")
        await pilot.press("space", "space", "space")
        await pilot.pause()
        found += problems(app, "main screen with a selection")

        octopus = app.sessions.get(next(site for site in app.config.sites if site.kind == "octopus"))
        await octopus.load()
        await octopus.load_groups()
        ctx = Context(app, main, main.current, octopus)
        for cls, build in FACTORIES.items():
            screen = build(ctx)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
            await pilot.pause()
            found += problems(app, cls.__name__)
            app.pop_screen()
            await wait_for(pilot, lambda: app.screen is main)

        await pilot.press("F")
        await wait_for(pilot, lambda: main.fleet is not None)
        await wait_loaded(pilot)
        await pilot.press("space", "space")
        await pilot.pause()
        found += problems(app, "fleet view with a selection")
        assert not found, "cut at 80x24:\n" + "\n".join(found)
        assert len(HINTS_READ) >= 20, HINTS_READ
