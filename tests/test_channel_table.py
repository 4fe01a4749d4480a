"""The virtualised channel table, driven through a tiny app with the Pilot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Input

from tui_channels.backends.base import COLUMNS_ALL
from tui_channels.models import Channel, ChannelStatus
from tui_channels.services.channel_view import ViewState
from tui_channels.widgets.channel_table import COLUMNS, ChannelTable

from .test_channel_view import make, seeded_channels

STYLES = Path(__file__).resolve().parent.parent / "styles" / "channel_table.tcss"
SIZE = (120, 30)


class TableApp(App[None]):
    """The table alone (plus an input to move the focus to), recording the messages it posts."""

    CSS_PATH = STYLES

    def __init__(self, channels: list[Channel]) -> None:
        super().__init__()
        self.channels = channels
        self.cursor_moves: list[Channel | None] = []
        self.selection_counts: list[int] = []

    def compose(self) -> ComposeResult:
        yield ChannelTable(self.channels)
        yield Input()

    def on_channel_table_cursor_moved(self, message: ChannelTable.CursorMoved) -> None:
        self.cursor_moves.append(message.channel)

    def on_channel_table_selection_changed(self, message: ChannelTable.SelectionChanged) -> None:
        self.selection_counts.append(message.count)


def lines(table: ChannelTable) -> list[str]:
    """The text of every line on screen, header first."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def row_ids(table: ChannelTable) -> list[int]:
    """Channel ids of the rows on screen, read back from the rendered text."""
    return [int(text[1:].split()[0]) for text in lines(table)[1:] if text.strip()]


def matching_ids(channels: list[Channel], text: str) -> list[int]:
    """Ids of the channels whose name, base URL, id or a model contains `text`, in id order (brute force)."""
    return [c.id for c in channels if any(text in f.lower() for f in (c.name, c.base_url, str(c.id), *c.models))]


def page(table: ChannelTable) -> int:
    """Rows on screen: the content height less the header line."""
    return table.scrollable_content_region.height - 1


def style_at(strip: Strip, x: int) -> Style | None:
    """The style of the cell at `x` in `strip`."""
    for segment in strip:
        if x < segment.cell_length:
            return segment.style
        x -= segment.cell_length
    raise IndexError(x)


def style_of(strip: Strip, text: str) -> Style | None:
    """The style of the first cell of `text` (ASCII) in `strip`."""
    return style_at(strip, strip.text.index(text))


@pytest.fixture
def hundred() -> list[Channel]:
    return seeded_channels(100)


async def test_header_and_rows_render_cells(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE):
        table = app.query_one(ChannelTable)
        table.set_columns(["id", "name", "type", "status", "models", "balance", "test_time"])
        header, first = lines(table)[:2]
        assert header.split() == ["ID", "▲", "Name", "Type", "Status", "Models", "Balance", "Tested"]
        channel = hundred[0]
        cells = first.split()
        assert cells[:4] == [str(channel.id), channel.name, channel.type.name, channel.status.label]
        assert cells[4] == str(len(channel.models))
        assert first.rstrip().endswith("ago")
        assert table.row_count == table.total_count == 100


async def test_only_visible_rows_are_rendered() -> None:
    channels = seeded_channels(2000)
    app = TableApp(channels)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        rendered: list[str] = []
        render_line = table.render_line

        def counting(y: int) -> Strip:
            strip = render_line(y)
            rendered.append(strip.text)
            return strip

        table.render_line = counting  # type: ignore[method-assign]
        table.refresh()
        await pilot.pause()
        shown_ids = {int(text.split()[0]) for text in rendered[1:] if text.strip() and text.split()[0].isdigit()}
        # Textual also paints the line under the horizontal scrollbar; nothing below it.
        assert set(range(1, page(table) + 1)) <= shown_ids <= set(range(1, table.size.height))
        assert len(rendered) <= 2 * table.size.height


