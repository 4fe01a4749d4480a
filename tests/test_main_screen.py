"""The main screen driven from the keyboard against the demo gateway (Pilot)."""

from __future__ import annotations

import os

from textual.widgets import Input, OptionList

from tui_channels.app import ChannelsApp
from tui_channels.config import load_config
from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.models import ChannelStatus
from tui_channels.screens.channel_detail import ChannelDetailScreen
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.column_picker import ColumnPicker
from tui_channels.screens.help import HelpScreen
from tui_channels.secret_store import env_var_name
from tui_channels.services import test_log
from tui_channels.services.results import ChannelResult, Outcome
from tui_channels.services.sites import LoadState

from .ui_helpers import main_screen, notices, running_app, screen_text, wait_for, wait_loaded, wait_screen


async def switch_to(pilot, name: str) -> None:
    await pilot.press("s")
    names = [site.name for site in pilot.app.config.sites]
    current = main_screen(pilot.app).current.name
    steps = names.index(name) - names.index(current)
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await wait_loaded(pilot)


async def test_first_site_loads_with_counts_in_the_site_bar():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        assert screen.current.name == NEWAPI_SITE
        assert screen.table.total_count == len(demo.gateway.sites[NEWAPI_SITE].server.store)
        assert "60 of 60 channels" in screen_text(app)
        assert app.focused is screen.table


async def test_switching_sites_keeps_each_sites_view_state():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        await pilot.press("slash", *"open")
        await pilot.press("enter", "O", "home", "down", "space", "space")
        view_before = screen.current.view
        cursor_before = screen.table.cursor_channel.id
        selected_before = set(screen.table.selected_ids)
        rows_before = screen.table.row_count
        assert len(selected_before) == 2 and rows_before < 60
        list_requests = demo.gateway.sites[NEWAPI_SITE].stats.count("GET", "/api/channel/")

        await switch_to(pilot, OCTOPUS_SITE)
        assert screen.current.name == OCTOPUS_SITE
        assert screen.table.row_count == screen.table.total_count  # a fresh view there
        assert not screen.table.selected_ids

        await switch_to(pilot, NEWAPI_SITE)
        assert screen.current.view == view_before
        assert screen.table.cursor_channel.id == cursor_before
        assert set(screen.table.selected_ids) == selected_before
        assert screen.table.row_count == rows_before
        assert screen.query_one("#search").value == "open"
        # coming back shows the loaded channels again without asking the server
        assert demo.gateway.sites[NEWAPI_SITE].stats.count("GET", "/api/channel/") == list_requests


async def test_the_table_filters_in_the_same_turn_as_the_search_text_changes():
    """The filter runs when the search box's text changes, not a message later: the box and the
    filtered table then repaint in one frame (with a message, Textual painted the box alone first
    and the table one or two frames later)."""
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        search = screen.query_one("#search", Input)
        search.value = "open"
        assert screen.table.view_state.search == "open"
        assert screen.current.view.search == "open"
        assert 0 < screen.table.row_count < screen.table.total_count
        search.value = ""
        assert screen.table.row_count == screen.table.total_count


def switcher_lines(app) -> dict[str, str]:
    """The site switcher's rows by site name."""
    options = app.screen.query_one(OptionList)
    prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return {next(word for word in prompt.split() if word.startswith("demo-")): prompt for prompt in prompts[1:]}


async def test_the_site_switcher_names_what_each_connected_site_runs():
    """Veloera is a New API-family site and Done Hub a One Hub one: once connected, the switcher
    and the site manager name what the server was detected as, not the family; a site not connected
    yet shows every server of its family, never the family's first one alone."""
    from tui_channels.screens.site_manager import SiteManagerScreen

    async with running_app() as (app, pilot, _demo):
        await pilot.press("s")
        lines = switcher_lines(app)
        assert "New API / One API / Veloera" in lines["demo-veloera"]
        assert "One Hub / Done Hub" in lines["demo-donehub"]
        await pilot.press("escape", "F")
        await wait_loaded(pilot)
        await pilot.press("s")
        lines = switcher_lines(app)
        assert "Veloera" in lines["demo-veloera"] and "New API" not in lines["demo-veloera"]
        assert "Done Hub" in lines["demo-donehub"] and "One Hub" in lines["demo-onehub"]
        await pilot.press("escape", "S")
        manager = await wait_screen(pilot, SiteManagerScreen)
        options = manager.query_one(OptionList)
        rows = {o.id: str(o.prompt) for o in (options.get_option_at_index(i) for i in range(options.option_count))}
        assert "Veloera" in rows["demo-veloera"] and "New API" not in rows["demo-veloera"]
        assert "Done Hub" in rows["demo-donehub"] and "One Hub" not in rows["demo-donehub"]


