"""`tui-channels tags ...` and `channels fix` against the demo gateway."""

from __future__ import annotations

import json

import pytest

from tui_channels.cli import main
from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.secret_store import env_var_name


@pytest.fixture
def newapi_site(gateway, monkeypatch):
    site = gateway.add_newapi("cli-tags", channels=30)
    monkeypatch.setenv(env_var_name("cli-tags"), site.secret)
    save_config(AppConfig(sites=[SiteProfile(name="cli-tags", kind="newapi", url=site.url, user_id=site.user_id)]))
    return site


def test_tags_list_counts_every_tag_and_the_untagged(newapi_site, capsys):
    assert main(["tags", "list", "--site", "cli-tags", "--json"]) == 0
    rows = {row["tag"]: row for row in json.loads(capsys.readouterr().out)}
    records = newapi_site.server.store.values()
    for tag, row in rows.items():
        members = [r for r in records if (r["tag"] or None) == tag]
        assert row["channels"] == len(members)
        assert row["enabled"] == sum(r["status"] == 1 for r in members)
    assert None in rows and sum(r["channels"] for r in rows.values()) == 30


def test_tags_enable_disable_and_edit(newapi_site, capsys):
    members = [i for i, r in newapi_site.server.store.items() if r["tag"] == "backup"]
    assert main(["tags", "disable", "backup", "--site", "cli-tags"]) == 0
    assert all(newapi_site.server.record(i)["status"] == 2 for i in members)
    assert main(["tags", "enable", "backup", "--site", "cli-tags"]) == 0
    assert all(newapi_site.server.record(i)["status"] == 1 for i in members)
    assert main(["tags", "edit", "backup", "--site", "cli-tags", "--priority", "3", "--new-tag", "spare"]) == 0
    assert all(newapi_site.server.record(i)["priority"] == 3 and newapi_site.server.record(i)["tag"] == "spare" for i in members)
    assert "priority" in capsys.readouterr().out


@pytest.mark.parametrize("action", [["disable"], ["enable"], ["edit", "--priority", "4"]])
def test_a_tag_no_channel_has_is_an_error_not_a_success(newapi_site, capsys, action):
    """The server answers success for a tag no channel carries: the command says what happened."""
    before = {i: dict(r) for i, r in newapi_site.server.store.items()}
    assert main(["tags", action[0], "no-such-tag", *action[1:], "--site", "cli-tags"]) == 1
    assert "No channel has the tag 'no-such-tag'; nothing was changed." in capsys.readouterr().err
    assert {i: dict(r) for i, r in newapi_site.server.store.items()} == before
    assert not newapi_site.stats.requests("POST", "/api/channel/tag/*")
    assert not newapi_site.stats.requests("PUT", "/api/channel/tag")


def test_tags_edit_rejects_bad_values_as_usage_errors(newapi_site, capsys):
    assert main(["tags", "edit", "spare", "--site", "cli-tags", "--model-mapping", "[1]"]) == 2
    assert "--model-mapping: must be a JSON object" in capsys.readouterr().err
    assert main(["tags", "edit", "spare", "--site", "cli-tags"]) == 2


def test_channels_fix_reports_counts(newapi_site, capsys):
    assert main(["channels", "fix", "--site", "cli-tags"]) == 0
    assert "30 channels fixed, 0 failed" in capsys.readouterr().out


def test_tags_on_octopus_say_it_is_not_supported(gateway, monkeypatch, capsys):
    site = gateway.add_octopus("cli-tags-octo", channels=3)
    monkeypatch.setenv(env_var_name("cli-tags-octo"), site.secret)
    save_config(AppConfig(sites=[SiteProfile(name="cli-tags-octo", kind="octopus", url=site.url, username=site.username)]))
    assert main(["tags", "disable", "x", "--site", "cli-tags-octo"]) == 1
    assert "Octopus does not support" in capsys.readouterr().err


def test_tags_disable_leaves_an_auto_disabled_channel_alone_and_says_so(newapi_site, capsys):
    """The tag route would mark every member disabled by hand: the others are disabled one by one."""
    members = sorted(i for i, r in newapi_site.server.store.items() if r["tag"] == "backup")
    automatic, others = members[0], members[1:]
    newapi_site.server.store[automatic]["status"] = 3
    for channel_id in others:
        newapi_site.server.store[channel_id]["status"] = 1
    assert main(["tags", "disable", "backup", "--site", "cli-tags"]) == 0
    out = capsys.readouterr().out
    assert f"Disabled the {len(others)} channel{'s' if len(others) != 1 else ''} tagged 'backup'." in out
    name = newapi_site.server.record(automatic)["name"]
    assert f"1 channel auto-disabled by the gateway (#{automatic} {name}) stays as it is" in out
    assert "1 other, already disabled, stays as it is." in out
    assert newapi_site.server.record(automatic)["status"] == 3
    assert all(newapi_site.server.record(i)["status"] == 2 for i in others)
    assert not newapi_site.stats.requests("POST", "/api/channel/tag/disabled")
    assert main(["tags", "disable", "backup", "--site", "cli-tags"]) == 0
    assert "Nothing to disable: the" in capsys.readouterr().out
    assert newapi_site.server.record(automatic)["status"] == 3
