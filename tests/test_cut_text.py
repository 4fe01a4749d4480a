"""At 80x24 nothing a user reads is cut off: every screen and dialog of the demo is walked.

What is checked on each: every key of the footer shows whole (none clipped at the right edge or
under the command palette's key; at 60x20 too); the site bar and the selection bar fit their line
(they leave out what does not fit, whole); every hint line, label and message shows every one of
its words (it may wrap), toasts included; every button shows whole inside the row that holds it and
on screen, and every field of a dialog shows whole (but in the long forms that scroll their fields,
`LONG_FORMS`); a list row fits its line; a table's column header shows whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.geometry import Region
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Footer, Input, OptionList
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from tui_channels.app import ChannelsApp
from tui_channels.demo.names import NEWAPI_SITE
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.health import HealthScreen
from tui_channels.screens.model_editor import ModelEditorScreen
from tui_channels.screens.number_prompt import NumberPrompt
from tui_channels.screens.site_form import SiteForm
from tui_channels.screens.sync_rules import SyncRulesScreen
from tui_channels.screens.tag_edit import TagEditScreen
from tui_channels.widgets.channel_table import COLUMNS as COLUMN_KEYS, GAP, ChannelTable

from tui_channels.widgets.batch_bar import BatchBar
from tui_channels.widgets.site_bar import SiteBar

from .test_keys import FACTORIES, Context
from .ui_helpers import demo_session, main_screen, mark_read_only, wait_for, wait_loaded, wait_painted, wait_screen

SIZE = (80, 24)
LONG_FORMS: dict[type[Screen], str] = {
    ChannelFormScreen: "a channel has more fields than 24 lines hold: they scroll, the buttons stay",
    SiteForm: "a site's connection, login, secret and limits: they scroll, the buttons stay",
    SyncRulesScreen: "the site's rules and the channel's: they scroll, the buttons stay",
    TagEditScreen: "every field a tag edit can set: they scroll, the buttons stay",
}
"""Dialogs whose fields scroll at 80x24 (their buttons must still show), with the reason."""


def screen_lines(app: App) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def shown_text(app: App, region: Region) -> str:
    lines = screen_lines(app)[region.y : region.bottom]
    return " ".join(line[region.x : region.right] for line in lines)


def plain(widget: Widget) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, (Text, Content)) else str(rendered)


def cut_footer_keys(screen: Screen) -> Iterator[str]:
    for footer in screen.query(Footer):
        keys = [k for k in footer.query(FooterKey) if shown(k)]
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


LONG_TOAST = (
    "Enter a whole number from -9,223,372,036,854,775,808 to 9,223,372,036,854,775,807: "
    "the server stores a 64-bit integer."
)
"""A toast of four lines at 80 columns."""

HINTS_READ: list[str] = []
"""Every hint line the walk read, so that an empty walk cannot pass."""


def cut_hints(app: App, screen: Screen, scrolling: bool = False) -> Iterator[str]:
    """Every hint shows every word; in a dialog whose fields scroll (`LONG_FORMS`, or under
    toasts), one scrolled out of sight is not cut."""
    scrolls = scrolling or type(screen) in LONG_FORMS
    for hint in screen.query(".dialog-hint"):
        if not hint.display or not hint.region:
            continue
        placed = visible_part(screen, hint)
        if scrolls and (placed is None or not placed[1].contains_region(placed[0])):
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


def shown(widget: Widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def visible_part(screen: Screen, widget: Widget) -> tuple[Region, Region] | None:
    """The widget's region and the region it is clipped to, or None when it is not on screen."""
    return screen._compositor.visible_widgets.get(widget)


RULE = re.compile(r"[\u2500-\u259f]+")
"""A border drawn with the text (a rule above a detail pane), not a word of it."""


