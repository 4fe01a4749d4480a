"""The local trash: every channel the app deletes is appended here first, so a delete can be undone.

File: `trash.jsonl` in the data folder (`config.data_dir()`; `$TUI_CHANNELS_DATA_DIR` overrides
it). Lines are appended; only `purge` rewrites the file (atomically, under the file's lock). The
file is created readable by its owner only (0600), because records hold upstream keys wherever the
server returned them.

A record is written before its delete is sent (so nothing is deleted unrecorded); a delete the
server then refused, or that never ran, gets a mark line, and `read()` leaves marked records out:
the trash lists what was really deleted.

Format: UTF-8 JSON Lines, one deleted channel per line:

    {
      "version": 1,
      "entry": "3f2a…",                       # this record's id, for marks
      "deleted_at": "2026-08-30T12:34:56Z",   # UTC, ISO 8601, the moment before the delete
      "site": "home-gateway",                 # the site profile's name
      "backend": "newapi",                    # "newapi" or "octopus"
      "flavor": "newapi",                     # protocol flavor, e.g. newapi-legacy, octopus-legacy
      "reason": "delete",                     # "delete" (d), "delete_disabled" (X) or "undo" (of a create)
      "channel": {                            # the neutral fields, as the server held them at the delete
        "id": 12, "name": "openai-main-01", "type": 1, "type_name": "OpenAI",
        "status": "enabled", "base_url": "", "key": null, "models": ["gpt-4o"],
        "groups": ["default"], "priority": 0, "weight": 0, "tag": null
      },
      "raw": { ... }                          # the server's record, verbatim, read just before the delete
    }

and mark lines, for a record whose delete did not happen, and for one restored since:

    {"version": 1, "mark": "not_deleted", "entry": "3f2a…", "marked_at": "…", "reason": "…"}
    {"version": 1, "mark": "restored", "entry": "3f2a…", "marked_at": "…", "site": "…", "id": 31}

A restored record stays (an audit trail) but `read()` leaves it out unless asked, so a restore is
not offered twice (a second one would make a duplicate channel).

`raw` is what a restore sends back: every field the server had, in its own wire format (New API:
`group` and `models` as comma-separated strings, `key` always "" because New API never returns
keys; Octopus: the full key, or legacy `keys` / `base_urls` lists). `channel.key` is null where
the server did not return the key. A record that fails to read is reported with its line number.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import Timeout

from ..backends.base import Capabilities
from ..config import data_dir, file_lock
from ..errors import ChannelsError
from ..models import Channel, neutral_record

TRASH_FILE = "trash.jsonl"
FORMAT_VERSION = 1


class TrashError(ChannelsError):
    title = "Trash problem"


def trash_path() -> Path:
    return data_dir() / TRASH_FILE


NOT_DELETED = "not_deleted"
RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class Trashed:
    """What `append` wrote: the file, and each channel's record id (for `mark_not_deleted`)."""

    path: Path
    entries: dict[int, str]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def trash_record(
    channel: Channel, *, site: str, capabilities: Capabilities, reason: str, deleted_at: datetime
) -> dict[str, Any]:
    """One trash line for `channel` (see the module docstring for the format)."""
    return {
        "version": FORMAT_VERSION,
        "entry": uuid.uuid4().hex,
        "deleted_at": _stamp(deleted_at),
        "site": site,
        "backend": capabilities.kind.value,
        "flavor": capabilities.flavor,
        "reason": reason,
        "channel": neutral_record(channel),
        "raw": dict(channel.raw),
    }


def append(
    channels: Iterable[Channel],
    *,
    site: str,
    capabilities: Capabilities,
    reason: str = "delete",
    path: Path | None = None,
    now: datetime | None = None,
) -> Trashed:
    """Append one record per channel, in one write; returns the file and the records' ids.

    Raises `TrashError` when the file cannot be written: the caller must then delete nothing.
    """
    moment = now or datetime.now(UTC)
    records = [trash_record(c, site=site, capabilities=capabilities, reason=reason, deleted_at=moment) for c in channels]
    target = _write(records, path)
    return Trashed(target, {record["channel"]["id"]: record["entry"] for record in records})


