"""The request budget over real HTTP: it starts from the server generation's stock limit, is not
spent by refused requests, and learns the gateway's real limit from its 429s (with and without
`Retry-After`), against the demo's emulation of New API's in-memory limiter.

Assertions are on state (the budget's limit, window and count, the server's refusals), never on time.
"""

from __future__ import annotations

import asyncio

import pytest

from tui_channels.backends.ratelimit import RequestBudget
from tui_channels.config import SiteProfile
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services.batch import BatchSettings
from tui_channels.services.connectivity import connectivity_operation
from tui_channels.services.results import Outcome
from tui_channels.services.sites import SiteSession

from .batch_helpers import connected, newapi_site, run_batch
from .ui_helpers import demo_profile

LIMIT, WINDOW = 12, 3.0
"""The demo server's limit in these tests: 12 requests per 3 s, as `GLOBAL_API_RATE_LIMIT(_DURATION)`."""


@pytest.mark.parametrize(
    ("flavor", "stock"),
    [("newapi", (360, 180.0)), ("newapi-legacy", (180, 180.0)), ("oneapi", (480, 180.0)), ("veloera", (180, 180.0))],
)
async def test_the_default_budget_starts_from_the_detected_generation(gateway, monkeypatch, flavor, stock):
    site = newapi_site(gateway, flavor=flavor, channels=3)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    await session.connect()
    await session.disconnect()
    assert session.budget is not None
    assert (session.budget.limit, session.budget.window) == stock
    assert not session.budget.pinned


async def test_a_budget_set_by_hand_is_kept(gateway, monkeypatch):
    site = newapi_site(gateway, channels=3)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    profile = SiteProfile(**{**demo_profile(site).model_dump(), "request_budget": 50, "budget_window": 60.0})
    session = SiteSession(profile=profile, secrets=SecretStore())
    await session.connect()
    await session.disconnect()
    assert session.budget is not None
    assert (session.budget.limit, session.budget.window, session.budget.pinned) == (50, 60.0, True)


async def test_a_refused_request_is_resent_and_counted_once(gateway):
    site = newapi_site(gateway, channels=8)
    budget = RequestBudget(100, 600.0)
    async with connected(site, budget=budget) as backend:
        site.faults.add("rate_limit", "/api/channel/4", times=3, retry_after=0.05)
        assert (await backend.get_channel(4)).id == 4
    assert len(site.stats.requests("GET", "/api/channel/4")) == 4
    assert budget.refusals == 3


def test_refused_requests_give_their_place_back():
    budget = RequestBudget(10, 60.0, clock=lambda: 0.0)

    async def scenario() -> None:
        slots = [await budget.acquire() for _ in range(4)]
        for slot in slots[:3]:
            budget.accepted(slot)
        budget.refused(slots[3], retry_after=None)
        assert budget.used == 3
        assert budget.limit == 3  # the server refused at the three it accepted

    asyncio.run(scenario())


@pytest.mark.parametrize("flavor", ["newapi-legacy", "newapi"])
async def test_a_batch_learns_the_servers_real_limit_from_its_429s(gateway, flavor):
    """Legacy answers 429 without `Retry-After` (the budget probes for the window); current sends
    the whole window as `Retry-After`. Either way the budget ends at the server's limit and window,
    and every channel is tested."""
    site = newapi_site(gateway, flavor=flavor, channels=40, rate_limit=(LIMIT, WINDOW))
    budget = RequestBudget(180, 180.0)
    async with connected(site, budget=budget) as backend:
        channels = await backend.list_channels()
        results = await run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=4))
    assert all(r.outcome in (Outcome.OK, Outcome.FAILED) for r in results)
    assert not any("429" in r.message or "rate limit" in r.message.lower() for r in results)
    assert site.server.limiter.refused == budget.refusals > 0
    assert budget.learned and budget.limit < 180  # shrunk from the default by the server's 429s
    # The server stamps requests in whole seconds: its 3 s window lets a request in after 2 to 3 s,
    # so the limit and window learned may be a multiple of its own, but the rate is the server's.
    assert 0.8 <= (budget.limit / budget.window) / (LIMIT / WINDOW) <= 1.1
    assert budget.window >= WINDOW - 1
    if flavor == "newapi":
        assert budget.window == WINDOW  # taken from Retry-After
        assert budget.limit in (LIMIT, LIMIT + 1)  # learned, then grown back by one a window at most


async def test_once_the_learned_window_is_full_nothing_is_sent(gateway):
    site = newapi_site(gateway, flavor="newapi-legacy", channels=12, rate_limit=(LIMIT, WINDOW))
    budget = RequestBudget(180, 180.0)
    async with connected(site, budget=budget) as backend:
        channels = await backend.list_channels()
        await run_batch(channels, connectivity_operation(backend), BatchSettings(concurrency=4))
        assert budget.learned
        while budget.used < budget.limit:  # fill the window with cheap reads
            await backend.get_channel(channels[0].id)
        sent = site.stats.total
        pause = budget.pause()
        assert pause is not None and pause.reason == "waiting for the request budget"
        assert pause.seconds_left() > 0
        waiting = asyncio.create_task(backend.get_channel(channels[0].id))
        await asyncio.sleep(0)
        assert not waiting.done() and site.stats.total == sent  # held by the budget, not sent
        await waiting  # sent once the window moves on


def test_the_limit_grows_back_one_request_per_clean_window():
    now = [0.0]
    budget = RequestBudget(10, 3.0, clock=lambda: now[0])

    async def scenario() -> None:
        slots = [await budget.acquire() for _ in range(6)]
        for slot in slots[:5]:
            budget.accepted(slot)
        budget.refused(slots[5], retry_after=3.0)  # the server's limit: the 5 it accepted
        assert budget.limit == 5 and budget.window == 3.0
        for step in range(1, 6):
            now[0] += 3.0
            budget.accepted(await budget.acquire())
            assert budget.limit == min(10, 5 + step)

    asyncio.run(scenario())