def own_text(widget: Widget, region: Region) -> str:
    """What the widget draws in its own region (what covers it, a docked row or a toast, aside)."""
    strips = widget.render_lines(Region(0, 0, region.width, region.height))
    return " ".join("".join(segment.text for segment in strip.crop(0, region.width)) for strip in strips)


def cut_texts(screen: Screen) -> Iterator[str]:
    """Labels and messages (toasts too) show every word: none runs past its own width or the
    container that clips it. One scrolled out of its list is not cut: the list scrolls."""
    for text in screen.query("Label, Static"):
        if text.has_class("dialog-hint") or not shown(text) or not isinstance(text.render(), (str, Text, Content)):
            continue
        words = [word for word in plain(text).split() if not RULE.fullmatch(word)]
        placed = visible_part(screen, text)
        if not words or placed is None:
            continue
        region, clip = placed
        if region.y < clip.y or region.bottom > clip.bottom:
            continue
        visible = [word for word in own_text(text, region).split() if not RULE.fullmatch(word)]
        kind = "toast" if isinstance(text, Toast) else type(text).__name__
        if words != visible or region.x < clip.x or region.right > clip.right:
            part = shown_text(app_of(screen), region.intersection(clip)).split() if words == visible else visible
            yield f"{kind} {' '.join(words)!r} shows as {' '.join(part)!r}"


def app_of(screen: Screen) -> App:
    return screen.app


def hidden_controls(screen: Screen, scrolling: bool = False) -> Iterator[str]:
    """In a dialog every button shows whole on screen, and every field too (but in `LONG_FORMS`,
    and with `scrolling`, under toasts that take rows: there a form's fields scroll)."""
    if not isinstance(screen, ModalScreen):
        return
    scrolls = scrolling or type(screen) in LONG_FORMS
    for control in screen.query("Button, Input, TextArea, Select, Checkbox"):
        if not shown(control) or control.disabled:
            continue
        if scrolls and not isinstance(control, Button):
            continue
        if isinstance(control, Button) and scrolls and control.parent is not None and (
            not control.parent.has_class("dialog-buttons")
        ):
            continue
        placed = visible_part(screen, control)
        name = f"{type(control).__name__} #{control.id or plain(control).strip()}"
        if placed is None:
            yield f"{name} is out of sight"
        elif not placed[1].contains_region(placed[0]):
            yield f"{name} is cut"


def wrapped_rows(screen: Screen) -> Iterator[str]:
    """A row of a list laid out in columns (class `columns`) fits its line: wrapped, its end went
    under the next row, out of the list's sight."""
    for options in screen.query("OptionList.columns"):
        assert isinstance(options, OptionList)
        width = options.scrollable_content_region.width
        if not shown(options) or width <= 0:
            continue
        for index in range(options.option_count):
            prompt = options.get_option_at_index(index).prompt
            text = prompt.plain if isinstance(prompt, Text) else str(prompt)
            for line in text.splitlines():
                if Text(line).cell_len > width:
                    yield f"list row {line.strip()!r} is wider than its {width} columns"


def cut_headers(screen: Screen) -> Iterator[str]:
    """A channel table's column header shows whole or not at all (at the left of the table)."""
    for table in screen.query(ChannelTable):
        if not shown(table) or table.tag_mode:
            continue
        width = table.scrollable_content_region.width
        x = 0
        for column, cells in zip(table._columns, table._widths):
            label = table.label_of(column.key) if column.key in COLUMN_KEYS else column.label
            if x < width < x + min(len(label), cells):
                yield f"column header {label!r} shows as {label[: width - x]!r}"
            x += cells + GAP


