"""Loads pause the garbage collector's full collections, and overlapping loads give it back once."""

from __future__ import annotations

import gc

import pytest

from tui_channels.screens.main_base import full_collections_paused


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
