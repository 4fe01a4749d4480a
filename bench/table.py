"""Benchmark: our virtualised ChannelTable against Textual's stock DataTable at 10,000 channels.

The channels come from the embedded demo gateway through the real New API client (that load is
timed too); the gateway is stopped before the tables are measured. Both tables then run in the same
process, one after the other, over the same channels, in a headless app of 160x50 cells. Each
figure is the time from the operation until the screen has been repainted with its result (message
queues drained, then the next refresh). Operations:

- filter keystroke: a user typing and backspacing searches. Ours: `apply_view`. Stock: the same
  substring scan over precomputed haystacks, then `clear()` and `add_rows()` of the matches.
- sort: by several columns, each direction, over all rows. Ours: `apply_view`; stock: `sort()`
  (on the display text, which is all a stock table holds).
- cursor move: down, page down, up. Ours: `move_cursor`; stock: `move_cursor`.

A last pass repeats our table's figures the way the app runs it: after a load the main screen
calls `settle_heap()` (`gc.collect(); gc.freeze()`), because with 10,000 channels loaded a full
garbage collection takes tens of milliseconds whatever the table, and Textual's repaints trigger
one every dozen keystrokes or so.

Prints numbers only; nothing here asserts on time. Run: `.venv/bin/python bench/table.py`.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from tui_channels.backends.base import COLUMNS_ALL
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import Channel
from tui_channels.collector import settle_heap
from tui_channels.services.channel_view import CELL_TEXT, ViewState, haystack, normalise_search
from tui_channels.widgets.channel_table import COLUMNS, ChannelTable

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = 10_000
SIZE = (160, 50)

TYPED = (
    "o", "op", "ope", "open", "ope", "op", "o", "",
    "c", "cl", "cla", "clau", "claud", "claude", "claud", "",
    "g", "gp", "gpt", "gpt-", "gpt-4", "gpt-4o", "gpt-4", "gpt-", "",
    "d", "de", "dee", "deep", "", "backup", "",
)
"""Search texts in the order a user's keystrokes produce them (run twice)."""

SORTS = tuple(
    (column, descending)
    for column in ("name", "type", "status", "balance", "test_time", "used_quota")
    for descending in (False, True)
)

OPERATIONS = ("filter keystroke", "sort", "cursor move")
FROZEN = "ours, gc frozen"


async def fetch(site: DemoSite) -> list[Channel]:
    """Every channel of the demo site, through the real New API client."""
    backend = NewApiBackend(site.url, access_token=site.secret, user_id=site.user_id)
    try:
        await backend.connect()
        return await backend.list_channels()
    finally:
        await backend.close()