def test_a_site_not_connected_yet_is_named_by_its_pinned_flavor_or_every_server_of_its_family():
    from tui_channels.config import SiteProfile
    from tui_channels.services.sites import server_label

    def site(kind: str, flavor: str) -> SiteProfile:
        login = {"newapi": {"user_id": 1}, "octopus": {"username": "admin"}}.get(kind, {})
        return SiteProfile(name="s", kind=kind, url="http://127.0.0.1:9", flavor=flavor, **login)

    assert server_label(site("newapi", "veloera")) == "Veloera"
    assert server_label(site("newapi", "oneapi")) == "One API"
    assert server_label(site("newapi", "auto")) == "New API / One API / Veloera"
    assert server_label(site("onehub", "donehub")) == "Done Hub"
    assert server_label(site("octopus", "legacy")) == "Octopus (legacy)"
    assert server_label(site("octopus", "auto")) == "Octopus"


async def test_search_status_filter_and_sort_combine():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        await pilot.press("slash", *"GPT")
        screen.query_one("#status-filter").value = "enabled"
        await pilot.pause()
        screen.sort_by("name", True)
        await pilot.pause()
        expected = sorted(
            (
                c
                for c in screen.current.channels
                if c.status is ChannelStatus.ENABLED
                and any("gpt" in text.lower() for text in (c.name, c.base_url, str(c.id), *c.models))
            ),
            key=lambda c: (c.name.casefold(), -c.id),
            reverse=True,
        )
        shown = [screen.table.index.channel(p).id for p in screen.table._rows]
        assert shown == [c.id for c in expected]
        assert 0 < len(shown) < 60


async def test_the_status_filter_shows_what_the_gateway_turned_off():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        screen.query_one("#status-filter").value = "auto-disabled"
        automatic = {c.id for c in screen.current.channels if c.status is ChannelStatus.AUTO_DISABLED}
        await wait_for(pilot, lambda: screen.table.visible_ids() == automatic)
        assert automatic and "Auto-disabled" in screen_text(app).splitlines()[1]


async def test_sort_choice_is_remembered_per_site():
    async with running_app() as (app, pilot, _demo):
        await pilot.press("o")
        await pilot.press("down", "down", "enter")  # third visible column: Type
        screen = main_screen(app)
        assert screen.current.view.sort_column == "type"
        assert load_config().ui.sort[NEWAPI_SITE].column == "type"
        await pilot.press("O")
        assert load_config().ui.sort[NEWAPI_SITE].descending is True


async def test_column_picker_choice_survives_a_restart():
    async with running_app() as (app, pilot, demo):
        await pilot.press("c")
        assert isinstance(app.screen, ColumnPicker)
        picker_order = app.screen._order
        await pilot.press(*(["down"] * picker_order.index("base_url")), "space", "K", "K")
        await pilot.press("home", "space")  # hide the first column (ID)
        await pilot.press("enter")
        columns = main_screen(app).table.columns
        assert "base_url" in columns and "id" not in columns
        assert load_config().ui.columns["newapi"] == columns

        restarted = ChannelsApp()
        async with restarted.run_test(size=(120, 40)) as second:
            await wait_loaded(second)
            assert main_screen(restarted).table.columns == columns


async def test_selection_survives_filtering_and_sorting():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        await pilot.press("space", "space", "space")
        first_three = set(screen.table.selected_ids)
        await pilot.press("slash", *"claude", "enter")
        await pilot.press("a")
        visible = {screen.table.index.channel(p).id for p in screen.table._rows}
        await pilot.press("slash", *["backspace"] * len("claude"), "enter", "O")
        assert set(screen.table.selected_ids) == first_three | visible
        await pilot.press("i")
        inverted = {c.id for c in screen.current.channels} - first_three - visible
        assert set(screen.table.selected_ids) == inverted

        await pilot.press("slash", *"claude", "enter", "escape")
        assert not screen.table.selected_ids, "Esc clears the selection first"
        assert any(n.message == f"Selection cleared ({len(inverted)} channels)." for n in notices(app))
        assert "selected" not in screen_text(app).splitlines()[0]
        assert screen.current.view.search == "claude", "the search stays until a second Esc"
        await pilot.press("escape")
        assert screen.current.view.search == ""


async def test_octopus_offers_only_the_columns_it_has():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, _demo):
        screen = main_screen(app)
        absent = {"group", "priority", "weight", "tag", "balance", "used_quota"}
        assert not absent & set(screen.table.columns)
        assert not screen.query_one("#group-filter").display
        assert not screen.query_one("#tag-filter").display
        await pilot.press("c")
        offered = set(app.screen._order)
        assert not absent & offered and {"name", "models", "base_url"} <= offered


