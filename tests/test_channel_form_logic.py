"""The channel form's domain logic (services.channel_form) and the model checklist, per backend.

Channels and capabilities come from the demo gateway through the real clients, and the changes
and specs the form builds are sent back through them, so every test ends on the server's record.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tui_channels.backends.base import Backend, FieldKind
from tui_channels.backends.claudecodehub.fields import build_capabilities
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.channel_types import CLAUDECODEHUB_TYPES
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import Channel, ChannelStatus
from tui_channels.services.channel_form import (
    ChannelForm,
    FormMode,
    Header,
    LIST_WIRE_NAMES,
    URL_HINT,
    KeyEntry,
    UrlEntry,
    key_entries,
    unique_name,
    url_problem,
)
from tui_channels.services.model_list import ModelChecklist, parse_names, upstream_diff
from tui_channels.services.creation import create_channel

FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=1)
_names = itertools.count(1)


async def open_newapi(gateway: DemoGateway, flavor: str = "newapi", **options) -> tuple[DemoSite, NewApiBackend]:
    site = gateway.add_newapi(f"form-na-{next(_names)}", flavor=flavor, channels=12, **options)
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, retry=FAST)
    await backend.connect()
    return site, backend


async def open_octopus(gateway: DemoGateway, generation: str) -> tuple[DemoSite, OctopusBackend]:
    site = gateway.add_octopus(f"form-oct-{next(_names)}", generation=generation, channels=8)
    backend = OctopusBackend(site.url, username=site.username or "", password=site.secret, retry=FAST)
    await backend.connect()
    return site, backend


@pytest.fixture
async def newapi(gateway: DemoGateway) -> AsyncIterator[tuple[DemoSite, NewApiBackend]]:
    site, backend = await open_newapi(gateway)
    yield site, backend
    await backend.close()


@pytest.fixture(params=["current", "legacy"])
async def octopus(
    request: pytest.FixtureRequest, gateway: DemoGateway
) -> AsyncIterator[tuple[DemoSite, OctopusBackend]]:
    site, backend = await open_octopus(gateway, request.param)
    yield site, backend
    await backend.close()


async def channel(backend: Backend, channel_id: int) -> Channel:
    return await backend.get_channel(channel_id)


# -- New API: edit ----------------------------------------------------------------------------------


async def test_edit_starts_from_the_channel_with_an_empty_key(newapi) -> None:
    site, backend = newapi
    site.server.store[3].update(model_mapping='{"gpt-4": "gpt-4o"}', priority=5, auto_ban=0)
    ch = await channel(backend, 3)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    values = form.initial
    assert values["name"] == ch.name and values["type"] == ch.type.code
    assert values["key"] == "" and values["groups"] == ch.groups and values["models"] == ch.models
    assert values["priority"] == "5" and values["auto_ban"] is False
    assert values["model_mapping"] == '{"gpt-4": "gpt-4o"}'
    assert values["status"] is ch.status
    assert form.key_hint() == "Leave empty to keep the stored key."
    assert form.changes(values) == {}
    assert form.errors(values) == {}


async def test_a_stored_base_url_with_v1_is_not_refused_until_it_is_changed(newapi) -> None:
    site, backend = newapi
    site.server.store[3].update(base_url="https://legacy.example.com/v1")
    form = ChannelForm(backend.capabilities, FormMode.EDIT, await channel(backend, 3))
    assert form.errors(form.initial) == {}
    changed = form.errors({**form.initial, "base_url": "https://other.example.com/v1"})
    assert changed["base_url"].endswith("enter https://other.example.com (as typed, requests would go to …/v1/v1/…).")


async def test_edit_sends_only_what_changed_and_unknown_fields_survive(newapi) -> None:
    site, backend = newapi
    untouched = {
        "model_mapping": '{"gpt-4": "gpt-4o"}',
        "param_override": '{"temperature": 0.2}',
        "setting": '{"force_format": true}',
        "remark": "rotated quarterly",
        "header_override": '{"X-Team": "a"}',
    }
    site.server.store[4].update(untouched)
    stored_key = site.server.record(4)["key"]
    ch = await channel(backend, 4)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    values = {**form.initial, "name": "  renamed-4 ", "weight": "7", "auto_ban": not form.initial["auto_ban"]}
    changes = form.changes(values)
    assert changes == {"name": "renamed-4", "weight": 7, "auto_ban": int(values["auto_ban"])}

    saved = await backend.update_channel(ch, changes)
    record = site.server.record(4)
    assert saved.name == record["name"] == "renamed-4" and record["weight"] == 7
    assert record["auto_ban"] == int(values["auto_ban"])
    assert record["key"] == stored_key
    assert {name: record[name] for name in untouched} == untouched


async def test_edit_key_is_sent_only_when_typed(newapi) -> None:
    site, backend = newapi
    ch = await channel(backend, 5)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    assert "key" not in form.changes({**form.initial, "key": "   "})
    changes = form.changes({**form.initial, "key": "sk-new-key-5"})
    assert changes == {"key": "sk-new-key-5"}
    await backend.update_channel(ch, changes)
    assert site.server.record(5)["key"] == "sk-new-key-5"


async def test_edit_status_groups_models_and_json_round_trip(newapi) -> None:
    site, backend = newapi
    ch = await channel(backend, 6)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    values = {
        **form.initial,
        "status": ChannelStatus.MANUALLY_DISABLED if ch.status.is_enabled else ChannelStatus.ENABLED,
        "groups": ("default", "svip"),
        "models": ("gpt-4o", "my-model"),
        "model_mapping": '{"a": "b"}',
    }
    changes = form.changes(values)
    assert set(changes) == {"status", "groups", "models", "model_mapping"}
    await backend.update_channel(ch, changes)
    record = site.server.record(6)
    assert record["group"] == "default,svip" and record["models"] == "gpt-4o,my-model"
    assert record["model_mapping"] == '{"a": "b"}'
    assert record["status"] == (2 if ch.status.is_enabled else 1)


# -- validation ---------------------------------------------------------------------------------


async def test_validation_reasons_per_kind(newapi) -> None:
    _site, backend = newapi
    form = ChannelForm(backend.capabilities)
    values = {**form.blank_values(), "name": "ok", "key": "sk-1"}
    assert form.errors(values) == {}

    def error(**changed) -> dict[str, str]:
        return form.errors({**values, **changed})

    assert error(name="  ") == {"name": "Name is required."}
    assert error(name="evil\u202eevil") == {
        "name": "The name contains a text-direction control (U+202E, character 5); type the name without it."
    }
    assert error(name="a\u200bb") == {
        "name": "The name contains an invisible character (U+200B, character 2); type the name without it."
    }
    assert error(name="two\nlines")["name"].startswith("The name contains a line break")
    assert error(name="例え-relay 🚀") == {}
    assert error(key="") == {"key": "API key is required."}
    assert error(priority="ten") == {"priority": "Enter a whole number, such as 0 or 10."}
    too_big = {"priority": "Enter a whole number from -9223372036854775808 to 9223372036854775807: the server stores a 64-bit integer."}
    assert error(priority="99999999999999999999") == error(priority="9223372036854775808") == too_big
    assert error(priority="-" + "9" * 5000) == too_big, "a number too long for int() is refused, not a crash"
    assert error(priority="9223372036854775807") == {}
    assert error(priority="+-5") == {"priority": "Enter a whole number, such as 0 or 10."}
    assert error(model_mapping="[1, 2]") == {"model_mapping": 'Must be a JSON object, like {"name": "value"}.'}
    assert error(param_override='{"a": ')["param_override"].startswith("Not valid JSON:")
    assert "line 1" in error(param_override='{"a": ')["param_override"]
    hint = "Enter a full URL starting with http:// or https://. For example https://api.example.com"
    assert error(base_url="api.example.com") == error(base_url="ftp://x") == {"base_url": hint}
    assert URL_HINT in hint and "/v1" not in hint, "no /v1 suggested to a server that appends it"
    label = backend.capabilities.flavor_label
    assert error(base_url="https://relay.example.com/v1/") == {
        "base_url": f"{label} appends /v1 itself: enter https://relay.example.com "
        "(as typed, requests would go to …/v1/v1/…)."
    }
    assert error(base_url="https://api.ppinfra.com/v3/openai") == {}
    assert error(type=3) == {"base_url": "Azure channels need a base URL."}
    assert error(type=3, base_url="https://my.openai.azure.com") == {}


async def test_placeholders_follow_the_type(newapi) -> None:
    _site, backend = newapi
    form = ChannelForm(backend.capabilities)
    blank = form.blank_values()
    assert blank["type"] == 1 and blank["groups"] == ("default",) and blank["auto_ban"] is True
    assert form.base_url_placeholder(blank) == "empty: https://api.openai.com"
    assert form.base_url_placeholder({**blank, "type": 3}) == "required for Azure"
    assert form.base_url_required({**blank, "type": 8})


async def test_octopus_validation_regex_headers_and_keys(octopus) -> None:
    _site, backend = octopus
    form = ChannelForm(backend.capabilities)
    legacy = backend.capabilities.field("key").kind is FieldKind.KEY_LIST
    values = form.blank_values()
    if legacy:
        values.update(key=(KeyEntry("sk-1"),), base_url=(UrlEntry("https://api.example.com/v1"),))
    else:
        values.update(key="sk-1", base_url="https://api.example.com/v1")
    values["name"] = "octo"
    assert form.errors(values) == {}
    assert form.errors({**values, "match_regex": "^(gpt"})["match_regex"].startswith("Not a valid regular expression")
    assert form.errors({**values, "custom_header": (Header("Bad Name", "x"),)}) == {
        "custom_header": "'Bad Name' is not a valid header name: use letters, digits and '-'."
    }
    assert form.errors({**values, "custom_header": (Header("", "x"),)})["custom_header"].startswith("Each header")
    assert form.errors({**values, "custom_header": (Header("", ""),)}) == {}
    if legacy:
        assert form.errors({**values, "key": (KeyEntry("sk-1"), KeyEntry(""))}) == {
            "key": "Enter the key in the empty row, or remove the row."
        }
        assert form.errors({**values, "key": (KeyEntry("sk-1", enabled=False),)})["key"].startswith("Enable at least")
        assert form.errors({**values, "base_url": (UrlEntry(""),)}) == {"base_url": "Add at least one base URL."}
    else:
        assert form.errors({**values, "base_url": ""}) == {"base_url": "OpenAI Chat channels need a base URL."}


# -- create specs -----------------------------------------------------------------------------------


async def test_newapi_create_spec_carries_only_what_was_filled_in(newapi, gateway) -> None:
    site, backend = newapi
    form = ChannelForm(backend.capabilities)
    values = {
        **form.blank_values(),
        "name": "made-by-form",
        "key": "sk-form-1",
        "base_url": f"{gateway.upstream_url}/p/openai",
        "models": ("gpt-4o",),
        "groups": ("vip",),
        "priority": "3",
        "remark": "from the form",
        "auto_ban": False,
    }
    spec = form.spec(values)
    assert (spec.name, spec.type, spec.key, spec.groups, spec.priority, spec.weight) == (
        "made-by-form", 1, "sk-form-1", ("vip",), 3, None
    )
    assert spec.extra == {"remark": "from the form", "auto_ban": 0}
    created = await backend.create_channel(spec)
    record = site.server.record(created.id)
    assert (record["name"], record["key"], record["group"], record["models"]) == (
        "made-by-form", "sk-form-1", "vip", "gpt-4o"
    )
    assert record["remark"] == "from the form" and record["auto_ban"] == 0 and record["priority"] == 3


async def test_duplicate_without_copy_route_asks_for_the_key(gateway) -> None:
    site, backend = await open_newapi(gateway, "newapi-legacy")
    try:
        ch = await channel(backend, 2)
        taken = [ch.name, f"{ch.name} copy"]
        form = ChannelForm(backend.capabilities, FormMode.DUPLICATE, ch, taken_names=taken)
        assert form.initial["name"] == f"{ch.name} copy 2"
        assert form.initial["key"] == "" and form.initial["models"] == ch.models
        assert form.errors(form.initial) == {"key": form.key_hint()}
        assert "never returns stored keys" in form.key_hint()
        spec = form.spec({**form.initial, "key": "sk-dup"})
        created = await backend.create_channel(spec)
        record = site.server.record(created.id)
        assert record["name"] == f"{ch.name} copy 2" and record["key"] == "sk-dup"
        assert record["models"] == ",".join(ch.models) and record["group"] == ",".join(ch.groups)
    finally:
        await backend.close()


async def test_octopus_create_and_duplicate(octopus, gateway) -> None:
    site, backend = octopus
    legacy = backend.capabilities.field("key").kind is FieldKind.KEY_LIST
    form = ChannelForm(backend.capabilities)
    url = f"{gateway.upstream_url}/p/openai/v1"
    values = {
        **form.blank_values(),
        "name": "octo-form",
        "models": ("gpt-4o",),
        "custom_model": ("my-finetune",),
        "auto_sync": True,
        "custom_header": (Header("X-Team", "blue"),),
    }
    if legacy:
        values.update(
            key=(KeyEntry("sk-a", remark="main"), KeyEntry("sk-b", enabled=False)),
            base_url=(UrlEntry(url),),
            auto_group="2",
        )
    else:
        values.update(key="sk-a", base_url=url)
    created = await create_channel(backend, form.spec(values))
    record = site.server.record(created.id)
    assert record["model"] == "gpt-4o" and record["custom_model"] == "my-finetune"
    assert record["auto_sync"] is True
    assert record["custom_header"] == [{"header_key": "X-Team", "header_value": "blue"}]
    if legacy:
        assert [(k["channel_key"], k["enabled"], k["remark"]) for k in record["keys"]] == [
            ("sk-a", True, "main"),
            ("sk-b", False, ""),
        ]
        assert record["auto_group"] == 2 and record["base_urls"] == [{"url": url, "delay": 0}]
    else:
        assert record["key"] == "sk-a"

    created = await backend.get_channel(created.id)
    dup = ChannelForm(backend.capabilities, FormMode.DUPLICATE, created, taken_names=["octo-form"])
    assert dup.initial["name"] == "octo-form copy" and dup.key_hint() == ""
    assert dup.errors(dup.initial) == {}
    copy = await create_channel(backend, dup.spec(dup.initial))
    copied = site.server.record(copy.id)
    for name in ("model", "custom_model", "auto_sync", "custom_header", "match_regex", "param_override"):
        assert copied[name] == record[name]
    if legacy:
        assert [(k["channel_key"], k["enabled"]) for k in copied["keys"]] == [("sk-a", True), ("sk-b", False)]
    else:
        assert copied["key"] == "sk-a"


# -- Octopus: edit ------------------------------------------------------------------------------


async def test_octopus_hand_added_models_stay_apart(octopus) -> None:
    site, backend = octopus
    site.server.channels[2].update(model="gpt-4o,gpt-4o-mini", custom_model="ft-1")
    ch = await channel(backend, 2)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    assert form.initial["models"] == ("gpt-4o", "gpt-4o-mini") and form.initial["custom_model"] == ("ft-1",)
    changes = form.changes({**form.initial, "custom_model": ("ft-1", "ft-2")})
    assert changes == {"models": ("gpt-4o", "gpt-4o-mini", "ft-1", "ft-2"), "custom_model": ("ft-1", "ft-2")}
    await backend.update_channel(ch, changes)
    record = site.server.record(2)
    assert record["model"] == "gpt-4o,gpt-4o-mini" and record["custom_model"] == "ft-1,ft-2"

    ch = await channel(backend, 2)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    await backend.update_channel(ch, form.changes({**form.initial, "models": ("gpt-4o",)}))
    record = site.server.record(2)
    assert record["model"] == "gpt-4o" and record["custom_model"] == "ft-1,ft-2"


async def test_octopus_edit_keeps_untouched_fields(octopus) -> None:
    site, backend = octopus
    site.server.channels[3].update(param_override='{"temperature": 0.5}', match_regex="^gpt", proxy=True)
    before = site.server.record(3)
    ch = await channel(backend, 3)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    changes = form.changes({**form.initial, "name": "renamed-octo", "channel_proxy": "socks5://127.0.0.1:1080"})
    assert changes == {"name": "renamed-octo", "channel_proxy": "socks5://127.0.0.1:1080"}
    await backend.update_channel(ch, changes)
    after = site.server.record(3)
    assert after["name"] == "renamed-octo" and after["channel_proxy"] == "socks5://127.0.0.1:1080"
    unchanged = {k: v for k, v in before.items() if k not in ("name", "channel_proxy")}
    assert {k: after[k] for k in unchanged} == unchanged


async def test_octopus_legacy_key_and_url_lists(gateway) -> None:
    site, backend = await open_octopus(gateway, "legacy")
    try:
        record = site.server.record(1)
        ch = await channel(backend, 1)
        form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
        keys = form.initial["key"]
        assert [k.id for k in keys] == [k["id"] for k in record["keys"]]
        assert all(k.key == "" and k.stored for k in keys)
        assert key_entries(backend.capabilities, ch)[0].key == record["keys"][0]["channel_key"]
        first = keys[0]
        wanted = (
            replace(first, remark="renamed"),
            KeyEntry("sk-added-key", enabled=False, remark="spare"),
        )
        urls = (*form.initial["base_url"], UrlEntry("https://mirror.example.com/v1"))
        changes = form.changes({**form.initial, "key": wanted, "base_url": urls})
        assert set(changes) == {"keys", "base_urls"}
        await backend.update_channel(ch, changes)
        after = site.server.record(1)
        kept = next(k for k in after["keys"] if k["id"] == first.id)
        assert kept["remark"] == "renamed" and kept["channel_key"] == record["keys"][0]["channel_key"]
        assert [k["channel_key"] for k in after["keys"]][-1] == "sk-added-key"
        assert len(after["keys"]) == 2
        assert after["base_urls"][-1] == {"url": "https://mirror.example.com/v1", "delay": 0}
        assert after["base_urls"][: len(record["base_urls"])] == record["base_urls"]
    finally:
        await backend.close()


# -- upstream and names ---------------------------------------------------------------------------


async def test_upstream_is_the_saved_channel_until_the_draft_differs(newapi) -> None:
    _site, backend = newapi
    ch = await channel(backend, 7)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, ch)
    assert form.upstream(form.initial).saved
    moved = form.upstream({**form.initial, "base_url": "https://elsewhere.example.com"})
    assert not moved.saved and moved.missing.startswith("Enter the API key first")
    typed = form.upstream({**form.initial, "key": "sk-typed"})
    assert (typed.saved, typed.key, typed.type_code) == (False, "sk-typed", ch.type.code)
    create = ChannelForm(backend.capabilities)
    draft = create.upstream({**create.blank_values(), "key": "sk-x"})
    assert draft.base_url == "https://api.openai.com" and not draft.saved and draft.missing == ""


def test_unique_names_and_url_shapes() -> None:
    assert unique_name("a", []) == "a copy"
    assert unique_name("a", ["a copy", "a copy 2"]) == "a copy 3"
    assert url_problem("https://api.example.com/v1") is None
    assert url_problem("https://api.example.com/v1?api-version=2024-06-01") is None
    assert url_problem("api.example.com") == URL_HINT
    assert url_problem("https://a b.com") == "The URL must not contain spaces, line breaks or control characters."
    assert url_problem("https://api.example.com:99999/v1") == "The URL has port 99999, outside 1–65535."
    assert url_problem("https://api.example.com:abc") == "The URL has a port that is not a number ('abc')."
    assert url_problem("https://[::1/v1") == "The URL has a host that is not a valid address (an unclosed [ ?)."


# -- the model checklist ----------------------------------------------------------------------------


def test_pasted_names_split_on_commas_semicolons_and_lines() -> None:
    assert parse_names("a, b\nc;d\n\n a ") == ("a", "b", "c", "d")


def test_checklist_actions_work_on_the_shown_names() -> None:
    checklist = ModelChecklist(["gpt-4o", "gpt-4o-mini", "claude-3", "o3"])
    shown = checklist.visible("GPT")
    assert shown == ["gpt-4o", "gpt-4o-mini"]
    checklist.clear(shown)
    assert checklist.selected == ("claude-3", "o3")
    checklist.invert(checklist.visible(""))
    assert checklist.selected == ("gpt-4o", "gpt-4o-mini")
    checklist.select_all(["o3"])
    assert checklist.selected == ("gpt-4o", "gpt-4o-mini", "o3")
    assert checklist.add("new-1\nnew-2, o3") == ("new-1", "new-2")
    assert checklist.selected[-2:] == ("new-1", "new-2") and checklist.is_checked("o3")


def test_upstream_diff_and_accepting_it() -> None:
    checklist = ModelChecklist(["a", "b", "c"])
    checklist.set_checked("c", False)
    diff = upstream_diff(checklist.selected, ["b", "c", "d"])
    assert (diff.new, diff.gone) == (("c", "d"), ("a",))
    checklist.accept(diff, drop_gone=False)
    assert checklist.selected == ("a", "b", "c", "d")
    checklist.accept(diff, drop_gone=True)
    assert checklist.selected == ("b", "c", "d") and checklist.names == ("a", "b", "c", "d")
    assert upstream_diff(["x"], ["x"]).unchanged


async def _newapi_capabilities(gateway):
    from tui_channels.backends.newapi.client import NewApiBackend

    site = gateway.add_newapi("form-multikey", channels=30)
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id)
    await backend.connect()
    return site, backend


async def test_multi_key_create_joins_the_typed_keys_and_edit_sends_the_key_mode(gateway):
    from tui_channels.services.channel_form import ChannelForm, FormMode

    site, backend = await _newapi_capabilities(gateway)
    try:
        caps = backend.capabilities
        form = ChannelForm(caps)
        values = {**form.initial, "name": "pool", "key": "sk-aaa0001  sk-bbb0002", "multi_key_mode": "polling"}
        spec = form.spec(values)
        assert spec.key == "sk-aaa0001\nsk-bbb0002" and spec.extra["multi_key_mode"] == "polling"
        assert "key_mode" not in spec.extra
        created = await backend.create_channel(spec)
        assert site.server.record(created.id)["channel_info"]["is_multi_key"] is True

        saved = await backend.get_channel(created.id)
        edit = ChannelForm(caps, FormMode.EDIT, saved)
        assert edit.initial["multi_key_mode"] == "polling"
        assert "key_mode" not in edit.changes({**edit.initial, "key_mode": "replace"})
        changes = edit.changes({**edit.initial, "key": "sk-ccc0003"})
        assert changes == {"key": "sk-ccc0003", "key_mode": "append"}
        await backend.update_channel(saved, changes)
        assert site.server.record(created.id)["key"].split("\n") == ["sk-aaa0001", "sk-bbb0002", "sk-ccc0003"]

        single = next(c for c in await backend.list_channels() if not c.is_multi_key)
        single_form = ChannelForm(caps, FormMode.EDIT, single)
        assert single_form.initial["multi_key_mode"] == ""
        assert "cannot switch" in single_form.field_error("multi_key_mode", {**single_form.initial, "multi_key_mode": "random"})
    finally:
        await backend.close()


class TestNamedDifferentlyOnReads:
    """Claude Code Hub reads camelCase and writes snake_case: a form field reads its `source`."""

    def test_values_come_from_the_read_name_and_go_out_under_the_write_name(self) -> None:
        raw = {"costMultiplier": 1.5, "limitDailyUsd": None, "customHeaders": {"X-Team": "a"}, "proxyUrl": None}
        channel = Channel(
            id=1, name="p", type=CLAUDECODEHUB_TYPES.get("claude"), status=ChannelStatus.ENABLED,
            priority=0, weight=1, groups=("default",), raw=raw,
        )
        form = ChannelForm(build_capabilities("0.9.0"), FormMode.EDIT, channel)
        assert (form.initial["cost_multiplier"], form.initial["limit_daily_usd"]) == ("1.5", "")
        assert form.initial["custom_headers"] == (Header("X-Team", "a"),)
        values = {**form.initial, "limit_daily_usd": "20", "weight": "101"}
        assert form.field_error("weight", values) == "Enter a whole number from 1 to 100."
        values["weight"] = "100"
        assert form.changes(values) == {"limit_daily_usd": 20.0, "weight": 100}
        assert form.changes({**values, "limit_daily_usd": ""}) == {"weight": 100}


def test_tag_and_group_names_with_hidden_characters_are_refused() -> None:
    from tui_channels.model_groups import ModelGroup
    from tui_channels.services.model_groups import group_problems
    from tui_channels.services.tag_view import tag_changes
    from tui_channels.backends.octopus.groups import GROUP_SPECS

    changes, errors = tag_changes({"new_tag": "team\u202ea"})
    assert changes == {} and errors["new_tag"].startswith("the tag contains a text-direction control")
    spec = next(iter(GROUP_SPECS.values()))
    problems = group_problems(ModelGroup(None, "gpt\u200b-4o", spec.default_mode), [], spec, [])
    assert any(p.startswith("The group name contains an invisible character (U+200B") for p in problems)


def test_one_line_shows_hidden_characters_and_cuts_long_names() -> None:
    from tui_channels.display import one_line

    assert one_line("a\u202eb\u200bc\nd\x1b") == "a\ufffdb\ufffdc\ufffdd\ufffd"
    assert one_line("x" * 100, limit=10) == "x" * 9 + "…"
    assert one_line("例え 🚀") == "例え 🚀"


@pytest.mark.parametrize("flavor", ["newapi", "octopus-current", "octopus-legacy"])
async def test_sent_values_of_some_fields_are_those_of_the_whole_form(gateway: DemoGateway, flavor: str) -> None:
    """The history journal asks an edit form for two or three fields: worked out alone, each is
    what the whole form (every field's initial value built) would send for it."""
    if flavor == "newapi":
        _site, backend = await open_newapi(gateway)
    else:
        _site, backend = await open_octopus(gateway, flavor.removeprefix("octopus-"))
    try:
        capabilities = backend.capabilities
        for channel in await backend.list_channels():
            whole = ChannelForm(capabilities, FormMode.EDIT, channel)
            names = [LIST_WIRE_NAMES.get(f.kind, f.name) for f in whole.fields]
            assert whole.initial  # built in full first
            everything = whole.sent_values(names)
            for name in names:
                alone = ChannelForm(capabilities, FormMode.EDIT, channel).sent_values([name])
                assert alone == {name: everything[name]}, name
    finally:
        await backend.close()
