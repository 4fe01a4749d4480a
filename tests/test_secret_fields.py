"""Secrets other than the API key (header values, proxy passwords, credentials in settings) never
leave the tool unmasked: exports without keys, the details screen, the CLI's JSON, restore and copy
previews. The secrets are set through the demo servers' own HTTP API, as another admin would, and
each test greps everything the tool printed or wrote for them."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Static

from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.backends.registry import FAMILIES, create_backend, family_of
from tui_channels.backends.secret_fields import SecretFields, dropped, hide_url_credentials, masked, redact
from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import BackendKind
from tui_channels.redact import scrub
from tui_channels.screens.channel_detail import ChannelDetailScreen
from tui_channels.secret_store import env_var_name
from tui_channels.services import trash
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.carried import Origin
from tui_channels.services.change_values import requested
from tui_channels.services.channel_plan import CreateRun, creation_settings
from tui_channels.services.transfer import (
    export_channels,
    exported_channels,
    plan_transfer,
    read_export,
    trashed_channels,
    write_export,
)

from .ui_helpers import app_on_sites, demo_profile, screen_text, wait_screen

HEADER_SECRET = "hdrSECRETvalue0123456789abcdefXYZ"
PROXY_SECRET = "CarolProxyPw555"
SETTING_SECRET = "NaProxyPw777"
BASE_URL_SECRET = "BaseUrlPw999"
SECRETS = (HEADER_SECRET, PROXY_SECRET, SETTING_SECRET, BASE_URL_SECRET)
PROXY = f"http://carol:{PROXY_SECRET}@127.0.0.1:3130"

_names = itertools.count()


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Callable[[DemoSite], str]:
    """Configure demo sites as the user would (profile in the config, secret in the environment)."""
    profiles: list[SiteProfile] = []

    def add(site: DemoSite) -> str:
        if site.kind is BackendKind.NEWAPI:
            profile = SiteProfile(name=site.name, kind=site.kind, url=site.url, user_id=site.user_id)
        else:
            profile = SiteProfile(name=site.name, kind=site.kind, url=site.url, username=site.username)
        profiles.append(profile)
        save_config(AppConfig(sites=profiles))
        monkeypatch.setenv(env_var_name(site.name), site.secret)
        return site.name

    return add


def octopus_with_secrets(gateway: DemoGateway, channels: int = 2) -> DemoSite:
    site = gateway.add_octopus(f"sec-oc-{next(_names)}", channels=channels)
    asyncio.run(give_octopus_secrets(site))
    return site


async def give_octopus_secrets(site: DemoSite) -> None:
    """A custom header and a proxy with a password on the site's first channel, set through the
    server's update route."""
    backend = OctopusBackend(site.url, username=site.username, password=site.secret)
    try:
        await backend.connect()
        first = (await backend.list_channels())[0]
        headers = [{"header_key": "X-Api-Key", "header_value": HEADER_SECRET}]
        saved = await backend.update_channel(first, {"custom_header": headers, "channel_proxy": PROXY})
        assert saved.raw["custom_header"] == headers and saved.raw["channel_proxy"] == PROXY
    finally:
        await backend.close()


def newapi_with_secrets(gateway: DemoGateway, channels: int = 2) -> DemoSite:
    site = gateway.add_newapi(f"sec-na-{next(_names)}", channels=channels)
    asyncio.run(give_newapi_secrets(site, gateway))
    return site


async def give_newapi_secrets(site: DemoSite, gateway: DemoGateway) -> None:
    """A header override, a proxy with a password in the settings and a base URL with a password on
    the site's first channel, set through `PUT /api/channel/`."""
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id)
    try:
        await backend.connect()
        first = (await backend.list_channels())[0]
        changes = {
            "header_override": json.dumps({"X-Custom-Auth": HEADER_SECRET}),
            "setting": json.dumps({"proxy": f"socks5://na:{SETTING_SECRET}@127.0.0.1:1080", "force_format": True}),
            "base_url": f"https://relay:{BASE_URL_SECRET}@{gateway.upstream_url.split('://', 1)[1]}/p/openai",
        }
        saved = await backend.update_channel(first, changes)
        assert SETTING_SECRET in saved.raw["setting"] and HEADER_SECRET in saved.raw["header_override"]
    finally:
        await backend.close()


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked"


