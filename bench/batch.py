"""Benchmark: the batch engine against the demo gateway, 1,000 channels, upstreams with a fixed delay.

The fake upstream providers run in a process of their own and the emulated gateways in others
(`tui_channels.demo.serve`), so the figures measure the client: this process runs only the batch
engine and the backend clients. Every upstream call (a test's chat completion, a model list)
answers after `--delay` seconds, so a batch is mostly bound by waiting.

The ideal each figure is compared with is the least time any client could take, the longer of
two lower bounds:
- waiting: each site's requests, `concurrency` at a time: ceil(requests / concurrency) rounds (200
  channels at 16 take 13 rounds, the last one half full), each round taking the upstream delay
  (when the requests reach the upstream) plus what the servers spend on a request (their CPU
  seconds per request in that run, gateway and upstream together);
- serving: the servers' CPU seconds, each single-threaded server process on one core at most and
  all of them on the machine's cores.
The ratio to it (1.00 would be a perfect client) is printed with, in brackets, the ratio to the
plain channels x delay / concurrency that ignores what the servers cost.

For a batch test and a batch sync at each concurrency this prints the wall time, the ideal and
their ratio. A sync is timed as its preview (one upstream model list per channel) and its apply
(one write per changed channel, no upstream: its ideal is what the gateway spends on the writes),
through the history journal (in a temporary folder) as the app and the CLI write; each
concurrency syncs its own site seeded alike, so every run has the same work.

A fleet batch then tests 5 sites at once (New API and Octopus, 200 channels each, each site in its
own gateway process, reaching fake upstream providers in a process of its own too), each site
under the concurrency given, reporting its progress on every result to the progress line
`tui-channels fleet test` shows on a terminal, as the CLI runs it; it runs `FLEET_RUNS` times.

Beside each figure, the CPU seconds the client and the servers spent during it say which one bound
the run; on two cores, the client's share is what it takes from the servers.

A last run has the gateway answer HTTP 429 (with a `Retry-After`) to one test request in three;
it must still finish with every channel done, and prints the counts.

No request budget is used here: it paces requests on purpose and would measure the budget, not
the engine. Nothing asserts on time. Run: `.venv/bin/python bench/batch.py [--channels N]`, when
the machine is quiet (`uptime`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path

from tui_channels.backends.base import Backend
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.registry import create_backend
from tui_channels.cli.batch import ProgressLine
from tui_channels.cli.fleet import fleet_reporter
from tui_channels.config import SiteProfile
from tui_channels.demo.serve import GatewayProcess, ServedSite
from tui_channels.services import connectivity, sync
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.fleet_batch import FleetRun, SiteBatch
from tui_channels.services.journal import Journal
from tui_channels.services.recorder import JournaledBackend
from tui_channels.services.results import ChannelResult, Outcome, tally

SEED = 7
RETRY_AFTER = 0.2
FLEET_SITES = 5
FLEET_CHANNELS = 200
FLEET_RUNS = 5
"""The fleet test, the shortest batch (about a second at c=16), runs this many times; the run with
the median ratio is shown with the range, so that one stall of a shared machine does not set it."""
RETRY = RetryPolicy(max_retries=3, base_delay=0.2)
CORES = len(os.sched_getaffinity(0))


def counts(results: Sequence[ChannelResult]) -> str:
    found = tally(results)
    return ", ".join(f"{found[o]:,} {o.value}" for o in Outcome if found[o])


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each process spent during a run: whether the client or a server was the bound."""

    def __init__(self, client: int, servers: Mapping[str, int]) -> None:
        self.processes = {"client": client, **servers}
        self.servers = tuple(servers)
        self._start: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self.processes.items()}

    def spent(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - self._start[name] for name, pid in self.processes.items()}

    def report(self, spent: Mapping[str, float]) -> str:
        """ "CPU s: client 1.2, servers 2.9 (busiest 1.8)"."""
        servers = [spent[name] for name in self.servers]
        return (
            f"CPU s: client {spent['client']:.1f}, servers {sum(servers):.1f} (busiest {max(servers):.1f})"
        )


@dataclass(frozen=True)
class Ideal:
    """The least wall time any client could take (see the module docstring), and its two bounds."""

    waiting: float
    serving: float

    @classmethod
    def of(
        cls, *, requests: int, per_site: int, delay: float, concurrency: int, servers: Sequence[float]
    ) -> Ideal:
        """`requests` in all (`per_site` on each site, the sites side by side), `delay` upstream
        seconds each, `servers` the CPU seconds each server process spent on them."""
        per_request = sum(servers) / requests if requests else 0.0
        waiting = math.ceil(per_site / concurrency) * (delay + per_request)
        serving = max(max(servers, default=0.0), sum(servers) / CORES)
        return cls(waiting, serving)

    @property
    def seconds(self) -> float:
        return max(self.waiting, self.serving)

    def __add__(self, other: Ideal) -> Ideal:
        """Two phases one after the other: their ideals add up (each is taken as its bound)."""
        return Ideal(self.seconds + other.seconds, 0.0)