def rss_mib() -> float:
    """Resident memory of this process now, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class BenchApp(App[None]):
    CSS_PATH = str(ROOT / "styles" / "channel_table.tcss")


Table = ChannelTable | DataTable[str]


async def settle(pilot: Pilot[None], table: Table) -> None:
    """Wait until `table` has laid out its rows (plus its header) and the screen has been repainted."""
    await pilot.pause(0)
    while table.virtual_size.height != table.row_count + 1:
        await table.wait_for_refresh()
    await table.wait_for_refresh()


async def measure(pilot: Pilot[None], table: Table, action: Callable[[], None]) -> float:
    """Milliseconds from `action` until its result is on screen."""
    start = time.perf_counter()
    action()
    await settle(pilot, table)
    return (time.perf_counter() - start) * 1000


class Results:
    """Milliseconds per operation and table, and the printed comparison."""

    def __init__(self) -> None:
        self.samples: dict[tuple[str, str], list[float]] = {}
        self.memory: dict[str, tuple[float, float]] = {}
        """VmRSS in MiB before and after loading, per table."""
        self.load: dict[str, float] = {}

    def add(self, operation: str, table: str, ms: float) -> None:
        self.samples.setdefault((operation, table), []).append(ms)

    def print(self) -> None:
        print(f"{CHANNELS} channels, {SIZE[0]}x{SIZE[1]} cells: ChannelTable (ours) vs Textual DataTable (stock)")
        header = (
            f"{'operation':<18}{'n':>4}{'ours p50':>10}{'ours p95':>10}"
            f"{'stock p50':>11}{'stock p95':>11}{'p50 x':>8}{'p95 x':>8}"
        )
        print(header)
        print("-" * len(header))
        for operation in OPERATIONS:
            ours, stock = self.samples[(operation, "ours")], self.samples[(operation, "stock")]
            o50, o95, s50, s95 = _p(ours, 50), _p(ours, 95), _p(stock, 50), _p(stock, 95)
            print(
                f"{operation:<18}{len(ours):>4}{o50:>10.1f}{o95:>10.1f}"
                f"{s50:>11.1f}{s95:>11.1f}{s50 / o50:>8.1f}{s95 / o95:>8.1f}"
            )
        print("(ms from the call until the screen is repainted; x = stock / ours)")
        for table in ("ours", "stock"):
            before, after = self.memory[table]
            print(
                f"{table:<6} load {self.load[table]:7.1f} ms   "
                f"VmRSS after load {after:6.1f} MiB (+{after - before:.1f} MiB for the table)"
            )
        print("ours again, as the app runs it (settle_heap() after the load: gc.collect(); gc.freeze()):")
        for operation in OPERATIONS:
            frozen = self.samples[(operation, FROZEN)]
            print(f"{operation:<18}{len(frozen):>4}{_p(frozen, 50):>10.1f}{_p(frozen, 95):>10.1f}")


def _p(samples: Sequence[float], percentile: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[percentile - 1]


async def bench_ours(
    app: BenchApp, pilot: Pilot[None], channels: list[Channel], results: Results, label: str = "ours"
) -> None:
    table = ChannelTable()
    await app.mount(table)
    table.focus()
    before = rss_mib()
    results.load[label] = await measure(pilot, table, partial(table.set_channels, channels))
    results.memory[label] = (before, rss_mib())
    if label == FROZEN:
        settle_heap()
    state = ViewState()
    for text in TYPED * 2:
        state = replace(state, search=text)
        results.add("filter keystroke", label, await measure(pilot, table, partial(table.apply_view, state)))
    for column, descending in SORTS:
        state = replace(state, sort_column=column, descending=descending)
        results.add("sort", label, await measure(pilot, table, partial(table.apply_view, state)))
    for step in cursor_steps(table.scrollable_content_region.height - 1):
        move = partial(table.move_cursor, table.cursor_row + step)
        results.add("cursor move", label, await measure(pilot, table, move))
    await table.remove()
    gc.unfreeze()


async def bench_stock(app: BenchApp, pilot: Pilot[None], channels: list[Channel], results: Results) -> None:
    table: DataTable[str] = DataTable(cursor_type="row")
    await app.mount(table)
    table.focus()
    now = time.time()
    rows = [tuple(CELL_TEXT[key](c, now) for key in COLUMNS_ALL) for c in channels]
    haystacks = [haystack(c) for c in channels]

    def load() -> None:
        for key in COLUMNS_ALL:
            table.add_column(COLUMNS[key].label, key=key)
        table.add_rows(rows)

    def keystroke(needle: str) -> None:
        matches = [row for row, hay in zip(rows, haystacks) if needle in hay]
        table.clear()
        table.add_rows(matches)

    before = rss_mib()
    results.load["stock"] = await measure(pilot, table, load)
    results.memory["stock"] = (before, rss_mib())
    for text in TYPED * 2:
        filter_rows = partial(keystroke, normalise_search(text))
        results.add("filter keystroke", "stock", await measure(pilot, table, filter_rows))
    for column, descending in SORTS:
        results.add("sort", "stock", await measure(pilot, table, partial(table.sort, column, reverse=descending)))
    for step in cursor_steps(table.scrollable_content_region.height - 1):
        move = partial(table.move_cursor, row=table.cursor_row + step)
        results.add("cursor move", "stock", await measure(pilot, table, move))
    await table.remove()


def cursor_steps(page: int) -> list[int]:
    """Twenty rows down, ten pages down, ten rows up."""
    return [1] * 20 + [page] * 10 + [-1] * 10


async def run_tables(channels: list[Channel]) -> Results:
    app = BenchApp()
    results = Results()
    async with app.run_test(size=SIZE) as pilot:
        print(f"VmRSS before any table {rss_mib():.1f} MiB")
        await bench_ours(app, pilot, channels, results)
        await bench_stock(app, pilot, channels, results)
        await bench_ours(app, pilot, channels, results, FROZEN)
    return results


def main() -> None:
    with DemoGateway() as demo:
        site = demo.add_newapi("bench", channels=CHANNELS)
        start = time.perf_counter()
        channels = asyncio.run(fetch(site))
        loaded = (time.perf_counter() - start) * 1000
    gc.collect()
    print(f"{len(channels)} channels loaded from the demo New API gateway in {loaded:.0f} ms (connect + all pages)")
    asyncio.run(run_tables(channels)).print()


if __name__ == "__main__":
    main()