def mark_not_deleted(entries: Iterable[str], *, reason: str, path: Path | None = None) -> None:
    """Mark records whose delete the server refused or that never ran: `read()` leaves them out.

    Raises `TrashError` when the mark cannot be written (the trash then still lists them).
    """
    moment = _stamp(datetime.now(UTC))
    marks = [
        {"version": FORMAT_VERSION, "mark": NOT_DELETED, "entry": entry, "marked_at": moment, "reason": reason}
        for entry in entries
    ]
    if marks:
        _write(marks, path, failure="The trash still lists them as deleted.")


def mark_restored(entry: str, *, site: str, channel_id: int, path: Path | None = None) -> None:
    """Mark a record restored (to `site`, as channel `channel_id`): `read()` no longer offers it.

    Raises `TrashError` when the mark cannot be written (the trash then still offers it).
    """
    mark = {
        "version": FORMAT_VERSION,
        "mark": RESTORED,
        "entry": entry,
        "marked_at": _stamp(datetime.now(UTC)),
        "site": site,
        "id": channel_id,
    }
    _write([mark], path, failure="The trash still offers it for a restore.")


def _write(lines: list[dict[str, Any]], path: Path | None, *, failure: str = "") -> Path:
    target = path or trash_path()
    text = "".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines)
    try:
        with file_lock(target):
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
    except (OSError, Timeout) as exc:
        raise TrashError(
            f"Could not write the trash file {target} ({getattr(exc, 'strerror', None) or exc}). "
            f"{failure or 'Nothing was deleted.'} Check that the data folder is writable "
            "(or set TUI_CHANNELS_DATA_DIR)."
        ) from None
    return target


def _lines(source: Path) -> list[dict[str, Any]]:
    """Every line of the file as JSON objects, in order; an empty list when there is no file."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TrashError(f"Could not read the trash file {source} ({exc.strerror or exc}).") from None
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrashError(f"Line {number} of {source} is not valid JSON ({exc.msg}).") from None
        if not isinstance(record, dict) or ("mark" not in record and not isinstance(record.get("raw"), dict)):
            raise TrashError(f"Line {number} of {source} is not a trash record (no 'raw' object).")
        lines.append(record)
    return lines


def read(path: Path | None = None, *, include_restored: bool = False) -> list[dict[str, Any]]:
    """Every record of a channel really deleted, oldest first; an empty list when nothing was.

    Restored records are left out unless `include_restored`; then each carries `restored`:
    `{"site", "id", "marked_at"}` of its (last) restore.
    """
    lines = _lines(path or trash_path())
    undone = {str(line.get("entry")) for line in lines if line.get("mark") == NOT_DELETED}
    restored = {str(line.get("entry")): line for line in lines if line.get("mark") == RESTORED}
    records = []
    for line in lines:
        entry = str(line.get("entry"))
        if "mark" in line or entry in undone:
            continue
        mark = restored.get(entry)
        if mark is not None:
            if not include_restored:
                continue
            line = {**line, "restored": {k: mark.get(k) for k in ("site", "id", "marked_at")}}
        records.append(line)
    return records


def purge(
    *, older_than: timedelta | None = None, restored: bool = False, path: Path | None = None, now: datetime | None = None
) -> int:
    """Remove the records deleted more than `older_than` ago, and with `restored` those restored,
    with their marks; returns how many records went. The file is rewritten atomically (0600).

    Raises `TrashError` when it cannot be read or rewritten (then it is left as it was).
    """
    target = path or trash_path()
    cutoff = _stamp((now or datetime.now(UTC)) - older_than) if older_than is not None else None
    try:
        with file_lock(target):
            lines = _lines(target)
            done = {str(line.get("entry")) for line in lines if line.get("mark") == RESTORED}
            gone = {
                str(line.get("entry"))
                for line in lines
                if "mark" not in line
                and ((restored and str(line.get("entry")) in done) or (cutoff and str(line.get("deleted_at")) < cutoff))
            }
            if gone:
                kept = [line for line in lines if str(line.get("entry")) not in gone]
                _replace(target, kept)
    except (OSError, Timeout) as exc:
        raise TrashError(
            f"Could not purge the trash file {target} ({getattr(exc, 'strerror', None) or exc}); it is unchanged."
        ) from None
    return len(gone)


def _replace(target: Path, lines: list[dict[str, Any]]) -> None:
    """Write `lines` to a temporary file beside `target` (0600), then put it in `target`'s place."""
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
