"""Loads pause the garbage collector's full collections, batches make fewer young ones too, and
overlapping loads and batches give the process its thresholds back once the last one ends."""

from __future__ import annotations

import asyncio
import gc

import pytest

from tui_channels.collector import BATCH_YOUNG_THRESHOLD, batch_collections, full_collections_paused
from tui_channels.models import Channel
from tui_channels.services.batch import BatchRun, BatchSettings, succeeded
from tui_channels.services.fleet_batch import FleetRun, SiteBatch

from .batch_helpers import connected, newapi_site


def test_overlapping_loads_restore_the_thresholds_when_the_last_one_ends():
    before = gc.get_threshold()
    first = full_collections_paused()
    second = full_collections_paused()
    first.__enter__()
    assert gc.get_threshold()[:2] == before[:2]
    assert gc.get_threshold()[2] > before[2]
    second.__enter__()
    first.__exit__(None, None, None)  # a cancelled load ends while the new one runs
    assert gc.get_threshold()[2] > before[2]
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.isenabled()


def test_a_failing_load_restores_the_thresholds():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_paused():
        raise RuntimeError("the load failed")
    assert gc.get_threshold() == before


def test_a_batch_ending_during_a_load_leaves_the_load_its_pause():
    before = gc.get_threshold()
    load = full_collections_paused()
    batch = batch_collections()
    load.__enter__()
    batch.__enter__()
    assert gc.get_threshold() == (BATCH_YOUNG_THRESHOLD, before[1], gc.get_threshold()[2])
    assert gc.get_threshold()[2] > before[2]
    batch.__exit__(None, None, None)
    assert gc.get_threshold()[:2] == before[:2]
    assert gc.get_threshold()[2] > before[2]
    load.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_collection_turned_off_stays_off_through_a_batch():
    before = gc.get_threshold()
    gc.set_threshold(0, before[1], before[2])
    try:
        with batch_collections():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold() == (0, before[1], before[2])
    finally:
        gc.set_threshold(*before)


async def test_a_fleet_batch_holds_the_collector_while_it_runs_and_gives_it_back(gateway):
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def noted(channel: Channel):
        seen.append(gc.get_threshold())
        return succeeded(channel)

    async with connected(newapi_site(gateway, channels=6)) as one, connected(newapi_site(gateway, channels=4)) as two:
        batches = [
            SiteBatch("one", await one.list_channels(), noted, BatchSettings(concurrency=2)),
            SiteBatch("two", await two.list_channels(), noted, BatchSettings(concurrency=3)),
        ]
        results = await FleetRun(batches).run()
    assert len(results) == len(seen) == 10
    assert {threshold[:2] for threshold in seen} == {(max(BATCH_YOUNG_THRESHOLD, before[0]), before[1])}
    assert all(threshold[2] > before[2] for threshold in seen)
    assert gc.get_threshold() == before


async def test_a_cancelled_batch_gives_the_collector_back(gateway):
    before = gc.get_threshold()
    started = asyncio.Event()

    async def stuck(channel: Channel):
        started.set()
        await asyncio.Event().wait()
        return succeeded(channel)

    async with connected(newapi_site(gateway, channels=3)) as backend:
        run = asyncio.create_task(BatchRun(await backend.list_channels(), stuck).run())
        await started.wait()
        assert gc.get_threshold() != before
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    assert gc.get_threshold() == before