class TestExport:
    def test_an_export_without_keys_leaves_out_headers_and_proxy_passwords_and_says_so(
        self, cli, register, gateway, tmp_path
    ):
        site = register(octopus_with_secrets(gateway))
        out = tmp_path / "exp.json"
        result = cli("channels", "export", "--site", site, "--all", "--out", str(out))
        assert result.code == 0, result.err
        text = out.read_text()
        assert_no_secret(text, result.out, result.err)
        assert "Secrets left out (--with-keys keeps them): custom_header, channel_proxy of " in result.out
        export = json.loads(text)
        assert export["secrets_left_out"] is True and "--with-keys" in export["note"]
        first = export["channels"][0]
        assert first["withheld"] == ["key", "custom_header", "channel_proxy"]
        assert first["record"]["custom_header"] == [{"header_key": "X-Api-Key", "header_value": ""}]
        assert first["record"]["channel_proxy"] == "http://carol@127.0.0.1:3130"

    def test_an_export_with_keys_keeps_every_secret(self, cli, register, gateway, tmp_path):
        site = register(octopus_with_secrets(gateway))
        out = tmp_path / "full.json"
        assert cli("channels", "export", "--site", site, "--all", "--out", str(out), "--with-keys").code == 0
        text = out.read_text()
        assert HEADER_SECRET in text and PROXY_SECRET in text
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert json.loads(text)["channels"][0]["withheld"] == []

    def test_a_new_api_export_without_keys_leaves_out_header_overrides_and_the_settings_proxy(
        self, cli, register, gateway, tmp_path
    ):
        site = register(newapi_with_secrets(gateway))
        out = tmp_path / "na.json"
        result = cli("channels", "export", "--site", site, "--all", "--out", str(out))
        assert result.code == 0, result.err
        assert_no_secret(out.read_text(), result.out, result.err)
        first = json.loads(out.read_text())["channels"][0]
        assert {"header_override", "setting", "base_url"} <= set(first["withheld"])
        setting = json.loads(first["record"]["setting"])
        assert setting == {"proxy": "socks5://na@127.0.0.1:1080", "force_format": True}

    def test_restoring_an_export_without_keys_asks_for_the_key_and_names_what_it_leaves_out(
        self, cli, register, gateway, tmp_path
    ):
        source = register(octopus_with_secrets(gateway, channels=1))
        target_site = gateway.add_octopus(f"sec-oc-{next(_names)}", channels=0)
        target = register(target_site)
        out = tmp_path / "exp.json"
        assert cli("channels", "export", "--site", source, "--all", "--out", str(out)).code == 0
        preview = cli("channels", "restore", "--site", target, "--file", str(out), "--json")
        assert preview.code == 1
        [row] = json.loads(preview.out)["rows"]
        assert row["state"] == "blocked"
        assert row["reason"] == "the file has no key (exported without --with-keys), so supply it"
        assert any(loss.startswith("custom_header: its secret is not in the file") for loss in row["losses"])
        assert any(loss.startswith("channel_proxy: its secret is not in the file") for loss in row["losses"])
        assert_no_secret(preview.out, preview.err)
        assert not target_site.server.channels


    async def test_a_new_api_restore_sends_no_withheld_field_and_keeps_the_base_urls_host(self, gateway, tmp_path):
        source = gateway.add_newapi(f"sec-na-{next(_names)}", channels=1)
        await give_newapi_secrets(source, gateway)
        target = gateway.add_newapi(f"sec-na-{next(_names)}", channels=0)
        reader = create_backend(demo_profile(source), source.secret)
        writer = create_backend(demo_profile(target), target.secret)
        try:
            await reader.connect()
            path = tmp_path / "na.json"
            channels = await reader.list_channels()
            write_export(export_channels(source.name, reader.capabilities, channels, include_keys=False), path)
            items = exported_channels(read_export(path))
            plan = plan_transfer(items, await writer.connect(), [], site=target.name, title="restore")
        finally:
            await reader.close()
            await writer.close()
        [row] = plan.rows
        assert row.reason == "the server never returns this channel's key, so supply it"
        assert row.spec.base_url.startswith("https://relay@") and "header_override" not in row.spec.extra
        assert not {"setting", "setting.proxy"} & set(row.spec.extra)
        assert {"header_override", "setting"} <= {loss.split(":")[0] for loss in row.losses}
        assert_no_secret(repr(row.spec), *row.losses)


