"""The local trash: every channel the app deletes is appended here first, so a delete can be undone.

File: `trash.jsonl` in the data folder (`config.data_dir()`; `$TUI_CHANNELS_DATA_DIR` overrides
it). Lines are only ever appended, never rewritten. The file is created readable by its owner
only (0600), because records hold upstream keys wherever the server returned them.

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
      "channel": {                            # the neutral fields, as the app showed them
        "id": 12, "name": "openai-main-01", "type": 1, "type_name": "OpenAI",
        "status": "enabled", "base_url": "", "key": null, "models": ["gpt-4o"],
        "groups": ["default"], "priority": 0, "weight": 0, "tag": null
      },
      "raw": { ... }                          # the server's record, verbatim, as last loaded
    }

and a mark line, for a record whose delete did not happen:

    {"version": 1, "mark": "not_deleted", "entry": "3f2a…", "marked_at": "…", "reason": "…"}

`raw` is what a restore sends back: every field the server had, in its own wire format (New API:
`group` and `models` as comma-separated strings, `key` always "" because New API never returns
keys; Octopus: the full key, or legacy `keys` / `base_urls` lists). `channel.key` is null where
the server did not return the key. A record that fails to read is reported with its line number.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..backends.base import Capabilities
from ..config import data_dir
from ..errors import ChannelsError
from ..models import Channel, neutral_record

TRASH_FILE = "trash.jsonl"
FORMAT_VERSION = 1


class TrashError(ChannelsError):
    title = "Trash problem"


def trash_path() -> Path:
    return data_dir() / TRASH_FILE


NOT_DELETED = "not_deleted"


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


def _write(lines: list[dict[str, Any]], path: Path | None, *, failure: str = "") -> Path:
    target = path or trash_path()
    text = "".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise TrashError(
            f"Could not write the trash file {target} ({exc.strerror or exc}). "
            f"{failure or 'Nothing was deleted.'} Check that the data folder is writable "
            "(or set TUI_CHANNELS_DATA_DIR)."
        ) from None
    return target


def read(path: Path | None = None) -> list[dict[str, Any]]:
    """Every record of a channel really deleted, oldest first; an empty list when nothing was."""
    source = path or trash_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TrashError(f"Could not read the trash file {source} ({exc.strerror or exc}).") from None
    records = []
    undone: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrashError(f"Line {number} of {source} is not valid JSON ({exc.msg}).") from None
        if isinstance(record, dict) and record.get("mark") == NOT_DELETED:
            undone.add(str(record.get("entry")))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("raw"), dict):
            raise TrashError(f"Line {number} of {source} is not a trash record (no 'raw' object).")
        records.append(record)
    return [record for record in records if record.get("entry") not in undone]
