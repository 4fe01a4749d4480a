"""Hostile cases about what a server answers: records of the wrong shape or type, pages that cannot be read.

The demo gateway answers its real pages, rewritten on the way out (`FaultKind.REWRITE`) the way a
fork, a newer version or a proxy answers: a model list as a JSON list, an id as a string, a record
that is a string, a record without an id, a `total` that is not a number. What is clear is read,
what cannot be a channel is skipped with a warning naming it, and a page that cannot be read fails
the command with one line and exit status 1; never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.config import AppConfig, save_config
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import env_var_name


from .ui_helpers import demo_profile, main_screen, notices, wait_loaded

CHANNELS = 8


SITES = ["newapi", "newapi-legacy", "octopus-current", "octopus-legacy", "claudecodehub", "axonhub"]
"""One per backend generation with its own list parser."""


@pytest.fixture(scope="module", params=SITES)
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    name = f"hostile-records-{request.param}"
    if request.param.startswith("octopus"):
        return gateway.add_octopus(name, generation=request.param.removeprefix("octopus-"), channels=CHANNELS)
    if request.param == "claudecodehub":
        return gateway.add_claudecodehub(name, channels=CHANNELS)
    if request.param == "axonhub":
        return gateway.add_axonhub(name, channels=CHANNELS)
    return gateway.add_newapi(name, flavor=request.param, channels=CHANNELS)


def list_route(site: DemoSite) -> tuple[str, str]:
    """(method, path) of the site's channel list."""
    if site.flavor.startswith("octopus"):
        return "GET", "/api/v1/channel/list"
    if site.flavor.startswith("claudecodehub"):
        return "GET", "/api/v1/providers"
    if site.flavor.startswith("axonhub"):
        return "POST", "/admin/graphql"
    return "GET", "/api/channel/"


def records_of(body: Any) -> list[Any]:
    """The list of channel records in a list answer, in place; [] for any other answer."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("items"), list):
        return body["items"]
    data = body.get("data")
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return data["items"]
    if not isinstance(data, dict):
        return []
    page = data.get("queryChannels") or data.get("channels")
    return page["edges"] if isinstance(page, dict) and isinstance(page.get("edges"), list) else []


def record_at(records: list[Any], index: int) -> dict[str, Any]:
    """The record itself, inside its GraphQL edge when it has one."""
    record = records[index]
    return record["node"] if "node" in record else record


def odd_but_readable(body: dict[str, Any]) -> dict[str, Any]:
    """Fields of other types than the contract's, a string id, a record that is text, one without id.

    Pages too short to hold the four (the probe of one channel while connecting) pass unchanged.
    """
    records = records_of(body)
    if len(records) < 4:
        return body
    first = record_at(records, 0)
    if "models" in first:
        first["models"], first["group"] = ["gpt-4o", {"id": "o3"}], ["default", "vip"]
        first["priority"], first["balance"] = "7", "12.5"
    elif "model" in first:
        first["model"], first["custom_model"] = ["gpt-4o", {"id": "o3"}], None
    record_at(records, 1)["id"] = str(record_at(records, 1)["id"])
    records[2] = {"node": "not a channel"} if "node" in records[2] else "not a channel"
    del record_at(records, 3)["id"]
    if isinstance(body.get("data"), dict) and "total" in body["data"]:
        body["data"]["total"] = "a lot"
    return body


def unreadable_page(body: dict[str, Any]) -> dict[str, Any]:
    records = records_of(body)
    if len(records) < 2:
        return body
    if "items" in body:
        body["items"] = {"0": records[0]}
    elif isinstance(body["data"], list):
        body["data"] = {"0": records[0]}
    elif "items" in body["data"]:
        body["data"]["items"] = {"0": records[0]}
    else:
        next(iter(body["data"].values()))["edges"] = {"0": records[0]}
    return body


@pytest.fixture
def configured(site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> DemoSite:
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[demo_profile(site)], last_site=site.name))
    return site


def rewriting(site: DemoSite, rewrite: Callable[[Any], Any]) -> Any:
    method, path = list_route(site)
    return site.faults.add(FaultKind.REWRITE, path, method=method, times=None, rewrite=rewrite)


def test_odd_records_are_read_or_skipped_with_a_warning(cli: Callable[..., Any], configured: DemoSite) -> None:
    fault = rewriting(configured, odd_but_readable)
    try:
        result = cli("channels", "list", "--site", configured.name, "--json")
    finally:
        configured.faults.remove(fault)
    assert result.code == 0 and "Traceback" not in result.out + result.err
    channels = json.loads(result.out)
    assert len(channels) == CHANNELS - 2
    if configured.flavor.startswith(("newapi", "octopus")):
        assert channels[0]["models"] == ["gpt-4o", "o3"]
    if configured.flavor.startswith("newapi"):
        assert channels[0]["groups"] == ["default", "vip"] and channels[0]["priority"] == 7
    assert all(isinstance(channel["id"], int) for channel in channels)
    warnings = result.err.strip().splitlines()
    assert warnings == [
        "warning: Channel record #3 (a string) is not a channel object; it was skipped.",
        warnings[1],
    ]
    assert warnings[1].startswith("warning: Channel record #4 (") and " has no usable " in warnings[1]
    assert warnings[1].endswith("; it was skipped.")


def test_a_page_that_cannot_be_read_is_one_line_and_exit_1(cli: Callable[..., Any], configured: DemoSite) -> None:
    fault = rewriting(configured, unreadable_page)
    try:
        result = cli("channels", "list", "--site", configured.name)
    finally:
        configured.faults.remove(fault)
    assert result.code == 1 and "Traceback" not in result.out + result.err
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: Unexpected response: ")


def test_a_batch_runs_over_the_readable_channels(cli: Callable[..., Any], configured: DemoSite) -> None:
    fault = rewriting(configured, odd_but_readable)
    try:
        result = cli("channels", "test", "--site", configured.name, "--all", "--json", "--dry-run")
    finally:
        configured.faults.remove(fault)
    assert result.code == 0, result.err
    assert len(json.loads(result.out)) == CHANNELS - 2
    assert result.err.count("it was skipped.") == 2


async def test_the_app_lists_what_it_can_read_and_says_what_it_skipped(configured: DemoSite) -> None:
    fault = rewriting(configured, odd_but_readable)
    try:
        app = ChannelsApp()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            assert main_screen(app).table.total_count == CHANNELS - 2
            (warning,) = [n for n in notices(app) if n.title == "2 channel records skipped"]
            assert "Channel record #3 (a string)" in warning.message
    finally:
        configured.faults.remove(fault)
