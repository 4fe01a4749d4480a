"""`keys import`, `channels export` and `channels restore`, run in-process against the demo gateway."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets as random_secrets
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import BackendKind
from tui_channels.secret_store import env_var_name

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


def octopus(gateway: DemoGateway, generation: str = "current", channels: int = 6) -> DemoSite:
    return gateway.add_octopus(f"clitr-oc-{next(_names)}", generation=generation, channels=channels)


def newapi(gateway: DemoGateway, channels: int = 6) -> DemoSite:
    return gateway.add_newapi(f"clitr-na-{next(_names)}", channels=channels)


def key_file(tmp_path: Path, gateway: DemoGateway, *keys: tuple[str, str]) -> Path:
    path = tmp_path / "keys.csv"
    url = f"{gateway.upstream_url}/p/openai"
    path.write_text("name,base_url,key,source\n" + "".join(f"{n},{url},{k},relay\n" for n, k in keys))
    return path


def states(site: DemoSite) -> set[tuple]:
    """Each channel's name and status, with its keys and their status (legacy Octopus)."""
    return {
        (r["name"], r["enabled"], tuple((k["channel_key"], k["enabled"]) for k in r["keys"]))
        for r in site.server.channels.values()
    }


def fresh_key() -> str:
    return f"sk-cli{random_secrets.token_hex(12)}"


class TestKeysImport:
    def test_dry_run_prints_the_preview_with_masked_keys_and_exits_1_for_a_blocked_row(
        self, cli, register, gateway, tmp_path
    ):
        site = register(octopus(gateway))
        good, dead = fresh_key(), "sk-invalid-" + random_secrets.token_hex(8)
        path = key_file(tmp_path, gateway, ("good", good), ("dead", dead))
        result = cli("keys", "import", "--site", site, "--file", str(path), "--dry-run", "--json")
        assert result.code == 1, result.err
        report = json.loads(result.out)
        assert [(r["name"], r["state"]) for r in report["rows"]] == [
            ("relay | good (auto)", "ready"),
            ("relay | dead (auto)", "blocked"),
        ]
        assert good not in result.out and dead not in result.out
        assert "results" not in report

    def test_import_creates_channels_and_exits_1_when_a_key_is_blocked(self, cli, register, gateway, tmp_path):
        target = octopus(gateway)
        site = register(target)
        path = key_file(tmp_path, gateway, ("good", fresh_key()), ("dead", "sk-invalid-" + random_secrets.token_hex(8)))
        result = cli("keys", "import", "--site", site, "--file", str(path))
        assert result.code == 1
        assert "created as channel" in result.out and "blocked" in result.out
        names = {c["name"] for c in target.server.channels.values()}
        assert "relay | good (auto)" in names and "relay | dead (auto)" not in names

    def test_everything_created_or_already_present_exits_0(self, cli, register, gateway, tmp_path):
        target = newapi(gateway)
        site = register(target)
        path = key_file(tmp_path, gateway, ("one", fresh_key()), ("two", fresh_key()))
        first = cli("keys", "import", "--site", site, "--file", str(path), "--json")
        assert first.code == 0, first.out
        assert [r["extra"]["state"] for r in json.loads(first.out)["results"]] == ["created", "created"]
        again = cli("keys", "import", "--site", site, "--file", str(path), "--json")
        assert again.code == 0
        assert [r["extra"]["state"] for r in json.loads(again.out)["results"]] == ["already present"] * 2

    def test_a_key_given_twice_is_listed_as_skipped_with_the_row_it_repeats(self, cli, register, gateway, tmp_path):
        site_obj = octopus(gateway, channels=0)
        site = register(site_obj)
        key = fresh_key()
        path = key_file(tmp_path, gateway, ("first", key), ("again", key))
        result = cli("keys", "import", "--site", site, "--file", str(path), "--json")
        assert result.code == 0, result.err
        report = json.loads(result.out)
        assert [r["state"] for r in report["rows"]] == ["ready", "already present"]
        assert report["rows"][1]["reason"] == "the same base URL and key as row 1 of this list"
        assert [r["outcome"] for r in report["results"]] == ["ok", "skipped"]
        assert len(site_obj.server.channels) == 1

    def test_bare_keys_without_a_base_url_are_a_usage_error(self, cli, register, gateway, tmp_path):
        site = register(octopus(gateway))
        path = tmp_path / "bare.txt"
        path.write_text(f"{fresh_key()}\n")
        result = cli("keys", "import", "--site", site, "--file", str(path), "--dry-run")
        assert result.code == 2 and "--base-url" in result.err
        url = f"{gateway.upstream_url}/p/openai"
        result = cli("keys", "import", "--site", site, "--file", str(path), "--base-url", url, "--dry-run")
        assert result.code == 0 and "ready" in result.out

    def test_a_missing_file_exits_1_and_an_unknown_site_2(self, cli, register, gateway, tmp_path):
        site = register(octopus(gateway))
        assert cli("keys", "import", "--site", site, "--file", str(tmp_path / "nope.csv")).code == 1
        assert cli("keys", "import", "--site", "no-such-site", "--file", "x").code == 2


