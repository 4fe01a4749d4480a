"""Hostile servers on 127.0.0.1, one per fault class of the network layer, through the command line.

Each case runs the CLI in-process (the last ones: the app) against a demo site whose fault
injection misbehaves the way a broken gateway or proxy does: a trickled answer, a huge one, a body labelled gzip that is not, a
bad charset, a 429 asking to wait an hour, a 429 without `Retry-After` under a real limit, a 502
from the gateway (its JSON verdict) and from a proxy (no JSON), a database error. Each asserts no
traceback (the command returns), one clear error line, and the documented exit code (1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.backends.http import RetryPolicy
from tui_channels.config import AppConfig, SiteProfile, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import env_var_name
from tui_channels.services import verify
from tui_channels.services.sites import LoadState

from .batch_helpers import key_of, newapi_site, octopus_site
from .conftest import CliResult
from .ui_helpers import demo_profile, main_screen, screen_text, wait_loaded

LIST = "/api/channel/"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Callable[..., DemoSite]:
    """Write a config for one site with profile settings, its secret in the environment."""

    def configure(site: DemoSite, **settings: Any) -> DemoSite:
        monkeypatch.setenv(env_var_name(site.name), site.secret)
        profile = SiteProfile(**{**demo_profile(site).model_dump(), **settings})
        save_config(AppConfig(sites=[profile]))
        return site

    return configure


def error_line(result: CliResult) -> str:
    """The one line a failed command prints; fails the test unless there is exactly one."""
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.err
    return lines[0]


# -- answers that never end, or end too big ------------------------------------------------------


def test_a_trickled_answer_hits_the_whole_request_deadline(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=5), timeout=2.0)
    trickle = site.faults.add("trickle", LIST, method="GET", times=None, delay=0.3)
    result = cli("channels", "list", "--site", site.name)
    assert result.code == 1
    line = error_line(result)
    assert line.startswith("error: Timed out:")
    assert "started answering GET /api/channel/ but did not finish within 2 s" in line
    assert trickle.sent >= 2  # bytes kept coming: no read ever waited 2 s, the whole request did


def test_sites_verify_of_a_trickling_server_says_so_and_fails(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=5), timeout=2.0)
    site.faults.add("trickle", LIST, method="GET", times=None, delay=0.3)
    result = cli("sites", "verify", site.name)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("✓ Reachable") and lines[1].startswith("✓ Backend")  # /api/status answered
    assert lines[2].startswith("· Credentials  not checked: the server stopped answering (timed out)")
    assert "did not finish within 2 s" in lines[2]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_answer_past_the_size_cap_is_dropped_unread(gateway: DemoGateway, cli, configured, declared):
    site = configured(newapi_site(gateway, channels=5), max_answer_mb=1)
    huge = site.faults.add("huge_body", LIST, method="GET", times=None, size=50 * 2**20, declare_length=declared)
    result = cli("channels", "list", "--site", site.name)
    assert result.code == 1
    line = error_line(result)
    assert line.startswith("error: Answer too large:")
    assert "more than 1 MB" in line and "max_answer_mb" in line
    assert huge.sent < 20 * 2**20  # the client hung up long before the 50 MB were sent


# -- answers that cannot be decoded --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "options", "expected"),
    [
        ("fake_gzip", {}, "with a body labelled gzip that could not be decoded"),
        ("bad_charset", {"charset": "utf-8"}, "with text that is not valid utf-8"),
        ("bad_charset", {"charset": "x-klingon"}, "in the charset 'x-klingon', which is unknown"),
    ],
)
@pytest.mark.parametrize("command", [("channels", "list"), ("channels", "test", "--all")], ids=["list", "test"])
def test_an_undecodable_answer_is_one_bad_response_line(
    gateway: DemoGateway, cli, configured, fault, options, expected, command
):
    site = configured(newapi_site(gateway, channels=5))
    site.faults.add(fault, LIST, method="GET", times=None, **options)
    result = cli(*command, "--site", site.name)
    assert result.code == 1
    line = error_line(result)
    assert line.startswith("error: Unexpected response:") and expected in line


def test_an_undecodable_octopus_answer_is_one_bad_response_line(gateway: DemoGateway, cli, configured):
    site = configured(octopus_site(gateway, channels=4))
    site.faults.add("fake_gzip", "/api/v1/channel/list", times=None)
    result = cli("channels", "list", "--site", site.name)
    assert result.code == 1
    assert "labelled gzip" in error_line(result)


# -- rate limits ---------------------------------------------------------------------------------


def test_a_429_asking_to_wait_an_hour_stops_the_batch_with_every_channel_accounted_for(
    gateway: DemoGateway, cli, configured
):
    site = configured(newapi_site(gateway, channels=12))
    site.faults.add("rate_limit", "/api/channel/test/*", times=None, retry_after=3600)
    result = cli("channels", "test", "--site", site.name, "--all", "--json", "--concurrency", "1")
    assert result.code == 1
    assert "Traceback" not in result.err
    entries = json.loads(result.out)
    assert len(entries) == 12  # every channel is in the report
    failed = [e for e in entries if e["outcome"] == "failed"]
    not_done = [e for e in entries if e["outcome"] == "cancelled"]
    assert len(failed) == 1 and len(not_done) == 11
    assert "asks to wait 60 min (until " in failed[0]["message"]
    assert all(e["message"].startswith("stopped: rate limited") for e in not_done)
    assert "Not finished (stopped: rate limited" in result.err
    assert "0 done, 1 failed, 11 not done" in result.err
    assert site.stats.count("GET", "/api/channel/test/*") == 1  # nothing was sent after the refusal


def test_a_batch_under_a_limit_without_retry_after_finishes_and_says_it_waited(
    gateway: DemoGateway, cli, configured
):
    site = configured(newapi_site(gateway, flavor="newapi-legacy", channels=30, rate_limit=(12, 3.0)))
    result = cli("channels", "test", "--site", site.name, "--all", "--json")
    entries = json.loads(result.out)
    assert len(entries) == 30 and {e["outcome"] for e in entries} <= {"ok", "failed"}
    assert not any("429" in e["message"] for e in entries)
    assert site.server.limiter.refused > 0
    assert "Waited" in result.err and "budget now" in result.err  # the report says why it took long
    assert "waiting for the request budget" in result.err or "rate limited by the server" in result.err


# -- 502: the gateway's verdict and a proxy's hiccup ---------------------------------------------


def test_a_502_json_model_fetch_failure_is_sent_once(gateway: DemoGateway, cli, configured):
    """Current New API answers a failed upstream model fetch with 502 and its JSON envelope: a
    verdict on the upstream, not a transient fault, so it is neither retried nor retried again."""
    site = configured(newapi_site(gateway, channels=8))
    site.server.store[3]["key"] = "sk-invalid-network-3"
    result = cli("channels", "sync", "--site", site.name, "--ids", "3", "--json")
    assert result.code == 1
    (entry,) = json.loads(result.out)
    assert entry["outcome"] == "failed" and "获取模型列表失败" in entry["message"]
    assert entry["attempts"] == 1
    assert len(site.stats.requests("GET", "/api/channel/fetch_models/3")) == 1


def test_a_proxys_502_is_retried_up_to_the_channels_cap(gateway: DemoGateway, cli, configured):
    site = configured(newapi_site(gateway, channels=8))
    assert "invalid" not in key_of(site, 3)
    site.faults.add("bad_gateway", "/api/channel/fetch_models/3", times=None)
    result = cli("channels", "sync", "--site", site.name, "--ids", "3", "--json")
    assert result.code == 1
    (entry,) = json.loads(result.out)
    assert entry["outcome"] == "failed" and "HTTP 502" in entry["message"]
    assert entry["attempts"] == 3
    assert len(site.stats.requests("GET", "/api/channel/fetch_models/3")) == 3  # one owner, one cap


# -- sites verify tells server trouble from bad credentials --------------------------------------


@pytest.mark.parametrize(
    ("fault", "options", "expected"),
    [
        ("rate_limit", {"retry_after": 3600}, "rate limiting this client (HTTP 429)"),
        ("rate_limit", {}, "rate limiting this client (HTTP 429)"),
        ("server_error", {}, "the server failed (server error)"),
        ("bad_gateway", {}, "the server failed (server error)"),
        ("database_error", {"status": 200}, "the server failed (gateway database error)"),
        ("database_error", {"status": 500}, "the server failed (gateway database error)"),
    ],
)
def test_sites_verify_tells_server_trouble_from_a_credentials_failure(
    gateway: DemoGateway, cli, configured, monkeypatch: pytest.MonkeyPatch, fault, options, expected
):
    # the same retries and the same 429 rule, in hundredths of a second instead of seconds
    quick = RetryPolicy(
        base_delay=0.01, max_delay=0.05, max_wait=0.5, max_wait_source=verify.VERIFY_RETRY.max_wait_source
    )
    monkeypatch.setattr(verify, "VERIFY_RETRY", quick)
    site = configured(newapi_site(gateway, channels=5))
    site.faults.add(fault, LIST, method="GET", times=None, **options)
    result = cli("sites", "verify", site.name)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("✓ Reachable")
    assert lines[1].startswith("✓ Backend")
    assert lines[2].startswith("· Credentials  not checked: ") and expected in lines[2]
    assert "Authentication failed" not in result.out


# -- the app -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "options", "expected"),
    [
        ("fake_gzip", {}, "labelled gzip"),
        ("huge_body", {"declare_length": False}, "more than 1 MB"),
        ("rate_limit", {"retry_after": 3600}, "asks to wait 60 min"),
    ],
)
async def test_the_app_shows_a_hostile_answer_as_one_message_and_keeps_running(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, fault, options, expected
):
    site = newapi_site(gateway, channels=5)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    site.faults.add(fault, LIST, method="GET", times=None, **options)
    profile = SiteProfile(**{**demo_profile(site).model_dump(), "max_answer_mb": 1})
    app = ChannelsApp(config=AppConfig(sites=[profile], last_site=site.name))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        session = main_screen(app).current
        assert session is not None and session.state is LoadState.FAILED
        assert session.error is not None and expected in session.error.message
        assert expected in screen_text(app)
        await pilot.press("question_mark")  # still answering keys
        assert app.is_running
