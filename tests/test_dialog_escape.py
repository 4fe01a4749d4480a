"""Esc never drops what the user typed or changed without asking, in every dialog.

The walk opens every dialog the app can push (`FACTORIES`), and for each one whose fields the user
can change: Esc on the untouched dialog closes it at once; after a change to its fields, Esc asks
(`n` goes back to the dialog with the changes kept, `y` discards and closes), and each field alone
counts as a change. A field of class `filter` only narrows a list: changed alone, Esc closes at
once. `NOTHING_TO_LOSE` names the dialogs whose fields store nothing, with the reason.
"""

from __future__ import annotations

from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, SelectionList, TextArea

from tui_channels.screens.column_picker import ColumnPicker
from tui_channels.screens.form_dialog import DiscardConfirm, FormDialog
from tui_channels.screens.sync_preview import SyncPreviewScreen

from .test_keys import FACTORIES, Context
from .ui_helpers import main_screen, notices, running_app, wait_for

EDITABLE = (Input, TextArea, Checkbox, Select, SelectionList)

NOTHING_TO_LOSE: dict[type[Screen], str] = {
    SyncPreviewScreen: "a preview: Esc answers no, and its option (keep unlisted models) stores nothing",
}
"""Dialogs whose fields hold nothing to lose: Esc closes them at once, changed or not."""


def shown(widget: Widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def editable(screen: Screen) -> list[Widget]:
    return [w for w in screen.query("*") if isinstance(w, EDITABLE) and not w.disabled and shown(w)]


def change(widget: Widget) -> bool:
    """Change the widget's value as a user could; False when it offers no other value."""
    if isinstance(widget, Input):
        widget.value += "7" if widget.type in ("integer", "number") else "x"
    elif isinstance(widget, TextArea):
        widget.text += "x"
    elif isinstance(widget, Checkbox):
        widget.value = not widget.value
    elif isinstance(widget, Select):
        others = [value for _label, value in widget._options if value not in (widget.value, Select.BLANK)]
        if not others:
            return False
        widget.value = others[0]
    elif isinstance(widget, SelectionList):
        if not widget.option_count:
            return False
        widget.toggle(widget.get_option_at_index(0))
    return True


async def test_esc_asks_before_dropping_a_change_in_every_dialog() -> None:
    async with running_app() as (app, pilot, _demo):
        main = main_screen(app)
        octopus = app.sessions.get(next(site for site in app.config.sites if site.kind == "octopus"))
        await octopus.load()
        await octopus.load_groups()
        ctx = Context(app, main, main.current, octopus)
        asked: list[str] = []
        problems: list[str] = []

        async def opened(cls: type[Screen]) -> Screen:
            screen = FACTORIES[cls](ctx)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
            await pilot.pause()
            return screen

        async def escape_closes(screen: Screen, what: str) -> None:
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is not screen)
            if app.screen is not main:
                problems.append(f"{what}: Esc opened {type(app.screen).__name__} instead of closing")
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)

        for cls in FACTORIES:
            if not issubclass(cls, ModalScreen) or cls is DiscardConfirm:
                continue
            screen = await opened(cls)
            if not editable(screen) and cls is not ColumnPicker:
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)
                continue
            await escape_closes(screen, f"{cls.__name__} untouched")

            screen = await opened(cls)
            filters = [w for w in editable(screen) if w.has_class("filter")]
            if filters or cls in NOTHING_TO_LOSE:
                for field in filters if cls not in NOTHING_TO_LOSE else editable(screen):
                    change(field)
                await pilot.pause()
                await escape_closes(screen, f"{cls.__name__} after a change to its filters")
                screen = await opened(cls)
            if cls in NOTHING_TO_LOSE:
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)
                continue
            fields = [w for w in editable(screen) if not w.has_class("filter")]
            if not fields and cls is not ColumnPicker:
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)
                continue
            if not isinstance(screen, FormDialog):
                problems.append(f"{cls.__name__}: its fields are dropped without asking (not a FormDialog)")
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)
                continue
            if cls is ColumnPicker:
                await pilot.press("space")
            for field in fields:
                before = screen.edits()
                if change(field):
                    await pilot.pause()
                    if screen.edits() == before:
                        problems.append(f"{cls.__name__}: a change to {type(field).__name__} #{field.id} is no edit")
            if screen.edits() == screen._opened:  # built with nothing to change (an empty list)
                app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)
                continue
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is not screen)
            if not isinstance(app.screen, DiscardConfirm):
                problems.append(f"{cls.__name__}: Esc did not ask")
                if app.screen is screen:
                    app.pop_screen()
                await wait_for(pilot, lambda: app.screen is main)
                continue
            asked.append(cls.__name__)
            await pilot.press("n")
            await wait_for(pilot, lambda: app.screen is screen)
            if cancelled_notices(app):
                problems.append(f"{cls.__name__}: n to Discard said {cancelled_notices(app)}, as if the edits were lost")
            if screen.edits() == screen._opened:
                problems.append(f"{cls.__name__}: n went back without the changes")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, DiscardConfirm))
            await pilot.press("y")
            await wait_for(pilot, lambda: app.screen is main)
        assert not problems, "\n".join(problems)
        for name in ("AddKeysDialog", "AccountDialog", "SyncRulesScreen", "NumberPrompt", "ColumnPicker", "SiteForm"):
            assert name in asked, f"{name} was not walked"


