"""`tui-channels channels sync|test|balance`: a batch over a site's channels, for cron and SSH.

Progress goes to standard error: one line rewritten in place on a terminal, a plain line every
few seconds otherwise. The report goes to standard output: a table, or with `--json` a list of
per-channel results. Exit code 0 when no channel failed or was cancelled (skipped channels were
left out on purpose: a type the gateway cannot test or list, a channel the sync rules exclude);
the same with `--dry-run`: a sync preview that failed for a channel exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from ..backends.base import Backend
from ..backends.base import Operation as ServerOperation
from ..config import SiteProfile, load_config
from ..errors import NotFound
from ..models import Channel
from ..secret_store import SecretStore
from ..services import balance, connectivity, sync, test_log
from ..services.batch import BatchProgress, BatchRun, BatchSettings, format_eta, skipped
from ..services.results import ChannelResult, Outcome
from ..services.sites import SiteSession
from .channels import matches_search
from .common import format_table, warn_skipped

TTY_INTERVAL = 0.1
PLAIN_INTERVAL = 5.0
"""Seconds between progress updates on a terminal, and between plain progress lines otherwise."""


class ProgressLine:
    """Batch progress on a stream: rewritten in place on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._shown_at = 0.0

    def reporter(self, title: str) -> Callable[[BatchProgress], None]:
        def show(progress: BatchProgress) -> None:
            self.show(progress_text(title, progress), done=progress.done >= progress.total)

        return show

    def show(self, text: str, *, done: bool) -> None:
        """Write a progress line now if it is due (always when `done`), else skip it."""
        now = time.monotonic()
        if not done and now - self._shown_at < (TTY_INTERVAL if self.tty else PLAIN_INTERVAL):
            return
        self._shown_at = now
        if self.tty:
            self.stream.write(f"\r\x1b[2K{text}" + ("\n" if done else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def progress_text(title: str, progress: BatchProgress) -> str:
    parts = [f"{title}: {progress.done:,}/{progress.total:,}", f"{progress.ok:,} ok"]
    if progress.failed:
        parts.append(f"{progress.failed:,} failed")
    if progress.skipped:
        parts.append(f"{progress.skipped:,} skipped")
    parts.append(f"{progress.rate:.1f}/s")
    if progress.done < progress.total:
        parts.append(f"ETA {format_eta(progress.eta)}")
    return " · ".join(parts)


def run(args: argparse.Namespace) -> int:
    profile = load_config().site(args.site)
    results, ok = asyncio.run(_run(profile, args, ProgressLine(sys.stderr)))
    if args.json:
        print(json.dumps([result.to_json() for result in results], indent=2, ensure_ascii=False))
    elif results:
        print(report_table(results))
    else:
        print("No channel matches.", file=sys.stderr)
    return 0 if ok else 1


async def _run(
    profile: SiteProfile, args: argparse.Namespace, progress: ProgressLine
) -> tuple[list[ChannelResult], bool]:
    session = SiteSession(profile=profile, secrets=SecretStore())
    try:
        channels = chosen(await session.load(), args)
        warn_skipped(session.warnings)
        backend = await session.connect()
        concurrency = args.concurrency or profile.concurrency
        if args.action == "sync":
            return await _sync(backend, profile, channels, args, concurrency, progress)
        if args.action == "balance":
            backend.capabilities.require(ServerOperation.BALANCE)
            operation, verb = balance.balance_operation(backend), "refreshed"
        else:
            operation, verb = connectivity.connectivity_operation(backend, args.model), "tested"
            warning = connectivity.disable_warning(backend.capabilities)
            if warning:
                print(f"Note: {warning}", file=sys.stderr)
        if args.dry_run:
            return _planned(backend, channels, args.action, verb, getattr(args, "model", None)), True
        settings = BatchSettings(concurrency=concurrency, read_only=True)
        results = await BatchRun(channels, operation, settings, on_progress=progress.reporter(args.action)).run()
        if args.action == "test":
            _keep_tests(profile.name, results)
        return results, succeeded(results)
    finally:
        await session.disconnect()


def _keep_tests(site: str, results: Sequence[ChannelResult]) -> None:
    """Record the test results for `fleet health`; a failure to record is a warning, not a failed run."""
    try:
        test_log.record(site, results)
    except test_log.TestLogError as error:
        print(f"warning: {error.message}; these results will not show in `fleet health`", file=sys.stderr)


def chosen(channels: Sequence[Channel], args: argparse.Namespace) -> list[Channel]:
    """The channels `--all`, `--ids` or `--search` name; unknown ids stop the run before any work."""
    if args.ids:
        by_id = {channel.id: channel for channel in channels}
        missing = [str(i) for i in args.ids if i not in by_id]
        if missing:
            raise NotFound(
                f"No channel with id {', '.join(missing)} on site {args.site!r}; "
                f"`tui-channels channels list --site {args.site}` shows the ids."
            )
        return [by_id[i] for i in dict.fromkeys(args.ids)]
    keyword = (args.search or "").strip().lower()
    return [channel for channel in channels if matches_search(channel, keyword)]


def _planned(
    backend: Backend, channels: Sequence[Channel], action: str, verb: str, model: str | None
) -> list[ChannelResult]:
    """A dry run of a test or balance refresh: each channel and whether it would run."""
    capabilities = backend.capabilities
    results = []
    for channel in channels:
        reason = connectivity.skip_reason(channel, capabilities, model) if action == "test" else None
        results.append(skipped(channel, f"dry run: would be {verb}" if reason is None else reason))
    return results


async def _sync(
    backend: Backend,
    profile: SiteProfile,
    channels: Sequence[Channel],
    args: argparse.Namespace,
    concurrency: int,
    progress: ProgressLine,
) -> tuple[list[ChannelResult], bool]:
    """Preview, then (unless a dry run) write exactly the previewed changes."""
    options = sync.SyncOptions.from_profile(profile, keep_unlisted=args.keep_unlisted)
    previews = await BatchRun(
        channels,
        sync.preview_operation(backend, options),
        BatchSettings(concurrency=concurrency, read_only=True),
        on_progress=progress.reporter("sync preview"),
    ).run()
    stopped = any(result.outcome is Outcome.CANCELLED for result in previews)
    if args.dry_run or stopped:
        return previews, not stopped and succeeded(previews)
    plans = sync.changes(previews)
    applied = await BatchRun(
        [channel for channel in channels if channel.id in plans],
        sync.apply_operation(backend, plans),
        BatchSettings(concurrency=concurrency, read_only=False),
        on_progress=progress.reporter("sync apply"),
    ).run()
    results = sync.merged(previews, applied)
    return results, succeeded(results)


def succeeded(results: Sequence[ChannelResult]) -> bool:
    """No channel failed or was cancelled; skipped ones were left out on purpose."""
    return not any(result.outcome in (Outcome.FAILED, Outcome.CANCELLED) for result in results)


def report_table(results: Sequence[ChannelResult]) -> str:
    headers = ["ID", "NAME", "OUTCOME", "TRIES", "SECONDS", "MESSAGE"]
    rows = [
        [
            result.channel_id,
            result.name,
            result.outcome.value,
            result.attempts or "",
            f"{result.duration:.2f}" if result.attempts else "",
            result.message,
        ]
        for result in results
    ]
    return format_table(headers, rows)
