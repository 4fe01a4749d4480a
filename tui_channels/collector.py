"""The cyclic garbage collector while channels load and batches run: fewer, cheaper collections.

Loads and batches allocate many short-lived objects (each HTTP request and answer, each result)
beside the channels loaded, which live on. With Python's default thresholds a collection of the
youngest generation comes every 700 allocations, and a full collection, which scans every loaded
channel again, every few dozen of those: during a 1,000-channel fleet test the client spent about
30 ms of its 0.3 s of CPU in young collections and, once every few runs, 40–80 ms in one full
collection, during which no answer is read (`bench/batch.py`).

So while a load runs, full collections wait (`full_collections_paused`); while a batch runs, they
wait too and young collections come every `BATCH_YOUNG_THRESHOLD` allocations
(`batch_collections`). Both still collect: each HTTP answer is a reference cycle holding its body,
and stopping the collector altogether kept every page's body until the end of a load (+60 MiB at
100,000 channels). Loads and batches may overlap (the app loads a site while another site's batch
runs, a new load starts while a cancelled one ends): the process's own thresholds come back when
the last of them ends. `settle_heap` takes what a load kept out of the collector's scans.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

NO_FULL_COLLECTION = 1_000_000_000
"""A third collector threshold that nothing reaches: no full collection while it is set."""
BATCH_YOUNG_THRESHOLD = 10_000
"""Allocations (less deallocations) between young collections while a batch runs: a 1,000-channel
test then makes a handful instead of about sixty, each scanning what is in flight at that moment."""

_held: list[int] = []
"""The young threshold each load or batch under way asks for (0: the process's own)."""
_saved: tuple[int, int, int] | None = None
"""The collector's thresholds from before the first load or batch under way."""


@contextmanager
def _holding(young: int) -> Iterator[None]:
    global _saved
    if not _held:
        _saved = gc.get_threshold()
    _held.append(young)
    _apply()
    try:
        yield
    finally:
        _held.remove(young)
        _apply()


def _apply() -> None:
    global _saved
    if _saved is None:
        return
    if not _held:
        gc.set_threshold(*_saved)
        _saved = None
        return
    own_young, middle, _full = _saved
    young = own_young if own_young == 0 else max(own_young, *_held)  # 0: automatic collection is off
    gc.set_threshold(young, middle, NO_FULL_COLLECTION)


def full_collections_paused() -> AbstractContextManager[None]:
    """No full collection while channels load (`settle_heap` follows); young ones as usual.

    A load allocates hundreds of thousands of objects that all live on; every full collection
    the allocations trigger scans each of them again, which was a third of the fleet's CPU time
    while loading 100,000 channels (bench/fleet.py)."""
    return _holding(0)


def batch_collections() -> AbstractContextManager[None]:
    """No full collection, and young ones every `BATCH_YOUNG_THRESHOLD` allocations, while a batch runs."""
    return _holding(BATCH_YOUNG_THRESHOLD)


def settle_heap() -> None:
    """Take freshly loaded channels out of the cyclic garbage collector's scans.

    With 10,000 channels (each keeping its server record) one full collection takes about 60 ms,
    which showed as the p95 of filter keystrokes (bench/table.py). Loaded records live until the
    next load and hold no reference cycles, so reference counting still frees them when replaced.
    """
    gc.collect()
    gc.freeze()
