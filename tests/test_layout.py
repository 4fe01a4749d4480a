"""At 80x24, what a user reads is not cut: hints, labels, placeholders, enough rows, small toasts."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList
from textual.widgets._toast import Toast

from tui_channels.app import ChannelsApp
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.model_editor import ModelEditorScreen
from tui_channels.screens.scope_picker import ScopePicker
from tui_channels.screens.sync_preview import SyncPreviewScreen

from .ui_helpers import (
    choose_this_apps_sync,
    demo_session,
    main_screen,
    running_app,
    screen_text,
    wait_for,
    wait_loaded,
    wait_screen,
)

SMALL = (80, 24)


async def test_the_search_placeholder_is_never_cut():
    """New API shows five filters: at 80 columns the placeholder is a shorter one, whole."""
    for size, placeholder in ((SMALL, "/ search"), ((120, 40), "/ search name, URL, id, model")):
        async with running_app(size=size) as (app, _pilot, _demo):
            shown = screen_text(app).splitlines()[1].split("  ")[0].strip()
            assert shown == placeholder


async def test_the_model_editor_buttons_read_in_full_at_80_columns():
    async with running_app(size=SMALL) as (app, pilot, _demo):
        await pilot.press("m")
        await wait_screen(pilot, ModelEditorScreen)
        text = screen_text(app)
        assert "Fetch from upstream (f)" in text and "Uncheck (-)" in text


async def test_the_sync_preview_lists_at_least_ten_lines_at_80x24():
    async with running_app(size=SMALL) as (app, pilot, _demo):
        await pilot.press("y")
        picker = await wait_screen(pilot, ScopePicker)
        picker.query_one(OptionList).highlighted = picker._scopes.index(
            next(scope for scope in picker._scopes if scope.key == "all")
        )
        await pilot.press("enter")
        await choose_this_apps_sync(pilot)
        preview = await wait_screen(pilot, SyncPreviewScreen, timeout=30)
        await wait_for(pilot, lambda: preview.query_one("#sync-list").size.height > 0)
        assert preview.query_one("#sync-list").size.height >= 10
        assert "a applies · Esc cancels" in screen_text(app)


async def test_notifications_are_short_and_out_of_the_way():
    with demo_session():
        app = ChannelsApp()
        async with app.run_test(size=SMALL, notifications=True) as pilot:
            await wait_loaded(pilot)
            app.notify("Exported 60 channels to /tmp/somewhere/demo-newapi-20260101.json.", title="Export")
            await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
            toast = app.screen.query_one(Toast)
            await wait_for(pilot, lambda: toast.region.height > 0)
            assert toast.region.width <= 44
            assert toast.region.height <= 3, "one line of title and at most two of message"
            assert toast.region.y <= 2, "up under the site bar, away from the table's last rows and dialog buttons"
            assert app.NOTIFICATION_TIMEOUT <= 5


async def test_a_long_confirmation_keeps_its_buttons_in_sight_at_80x24():
    async with running_app(size=SMALL) as (app, pilot, _demo):
        await pilot.press(*["space"] * 12, "d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        dialog = confirm.query_one("#confirm").region
        for button in ("#confirm-yes", "#confirm-no"):
            region = confirm.query_one(button).region
            assert region.height and dialog.contains_region(region), button
        text = screen_text(app)
        assert "Cancel" in text and "Type 12, then Enter" in text


def test_flexible_columns_share_spare_width_and_give_it_up_on_a_narrow_terminal():
    from tui_channels.widgets.channel_table import COLUMNS, resolve_widths

    columns = [COLUMNS[k] for k in ("id", "name", "status", "base_url")]
    natural = sum(c.width for c in columns) + 3
    wide = resolve_widths(columns, natural + 40)
    assert wide == [6, 16 + 20, 13, 26 + 20], "Name and Base URL share the spare width"
    narrow = resolve_widths(columns, natural - 12)
    assert narrow[0] == 6 and narrow[2] == 13, "fixed columns keep their width"
    assert narrow[1] >= 12 and narrow[3] >= 16 and sum(narrow) + 3 == natural - 12
    assert resolve_widths(columns, 10) == [6, 12, 13, 16], "never below their minimum"
    keys = ("id", "name", "type", "status", "models", "group", "priority", "weight", "tag", "base_url", "balance")
    many = [COLUMNS[k] for k in keys]
    assert resolve_widths(many, 120)[1] >= 16, "a wide terminal scrolls instead of cutting names"
    widths = resolve_widths(many, 120)
    starts = [sum(widths[:i]) + i for i in range(len(widths))]
    assert not any(start < 120 < start + width for start, width in zip(starts, widths)), (
        "the columns in view end at the edge: none shows cut before the table is scrolled"
    )


async def test_claude_code_hubs_priority_header_reads_in_full_at_80_columns():
    from tui_channels.demo.session import CLAUDECODEHUB_SITE

    async with running_app(size=SMALL, site=CLAUDECODEHUB_SITE) as (app, _pilot, _demo):
        assert "Prio(low)" in screen_text(app).splitlines()[2]


async def test_the_site_bar_says_how_the_table_is_sorted():
    async with running_app() as (app, pilot, _demo):
        assert "sorted by ID ▲" in screen_text(app).splitlines()[0]
        main_screen(app).sort_by("name", True)
        await wait_for(pilot, lambda: "sorted by Name ▼" in screen_text(app).splitlines()[0])


async def test_octopus_heads_its_traffic_latency_as_such_and_offers_success_and_cost():
    from tui_channels.demo.session import OCTOPUS_SITE

    async with running_app(site=OCTOPUS_SITE) as (app, _pilot, demo):
        header = screen_text(app).splitlines()[2]
        assert "Avg wait" in header and "Resp." not in header and "Success" in header
        session = main_screen(app).current
        server = demo.gateway.sites[OCTOPUS_SITE].server
        for channel in session.channels:
            stats = server.channels[channel.id].get("stats") or {}
            requests = stats.get("request_success", 0) + stats.get("request_failed", 0)
            if requests:
                assert channel.success_rate == stats["request_success"] / requests
                assert channel.cost == stats["input_cost"] + stats["output_cost"]
        assert any(c.success_rate is not None for c in session.channels)
        assert "cost" in session.capabilities.hidden_columns


async def test_the_fleet_bar_keeps_its_site_count_and_read_only_sites_after_a_site_is_saved():
    """Marking a site read-only in the site manager adds its name to the fleet's bar: at 80x24 the
    sort gives way, not "7 sites"; at 60x20 the read-only sites are counted, never cut to "READ-ONLY:"."""
    from textual.widgets import Checkbox

    from tui_channels.demo.names import DEMO_SITES
    from tui_channels.screens.site_form import SiteForm
    from tui_channels.screens.site_manager import SiteManagerScreen

    async def mark_read_only(pilot, main, site: str) -> None:
        await pilot.press("S")
        manager = await wait_screen(pilot, SiteManagerScreen)
        options = manager.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == site)
        await pilot.press("e")
        form = await wait_screen(pilot, SiteForm)
        form.query_one("#read-only", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: pilot.app.screen is manager)
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is main)
        await wait_loaded(pilot)
        await wait_for(pilot, lambda: not main.fleet.pending_sites())

    async with running_app(size=SMALL, fleet=True) as (app, pilot, _demo):
        main = main_screen(app)
        await wait_for(pilot, lambda: not main.fleet.pending_sites())
        assert f"{len(DEMO_SITES)} sites" in screen_text(app).splitlines()[0]
        await mark_read_only(pilot, main, DEMO_SITES[1])
        bar = screen_text(app).splitlines()[0]
        assert f"{len(DEMO_SITES)} sites" in bar and f"READ-ONLY: {DEMO_SITES[1]}" in bar, bar
        await pilot.resize_terminal(60, 20)
        await mark_read_only(pilot, main, DEMO_SITES[2])
        await wait_for(pilot, lambda: "READ-ONLY: 2 sites" in screen_text(app).splitlines()[0])
        bar = screen_text(app).splitlines()[0]
        assert len(bar.rstrip()) <= 60 and "channels" in bar, bar


def test_a_narrow_terminal_keeps_status_in_sight_and_moves_less_important_columns_past_the_edge():
    from tui_channels.widgets.channel_table import COLUMNS, MARK_COLUMN, in_sight_first, resolve_widths

    keys = ("site", "id", "name", "type", "status", "models", "base_url", "cost")
    columns = [MARK_COLUMN, *(COLUMNS[k] for k in keys)]
    laid = [c.key for c in in_sight_first(columns, 60)]
    assert sorted(laid) == sorted(c.key for c in columns), "every column stays: past the edge, the table scrolls"
    widths = resolve_widths([COLUMNS[k] if k != "mark" else MARK_COLUMN for k in laid], 60)
    ends = [sum(widths[: i + 1]) + i for i in range(len(widths))]
    assert ends[laid.index("status")] <= 60, (laid, widths)
    assert laid.index("cost") > laid.index("models"), "the least important go first"
    assert [c.key for c in in_sight_first(columns, 160)] == [c.key for c in columns], "a wide terminal keeps the order"
    kept = [c.key for c in in_sight_first(columns, 60, keep=["cost"])]
    assert kept.index("cost") < kept.index("base_url"), "the sorted column stays in sight"


async def test_status_and_the_sorted_column_stay_in_sight_on_a_narrow_terminal():
    """At 60x20 the fleet's Status column shows (it used to go past the edge first); at 80x24 a
    sort by Weight, past the edge on a New API site, brings Weight into sight with its whole
    header; a sort by a column the picker hid shows that column."""
    async with running_app(size=(60, 20), fleet=True) as (app, pilot, _demo):
        header = next(line for line in screen_text(app).splitlines() if " ID " in line)
        assert "Status" in header and "Site ▲" in header, header
    async with running_app(size=SMALL) as (app, pilot, _demo):
        main = main_screen(app)
        assert "Weight" not in screen_text(app).splitlines()[2]
        main.sort_by("weight", False)
        await wait_for(pilot, lambda: "Weight ▲" in screen_text(app).splitlines()[2])
        assert "Status" in screen_text(app).splitlines()[2]
        main.table.set_columns([c for c in main.table.columns if c != "weight"])
        await wait_for(pilot, lambda: "weight" in main.table.shown_columns)
        await wait_for(pilot, lambda: "Weight ▲" in screen_text(app).splitlines()[2])
        assert "weight" not in main.table.columns, "the picker's choice is kept as it was made"


async def test_keys_pasted_into_the_paste_box_show_at_80x24():
    """Three long CSV lines pasted: the box wraps them and shows the last one from its start (it
    used to scroll sideways to the cursor and show only the tail of a key)."""
    from textual import events
    from textual.widgets import TextArea

    from tui_channels.screens.key_dialogs import AddKeysDialog

    lines = [f"relay-{n},https://relay.example.com/v1,sk-{n * 80}" for n in "abc"]
    async with running_app(size=SMALL) as (app, pilot, _demo):
        dialog = AddKeysDialog()
        await app.push_screen(dialog)
        box = await wait_for_widget(pilot, dialog, TextArea)
        box.post_message(events.Paste("\n".join(lines) + "\n"))
        await wait_for(pilot, lambda: "relay-c" in box.text)
        await wait_for(pilot, lambda: "relay-c,https://relay.example.com/v1,sk-ccc" in screen_text(app))


async def wait_for_widget(pilot, screen, kind):
    await wait_for(pilot, lambda: screen.is_mounted and bool(screen.query(kind)))
    return screen.query_one(kind)


@pytest.mark.parametrize("size", [SMALL, (60, 20)], ids=["80x24", "60x20"])
async def test_an_import_preview_whose_only_row_is_blocked_shows_it_and_labelled_buttons(size):
    """One blocked key: its row shows in the table (it was blank: the details took its lines) and
    both buttons read whole (at 60x20 they had gone)."""
    from dataclasses import replace

    from textual.widgets import Button, DataTable

    from tui_channels.screens.import_preview import ImportPreviewScreen
    from tui_channels.services.channel_plan import RowState
    from tui_channels.services.transfer import Origin, plan_transfer

    async with running_app(size=size) as (app, pilot, _demo):
        session = main_screen(app).current
        capabilities = session.capabilities
        fresh = replace(session.channels[0], name="fresh-key-1", base_url="https://relay.example.com/v1")
        origin = Origin(session.name, capabilities.kind, capabilities.flavor)
        plan = plan_transfer([(fresh, origin)], capabilities, session.channels, site="here", title="Import keys")
        assert [row.state for row in plan.rows] == [RowState.BLOCKED]
        preview = ImportPreviewScreen(plan)
        await app.push_screen(preview)
        await wait_for(pilot, lambda: preview.is_mounted and preview.query_one(DataTable).row_count == 1)
        await wait_for(pilot, lambda: "fresh-key-1" in screen_text(app).split("Row 1:")[0])
        dialog = preview.query_one(".plan-preview").region
        for button in preview.query(Button):
            assert button.region.height == 1 and dialog.contains_region(button.region), button
        text = screen_text(app)
        assert "Create 0 channels" in text and "Cancel" in text


async def test_the_test_scope_dialog_shows_its_model_field_whole_at_60x20():
    """`T` with a selection and a filter offers four scopes; at 60x20 the model line was cut."""
    from textual.widgets import Input

    async with running_app(size=(60, 20)) as (app, pilot, _demo):
        await pilot.press("slash", *"open", "enter", "space", "space", "T")
        picker = await wait_screen(pilot, ScopePicker)
        await wait_for(pilot, lambda: picker.query_one(OptionList).option_count == 4)
        await wait_for(pilot, lambda: picker.query_one(Input).region.height > 0)
        dialog = picker.query_one("#scope-picker").region
        field = picker.query_one("#scope-text", Input).region
        hint = picker.query_one(".dialog-hint").region
        assert dialog.contains_region(field) and field.bottom < dialog.bottom, (dialog, field)
        assert not field.overlaps(hint), ("the docked hint covers the field", field, hint)
        assert "Model to test with" in screen_text(app)
