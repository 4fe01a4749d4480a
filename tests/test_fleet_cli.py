"""`tui-channels fleet ...` in-process against demo sites of several kinds, with overlapping ids."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import env_var_name
from tui_channels.services import test_log

from .batch_helpers import key_of, newapi_site, octopus_site, working_ids
from .ui_helpers import demo_profile, mark_read_only

DOWN = SiteProfile(name="down", kind="newapi", url="http://127.0.0.1:9", user_id=1)
"""A site nothing answers on (port 9, discard, is closed on the test machine)."""


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[DemoSite]]:
    """Write a config naming the given sites (and `extra` profiles), their secrets in the environment."""

    def configure(*sites: DemoSite, extra: tuple[SiteProfile, ...] = ()) -> list[DemoSite]:
        for site in sites:
            monkeypatch.setenv(env_var_name(site.name), site.secret)
        for profile in extra:
            monkeypatch.setenv(env_var_name(profile.name), "unused-secret")
        save_config(AppConfig(sites=[*(demo_profile(site) for site in sites), *extra]))
        return list(sites)

    return configure


def test_a_fleet_test_runs_every_site_and_reports_by_site(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=10), octopus_site(gateway, channels=8))
    result = cli("fleet", "test", "--all", "--json")
    document = json.loads(result.out)
    sites = {entry["site"]: entry for entry in document["sites"]}
    assert set(sites) == {newapi.name, octopus.name} and all(s["loaded"] for s in sites.values())
    assert sites[newapi.name]["channels"] == 10 and sites[octopus.name]["channels"] == 8
    results = {(r["site"], r["channel_id"]): r for r in document["results"]}
    assert {channel_id for site, channel_id in results if site == octopus.name} == set(range(1, 9))
    bad = {(newapi.name, i) for i in newapi.server.store if i not in working_ids(newapi)}
    assert bad <= {k for k, r in results.items() if r["outcome"] == "failed"}
    assert result.code == 1
    assert f"{newapi.name} 10/10" in result.err and f"{octopus.name} 8/8" in result.err
    assert not any(key_of(newapi, i) in result.out for i in newapi.server.store)
    recorded = test_log.read()
    assert set(recorded) == {newapi.name, octopus.name} and len(recorded[newapi.name]) == 10


def test_a_fleet_test_where_every_channel_passes_exits_0(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=10), octopus_site(gateway, channels=8))
    name = newapi.server.record(working_ids(newapi)[0])["name"]
    result = cli("fleet", "test", "--sites", newapi.name, "--search", name)
    assert result.code == 0, result.out + result.err
    header, *rows = result.out.splitlines()
    assert header.split()[:3] == ["SITE", "ID", "NAME"]
    assert rows and all(row.startswith(newapi.name) and " ok " in row for row in rows)


def test_balance_skips_the_sites_without_balances_and_says_why(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=6), octopus_site(gateway, channels=4))
    result = cli("fleet", "balance", "--all", "--json")
    document = json.loads(result.out)
    skipped = [r for r in document["results"] if r["site"] == octopus.name]
    assert len(skipped) == 4 and all(r["outcome"] == "skipped" and "balance" in r["message"] for r in skipped)
    assert any(r["site"] == newapi.name and r["outcome"] != "skipped" for r in document["results"])


def test_sync_dry_run_previews_every_site_and_writes_nothing(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=6), octopus_site(gateway, channels=4))
    before = {i: newapi.server.record(i)["models"] for i in newapi.server.store}
    result = cli("fleet", "sync", "--all", "--dry-run", "--json")
    document = json.loads(result.out)
    assert result.code == (1 if any(r["outcome"] == "failed" for r in document["results"]) else 0), result.err
    assert {r["site"] for r in document["results"]} == {newapi.name, octopus.name}
    assert {i: newapi.server.record(i)["models"] for i in newapi.server.store} == before


def test_a_site_that_does_not_answer_fails_the_run_but_not_the_others(gateway: DemoGateway, cli, configured):
    (newapi,) = configured(newapi_site(gateway, channels=4), extra=(DOWN,))
    ids = working_ids(newapi)
    result = cli("fleet", "test", "--all", "--json")
    document = json.loads(result.out)
    sites = {entry["site"]: entry for entry in document["sites"]}
    assert sites["down"]["loaded"] is False and sites["down"]["error"]
    assert {r["channel_id"] for r in document["results"] if r["outcome"] == "ok"} == set(ids)
    assert result.code == 1
    assert "error: down:" in result.err


def test_unknown_sites_are_a_usage_error(gateway: DemoGateway, cli, configured):
    configured(newapi_site(gateway, channels=2))
    result = cli("fleet", "test", "--all", "--sites", "nowhere")
    assert result.code == 2 and "nowhere" in result.err


def test_fleet_list_names_each_channels_site(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=5), octopus_site(gateway, channels=3))
    result = cli("fleet", "list", "--json")
    assert result.code == 0
    rows = json.loads(result.out)
    assert sorted((r["site"], r["id"]) for r in rows) == sorted(
        [(newapi.name, i) for i in range(1, 6)] + [(octopus.name, i) for i in range(1, 4)]
    )


def test_health_reports_what_needs_attention_with_exit_1(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=30), octopus_site(gateway, channels=6), extra=(DOWN,))
    auto_disabled = {i for i in newapi.server.store if newapi.server.record(i)["status"] == 3}
    assert auto_disabled
    cli("fleet", "test", "--sites", newapi.name, "--all")
    result = cli("fleet", "health", "--json", "--slow-ms", "1")
    assert result.code == 1
    document = json.loads(result.out)
    found = {(f["concern"], f["site"], f["channel_id"]) for f in document["findings"]}
    assert ("site_down", "down", None) in found
    assert {("auto_disabled", newapi.name, i) for i in auto_disabled} <= found
    failed = {i for i in newapi.server.store if i not in working_ids(newapi)}
    assert {("test_failed", newapi.name, i) for i in failed} & found
    assert any(concern == "slow" for concern, _site, _id in found)
    assert document["thresholds"]["slow_ms"] == 1
    assert f"Keys are not compared on {newapi.name}: its server does not list keys." in document["notes"]
    tested = json.loads(cli("fleet", "test", "--all", "--json").out)
    assert [{k: s[k] for k in ("site", "kind", "loaded", "error")} for s in tested["sites"]] == [
        {k: s[k] for k in ("site", "kind", "loaded", "error")} for s in document["sites"]
    ], "fleet test and fleet health name their sites alike"
    assert {s["site"]: s["loaded"] for s in document["sites"]} == {newapi.name: True, octopus.name: True, "down": False}
    table = cli("fleet", "health", "--sites", octopus.name)
    assert table.code in (0, 1) and ("Nothing needs attention" in table.out or "CONCERN" in table.out)


def test_find_a_model_and_an_octopus_key_across_sites(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=8), octopus_site(gateway, channels=6))
    model = newapi.server.record(1)["models"].split(",")[0]
    result = cli("fleet", "find", model, "--json")
    assert result.code == 0
    matches = json.loads(result.out)["matches"]
    assert {"site": newapi.name, "channel_id": 1} in [{"site": m["site"], "channel_id": m["channel_id"]} for m in matches]
    key = key_of(octopus, 2)
    by_key = cli("fleet", "find", key, "--json")
    document = json.loads(by_key.out)
    assert [(m["site"], m["channel_id"], m["via"]) for m in document["matches"]] == [(octopus.name, 2, "key")]
    assert key not in by_key.out
    assert any(newapi.name in note and "does not list keys" in note for note in document["notes"])
    nothing = cli("fleet", "find", "no-such-model-anywhere")
    assert nothing.code == 1


def test_sync_leaves_a_read_only_site_out_names_it_and_writes_only_the_others(gateway: DemoGateway, cli, configured):
    newapi, octopus = configured(newapi_site(gateway, channels=6), octopus_site(gateway, channels=4))
    mark_read_only(newapi.name)
    before = {i: newapi.server.record(i)["models"] for i in newapi.server.store}
    result = cli("fleet", "sync", "--all", "--json")
    document = json.loads(result.out)
    left = [r for r in document["results"] if r["site"] == newapi.name]
    assert len(left) == len(before) and all(r["outcome"] == "skipped" for r in left)
    assert all(r["message"] == f"left out: read-only: {newapi.name} is marked read-only in its profile" for r in left)
    assert f"note: Left out: {len(before)} channels on {newapi.name} (read-only" in result.err
    assert {i: newapi.server.record(i)["models"] for i in newapi.server.store} == before
    assert any(r["outcome"] == "ok" for r in document["results"] if r["site"] == octopus.name)


def test_a_fleet_test_warns_once_naming_the_sites_whose_server_may_switch_channels_off(
    gateway: DemoGateway, cli, configured
):
    """One Hub and Done Hub may disable a channel whose test fails: said once, naming both sites,
    not once per site (nor not at all, as the fleet test did)."""
    onehub = gateway.add_onehub("fleet-warn-oh", flavor="onehub", channels=3)
    donehub = gateway.add_onehub("fleet-warn-dh", flavor="donehub", channels=3)
    configured(onehub, donehub, newapi_site(gateway, channels=3))
    result = cli("fleet", "test", "--all", "--dry-run")
    notes = [line for line in result.err.splitlines() if "may disable" in line]
    assert notes == [
        "Note: One Hub (fleet-warn-oh) and Done Hub (fleet-warn-dh) may disable a channel whose test "
        "fails (their own auto-disable rule); check the results for channels they switched off."
    ], result.err


def test_a_sync_dry_run_exits_1_when_a_preview_failed_as_on_one_site(gateway: DemoGateway, cli, configured):
    (newapi,) = configured(newapi_site(gateway, channels=15))
    result = cli("fleet", "sync", "--all", "--dry-run", "--json")
    assert any(r["outcome"] == "failed" for r in json.loads(result.out)["results"])  # seeded bad keys
    assert result.code == 1, result.err
    assert cli("fleet", "sync", "--all", "--dry-run").code == 1
    name = newapi.server.record(working_ids(newapi)[0])["name"]
    assert cli("fleet", "sync", "--search", name, "--dry-run").code == 0


@pytest.mark.parametrize("flavor", ["onehub", "donehub"])
def test_a_type_without_a_balance_is_skipped_on_one_hub_and_done_hub(gateway: DemoGateway, cli, configured, flavor):
    (hub,) = configured(gateway.add_onehub(f"fleet-{flavor}", flavor=flavor, channels=12))
    result = cli("fleet", "balance", "--all", "--json")
    results = json.loads(result.out)["results"]
    skipped = [r for r in results if r["outcome"] == "skipped"]
    assert skipped and all(r["message"] == "the gateway cannot query the balance of this channel type" for r in skipped)
    assert any(r["outcome"] == "ok" for r in results)
    assert result.code == 0, [r for r in results if r["outcome"] == "failed"]


def test_when_no_site_answers_the_run_says_so_and_names_them(gateway: DemoGateway, cli, configured):
    configured(extra=(DOWN, DOWN.model_copy(update={"name": "down-too"})))
    result = cli("fleet", "test", "--all")
    assert result.code == 1
    assert "No site answered (down, down-too)" in result.err
    assert "No channel matches" not in result.err
    assert not any(line.rstrip().endswith("|") for line in result.err.splitlines())
    assert "test:" not in result.err  # no progress line for a batch of nothing ("test: 0/0 · 0 ok · 0.0/s")
