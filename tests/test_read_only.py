"""Read-only mode: a site marked read-only in its profile, or `--read-only` for a whole run, refuses
every action that writes, shows it disabled with the reason, and says so in the site bar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from textual.widgets import Checkbox, Input, OptionList

from tui_channels.app import ChannelsApp
from tui_channels.backends.base import WRITE_OPERATIONS, Operation
from tui_channels.config import SiteProfile, SyncRules, load_config, save_config
from tui_channels.demo.session import NEWAPI_SITE
from tui_channels.screens.help import HelpScreen
from tui_channels.screens.history import HistoryScreen
from tui_channels.screens.main import MainScreen
from tui_channels.screens.site_form import SiteForm
from tui_channels.screens.site_manager import SiteManagerScreen
from tui_channels.screens.site_switcher import SiteSwitcher
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.services.journal import Change, Journal

from .conftest import CliResult
from .ui_helpers import (
    demo_session,
    forget_notices,
    main_screen,
    notices,
    screen_text,
    wait_for,
    wait_loaded,
    wait_screen,
)

RUN_REASON = "read-only: this run was started with --read-only"


async def test_a_read_only_run_refuses_every_write_and_says_why():
    with demo_session():
        app = ChannelsApp(read_only=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            main = main_screen(app)
            assert "READ-ONLY" in screen_text(app).splitlines()[0]
            writes = [action for cls in type(main).__mro__ for action in cls.__dict__.get("WRITES", ())]
            assert {"new_channel", "delete_channels", "enable_channels", "edit_models", "sync"} <= set(writes)
            for action in writes:
                assert main.check_action(action, ()) is None, action
                assert main.unsupported_reason(action) == RUN_REASON
            assert main.check_action("test", ()) is True, "tests only record figures: allowed"

            for key in ("d", "minus", "n", "e", "m", "D", "X", "ctrl+z", "y", "K", "L"):
                forget_notices(app)
                await pilot.press(key)
                await wait_for(pilot, lambda: any(RUN_REASON in n.message for n in notices(app)))
                assert isinstance(app.screen, MainScreen), key
            await pilot.press("a", "minus")
            await wait_for(pilot, lambda: any(RUN_REASON in n.message for n in notices(app)))
            assert not isinstance(app.screen, StatusConfirmScreen)

            help_rows = [text for _title, rows in main._help_sections() for _key, text in rows]
            assert f"Delete — {RUN_REASON}" in help_rows and "Test" in help_rows
            palette = {title: text for title, text, _action in main.palette_commands()}
            assert palette["Enable channels"].endswith(RUN_REASON)
            await pilot.press("u", "question_mark")
            await wait_screen(pilot, HelpScreen)


async def test_a_site_marked_read_only_in_its_profile_refuses_writes():
    with demo_session() as demo:
        config = load_config()
        profile = config.site(NEWAPI_SITE)
        config.sites = [p.model_copy(update={"read_only": True}) if p is profile else p for p in config.sites]
        save_config(config)
        app = ChannelsApp(site=NEWAPI_SITE)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            session = main_screen(app).current
            assert session.read_only_reason == f"read-only: {NEWAPI_SITE} is marked read-only in its profile"
            capabilities = session.capabilities
            assert not capabilities.operations & WRITE_OPERATIONS
            assert capabilities.supports(Operation.TEST)
            assert capabilities.unsupported_reason(Operation.DELETE) == session.read_only_reason
            before = dict(demo.gateway.sites[NEWAPI_SITE].server.store)
            await pilot.press("space", "d")
            await wait_for(pilot, lambda: any("marked read-only" in n.message for n in notices(app)))
            assert demo.gateway.sites[NEWAPI_SITE].server.store == before

            await pilot.press("s")
            switcher = await wait_screen(pilot, SiteSwitcher)
            rows = [str(option.prompt) for option in switcher.query_one(OptionList).options]
            marked = [row.lstrip("● ").split()[0] for row in rows if "read-only" in row]
            assert marked == [NEWAPI_SITE], rows


@pytest.mark.parametrize(
    "argv",
    [
        ("--read-only", "tags", "enable", "team-a", "--site", NEWAPI_SITE),
        ("--read-only", "channels", "sync", "--site", NEWAPI_SITE, "--all"),
        ("--read-only", "channels", "restore", "--site", NEWAPI_SITE, "--trash"),
        ("--read-only", "fleet", "sync", "--all"),
        ("--read-only", "history", "undo", "1", "--site", NEWAPI_SITE),
    ],
)
def test_the_command_line_refuses_writes_in_a_read_only_run(cli: Callable[..., CliResult], argv) -> None:
    result = cli(*argv)
    assert result.code == 1
    assert "Read-only:" in result.err and "--read-only" in result.err


def test_the_command_line_refuses_writes_to_a_site_marked_read_only(cli: Callable[..., CliResult]) -> None:
    with demo_session():
        config = load_config()
        config.sites = [p.model_copy(update={"read_only": True}) for p in config.sites]
        save_config(config)
        refused = cli("tags", "disable", "team-a", "--site", NEWAPI_SITE)
        assert refused.code == 1 and f"{NEWAPI_SITE} is marked read-only" in refused.err
        listed = cli("channels", "list", "--site", NEWAPI_SITE, "--json")
        assert listed.code == 0, listed.err


async def test_an_undo_from_the_history_is_refused_in_a_read_only_run():
    with demo_session() as demo:
        store = demo.gateway.sites[NEWAPI_SITE].server.store
        channel_id = min(store)
        priority = store[channel_id]["priority"]
        change = Change(id=channel_id, name="ro", before={"priority": priority + 1}, after={"priority": priority})
        Journal(NEWAPI_SITE).append(at=datetime.now(UTC), backend="newapi", flavor="newapi", op="update", changes=(change,))
        app = ChannelsApp(read_only=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            await pilot.press("h")
            history = await wait_screen(pilot, HistoryScreen)
            await wait_for(pilot, lambda: history.loaded)
            for key in ("u", "U"):
                forget_notices(app)
                await pilot.press(key)
                await wait_for(pilot, lambda: any(RUN_REASON in n.message for n in notices(app)))
                assert app.screen is history
        assert store[channel_id]["priority"] == priority


async def test_the_site_form_marks_a_site_read_only_and_keeps_the_mark_on_later_edits():
    with demo_session():
        app = ChannelsApp(site=NEWAPI_SITE)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            assert "READ-ONLY" not in screen_text(app).splitlines()[0]
            await pilot.press("S")
            manager = await wait_screen(pilot, SiteManagerScreen)
            manager.query_one(OptionList).highlighted = [s.name for s in app.config.sites].index(NEWAPI_SITE)
            await pilot.press("e")
            form = await wait_screen(pilot, SiteForm)
            form.query_one("#read-only", Checkbox).value = True
            await pilot.press("ctrl+s")
            await wait_screen(pilot, SiteManagerScreen)
            assert load_config().site(NEWAPI_SITE).read_only
            assert "read-only" in str(manager.query_one(OptionList).get_option(NEWAPI_SITE).prompt)

            await pilot.press("e")
            form = await wait_screen(pilot, SiteForm)
            assert form.query_one("#read-only", Checkbox).value
            form.query_one("#timeout", Input).value = "42"
            await pilot.press("ctrl+s")
            await wait_screen(pilot, SiteManagerScreen)
            assert load_config().site(NEWAPI_SITE).read_only, "an edit of another field keeps the mark"

            await pilot.press("escape")
            await wait_screen(pilot, MainScreen)
            await wait_loaded(pilot)
            await wait_for(pilot, lambda: "READ-ONLY" in screen_text(app).splitlines()[0])
            reason = f"read-only: {NEWAPI_SITE} is marked read-only in its profile"
            assert main_screen(app).current.read_only_reason == reason
            await pilot.press("F")
            await wait_for(pilot, lambda: main_screen(app).fleet is not None)
            await wait_loaded(pilot)
            assert f"READ-ONLY: {NEWAPI_SITE}" in screen_text(app).splitlines()[0]


async def test_saving_the_site_form_unchanged_keeps_every_setting_of_the_profile():
    """No profile setting is lost by an edit: the form shows it, or keeps it (`FORMLESS_SETTINGS`)."""
    with demo_session():
        app = ChannelsApp(site=NEWAPI_SITE)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            stored = app.config.site(NEWAPI_SITE)
            defaults = SiteProfile.model_construct()
            profile = stored.model_copy(
                update={
                    "verify_tls": False,
                    "timeout": 12.5,
                    "concurrency": 9,
                    "request_budget": 50,
                    "budget_window": 60.0,
                    "max_wait": 30.0,
                    "max_answer_mb": 4.0,
                    "sync_include": ("gpt",),
                    "sync_exclude": ("/preview/",),
                    "sync_channels": {1: SyncRules(skip=True)},
                    "read_only": True,
                }
            )
            at_default = {f for f in SiteProfile.model_fields if getattr(profile, f) == getattr(defaults, f, None)}
            assert at_default <= {"username", "email", "flavor"}, "every setting differs from its default"
            results: list = []
            await app.push_screen(SiteForm(app.secrets, profile, set()), results.append)
            await wait_screen(pilot, SiteForm)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: bool(results))
            assert results[0] == (profile, "")