async def test_esc_closes_an_untouched_scope_picker_opened_by_its_key() -> None:
    """`y` and `b` open a scope picker without fields; its footer is drawn after it is mounted.
    Esc closes it at once: nothing was typed, so nothing is asked."""
    async with running_app(size=(80, 24)) as (app, pilot, _demo):
        main = main_screen(app)
        for key in ("y", "b"):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            picker = app.screen
            await wait_for(pilot, lambda: bool(picker.query("FooterKey")))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is not picker)
            assert app.screen is main, f"{key}: Esc opened {type(app.screen).__name__}"
            assert not isinstance(app.screen, DiscardConfirm)


def cancelled_notices(app) -> list[str]:
    """Notices that say something was cancelled: after `n` to "Discard…?" they read as a loss."""
    return [n.title for n in notices(app) if (n.title or "").startswith("Cancelled")]


async def _escape_asks_then_keeps_or_drops(pilot, screen, question: str = "Discard your edits?") -> None:
    """Esc on a dialog with picks asks `question`; n goes back with them kept (and says nothing
    was cancelled), Esc then y closes it."""
    app = pilot.app
    picked = screen.edits()
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(app.screen, DiscardConfirm))
    assert app.screen._title == question
    await pilot.press("n")
    await wait_for(pilot, lambda: app.screen is screen)
    assert screen.edits() == picked
    assert not cancelled_notices(app)
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(app.screen, DiscardConfirm))
    await pilot.press("y")
    await wait_for(pilot, lambda: app.screen is main_screen(app))


async def test_esc_asks_before_dropping_picked_keys_or_edited_rows() -> None:
    """Dialogs whose edits are made by keys rather than fields: the key library's picked keys, the
    import preview's typed models and the upstream review's decisions. Esc closes each at once while
    nothing was picked or changed, and asks once something was."""
    from tui_channels.models import Channel, ChannelStatus, ChannelType
    from tui_channels.screens.import_preview import ImportPreviewScreen
    from tui_channels.screens.key_library import KeyLibraryScreen
    from tui_channels.screens.transfer_dialogs import PromptDialog
    from tui_channels.screens.upstream_review import UpstreamReviewScreen
    from tui_channels.secret_store import SecretStore
    from tui_channels.services.key_library import KeyLibrary, UpstreamKey
    from tui_channels.services.upstream_updates import ModelChange

    async with running_app() as (app, pilot, demo):
        main = main_screen(app)
        url = f"{demo.gateway.upstream_url}/p/openai"
        KeyLibrary(SecretStore()).add(
            [UpstreamKey(name=n, source="relay", base_url=url, key=f"sk-escape-{n}-0123456789") for n in ("a", "b")]
        )
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, KeyLibraryScreen) and app.screen.is_mounted)
        library = app.screen
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)

        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, KeyLibraryScreen) and app.screen is not library)
        library = app.screen
        await wait_for(pilot, lambda: "2 pasted keys" in str(library.query_one("#library-status").render()))
        await pilot.press("space")
        assert library.edits()
        await _escape_asks_then_keeps_or_drops(pilot, library, "Drop the 1 picked key?")

        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, KeyLibraryScreen) and app.screen.is_mounted)
        await wait_for(pilot, lambda: "2 pasted keys" in str(app.screen.query_one("#library-status").render()))
        await pilot.press("a", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportPreviewScreen) and app.screen.is_mounted)
        preview = app.screen
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog))
        await pilot.press("ctrl+a", *"typed-model", "enter")
        await wait_for(pilot, lambda: app.screen is preview)
        await _escape_asks_then_keeps_or_drops(pilot, preview)

        openai = ChannelType(1, "OpenAI")
        channel = Channel(id=1, name="c1", type=openai, status=ChannelStatus.ENABLED, models=("a",))
        review = UpstreamReviewScreen([ModelChange(channel_id=1, model="b", added=True)], [channel])
        await app.push_screen(review)
        await wait_for(pilot, lambda: app.screen is review and review.is_mounted)
        await pilot.press("space")
        await _escape_asks_then_keeps_or_drops(pilot, review)
