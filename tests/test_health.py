"""The fleet's health findings, the local record of test results, and cross-site search."""

from __future__ import annotations

import os
from dataclasses import replace

from tui_channels.config import HealthSettings, SiteProfile
from tui_channels.errors import Unreachable
from tui_channels.models import ChannelStatus
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services import test_log
from tui_channels.services.find import Via, find
from tui_channels.services.health import Concern, assess
from tui_channels.services.key_import import channel_name
from tui_channels.services.key_library import UpstreamKey
from tui_channels.services.results import ChannelResult, Outcome
from tui_channels.services.sites import LoadState, SiteSession

from .batch_helpers import key_of
from .test_channel_view import make
from .ui_helpers import demo_profile

NOW = 1_767_000_000
KEY = "sk-shared0123456789abcdef"


def session(name: str, *channels, state: LoadState = LoadState.READY) -> SiteSession:
    profile = SiteProfile(name=name, kind="octopus", url="http://127.0.0.1:9", username="admin")
    found = SiteSession(profile=profile, secrets=SecretStore())
    found.channels = list(channels)
    found.state = state
    return found


def concerns(health, site: str) -> dict[int | None, set[Concern]]:
    found: dict[int | None, set[Concern]] = {}
    for finding in health.findings:
        if finding.site == site:
            found.setdefault(finding.channel_id, set()).add(finding.concern)
    return found


class TestHealth:
    def test_each_concern_is_found_on_its_own_channel(self):
        a = session(
            "a",
            make(1, models=("gpt-4o",)),
            make(2, models=("gpt-4o",), status=ChannelStatus.AUTO_DISABLED),
            make(3, models=("gpt-4o",), response_time_ms=9000),
            make(4, models=("gpt-4o",), balance=0.5, balance_time=NOW - 3600),
            make(5, models=("gpt-4o",), balance=0.0),
            make(6),
            make(7, all_models=True),
        )
        health = assess([a], HealthSettings(slow_ms=5000, low_balance=1.0), {}, now=NOW)
        assert concerns(health, "a") == {
            2: {Concern.AUTO_DISABLED},
            3: {Concern.SLOW},
            4: {Concern.LOW_BALANCE},
            6: {Concern.NO_MODELS},
        }
        slow = next(f for f in health.findings if f.concern is Concern.SLOW)
        assert slow.detail == "9.0 s"

    def test_a_site_that_did_not_load_is_reported_first(self):
        down = session("down", state=LoadState.FAILED)
        down.error = Unreachable("cannot connect to 127.0.0.1:9")
        health = assess([session("a", make(1, models=("m",))), down], HealthSettings(), {}, now=NOW)
        first = health.findings[0]
        assert (first.concern, first.site, first.channel_id) == (Concern.SITE_DOWN, "down", None)
        assert "cannot connect" in first.detail

    def test_one_upstream_on_two_sites_is_found_on_both_and_not_within_one(self):
        a = session("a", make(1, models=("m",), base_url="https://api.x.com/v1", key=KEY))
        b = session("b", make(9, models=("m",), base_url="https://API.x.com", key=f"other\n{KEY}"))
        c = session("c", make(1, models=("m",), base_url="https://api.x.com", key="sk-only-here-0000000"))
        health = assess([a, b, c], HealthSettings(), {}, now=NOW)
        shared = [f for f in health.findings if f.concern is Concern.SHARED_UPSTREAM]
        assert {(f.site, f.channel_id) for f in shared} == {("a", 1), ("b", 9)}
        assert all(KEY not in f.detail for f in shared)
        assert "b #9" in next(f.detail for f in shared if f.site == "a")
        off = assess([a, b], HealthSettings(shared_upstreams=False), {}, now=NOW)
        assert not off.count(Concern.SHARED_UPSTREAM)

    def test_a_failed_test_counts_until_someone_tests_the_channel_again(self):
        records = {"a": {1: test_log.TestRecord(ok=False, at=NOW - 600, message="status code 401")}}
        channel = make(1, models=("m",), test_time=NOW - 600)
        health = assess([session("a", channel)], HealthSettings(), records, now=NOW)
        assert concerns(health, "a") == {1: {Concern.TEST_FAILED}}
        assert "10m ago: status code 401" in health.findings[0].detail
        tested_since = replace(channel, test_time=NOW - 60)
        assert not assess([session("a", tested_since)], HealthSettings(), records, now=NOW).findings


