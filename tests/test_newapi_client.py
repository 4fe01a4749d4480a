"""The New API family client against the demo gateway's emulated servers, over real HTTP."""

from __future__ import annotations

import importlib.abc
import itertools
import socket
import sys

import pytest

from tui_channels.backends.base import Operation
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import (
    AuthError,
    BadResponse,
    NotSupported,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
    TLSFailure,
    Unreachable,
)
from tui_channels.models import ChannelSpec, ChannelStatus
from tui_channels.services.batch import BatchRun
from tui_channels.services.connectivity import connectivity_operation
from tui_channels.services.results import Outcome

from .backend_helpers import HUNG_SERVER_TIMEOUT

FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=5)
_names = itertools.count()


def new_site(gateway: DemoGateway, flavor: str = "newapi", channels: int = 30, **options) -> DemoSite:
    return gateway.add_newapi(f"na-{flavor}-{next(_names)}", flavor=flavor, channels=channels, **options)


async def connected(site: DemoSite, **options) -> NewApiBackend:
    options.setdefault("retry", FAST_RETRY)
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id, **options)
    await backend.connect()
    return backend


@pytest.fixture
async def current(gateway: DemoGateway):
    site = new_site(gateway)
    backend = await connected(site)
    yield site, backend
    await backend.close()


# -- detection and listing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "label", "wrapped"),
    [
        ("newapi", "New API", True),
        ("newapi-legacy", "New API (legacy)", False),
        ("oneapi", "One API", False),
        ("veloera", "Veloera", False),
    ],
)
async def test_flavor_is_detected_from_status_and_page_shape(gateway, flavor, label, wrapped):
    site = new_site(gateway, flavor)
    backend = await connected(site)
    try:
        caps = backend.capabilities
        assert caps.flavor == flavor
        assert caps.flavor_label == label
        assert caps.supports(Operation.COPY) is wrapped
        assert caps.version != "unknown"
    finally:
        await backend.close()


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy", "oneapi", "veloera"])
async def test_list_returns_every_channel_once_for_each_pagination_style(gateway, flavor):
    site = new_site(gateway, flavor, channels=237)
    backend = await connected(site)
    progress: list[tuple[int, int | None]] = []
    try:
        channels = await backend.list_channels(lambda done, total: progress.append((done, total)))
    finally:
        await backend.close()
    assert sorted(c.id for c in channels) == sorted(site.server.store)
    assert progress[-1][0] == 237
    pages = [r for r in site.stats.requests("GET", "/api/channel/") if "page_size=100" in r.query]
    if flavor == "oneapi":
        # fixed pages of 10, 0-based: 24 pages, the last one short, no extra empty request
        assert len(pages) == 24
        assert [r.query.split("p=")[1].split("&")[0] for r in pages][:3] == ["0", "1", "2"]
    elif flavor == "newapi":
        assert len(pages) == 3 and all("p=0" not in r.query for r in pages)
    else:
        assert len(pages) == 3


class ImportWatch(importlib.abc.MetaPathFinder):
    """Records every module looked up (one not loaded yet, or one that failed to import before)."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(self, fullname, path, target=None):
        self.looked_up.append(fullname)
        return None


async def test_requests_look_for_no_module_once_connected(current, monkeypatch):
    """A failed import is not remembered: a request that tries one (httpcore's check for sniffio,
    when it is not installed) searches sys.path again for every lock and event of every request."""
    _site, backend = current
    await backend.list_channels()
    watch = ImportWatch()
    monkeypatch.setattr(sys, "meta_path", [watch, *sys.meta_path])
    await backend.list_channels()
    assert watch.looked_up == []


async def test_a_listing_keeps_one_copy_of_each_repeated_text_value(current):
    """Every channel keeps its record: equal texts (base URLs, groups, model lists, empty settings)
    across a listing's records are one string, not one per record."""
    _site, backend = current
    channels = await backend.list_channels()
    first: dict[str, str] = {}
    repeated = 0
    for channel in channels:
        for field, value in channel.raw.items():
            if isinstance(value, str) and value:
                repeated += value in first
                assert first.setdefault(value, value) is value, field
    assert repeated > len(channels)


