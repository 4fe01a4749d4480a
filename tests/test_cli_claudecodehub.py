"""The command line end to end with a Claude Code Hub site: add, list, verify, test, sync, export,
restore and keys import, run in-process against the demo gateway."""

from __future__ import annotations

import io
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tui_channels.config import load_config
from tui_channels.demo.claudecodehub.server import DEMO_USER_KEY
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import SecretStore

from .conftest import CliResult

_names = itertools.count()


@pytest.fixture
def hub(gateway: DemoGateway) -> DemoSite:
    return gateway.add_claudecodehub(f"cli-hub-{next(_names)}", channels=8)


@pytest.fixture
def add(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """`sites add` for a hub, its token (the admin token unless given) typed on standard input."""

    def run(site: DemoSite, token: str | None = None) -> CliResult:
        monkeypatch.setattr(sys, "stdin", io.StringIO((token or site.secret) + "\n"))
        return cli("sites", "add", site.name, "--kind", "claudecodehub", "--url", site.url, "--secret-stdin")

    return run


def test_a_site_needs_only_its_admin_token(cli: Callable[..., CliResult], add: Callable[..., CliResult], hub: DemoSite) -> None:
    result = add(hub)
    assert result.code == 0, result.err
    assert f'Added site "{hub.name}" (Claude Code Hub, {hub.url}).' in result.out
    assert "Its admin token is stored" in result.out
    profile = load_config().site(hub.name)
    assert (profile.kind.value, profile.user_id, profile.username) == ("claudecodehub", None, None)
    assert SecretStore().get(hub.name) == hub.secret
    listing = cli("sites", "list")
    assert hub.name in listing.out and "claudecodehub" in listing.out
    assert hub.secret not in listing.out


@pytest.mark.parametrize(("option", "value"), [("--user-id", "1"), ("--username", "admin")])
def test_a_login_option_of_another_family_is_a_usage_error(
    cli: Callable[..., CliResult], hub: DemoSite, option: str, value: str
) -> None:
    result = cli("sites", "add", "x", "--kind", "claudecodehub", "--url", hub.url, option, value, "--secret-stdin")
    assert result.code == 2 and "Claude Code Hub site needs only its admin token" in result.err


def test_verify_names_the_server_and_a_user_key_is_refused(cli: Callable[..., CliResult], add: Callable[..., CliResult], hub: DemoSite) -> None:
    add(hub)
    good = cli("sites", "verify", hub.name)
    assert good.code == 0, good.out
    assert "Claude Code Hub, version 0.9.0" in good.out
    cli("sites", "remove", hub.name)
    add(hub, token=DEMO_USER_KEY)
    refused = cli("sites", "verify", hub.name)
    assert refused.code == 1 and "✗ Credentials" in refused.out and "admin token" in refused.out
    assert DEMO_USER_KEY not in refused.out + refused.err


def test_an_old_server_is_refused_with_what_to_do(
    cli: Callable[..., CliResult], add: Callable[..., CliResult], gateway: DemoGateway
) -> None:
    old = gateway.add_claudecodehub(f"cli-hub-old-{next(_names)}", generation="legacy", channels=2)
    add(old)
    result = cli("sites", "verify", old.name)
    assert result.code == 1
    assert "older than v0.8.1" in result.out and "Upgrade the server" in result.out
    listing = cli("channels", "list", "--site", old.name)
    assert listing.code == 1 and "older than v0.8.1" in listing.err and "Traceback" not in listing.err


def test_list_shows_providers_with_masked_keys(cli: Callable[..., CliResult], add: Callable[..., CliResult], hub: DemoSite) -> None:
    add(hub)
    result = cli("channels", "list", "--site", hub.name, "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert len(rows) == 8 and {r["type"] for r in rows} <= {"claude", "codex", "gemini", "openai-compatible"}
    assert all(r["key"] is None for r in rows)
    assert not any(key in result.out for key in hub.server.keys.values())
    table = cli("channels", "list", "--site", hub.name)
    assert table.code == 0 and "NAME" in table.out
    assert "PRIO(LOW)" in table.out.splitlines()[0]


def test_test_and_sync(cli: Callable[..., CliResult], add: Callable[..., CliResult], hub: DemoSite) -> None:
    add(hub)
    tested = cli("channels", "test", "--site", hub.name, "--all", "--json")
    results = json.loads(tested.out)
    assert len(results) == 8
    failing = {r["channel_id"] for r in results if r["outcome"] == "failed"}
    bad_keys = {i for i, key in hub.server.keys.items() if "invalid" in key or "broken" in key}
    assert failing == bad_keys
    assert tested.code == (1 if failing else 0)
    preview = cli("channels", "sync", "--site", hub.name, "--all", "--dry-run", "--json")
    assert preview.code in (0, 1), preview.err
    assert hub.stats.requests("GET", "/api/v1/providers/*/key:reveal")
    assert not hub.stats.requests("PATCH")


def test_export_with_keys_then_restore_into_another_hub(
    cli: Callable[..., CliResult], add: Callable[..., CliResult], gateway: DemoGateway, hub: DemoSite, tmp_path: Path
) -> None:
    add(hub)
    out = tmp_path / "hub.json"
    exported = cli("channels", "export", "--site", hub.name, "--all", "--out", str(out), "--with-keys")
    assert exported.code == 0, exported.err
    assert "plain text" in exported.err
    data = json.loads(out.read_text())
    assert data["includes_keys"] and {c["key"] for c in data["channels"]} == set(hub.server.keys.values())
    other = gateway.add_claudecodehub(f"cli-hub-target-{next(_names)}", channels=0)
    add(other)
    restored = cli("channels", "restore", "--site", other.name, "--file", str(out), "--json")
    report = json.loads(restored.out)
    assert restored.code == 0, restored.out
    assert [r["outcome"] for r in report["results"]] == ["ok"] * 8
    assert sorted(other.server.keys.values()) == sorted(hub.server.keys.values())


def test_keys_import_into_a_hub(
    cli: Callable[..., CliResult], add: Callable[..., CliResult], gateway: DemoGateway, hub: DemoSite, tmp_path: Path
) -> None:
    add(hub)
    keys = tmp_path / "keys.csv"
    url = f"{gateway.upstream_url}/p/openai"
    keys.write_text(f"name,base_url,key,source\nmain,{url}/v1,sk-cli-hub-import-01,relay\n")
    result = cli("keys", "import", "--site", hub.name, "--file", str(keys), "--groups", "vip", "--json")
    assert result.code == 0, result.out + result.err
    created = [p for p in hub.server.providers.values() if p["name"] == "relay | main (auto)"]
    assert len(created) == 1
    assert (created[0]["url"], created[0]["groupTag"], created[0]["providerType"]) == (url, "vip", "openai-compatible")
    assert "sk-cli-hub-import-01" not in result.out


def test_sync_leaves_providers_that_serve_every_model_alone(
    cli: Callable[..., CliResult], add: Callable[..., CliResult], hub: DemoSite
) -> None:
    add(hub)
    open_ids = {i for i, p in hub.server.providers.items() if p["allowedModels"] is None}
    assert open_ids, "the seed has providers without a model list"
    result = cli("channels", "sync", "--site", hub.name, "--all", "--dry-run", "--json")
    rows = {r["channel_id"]: r for r in json.loads(result.out)}
    assert all(rows[i]["outcome"] == "skipped" and "serves every model" in rows[i]["message"] for i in open_ids)
