"""The journal file: per-site files, 0600, ids that count up under a lock across processes, torn
lines tolerated, filters, and a write refused (nothing sent) when the journal cannot be written."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui_channels.demo.gateway import DemoGateway
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services import journal as journal_module
from tui_channels.services.journal import (
    Change,
    EntryFilter,
    Journal,
    JournalError,
    file_name,
    journal_files,
    journal_path,
    parse_since,
    read_entries,
    select,
)
from tui_channels.services.recorder import _GroupAppends
from tui_channels.services.sites import SiteSession

from .ui_helpers import demo_profile

NOW = datetime(2026, 8, 30, 12, 0, tzinfo=UTC)


def _append(journal: Journal, op: str = "update", *, at: datetime = NOW, channel: int = 1, **fields) -> None:
    change = Change(id=channel, name=f"ch-{channel}", before={"priority": 0}, after={"priority": 5})
    journal.append(at=at, backend="newapi", flavor="newapi", op=op, changes=(change,), **fields)


def test_entries_count_up_per_site_in_a_private_file(tmp_path: Path) -> None:
    home, lab = Journal("home", tmp_path), Journal("lab", tmp_path)
    _append(home)
    _append(home)
    _append(lab)
    assert [e.id for e in home.entries()] == [1, 2]
    assert [e.id for e in lab.entries()] == [1]
    assert stat.S_IMODE(home.path.stat().st_mode) == 0o600
    line = json.loads(home.path.read_text().splitlines()[0])
    assert line["at"] == "2026-08-30T12:00:00.000Z" and line["site"] == "home" and line["v"] == 2


def test_site_names_that_are_not_file_names_get_files_of_their_own(tmp_path: Path) -> None:
    names = ["prod-eu", "prod eu", "prod/eu", "站点", "网关", "..", "a" * 200]
    files = {file_name(name) for name in names}
    assert len(files) == len(names)
    assert file_name("prod-eu") == "prod-eu.jsonl"
    for name in names:
        path = journal_path(name, tmp_path)
        assert path.parent == tmp_path and "/" not in path.name
        _append(Journal(name, tmp_path))
        assert [e.site for e in Journal(name, tmp_path).entries()] == [name]


def _append_many(folder: str, count: int, rotate_at: int | None = None) -> None:
    if rotate_at is not None:
        monkeypatch = pytest.MonkeyPatch()
        monkeypatch.setattr(journal_module, "ROTATE_AT_BYTES", rotate_at)
        monkeypatch.setattr(journal_module, "KEEP_ROTATED", 1000)
    journal = Journal("shared", Path(folder))
    for _ in range(count):
        _append(journal)


def test_appends_from_several_processes_never_share_an_id_or_a_line(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(tmp_path), 40)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    read = read_entries([journal_path("shared", tmp_path)])
    assert read.unreadable == 0
    assert sorted(e.id for e in read.entries) == list(range(1, 161))


def test_a_torn_last_line_is_skipped_and_the_next_entry_starts_on_its_own_line(tmp_path: Path) -> None:
    journal = Journal("home", tmp_path)
    _append(journal)
    with journal.path.open("a", encoding="utf-8") as handle:
        handle.write('{"v":1,"id":2,"at":"2026-08-30T12:')
    _append(journal)
    read = read_entries([journal.path])
    assert [e.id for e in read.entries] == [1, 2]
    assert read.unreadable == 1


def test_filters_by_site_channel_time_and_operation(tmp_path: Path) -> None:
    home, lab = Journal("home", tmp_path), Journal("lab", tmp_path)
    _append(home, "update", at=NOW - timedelta(days=3), channel=1)
    _append(home, "status", at=NOW - timedelta(hours=1), channel=2)
    _append(lab, "create", at=NOW, channel=2, action="import")
    entries = read_entries(journal_files_of(tmp_path)).entries
    assert [e.op for e in entries] == ["update", "status", "create"]
    assert [e.op for e in select(entries, EntryFilter(site="home"))] == ["update", "status"]
    assert [e.op for e in select(entries, EntryFilter(channel="2"))] == ["status", "create"]
    assert [e.op for e in select(entries, EntryFilter(channel="ch-1"))] == ["update"]
    assert [e.op for e in select(entries, EntryFilter(since=NOW - timedelta(days=1)))] == ["status", "create"]
    assert [e.op for e in select(entries, EntryFilter(op="import"))] == ["create"]


def journal_files_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def test_since_takes_a_time_ago_or_a_utc_date() -> None:
    assert parse_since("2h", now=NOW) == NOW - timedelta(hours=2)
    assert parse_since("7d", now=NOW) == NOW - timedelta(days=7)
    assert parse_since("2026-08-30") == datetime(2026, 8, 30, tzinfo=UTC)
    assert parse_since("2026-08-30T12:30Z") == datetime(2026, 8, 30, 12, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="time ago"):
        parse_since("yesterday")


async def test_a_write_is_refused_and_nothing_sent_when_the_journal_cannot_be_written(
    gateway: DemoGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = gateway.add_newapi("journal-readonly", channels=3)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("TUI_CHANNELS_DATA_DIR", str(blocker / "data"))
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        backend = session.backend
        assert backend is not None
        with pytest.raises(JournalError, match="Nothing was changed"):
            await backend.set_status(channels[0].id, False)
        assert (await backend.get_channel(channels[0].id)).status is channels[0].status
    finally:
        await session.disconnect()


async def test_concurrent_writes_of_one_process_each_get_a_line_and_an_id(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch sends writes concurrently; each journal append runs in a thread under the file lock."""
    site = gateway.add_newapi("journal-concurrent", channels=24)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        backend = session.backend
        assert backend is not None
        await asyncio.gather(*(backend.update_channel(c, {"priority": 7}) for c in channels))
    finally:
        await session.disconnect()
    read = read_entries()
    assert read.unreadable == 0
    assert sorted(e.id for e in read.entries) == list(range(1, len(channels) + 1))
    assert sorted(c.id for e in read.entries for c in e.changes) == sorted(c.id for c in channels)