async def test_list_stops_on_a_full_last_page_for_zero_based_servers(gateway):
    site = new_site(gateway, "newapi-legacy", channels=200)
    backend = await connected(site)
    try:
        channels = await backend.list_channels()
    finally:
        await backend.close()
    assert len(channels) == 200
    pages = [r for r in site.stats.requests("GET", "/api/channel/") if "page_size=100" in r.query]
    assert len(pages) == 3  # two full pages, then an empty one ends the listing


async def test_channel_fields_are_mapped(current):
    site, backend = current
    channels = {c.id: c for c in await backend.list_channels()}
    record = site.server.record(7)
    channel = channels[7]
    assert channel.name == record["name"]
    assert channel.type.code == record["type"] and channel.type.known
    assert channel.models == tuple(m for m in record["models"].split(",") if m)
    assert channel.groups == tuple(record["group"].split(","))
    assert channel.key is None  # New API never returns keys
    assert channel.raw["model_mapping"] == record["model_mapping"]
    expected = {1: ChannelStatus.ENABLED, 2: ChannelStatus.MANUALLY_DISABLED, 3: ChannelStatus.AUTO_DISABLED}
    assert all(c.status is expected[site.server.record(c.id)["status"]] for c in channels.values())


async def test_unknown_type_number_shows_as_unknown(current):
    site, backend = current
    site.server.store[3]["type"] = 999
    channel = await backend.get_channel(3)
    assert channel.type.name == "Unknown (999)"
    assert channel.type.code == 999


async def test_search_and_get(current):
    site, backend = current
    name = site.server.record(5)["name"]
    found = await backend.search_channels(name)
    assert 5 in {c.id for c in found}
    assert (await backend.get_channel(5)).name == name


# -- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("flavor", "wrapped"), [("newapi", True), ("newapi-legacy", False), ("oneapi", False)])
async def test_create_sends_the_body_shape_of_the_flavor(gateway, flavor, wrapped):
    site = new_site(gateway, flavor, channels=5)
    backend = await connected(site)
    spec = ChannelSpec(
        name="created-here",
        type=1,
        key="sk-created-000000000000",
        base_url=f"{gateway.upstream_url}/p/openai",
        models=("gpt-4o", "gpt-4o-mini"),
        groups=("default", "vip"),
        priority=3,
        weight=7,
    )
    try:
        channel = await backend.create_channel(spec)
    finally:
        await backend.close()
    body = site.stats.requests("POST", "/api/channel/")[-1].json()
    assert ("channel" in body and body["mode"] == "single") is wrapped
    stored = site.server.record(channel.id)
    assert stored["name"] == "created-here"
    assert stored["key"] == "sk-created-000000000000"
    assert stored["models"] == "gpt-4o,gpt-4o-mini"
    assert stored["group"] == "default,vip"
    assert channel.models == ("gpt-4o", "gpt-4o-mini")


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy"])
async def test_a_multi_line_key_never_becomes_several_channels(gateway, flavor):
    site = new_site(gateway, flavor, channels=5)
    backend = await connected(site)
    try:
        with pytest.raises(RequestRejected, match="several lines"):
            await backend.create_channel(ChannelSpec(name="two-keys", type=1, key="sk-one\nsk-two"))
    finally:
        await backend.close()
    assert len(site.server.store) == 5
    assert not site.stats.requests("POST", "/api/channel/")


async def test_a_multi_key_channel_is_one_channel_on_current_servers(current):
    site, backend = current
    before = len(site.server.store)
    spec = ChannelSpec(
        name="pooled", type=1, key="sk-one-0000\nsk-two-0000", extra={"multi_key_mode": "polling"}
    )
    channel = await backend.create_channel(spec)
    assert len(site.server.store) == before + 1
    assert site.server.record(channel.id)["channel_info"]["is_multi_key"] is True


