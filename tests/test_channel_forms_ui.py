"""Channel forms and single-channel actions, driven with the Pilot against the demo gateway.

Every test ends on what the server stored (`site.server.record(id)`) or what it was sent
(`site.stats.requests(...)`), not only on what the screen shows.
"""

from __future__ import annotations

import itertools
import json

from textual import events
from textual.widgets import Button, Checkbox, Input, SelectionList, Static

from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.demo.upstream import PROVIDERS
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.key_reveal import KeyRevealScreen
from tui_channels.screens.main import MainScreen
from tui_channels.screens.model_editor import ModelEditorScreen
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.screens.type_picker import TypePicker
from tui_channels.services import trash

from .ui_helpers import app_on_sites, is_loaded, main_screen, notices, screen_text, wait_for, wait_screen

_names = itertools.count(1)


def newapi(gateway: DemoGateway, flavor: str = "newapi", channels: int = 12, **options) -> DemoSite:
    return gateway.add_newapi(f"ui-na-{next(_names)}", flavor=flavor, channels=channels, **options)


def octopus(gateway: DemoGateway, generation: str = "current", channels: int = 8) -> DemoSite:
    return gateway.add_octopus(f"ui-oct-{next(_names)}", generation=generation, channels=channels)


def field_input(form: ChannelFormScreen, name: str) -> Input:
    return form.query_one(f"#field-{name} Input", Input)


def field_error(form: ChannelFormScreen, name: str) -> str:
    error = form.query_one(f"#field-{name} .field-error", Static)
    return str(error.render()) if error.display else ""


def form_problem(form: ChannelFormScreen) -> str:
    problem = form.query_one("#form-error", Static)
    return str(problem.render()) if problem.display else ""


async def to_channel(pilot, channel_id: int) -> None:
    screen = main_screen(pilot.app)
    screen.table.move_cursor_to_channel(channel_id)
    await pilot.pause()
    assert screen.table.cursor_channel.id == channel_id


async def back_to_main(pilot) -> MainScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen) and is_loaded(pilot.app))
    return main_screen(pilot.app)


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await back_to_main(pilot)


# -- create ---------------------------------------------------------------------------------------


