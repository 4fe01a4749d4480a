"""The history journal: every write the tool makes to a site, one JSON line per write, per site.

Files: `journal/<site>.jsonl` in the data folder (`config.data_dir()`; `$TUI_CHANNELS_DATA_DIR`
overrides it). A site name that is not a plain file name (spaces, slashes, non-ASCII) is written
as a slug plus a short hash of the name, so two names never share a file. Files are created
readable by their owner only (0600) and only ever appended to. Every append takes the file's lock
(`.<file>.lock` beside it, `filelock`), so the app and any number of commands may write at once;
entry ids count up per site under that lock.

Rotation by size, under the same lock: an append that finds the file at `ROTATE_AT_BYTES` or more
first renames it `<file>.1` (the one before becomes `.2`, and so on), keeping `KEEP_ROTATED`
rotated files and deleting the oldest; ids go on counting from the rotated file's last. Reads
take the rotated files too, so the history and undo reach every entry kept. (The standard
library's rotating log handler does not fit: it neither shares a lock across processes nor keeps
ids counting.)

Each line is one `Entry`:

    {
      "v": 2,                                    # 2: changes carry the channel's identity
      "id": 17,                                  # per site, counting up from 1
      "at": "2026-08-30T12:34:56.789Z",          # UTC, when the write was sent
      "site": "home", "backend": "newapi", "flavor": "newapi",
      "op": "update",                            # the backend call (see `recorder.WRITES`)
      "action": "sync",                          # what the user did: edit, sync, import, restore, undo…
      "ok": true, "error": "",                   # a failed write is journalled too, with the reason
      "args": {"tag": "team-a"},                 # the call's other parameters, scrubbed
      "changes": [{"of": "channel", "id": 5, "name": "openai-1",
                   "created": 1720000000,        # the server's creation time, where it has one
                   "before": {"models": ["a"]}, "after": {"models": ["a", "b"]},
                   "withheld": []}],             # fields whose values are secrets: named, never stored
      "undoes": null,                            # the entry this write undid, for an undo
      "batch": "3f2a9c1b7e"                      # shared by the writes of one batch, else null
    }

`before` is null for a channel the write created, `after` null for one it deleted. A change names
its channel by id and by identity: `name` (the channel's name right after the write) and `created`
(the server's creation time of the channel, unix seconds: New API family `created_time`, AxonHub
`createdAt`; null where the server keeps none, as Octopus and Claude Code Hub). New API, One API
and Veloera on SQLite give a new channel the highest id plus one, so a channel created after the
highest was deleted takes its id: an undo tells the two apart by identity (see `undo`). Entries of
version 1 carry no identity. Values are
those `Backend.update_channel` takes (see `change_values`), so an undo sends them back as they are.
No value here is a secret: keys, key lists and headers are withheld by name, and any other value
the scrubber (`redact.scrub`) would mask is withheld too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, ValidationError

from ..config import data_dir
from ..errors import ChannelsError
from ..redact import logger

JOURNAL_DIR = "journal"
FORMAT_VERSION = 2
"""2: each change carries its channel's identity (`Change.created`, and `name` compared as such)."""
LOCK_TIMEOUT = 10.0
"""Seconds to wait for another process's append before giving up."""
ROTATE_AT_BYTES = 4 * 1024 * 1024
"""A site's journal file is rotated before an append once it holds this many bytes (4 MiB, some
10,000 entries)."""
KEEP_ROTATED = 4
"""Rotated files kept per site (`<file>.1` the newest … `.4`); a site's journal stays under about
20 MiB, and entries older than the oldest kept file are gone from the history."""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_log = logger(__name__)


class JournalError(ChannelsError):
    title = "History journal problem"