def test_a_full_journal_is_rotated_keeping_a_bounded_number_of_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(journal_module, "ROTATE_AT_BYTES", 2000)
    monkeypatch.setattr(journal_module, "KEEP_ROTATED", 3)
    journal, other = Journal("home", tmp_path), Journal("home.1", tmp_path)
    _append(other)
    for number in range(80):
        _append(journal, channel=number)
    files = sorted(p.name for p in tmp_path.glob("home.jsonl*"))
    assert files == ["home.jsonl", "home.jsonl.1", "home.jsonl.2", "home.jsonl.3"]
    line = len(journal.path.read_text().splitlines()[0]) + 1
    assert all(p.stat().st_size < 2000 + line for p in tmp_path.glob("home.jsonl*"))
    kept = [e.id for e in journal.entries()]
    assert kept[-1] == 80 and kept == list(range(kept[0], 81)) and kept[0] > 1
    assert stat.S_IMODE(journal_module.rotated_path(journal.path, 1).stat().st_mode) == 0o600
    everything = read_entries(journal_files(tmp_path)).entries
    assert [e.id for e in everything if e.site == "home"] == kept
    assert [(e.site, e.id) for e in everything if e.site != "home"] == [("home.1", 1)]
    assert [e.id for e in other.entries()] == [1]


def test_ids_go_on_counting_when_processes_rotate_the_journal_between_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(journal_module, "KEEP_ROTATED", 1000)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(tmp_path), 40, 3000)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert len(list(tmp_path.glob("shared.jsonl.*"))) > 3
    read = read_entries(journal_files(tmp_path))
    assert read.unreadable == 0
    assert sorted(e.id for e in read.entries) == list(range(1, 161))


def _fields(channel: int) -> dict:
    change = Change(id=channel, name=f"ch-{channel}", before={"priority": 0}, after={"priority": 5})
    return {"at": NOW, "backend": "newapi", "flavor": "newapi", "op": "update", "changes": (change,)}


def test_entries_appended_together_take_the_next_ids_in_order(tmp_path: Path) -> None:
    journal = Journal("home", tmp_path)
    _append(journal)
    entries = journal.append_all([_fields(n) for n in (2, 3, 4)])
    assert [e.id for e in entries] == [2, 3, 4]
    assert [(e.id, e.changes[0].id) for e in journal.entries()] == [(1, 1), (2, 2), (3, 3), (4, 4)]


class _CountingJournal(Journal):
    """Counts the disk writes (each one lock, one fsync) and how many entries each carried."""

    def __init__(self, site: str, directory: Path) -> None:
        super().__init__(site, directory)
        self.writes: list[int] = []

    def append_all(self, drafts):
        self.writes.append(len(drafts))
        return super().append_all(drafts)


async def test_appends_that_arrive_while_one_is_written_share_one_disk_write(tmp_path: Path) -> None:
    """A batch's writes finish close together: their entries go to disk in one write, not one each."""
    journal = _CountingJournal("home", tmp_path)
    appends = _GroupAppends()
    entries = await asyncio.gather(*(appends.add(journal, _fields(n)) for n in range(1, 11)))
    assert journal.writes == [10]
    assert [(e.id, e.changes[0].id) for e in entries] == [(n, n) for n in range(1, 11)]
    assert [e.id for e in journal.entries()] == list(range(1, 11))


async def test_a_caller_cancelled_while_its_entry_waits_still_has_it_written(tmp_path: Path) -> None:
    """The write was sent; cancelling the one who waits for its entry must not lose the entry."""
    journal = Journal("home", tmp_path)
    appends = _GroupAppends()

    async def cancel_the_first_then_append() -> object:
        first.cancel()
        return await appends.add(journal, _fields(2))

    first = asyncio.create_task(appends.add(journal, _fields(1)))
    second = asyncio.create_task(cancel_the_first_then_append())
    assert (await second).id == 2
    with pytest.raises(asyncio.CancelledError):
        await first
    assert [e.changes[0].id for e in journal.entries()] == [1, 2]


async def test_a_journal_that_cannot_be_written_fails_every_append_of_the_write(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal folder should be")
    journal = Journal("home", blocker / "journal")
    appends = _GroupAppends()
    outcomes = await asyncio.gather(*(appends.add(journal, _fields(n)) for n in (1, 2)), return_exceptions=True)
    assert all(isinstance(outcome, JournalError) for outcome in outcomes)
