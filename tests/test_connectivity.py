"""Connectivity tests, balance refresh and tags over many channels, against the demo gateway."""

from __future__ import annotations

import time

import pytest

from tui_channels.services.balance import balance_operation, with_balance
from tui_channels.services.batch import BatchSettings
from tui_channels.services.connectivity import connectivity_operation, response_ms, with_test_result
from tui_channels.services.results import Outcome
from tui_channels.services.tagging import tag_operation, with_tag
from tui_channels.services.upstream_models import EmptyUpstream

from .batch_helpers import (  # noqa: F401
    connected,
    key_of,
    newapi_site,
    octopus_site,
    run_batch,
    set_key,
    upstream,
    working_ids,
)


async def test_newapi_results_carry_seconds_and_update_the_row_as_the_server_records_it(gateway, upstream):
    site = newapi_site(gateway, channels=10)
    good = working_ids(site)[0]
    upstream.key_delays[key_of(site, good)] = 0.2
    async with connected(site) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, connectivity_operation(backend))
    by_id = {r.channel_id: r for r in results}
    result = by_id[good]
    assert result.outcome is Outcome.OK
    assert 0.2 <= result.value < 100  # seconds: in milliseconds it would read 200 or more
    assert result.message.startswith("answered in ")
    before = next(c for c in channels if c.id == good)
    now = time.time()
    after = with_test_result(before, result, now=now)
    stored = site.server.record(good)
    assert after.response_time_ms == response_ms(result.value) == stored["response_time"]
    assert after.test_time == int(now) and abs(stored["test_time"] - now) < 5
    assert (after.name, after.models) == (before.name, before.models)


async def test_a_failing_upstream_is_a_failed_result_that_leaves_the_row_alone(gateway):
    site = newapi_site(gateway, channels=10)
    bad = next(i for i in site.server.store if "invalid" in key_of(site, i))
    async with connected(site) as backend:
        channels = [c for c in await backend.list_channels() if c.id == bad]
        result = (await run_batch(channels, connectivity_operation(backend)))[0]
    assert result.outcome is Outcome.FAILED
    assert "Incorrect API key" in result.message
    assert result.attempts == 1  # an upstream refusal is an answer, not something to retry
    assert with_test_result(channels[0], result) is channels[0]


async def test_a_chosen_model_is_sent_with_the_test(gateway):
    site = newapi_site(gateway, channels=4)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        await run_batch(channels, connectivity_operation(backend, "gpt-4o-mini"))
    queries = [r.query for r in site.stats.requests("GET", "/api/channel/test/*")]
    assert len(queries) == 4 and all(q == "model=gpt-4o-mini" for q in queries)


async def test_types_the_gateway_cannot_test_are_skipped_without_a_request(gateway):
    site = newapi_site(gateway, channels=4)
    site.server.store[2]["type"] = 2  # Midjourney Proxy
    async with connected(site) as backend:
        results = await run_batch(await backend.list_channels(), connectivity_operation(backend))
    by_id = {r.channel_id: r for r in results}
    assert by_id[2].outcome is Outcome.SKIPPED and "Midjourney" in by_id[2].message
    tested = {r.path for r in site.stats.requests("GET", "/api/channel/test/*")}
    assert "/api/channel/test/2" not in tested and len(tested) == 3


async def test_octopus_tests_are_timed_model_fetches(gateway, upstream):
    site = octopus_site(gateway, channels=6)
    upstream.key_delays[key_of(site, 1)] = 0.2
    site.server.channels[3]["key"] = ""
    async with connected(site) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, connectivity_operation(backend))
    by_id = {r.channel_id: r for r in results}
    assert by_id[1].outcome is Outcome.OK and by_id[1].value >= 0.2
    assert "models listed" in by_id[1].message
    assert by_id[3].outcome is Outcome.SKIPPED
    assert site.stats.count("POST", "/api/v1/channel/fetch-model") == 5
    updated = with_test_result(channels[0], by_id[1])
    assert updated.response_time_ms == response_ms(by_id[1].value)


@pytest.mark.parametrize("generation", ["current", "legacy"])
async def test_an_octopus_upstream_that_refuses_the_key_fails_the_test(gateway, upstream, generation):
    """Octopus answers a refused key (or an upstream listing nothing) with HTTP 200 and no models."""
    site = octopus_site(gateway, channels=6, generation=generation)
    good, empty, refused = working_ids(site)[:3]
    upstream.key_models[key_of(site, empty)] = []
    set_key(site, refused, "sk-invalid-fidelity")
    async with connected(site) as backend:
        channels = [c for c in await backend.list_channels() if c.id in (good, empty, refused)]
        results = {r.channel_id: r for r in await run_batch(channels, connectivity_operation(backend))}
    assert results[good].outcome is Outcome.OK
    for channel_id in (empty, refused):
        assert results[channel_id].outcome is Outcome.FAILED
        assert results[channel_id].message == EmptyUpstream().message
        assert with_test_result(channels[0], results[channel_id]) is channels[0]


async def test_balances_refresh_and_types_without_one_are_skipped(gateway):
    site = newapi_site(gateway, channels=20)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, balance_operation(backend))
    outcomes = {r.outcome for r in results}
    assert {Outcome.OK, Outcome.SKIPPED} <= outcomes <= {Outcome.OK, Outcome.SKIPPED, Outcome.FAILED}
    for result, channel in zip(results, channels):
        if result.outcome is Outcome.FAILED:
            assert result.message.startswith("The upstream did not report its balance")
            assert "invalid" in key_of(site, channel.id) or "broken" in key_of(site, channel.id)
        elif result.outcome is Outcome.OK:
            assert result.value == site.server.record(channel.id)["balance"]
            assert with_balance(channel, result).balance == result.value
            assert result.message == f"${result.value:,.2f}"
        else:
            assert "cannot query the balance" in result.message
            assert with_balance(channel, result) is channel


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy", "oneapi"])
async def test_a_balance_the_upstream_would_not_give_is_blamed_on_the_upstream(gateway, flavor):
    """The gateway answers an upstream's refusal with `success:false` and `status code: 401`."""
    site = newapi_site(gateway, channels=20, flavor=flavor)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, balance_operation(backend))
        target = next(c for c, r in zip(channels, results) if r.outcome is Outcome.OK)
        set_key(site, target.id, "sk-invalid-fidelity")
        [refused] = await run_batch([target], balance_operation(backend))
    assert refused.outcome is Outcome.FAILED
    assert refused.message.startswith("The upstream did not report its balance (status code: 401).")
    assert "gateway" not in refused.message


async def test_tags_are_set_and_cleared_per_channel(gateway):
    site = newapi_site(gateway, channels=6)
    async with connected(site) as backend:
        channels = (await backend.list_channels())[:3]
        writes = BatchSettings(read_only=False)
        results = await run_batch(channels, tag_operation(backend, " night-shift ", channels), writes)
        assert all(site.server.record(c.id)["tag"] == "night-shift" for c in channels)
        tagged = with_tag(channels[0], results[0])
        assert tagged.tag == "night-shift"
        cleared = await run_batch([tagged], tag_operation(backend, "", [tagged]), writes)
    assert site.server.record(channels[0].id)["tag"] in ("", None)
    assert cleared[0].message == "tag cleared" and with_tag(channels[0], cleared[0]).tag is None
    bodies = [r.json() for r in site.stats.requests("POST", "/api/channel/batch/tag")]
    assert [b["ids"] for b in bodies] == [[c.id] for c in channels] + [[channels[0].id]]
