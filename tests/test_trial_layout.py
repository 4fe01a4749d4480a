"""What a fresh user saw cut, garbled or hidden at 80x24 and 60x20, each checked on the screen it
was seen on: the footer after the command palette, the history footer and detail pane, the filter
pickers, the copy preview, notifications over dialogs and the fleet's error lines, checkboxes."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, OptionList, Select
from textual.widgets._select import SelectOverlay
from textual.widgets._toast import Toast

from tui_channels.app import ChannelsApp
from tui_channels.config import AppConfig
from tui_channels.demo.gateway import DemoGateway
from tui_channels.demo.names import OCTOPUS_SITE
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.copy_report import CopyReportScreen
from tui_channels.screens.groups import GroupsScreen
from tui_channels.screens.history import HistoryScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.secret_store import env_var_name
from tui_channels.widgets import tickbox
from tui_channels.widgets.fleet_status import FleetStatus
from tui_channels.widgets.tickbox import Tickbox

from .test_cut_text import cut_footer_keys, footer_settled, plain, screen_lines, shown_text
from .ui_helpers import (
    batch_idle,
    demo_profile,
    demo_session,
    main_screen,
    running_app,
    screen_text,
    wait_for,
    wait_loaded,
    wait_painted,
    wait_screen,
)

SIZES = [(80, 24), (60, 20)]


async def _fleet(pilot, app: ChannelsApp) -> None:
    await pilot.press("F")
    screen = main_screen(app)
    await wait_for(pilot, lambda: screen.fleet is not None and not screen.fleet.pending_sites())
    await wait_painted(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_footer_leaves_out_what_is_cut_after_a_command_from_the_palette(size) -> None:
    """A command from the palette changes the footer's keys while the palette is on top: once the
    palette has gone, the keys that no longer fit are left out, not drawn under the palette key."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            await _fleet(pilot, app)
            screen = main_screen(app)
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: app.screen is not screen)
            await pilot.press(*"sort name")
            await wait_painted(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen)
            await wait_painted(pilot)
            await footer_settled(pilot, screen)
            assert not list(cut_footer_keys(screen)), screen_lines(app)[-1]
            assert screen_lines(app)[-1].rstrip().endswith("palette"), screen_lines(app)[-1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_an_unticked_box_is_empty_and_a_switch_says_off(size) -> None:
    """Octopus's "Auto sync" and "Use global proxy" are off in the demo: their boxes show no mark
    and say "off" (colour alone told them from ticked ones); ticked, they show the mark and "on"."""
    async with running_app(size, site=OCTOPUS_SITE) as (app, pilot, _demo):
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        await wait_painted(pilot)
        boxes = list(form.query(Checkbox))
        assert boxes and all(isinstance(box, Tickbox) for box in boxes)
        switch = form.query_one("#field-auto_sync Checkbox", Checkbox)
        assert not switch.value
        assert plain(switch).split() == ["▐", "▌", "off"]
        switch.toggle()
        await wait_for(pilot, lambda: plain(switch).split() == ["▐X▌", "on"])


def test_the_app_draws_every_checkbox_as_a_tickbox() -> None:
    """No screen builds Textual's own `Checkbox`, whose unticked box shows the same mark."""
    package = Path(tickbox.__file__).parent.parent
    built = [
        f"{path.relative_to(package)}:{n}"
        for path in package.rglob("*.py")
        if path.name != "tickbox.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\b(Checkbox|SelectionList)\(", line)
    ]
    assert not built


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_notification_shows_once_over_a_dialog_and_again_once_it_closes(size) -> None:
    """A toast raised before a dialog opens moves to the dialog's top rows: the screen below, which
    shows through around the dialog, no longer draws its own copy; it shows it again once the
    dialog has closed."""
    note = "Reading the channels of 2 entries on 2 sites…"
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=size, notifications=True) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            app.notify(note, timeout=600)
            await wait_for(pilot, lambda: any(t.region.height for t in screen.query(Toast)))
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: app.screen is not screen)
            await wait_for(pilot, lambda: any(t.region.height for t in app.screen.query(Toast)))
            await wait_for(pilot, lambda: screen_text(app).count(note[:20]) == 1)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            await wait_for(pilot, lambda: any(t.region.height for t in screen.query(Toast)))
            await wait_painted(pilot)
            assert screen_text(app).count(note[:20]) == 1, screen_text(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_history_keeps_its_undo_keys_result_column_and_whole_details(size) -> None:
    """After a disable over two sites, the history shows `u` and `U` in its footer, the Result
    column, and the cursor entry's details to their last word (they scroll when they need more)."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            await _fleet(pilot, app)
            screen = main_screen(app)
            await pilot.press("slash", *"claude-main", "enter", "a", "minus")
            await wait_screen(pilot, StatusConfirmScreen)
            await pilot.press("y")
            await wait_for(pilot, lambda: not isinstance(app.screen, StatusConfirmScreen) and batch_idle(app))
            while app.screen is not screen:
                await pilot.press("escape")
            await pilot.press("escape", "h")
            history = await wait_screen(pilot, HistoryScreen)
            await wait_for(pilot, lambda: history.loaded)
            await wait_painted(pilot)
            await footer_settled(pilot, history)
            lines = screen_lines(app)
            assert "u Undo" in lines[-1] and "U Undo batch" in lines[-1], lines[-1]
            assert "Result" in lines[2] and " ok " in lines[3], lines[:4]
            assert "U undoes every one it can." in " ".join(" ".join(lines).split()), lines


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_warning_that_a_site_did_not_load_leaves_its_error_line_in_sight(
    size, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the fleet with a site that cannot be reached, the toast saying so sits below the lines of
    failed sites above the table, not over the error it points to."""
    good = gateway.add_newapi(f"toast-good-{size[0]}")
    dead = gateway.add_newapi(f"toast-dead-{size[0]}")
    for site in (good, dead):
        monkeypatch.setenv(env_var_name(site.name), site.secret)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    profiles = [demo_profile(good), demo_profile(dead).model_copy(update={"url": f"http://127.0.0.1:{closed}"})]
    app = ChannelsApp(config=AppConfig(sites=profiles), fleet=True)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = main_screen(app)
        await wait_for(pilot, lambda: any("did not load" in str(t.render()) for t in screen.query(Toast)))
        await wait_painted(pilot)
        status = screen.query_one(FleetStatus)
        assert status.display and status.region, screen_lines(app)
        toasts = [t.region for t in screen.query(Toast) if t.region]
        assert not any(region.overlaps(status.region) for region in toasts), screen_lines(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_filter_picker_lists_its_choices_whole_and_a_cut_choice_ends_in_an_ellipsis(size) -> None:
    """In the fleet, the type, group, tag and site pickers open inside the screen with each choice
    on one line of its own, whole; the picker showing a choice longer than itself ends it in "…"."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            await _fleet(pilot, app)
            screen = main_screen(app)
            for name in ("type", "group", "tag", "site"):
                select = screen.query_one(f"#{name}-filter", Select)
                assert select.display, name
                select.focus()
                await pilot.press("enter")
                await wait_for(pilot, lambda: select.expanded)
                await wait_painted(pilot)
                overlay = select.query_one(SelectOverlay)
                region = overlay.region
                assert screen.region.contains_region(region), (name, region)
                rows = {" ".join(line[region.x : region.right].split()) for line in screen_lines(app)[region.y : region.bottom]}
                labels = [str(overlay.get_option_at_index(n).prompt) for n in range(overlay.option_count)]
                seen = labels[: overlay.scrollable_content_region.height]
                assert seen and all(label in rows for label in seen), (name, seen, rows)
                await pilot.press("escape")
                await wait_for(pilot, lambda: not select.expanded)
            site = screen.query_one("#site-filter", Select)
            longest = max((value for _label, value in site._options if isinstance(value, str)), key=len)
            site.value = longest
            await wait_painted(pilot)
            label = " ".join(plain(site.query_one("SelectCurrent #label")).split())
            assert label == longest or len(label) < len(longest) and label.endswith("…"), label
            shown = " ".join(shown_text(app, site.query_one("SelectCurrent #label").region).split())
            assert shown == longest or (shown.endswith("…") and longest.startswith(shown[:-1])), shown


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_copy_preview_fits_its_columns_and_ends_a_cut_cell_in_an_ellipsis(size) -> None:
    """Copying three channels of three sites to Claude Code Hub: the preview's columns fit the
    dialog (no column past its right edge, so no row lost to a scrollbar), each header is whole,
    and a cell too long for its column ends in "…" (it read "Not ca" and "2 item")."""
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=size) as pilot:
            await wait_loaded(pilot)
            await _fleet(pilot, app)
            screen = main_screen(app)
            await pilot.press("slash", *"openai-sg", "enter", "a", "C")
            await wait_for(pilot, lambda: app.screen is not screen)
            picker = app.screen.query_one(OptionList)
            target = next(n for n in range(picker.option_count) if "demo-claudecodehub" in str(picker.get_option_at_index(n).prompt))
            picker.highlighted = target
            await pilot.press("enter")
            preview = await wait_screen(pilot, CopyReportScreen)
            table = preview.query_one("#plan-rows", DataTable)
            await wait_for(pilot, lambda: table.row_count == 3)
            await wait_painted(pilot)
            assert table.virtual_size.width <= table.scrollable_content_region.width, screen_lines(app)
            header = " ".join(shown_text(app, table.region).split()[: len(CopyReportScreen.COLUMNS) + 1])
            assert "Not carried" in header, header
            for row in range(table.row_count):
                for column, cell in zip(CopyReportScreen.COLUMNS, table.get_row_at(row), strict=True):
                    text = cell.plain if hasattr(cell, "plain") else str(cell)
                    assert len(text) <= table.columns[column].width, (column, text)
            if size == (80, 24):
                assert table.scrollable_content_region.height >= 3 + table.header_height, screen_lines(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_octopus_groups_list_shows_its_groups_side_by_side(size) -> None:
    """The demo Octopus has three groups: the groups screen lists all three at 80x24 and at least
    three rows at 60x20 (it showed one, the members pane below taking the rest)."""
    async with running_app(size, site=OCTOPUS_SITE) as (app, pilot, _demo):
        await pilot.press("v")
        groups = await wait_screen(pilot, GroupsScreen)
        listed = groups.query_one("#groups-list", OptionList)
        await wait_for(pilot, lambda: listed.option_count >= 3)
        await wait_painted(pilot)
        assert listed.scrollable_content_region.height >= 3, screen_lines(app)
        names = [g.name for g in groups._shown]
        shown = " ".join(screen_lines(app))
        assert all(name[:6] in shown for name in names[:3]), (names, screen_lines(app))