class TestTrash:
    async def test_the_trash_keeps_headers_and_proxy_passwords_as_it_keeps_keys_and_restores_them(self, gateway):
        """The trash is the one copy of a deleted channel: it keeps every secret (mode 0600), and a
        restore from it recreates the header and the proxy as they were."""
        source = gateway.add_octopus(f"sec-oc-{next(_names)}", channels=1)
        target = gateway.add_octopus(f"sec-oc-{next(_names)}", channels=0)
        await give_octopus_secrets(source)
        reader = create_backend(demo_profile(source), source.secret)
        writer = create_backend(demo_profile(target), target.secret)
        try:
            await reader.connect()
            channels = await reader.list_channels()
            written = trash.append(channels, site=source.name, capabilities=reader.capabilities)
            assert stat.S_IMODE(os.stat(written.path).st_mode) == 0o600
            text = written.path.read_text()
            assert HEADER_SECRET in text and PROXY_SECRET in text
            [item] = trashed_channels(trash.read(), site=source.name)
            plan = plan_transfer(
                [(item.channel, item.origin)], await writer.connect(), [], site=target.name, title="restore"
            )
            [row] = plan.rows
            assert row.will_create, row.reason
            run = CreateRun(writer, plan)
            results = await BatchRun(plan.placeholders(), run, creation_settings(BatchSettings())).run()
            assert all(r.ok for r in results), [r.message for r in results]
        finally:
            await reader.close()
            await writer.close()
        [restored] = target.server.channels.values()
        assert restored["custom_header"] == [{"header_key": "X-Api-Key", "header_value": HEADER_SECRET}]
        assert restored["channel_proxy"] == PROXY


class TestShown:
    def test_channels_list_and_fleet_list_json_mask_a_base_urls_password(self, cli, register, gateway):
        site = register(newapi_with_secrets(gateway))
        listed = cli("channels", "list", "--site", site, "--json")
        assert listed.code == 0, listed.err
        assert "relay:••••••••@" in listed.out
        fleet = cli("fleet", "list", "--json")
        assert fleet.code == 0, fleet.err
        table = cli("channels", "list", "--site", site)
        assert_no_secret(listed.out, listed.err, fleet.out, fleet.err, table.out)

    async def test_a_copy_preview_names_a_proxy_it_cannot_carry_without_its_password(self, gateway):
        source = gateway.add_onehub(f"sec-oh-{next(_names)}", channels=1)
        target = gateway.add_axonhub(f"sec-ax-{next(_names)}", channels=0)
        reader = create_backend(demo_profile(source), source.secret)
        writer = create_backend(demo_profile(target), target.secret)
        try:
            await reader.connect()
            [channel] = await reader.list_channels()
            channel = await reader.update_channel(channel, {"proxy": PROXY})
            assert channel.raw["proxy"] == PROXY
            origin = Origin(site=source.name, kind=BackendKind.ONEHUB, flavor=reader.capabilities.flavor)
            plan = plan_transfer([(channel, origin)], await writer.connect(), [], site=target.name, title="Copy")
        finally:
            await reader.close()
            await writer.close()
        [row] = plan.rows
        proxy = "proxy http://carol:••••••••@127.0.0.1:3130"
        assert any(loss.startswith(proxy) for loss in row.losses), row.losses
        assert_no_secret(*row.losses, row.reason)

    async def test_the_details_screen_masks_headers_and_the_proxy_password(self, gateway, monkeypatch):
        site = gateway.add_octopus(f"sec-oc-{next(_names)}", channels=2)
        await give_octopus_secrets(site)
        async with app_on_sites(monkeypatch, site) as (app, pilot):
            await pilot.press("enter")
            detail = await wait_screen(pilot, ChannelDetailScreen)
            record = str(detail.query_one("#raw-record", Static).render())
            assert '"header_key": "X-Api-Key"' in record and "carol:••••••••@127.0.0.1:3130" in record
            assert_no_secret(record, screen_text(app))


class TestTheDefinition:
    def test_every_family_declares_its_secret_fields(self):
        for family in FAMILIES.values():
            assert family.secrets != SecretFields(), family.kind

    def test_messages_lose_a_urls_password(self):
        assert scrub(f"cannot reach {PROXY}: refused") == "cannot reach http://carol:…@127.0.0.1:3130: refused"


_secret = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=10, max_size=40)
_header_name = st.sampled_from(["X-Api-Key", "X-Team", "Authorization", "X-Custom-Auth", "Cookie", "X-Region"])