async def test_a_failed_load_has_its_own_state_and_notification():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.sites[NEWAPI_SITE]
        screen = main_screen(app)
        await app.sessions.discard(NEWAPI_SITE)
        site.faults.add("server_error", "/api/channel/", times=None)
        screen.open_site(NEWAPI_SITE)
        await wait_loaded(pilot)
        text = screen_text(app)
        assert "Could not load channels" in text and "Press r to retry" in text
        assert screen.current.state is LoadState.FAILED
        assert any("HTTP 500" in n.message for n in notices(app))
        site.faults.clear()
        await pilot.press("r")
        await wait_loaded(pilot)
        assert screen.current.state is LoadState.READY and screen.table.row_count == 60


async def test_an_auth_failure_says_to_fix_the_credentials():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        await app.sessions.discard(NEWAPI_SITE)
        os.environ[env_var_name(NEWAPI_SITE)] = "not-the-token"
        screen.open_site(NEWAPI_SITE)
        await wait_loaded(pilot)
        assert screen.current.state is LoadState.AUTH_FAILED
        text = screen_text(app)
        assert "edit this site's credentials" in text
        assert "not-the-token" not in text


async def test_an_empty_site_and_a_filter_without_matches_each_say_what_to_do():
    async with running_app(channels=0) as (app, pilot, _demo):
        assert "has no channels yet" in screen_text(app)
        assert "Press n to create one here" in screen_text(app)
        await pilot.press("n")
        await wait_screen(pilot, ChannelFormScreen)
    async with running_app() as (app, pilot, _demo):
        await pilot.press("slash", *"zzzz-nothing")
        assert "No channel matches" in screen_text(app)
        assert app.focused.id == "search"  # still typing
        await pilot.press("escape")
        assert main_screen(app).table.row_count == 60


async def test_first_run_without_sites(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_CHANNELS_CONFIG_DIR", str(tmp_path))
    app = ChannelsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "No sites yet" in screen_text(app)
        assert "Press S to add a site" in screen_text(app)


async def test_refresh_can_be_cancelled_and_keeps_the_channels():
    async with running_app() as (app, pilot, demo):
        screen = main_screen(app)
        demo.gateway.sites[NEWAPI_SITE].faults.add("hang", "/api/channel/", times=None)
        await pilot.press("r")
        await wait_for(pilot, lambda: "Loading channels" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.current.state is LoadState.READY)
        assert screen.table.total_count == 60
        assert any("cancelled" in n.message for n in notices(app))


async def test_ten_thousand_channels_load_and_filter():
    async with running_app(channels=10_000) as (app, pilot, _demo):
        screen = main_screen(app)
        assert screen.table.total_count == 10_000
        assert "10,000 of 10,000 channels" in screen_text(app)
        await pilot.press("slash", *"claude")
        assert 0 < screen.table.row_count < 10_000


async def test_help_lists_every_binding_and_the_palette_offers_every_action():
    async with running_app() as (app, pilot, _demo):
        screen = main_screen(app)
        titles = {command.title for command in app.get_system_commands(screen)}
        for binding in screen._own_bindings():
            for b in binding[1]:
                assert b.description in titles
        assert "Sort by Name descending" in titles
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Manage sites" in text and "Refresh" in text


async def test_detail_view_masks_keys():
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, demo):
        screen = main_screen(app)
        channel = screen.table.cursor_channel
        raw_key = demo.gateway.sites[OCTOPUS_SITE].server.record(channel.id)["key"]
        await pilot.press("enter")
        await wait_screen(pilot, ChannelDetailScreen)
        text = screen_text(app)
        assert f"Channel {channel.id}" in text
        assert raw_key not in text and raw_key[:4] in text


async def test_details_show_this_tools_last_test_where_the_server_keeps_none():
    """Right after this tool (the app or `fleet test`) tested a channel, the details say how its
    last test went, and that it is this tool's record: Octopus keeps no test at all."""
    async with running_app(site=OCTOPUS_SITE) as (app, pilot, _demo):
        screen = main_screen(app)
        channel = screen.table.cursor_channel
        assert channel is not None and not channel.test_time
        await pilot.press("enter")
        await wait_screen(pilot, ChannelDetailScreen)
        assert "Last test here" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        failure = ChannelResult(channel.id, channel.name, Outcome.FAILED, "status code 401: invalid key", value=0.812)
        test_log.record(OCTOPUS_SITE, [failure])
        await pilot.press("enter")
        await wait_screen(pilot, ChannelDetailScreen)
        await wait_for(pilot, lambda: "Last test here" in screen_text(app))
        text = screen_text(app)
        assert "Last tested (server)  never" in text and "Last test here" in text
        assert "failed just now (812 ms): status code 401: invalid key (this tool's" in text
        assert "test, from last-tests.json)" in text