async def test_create_disabled_channel(current):
    site, backend = current
    channel = await backend.create_channel(
        ChannelSpec(name="born-off", type=1, key="sk-x-000000", status=ChannelStatus.MANUALLY_DISABLED)
    )
    assert channel.status is ChannelStatus.MANUALLY_DISABLED
    assert site.server.record(channel.id)["status"] == 2


# -- update -----------------------------------------------------------------------------------


async def test_update_sends_only_changed_fields_and_unknown_fields_survive(current):
    site, backend = current
    stored = site.server.store[9]
    stored.update(
        model_mapping='{"gpt-4": "gpt-4o"}',
        param_override='{"temperature": 0.2}',
        setting='{"proxy": "socks5://127.0.0.1:1080"}',
        remark="keep me",
        header_override='{"X-Team": "a"}',
    )
    before = site.server.record(9)
    channel = await backend.get_channel(9)
    updated = await backend.update_channel(channel, {"name": "renamed-9", "priority": 42})
    body = site.stats.requests("PUT", "/api/channel/")[-1].json()
    assert body == {"id": 9, "name": "renamed-9", "priority": 42}
    after = site.server.record(9)
    assert after["name"] == "renamed-9" and after["priority"] == 42
    for field in ("model_mapping", "param_override", "setting", "remark", "header_override", "key", "models", "group"):
        assert after[field] == before[field], field
    assert updated.name == "renamed-9"


async def test_update_never_sends_status_or_an_empty_or_masked_key(current):
    site, backend = current
    channel = await backend.get_channel(11)
    key_before = site.server.record(11)["key"]
    await backend.update_channel(
        channel, {"key": "", "weight": 5, "status": ChannelStatus.MANUALLY_DISABLED}
    )
    await backend.update_channel(channel, {"key": "sk-a••••••••wxyz", "weight": 6})
    for body in (r.json() for r in site.stats.requests("PUT", "/api/channel/")):
        assert "status" not in body and "key" not in body
    assert site.server.record(11)["key"] == key_before
    assert site.server.record(11)["status"] == 2  # through POST /:id/status


async def test_update_with_a_new_key_sends_it(current):
    site, backend = current
    channel = await backend.get_channel(12)
    await backend.update_channel(channel, {"key": "sk-brand-new-0001"})
    assert site.server.record(12)["key"] == "sk-brand-new-0001"


async def test_update_refuses_to_clear_a_field_the_server_cannot_clear(current):
    _site, backend = current
    channel = await backend.get_channel(13)
    with pytest.raises(RequestRejected, match="cannot clear 'models'"):
        await backend.update_channel(channel, {"models": ()})


async def test_update_unknown_fields_survive_on_legacy(gateway):
    site = new_site(gateway, "newapi-legacy", channels=10)
    site.server.store[4].update(param_override='{"top_p": 0.9}', model_mapping='{"a": "b"}')
    backend = await connected(site)
    try:
        channel = await backend.get_channel(4)
        await backend.update_channel(channel, {"models": ("gpt-4o",)})
    finally:
        await backend.close()
    after = site.server.record(4)
    assert after["models"] == "gpt-4o"
    assert after["param_override"] == '{"top_p": 0.9}' and after["model_mapping"] == '{"a": "b"}'


# -- enable / disable ---------------------------------------------------------------------------


async def test_enable_disable_uses_the_status_route_on_current(current):
    site, backend = current
    await backend.set_status(14, False)
    assert site.server.record(14)["status"] == 2
    await backend.set_status(14, True)
    assert site.server.record(14)["status"] == 1
    assert len(site.stats.requests("POST", "/api/channel/14/status")) == 2
    assert not site.stats.requests("PUT", "/api/channel/")