def hidden_warnings(app: App, screen: Screen) -> Iterator[str]:
    """A confirmation opens on its counts and warnings (its message before the paragraph naming
    channels): as much of them as its message box holds, from the first word, never a list of names
    ahead of them; when they do not all fit, its hint says the message scrolls."""
    for message in screen.query("#confirm-message"):
        body = message.parent
        if not isinstance(body, Widget) or not shown(message) or not body.region:
            continue
        paragraphs = plain(message).split("\n\n")
        named = [n for n, p in enumerate(paragraphs) if re.search(r"^  #", p, re.MULTILINE)]
        head = "\n\n".join(paragraphs[: named[0]] if named else paragraphs).split()
        visible = RULE.sub(" ", shown_text(app, body.region)).split()
        fits = visible[: len(head)] == head
        if not fits and head[: len(visible)] != visible:
            yield f"confirmation {' '.join(head)!r} shows as {' '.join(visible)!r}"
        elif not fits and not any("scroll" in plain(h) for h in screen.query(".dialog-hint")):
            yield f"confirmation {' '.join(head)!r} is cut and its hint does not say it scrolls"


def covered_by_toasts(screen: Screen) -> Iterator[str]:
    """Over a dialog, no toast covers a field, a button or a line of text of it."""
    if not isinstance(screen, ModalScreen):
        return
    toasts = [t.region for t in screen.query(Toast) if t.region]
    for control in screen.query("Button, Input, TextArea, Select, Checkbox, Label, Static, OptionList, DataTable"):
        placed = visible_part(screen, control)
        if isinstance(control, Toast) or not shown(control) or placed is None:
            continue
        seen = placed[0].intersection(placed[1])
        if any(region.overlaps(seen) for region in toasts):
            yield f"a toast covers {type(control).__name__} #{control.id or plain(control).strip()[:30]!r}"


async def footer_settled(pilot, screen: Screen) -> None:
    """Let a footer that has just been mounted leave out the keys it cannot show whole (it does so
    after a refresh): a few frames at most, then what is still cut is reported."""
    for _frame in range(10):
        await pilot.pause()
        if not list(cut_footer_keys(screen)):
            return


MIN_LIST_ROWS = 3
"""The fewest rows a list shows (when it holds that many): one row is not a list to choose from.
Under a four-line toast, for the seconds it shows, a list at 60x20 keeps one row and the buttons."""


def buttons_under_hints(screen: Screen) -> Iterator[str]:
    """No hint docked at a dialog's edge lies over one of its buttons (the button's region is then
    inside the dialog, but what shows there is the hint)."""
    hints = [h.region for h in screen.query(".dialog-hint") if shown(h) and h.region]
    for button in screen.query(Button):
        if shown(button) and button.region and any(h.overlaps(button.region) for h in hints):
            yield f"button {plain(button).strip()!r} is under a hint"


def short_lists(screen: Screen, least: int = MIN_LIST_ROWS) -> Iterator[str]:
    """Every list or table shows at least `least` of its rows (all of them when fewer)."""
    for rows in screen.query("OptionList, DataTable, ChannelTable, SelectionList"):
        if not shown(rows) or not rows.region:
            continue
        count = rows.option_count if isinstance(rows, OptionList) else getattr(rows, "row_count", 0)
        height = rows.scrollable_content_region.height
        if isinstance(rows, DataTable) and rows.show_header:
            height -= rows.header_height
        if height < min(count, least):
            name = f"{type(rows).__name__} #{rows.id}"
            yield f"{name} shows {max(height, 0)} of its {count} rows"


def problems(app: App, what: str, *, toasted: bool = False) -> list[str]:
    """What is cut on the screen on top; `toasted`: under toasts, which a dialog makes room for."""
    screen = app.screen
    found = [
        *cut_footer_keys(screen),
        *cut_bars(screen),
        *cut_hints(app, screen, scrolling=toasted),
        *cut_buttons(screen),
        *cut_texts(screen),
        *hidden_controls(screen, scrolling=toasted),
        *wrapped_rows(screen),
        *cut_headers(screen),
        *hidden_warnings(app, screen),
        *covered_by_toasts(screen),
        *short_lists(screen, 1 if toasted else MIN_LIST_ROWS),
        *buttons_under_hints(screen),
    ]
    return [f"{what}: {problem}" for problem in found]


