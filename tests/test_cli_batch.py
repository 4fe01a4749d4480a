"""`tui-channels channels sync|test|balance`, run in-process against the demo gateway."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tui_channels.cli import batch as cli_batch
from tui_channels.cli import fleet as cli_fleet
from tui_channels.cli.batch import ProgressLine
from tui_channels.config import AppConfig, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import env_var_name
from tui_channels.services.batch import BatchProgress
from tui_channels.services.fleet_batch import FleetProgress
from tui_channels.services.upstream_models import EmptyUpstream

from .conftest import CliResult
from .batch_helpers import key_of, newapi_models, newapi_site, octopus_site, set_key, working_ids
from .ui_helpers import demo_profile


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Callable[..., DemoSite]:
    """Write a config naming the given sites, their secrets in the environment."""

    def configure(*sites: DemoSite) -> DemoSite:
        for site in sites:
            monkeypatch.setenv(env_var_name(site.name), site.secret)
        save_config(AppConfig(sites=[demo_profile(site) for site in sites]))
        return sites[0]

    return configure


def report(result: CliResult) -> dict[int, dict]:
    return {entry["channel_id"]: entry for entry in json.loads(result.out)}


def test_test_all_reports_every_channel_and_fails_when_one_fails(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=12))
    result = cli("channels", "test", "--site", site.name, "--all", "--json", "--concurrency", "3")
    entries = report(result)
    assert set(entries) == set(site.server.store)
    bad = {i for i in site.server.store if i not in working_ids(site)}
    assert bad and {i for i, e in entries.items() if e["outcome"] == "failed"} == bad
    assert all(isinstance(e["value"], float) for i, e in entries.items() if i not in bad)
    assert result.code == 1
    assert "test: 12/12" in result.err  # the final progress line, plain on a pipe
    assert site.secret not in result.out + result.err
    assert not any(key_of(site, i) in result.out for i in site.server.store)


def test_a_run_where_every_channel_succeeds_exits_0(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=12))
    ids = ",".join(map(str, working_ids(site)[:4]))
    result = cli("channels", "test", "--site", site.name, "--ids", ids)
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "OUTCOME", "TRIES", "SECONDS", "MESSAGE"]
    assert [line.split()[0] for line in lines[1:]] == ids.split(",")
    assert all(" ok " in line for line in lines[1:])


def test_sync_dry_run_previews_writes_nothing_and_exits_1_when_a_preview_failed(
    gateway: DemoGateway, cli, configured
):
    site = configured(newapi_site(gateway, channels=15))
    before = {i: newapi_models(site, i) for i in site.server.store}
    result = cli("channels", "sync", "--site", site.name, "--all", "--dry-run", "--json")
    assert result.code == 1, result.err
    entries = report(result)
    assert {i: newapi_models(site, i) for i in site.server.store} == before
    assert not site.stats.requests("PUT", "/api/channel/")
    changing = [e for e in entries.values() if e.get("added_models") or e.get("removed_models")]
    assert changing and all(e["old_models"] == list(before[e["channel_id"]]) for e in changing)
    assert any(e["outcome"] == "failed" for e in entries.values())  # seeded bad keys: exit 1
    ids = ",".join(map(str, working_ids(site)[:4]))
    assert cli("channels", "sync", "--site", site.name, "--ids", ids, "--dry-run").code == 0


def test_sync_writes_the_changes_it_reports(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=15))
    ids = working_ids(site)[:6]
    result = cli("channels", "sync", "--site", site.name, "--ids", ",".join(map(str, ids)), "--json")
    assert result.code == 0, result.err
    entries = report(result)
    assert set(entries) == set(ids)
    for channel_id, entry in entries.items():
        assert newapi_models(site, channel_id) == tuple(entry["new_models"])
    written = {r.json()["id"] for r in site.stats.requests("PUT", "/api/channel/")}
    assert written == {i for i, e in entries.items() if e.get("added_models") or e.get("removed_models")}
    assert "sync preview: 6/6" in result.err


def test_search_picks_channels_by_name_or_base_url(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=20))
    result = cli("channels", "balance", "--site", site.name, "--search", "deepseek", "--json")
    entries = report(result)
    expected = {i for i, r in site.server.store.items() if "deepseek" in f"{r['name']} {r['base_url']}".lower()}
    assert expected and set(entries) == expected
    assert {e["outcome"] for e in entries.values()} <= {"ok", "skipped"}
    assert result.code == 0  # skipped channels (no balance to query) do not fail the run


def test_dry_run_of_a_test_lists_without_testing(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=5))
    result = cli("channels", "test", "--site", site.name, "--all", "--dry-run")
    assert result.code == 0
    assert result.out.count("dry run: would be tested") == 5
    assert site.stats.count("GET", "/api/channel/test/*") == 0


def test_balance_on_octopus_is_an_operation_error(gateway: DemoGateway, cli, configured):
    site = configured(octopus_site(gateway, channels=4))
    result = cli("channels", "balance", "--site", site.name, "--all")
    assert result.code == 1
    assert "Octopus does not support balances." in result.err


def test_unknown_ids_stop_before_any_work(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=5))
    result = cli("channels", "test", "--site", site.name, "--ids", "2,999")
    assert result.code == 1
    assert "No channel with id 999" in result.err
    assert site.stats.count("GET", "/api/channel/test/*") == 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["channels", "test", "--site", "x"], "one of the arguments --all --ids --search is required"),
        (["channels", "sync", "--site", "x", "--all", "--ids", "1"], "not allowed with argument"),
        (["channels", "balance", "--site", "x", "--ids", "1,a"], "comma-separated list of channel ids"),
        (["channels", "test", "--site", "x", "--all", "--concurrency", "0"], "must be 1 or more"),
        (["channels", "balance", "--site", "x", "--all", "--keep-unlisted"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2(cli, argv: list[str], expected: str):
    result = cli(*argv)
    assert result.code == 2
    assert expected in result.err


def test_an_unknown_site_exits_2(cli):
    result = cli("channels", "sync", "--site", "nowhere", "--all")
    assert result.code == 2
    assert 'no site named "nowhere"' in result.err


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_octopus_test_and_sync_fail_a_channel_whose_upstream_refuses_its_key(
    gateway: DemoGateway, cli, configured, generation: str
):
    """Octopus answers the refusal with HTTP 200 and `data: []`: not "ok · 0 models listed"."""
    site = configured(octopus_site(gateway, channels=4, generation=generation))
    target = working_ids(site)[0]
    set_key(site, target, "sk-invalid-cli")
    before = site.server.record(target)
    for command in ("test", "sync"):
        result = cli("channels", command, "--site", site.name, "--ids", str(target), "--json")
        assert result.code == 1, result.out + result.err
        entry = report(result)[target]
        assert (entry["outcome"], entry["message"]) == ("failed", EmptyUpstream().message)
    assert site.server.record(target)["model"] == before["model"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("fleet", [False, True])
def test_a_progress_line_is_made_only_when_it_is_due(monkeypatch: pytest.MonkeyPatch, fleet: bool) -> None:
    """A batch reports every result; on a terminal a line is made (and written) once per interval
    and at the end, not made for every result and thrown away."""
    clock = [100.0]
    monkeypatch.setattr(cli_batch, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    made: list[int] = []

    def text(title: str, progress: Any) -> str:
        done = progress.total.done if fleet else progress.done
        made.append(done)
        return f"{title} {done}"

    line = ProgressLine(_Terminal())
    if fleet:
        monkeypatch.setattr(cli_fleet, "fleet_progress_text", text)
        report = cli_fleet.fleet_reporter("test", line)
    else:
        monkeypatch.setattr(cli_batch, "progress_text", text)
        report = line.reporter("test")
    for done, moment in ((1, 100.0), (2, 100.05), (3, 100.2), (10, 100.21)):
        clock[0] = moment
        progress = BatchProgress(total=10, done=done, ok=done, failed=0, skipped=0, elapsed=moment - 99.0)
        report(FleetProgress(progress, (("a", progress),)) if fleet else progress)
    assert made == [1, 3, 10]
    assert line.stream.getvalue().count("test ") == 3


def test_a_search_that_matches_nothing_writes_no_progress_line(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=4))
    result = cli("channels", "test", "--site", site.name, "--search", "no-channel-is-called-this")
    assert "No channel matches." in result.err
    assert "test:" not in result.err  # not "test: 0/0 · 0 ok · 0.0/s"


def test_before_the_first_result_the_progress_line_says_the_batch_is_starting() -> None:
    progress = BatchProgress(total=7, done=0, ok=0, failed=0, skipped=0, elapsed=0.0)
    sites = FleetProgress(progress, (("a", progress),))
    assert cli_batch.progress_text("test", progress) == "test: 0/7 · starting"
    assert cli_fleet.fleet_progress_text("test", sites) == "test: 0/7 · starting | a 0/7"
    later = BatchProgress(total=7, done=2, ok=2, failed=0, skipped=0, elapsed=1.0)
    assert cli_batch.progress_text("test", later).startswith("test: 2/7 · 2 ok · ")
