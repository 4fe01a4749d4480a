"""Benchmark: the batch engine against the demo gateway, 1,000 channels, upstreams with a fixed delay.

The fake upstream providers run in a process of their own and the emulated gateways in another
(`tui_channels.demo.serve`), so the figures measure the client: this process runs only the batch
engine and the backend clients. Every upstream call (a test's chat completion, a model list)
answers after `--delay` seconds, so a batch is bound by waiting, and its ideal wall time is
channels x delay / concurrency. For a batch test and a batch sync at each concurrency this prints
the wall time, the ideal and their ratio (1.00 would be a perfect engine). A sync is timed as its
preview (one upstream model list per channel, the delay-bound part the ideal describes) and its
apply (one write per changed channel, no upstream); each concurrency syncs its own site seeded
alike, so every run has the same work.

A fleet batch then tests 5 sites at once (New API and Octopus, 200 channels each), each site
under the concurrency given, as the app and `tui-channels fleet test` run it; its ideal is one
site's channels x delay / concurrency, since the sites run side by side.

Beside each test figure, the CPU seconds the client, the upstream and the gateway processes spent
during it say which one bound the run: on two cores, a gateway process near the wall time is the
emulation's limit, not the client's.

A last run has the gateway answer HTTP 429 (with a `Retry-After`) to one test request in three;
it must still finish with every channel done, and prints the counts.

No request budget is used here: it paces requests on purpose and would measure the budget, not
the engine. Nothing asserts on time. Run: `.venv/bin/python bench/batch.py [--channels N]`, when
the machine is quiet (`uptime`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path

from tui_channels.backends.base import Backend
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.registry import create_backend
from tui_channels.config import SiteProfile
from tui_channels.demo.serve import GatewayProcess, ServedSite
from tui_channels.services import connectivity, sync
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.fleet_batch import FleetRun, SiteBatch
from tui_channels.services.results import ChannelResult, Outcome, tally

SEED = 7
RETRY_AFTER = 0.2
FLEET_SITES = 5
FLEET_CHANNELS = 200
RETRY = RetryPolicy(max_retries=3, base_delay=0.2)


def counts(results: Sequence[ChannelResult]) -> str:
    found = tally(results)
    return ", ".join(f"{found[o]:,} {o.value}" for o in Outcome if found[o])


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each process spent during a run: whether the client or a server was the bound."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = processes
        self._start: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self.processes.items()}

    def report(self) -> str:
        spent = {name: cpu_seconds(pid) - self._start[name] for name, pid in self.processes.items()}
        return "CPU s: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in spent.items())


def line(label: str, concurrency: int, wall: float, ideal: float | None, detail: str) -> str:
    ideal_text = f"{ideal:7.2f} s  x{wall / ideal:5.2f}" if ideal else f"{'':9}  {'':6}"
    return f"{label:<14} c={concurrency:<3} {wall:7.2f} s  ideal {ideal_text}   {detail}"


async def connected(site: ServedSite) -> Backend:
    login = {"user_id": site.user_id} if site.user_id else {"username": site.username}
    profile = SiteProfile(name=site.name, kind=site.kind, url=site.url, **login)
    backend = create_backend(profile, site.secret, retry=RETRY)
    await backend.connect()
    return backend


async def batch_test(
    site: ServedSite, concurrency: int, cpu: CpuMeter | None = None
) -> tuple[float, list[ChannelResult]]:
    backend = await connected(site)
    try:
        channels = await backend.list_channels()
        run = BatchRun(channels, connectivity.connectivity_operation(backend), BatchSettings(concurrency=concurrency))
        if cpu is not None:
            cpu.start()
        started = time.perf_counter()
        results = await run.run()
        return time.perf_counter() - started, results
    finally:
        await backend.close()


async def batch_sync(site: ServedSite, concurrency: int) -> tuple[float, float, list[ChannelResult], int]:
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


async def fleet_test(
    sites: Sequence[ServedSite], concurrency: int, cpu: CpuMeter
) -> tuple[float, list[ChannelResult]]:
    """Every site tested at once, each under `concurrency`, as `fleet test` runs it."""
    async with AsyncExitStack() as stack:
        batches = []
        for site in sites:
            backend = await connected(site)
            stack.push_async_callback(backend.close)
            channels = await backend.list_channels()
            operation = connectivity.connectivity_operation(backend)
            batches.append(SiteBatch(site.name, channels, operation, BatchSettings(concurrency=concurrency)))
        cpu.start()
        started = time.perf_counter()
        results = await FleetRun(batches).run()
        return time.perf_counter() - started, results


async def main(
    gateways: GatewayProcess,
    fleet: GatewayProcess,
    channels: int,
    delay: float,
    levels: Sequence[int],
    cpu: CpuMeter,
) -> None:
    sites = {site.name: site for site in gateways.sites}
    print(f"{channels:,} channels, upstream delay {delay * 1000:.0f} ms, concurrency {', '.join(map(str, levels))}\n")
    for concurrency in levels:
        wall, results = await batch_test(sites["test"], concurrency, cpu)
        detail = f"{counts(results)}; {cpu.report()}"
        print(line("test", concurrency, wall, channels * delay / concurrency, detail))
    print()
    for concurrency in levels:
        preview, apply, previews, written = await batch_sync(sites[f"sync-{concurrency}"], concurrency)
        ideal = channels * delay / concurrency
        print(line("sync preview", concurrency, preview, ideal, counts(previews)))
        print(line("sync apply", concurrency, apply, None, f"{written:,} channels written"))
        print(line("sync total", concurrency, preview + apply, ideal, ""))
    print()
    for concurrency in levels:
        wall, results = await fleet_test(fleet.sites, concurrency, cpu)
        ideal = FLEET_CHANNELS * delay / concurrency
        label = f"fleet test {len(fleet.sites)}x{FLEET_CHANNELS}"
        print(line(label, concurrency, wall, ideal, f"{counts(results)}; {cpu.report()}"))
    print()
    await rate_limited(gateways, sites["rate-limited"], delay, max(levels))


async def rate_limited(gateways: GatewayProcess, site: ServedSite, delay: float, concurrency: int) -> None:
    wall, results = await batch_test(site, concurrency)
    attempts = sum(r.attempts for r in results)
    finished = sum(r.outcome in (Outcome.OK, Outcome.FAILED, Outcome.SKIPPED) for r in results)
    print(
        f"429 on 1 test request in 3 (Retry-After {RETRY_AFTER:g} s), c={concurrency}: {wall:.2f} s, "
        f"{finished:,}/{len(results):,} channels done ({counts(results)}); {attempts:,} engine attempts"
    )
    failures = {r.message for r in results if r.outcome is Outcome.FAILED}
    if failures:
        print("failures (upstream answers, seeded bad keys):", "; ".join(sorted(failures)))


def gateway_plan(upstream_url: str, channels: int, levels: Sequence[int]) -> dict[str, object]:
    site = {"kind": "newapi", "channels": channels, "seed": SEED}
    limited = {
        **site,
        "name": "rate-limited",
        "faults": [
            {"kind": "rate_limit", "path": "/api/channel/test/*", "every": 3, "times": None, "retry_after": RETRY_AFTER}
        ],
    }
    return {
        "upstream_url": upstream_url,
        "sites": [{**site, "name": "test"}, *({**site, "name": f"sync-{c}"} for c in levels), limited],
    }


def fleet_plan(upstream_url: str) -> dict[str, object]:
    kinds = ("newapi", "octopus")
    return {
        "upstream_url": upstream_url,
        "sites": [
            {"name": f"fleet-{n}", "kind": kinds[n % 2], "channels": FLEET_CHANNELS, "seed": SEED + n}
            for n in range(FLEET_SITES)
        ],
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05, help="upstream answer delay in seconds")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated levels")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    with ExitStack() as stack:
        upstream = stack.enter_context(GatewayProcess({"upstream_delay": args.delay}))
        gateways = stack.enter_context(GatewayProcess(gateway_plan(upstream.upstream_url, args.channels, levels)))
        fleet = stack.enter_context(GatewayProcess(fleet_plan(upstream.upstream_url)))
        print(
            f"processes: upstream pid {upstream.pid}, gateways pid {gateways.pid}, fleet gateways pid "
            f"{fleet.pid}; the client runs in pid {os.getpid()}"
        )
        cpu = CpuMeter(
            {"client": os.getpid(), "upstream": upstream.pid, "gateway": gateways.pid, "fleet gateways": fleet.pid}
        )
        asyncio.run(main(gateways, fleet, args.channels, args.delay, levels, cpu))


if __name__ == "__main__":
    cli()