@pytest.mark.parametrize("size", [SIZE, (60, 20)], ids=["80x24", "60x20"])
async def test_nothing_is_cut_on_any_screen(size: tuple[int, int]) -> None:
    """Every screen and dialog at 80x24 and on a narrower terminal still, 60x20. Each dialog is
    looked at under a long toast too: at 80x24 it keeps every button in sight below the toast; at
    60x20, where 20 lines leave a tall dialog too few below a four-line toast, the toast at least
    covers none of it."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=size, notifications=True) as pilot:
            await wait_loaded(pilot)
            main = main_screen(app)
            await wait_painted(pilot)
            await footer_settled(pilot, main)
            found = problems(app, "main screen")
            await pilot.press("space", "space", "space")
            await wait_painted(pilot)
            found += problems(app, "main screen with a selection")

            octopus = app.sessions.get(next(site for site in app.config.sites if site.kind == "octopus"))
            await octopus.load()
            await octopus.load_groups()
            ctx = Context(app, main, main.current, octopus)
            for cls, build in FACTORIES.items():
                screen = build(ctx)
                await app.push_screen(screen)
                await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
                await wait_painted(pilot)
                await footer_settled(pilot, screen)
                found += problems(app, cls.__name__)
                if isinstance(screen, ModalScreen):
                    app.notify(LONG_TOAST, title="Priority")
                    await wait_for(pilot, lambda: any(t.region.height for t in screen.query(Toast)))
                    await wait_painted(pilot)
                    found += problems(app, f"{cls.__name__} under a long toast", toasted=True)
                    app.clear_notifications()
                    await wait_for(pilot, lambda: not screen.query(Toast))
                if isinstance(screen, NumberPrompt):
                    screen.query_one(Input).value = "9" * 25
                    await pilot.press("enter")
                    await wait_for(pilot, lambda: bool(plain(screen.query_one("#number-error"))))
                    await wait_painted(pilot)
                    found += problems(app, f"{cls.__name__} with a number out of range")
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)

            app.notify(LONG_TOAST, title="Priority")
            await wait_for(pilot, lambda: any(t.region.height for t in app.screen.query(Toast)))
            await wait_painted(pilot)
            found += problems(app, "main screen with a long toast")
            app.clear_notifications()

            await pilot.press("F")
            await wait_for(pilot, lambda: main.fleet is not None)
            await wait_loaded(pilot)
            await wait_for(pilot, lambda: not main.fleet.pending_sites())
            await pilot.press("space", "space")
            await wait_painted(pilot)
            found += problems(app, "fleet view with a selection")
            assert not found, f"cut at {size[0]}x{size[1]}:\n" + "\n".join(found)
            assert len(HINTS_READ) >= 20, HINTS_READ


async def test_footers_are_whole_at_60x20() -> None:
    """On a terminal narrower still, the footer leaves out the keys it cannot show whole."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=(60, 20)) as pilot:
            await wait_loaded(pilot)
            main = main_screen(app)
            await wait_for(pilot, lambda: bool(main.query(FooterKey)))
            await wait_painted(pilot)
            found = [f"main screen: {p}" for p in cut_footer_keys(main)]
            footer = main.query_one(Footer)
            line = screen_lines(app)[footer.region.y]
            shown_keys = [k for k in footer.query(FooterKey) if shown(k)]
            assert len(shown_keys) >= 4 and line.rstrip().endswith("palette"), line
            await pilot.press("F")
            await wait_for(pilot, lambda: main.fleet is not None)
            await wait_loaded(pilot)
            await wait_painted(pilot)
            found += [f"fleet view: {p}" for p in cut_footer_keys(main)]
            assert not found, "cut at 60x20:\n" + "\n".join(found)