@given(_secret, _secret, _header_name)
def test_no_secret_survives_redaction_in_any_family(header_value, password, header_name):
    """Whatever the header is called and whatever its value or the proxy's password, no family's
    redacted record holds either, masked for a screen or dropped for a file; header names stay."""
    proxy = f"http://user:{password}@proxy.example:8080"
    records = {
        BackendKind.NEWAPI: {
            "header_override": json.dumps({header_name: header_value}),
            "setting": json.dumps({"proxy": proxy}),
            "settings": json.dumps({"advanced_custom": {"advanced_routes": [{"auth": {"value": header_value}}]}}),
            "config": json.dumps({"ak": header_value, "sk": password, "region": "us-east-1"}),
        },
        BackendKind.OCTOPUS: {
            "custom_header": [{"header_key": header_name, "header_value": header_value}],
            "channel_proxy": proxy,
            "keys": [{"id": 1, "channel_key": password}],
        },
        BackendKind.ONEHUB: {"model_headers": json.dumps({header_name: header_value}), "proxy": proxy},
        BackendKind.AXONHUB: {
            "credentials": {"apiKey": header_value, "apiKeys": [password]},
            "settings": {
                "proxy": {"url": proxy, "username": "u", "password": password},
                "headerOverrideOperations": [{"op": "set", "path": header_name, "value": header_value}],
            },
        },
        BackendKind.CLAUDECODEHUB: {"customHeaders": {header_name: header_value}, "proxyUrl": proxy},
    }
    for kind, record in records.items():
        for hide in (masked, dropped):
            shown = redact(family_of(kind).secrets, record, hide)
            text = json.dumps(shown.record)
            assert header_value not in text and password not in text, (kind, hide)
            assert set(shown.withheld) == set(record), kind
            if kind is not BackendKind.AXONHUB:
                assert header_name in text


def test_a_record_without_secrets_is_left_as_it_is():
    record = {"id": 3, "name": "xai-official-90", "base_url": "https://api.x.ai/v1", "other": "2024-05-01-preview",
              "setting": json.dumps({"force_format": True, "proxy": ""}), "header_override": None}
    shown = redact(family_of(BackendKind.NEWAPI).secrets, record)
    assert shown.record == record and shown.withheld == ()


async def test_the_journal_withholds_what_the_family_calls_secret(gateway):
    """A proxy whose credential is a token as user name looks like no key to the scrubber; the
    Octopus definition still makes the journal withhold it, as it withholds a password."""
    site = gateway.add_octopus(f"sec-oc-{next(_names)}", channels=0)
    backend = create_backend(demo_profile(site), site.secret)
    try:
        capabilities = await backend.connect()
    finally:
        await backend.close()
    kept = requested(capabilities, {"channel_proxy": "http://tokenuser42@127.0.0.1:3130", "name": "x"})
    assert kept.withheld == ("channel_proxy",) and kept.values == {"name": "x"}


@given(
    st.sampled_from(["http", "https", "socks5", "socks5h"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12),
    _secret,
    st.sampled_from(["", "/", "/v1", "/path?x=1"]),
)
def test_a_urls_password_never_survives_the_scrubber_or_the_url_rule(scheme, user, secret, path):
    password = f"P{secret}"
    url = f"{scheme}://{user}:{password}@proxy.example:3128{path}"
    for shown in (scrub(f"proxy {url} refused"), hide_url_credentials(url), hide_url_credentials(url, dropped)):
        assert password not in shown and f"{user}" in shown and "proxy.example:3128" in shown


def test_a_new_api_route_auth_keeps_its_header_name_and_a_settings_proxy_its_host():
    """As the real New API returns them (`settings.advanced_custom`, `setting.proxy`)."""
    route = {"incoming_path": "/v1/x", "auth": {"type": "header", "name": "X-Route-Key", "value": "RouteSecretVal9876"}}
    record = {
        "settings": json.dumps({"advanced_custom": {"advanced_routes": [route]}}),
        "setting": json.dumps({"proxy": "http://erin:ErinProxyPw777@127.0.0.1:3131", "force_format": True}),
    }
    shown = redact(family_of(BackendKind.NEWAPI).secrets, record).record
    [auth] = [r["auth"] for r in json.loads(shown["settings"])["advanced_custom"]["advanced_routes"]]
    assert auth == {"type": "header", "name": "X-Route-Key", "value": "••••••••"}
    assert json.loads(shown["setting"]) == {"proxy": "http://erin:••••••••@127.0.0.1:3131", "force_format": True}