@pytest.mark.parametrize("flavor", ["newapi-legacy", "veloera"])
async def test_enable_disable_falls_back_to_put_on_legacy(gateway, flavor):
    site = new_site(gateway, flavor, channels=10)
    backend = await connected(site)
    try:
        await backend.set_status(3, False)
        await backend.set_status(4, False)
        await backend.set_status(3, True)
    finally:
        await backend.close()
    assert site.server.record(3)["status"] == 1
    assert site.server.record(4)["status"] == 2
    assert len(site.stats.requests("POST", "/api/channel/*/status")) == 1  # probed once, remembered
    puts = [r.json() for r in site.stats.requests("PUT", "/api/channel/")]
    assert puts == [{"id": 3, "status": 2}, {"id": 4, "status": 2}, {"id": 3, "status": 1}]


async def test_one_api_toggles_status_with_put_without_probing(gateway):
    site = new_site(gateway, "oneapi", channels=10)
    backend = await connected(site)
    try:
        await backend.set_status(2, False)
    finally:
        await backend.close()
    assert site.server.record(2)["status"] == 2
    assert not site.stats.requests("POST", "/api/channel/*/status")


# -- delete -------------------------------------------------------------------------------------


async def test_delete_one_many_and_disabled(current):
    site, backend = current
    await backend.delete_channel(1)
    assert 1 not in site.server.store
    assert await backend.delete_channels([2, 3]) == 2
    assert 2 not in site.server.store and 3 not in site.server.store
    disabled = [i for i, r in site.server.store.items() if r["status"] in (2, 3)]
    assert await backend.delete_disabled() == len(disabled)
    assert all(r["status"] == 1 for r in site.server.store.values())


async def test_batch_delete_falls_back_to_one_by_one_on_one_api(gateway):
    site = new_site(gateway, "oneapi", channels=10)
    backend = await connected(site)
    try:
        assert await backend.delete_channels([4, 5]) == 2
    finally:
        await backend.close()
    assert 4 not in site.server.store and 5 not in site.server.store
    assert len(site.stats.requests("DELETE", "/api/channel/*")) == 2


# -- upstream-facing --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["newapi", "newapi-enveloped", "newapi-legacy"])
async def test_connectivity_test_reports_time_and_failures(gateway, shape):
    """Time and error code at the top level (current and legacy builds) or inside the envelope's
    data (reported from newer builds): both shapes are read."""
    flavor = shape.removesuffix("-enveloped")
    site = new_site(gateway, flavor)
    site.server.checks.enveloped_tests = shape.endswith("-enveloped")
    backend = await connected(site)
    channels = {c.id: c for c in await backend.list_channels()}
    good = next(c for c in channels.values() if "invalid" not in site.server.record(c.id)["key"] and not c.raw.get("channel_info", {}).get("is_multi_key") and c.type.code == 1)
    result = await backend.test_channel(good)
    assert result.ok and result.seconds is not None and result.seconds >= 0
    assert site.server.record(good.id)["response_time"] > 0
    site.server.store[good.id]["key"] = "sk-invalid-key-000"
    failed = await backend.test_channel(good)
    assert not failed.ok
    assert "Incorrect API key" in failed.message
    assert failed.error_code == ("invalid_api_key" if flavor == "newapi" else "")
    assert failed.seconds == 0
    [row] = await BatchRun([good], connectivity_operation(backend)).run()
    assert row.outcome is Outcome.FAILED and "Incorrect API key" in row.message
    assert row.message.endswith("(error code invalid_api_key)") == (flavor == "newapi")
    await backend.close()


async def test_fetch_models_saved_and_adhoc(current, gateway):
    site, backend = current
    gateway.upstream.key_models["sk-only-two-models"] = ["alpha", "beta"]
    channel = await backend.get_channel(15)
    site.server.store[15]["key"] = "sk-only-two-models"
    assert await backend.fetch_models(channel) == ["alpha", "beta"]
    models = await backend.fetch_models_adhoc(1, f"{gateway.upstream_url}/p/deepseek", "sk-any-0000")
    assert models == ["deepseek-chat", "deepseek-reasoner"]


