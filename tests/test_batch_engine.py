"""The batch engine against the demo gateway: bounds, timeouts, 429s, auth, cancel and pacing."""

from __future__ import annotations

import asyncio

from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.ratelimit import RequestBudget
from tui_channels.services.batch import BatchRun, BatchSettings, estimate_eta
from tui_channels.services.connectivity import connectivity_operation
from tui_channels.services.results import Outcome
from tui_channels.services.sync import SyncOptions, apply_operation, changes, preview_operation

from .batch_helpers import connected, key_of, newapi_models, newapi_site, run_batch, upstream  # noqa: F401

TEST_PATH = "/api/channel/test/*"


async def test_concurrency_bound_is_held_at_the_gateway(gateway, upstream):
    site = newapi_site(gateway, channels=24)
    for channel_id in site.server.store:
        upstream.key_delays[key_of(site, channel_id)] = 0.05
    async with connected(site) as backend:
        channels = await backend.list_channels()
        while site.stats.in_flight:  # the server may still be closing the last list request
            await asyncio.sleep(0.01)
        site.stats.reset()
        results = await run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=3))
    assert len(results) == 24
    assert site.stats.count("GET", TEST_PATH) == 24
    assert site.stats.max_in_flight == 3


async def test_a_slow_channel_times_out_while_the_rest_finish(gateway, upstream):
    site = newapi_site(gateway, channels=12)
    slow = 5
    upstream.key_delays[key_of(site, slow)] = 120.0
    async with connected(site) as backend:
        channels = await backend.list_channels()
        run = run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=2, channel_timeout=3))
        results = await asyncio.wait_for(run, timeout=60)  # far less than the slow upstream's answer
    by_id = {r.channel_id: r for r in results}
    assert by_id[slow].outcome is Outcome.FAILED
    assert "per-channel timeout" in by_id[slow].message
    others = [r for r in results if r.channel_id != slow]
    assert all(r.outcome is not Outcome.CANCELLED for r in others)
    assert sum(r.outcome is Outcome.OK for r in others) >= 9  # only seeded bad keys fail


async def test_a_429_storm_is_waited_out(gateway):
    site = newapi_site(gateway, channels=10)
    storm = site.faults.add("rate_limit", TEST_PATH, times=14, retry_after=0.05)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        results = await run_batch(
            channels, connectivity_operation(backend), BatchSettings(concurrency=4)
        )
    assert storm.hits == 14
    assert all(r.outcome in (Outcome.OK, Outcome.FAILED) for r in results)
    assert not any("rate limit" in r.message.lower() for r in results)
    # every channel was tested once it got through; a refused request is resent, not retried
    assert site.stats.count("GET", TEST_PATH) == 10 + 14
    assert all(r.attempts == 1 for r in results)


async def test_a_429_every_third_request_still_finishes_every_channel(gateway):
    site = newapi_site(gateway, channels=30)
    site.faults.add("rate_limit", TEST_PATH, every=3, times=None, retry_after=0.02)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=8))
    assert [r.channel_id for r in results] == [c.id for c in channels]
    assert all(r.outcome in (Outcome.OK, Outcome.FAILED) for r in results)
    assert not any("429" in r.message for r in results)


async def test_an_auth_failure_stops_the_batch(gateway):
    site = newapi_site(gateway, channels=12)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        site.faults.add("unauthorized", TEST_PATH, times=None)
        results = await run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=2))
    outcomes = [r.outcome for r in results]
    assert Outcome.OK not in outcomes
    assert 1 <= outcomes.count(Outcome.FAILED) <= 2
    cancelled = [r for r in results if r.outcome is Outcome.CANCELLED]
    assert len(cancelled) >= 10
    assert all(r.message.startswith("stopped: authentication failed") for r in cancelled)
    assert site.stats.count("GET", TEST_PATH) <= 2  # nothing new started after the refusal


async def test_cancelling_writes_leaves_every_channel_done_or_untouched(gateway):
    site = newapi_site(gateway, channels=20)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        previews = await run_batch(channels, preview_operation(backend, SyncOptions()))
        plans = changes(previews)
        assert len(plans) >= 8
        targets = [c for c in channels if c.id in plans]
        site.faults.add("latency", "/api/channel/", method="PUT", times=None, delay=0.15)
        seen: list[int] = []
        run: BatchRun

        def arrived(result) -> None:
            seen.append(result.channel_id)
            if len(seen) == 3:
                run.cancel()

        run = BatchRun(
            targets,
            apply_operation(backend, plans),
            BatchSettings(concurrency=2, read_only=False),
            on_result=arrived,
        )
        results = await run.run()
    done = {r.channel_id for r in results if r.outcome is Outcome.OK}
    untouched = {r.channel_id for r in results if r.outcome is Outcome.CANCELLED}
    assert done | untouched == set(plans) and not done & untouched
    assert 3 <= len(done) <= 4 and untouched  # the write in flight was let finish
    for channel_id, plan in plans.items():
        stored = newapi_models(site, channel_id)
        expected = plan.new_models if channel_id in done else plan.old_models
        assert stored == tuple(expected)
    written = {request.json()["id"] for request in site.stats.requests("PUT", "/api/channel/")}
    assert written == done


