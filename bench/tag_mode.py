"""Benchmark: a batch's results landing in tag mode, 500 results over 10,000 channels.

The channels come from the embedded demo gateway through the real New API client; the gateway is
stopped before the table is measured. A headless app of 160x50 cells shows them in tag mode (every
tag collapsed). A batch then moves 500 channels of several tags to a new tag, and each result is
shown as it lands (`ChannelTable.update_channel`, as the main screen's `show_saved` does), in its
own turn of the event loop, as the batch's tasks deliver them. Two passes, side by side:

- each result: the table counts its tag groups again for every result (the behaviour before
  `REGROUP_SECONDS`: O(results x channels));
- once per tick: it counts them again at most once per `REGROUP_SECONDS` (what the app does).

Each pass runs twice: results back to back (a fast gateway), and paced at `PACE` results a second
(a batch waiting on its upstreams). Printed per pass: how many times the groups were counted, the
CPU milliseconds of the app's thread from the first result until the last count is on screen, the
wall milliseconds for that, and whether the headers then count exactly what the channels hold.
A last line times `SiteSession.replace_channel` (the session's copy of each result) against the
walk over every channel it replaced.

Prints numbers only; nothing here asserts on time. Run: `.venv/bin/python bench/tag_mode.py`
when the machine is quiet (`uptime`).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import BackendKind, Channel
from tui_channels.secret_store import SecretStore
from tui_channels.services import tag_view
from tui_channels.services.sites import SiteSession
from tui_channels.widgets import channel_table
from tui_channels.widgets.channel_table import REGROUP_SECONDS, ChannelTable

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = 10_000
RESULTS = 500
PACE = 100
"""Results a second in the paced runs."""
SIZE = (160, 50)
MOVED = "bench-moved"


class EachResultTable(ChannelTable):
    """The table as it was: the groups counted again for every channel changed in place."""

    def _regroup_soon(self) -> None:
        self._regroup()


class BenchApp(App[None]):
    CSS_PATH = str(ROOT / "styles" / "channel_table.tcss")


COUNTS: list[int] = []
"""One entry per count of the tag groups (the table's `group_by_tag`, wrapped below)."""


def _counted(channels: Iterable[Channel]) -> list[tag_view.TagGroup]:
    COUNTS.append(1)
    return tag_view.group_by_tag(channels)


channel_table.group_by_tag = _counted  # type: ignore[assignment]


async def fetch(site: DemoSite) -> list[Channel]:
    """Every channel of the demo site, through the real New API client."""
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id)
    try:
        await backend.connect()
        return await backend.list_channels()
    finally:
        await backend.close()


def moved(channels: Sequence[Channel]) -> list[Channel]:
    """`RESULTS` channels of several tags, spread over the list, as the batch leaves them."""
    step = len(channels) // RESULTS
    return [replace(channel, tag=MOVED) for channel in channels[::step][:RESULTS]]


@dataclass
class Figure:
    counts: int
    cpu_ms: float
    wall_ms: float
    exact: bool


async def one_pass(pilot: Pilot[None], table: ChannelTable, channels: list[Channel], pace: float | None) -> Figure:
    table.set_channels(channels)
    table.set_tag_mode(True)
    await table.wait_for_refresh()
    updates = moved(channels)
    COUNTS.clear()
    wall, cpu = time.perf_counter(), time.thread_time()
    for channel in updates:
        table.update_channel(channel)
        await asyncio.sleep(pace or 0)
    while table._regroup_timer is not None:
        await asyncio.sleep(REGROUP_SECONDS / 10)
    await table.wait_for_refresh()
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    counts = len(COUNTS)
    final = {c.id: c for c in channels} | {c.id: c for c in updates}
    expected = [(g.tag, g.count, g.enabled) for g in tag_view.group_by_tag(final.values())]
    exact = [(g.tag, g.count, g.enabled) for g in table.groups] == expected
    return Figure(counts, cpu * 1000, wall * 1000, exact)


async def run_tables(channels: list[Channel]) -> dict[tuple[str, str], Figure]:
    figures: dict[tuple[str, str], Figure] = {}
    app = BenchApp()
    async with app.run_test(size=SIZE) as pilot:
        for label, table in (("each result", EachResultTable()), ("once per tick", ChannelTable())):
            await app.mount(table)
            for arrival, pace in (("back to back", None), (f"{PACE}/s", 1 / PACE)):
                figures[(label, arrival)] = await one_pass(pilot, table, channels, pace)
            await table.remove()
    return figures


def session_copies(channels: list[Channel]) -> tuple[float, float]:
    """Milliseconds to keep a session's copy in step with `RESULTS` results: the walk, the index."""
    updates = moved(channels)
    walked = list(channels)
    start = time.perf_counter()
    for channel in updates:
        for position, existing in enumerate(walked):
            if existing.id == channel.id:
                walked[position] = channel
                break
    walk = time.perf_counter() - start
    profile = SiteProfile(name="bench", kind=BackendKind.OCTOPUS, url="http://127.0.0.1:1", username="bench")
    session = SiteSession(profile=profile, secrets=SecretStore(), channels=list(channels))
    start = time.perf_counter()
    for channel in updates:
        session.replace_channel(channel)
    return walk * 1000, (time.perf_counter() - start) * 1000


def main() -> None:
    with DemoGateway() as demo:
        site = demo.add_newapi("bench", channels=CHANNELS)
        channels = asyncio.run(fetch(site))
    tags = len({c.tag for c in channels})
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{RESULTS} results moving channels to a new tag, over {len(channels):,} channels in tag mode "
        f"({tags} groups, all collapsed), {SIZE[0]}x{SIZE[1]} cells"
    )
    figures = asyncio.run(run_tables(channels))
    header = f"{'groups counted':<16}{'results':<15}{'counts':>7}{'CPU ms':>9}{'wall ms':>9}  exact"
    print(header)
    print("-" * len(header))
    for (label, arrival), figure in figures.items():
        print(
            f"{label:<16}{arrival:<15}{figure.counts:>7}{figure.cpu_ms:>9.0f}{figure.wall_ms:>9.0f}  "
            f"{'yes' if figure.exact else 'NO'}"
        )
    print("(CPU ms: the app's thread, from the first result until the last count is on screen)")
    walk, index = session_copies(channels)
    print(f"the session's copy of {RESULTS} results: walk over every channel {walk:.1f} ms, by id {index:.1f} ms")


if __name__ == "__main__":
    main()
