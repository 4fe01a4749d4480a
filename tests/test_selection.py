"""The selection after Esc and after a batch, the same on one site and in the fleet view.

A batch keeps the selection (the next action often concerns the same channels: test, then disable
the failed ones) and says that it is still there; Esc clears it and says so; a second Esc clears
the search and filters.
"""

from __future__ import annotations

import pytest

from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.widgets.batch_bar import BatchBar

from .ui_helpers import main_screen, notices, running_app, screen_text, wait_for, wait_screen


def said(app, text: str) -> bool:
    return any(n.message == text for n in notices(app))


@pytest.mark.parametrize("fleet", [False, True], ids=["one site", "fleet"])
async def test_a_batch_keeps_the_selection_and_says_so_then_esc_clears_it(fleet: bool):
    async with running_app(fleet=fleet) as (app, pilot, _demo):
        screen = main_screen(app)
        assert (screen.fleet is not None) is fleet
        await pilot.press("space", "space", "space")
        chosen = set(screen.table.selected_ids)
        assert len(chosen) == 3
        assert "esc clear" in str(screen.query_one(BatchBar).render())

        await pilot.press("t")
        await wait_screen(pilot, BatchResultsScreen, timeout=30)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: said(app, "3 channels still selected: Esc clears the selection."))
        assert set(screen.table.selected_ids) == chosen
        assert "3 selected" in screen_text(app).splitlines()[0]

        await pilot.press("escape")
        assert not screen.table.selected_ids
        assert said(app, "Selection cleared (3 channels).")
        assert not screen.query_one(BatchBar).display


async def test_the_last_results_select_their_channels():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        await pilot.press("space", "space")
        chosen = set(screen.table.selected_ids)
        await pilot.press("t")
        await wait_screen(pilot, BatchResultsScreen, timeout=30)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        assert not screen.table.selected_ids

        await pilot.press("R")
        await wait_screen(pilot, BatchResultsScreen)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.screen is screen)
        assert set(screen.table.selected_ids) == chosen
