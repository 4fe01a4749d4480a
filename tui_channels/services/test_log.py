"""The last connectivity test of each channel as this tool ran it, kept in the data folder.

Servers record when a channel was last tested and how long it took, but not whether the test
passed: New API saves the response time of a test the upstream failed too (`channel-test.go`,
`UpdateResponseTime` after an upstream error; v0.6 to current), One API likewise, and Octopus and
AxonHub keep no test at all. So "last test failed" can only come from the tests this tool ran: the
app and the command line record every test result here, and the health report reads it back. A
test run elsewhere (the gateway's web UI, its scheduled test of all channels) moves the server's
`test_time` past the record's, which then no longer counts.

File: `last-tests.json` in the data folder (`config.data_dir()`), mode 0600, written atomically
under a lock (`last-tests.json.lock`) so an app and a cron job can both record:

    {"version": 1, "sites": {"home": {"12": {"ok": false, "at": 1767000000, "ms": 812,
                                              "message": "status code 401: invalid key"}}}}

Messages were scrubbed of secrets when the results were made.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ..config import data_dir, write_atomic
from ..errors import ChannelsError
from ..models import Channel
from .channel_view import format_duration_ms, relative_time
from .results import ChannelResult, Outcome

LOG_FILE = "last-tests.json"
FORMAT_VERSION = 1
LOCK_SECONDS = 10.0
"""How long a writer waits for another one before giving up (the file is small; writes are quick)."""
SUPERSEDED_AFTER = 60
"""A server `test_time` this many seconds past a record's means someone tested the channel since."""


class TestLogError(ChannelsError):
    title = "Test record problem"


@dataclass(frozen=True, slots=True)
class TestRecord:
    """One channel's last test by this tool: passed or not, when (unix seconds), how long, why."""

    ok: bool
    at: int
    milliseconds: int | None = None
    message: str = ""


Records = dict[str, dict[int, TestRecord]]
"""Test records by site name, then by channel id."""


def log_path() -> Path:
    return data_dir() / LOG_FILE


def read() -> Records:
    """Every recorded test; an empty record set when nothing was recorded yet."""
    path = log_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise TestLogError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        return {
            site: {int(channel_id): _record(entry) for channel_id, entry in channels.items()}
            for site, channels in data.get("sites", {}).items()
        }
    except (ValueError, TypeError, AttributeError, KeyError):
        raise TestLogError(f"{path} is not a test record file; delete it to start a new one") from None


def last_test(site: str, channel_id: int) -> TestRecord | None:
    """The channel's last test by this tool, or None when it never tested it. Raises `TestLogError`
    when the file cannot be read."""
    return read().get(site, {}).get(channel_id)


def describe(record: TestRecord, now: float | None = None) -> str:
    """A record in words, saying whose it is: "failed 3m ago (812 ms): status code 401 (this tool's
    test, from last-tests.json)"."""
    took = format_duration_ms(record.milliseconds)
    reason = f": {record.message}" if record.message and not record.ok else ""
    outcome = "passed" if record.ok else "failed"
    return f"{outcome} {relative_time(record.at, now)}{f' ({took})' if took else ''}{reason} (this tool's test, from {LOG_FILE})"


def _record(entry: Mapping[str, object]) -> TestRecord:
    milliseconds = entry.get("ms")
    return TestRecord(
        ok=bool(entry["ok"]),
        at=int(entry["at"]),  # type: ignore[call-overload]
        milliseconds=int(milliseconds) if isinstance(milliseconds, (int, float)) else None,
        message=str(entry.get("message") or ""),
    )


def record(site: str, results: Iterable[ChannelResult], now: float | None = None) -> int:
    """Keep the passed and failed tests of `results` (on `site`) as each channel's last; returns how many.

    Skipped and cancelled channels were not tested and keep their earlier record.
    """
    at = int(time.time() if now is None else now)
    fresh = {
        result.channel_id: TestRecord(
            ok=result.outcome is Outcome.OK,
            at=at,
            milliseconds=round(result.value * 1000) if isinstance(result.value, (int, float)) else None,
            message=result.message,
        )
        for result in results
        if result.outcome in (Outcome.OK, Outcome.FAILED)
    }
    if not fresh:
        return 0
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=LOCK_SECONDS):
            records = read()
            records.setdefault(site, {}).update(fresh)
            write_atomic(path, json.dumps(_document(records), ensure_ascii=False, indent=1))
    except Timeout:
        raise TestLogError(f"{path} stayed locked by another tui-channels for {LOCK_SECONDS:g} s") from None
    except OSError as exc:
        raise TestLogError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(fresh)


def record_by_site(results: Iterable[ChannelResult], now: float | None = None) -> int:
    """`record` for results that span sites (each stamped with its site); returns how many."""
    grouped: dict[str, list[ChannelResult]] = {}
    for result in results:
        grouped.setdefault(result.site, []).append(result)
    return sum(record(site, found, now) for site, found in grouped.items() if site)


def _document(records: Records) -> dict[str, object]:
    return {
        "version": FORMAT_VERSION,
        "sites": {
            site: {
                str(channel_id): {"ok": r.ok, "at": r.at, "ms": r.milliseconds, "message": r.message}
                for channel_id, r in sorted(channels.items())
            }
            for site, channels in sorted(records.items())
        },
    }


def last_failure(records: Records, site: str, channel: Channel) -> TestRecord | None:
    """The channel's last test by this tool if it failed and nobody has tested the channel since."""
    found = records.get(site, {}).get(channel.id)
    if found is None or found.ok:
        return None
    if channel.test_time and channel.test_time > found.at + SUPERSEDED_AFTER:
        return None
    return found