async def test_balance_is_read_from_the_top_level(current):
    site, backend = current
    channel_id = next(
        i
        for i, r in site.server.store.items()
        if r["type"] == 1
        and not r.get("channel_info", {}).get("is_multi_key")
        and not any(word in r["key"] for word in ("invalid", "broken"))
    )
    balance = await backend.update_balance(channel_id)
    assert balance == pytest.approx(site.server.record(channel_id)["balance"])


async def test_groups_tags_and_copy(current):
    site, backend = current
    assert "default" in await backend.list_groups()
    await backend.set_tag([16, 17], "night-shift")
    assert site.server.record(16)["tag"] == site.server.record(17)["tag"] == "night-shift"
    await backend.set_tag_status("night-shift", False)
    assert site.server.record(16)["status"] == site.server.record(17)["status"] == 2
    await backend.set_tag_status("night-shift", True)
    assert site.server.record(16)["status"] == 1
    new_id = await backend.copy_channel(18, suffix="-copy")
    assert site.server.record(new_id)["name"] == site.server.record(18)["name"] + "-copy"
    assert site.server.record(new_id)["key"] == site.server.record(18)["key"]


async def test_operations_a_flavor_lacks_raise_not_supported_with_the_reason(gateway):
    site = new_site(gateway, "oneapi", channels=3)
    backend = await connected(site)
    try:
        with pytest.raises(NotSupported, match="One API"):
            await backend.copy_channel(1)
        with pytest.raises(NotSupported, match="One API"):
            await backend.fetch_models_adhoc(1, "http://x", "sk-x")
    finally:
        await backend.close()


# -- auth and faults --------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy", "oneapi", "veloera"])
async def test_a_wrong_token_is_an_auth_error_without_the_token_in_it(gateway, flavor):
    site = new_site(gateway, flavor, channels=3)
    backend = NewApiBackend(site.url, access_token="wrong-token-123456", user_id=site.user_id, retry=FAST_RETRY)
    try:
        with pytest.raises(AuthError) as caught:
            await backend.connect()
    finally:
        await backend.close()
    assert "wrong-token-123456" not in str(caught.value)
    assert "access token" in str(caught.value)


async def test_a_wrong_user_id_is_refused_on_legacy(gateway):
    site = new_site(gateway, "newapi-legacy", channels=3)
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id + 1, retry=FAST_RETRY)
    try:
        with pytest.raises(AuthError):
            await backend.connect()
    finally:
        await backend.close()


async def test_admin_without_sensitive_write_gets_permission_denied(gateway):
    site = new_site(gateway, "newapi", channels=5, role="admin")
    backend = await connected(site)
    try:
        with pytest.raises(PermissionDenied, match="sensitive_write"):
            await backend.create_channel(ChannelSpec(name="nope", type=1, key="sk-nope-0000"))
        channel = await backend.get_channel(2)
        with pytest.raises(PermissionDenied):
            await backend.update_channel(channel, {"base_url": "http://elsewhere"})
        renamed = await backend.update_channel(channel, {"name": "allowed-rename"})
        assert renamed.name == "allowed-rename"
    finally:
        await backend.close()


FAULT_CASES = [
    ("unauthorized", {}, AuthError, "access token"),
    ("expired", {}, AuthError, "access token"),
    ("forbidden", {}, PermissionDenied, "permission"),
    ("server_error", {}, ServerError, r"\(HTTP 500\): internal server error\. See the gateway's logs"),
    ("html", {}, BadResponse, "check the base URL"),
    ("malformed_json", {}, BadResponse, "malformed JSON"),
]


@pytest.mark.parametrize(("kind", "options", "error", "text"), FAULT_CASES)
async def test_faults_map_to_typed_errors(current, kind, options, error, text):
    site, backend = current
    site.faults.add(kind, "/api/channel/5", **options)
    with pytest.raises(error, match=text):
        await backend.get_channel(5)


