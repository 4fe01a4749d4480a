"""Every dialog with fields opens with its first field (or its list) focused, so what the user types
first lands where they look: never on the scrolling container that holds the fields."""

from __future__ import annotations

from textual.containers import HorizontalScroll, ScrollableContainer, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from tui_channels.screens.form_dialog import DiscardConfirm
from tui_channels.screens.key_dialogs import AccountDialog

from .test_dialog_escape import editable
from .test_keys import FACTORIES, Context
from .ui_helpers import main_screen, running_app, wait_for

CONTAINERS = (ScrollableContainer, VerticalScroll, HorizontalScroll)
"""The scrolling containers a dialog's fields sit in (an `Input` is a scroll view too, not one of them)."""


async def _context(app) -> Context:
    main = main_screen(app)
    octopus = app.sessions.get(next(site for site in app.config.sites if site.kind == "octopus"))
    await octopus.load()
    await octopus.load_groups()
    return Context(app, main, main.current, octopus)


async def test_every_dialog_with_fields_opens_focused_on_one_of_them() -> None:
    async with running_app() as (app, pilot, _demo):
        ctx = await _context(app)
        main = ctx.main
        problems: list[str] = []
        walked = []
        for cls in FACTORIES:
            if not issubclass(cls, ModalScreen) or cls is DiscardConfirm:
                continue
            screen: Screen = FACTORIES[cls](ctx)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
            await pilot.pause()
            if editable(screen):
                walked.append(cls.__name__)
                focused = screen.focused
                if type(focused) in CONTAINERS:
                    problems.append(f"{cls.__name__}: opens focused on its container #{focused.id}, not a field")
            app.pop_screen()
            await wait_for(pilot, lambda: app.screen is main)
        assert not problems, "\n".join(problems)
        assert {"AccountDialog", "ExportDialog", "SiteForm", "AddKeysDialog"} <= set(walked)


async def test_typing_in_the_relay_account_dialog_fills_each_field_and_masks_the_token() -> None:
    """As a user types it: the name first, Tab between fields; the token never shows in clear."""
    async with running_app() as (app, pilot, _demo):
        screen = AccountDialog(set())
        await app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen and screen.focused is not None)
        token = "tok-SECRETvalue-1234567890abcdef"
        await pilot.press(*"r1", "tab", *"http://127.0.0.1:9", "tab", "1", "tab", *token)
        values = {field.id: field.value for field in screen.query(Input)}
        assert values == {
            "account-name": "r1",
            "account-url": "http://127.0.0.1:9",
            "account-user-id": "1",
            "account-token": token,
        }
        assert screen.query_one("#account-token", Input).password
        fields = {field.id: field for field in screen.query(Input)}
        dialog = screen.query_one("#add-account")
        shades = {field.id: field.background_colors[1] for field in fields.values()}
        assert dialog.background_colors[1] not in shades.values(), "an input is drawn as a bare line"
        assert shades["account-token"] != shades["account-name"], "the focused input looks like the others"
