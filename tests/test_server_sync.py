"""Octopus's own model sync: the client, the emulated servers (both generations), the report, the CLI."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator

import pytest

from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.cli import main
from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.demo.upstream import PROVIDERS
from tui_channels.errors import RequestRejected
from tui_channels.models import ChannelStatus, split_list
from tui_channels.secret_store import env_var_name
from tui_channels.services.server_sync import WouldEmpty, named_failure, run_server_sync, sync_report

from .test_channel_view import make

_names = itertools.count(1)
SYNC = "/api/v1/channel/sync"


@pytest.fixture(params=["current", "legacy"])
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    return gateway.add_octopus(f"server-sync-{next(_names)}", generation=request.param, channels=10)


@pytest.fixture
async def backend(site: DemoSite) -> AsyncIterator[OctopusBackend]:
    client = OctopusBackend(
        site.url, username=site.username or "", password=site.secret, retry=RetryPolicy(base_delay=0.01)
    )
    await client.connect()
    yield client
    await client.close()


def only_auto_sync(site: DemoSite, *channel_ids: int) -> None:
    """Exactly these channels take part, each with a working key and a stale synced model list."""
    for channel_id, record in site.server.channels.items():
        record["auto_sync"] = channel_id in channel_ids
        if channel_id in channel_ids:
            record["model"] = "stale-model"
            record["custom_model"] = "hand-added"
            if site.flavor == "octopus-legacy":
                record["keys"] = [dict(record["keys"][0], enabled=True, channel_key="sk-works-1")]
            else:
                record["key"] = "sk-works-1"


def provider_models(site: DemoSite, channel_id: int) -> list[str]:
    record = site.server.channels[channel_id]
    url = record["base_urls"][0]["url"] if "base_urls" in record else record["base_url"]
    return list(PROVIDERS[url.split("/p/")[1].split("/")[0]])


async def test_sync_replaces_the_synced_models_of_auto_sync_channels_only(
    site: DemoSite, backend: OctopusBackend
) -> None:
    only_auto_sync(site, 1, 2)
    untouched = site.server.record(3)["model"]
    before = await backend.last_server_sync()
    assert before is not None and time.time() - before.timestamp() > 3600

    report = await run_server_sync(backend)

    assert report.problem is None
    assert [r.channel_id for r in report.results] == [1, 2]
    for channel_id in (1, 2):
        record = site.server.record(channel_id)
        assert split_list(record["model"]) == tuple(provider_models(site, channel_id))
        assert record["custom_model"] == "hand-added"
    assert site.server.record(3)["model"] == untouched
    result = report.results[0]
    assert "stale-model" in result.removed_models and "hand-added" not in result.removed_models
    assert set(result.added_models) == set(provider_models(site, 1))
    after = await backend.last_server_sync()
    assert after is not None and abs(after.timestamp() - time.time()) < 60


async def test_current_reports_the_first_failure_after_syncing_the_rest(
    site: DemoSite, backend: OctopusBackend
) -> None:
    only_auto_sync(site, 1, 2)
    record = site.server.channels[1]
    # an upstream that refuses the key lists nothing without an error (both generations, like
    # fetch-model); one that cannot be reached is what the server reports as a failure
    dead = "http://127.0.0.1:9/v1"
    if "base_urls" in record:
        record["base_urls"] = [{"url": dead, "delay": 0}]
    else:
        record["base_url"] = dead

    report = await run_server_sync(backend)

    assert split_list(site.server.record(2)["model"]) == tuple(provider_models(site, 2))
    failed = [r for r in report.results if r.outcome.value == "failed"]
    if site.flavor == "octopus-legacy":
        assert report.problem is None and not failed
    else:
        name = site.server.record(1)["name"]
        assert report.problem and report.problem.startswith(f"failed to fetch models for channel {name}: ")
        assert [r.channel_id for r in failed] == [1]
        assert f'Get "{dead}/models"' in failed[0].message


async def test_a_sync_that_would_empty_a_channel_is_not_started(
    gateway: DemoGateway, site: DemoSite, backend: OctopusBackend
) -> None:
    """A refused key lists nothing without an error, and the server would write that empty list."""
    only_auto_sync(site, 1, 2)
    record = site.server.channels[2]
    if "keys" in record:
        record["keys"] = [dict(record["keys"][0], channel_key="sk-invalid-server-sync")]
    else:
        record["key"] = "sk-invalid-server-sync"
    syncs = len(site.stats.requests("POST", SYNC))

    with pytest.raises(WouldEmpty) as caught:
        await run_server_sync(backend)

    assert caught.value.channels[0].id == 2 and "the upstream listed no models" in caught.value.message
    assert len(site.stats.requests("POST", SYNC)) == syncs
    assert site.server.record(1)["model"] == site.server.record(2)["model"] == "stale-model"


async def test_current_refuses_a_second_run_while_one_is_running(
    gateway: DemoGateway, site: DemoSite, backend: OctopusBackend
) -> None:
    only_auto_sync(site, 1)
    gateway.upstream.key_delays["sk-works-1"] = 1.0  # the first run lasts this long after it reached the server
    try:
        first = asyncio.create_task(backend.server_sync())
        while not site.stats.requests("POST", SYNC):
            await asyncio.sleep(0.005)
        if site.flavor == "octopus-legacy":
            assert await backend.server_sync() is None
        else:
            with pytest.raises(RequestRejected, match="already running a model sync"):
                await backend.server_sync()
        assert await first is None
    finally:
        gateway.upstream.key_delays.pop("sk-works-1")


async def test_the_sync_routes_take_requests_without_a_json_body(site: DemoSite, backend: OctopusBackend) -> None:
    """The sync routes sit outside RequireJSON on the real servers (contract §0)."""
    only_auto_sync(site)
    session = backend._http._client  # the logged-in client, to send a body the backend never would
    answer = await session.post(SYNC, content=b"", headers={"Content-Type": "text/plain"})
    assert answer.json() == {"code": 200, "message": "success"}
    create = await session.post("/api/v1/channel/create", content=b"{}", headers={"Content-Type": "text/plain"})
    assert create.status_code == 415


def test_report_names_the_failed_channel_even_when_its_name_holds_a_colon() -> None:
    before = [make(1, name="a: b", auto_sync=True, models=("x",)), make(2, name="a", auto_sync=True), make(3, name="c")]
    after = [make(1, name="a: b", models=("x",)), make(2, name="a", models=("y",))]
    problem = "failed to fetch models for channel a: b: Get \"http://u\": connection refused"
    assert named_failure(problem, before) == (before[0], 'Get "http://u": connection refused')
    report = sync_report(before, after, problem)
    assert [(r.channel_id, r.outcome.value) for r in report.results] == [(1, "failed"), (2, "ok")]
    assert report.results[1].added_models == ("y",)
    assert report.describe().startswith("1 of 2 auto-sync channels changed: +1 −0 models; the server reported: ")
    assert sync_report([make(4, auto_sync=False)], [], None).describe().startswith("no channel has auto sync on")


def test_report_skips_a_channel_deleted_meanwhile() -> None:
    report = sync_report([make(1, auto_sync=True, status=ChannelStatus.ENABLED)], [], None)
    assert [(r.outcome.value, r.message) for r in report.results] == [("skipped", "deleted while the server synced")]


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_cli_server_sync(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, capsys, generation: str) -> None:
    site = gateway.add_octopus(f"cli-sync-{generation}", generation=generation, channels=6)
    only_auto_sync(site, 2)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[SiteProfile(name=site.name, kind="octopus", url=site.url, username=site.username)]))

    assert main(["channels", "server-sync", "--site", site.name, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [r["channel_id"] for r in document["results"]] == [2]
    assert document["results"][0]["removed_models"] == ["stale-model"]
    assert document["problem"] is None

    site.server.channels[2]["model"] = "stale-model"
    assert main(["channels", "server-sync", "--site", site.name]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "NAME", "RESULT", "CHANGE", "ADDED", "REMOVED"]
    assert f"{site.name}: 1 of 1 auto-sync channel changed" in out


def test_cli_server_sync_on_new_api_says_it_is_not_supported(gateway: DemoGateway, monkeypatch, capsys) -> None:
    site = gateway.add_newapi("cli-sync-newapi", channels=3)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[SiteProfile(name=site.name, kind="newapi", url=site.url, user_id=site.user_id)]))
    assert main(["channels", "server-sync", "--site", site.name]) == 1
    assert "New API does not support server-side model sync." in capsys.readouterr().err
