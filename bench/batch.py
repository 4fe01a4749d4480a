"""Benchmark: the batch engine against the demo gateway, 1,000 channels, upstreams with a fixed delay.

Every upstream call (a test's chat completion, a model list) answers after `--delay` seconds, so a
batch is bound by waiting, and its ideal wall time is channels x delay / concurrency. For a batch
test and a batch sync at each concurrency, in the same run, this prints the wall time, the ideal
and their ratio (1.00 would be a perfect engine, the gap is the cost of HTTP, the emulated gateway
and our client, all in this one machine). A sync is timed as its preview (one upstream model list
per channel, the delay-bound part the ideal describes) and its apply (one write per changed
channel, no upstream); the site's model lists are put back as seeded before each sync, so every
run has the same work.

A last run has the gateway answer HTTP 429 (with a `Retry-After`) to one test request in three;
it must still finish with every channel done, and prints the counts.

No request budget is used here: it paces requests on purpose and would measure the budget, not
the engine. Nothing asserts on time. Run: `.venv/bin/python bench/batch.py [--channels N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Sequence

from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.services import connectivity, sync
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.results import ChannelResult, Outcome, tally

SEED = 7
RETRY_AFTER = 0.2
_sites = itertools.count()


def new_site(gateway: DemoGateway, channels: int) -> DemoSite:
    return gateway.add_newapi(f"bench-{next(_sites)}", channels=channels, seed=SEED)


async def connected(site: DemoSite) -> NewApiBackend:
    backend = NewApiBackend(
        site.url, access_token=site.secret, user_id=site.user_id, retry=RetryPolicy(max_retries=3, base_delay=0.2)
    )
    await backend.connect()
    return backend


def counts(results: Sequence[ChannelResult]) -> str:
    found = tally(results)
    return ", ".join(f"{found[o]:,} {o.value}" for o in Outcome if found[o])


def line(label: str, concurrency: int, wall: float, ideal: float | None, detail: str) -> str:
    ideal_text = f"{ideal:7.2f} s  x{wall / ideal:5.2f}" if ideal else f"{'':9}  {'':6}"
    return f"{label:<14} c={concurrency:<3} {wall:7.2f} s  ideal {ideal_text}   {detail}"


async def batch_test(site: DemoSite, concurrency: int) -> tuple[float, list[ChannelResult]]:
    backend = await connected(site)
    try:
        channels = await backend.list_channels()
        run = BatchRun(
            channels, connectivity.connectivity_operation(backend), BatchSettings(concurrency=concurrency)
        )
        started = time.perf_counter()
        results = await run.run()
        return time.perf_counter() - started, results
    finally:
        await backend.close()


async def batch_sync(site: DemoSite, concurrency: int) -> tuple[float, float, list[ChannelResult], int]:
    """(preview seconds, apply seconds, preview results, channels written)."""
    backend = await connected(site)
    try:
        channels = await backend.list_channels()
        options = sync.SyncOptions()
        started = time.perf_counter()
        previews = await BatchRun(
            channels, sync.preview_operation(backend, options), BatchSettings(concurrency=concurrency)
        ).run()
        previewed = time.perf_counter()
        plans = sync.changes(previews)
        applied = await BatchRun(
            [c for c in channels if c.id in plans],
            sync.apply_operation(backend, plans),
            BatchSettings(concurrency=concurrency, read_only=False),
        ).run()
        written = sum(r.outcome is Outcome.OK for r in applied)
        return previewed - started, time.perf_counter() - previewed, previews, written
    finally:
        await backend.close()


async def main(gateway: DemoGateway, channels: int, delay: float, levels: Sequence[int]) -> None:
    print(f"{channels:,} channels, upstream delay {delay * 1000:.0f} ms, concurrency {', '.join(map(str, levels))}\n")
    test_site = new_site(gateway, channels)
    for concurrency in levels:
        ideal = channels * delay / concurrency
        wall, results = await batch_test(test_site, concurrency)
        print(line("test", concurrency, wall, ideal, counts(results)))
    print()
    sync_site = new_site(gateway, channels)
    seeded = {channel_id: row["models"] for channel_id, row in sync_site.server.store.items()}
    for concurrency in levels:
        for channel_id, models in seeded.items():
            sync_site.server.store[channel_id]["models"] = models
        ideal = channels * delay / concurrency
        preview, apply, previews, written = await batch_sync(sync_site, concurrency)
        print(line("sync preview", concurrency, preview, ideal, counts(previews)))
        print(line("sync apply", concurrency, apply, None, f"{written:,} channels written"))
        print(line("sync total", concurrency, preview + apply, ideal, ""))
    print()
    await rate_limited(gateway, channels, delay, max(levels))


async def rate_limited(gateway: DemoGateway, channels: int, delay: float, concurrency: int) -> None:
    site = new_site(gateway, channels)
    fault = site.faults.add("rate_limit", "/api/channel/test/*", every=3, times=None, retry_after=RETRY_AFTER)
    wall, results = await batch_test(site, concurrency)
    attempts = sum(r.attempts for r in results)
    finished = sum(r.outcome in (Outcome.OK, Outcome.FAILED, Outcome.SKIPPED) for r in results)
    print(
        f"429 on 1 test request in 3 (Retry-After {RETRY_AFTER:g} s), c={concurrency}: {wall:.2f} s, "
        f"{finished:,}/{len(results):,} channels done ({counts(results)}); "
        f"the gateway answered {fault.hits:,} x 429, "
        f"{site.stats.count('GET', '/api/channel/test/*'):,} test requests, {attempts:,} engine attempts"
    )
    failures = {r.message for r in results if r.outcome is Outcome.FAILED}
    if failures:
        print("failures (upstream answers, seeded bad keys):", "; ".join(sorted(failures)))


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05, help="upstream answer delay in seconds")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated levels")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    with DemoGateway(upstream_delay=args.delay) as gateway:
        asyncio.run(main(gateway, args.channels, args.delay, levels))


if __name__ == "__main__":
    cli()