def line(label: str, concurrency: int, wall: float, ideal: Ideal | None, plain: float | None, detail: str) -> str:
    if ideal is None:
        ideal_text = f"{'':9}  {'':16}"
    else:
        against = f"(x{wall / plain:.2f})" if plain else ""
        ideal_text = f"{ideal.seconds:7.2f} s  x{wall / ideal.seconds:5.2f} {against:9}"
    return f"{label:<16} c={concurrency:<3} {wall:7.2f} s  ideal {ideal_text}  {detail}"


async def connected(site: ServedSite) -> Backend:
    login = {"user_id": site.user_id} if site.user_id else {"username": site.username}
    profile = SiteProfile(name=site.name, kind=site.kind, url=site.url, **login)
    backend = create_backend(profile, site.secret, retry=RETRY)
    await backend.connect()
    return backend


async def batch_test(site: ServedSite, concurrency: int, cpu: CpuMeter) -> tuple[float, list[ChannelResult]]:
    backend = await connected(site)
    try:
        channels = await backend.list_channels()
        run = BatchRun(channels, connectivity.connectivity_operation(backend), BatchSettings(concurrency=concurrency))
        cpu.start()
        started = time.perf_counter()
        results = await run.run()
        return time.perf_counter() - started, results
    finally:
        await backend.close()


@dataclass
class Synced:
    preview: float
    apply: float
    previews: list[ChannelResult]
    written: int
    preview_cpu: dict[str, float]
    apply_cpu: dict[str, float]


async def batch_sync(site: ServedSite, concurrency: int, cpu: CpuMeter, journals: Path) -> Synced:
    """Preview then apply, through the history journal (in `journals`) as the app and the CLI write."""
    inner = await connected(site)
    backend = JournaledBackend(inner, site.name, Journal(site.name, journals))
    try:
        channels = await backend.list_channels()
        options = sync.SyncOptions()
        cpu.start()
        started = time.perf_counter()
        previews = await BatchRun(
            channels, sync.preview_operation(backend, options), BatchSettings(concurrency=concurrency)
        ).run()
        previewed = time.perf_counter()
        preview_cpu = cpu.spent()
        plans = sync.changes(previews)
        cpu.start()
        applied = await BatchRun(
            [c for c in channels if c.id in plans],
            sync.apply_operation(backend, plans),
            BatchSettings(concurrency=concurrency, read_only=False),
        ).run()
        apply = time.perf_counter() - previewed
        written = sum(r.outcome is Outcome.OK for r in applied)
        return Synced(previewed - started, apply, previews, written, preview_cpu, cpu.spent())
    finally:
        await inner.close()


async def fleet_test(
    sites: Sequence[ServedSite], concurrency: int, cpu: CpuMeter
) -> tuple[float, list[ChannelResult]]:
    """Every site tested at once, each under `concurrency`, with the CLI's progress line (as on a
    terminal, into a buffer)."""
    progressed = fleet_reporter("test", ProgressLine(_Terminal()))
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
        results = await FleetRun(batches, on_progress=progressed).run()
        return time.perf_counter() - started, results


class _Terminal(io.StringIO):
    """Where the fleet test's progress line goes: a buffer that says it is a terminal, so the line
    is rewritten as often as on one."""

    def isatty(self) -> bool:
        return True


def server_cpu(cpu: CpuMeter, spent: Mapping[str, float]) -> list[float]:
    return [spent[name] for name in cpu.servers]


