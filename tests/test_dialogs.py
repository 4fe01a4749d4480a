"""Dialogs: their own footer, and confirmations that answer to y / n and say when they did nothing."""

from __future__ import annotations

import json

from textual.widgets import Input

from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.transfer_dialogs import ExportDialog

from .ui_helpers import forget_notices, main_screen, notices, running_app, screen_text, wait_for, wait_screen


def notified(app, text: str) -> bool:
    return any(text in f"{n.title} {n.message}" for n in notices(app))


async def test_a_confirmation_answers_to_y_and_n_and_says_when_it_was_cancelled():
    async with running_app(size=(80, 24)) as (app, pilot, _demo):
        main = main_screen(app)
        await pilot.press("f5")
        await wait_screen(pilot, ConfirmScreen)
        footer = screen_text(app).splitlines()[-1]
        assert "y Yes" in footer and "n No" in footer and "Search" not in footer, footer
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is main and notified(app, "Cancelled: Fix abilities"))

        forget_notices(app)
        await pilot.press("f5")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("enter")  # focus starts on Cancel: a stray Enter never confirms, and says so
        await wait_for(pilot, lambda: app.screen is main and notified(app, "Nothing was done"))

        forget_notices(app)
        await pilot.press("f5")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: notified(app, "Abilities rebuilt"))
        assert not notified(app, "Cancelled")


async def test_a_typed_confirmation_takes_y_and_n_as_letters():
    async with running_app() as (app, pilot, _demo):
        main = main_screen(app)
        for _ in range(6):
            await pilot.press("space")
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y", "n")
        assert app.screen is confirm
        assert confirm.query_one("#confirm-typed").value == "yn"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main and notified(app, "Cancelled: Delete 6 channels"))
        assert len(main.current.channels) == 60


async def test_export_saves_with_ctrl_s_and_offers_only_the_other_secrets_where_the_server_returns_no_keys(tmp_path):
    async with running_app(size=(80, 24)) as (app, pilot, _demo):
        await pilot.press("x")
        dialog = await wait_screen(pilot, ExportDialog)
        assert not dialog.query_one("#export-keys").value, "secrets are left out unless asked for"
        assert "Include header values, proxy passwords" in screen_text(app)
        assert "never returns channel keys" in screen_text(app)
        target = tmp_path / "newapi.json"
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, target.exists)
        assert len(json.loads(target.read_text())["channels"]) == 60
