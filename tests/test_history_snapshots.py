"""The history screen pinned as SVG snapshots, at 80x24 and 120x40, over a journal written with
fixed times (New API and Octopus entries, a failed write and an undo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.demo.session import NEWAPI_SITE, OCTOPUS_SITE
from tui_channels.services.journal import Change, Journal
from tui_channels.screens.history import HistoryScreen

from .ui_helpers import SNAPSHOT_PORT_BASE, demo_session, wait_for, wait_loaded

pytestmark = pytest.mark.xdist_group("snapshots")

START = datetime(2026, 8, 30, 9, 15, tzinfo=UTC)


def seed_journal() -> None:
    """A morning's work on two sites, as the journal records it."""
    newapi, octopus = Journal(NEWAPI_SITE), Journal(OCTOPUS_SITE)
    at = iter(START + timedelta(minutes=7 * n) for n in range(20))

    def write(journal: Journal, op: str, changes: list[Change], **fields) -> None:
        journal.append(at=next(at), backend="newapi" if journal is newapi else "octopus", flavor="", op=op,
                       changes=tuple(changes), **fields)

    write(newapi, "update", [Change(id=12, name="openai-main-01", before={"priority": 0, "weight": 1},
                                    after={"priority": 5, "weight": 1})])
    write(newapi, "status", [Change(id=7, name="claude-backup", before={"status": "enabled"},
                                    after={"status": "manually_disabled"})], args={"enabled": False})
    write(octopus, "update", [Change(id=3, name="deepseek-sg", before={"models": ["deepseek-chat"]},
                                     after={"models": ["deepseek-chat", "deepseek-reasoner"]})], action="sync")
    write(newapi, "tag_status", [Change(id=i, name=f"cheap-{i}", before={"status": "enabled"},
                                        after={"status": "manually_disabled"}) for i in (21, 22, 23)],
          args={"tag": "cheap", "enabled": False})
    write(newapi, "update", [Change(id=12, name="openai-main-01", before={"name": "openai-main-01"},
                                    after={"name": "openai-main-01"}, withheld=("key",))])
    write(octopus, "delete", [Change(id=9, name="groq-free", before={"name": "groq-free", "models": ["llama3"]})])
    write(newapi, "create", [Change(id=31, name="relay | key-2 (auto)", after={"name": "relay | key-2 (auto)"})],
          action="import")
    write(newapi, "update", [Change(id=4, name="gemini-pro", before={"models": ["a"]}, after={"models": []})],
          ok=False, error="New API cannot clear 'models': the server keeps the old value when it is empty.")
    write(newapi, "status", [Change(id=7, name="claude-backup", before={"status": "manually_disabled"},
                                    after={"status": "enabled"})], args={"enabled": True}, action="undo", undoes=2)


def snapshot(snap_compare, *, size, press=()):
    async def history(pilot) -> None:
        await wait_loaded(pilot)
        seed_journal()
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and pilot.app.screen.loaded)

    with demo_session(channels=20, port_base=SNAPSHOT_PORT_BASE):
        app = ChannelsApp(site=NEWAPI_SITE)
        return snap_compare(app, terminal_size=size, run_before=history, press=press)


def test_history_of_one_site_at_80x24(snap_compare):
    assert snapshot(snap_compare, size=(80, 24))


def test_history_of_every_site_at_120x40(snap_compare):
    assert snapshot(snap_compare, size=(120, 40), press=["a", "down", "down"])


def test_history_filtered_at_80x24(snap_compare):
    assert snapshot(snap_compare, size=(80, 24), press=["slash", *"#12", "enter"])