async def test_theme_choice_is_remembered():
    async with running_app() as (app, pilot, _demo):
        app.theme = "textual-light"
        await pilot.pause()
        assert load_config().ui.theme == "textual-light"


async def test_site_manager_adds_verifies_edits_and_removes_a_site():
    async with running_app() as (app, pilot, demo):
        site = demo.gateway.add_octopus("extra-octo", channels=4)
        await pilot.press("S", "a")
        form = app.screen
        form.query_one("#name").value = "lab"
        form.query_one("#kind").value = site.kind
        await pilot.pause()
        form.query_one("#url").value = site.url
        form.query_one("#username").value = site.username
        form.query_one("#secret").value = "wrong-password"
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "Credentials" in str(form.query_one("#verify-result").render()))
        result = str(form.query_one("#verify-result").render())
        assert "✓ Reachable" in result and "✗ Credentials" in result
        assert "wrong-password" not in result
        form.query_one("#secret").value = site.secret
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "✓ Credentials" in str(form.query_one("#verify-result").render()))
        assert "Octopus, version v0.11.0" in str(form.query_one("#verify-result").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = load_config().site("lab")
        assert saved.url == site.url and saved.username == site.username
        assert app.secrets.get("lab") == site.secret
        config_text = open(os.path.join(os.environ["TUI_CHANNELS_CONFIG_DIR"], "config.toml")).read()
        assert "lab" in config_text and site.secret not in config_text

        manager = app.screen
        await pilot.press("v")  # the saved site is highlighted
        await wait_for(pilot, lambda: "lab\n✓ Reachable" in str(manager.query_one("#site-verify").render()))
        await wait_for(pilot, lambda: "✓ Credentials" in str(manager.query_one("#site-verify").render()))
        await pilot.press("d")
        await wait_for(pilot, lambda: "Remove site lab?" in screen_text(app))
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        assert not load_config().has_site("lab") and app.secrets.get("lab") is None
        await pilot.press("escape")
        assert isinstance(app.screen, type(main_screen(app)))


async def test_the_demo_warns_of_plain_text_secrets_only_when_one_is_stored_so():
    """The demo's secrets come from the environment: opening the sites says nothing of plain text
    (no keyring works in the tests, as on many servers). A secret saved to the file is warned of."""
    from tui_channels.screens.site_manager import SiteManagerScreen

    async with running_app() as (app, pilot, _demo):
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SiteManagerScreen) and app.screen.is_mounted)
        await pilot.pause()
        assert not [n for n in notices(app) if "plain text" in n.message]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main_screen(app))

        app.secrets.set("kept-in-a-file", "sk-followups-0123456789")
        await pilot.press("S")
        await wait_for(pilot, lambda: any("plain text" in n.message for n in notices(app)))
        warning = next(n for n in notices(app) if "plain text" in n.message)
        assert "kept-in-a-file" in warning.message and warning.title == "Stored in plain text"


async def test_plain_text_is_warned_of_once_a_session_per_entry_and_names_the_key_library():
    """Each visit to the sites used to repeat the warning (and call the key library a site): it
    comes once per stored entry, and again only for an entry stored in plain text since."""
    from tui_channels.config import LIBRARY_ENTRY
    from tui_channels.screens.site_manager import SiteManagerScreen

    told: list[str] = []

    def warnings(_app) -> list[str]:
        """Every plain-text warning given (kept here: a notice leaves the screen after its timeout)."""
        return [message for message in told if "plain text" in message]

    async def visit_sites(pilot) -> None:
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SiteManagerScreen) and pilot.app.screen.is_mounted)
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is main_screen(pilot.app))

    async with running_app() as (app, pilot, _demo):
        notify = app.notify

        def recorded(message, *args, **kwargs):
            told.append(str(message))
            return notify(message, *args, **kwargs)

        app.notify = recorded
        app.secrets.set(LIBRARY_ENTRY, '{"keys": []}')
        await visit_sites(pilot)
        [first] = warnings(app)
        assert first.startswith("The upstream keys of the key library are stored in plain text")
        await visit_sites(pilot)
        assert warnings(app) == [first]
        app.secrets.set("kept-in-a-file", "sk-records-0123456789")
        await visit_sites(pilot)
        assert len(warnings(app)) == 2 and "kept-in-a-file" in warnings(app)[1]
        assert "key library" not in warnings(app)[1]
        await visit_sites(pilot)
        assert len(warnings(app)) == 2