class Change(BaseModel):
    """What one write did to one channel: its values before and after, by change field."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    of: str = "channel"
    id: int | None = None
    name: str = ""
    created: int | None = None
    """The server's creation time of the channel (unix seconds), where the server returns one: with
    `name`, which channel this was, whatever holds its id later."""
    before: dict[str, Any] | None = None
    """None: the channel did not exist before (a create)."""
    after: dict[str, Any] | None = None
    """None: the channel does not exist after (a delete)."""
    withheld: tuple[str, ...] = ()
    """Fields that changed but whose values are secrets, so neither side is stored."""

    @property
    def fields(self) -> list[str]:
        """The fields this change records, in the order they were written, withheld ones last."""
        names = dict.fromkeys([*(self.before or {}), *(self.after or {})])
        return [*names, *(n for n in self.withheld if n not in names)]


class Entry(BaseModel):
    """One journalled write (see the module docstring for the file format)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: int = FORMAT_VERSION
    id: int
    at: datetime
    site: str
    backend: str = ""
    flavor: str = ""
    op: str
    action: str = ""
    ok: bool = True
    error: str = ""
    args: dict[str, Any] = {}
    changes: tuple[Change, ...] = ()
    undoes: int | None = None
    batch: str | None = None
    """Shared by the entries of one batch (a bulk action, an import), so they can be undone together."""

    @property
    def label(self) -> str:
        """What the user did, as the history shows it."""
        return self.action or self.op

    def channel_ids(self) -> set[int]:
        return {c.id for c in self.changes if c.of == "channel" and c.id is not None}

    def to_line(self) -> str:
        data = self.model_dump(mode="json")
        data["at"] = format_time(self.at)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def format_time(moment: datetime) -> str:
    """UTC, ISO 8601, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def journal_dir() -> Path:
    return data_dir() / JOURNAL_DIR


def file_name(site: str) -> str:
    """The site's journal file name: the name itself when it is a plain file name, else a slug and a hash."""
    if _PLAIN_NAME.fullmatch(site):
        return f"{site}.jsonl"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", site).strip("-.")[:40] or "site"
    digest = hashlib.sha256(site.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.jsonl"


def journal_path(site: str, directory: Path | None = None) -> Path:
    return (directory or journal_dir()) / file_name(site)


def rotated_path(path: Path, number: int) -> Path:
    """The `number`th rotated file of a journal file (1 is the newest)."""
    return path.with_name(f"{path.name}.{number}")


def rotated_paths(path: Path) -> list[Path]:
    """A journal file's rotated files that exist, oldest first."""
    found = [rotated_path(path, n) for n in range(KEEP_ROTATED, 0, -1)]
    return [p for p in found if p.is_file()]


class Journal:
    """One site's journal file: appends under the file's lock, reads tolerate a torn last line."""

    def __init__(self, site: str, directory: Path | None = None) -> None:
        self.site = site
        self.path = journal_path(site, directory)
        self._checked = False

    def _lock(self) -> FileLock:
        return FileLock(self.path.with_name(f".{self.path.name}.lock"), timeout=LOCK_TIMEOUT)

    def ensure_writable(self) -> None:
        """Raise `JournalError` unless entries can be appended; the check is done once, then kept."""
        if self._checked:
            return
        try:
            with self._lock():
                self._open().close()
        except (OSError, Timeout) as exc:
            raise self._error("cannot be written", exc, "Nothing was changed on the server") from None
        self._checked = True

    @property
    def known_writable(self) -> bool:
        """Whether `ensure_writable` passed and no append has failed since (no need to ask again)."""
        return self._checked

    def append(self, **fields: Any) -> Entry:
        """Append one entry with the next id; `fields` are the `Entry` fields other than `id` and `v`.

        Raises `JournalError` when the file cannot be written.
        """
        return self.append_all([fields])[0]

    def append_all(self, drafts: Sequence[Mapping[str, Any]]) -> list[Entry]:
        """Append entries in order with the next ids, in one write under one lock and one fsync.

        A batch's writes finish close together; each taking the lock and syncing the disk on its
        own made the journal, not the server, what bounded a batch's writes. Raises `JournalError`
        when the file cannot be written.
        """
        try:
            with self._lock():
                last = self._rotate_if_full()
                with self._open() as handle:
                    last = _last_id(handle) or last or self._last_rotated_id()
                    entries = [Entry(id=last + n, site=self.site, **fields) for n, fields in enumerate(drafts, 1)]
                    handle.seek(0, os.SEEK_END)
                    if handle.tell() and not _ends_with_newline(handle):
                        handle.write(b"\n")
                    handle.write("".join(entry.to_line() for entry in entries).encode("utf-8"))
                    handle.flush()
                    os.fsync(handle.fileno())
        except (OSError, Timeout) as exc:
            self._checked = False
            raise self._error("could not record a change", exc, "The change itself was sent") from None
        return entries

    def _rotate_if_full(self) -> int:
        """Under the lock: rotate the file when it is full; the last id it held (0 when not rotated)."""
        try:
            if self.path.stat().st_size < ROTATE_AT_BYTES:
                return 0
        except FileNotFoundError:
            return 0
        with self._open() as handle:
            last = _last_id(handle)
        rotated_path(self.path, KEEP_ROTATED).unlink(missing_ok=True)
        for number in range(KEEP_ROTATED - 1, 0, -1):
            older = rotated_path(self.path, number)
            if older.exists():
                older.replace(rotated_path(self.path, number + 1))
        self.path.replace(rotated_path(self.path, 1))
        return last

    def _last_rotated_id(self) -> int:
        """The last id of the newest rotated file, for a current file still empty after a rotation."""
        newest = rotated_path(self.path, 1)
        try:
            with newest.open("rb") as handle:
                return _last_id(handle)
        except FileNotFoundError:
            return 0

    def _open(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(descriptor, "r+b")

    def _error(self, what: str, exc: BaseException, consequence: str) -> JournalError:
        reason = "another process holds its lock" if isinstance(exc, Timeout) else (
            getattr(exc, "strerror", None) or type(exc).__name__
        )
        return JournalError(
            f"The history journal {self.path} {what} ({reason}). {consequence}; check that the data "
            "folder is writable (or set TUI_CHANNELS_DATA_DIR)."
        )

    def entries(self) -> list[Entry]:
        """Every entry kept, in the rotated files and the current one, oldest first."""
        return read_entries([*rotated_paths(self.path), self.path], site=self.site).entries


def _ends_with_newline(handle) -> bool:
    handle.seek(-1, os.SEEK_END)
    return handle.read(1) == b"\n"


def _last_id(handle, chunk: int = 65536) -> int:
    """The id of the last readable entry, reading the file backwards; 0 for an empty journal."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    tail = b""
    while end > 0:
        start = max(0, end - chunk)
        handle.seek(start)
        tail = handle.read(end - start) + tail
        end = start
        lines = tail.split(b"\n")
        complete = lines if start == 0 else lines[1:]
        for line in reversed(complete):
            found = _line_id(line)
            if found is not None:
                return found
        tail = lines[0] if start else b""
    return 0


def _line_id(line: bytes) -> int | None:
    if not line.strip():
        return None
    try:
        value = json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


@dataclass(frozen=True, slots=True)
class JournalRead:
    """Entries read back, oldest first, and how many lines could not be read."""

    entries: list[Entry]
    unreadable: int = 0


def journal_files(directory: Path | None = None) -> list[Path]:
    """Every site's journal files, each site's rotated files (oldest first) before its current one."""
    folder = directory or journal_dir()
    try:
        current = sorted(p for p in folder.glob("*.jsonl") if p.is_file())
    except OSError:
        return []
    return [path for file in current for path in (*rotated_paths(file), file)]


def read_entries(paths: Iterable[Path] | None = None, *, site: str | None = None) -> JournalRead:
    """Every entry of these files (default: every site's), oldest first; `site` keeps one site's.

    A line that is not an entry (a torn write, a hand edit) is counted in `unreadable`, not fatal.
    Raises `JournalError` when a file exists but cannot be read.
    """
    entries: list[Entry] = []
    unreadable = 0
    for path in journal_files() if paths is None else paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise JournalError(f"Could not read the history journal {path} ({exc.strerror or exc}).") from None
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                entry = Entry.model_validate_json(line)
            except ValidationError:
                unreadable += 1
                continue
            if site is None or entry.site == site:
                entries.append(entry)
    if unreadable:
        _log.warning("%d unreadable lines in the history journal", unreadable)
    entries.sort(key=lambda e: (e.at, e.site, e.id))
    return JournalRead(entries, unreadable)


# -- choosing entries ------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """`--since`: a time ago (`30m`, `12h`, `7d`, `2w`) or a UTC date or time (`2026-08-30`,
    `2026-08-30T12:00`). Raises `ValueError` with what was expected."""
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if match:
        amount, unit = match.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        raise ValueError(f"{text!r} is neither a time ago (30m, 12h, 7d, 2w) nor a date (2026-08-30)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Which entries to show: by site, channel (id or exact name), time, operation and batch."""

    site: str | None = None
    channel: str | None = None
    since: datetime | None = None
    op: str | None = None
    batch: str | None = None

    def matches(self, entry: Entry) -> bool:
        if self.batch is not None and entry.batch != self.batch:
            return False
        if self.site is not None and entry.site != self.site:
            return False
        if self.since is not None and entry.at < self.since:
            return False
        if self.op is not None and self.op.lower() not in (entry.op, entry.action):
            return False
        if self.channel is not None:
            wanted = self.channel.strip().lstrip("#")
            return any(
                (str(c.id) == wanted if wanted.isdigit() else c.name == self.channel)
                for c in entry.changes
                if c.of == "channel"
            )
        return True


def select(entries: Sequence[Entry], wanted: EntryFilter) -> list[Entry]:
    return [e for e in entries if wanted.matches(e)]


def find(entries: Sequence[Entry], site: str, entry_id: int) -> Entry | None:
    return next((e for e in entries if e.site == site and e.id == entry_id), None)