async def test_cancelling_reads_interrupts_the_requests_in_flight(gateway, upstream):
    site = newapi_site(gateway, channels=8)
    for channel_id in site.server.store:
        upstream.key_delays[key_of(site, channel_id)] = 120.0
    async with connected(site) as backend:
        channels = await backend.list_channels()
        run = BatchRun(channels, connectivity_operation(backend), BatchSettings(concurrency=4))
        task = asyncio.create_task(run.run())
        while site.stats.count("GET", TEST_PATH) < 4:
            await asyncio.sleep(0.01)
        run.cancel()
        results = await asyncio.wait_for(task, timeout=60)  # far less than the upstreams' answers
    assert {r.outcome for r in results} == {Outcome.CANCELLED}
    assert site.stats.count("GET", TEST_PATH) == 4


async def test_the_request_budget_paces_a_batch_under_the_gateways_limit(gateway):
    site = newapi_site(gateway, channels=16, rate_limit=(10, 1.0))
    budget = RequestBudget(8, 2.0)
    no_retry = RetryPolicy(max_retries=0)
    async with connected(site, budget=budget, retry=no_retry) as backend:
        channels = await backend.list_channels()
        # the per-channel timeout is shorter than the waits for the budget: they do not count
        results = await run_batch(
            channels, connectivity_operation(backend), BatchSettings(concurrency=4, channel_timeout=2.0)
        )
    assert all(r.outcome in (Outcome.OK, Outcome.FAILED) for r in results)
    assert not any("timeout" in r.message or "429" in r.message for r in results)
    assert site.server.limiter.refused == 0 and budget.refusals == 0
    assert budget.waited > 1.0  # 3 + 16 requests at 8 per 2 s: some waited for the next window
    assert all(r.duration < 2.0 for r in results)  # a channel's time leaves its waits out


async def test_without_a_budget_the_same_batch_trips_the_gateways_limit_and_waits_it_out(gateway):
    site = newapi_site(gateway, channels=16, rate_limit=(10, 5.0))
    async with connected(site, retry=RetryPolicy(max_retries=0)) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=4))
    assert site.server.limiter.refused > 0
    assert all(r.outcome in (Outcome.OK, Outcome.FAILED) for r in results)
    assert not any("429" in r.message for r in results)


def test_the_eta_counts_channels_still_in_flight():
    # 1 of 14 done fast, 13 in flight on slow upstreams: not "0 s" but at least their expected rest
    eta = estimate_eta(remaining=13, rate=50.0, mean_work=3.0, in_flight_work=[0.5] * 13, concurrency=16)
    assert eta is not None and eta >= 2.5
    # nothing finished yet: no rate, no mean, nothing to go by
    assert estimate_eta(remaining=5, rate=0.0, mean_work=None, in_flight_work=[0.1] * 4, concurrency=4) is None
    # while the batch waits for the budget, the wait comes on top
    waiting = estimate_eta(remaining=2, rate=0.0, mean_work=1.0, in_flight_work=[0.0, 0.0], concurrency=4, pause_left=37)
    assert waiting is not None and waiting >= 38


async def test_every_progress_report_counts_the_results_so_far(gateway):
    """The counts are kept as results arrive (not recounted per report): each report still matches them."""
    site = newapi_site(gateway, channels=20)
    seen: list[tuple[int, int, int, int]] = []
    arrived: list[Outcome] = []

    def progressed(progress) -> None:
        seen.append((progress.done, progress.ok, progress.failed, progress.skipped))

    async with connected(site) as backend:
        channels = await backend.list_channels()
        run = BatchRun(
            channels,
            connectivity_operation(backend),
            BatchSettings(concurrency=4),
            on_result=lambda result: arrived.append(result.outcome),
            on_progress=progressed,
        )
        results = await run.run()
    assert {done for done, *_ in seen} >= set(range(1, len(results) + 1))  # a report per result, ticks aside
    for done, ok, failed, skipped in seen:
        so_far = arrived[:done]
        assert (ok, failed, skipped) == (
            so_far.count(Outcome.OK),
            so_far.count(Outcome.FAILED),
            so_far.count(Outcome.SKIPPED),
        )
    assert run.progress().failed >= 1  # seeded bad keys, so the failed count is exercised
