"""Veloera as a backend of its own kind of New API: detection, its traps and its own fields."""

from __future__ import annotations

import itertools
import json

import pytest
from textual.widgets import Checkbox, Input, Select

from tui_channels.backends.base import Operation
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import ChannelSpec
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.services.channel_form import ChannelForm, FormMode
from tui_channels.widgets.form_fields import editor_id

from .backend_helpers import FAST_RETRY
from .ui_helpers import app_on_sites, wait_for, wait_screen

_names = itertools.count()


def new_site(gateway: DemoGateway, flavor: str = "veloera", channels: int = 12, **options) -> DemoSite:
    return gateway.add_newapi(f"vel-{flavor}-{next(_names)}", flavor=flavor, channels=channels, **options)


async def connected(site: DemoSite, flavor: str = "auto") -> NewApiBackend:
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, flavor=flavor, retry=FAST_RETRY)
    await backend.connect()
    return backend


@pytest.fixture
async def veloera(gateway: DemoGateway):
    site = new_site(gateway)
    backend = await connected(site)
    yield site, backend
    await backend.close()


@pytest.mark.parametrize(
    ("flavor", "system_name", "detected"),
    [
        ("veloera", "Acme Gateway", "veloera"),
        ("veloera", "Veloera", "veloera"),
        ("newapi-legacy", "Veloera mirror", "newapi-legacy"),
        ("newapi", "My Veloera", "newapi"),
    ],
)
async def test_veloera_is_known_by_its_status_keys_never_by_its_name(gateway, flavor, system_name, detected):
    site = new_site(gateway, flavor, system_name=system_name)
    backend = await connected(site)
    try:
        assert backend.capabilities.flavor == detected
    finally:
        await backend.close()


async def test_a_veloera_without_the_check_in_flag_is_known_by_the_user_header_it_takes(gateway):
    site = new_site(gateway, check_in_flag=False)
    backend = await connected(site)
    try:
        assert backend.capabilities.flavor == "veloera"
    finally:
        await backend.close()
    legacy = new_site(gateway, "newapi-legacy")
    backend = await connected(legacy)
    try:
        assert backend.capabilities.flavor == "newapi-legacy"
    finally:
        await backend.close()


@pytest.mark.parametrize("pinned", ["auto", "veloera", "newapi"])
async def test_a_create_never_sends_the_wrapped_body_that_makes_veloera_store_a_blank_channel(gateway, pinned):
    site = new_site(gateway, channels=3)
    backend = await connected(site, pinned)
    try:
        created = await backend.create_channel(ChannelSpec(name="veloera-new", type=1, key="sk-vel-000111222333"))
    finally:
        await backend.close()
    body = site.stats.requests("POST", "/api/channel/")[-1].json()
    assert "mode" not in body and "channel" not in body
    assert site.server.channel_ids() == [1, 2, 3, created.id]
    assert site.server.record(created.id)["name"] == "veloera-new"


async def test_every_list_request_sends_a_page_size(gateway):
    site = new_site(gateway, channels=230)
    backend = await connected(site)
    try:
        channels = await backend.list_channels()
    finally:
        await backend.close()
    assert len(channels) == 230
    lists = site.stats.requests("GET", "/api/channel/")
    assert lists and all("page_size=" in r.query and "page_size=0" not in r.query for r in lists)


async def test_several_keys_become_one_channel_with_comma_joined_keys(veloera):
    site, backend = veloera
    before = len(site.server.channel_ids())
    created = await backend.create_channel(ChannelSpec(name="pooled", type=1, key="sk-one-0001\nsk-two-0002 sk-three"))
    assert len(site.server.channel_ids()) == before + 1
    assert site.server.record(created.id)["key"] == "sk-one-0001,sk-two-0002,sk-three"


async def test_the_stored_key_is_revealed_though_the_list_leaves_it_out(veloera):
    site, backend = veloera
    assert backend.capabilities.supports(Operation.REVEAL_KEY)
    listed = {c.id: c for c in await backend.list_channels()}
    assert listed[2].key is None
    assert await backend.reveal_key(2) == site.server.record(2)["key"]


async def test_the_model_prefix_and_setting_options_are_form_fields(veloera):
    site, backend = veloera
    capabilities = backend.capabilities
    names = {spec.name for spec in capabilities.fields}
    assert {"model_prefix", "setting.stream_support", "setting.force_format", "setting.proxy"} <= names
    assert "setting" not in names and "header_override" not in names
    form = ChannelForm(capabilities)
    values = form.blank_values() | {
        "name": "prefixed",
        "key": "sk-prefixed-000111",
        "model_prefix": "az-",
        "setting.stream_support": "NON_STREAM_ONLY",
        "setting.force_format": True,
    }
    assert form.errors(values) == {}
    created = await backend.create_channel(form.spec(values))
    record = site.server.record(created.id)
    assert record["model_prefix"] == "az-"
    assert json.loads(record["setting"]) == {"stream_support": "NON_STREAM_ONLY", "force_format": True}


async def test_editing_one_setting_option_keeps_the_others_and_unknown_keys(veloera):
    site, backend = veloera
    site.server.store[4]["setting"] = json.dumps({"force_format": True, "custom_flag": 7})
    channel = await backend.get_channel(4)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, channel)
    assert form.initial["setting.force_format"] is True and form.initial["setting.proxy"] == ""
    changes = form.changes(form.initial | {"setting.proxy": "socks5://127.0.0.1:1080"})
    assert changes == {"setting.proxy": "socks5://127.0.0.1:1080"}
    await backend.update_channel(channel, changes)
    stored = json.loads(site.server.record(4)["setting"])
    assert stored == {"force_format": True, "custom_flag": 7, "proxy": "socks5://127.0.0.1:1080"}


async def test_a_model_prefix_longer_than_the_column_is_refused_at_the_form(veloera):
    _site, backend = veloera
    form = ChannelForm(backend.capabilities)
    values = form.blank_values() | {"name": "x", "key": "sk-x", "model_prefix": "p" * 65}
    assert "64" in form.errors(values)["model_prefix"]


async def test_types_stop_where_veloera_forked(veloera):
    _site, backend = veloera
    codes = [t.code for t in backend.capabilities.types]
    assert max(codes) == 48 and 49 not in codes


async def test_the_app_creates_a_veloera_channel_with_its_own_options(gateway, monkeypatch):
    site = new_site(gateway, channels=5)
    async with app_on_sites(monkeypatch, site) as (_app, pilot):
        await pilot.press("n")
        form = await wait_screen(pilot, ChannelFormScreen)
        form.query_one(f"#{editor_id('name')} Input", Input).value = "from-the-form"
        form.query_one(f"#{editor_id('key')} Input", Input).value = "sk-form-one sk-form-two"
        form.query_one(f"#{editor_id('model_prefix')} Input", Input).value = "az-"
        form.query_one(f"#{editor_id('setting.stream_support')} Select", Select).value = "NON_STREAM_ONLY"
        form.query_one(f"#{editor_id('setting.force_format')} Checkbox", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(site.server.channel_ids()) == 6)
    record = site.server.record(6)
    assert (record["name"], record["key"], record["model_prefix"]) == ("from-the-form", "sk-form-one,sk-form-two", "az-")
    assert json.loads(record["setting"]) == {"stream_support": "NON_STREAM_ONLY", "force_format": True}
