"""Benchmark: a batch against a gateway that enforces an API rate limit, with the default set-up.

The demo gateway emulates New API's in-memory limiter (a sliding log of accepted requests per
client IP, whole seconds; see `tui_channels/demo/newapi/ratelimit.py`): legacy New API answers 429
without `Retry-After`, current New API with the whole window as `Retry-After`. Each run tests
`--channels` channels through a `SiteSession`, so the request budget starts from the detected
generation's stock limit (legacy 180, current 360 per 180 s) exactly as the app and the CLI do, with
no hand tuning, and must learn the server's real limit (`--limit` per `--window` s) from its 429s.

For each run this prints the wall time, the ideal (the server's own limit: R accepted requests
need floor((R - 1) / limit) windows), their ratio, the 429s the server answered and what the budget
learned. A last run sets the budget by hand to the server's limit, for comparison. Nothing asserts
on time. Run: `.venv/bin/python bench/ratelimit.py [--channels 156 --limit 60 --window 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import tempfile
import time

from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services import connectivity
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.results import Outcome, tally
from tui_channels.services.sites import SiteSession

_sites = itertools.count()


def profile(site: DemoSite, **settings: object) -> SiteProfile:
    return SiteProfile(name=site.name, kind=site.kind, url=site.url, user_id=site.user_id, **settings)


async def run(gateway: DemoGateway, flavor: str, channels: int, limit: int, window: float, **settings: object) -> str:
    site = gateway.add_newapi(f"bench-rl-{next(_sites)}", flavor=flavor, channels=channels, rate_limit=(limit, window))
    os.environ[env_var_name(site.name)] = site.secret
    session = SiteSession(profile=profile(site, **settings), secrets=SecretStore())
    started = time.perf_counter()
    try:
        loaded = await session.load()
        backend = await session.connect()
        batch = BatchRun(loaded, connectivity.connectivity_operation(backend), BatchSettings(concurrency=4))
        results = await batch.run()
    finally:
        await session.disconnect()
    wall = time.perf_counter() - started
    refused = site.server.limiter.refused
    accepted = site.stats.total - refused
    ideal = math.floor((accepted - 1) / limit) * window
    counts = tally(results)
    done = counts[Outcome.OK] + counts[Outcome.FAILED]
    budget = session.budget
    learned = f"{budget.limit}/{budget.window:.1f} s" if budget is not None else "off"
    return (
        f"{wall:7.1f} s  ideal {ideal:5.0f} s  x{wall / ideal:4.2f}  {refused:3d} x 429  "
        f"{accepted} requests  {done}/{len(results)} channels done  budget now {learned}"
    )


async def main(channels: int, limit: int, window: float) -> None:
    print(f"{channels} channels tested at concurrency 4; the server allows {limit} requests per {window:g} s\n")
    with DemoGateway() as gateway:
        legacy = await run(gateway, "newapi-legacy", channels, limit, window)
        print(f"legacy New API (429 without Retry-After), default budget:  {legacy}")
        current = await run(gateway, "newapi", channels, limit, window)
        print(f"current New API (429 with Retry-After), default budget:    {current}")
        by_hand = await run(
            gateway, "newapi-legacy", channels, limit, window, request_budget=limit, budget_window=window
        )
        print(f"legacy New API, budget set by hand to the server's limit:  {by_hand}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=156)
    parser.add_argument("--limit", type=int, default=60, help="requests the server allows per window")
    parser.add_argument("--window", type=float, default=30.0, help="the server's window in seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tui-channels-bench-") as folder:
        os.environ["TUI_CHANNELS_CONFIG_DIR"] = os.path.join(folder, "config")
        os.environ["TUI_CHANNELS_DATA_DIR"] = os.path.join(folder, "data")
        asyncio.run(main(args.channels, args.limit, args.window))


if __name__ == "__main__":
    cli()