@pytest.mark.parametrize("size", [SIZE, (60, 20)], ids=["80x24", "60x20"])
async def test_fleet_confirmations_show_their_counts_warnings_and_buttons(size: tuple[int, int]) -> None:
    """Enable, disable, delete and tag over a long fleet selection with a read-only site: the
    counts, the auto-disabled and already-enabled lines and the sites left out show before any name,
    the names stop at ten with "and N more", every button shows whole (three at 60 columns), and
    the list scrolls from the keyboard while focus stays on Cancel or the typed count."""
    with demo_session():
        mark_read_only(NEWAPI_SITE)
        app = ChannelsApp(fleet=True)
        async with app.run_test(size=size, notifications=True) as pilot:
            await wait_loaded(pilot)
            main = main_screen(app)
            await wait_for(pilot, lambda: not main.fleet.pending_sites())
            await pilot.press("a")
            await wait_for(pilot, lambda: len(main.table.selected_ids) == main.table.total_count)
            found: list[str] = []
            for keys, kind in (
                (("plus",), StatusConfirmScreen),
                (("minus",), StatusConfirmScreen),
                (("d",), ConfirmScreen),
                (("g", "enter", *"cut-tag", "enter"), ConfirmScreen),
            ):
                await pilot.press(*keys)
                confirm = await wait_screen(pilot, kind)
                await wait_for(pilot, lambda: confirm.query_one("#confirm-message").region.height > 0)
                await wait_painted(pilot)
                text = plain(confirm.query_one("#confirm-message"))
                what = f"{keys[0]} confirmation"
                found += problems(app, what)
                assert f"Left out: 60 channels on {NEWAPI_SITE} (read-only" in text, text
                assert re.search(r"and [\d,]+ more", text), text
                assert len(re.findall(r"^  #", text, re.MULTILINE)) == 10, text
                if kind is StatusConfirmScreen and size == SIZE:
                    shown_now = " ".join(screen_lines(app))
                    for line in ("already", "Auto-disabled" if keys == ("plus",) else "", "Left out: 60"):
                        assert line in shown_now, f"{line!r} is out of sight:\n" + "\n".join(screen_lines(app))
                body = confirm.query_one("#confirm-body")
                if body.max_scroll_y:
                    await pilot.press("pagedown")
                    await wait_for(pilot, lambda: body.scroll_y > 0)
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is main)
                app.clear_notifications()
                await wait_for(pilot, lambda: not app.screen.query(Toast))
            assert not found, f"cut at {size[0]}x{size[1]}:\n" + "\n".join(found)


async def test_the_model_editor_and_health_lists_keep_three_rows_at_60x20() -> None:
    """The model editor on a channel of eight models and the fleet's health list (ten findings)
    show at least three rows at 60x20, and the editor keeps its buttons under a long toast."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=(60, 20), notifications=True) as pilot:
            await wait_loaded(pilot)
            main = main_screen(app)
            await pilot.press("m")
            editor = await wait_screen(pilot, ModelEditorScreen)
            await wait_painted(pilot)
            models = editor.query_one("#model-list", OptionList)
            assert models.option_count >= 8
            assert models.scrollable_content_region.height >= MIN_LIST_ROWS, screen_lines(app)
            app.notify(LONG_TOAST, title="Priority")
            await wait_for(pilot, lambda: any(t.region.height for t in editor.query(Toast)))
            await wait_painted(pilot)
            assert not [*hidden_controls(editor, scrolling=True), *buttons_under_hints(editor)], screen_lines(app)
            app.clear_notifications()
            await wait_for(pilot, lambda: not editor.query(Toast))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main)
            await pilot.press("F")
            await wait_for(pilot, lambda: main.fleet is not None and not main.fleet.pending_sites())
            await pilot.press("H")
            health = await wait_screen(pilot, HealthScreen)
            findings = health.query_one("#health-list", OptionList)
            await wait_for(pilot, lambda: findings.option_count >= 3)
            await wait_painted(pilot)
            assert findings.scrollable_content_region.height >= MIN_LIST_ROWS, screen_lines(app)