async def main(
    gateways: GatewayProcess,
    fleet: Sequence[ServedSite],
    channels: int,
    delay: float,
    levels: Sequence[int],
    cpu: CpuMeter,
) -> None:
    sites = {site.name: site for site in gateways.sites}
    print(f"{channels:,} channels, upstream delay {delay * 1000:.0f} ms, concurrency {', '.join(map(str, levels))}")
    print("ideal: the longer of the waiting and the serving bounds; (x) against channels x delay / concurrency\n")
    for concurrency in levels:
        wall, results = await batch_test(sites["test"], concurrency, cpu)
        spent = cpu.spent()
        ideal = Ideal.of(
            requests=channels, per_site=channels, delay=delay, concurrency=concurrency, servers=server_cpu(cpu, spent)
        )
        plain = channels * delay / concurrency
        print(line("test", concurrency, wall, ideal, plain, f"{counts(results)}; {cpu.report(spent)}"))
    print()
    for concurrency in levels:
        with tempfile.TemporaryDirectory(prefix="bench-journal-") as journals:
            synced = await batch_sync(sites[f"sync-{concurrency}"], concurrency, cpu, Path(journals))
        preview = Ideal.of(
            requests=channels,
            per_site=channels,
            delay=delay,
            concurrency=concurrency,
            servers=server_cpu(cpu, synced.preview_cpu),
        )
        apply = Ideal.of(
            requests=synced.written,
            per_site=synced.written,
            delay=0.0,
            concurrency=concurrency,
            servers=server_cpu(cpu, synced.apply_cpu),
        )
        plain = channels * delay / concurrency
        detail = f"{counts(synced.previews)}; {cpu.report(synced.preview_cpu)}"
        print(line("sync preview", concurrency, synced.preview, preview, plain, detail))
        detail = f"{synced.written:,} channels written; {cpu.report(synced.apply_cpu)}"
        print(line("sync apply", concurrency, synced.apply, apply, None, detail))
        print(line("sync total", concurrency, synced.preview + synced.apply, preview + apply, plain, ""))
    print()
    for concurrency in levels:
        runs = []
        for _ in range(FLEET_RUNS):
            wall, results = await fleet_test(fleet, concurrency, cpu)
            spent = cpu.spent()
            ideal = Ideal.of(
                requests=len(results),
                per_site=FLEET_CHANNELS,
                delay=delay,
                concurrency=concurrency,
                servers=server_cpu(cpu, spent),
            )
            runs.append((wall / ideal.seconds, wall, ideal, results, spent))
        runs.sort(key=lambda run: run[0])
        _ratio, wall, ideal, results, spent = runs[len(runs) // 2]
        plain = FLEET_CHANNELS * delay / concurrency
        label = f"fleet test {len(fleet)}x{FLEET_CHANNELS}"
        spread = f"the median of {len(runs)} runs (x{runs[0][0]:.2f} to x{runs[-1][0]:.2f})"
        print(line(label, concurrency, wall, ideal, plain, f"{counts(results)}; {cpu.report(spent)}; {spread}"))
    print()
    await rate_limited(sites["rate-limited"], max(levels), cpu)


async def rate_limited(site: ServedSite, concurrency: int, cpu: CpuMeter) -> None:
    wall, results = await batch_test(site, concurrency, cpu)
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


def fleet_plans(upstream_urls: Sequence[str]) -> list[dict[str, object]]:
    """One plan per fleet site (`upstream_urls` gives each its own fake upstream): each site is
    served by a process of its own, as gateways are, and reaches providers of its own, as gateways
    on their own machines reach theirs. One upstream process for the whole fleet was a queue no
    fleet has: at c=16 the 80 answers of each round left it one after the other."""
    kinds = ("newapi", "octopus")
    return [
        {
            "upstream_url": upstream_url,
            "sites": [{"name": f"fleet-{n}", "kind": kinds[n % 2], "channels": FLEET_CHANNELS, "seed": SEED + n}],
        }
        for n, upstream_url in enumerate(upstream_urls)
    ]


def started(stack: ExitStack, plans: Sequence[dict[str, object]]) -> list[GatewayProcess]:
    """Processes serving `plans`, started side by side; `stack` stops them."""
    processes = [GatewayProcess(plan) for plan in plans]
    with ThreadPoolExecutor(len(processes)) as pool:
        entered = list(pool.map(lambda process: process.__enter__(), processes))
    for process in entered:
        stack.callback(process.__exit__)
    return entered


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05, help="upstream answer delay in seconds")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated levels")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    with ExitStack() as stack:
        upstream, *upstreams = started(stack, [{"upstream_delay": args.delay}] * (1 + FLEET_SITES))
        fleet_urls = [process.upstream_url for process in upstreams]
        gateways, *fleet = started(
            stack, [gateway_plan(upstream.upstream_url, args.channels, levels), *fleet_plans(fleet_urls)]
        )
        print(
            f"{CORES} cores; processes: upstream pid {upstream.pid}, gateways pid {gateways.pid}, fleet gateways "
            f"pids {', '.join(str(p.pid) for p in fleet)}, their upstreams pids "
            f"{', '.join(str(p.pid) for p in upstreams)}; the client runs in pid {os.getpid()}"
        )
        servers = {"upstream": upstream.pid, "gateways": gateways.pid}
        servers.update({f"fleet-{n}": process.pid for n, process in enumerate(fleet)})
        servers.update({f"fleet-{n} upstream": process.pid for n, process in enumerate(upstreams)})
        cpu = CpuMeter(os.getpid(), servers)
        fleet_sites = [site for process in fleet for site in process.sites]
        asyncio.run(main(gateways, fleet_sites, args.channels, args.delay, levels, cpu))


if __name__ == "__main__":
    cli()