async def test_a_failed_model_fetch_points_at_the_upstream_not_the_gateway(current, gateway):
    site, backend = current
    channel = await backend.get_channel(15)
    site.server.store[15]["key"] = "sk-invalid-upstream-key"
    with pytest.raises(RequestRejected) as caught:
        await backend.fetch_models(channel)
    assert caught.value.title == "Upstream failed"
    assert caught.value.message.startswith("The upstream did not list its models (")
    assert "Check the channel's base URL and key" in caught.value.message and "gateway" not in caught.value.message


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy"])
async def test_test_all_says_what_the_server_started(gateway, flavor):
    site = new_site(gateway, flavor)
    backend = await connected(site)
    said = await backend.test_all()
    if flavor == "newapi":
        assert said.startswith("task task_") and said.endswith(", queued")
    else:
        assert said == ""  # a bare success: nothing to add, no invented "started"
    await backend.close()


async def test_missing_route_is_not_supported(current):
    site, backend = current
    with pytest.raises(NotSupported, match="/api/channel/:id"):
        await backend._call("GET", "/api/channel/5/nothing-here", action="probe")


async def test_429_with_retry_after_then_success_completes(current):
    site, backend = current
    site.faults.add("rate_limit", "/api/channel/5", times=2, retry_after=0.05)
    channel = await backend.get_channel(5)
    assert channel.id == 5
    assert len(site.stats.requests("GET", "/api/channel/5")) == 3


async def test_429_without_retry_after_backs_off_then_succeeds(current):
    site, backend = current
    site.faults.add("rate_limit", "/api/channel/6", times=1)
    assert (await backend.get_channel(6)).id == 6


async def test_429_that_persists_is_rate_limited_once_the_wait_passes_max_wait(gateway):
    site = new_site(gateway, channels=8)
    # max_wait is wall time: 3 s against 0.25 s waits leaves each request a second of CPU
    # on a loaded machine and still asks for more requests than max_retries allows.
    backend = await connected(site, retry=RetryPolicy(base_delay=0.01, max_delay=0.05, max_wait=3.0))
    site.faults.add("rate_limit", "/api/channel/6", times=None, retry_after=0.25)
    with pytest.raises(RateLimited, match=r"kept refusing requests \(HTTP 429\)") as caught:
        await backend.get_channel(6)
    await backend.close()
    assert caught.value.retry_after == pytest.approx(0.25)
    assert len(site.stats.requests("GET", "/api/channel/6")) > FAST_RETRY.max_retries + 1  # 429s use no retry


async def test_an_hour_long_retry_after_is_not_waited_out(current):
    site, backend = current
    site.faults.add("rate_limit", "/api/channel/6", times=None, retry_after=3600)
    with pytest.raises(RateLimited, match=r"asks to wait 60 min \(until \d\d:\d\d:\d\d\)"):
        await backend.get_channel(6)
    assert len(site.stats.requests("GET", "/api/channel/6")) == 1


async def test_a_hang_past_the_timeout_is_a_timeout(gateway):
    site = new_site(gateway, channels=3)
    backend = await connected(site, timeout=HUNG_SERVER_TIMEOUT)
    site.faults.add("hang", "/api/channel/2")
    try:
        with pytest.raises(RequestTimeout, match="did not answer"):
            await backend.get_channel(2)
    finally:
        await backend.close()


async def test_latency_is_tolerated(current):
    site, backend = current
    site.faults.add("latency", "/api/channel/4", delay=0.2)
    assert (await backend.get_channel(4)).id == 4


async def test_unreachable_host():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = NewApiBackend(f"http://127.0.0.1:{port}", access_token="t", user_id=1, retry=FAST_RETRY)
    try:
        with pytest.raises(Unreachable, match="Check the URL"):
            await backend.connect()
    finally:
        await backend.close()


async def test_tls_failure(current):
    site, _backend = current
    backend = NewApiBackend(site.url.replace("http://", "https://"), access_token="t", user_id=1, retry=FAST_RETRY)
    try:
        with pytest.raises(TLSFailure, match="TLS"):
            await backend.connect()
    finally:
        await backend.close()