class TestExportAndRestore:
    def test_export_all_or_some_ids(self, cli, register, gateway, tmp_path):
        site = register(octopus(gateway, channels=5))
        out = tmp_path / "all.json"
        result = cli("channels", "export", "--site", site, "--all", "--out", str(out), "--with-keys")
        assert result.code == 0 and "Exported 5 channels" in result.out
        assert "plain text" in result.err
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert len(json.loads(out.read_text())["channels"]) == 5
        some = tmp_path / "some.json"
        assert cli("channels", "export", "--site", site, "--ids", "1", "3", "--out", str(some)).code == 0
        assert [c["id"] for c in json.loads(some.read_text())["channels"]] == [1, 3]
        missing = tmp_path / "missing.json"
        result = cli("channels", "export", "--site", site, "--ids", "1,999", "--out", str(missing))
        assert result.code == 1 and "999" in result.err and not missing.exists()

    def test_export_needs_all_or_ids(self, cli):
        assert cli("channels", "export", "--site", "x", "--out", "f").code == 2

    def test_restore_into_another_site_then_again_finds_them_present(self, cli, register, gateway, tmp_path):
        source_site = octopus(gateway, "legacy", channels=4)
        source_site.server.channels[1]["enabled"] = False  # the server creates every channel and key enabled
        source_site.server.channels[2]["keys"].append(
            {**source_site.server.channels[2]["keys"][0], "id": 999, "channel_key": "sk-spare-off", "enabled": False}
        )
        source = register(source_site)
        target_site = octopus(gateway, "legacy", channels=0)
        target = register(target_site)
        out = tmp_path / "export.json"
        assert cli("channels", "export", "--site", source, "--all", "--out", str(out), "--with-keys").code == 0
        preview = cli("channels", "restore", "--site", target, "--file", str(out), "--dry-run")
        assert preview.code == 0 and preview.out.rstrip().endswith(f"{target}: 4 ready")
        assert not target_site.server.channels
        assert cli("channels", "restore", "--site", target, "--file", str(out)).code == 0
        assert len(target_site.server.channels) == 4
        assert states(target_site) == states(source_site)
        again = cli("channels", "restore", "--site", target, "--file", str(out), "--json")
        assert again.code == 0
        assert {r["state"] for r in json.loads(again.out)["rows"]} == {"already present"}

    def test_restore_from_the_trash_by_site_and_former_id(self, cli, register, gateway):
        from tui_channels.backends.octopus.client import OctopusBackend
        from tui_channels.services import trash

        source_site = octopus(gateway, channels=4)
        source = register(source_site)
        target_site = octopus(gateway, channels=0)
        target = register(target_site)

        async def delete_two():
            backend = OctopusBackend(source_site.url, username=source_site.username, password=source_site.secret)
            try:
                await backend.connect()
                doomed = (await backend.list_channels())[:2]
                trash.append(doomed, site=source, capabilities=backend.capabilities)
                for channel in doomed:
                    await backend.delete_channel(channel.id)
                return doomed
            finally:
                await backend.close()

        doomed = asyncio.run(delete_two())
        one = doomed[0]
        result = cli(
            "channels", "restore", "--site", target, "--trash", "--deleted-from", source, "--ids", str(one.id), "--json"
        )
        assert result.code == 0, result.err
        restored = list(target_site.server.channels.values())
        assert [(c["name"], c["key"]) for c in restored] == [(one.name, one.key)]
        again = cli("channels", "restore", "--site", target, "--trash", "--deleted-from", source, "--ids", str(one.id))
        assert again.code == 2, "a restored channel is not offered again"
        assert len(target_site.server.channels) == 1
        listed = json.loads(cli("trash", "list", "--all", "--json").out)
        assert sorted((r["id"], r["restored"] is not None) for r in listed) == sorted(
            (c.id, c.id == one.id) for c in doomed
        )
        assert one.id not in [r["id"] for r in json.loads(cli("trash", "list", "--json").out)]
        assert cli("trash", "purge").code == 2
        purged = cli("trash", "purge", "--restored")
        assert purged.code == 0 and "Purged 1 record" in purged.out
        assert [r["id"] for r in json.loads(cli("trash", "list", "--all", "--json").out)] == [doomed[1].id]
        assert cli("channels", "restore", "--site", target, "--trash", "--deleted-from", "nowhere").code == 2
        alone = cli("channels", "restore", "--site", target, "--trash", "--json")
        assert alone.code == 2 and f"nothing deleted from {target}" in alone.err, "no other site's channels"
        assert cli("channels", "restore", "--site", target, "--file", "x.json", "--ids", "1").code == 2

    def test_a_new_api_export_restored_into_octopus_is_blocked_without_keys(self, cli, register, gateway, tmp_path):
        source = register(newapi(gateway, channels=3))
        target = register(octopus(gateway, channels=0))
        out = tmp_path / "na.json"
        assert cli("channels", "export", "--site", source, "--all", "--out", str(out)).code == 0
        preview = cli("channels", "restore", "--site", target, "--file", str(out), "--dry-run")
        assert preview.code == 1 and "blocked" in preview.out
        result = cli("channels", "restore", "--site", target, "--file", str(out), "--json")
        assert result.code == 1
        rows = json.loads(result.out)["rows"]
        assert all(r["state"] == "blocked" for r in rows)
        assert any("Octopus channels have no user groups" in loss for r in rows for loss in r["losses"])

    def test_restoring_a_file_that_is_not_an_export_exits_1(self, cli, register, gateway, tmp_path):
        site = register(octopus(gateway))
        path = tmp_path / "junk.json"
        path.write_text("{}")
        result = cli("channels", "restore", "--site", site, "--file", str(path))
        assert result.code == 1 and "not a tui-channels export" in result.err
