"""Current New API's own upstream model updates: the probe, the client against the emulated server
(the detector's rules included), the channel form's switches, the CLI, and servers without them."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import AsyncIterator

import pytest

from tui_channels.backends.base import Operation
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.newapi.upstream import APPLY
from tui_channels.cli import main
from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.demo.newapi.upstream_updates import (
    CHECK,
    DETECTED,
    IGNORED,
    REMOVED,
    settings_of,
    store_settings,
)
from tui_channels.errors import NotSupported, RequestRejected
from tui_channels.secret_store import env_var_name
from tui_channels.services.channel_form import ChannelForm, FormMode
from tui_channels.services.results import Outcome
from tui_channels.services.upstream_updates import (
    LEFT_AS_IT_IS,
    ChannelDecisions,
    Decision,
    ModelChange,
    apply_operation,
    by_channel,
    proposed,
    stripped,
    wait_for_task,
)

from .batch_helpers import run_batch

_names = itertools.count(1)
UPSTREAM = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "text-embedding-3-small", "o3"]


@pytest.fixture
def site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_newapi(f"upstream-{next(_names)}", flavor="newapi", channels=12)


@pytest.fixture
async def backend(site: DemoSite) -> AsyncIterator[NewApiBackend]:
    client = NewApiBackend(
        site.url, access_token=site.secret, user_id=site.user_id, retry=RetryPolicy(base_delay=0.01)
    )
    await client.connect()
    yield client
    await client.close()


def watched(gateway: DemoGateway, site: DemoSite, channel_id: int, *, models: str, mapping: str = "") -> None:
    """Channel `channel_id`: enabled, checked by the server, with `models`, `mapping` and the test upstream."""
    row = site.server.store[channel_id]
    key = f"sk-upstream-{site.name}-{channel_id}"
    gateway.upstream.key_models[key] = list(UPSTREAM)
    row.update(status=1, type=1, key=key, models=models, model_mapping=mapping)
    store_settings(row, {CHECK: True, IGNORED: ["regex:^text-"]})


async def test_the_probe_finds_the_routes_on_current_servers_only(
    gateway: DemoGateway, backend: NewApiBackend
) -> None:
    capabilities = backend.capabilities
    assert capabilities.supports(Operation.UPSTREAM_UPDATES)
    assert "upstream" in capabilities.columns
    assert capabilities.field("upstream_model_update_check_enabled").within == "settings"
    for flavor in ("newapi-legacy", "oneapi", "veloera"):
        other = gateway.add_newapi(f"upstream-{flavor}-{next(_names)}", flavor=flavor, channels=3)
        client = NewApiBackend(other.url, access_token=other.secret, user_id=other.user_id)
        caps = await client.connect()
        assert not caps.supports(Operation.UPSTREAM_UPDATES) and "upstream" not in caps.columns
        with pytest.raises(NotSupported, match="does not support upstream model updates"):
            await client.detect_upstream_updates(1)
        await client.close()


async def test_detect_follows_the_server_rules(
    gateway: DemoGateway, site: DemoSite, backend: NewApiBackend
) -> None:
    """Mapping sources are aliases (never removed), mapping targets are never added, ignored names stay out."""
    watched(gateway, site, 1, models="gpt-4o,gone-model,my-alias", mapping='{"my-alias": "gpt-4.1"}')
    found = await backend.detect_upstream_updates(1)
    assert found.add == ("gpt-4o-mini", "o3")
    assert found.remove == ("gone-model",)
    channel = await backend.get_channel(1)
    assert channel.upstream is not None and channel.upstream.added == found.add
    assert channel.upstream.removed == ("gone-model",) and channel.upstream.checks


async def test_apply_adds_removes_and_ignores_only_what_was_found(
    gateway: DemoGateway, site: DemoSite, backend: NewApiBackend
) -> None:
    watched(gateway, site, 2, models="gpt-4o,gone-model")
    await backend.detect_upstream_updates(2)
    done = await backend.apply_upstream_updates(
        2, add=["o3", "not-found"], remove=["gone-model"], ignore=["gpt-4o-mini"]
    )
    assert done.added == ("o3",) and done.removed == ("gone-model",) and done.ignored == ("gpt-4o-mini",)
    row = site.server.record(2)
    assert row["models"].split(",") == ["gpt-4o", "o3"]
    settings = settings_of(row)
    assert "gpt-4o-mini" in settings[IGNORED] and settings[DETECTED] == ["gpt-4.1"] and not settings.get(REMOVED)
    again = await backend.detect_upstream_updates(2)
    assert "gpt-4o-mini" not in again.add, "an ignored model is not proposed again"


async def test_check_all_runs_as_a_task_and_apply_all(
    gateway: DemoGateway, site: DemoSite, backend: NewApiBackend
) -> None:
    for row in site.server.store.values():
        store_settings(row, {})
    watched(gateway, site, 3, models="gpt-4o")
    watched(gateway, site, 4, models="gpt-4o,gone-model")
    checking = threading.Event()
    gateway.upstream.key_holds[site.server.store[3]["key"]] = checking
    task_id = await backend.start_upstream_check_all()
    with pytest.raises(RequestRejected, match="已有模型更新任务"):
        await backend.start_upstream_check_all()
    checking.set()
    task = await wait_for_task(backend, task_id, interval=0.05)
    assert task is not None and task.status == "succeeded"
    assert task.result["checked_channels"] == 2 and task.result["changed_channels"] == 2
    report = await backend.apply_all_upstream_updates()
    assert report.channels == 2 and report.removed == 1
    assert site.server.record(4)["models"].split(",") == ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3"]


async def test_the_form_edits_the_switches_inside_settings_and_keeps_the_findings(
    gateway: DemoGateway, site: DemoSite, backend: NewApiBackend
) -> None:
    watched(gateway, site, 5, models="gpt-4o")
    await backend.detect_upstream_updates(5)
    channel = await backend.get_channel(5)
    form = ChannelForm(backend.capabilities, FormMode.EDIT, channel)
    values = dict(form.initial)
    assert values["upstream_model_update_check_enabled"] is True
    assert values["upstream_model_update_ignored_models"] == ("regex:^text-",)
    values["upstream_model_update_auto_sync_enabled"] = True
    values["upstream_model_update_ignored_models"] = ("regex:^text-", "o3")
    changes = form.changes(values)
    assert set(changes) == {"upstream_model_update_auto_sync_enabled", "upstream_model_update_ignored_models"}
    await backend.update_channel(channel, changes)
    settings = settings_of(site.server.record(5))
    assert settings["upstream_model_update_auto_sync_enabled"] is True
    assert settings[IGNORED] == ["regex:^text-", "o3"]
    assert settings[DETECTED] == ["gpt-4o-mini", "gpt-4.1", "o3"], "what the server found meanwhile is kept"


def test_decisions_per_channel() -> None:
    changes = [
        ModelChange(1, "a", True),
        ModelChange(1, "b", True, Decision.IGNORE),
        ModelChange(1, "c", False),
        ModelChange(2, "d", True, Decision.LEAVE),
        ModelChange(2, "e", False, Decision.LEAVE),
    ]
    decided = by_channel(changes)
    assert set(decided) == {1}
    assert (decided[1].add, decided[1].remove, decided[1].ignore) == (("a",), ("c",), ("b",))
    assert ModelChange(1, "x", False).cycled().decision is Decision.LEAVE
    assert ModelChange(1, "x", True, Decision.IGNORE).cycled().decision is Decision.LEAVE
    assert proposed([]) == []


def test_cli_upstream(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    site = gateway.add_newapi("cli-upstream", flavor="newapi", channels=8)
    legacy = gateway.add_newapi("cli-upstream-legacy", flavor="newapi-legacy", channels=3)
    for row in site.server.store.values():
        store_settings(row, {})
    watched(gateway, site, 1, models="gpt-4o,gone-model")
    profiles = [SiteProfile(name=s.name, kind="newapi", url=s.url, user_id=s.user_id) for s in (site, legacy)]
    for each in (site, legacy):
        monkeypatch.setenv(env_var_name(each.name), each.secret)
    save_config(AppConfig(sites=profiles))

    assert main(["channels", "upstream", "check", "--site", site.name, "--ids", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "id": 1,
            "name": site.server.record(1)["name"],
            "added": ["gpt-4o-mini", "gpt-4.1", "o3"],
            "removed": ["gone-model"],
        }
    ]
    assert main(["channels", "upstream", "list", "--site", site.name, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in listed] == [1] and listed[0]["removed"] == ["gone-model"]
    assert (
        main(["channels", "upstream", "apply", "--site", site.name, "--ids", "1", "--ignore-added", "--dry-run"])
        == 0
    )
    assert "would apply" in capsys.readouterr().out
    assert site.server.record(1)["models"] == "gpt-4o,gone-model"
    assert main(["channels", "upstream", "apply", "--site", site.name, "--all"]) == 0
    assert site.server.record(1)["models"].split(",") == ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3"]
    assert main(["channels", "upstream", "check", "--site", site.name, "--all"]) == 0
    assert "succeeded: 1 channel checked" in capsys.readouterr().out

    assert main(["channels", "upstream", "list", "--site", legacy.name]) == 1
    assert "New API (legacy) does not support upstream model updates." in capsys.readouterr().err
    assert main(["channels", "upstream", "apply", "--site", site.name]) == 2


def test_cli_apply_goes_on_past_a_refused_channel_and_exits_1(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    site = gateway.add_newapi("cli-upstream-refused", flavor="newapi", channels=4)
    for row in site.server.store.values():
        store_settings(row, {})
    watched(gateway, site, 1, models="gpt-4o")
    watched(gateway, site, 2, models="gpt-4o")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[SiteProfile(name=site.name, kind="newapi", url=site.url, user_id=site.user_id)]))
    assert main(["channels", "upstream", "check", "--site", site.name, "--ids", "1,2"]) == 0
    capsys.readouterr()
    refusal = {"success": False, "message": "channel is being updated"}
    site.faults.add(FaultKind.BODY, APPLY, method="POST", times=1, body=refusal)

    assert main(["channels", "upstream", "apply", "--site", site.name, "--ids", "1,2", "--json"]) == 1
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert "channel is being updated" in rows[1]["error"] and "models_after" not in rows[1]
    assert "error" not in rows[2] and "gpt-4o-mini" in rows[2]["models_after"]
    assert site.server.record(2)["models"] != "gpt-4o"


async def test_apply_all_is_safe_to_run_twice(
    gateway: DemoGateway, site: DemoSite, backend: NewApiBackend
) -> None:
    for row in site.server.store.values():
        store_settings(row, {})
    first, second = await asyncio.gather(
        backend.apply_all_upstream_updates(), backend.apply_all_upstream_updates()
    )
    assert first.channels == second.channels == 0


def test_findings_that_would_empty_a_channel_are_never_applied(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """An upstream listing nothing makes the server find every model gone (as New API 2026-08 does):
    `apply --ids` and `apply --all` leave that channel as it is, name it and exit 1; the others apply."""
    site = gateway.add_newapi("cli-upstream-empty", flavor="newapi", channels=6)
    for row in site.server.store.values():
        store_settings(row, {})
    watched(gateway, site, 1, models="gpt-4o,gone-model")
    watched(gateway, site, 2, models="gpt-4o,gone-model")
    gateway.upstream.key_models[site.server.store[1]["key"]] = []
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[SiteProfile(name=site.name, kind="newapi", url=site.url, user_id=site.user_id)]))

    assert main(["channels", "upstream", "check", "--site", site.name, "--ids", "1,2"]) == 0
    assert settings_of(site.server.record(1))[REMOVED] == ["gpt-4o", "gone-model"]
    capsys.readouterr()
    assert main(["channels", "upstream", "apply", "--site", site.name, "--ids", "1"]) == 1
    assert "the upstream listed no models" in capsys.readouterr().err
    assert site.server.record(1)["models"] == "gpt-4o,gone-model"
    assert main(["channels", "upstream", "apply", "--site", site.name, "--all"]) == 1
    assert "left as it is" in capsys.readouterr().out
    assert site.server.record(1)["models"] == "gpt-4o,gone-model"
    assert site.server.record(2)["models"].split(",") == ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3"]


async def test_the_review_leaves_the_removals_that_would_empty_a_channel_pending(
    gateway: DemoGateway, site: DemoSite, backend: NewApiBackend
) -> None:
    watched(gateway, site, 5, models="gpt-4o,gone-model")
    gateway.upstream.key_models[site.server.store[5]["key"]] = []
    await backend.detect_upstream_updates(5)
    channel = await backend.get_channel(5)
    assert stripped([channel]) == [channel]
    changes = proposed([channel])
    assert {c.decision for c in changes} == {Decision.LEAVE}
    forced = {5: ChannelDecisions(remove=("gpt-4o", "gone-model"))}
    [result] = await run_batch([channel], apply_operation(backend, forced))
    assert result.outcome is Outcome.FAILED and result.message == LEFT_AS_IT_IS
    assert site.server.record(5)["models"] == "gpt-4o,gone-model"
