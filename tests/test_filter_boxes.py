"""A dialog's filter box filters its list in the keystroke's own turn, as the main screen's search
does: handled a message later, Textual painted the box alone and the list one or two frames after.

Each test sets the box's text and reads the list at once, without letting the app run."""

from __future__ import annotations

from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, OptionList

from tui_channels.channel_types import NEWAPI_TYPES
from tui_channels.models import Channel, ChannelStatus
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.group_members import MemberPicker
from tui_channels.screens.type_picker import TypePicker
from tui_channels.services.results import ChannelResult, Outcome

from .ui_helpers import wait_for


def prompts(screen: Screen) -> list[str]:
    options = screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_type_picker_filters_as_the_text_changes() -> None:
    async with App().run_test() as pilot:
        picker = TypePicker(NEWAPI_TYPES, 1)
        await pilot.app.push_screen(picker)
        await wait_for(pilot, lambda: picker.is_mounted)
        picker.query_one("#type-filter", Input).value = "anthro"
        assert prompts(picker) == ["Anthropic  (14)"]


async def test_the_member_picker_filters_as_the_text_changes() -> None:
    openai = NEWAPI_TYPES.get(1)
    channels = [
        Channel(id=1, name="east", type=openai, status=ChannelStatus.ENABLED, models=("gpt-4o", "claude-3")),
        Channel(id=2, name="west", type=openai, status=ChannelStatus.ENABLED, models=("gpt-4o",)),
    ]
    async with App().run_test() as pilot:
        picker = MemberPicker(channels, present=set())
        await pilot.app.push_screen(picker)
        await wait_for(pilot, lambda: picker.is_mounted)
        assert len(prompts(picker)) == 3
        picker.query_one("#member-filter", Input).value = "claude"
        assert len(prompts(picker)) == 1 and "claude-3" in prompts(picker)[0]


async def test_the_batch_results_search_filters_as_the_text_changes() -> None:
    results = [
        ChannelResult(1, "east", Outcome.OK),
        ChannelResult(2, "west", Outcome.FAILED, message="upstream timed out"),
        ChannelResult(3, "north", Outcome.FAILED, message="401 invalid key"),
    ]
    async with App().run_test() as pilot:
        screen = BatchResultsScreen("Test", results)
        await pilot.app.push_screen(screen)
        await wait_for(pilot, lambda: screen.is_mounted)
        assert len(prompts(screen)) == 3
        screen.query_one("#results-search", Input).value = "timed out"
        assert len(prompts(screen)) == 1 and "west" in prompts(screen)[0]