async def test_cursor_keys_move_and_scroll(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_row == 2 and table.cursor_channel is hundred[2]
        assert app.cursor_moves[-1] is hundred[2]
        assert table.scroll_y == 0

        await pilot.press("pagedown")
        assert table.cursor_row == 2 + page(table)
        assert row_ids(table)[-1] == hundred[2 + page(table)].id  # scrolled just enough to show it

        await pilot.press("end")
        assert table.cursor_channel is hundred[-1]
        assert row_ids(table)[-1] == hundred[-1].id

        await pilot.press("up")
        assert table.cursor_channel is hundred[-2]

        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert row_ids(table)[0] == hundred[0].id

        await pilot.press("pageup", "up")
        assert table.cursor_row == 0

        await pilot.click(ChannelTable, offset=(10, 4))  # line 4: the fourth row under the header
        assert table.cursor_row == 3


async def test_cursor_row_is_highlighted_differently_with_and_without_focus(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.focus()
        await pilot.pause()
        focused = style_at(table.render_line(1), 3)
        other = style_at(table.render_line(2), 3)
        assert focused is not None and other is not None
        assert focused.bgcolor != other.bgcolor
        app.query_one(Input).focus()
        await pilot.pause()
        blurred = style_at(table.render_line(1), 3)
        assert blurred is not None and blurred.bgcolor not in (focused.bgcolor, other.bgcolor)


async def test_cursor_stays_on_its_channel_across_filter_and_sort(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.move_cursor(40)
        target = hundred[40]
        await pilot.pause()
        moves = len(app.cursor_moves)

        table.apply_view(ViewState(search=target.name))
        assert table.cursor_channel is target
        table.apply_view(ViewState(sort_column="name", descending=True))
        assert table.cursor_channel is target
        by_name_descending = sorted(hundred, key=lambda c: (c.name.casefold(), -c.id), reverse=True)
        assert table.cursor_row == by_name_descending.index(target)
        assert target.id in row_ids(table)  # scrolled to it
        await pilot.pause()
        assert len(app.cursor_moves) == moves  # same channel: nothing to tell

        table.apply_view(ViewState(search="no channel is called this"))
        assert table.cursor_channel is None and table.row_count == 0
        assert "No channels match the filter" in lines(table)[1]
        await pilot.pause()
        assert app.cursor_moves[-1] is None

        table.apply_view(ViewState(search="claude"))
        assert table.cursor_row == 0
        assert table.cursor_channel is not None
        assert table.cursor_channel.id == matching_ids(hundred, "claude")[0]
        await pilot.pause()
        assert app.cursor_moves[-1] is table.cursor_channel


async def test_cursor_stays_in_sight_when_a_filter_is_cleared(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.focus()
        await pilot.press("end")
        table.apply_view(ViewState(search=hundred[-1].name))
        assert table.row_count == 1
        await pilot.pause()
        assert not table.show_vertical_scrollbar
        table.apply_view(ViewState())
        assert table.cursor_channel is hundred[-1]
        assert row_ids(table)[-1] == hundred[-1].id


async def test_a_shrunk_view_leaves_no_blank_rows_under_the_last() -> None:
    disabled, enabled = ChannelStatus.MANUALLY_DISABLED, ChannelStatus.ENABLED
    channels = [make(i, status=disabled if i <= 10 else enabled) for i in range(1, 101)]
    app = TableApp(channels)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.focus()
        await pilot.press("end")
        table.apply_view(ViewState(status="enabled"))
        assert table.cursor_channel is channels[-1]
        assert row_ids(table) == list(range(101 - page(table), 101))


async def test_cursor_clamps_when_its_channel_is_filtered_out(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE):
        table = app.query_one(ChannelTable)
        table.move_cursor(99)
        table.apply_view(ViewState(status="disabled"))
        disabled = [c for c in hundred if c.status.is_disabled]
        assert hundred[99] not in disabled
        assert table.cursor_row == len(disabled) - 1
        assert table.cursor_channel is disabled[-1]


async def test_selection_survives_filter_and_sort(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.focus()
        await pilot.press("space", "space")
        assert table.selected_ids == {hundred[0].id, hundred[1].id}
        assert table.cursor_row == 2  # space moves down one row
        assert lines(table)[1].startswith("✓") and lines(table)[3].startswith(" ")

        table.apply_view(ViewState(search="claude"))
        with_claude = set(matching_ids(hundred, "claude")) | {hundred[0].id, hundred[1].id}
        table.select_all_visible()
        assert table.selected_ids == with_claude

        table.apply_view(ViewState(sort_column="name", descending=True))
        assert table.selected_ids == with_claude
        marked = {int(text[1:].split()[0]) for text in lines(table)[1:] if text.startswith("✓")}
        assert marked and marked <= table.selected_ids
        unmarked = {int(text[1:].split()[0]) for text in lines(table)[1:] if text.startswith(" ")}
        assert not unmarked & table.selected_ids

        table.apply_view(ViewState(status="enabled"))
        enabled_ids = {c.id for c in hundred if c.status.is_enabled}
        inverted = (with_claude - enabled_ids) | (enabled_ids - with_claude)
        table.invert_selection()
        assert table.selected_ids == inverted

        table.clear_selection()
        assert table.selected_ids == set()
        await pilot.pause()
        assert app.selection_counts == [1, 2, len(with_claude), len(inverted), 0]


async def test_set_channels_keeps_the_selection_of_channels_that_remain(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.select_all_visible()
        table.set_channels(hundred[:10])
        assert table.selected_ids == {c.id for c in hundred[:10]}
        assert table.total_count == 10
        await pilot.pause()
        assert app.selection_counts[-1] == 10


async def test_selection_and_cursor_can_be_restored(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.set_selection([3, 70, 9999])
        assert table.selected_ids == {3, 70}  # 9999 is not loaded
        table.move_cursor_to_channel(70)
        assert table.cursor_channel is not None and table.cursor_channel.id == 70
        assert 70 in row_ids(table)
        table.apply_view(ViewState(search=hundred[2].name))
        table.move_cursor_to_channel(70)  # filtered out: the cursor stays
        assert table.cursor_channel is hundred[2]
        await pilot.pause()
        assert app.selection_counts == [2]


async def test_set_columns_shows_a_subset_in_order(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE):
        table = app.query_one(ChannelTable)
        table.set_columns(["status", "name", "id"])
        assert table.columns == ["status", "name", "id"]
        header, first = lines(table)[:2]
        assert header.split() == ["Status", "Name", "ID", "▲"]
        channel = hundred[0]
        assert first.split() == [channel.status.label, channel.name, str(channel.id)]
        assert len(first.rstrip()) == table.scrollable_content_region.width  # the name takes the spare width
        assert table.virtual_size.width == table.scrollable_content_region.width
        with pytest.raises(ValueError, match="unknown columns"):
            table.set_columns(["id", "colour"])


async def test_wide_columns_scroll_horizontally_with_the_header(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        await pilot.pause()
        assert table.virtual_size.width > table.scrollable_content_region.width
        assert "Used" not in lines(table)[0]
        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        header = lines(table)[0]
        assert header.rstrip().endswith(COLUMNS[COLUMNS_ALL[-1]].label) and "ID" not in header


async def test_long_names_are_cut_with_an_ellipsis() -> None:
    long_name = "a-very-long-channel-name-" * 4
    wide_name = "宽字符的渠道名称很长很长很长很长很长"
    app = TableApp([make(1, name=long_name), make(2, name=wide_name)])
    async with app.run_test(size=SIZE):
        table = app.query_one(ChannelTable)
        table.set_columns(["id", "name", "type", "status", "models", "group", "priority", "tag", "base_url"])
        first, second = lines(table)[1:3]
        assert "…" in first and long_name not in first
        assert "…" in second
        assert cell_len(first[: first.index("OpenAI")]) == cell_len(second[: second.index("OpenAI")])
        assert table.render_line(1).cell_length == table.render_line(2).cell_length


async def test_status_cells_take_their_colour_from_the_stylesheet() -> None:
    statuses = list(ChannelStatus)
    cursor_row = make(1, name="under the cursor")
    app = TableApp([cursor_row, *(make(i + 2, status=s) for i, s in enumerate(statuses))])
    async with app.run_test(size=SIZE):
        table = app.query_one(ChannelTable)
        styles = [style_of(table.render_line(y + 2), s.label) for y, s in enumerate(statuses)]
        colours = [style.color for style in styles if style is not None]
        assert len(set(colours)) == len(statuses)
        for status, colour in zip(statuses, colours):
            component = f"channel-table--{status.label}"
            assert colour == table.get_component_rich_style(component).color  # alpha blended as CSS does


async def test_update_channel_redraws_its_row_in_place(hundred: list[Channel]) -> None:
    app = TableApp(hundred)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.set_columns(["id", "name", "status", "response_time"])
        table.apply_view(ViewState(sort_column="name"))
        await pilot.pause()
        order = row_ids(table)
        target = hundred[order[3] - 1]
        painted: list[int] = []
        render_line = table.render_line

        def recording(y: int) -> Strip:
            painted.append(y)
            return render_line(y)

        table.render_line = recording  # type: ignore[method-assign]
        changed = replace(target, name="zzz renamed", status=ChannelStatus.AUTO_DISABLED, response_time_ms=812)
        table.update_channel(changed)
        await pilot.pause()
        assert painted == [4]  # its line alone is repainted
        assert row_ids(table) == order  # not re-sorted under the user's eyes
        assert lines(table)[4].split() == [str(target.id), "zzz", "renamed", "auto-disabled", "812", "ms"]
        table.apply_view(ViewState(sort_column="name"))
        table.action_cursor_end()
        assert table.cursor_channel is not None and table.cursor_channel.name == "zzz renamed"


async def test_ten_thousand_channels_load_and_filter() -> None:
    channels = seeded_channels(10_000)
    app = TableApp([])
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ChannelTable)
        table.focus()
        assert "No channels" in lines(table)[1]
        table.set_channels(channels)
        await pilot.pause()
        assert table.total_count == table.row_count == 10_000
        assert table.virtual_size.height == 10_001
        for text in ("c", "cl", "claude", "claud", "gpt-4.1"):
            table.apply_view(ViewState(search=text))
            expected = matching_ids(channels, text)
            assert table.row_count == len(expected)
            assert row_ids(table) == expected[:page(table)]
        await pilot.press("end")
        assert table.cursor_channel is not None and table.cursor_channel.id == expected[-1]