def test_test_results_are_kept_per_site_and_merged(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_CHANNELS_DATA_DIR", str(tmp_path))
    results = [
        ChannelResult(1, "one", Outcome.OK, "answered", value=0.25, site="a"),
        ChannelResult(2, "two", Outcome.FAILED, "status code 401", site="a"),
        ChannelResult(3, "three", Outcome.SKIPPED, "cannot test", site="a"),
        ChannelResult(2, "two", Outcome.OK, "", value=1.0, site="b"),
    ]
    assert test_log.record_by_site(results, now=NOW) == 3
    assert test_log.record("a", [ChannelResult(1, "one", Outcome.FAILED, "timeout")], now=NOW + 5) == 1
    records = test_log.read()
    assert records["a"][1] == test_log.TestRecord(ok=False, at=NOW + 5, milliseconds=None, message="timeout")
    assert records["a"][2].message == "status code 401" and 3 not in records["a"]
    assert records["b"][2] == test_log.TestRecord(ok=True, at=NOW, milliseconds=1000, message="")
    assert os.stat(test_log.log_path()).st_mode & 0o777 == 0o600


class TestFind:
    def test_base_url_model_and_key_each_say_how_they_matched(self):
        a = session("a", make(1, base_url="https://api.deepseek.com", models=("deepseek-chat",), key=KEY))
        b = session("b", make(1, models=("deepseek-reasoner", "gpt-4o"), base_url="https://relay.example"))
        found = find("deepseek", [a, b])
        assert {(m.site, m.channel_id, m.via) for m in found.matches} == {
            ("a", 1, Via.BASE_URL),
            ("a", 1, Via.MODEL),
            ("b", 1, Via.MODEL),
        }
        assert find("https://API.deepseek.com/v1/", [a, b]).sites == ["a"]

    async def test_keys_match_only_where_returned_and_through_the_library(self, gateway, monkeypatch):
        octopus_site = gateway.add_octopus("find-octo", channels=5)
        newapi_site = gateway.add_newapi("find-newapi", channels=5, seed=9)
        newapi_site.server.store[3]["name"] = channel_name("relay", "team-key")
        key = key_of(octopus_site, 4)
        sessions = []
        for site in (octopus_site, newapi_site):
            monkeypatch.setenv(env_var_name(site.name), site.secret)
            sessions.append(SiteSession(profile=demo_profile(site), secrets=SecretStore()))
        try:
            for loaded in sessions:
                await loaded.load()
            found = find(key, sessions)
            assert [(m.site, m.channel_id, m.via) for m in found.matches] == [("find-octo", 4, Via.KEY)]
            assert any("find-newapi" in n and "cannot be found" in n for n in found.notes)
            library = [UpstreamKey(name="team-key", source="relay", base_url="https://relay.example", key=key)]
            found = find(key[3:15], sessions, library)
            assert {(m.site, m.channel_id, m.via) for m in found.matches} == {
                ("find-octo", 4, Via.KEY),
                ("find-newapi", 3, Via.KEY_LIBRARY),
            }
            assert all(key not in m.detail for m in found.matches)
            assert not find(key[:5], sessions, library).matches
            for plainly_not_a_key in ("127.0.0.1:9", "https://relay.example/v1", "relay.example:8080", "gpt-4o mini"):
                notes = find(plainly_not_a_key, sessions).notes
                assert not any("does not list keys" in n for n in notes), (plainly_not_a_key, notes)
            health = assess(sessions, HealthSettings(), {}, now=NOW)
            assert "Keys are not compared on find-newapi: its server does not list keys." in health.notes
        finally:
            for loaded in sessions:
                await loaded.disconnect()