async def test_create_on_new_api_with_the_type_picker(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        await pilot.press(*"made-in-ui")
        form.query_one("#field-type Button").press()
        picker = await wait_screen(pilot, TypePicker)
        await pilot.press(*"anthro")
        assert [str(o.prompt) for o in picker.query_one("#type-list")._options] == ["Anthropic  (14)"]
        await pilot.press("enter")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_input(form, "base_url").placeholder == "empty: https://api.anthropic.com"
        field_input(form, "key").value = "sk-ant-from-ui"
        field_input(form, "priority").value = "4"
        form.query_one("#field-groups SelectionList", SelectionList).deselect("default")
        form.query_one("#field-groups SelectionList", SelectionList).select("vip")
        await pilot.pause()
        await save(pilot)

        created = max(site.server.store)
        record = site.server.record(created)
        assert (record["name"], record["type"], record["key"]) == ("made-in-ui", 14, "sk-ant-from-ui")
        assert (record["group"], record["priority"], record["status"]) == ("vip", 4, 1)
        screen = main_screen(app)
        assert screen.table.cursor_channel.id == created


async def test_a_one_api_channel_can_be_given_the_servers_groups(gateway, monkeypatch) -> None:
    """One API has `GET /api/group/`: the form offers its groups, not only `default`."""
    site = newapi(gateway, "oneapi")
    async with app_on_sites(monkeypatch, site) as (_app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        groups = form.query_one("#field-groups SelectionList", SelectionList)
        await wait_for(pilot, lambda: groups.option_count == 3)
        await pilot.press(*"one-api-vip")
        field_input(form, "key").value = "sk-one-api-vip"
        groups.select("vip")
        await pilot.pause()
        await save(pilot)
        record = site.server.record(max(site.server.store))
        assert (record["name"], record["group"]) == ("one-api-vip", "default,vip")


async def test_esc_closes_an_untouched_form_and_asks_before_dropping_edits(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("n")
        await wait_screen(pilot, ChannelFormScreen)
        await pilot.press("escape")
        await back_to_main(pilot)

        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        await pilot.press(*"half-typed")
        await wait_for(pilot, lambda: field_input(form, "name").value == "half-typed")
        await pilot.press("escape")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_input(form, "name").value == "half-typed", "n goes back to the form as it was"
        form.query_one("#form-cancel", Button).press()
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await back_to_main(pilot)
        assert "half-typed" not in {r["name"] for r in site.server.store.values()}


async def test_validation_is_inline_and_save_is_refused(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_error(form, "name") == ""  # nothing shown before the field is touched
        await pilot.press("x", "backspace")
        assert field_error(form, "name") == "Name is required."
        field_input(form, "base_url").value = "api.example.com"
        await pilot.pause()
        assert field_error(form, "base_url").startswith("Enter a full URL starting with http://")
        form.query_one("#field-model_mapping TextArea").text = "[1]"
        await pilot.pause()
        assert field_error(form, "model_mapping") == 'Must be a JSON object, like {"name": "value"}.'

        posts = len(site.stats.requests("POST", "/api/channel/"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert field_error(form, "key") == "API key is required."
        assert form_problem(form) == "Not saved: fix Name, API key, Base URL, Model mapping."
        assert len(site.stats.requests("POST", "/api/channel/")) == posts

        field_input(form, "name").value = "fixed"
        field_input(form, "key").value = "sk-fixed"
        field_input(form, "base_url").value = ""
        form.query_one("#field-model_mapping TextArea").text = '{"gpt-4": "gpt-4o"}'
        await pilot.pause()
        assert all(field_error(form, n) == "" for n in ("name", "key", "base_url", "model_mapping"))
        await save(pilot)
        record = site.server.record(max(site.server.store))
        assert record["name"] == "fixed" and record["model_mapping"] == '{"gpt-4": "gpt-4o"}'


async def test_create_on_octopus_legacy_with_key_and_url_lists(gateway, monkeypatch) -> None:
    site = octopus(gateway, "legacy")
    url = f"{gateway.upstream_url}/p/openai/v1"
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert not form.query("#field-groups") and not form.query("#field-priority")
        await pilot.press(*"octo-legacy-new")
        form.query_one("#field-key .key-value", Input).value = "sk-first"
        form.query_one("#field-key .add-row", Button).press()
        await pilot.pause()
        rows = form.query("#field-key .key-row")
        assert len(rows) == 2
        rows.last().query_one(".key-value", Input).value = "sk-second"
        rows.last().query_one(".key-remark", Input).value = "spare"
        rows.last().query_one(".key-enabled", Checkbox).value = False
        form.query_one("#field-base_url .url-value", Input).value = url
        await pilot.pause()
        await save(pilot)

        created = max(site.server.channels)
        record = site.server.record(created)
        assert record["name"] == "octo-legacy-new"
        assert [(k["channel_key"], k["enabled"], k["remark"]) for k in record["keys"]] == [
            ("sk-first", True, ""),
            ("sk-second", False, "spare"),
        ]
        assert record["base_urls"] == [{"url": url, "delay": 0}]
        assert main_screen(app).table.cursor_channel.id == created


# -- edit -------------------------------------------------------------------------------------------


async def test_edit_new_api_sends_only_the_change_and_keeps_the_rest(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    untouched = {
        "model_mapping": '{"gpt-4": "gpt-4o"}',
        "param_override": '{"temperature": 0.3}',
        "setting": '{"force_format": true}',
        "remark": "keep me",
    }
    site.server.store[2].update(untouched)
    stored_key = site.server.record(2)["key"]
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, 2)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        key = field_input(form, "key")
        assert key.value == "" and key.password
        assert "Leave empty to keep the stored key." in screen_text(app)
        assert stored_key not in screen_text(app)
        field_input(form, "name").value = "renamed-in-ui"
        field_input(form, "weight").value = "9"
        await pilot.pause()
        await save(pilot)

        body = site.stats.requests("PUT", "/api/channel/")[-1].json()
        assert body == {"id": 2, "name": "renamed-in-ui", "weight": 9}
        record = site.server.record(2)
        assert record["name"] == "renamed-in-ui" and record["key"] == stored_key
        assert {k: record[k] for k in untouched} == untouched
        screen = main_screen(app)
        assert screen.table.cursor_channel.id == 2 and screen.table.cursor_channel.name == "renamed-in-ui"


async def test_a_refused_sensitive_change_stays_in_the_form(gateway, monkeypatch) -> None:
    site = newapi(gateway, role="admin")
    before = site.server.record(3)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, 3)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        field_input(form, "base_url").value = "https://elsewhere.example.com"
        field_input(form, "remark").value = "typed by the user"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Insufficient privilege" in form_problem(form))
        assert app.screen is form
        assert "sensitive_write" in form_problem(form)
        assert field_input(form, "base_url").value == "https://elsewhere.example.com"
        assert field_input(form, "remark").value == "typed by the user"
        assert not form.query_one("#form-save", Button).disabled
        assert site.server.record(3) == before


async def test_edit_octopus_current_headers_and_models_keep_the_key(gateway, monkeypatch) -> None:
    site = octopus(gateway, "current")
    site.server.channels[2].update(param_override='{"top_p": 0.9}', match_regex="^gpt", custom_model="ft-1")
    before = site.server.record(2)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, 2)
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert before["key"] not in screen_text(app)
        form.query_one("#advanced").collapsed = False
        form.query_one("#field-custom_header .add-row", Button).press()
        await pilot.pause()
        row = form.query("#field-custom_header .header-row").last()
        row.query_one(".header-name", Input).value = "X-Env"
        row.query_one(".header-value", Input).value = "prod"
        await pilot.pause()
        await save(pilot)

        body = site.stats.requests("POST", "/api/v1/channel/update")[-1].json()
        added = {"header_key": "X-Env", "header_value": "prod"}
        assert body == {"id": 2, "custom_header": [*before["custom_header"], added]}
        record = site.server.record(2)
        assert record["custom_header"][-1] == added
        unchanged = {k: v for k, v in before.items() if k != "custom_header"}
        assert {k: record[k] for k in unchanged} == unchanged


async def test_edit_octopus_legacy_keys(gateway, monkeypatch) -> None:
    site = octopus(gateway, "legacy")
    before = site.server.record(1)
    first, others = before["keys"][0], before["keys"][1:]
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("e")
        form = await wait_screen(pilot, ChannelFormScreen)
        rows = form.query("#field-key .key-row")
        assert len(rows) == len(before["keys"])
        assert first["channel_key"] not in screen_text(app)
        rows.first().query_one(".key-remark", Input).value = "primary"
        for row in list(rows)[1:]:
            row.query_one(".remove-row", Button).press()
        form.query_one("#field-key .add-row", Button).press()
        await pilot.pause()
        form.query("#field-key .key-row").last().query_one(".key-value", Input).value = "sk-rotated"
        await pilot.pause()
        await save(pilot)

        body = site.stats.requests("POST", "/api/v1/channel/update")[-1].json()
        assert body["keys_to_update"] == [{"id": first["id"], "remark": "primary"}]
        assert body["keys_to_add"] == [{"enabled": True, "channel_key": "sk-rotated", "remark": ""}]
        assert sorted(body.get("keys_to_delete", [])) == sorted(k["id"] for k in others)
        record = site.server.record(1)
        assert [(k["channel_key"], k["remark"]) for k in record["keys"]] == [
            (first["channel_key"], "primary"),
            ("sk-rotated", ""),
        ]
        assert record["base_urls"] == before["base_urls"] and record["model"] == before["model"]


# -- model editor ------------------------------------------------------------------------------------


async def test_model_editor_from_the_table_saves_only_models(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    openai = next(i for i, r in site.server.store.items() if r["type"] == 1 and r["key"].startswith("sk-ope"))
    site.server.store[openai]["models"] = "gpt-4o,retired-model,zz-old"
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, openai)
        await pilot.press("m")
        editor = await wait_screen(pilot, ModelEditorScreen)
        shown = editor.query_one("#model-list", SelectionList)
        assert shown.option_count == 3 and len(shown.selected) == 3

        editor.query_one("#model-filter", Input).value = "zz"
        await pilot.pause()
        assert shown.option_count == 1
        await pilot.press("minus")  # unchecks what is shown only
        editor.query_one("#model-filter", Input).value = ""
        await pilot.pause()
        assert set(shown.selected) == {"gpt-4o", "retired-model"}
        await pilot.press("i")
        assert set(shown.selected) == {"zz-old"}
        await pilot.press("a")
        assert len(shown.selected) == 3

        add = editor.query_one("#model-add", Input)
        add.focus()
        add.post_message(events.Paste("custom-a\ncustom-b, custom-c"))
        await pilot.pause()
        assert add.value == "custom-a, custom-b, custom-c"
        await pilot.press("enter")
        assert shown.option_count == 6

        shown.focus()
        await pilot.press("f")
        await wait_for(pilot, lambda: "upstream offers" in str(editor.query_one("#upstream-text").render()))
        text = str(editor.query_one("#upstream-text").render())
        expected_new = [m for m in PROVIDERS["openai"] if m != "gpt-4o"]
        assert f"New ({len(expected_new)}): " in text
        assert "No longer offered (5): retired-model, zz-old, custom-a, custom-b, custom-c" in text
        assert [m for m in shown.selected] == ["gpt-4o", "retired-model", "zz-old", "custom-a", "custom-b", "custom-c"]
        editor.query_one("#upstream-accept", Button).press()
        await pilot.pause()
        assert set(shown.selected) == set(PROVIDERS["openai"])
        await pilot.press("ctrl+s")
        await back_to_main(pilot)

        body = site.stats.requests("PUT", "/api/channel/")[-1].json()
        assert set(body) == {"id", "models"}
        assert body["models"].split(",") == ["gpt-4o", *expected_new]
        assert site.stats.requests("GET", f"/api/channel/fetch_models/{openai}")
        assert main_screen(app).table.cursor_channel.models == ("gpt-4o", *expected_new)


async def test_model_editor_fetch_keeps_mapping_aliases_and_leaves_their_targets_off(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    openai = next(i for i, r in site.server.store.items() if r["type"] == 1 and r["key"].startswith("sk-ope"))
    site.server.store[openai].update(models="gpt-4,gpt-4o-mini", model_mapping='{"gpt-4": "gpt-4o"}')
    async with app_on_sites(monkeypatch, site) as (_app, pilot):
        await to_channel(pilot, openai)
        await pilot.press("m")
        editor = await wait_screen(pilot, ModelEditorScreen)
        await pilot.press("f")
        await wait_for(pilot, lambda: "upstream offers" in str(editor.query_one("#upstream-text").render()))
        text = str(editor.query_one("#upstream-text").render())
        assert "No longer offered" not in text and "Model-mapping aliases, kept (1): gpt-4" in text
        assert "Mapping targets, reached through their alias (1): gpt-4o" in text
        new = [m for m in PROVIDERS["openai"] if m not in ("gpt-4o", "gpt-4o-mini")]
        assert f"New ({len(new)}): " in text
        editor.query_one("#upstream-accept", Button).press()
        await pilot.pause()
        shown = editor.query_one("#model-list", SelectionList)
        assert list(shown.selected) == ["gpt-4", "gpt-4o-mini", *new]


async def test_model_editor_in_a_draft_fetches_with_the_typed_key(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        field_input(form, "name").value = "draft-models"
        form.query_one("#field-models .edit-models", Button).press()
        editor = await wait_screen(pilot, ModelEditorScreen)
        editor.query_one("#model-fetch", Button).press()
        await pilot.pause()
        assert "Enter the API key first" in str(editor.query_one("#upstream-text").render())
        await pilot.press("escape")

        form = await wait_screen(pilot, ChannelFormScreen)
        field_input(form, "key").value = "sk-draft-key"
        field_input(form, "base_url").value = f"{gateway.upstream_url}/p/deepseek"
        await pilot.pause()
        form.query_one("#field-models .edit-models", Button).press()
        editor = await wait_screen(pilot, ModelEditorScreen)
        editor.query_one("#model-fetch", Button).press()
        await wait_for(pilot, lambda: "upstream offers" in str(editor.query_one("#upstream-text").render()))
        sent = site.stats.requests("POST", "/api/channel/fetch_models")[-1].json()
        assert sent == {"type": 1, "base_url": f"{gateway.upstream_url}/p/deepseek", "key": "sk-draft-key"}
        editor.query_one("#upstream-accept", Button).press()
        await pilot.pause()
        assert editor.query_one("#model-list", SelectionList).selected == list(PROVIDERS["deepseek"])
        await pilot.press("ctrl+s")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert form.values()["models"] == PROVIDERS["deepseek"]
        await save(pilot)
        assert site.server.record(max(site.server.store))["models"] == ",".join(PROVIDERS["deepseek"])


# -- duplicate ---------------------------------------------------------------------------------------


async def test_duplicate_on_new_api_copies_server_side_then_edits_the_copy(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    original = site.server.record(4)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, 4)
        await pilot.press("D")
        form = await wait_screen(pilot, ChannelFormScreen)
        copy_id = max(site.server.store)
        assert site.stats.requests("POST", "/api/channel/copy/4")
        assert form.form.channel.id == copy_id
        assert site.server.record(copy_id)["status"] == 2, "the copy serves nothing while its form is open"
        assert field_input(form, "name").value == f"{original['name']} copy"
        field_input(form, "name").value = "the-copy"
        await pilot.pause()
        await save(pilot)

        record = site.server.record(copy_id)
        assert record["name"] == "the-copy" and record["key"] == original["key"]
        assert record["models"] == original["models"] and record["group"] == original["group"]
        assert record["status"] == original["status"] == 1, "saved with the original's status"
        assert main_screen(app).table.cursor_channel.id == copy_id
        assert any(f"Created channel {copy_id}" in n.message for n in notices(app))


async def test_a_cancelled_duplicate_on_new_api_leaves_nothing_behind(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    before = set(site.server.store)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, 4)
        await pilot.press("D")
        await wait_screen(pilot, ChannelFormScreen)
        copy_id = max(site.server.store)
        assert copy_id not in before
        await pilot.press("escape")
        await wait_for(pilot, lambda: set(site.server.store) == before)
        await wait_for(pilot, lambda: any("Nothing was created" in n.message for n in notices(app)))
        await wait_for(pilot, lambda: is_loaded(app))
        assert copy_id not in {c.id for c in main_screen(app).current.channels}


async def test_duplicate_on_octopus_creates_from_the_fields(gateway, monkeypatch) -> None:
    site = octopus(gateway, "current")
    site.server.channels[3]["enabled"] = False  # the server would store the copy enabled: it must not stay so
    original = site.server.record(3)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, 3)
        await pilot.press("D")
        form = await wait_screen(pilot, ChannelFormScreen)
        assert field_input(form, "name").value == f"{original['name']} copy"
        assert field_input(form, "key").value == original["key"] and field_input(form, "key").password
        await save(pilot)

        copy_id = max(site.server.channels)
        record = site.server.record(copy_id)
        assert record["name"] == f"{original['name']} copy"
        for name in ("type", "enabled", "key", "base_url", "model", "custom_model", "custom_header", "param_override"):
            assert record[name] == original[name]
        assert main_screen(app).table.cursor_channel.id == copy_id
        assert main_screen(app).table.cursor_channel.status.label == "disabled"


# -- delete ------------------------------------------------------------------------------------------


async def test_delete_many_needs_the_typed_count_and_fills_the_trash(gateway, monkeypatch) -> None:
    site = newapi(gateway, channels=20)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        screen = main_screen(app)
        await pilot.press(*["space"] * 12)
        targets = sorted(screen.target_channels(), key=lambda c: c.id)
        assert len(targets) == 12
        enabled = sum(c.status.is_enabled for c in targets)
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmScreen)
        message = str(confirm.query_one("#confirm-message").render())
        assert "and 2 more" in message and f"#{targets[9].id} {targets[9].name}" in message
        assert f"#{targets[10].id}" not in message
        assert f"{enabled} of these 12 channels are enabled" in message
        yes = confirm.query_one("#confirm-yes", Button)
        assert yes.disabled
        await pilot.press(*"11")
        assert yes.disabled
        await pilot.press("backspace", "backspace", *"12")
        assert not yes.disabled
        await pilot.press("enter")
        await wait_screen(pilot, BatchResultsScreen)
        await pilot.press("escape")
        screen = await back_to_main(pilot)

        ids = {c.id for c in targets}
        assert not ids & set(site.server.store)
        assert not ids & {c.id for c in screen.current.channels}
        assert screen.table.total_count == 8
        records = trash.read()
        assert sorted(r["channel"]["id"] for r in records) == [c.id for c in targets]
        assert all(r["site"] == site.name and r["reason"] == "delete" for r in records)
        assert {r["raw"]["name"] for r in records} == {c.name for c in targets}


async def test_deleting_one_disabled_channel_needs_no_typing(gateway, monkeypatch) -> None:
    site = newapi(gateway)
    disabled = next(i for i, r in site.server.store.items() if r["status"] != 1)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, disabled)
        await pilot.press("delete")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert not confirm.query("#confirm-typed")
        assert "It is not enabled." in str(confirm.query_one("#confirm-message").render())
        confirm.query_one("#confirm-yes", Button).press()
        screen = await back_to_main(pilot)
        await wait_for(pilot, lambda: disabled not in {c.id for c in screen.current.channels})
        assert disabled not in site.server.store
        assert [r["channel"]["id"] for r in trash.read()] == [disabled]


async def test_a_delete_the_server_refuses_leaves_no_record_in_the_trash(gateway, monkeypatch) -> None:
    site = newapi(gateway, role="admin")  # an admin without channel.sensitive_write: 403 on delete
    disabled = next(i for i, r in site.server.store.items() if r["status"] != 1)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await to_channel(pilot, disabled)
        await pilot.press("delete")
        confirm = await wait_screen(pilot, ConfirmScreen)
        confirm.query_one("#confirm-yes", Button).press()
        await wait_for(pilot, lambda: len(site.stats.requests("DELETE", f"/api/channel/{disabled}")) == 1)
        await wait_for(pilot, lambda: not main_screen(app).batch_running)
        assert disabled in site.server.store
        assert trash.read() == []  # written before the delete, then marked: restore never offers it
        lines = [json.loads(line) for line in trash.trash_path().read_text().splitlines()]
        assert [line.get("mark") for line in lines] == [None, "not_deleted"]


async def test_delete_all_disabled_warns_about_manual_ones_and_trashes_them(gateway, monkeypatch) -> None:
    site = newapi(gateway, channels=30)
    disabled = sorted(i for i, r in site.server.store.items() if r["status"] in (2, 3))
    assert len(disabled) > 5
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("X")
        confirm = await wait_screen(pilot, ConfirmScreen)
        message = str(confirm.query_one("#confirm-message").render())
        assert "also those disabled by hand" in message
        assert f"Disabled on the server now: {len(disabled)} (" in message
        await pilot.press(*str(len(disabled)), "enter")
        screen = await back_to_main(pilot)
        await wait_for(pilot, lambda: not any(c.status.is_disabled for c in screen.current.channels))
        assert all(r["status"] == 1 for r in site.server.store.values())
        records = trash.read()
        assert sorted(r["channel"]["id"] for r in records) == disabled
        assert {r["reason"] for r in records} == {"delete_disabled"}


async def test_delete_all_disabled_is_explained_away_on_octopus(gateway, monkeypatch) -> None:
    site = octopus(gateway)
    count = len(site.server.channels)
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        await pilot.press("X")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("does not support deleting every disabled channel at once" in str(n.message) for n in notices(app))
        assert len(site.server.channels) == count


# -- enable / disable ---------------------------------------------------------------------------------


async def test_disable_and_enable_with_the_legacy_fallback(gateway, monkeypatch) -> None:
    site = newapi(gateway, "newapi-legacy")
    enabled = sorted(i for i, r in site.server.store.items() if r["status"] == 1)[:3]
    async with app_on_sites(monkeypatch, site) as (app, pilot):
        screen = main_screen(app)
        screen.table.set_selection(enabled)
        await pilot.pause()
        await pilot.press("minus")
        await wait_screen(pilot, StatusConfirmScreen)
        await pilot.press("y")
        await wait_screen(pilot, BatchResultsScreen)
        await pilot.press("escape")
        await back_to_main(pilot)
        assert [site.server.record(i)["status"] for i in enabled] == [2, 2, 2]
        puts = [r.json() for r in site.stats.requests("PUT", "/api/channel/")]
        assert sorted(p["id"] for p in puts) == enabled and all(p["status"] == 2 for p in puts)
        assert {c.id: c.status.label for c in screen.current.channels if c.id in enabled} == dict.fromkeys(
            enabled, "disabled"
        )

        screen.table.set_selection([enabled[0]])
        await pilot.pause()
        await pilot.press("plus")
        await wait_for(pilot, lambda: site.server.record(enabled[0])["status"] == 1)
        await wait_for(pilot, lambda: not screen.batch_running)
        assert next(c for c in screen.current.channels if c.id == enabled[0]).status.is_enabled


# -- keys ----------------------------------------------------------------------------------------------


async def test_keys_are_revealed_per_channel_only_where_the_server_returns_them(gateway, monkeypatch) -> None:
    oct_site = octopus(gateway, "legacy")
    na_site = newapi(gateway)
    keys = [k["channel_key"] for k in oct_site.server.record(2)["keys"]]
    async with app_on_sites(monkeypatch, oct_site, na_site) as (app, pilot):
        assert not any(k in screen_text(app) for k in keys)
        await to_channel(pilot, 2)
        await pilot.press("enter")
        await pilot.pause()
        assert not any(k in screen_text(app) for k in keys)  # the detail view masks them
        await pilot.press("escape", "k")
        await wait_screen(pilot, KeyRevealScreen)
        assert all(k in screen_text(app) for k in keys)
        other = [k["channel_key"] for k in oct_site.server.record(3)["keys"]]
        assert not any(k in screen_text(app) for k in other)
        await pilot.press("escape")
        await back_to_main(pilot)
        assert not any(k in screen_text(app) for k in keys)

        main_screen(app).open_site(na_site.name)
        await back_to_main(pilot)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("never returns stored keys" in str(n.message) for n in notices(app))

