"""`tui-channels channels sync|test|balance`: a batch over a site's channels, for cron and SSH.

Progress goes to standard error: one line rewritten in place on a terminal, a plain line every
few seconds otherwise; both say when the batch waits for the request budget or a server's 429,
and until when. The report goes to standard output: a table, or with `--json` a list of
per-channel results; lines on why a batch stopped early and how long it waited follow on
standard error. Exit code 0 when no channel failed or was cancelled (skipped channels were
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
from dataclasses import dataclass, field
from typing import TextIO

from ..backends.base import Backend
from ..backends.base import Operation as ServerOperation
from ..config import SiteProfile, load_config
from ..errors import NotFound
from ..models import Channel
from ..secret_store import SecretStore
from ..services import balance, connectivity, sync, test_log
from ..services.batch import BatchProgress, BatchRun, BatchSettings, format_eta, pause_text, skipped
from ..services.results import ChannelResult, Outcome, tally
from ..services.sites import SiteSession
from ..wording import aside
from .channels import matches_search
from .common import format_table, warn_skipped

TTY_INTERVAL = 0.1
PLAIN_INTERVAL = 5.0
"""Seconds between progress updates on a terminal, and between plain progress lines otherwise."""


class ProgressLine:
    """Batch progress on a stream: rewritten in place on a terminal, plain lines otherwise.

    Off a terminal a line is written every `PLAIN_INTERVAL` seconds, and at once when the batch
    starts or stops waiting (for the request budget or a server's 429), so a log says when and why.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._shown_at = 0.0
        self._reason: str | None = None

    def reporter(self, title: str) -> Callable[[BatchProgress], None]:
        def show(progress: BatchProgress) -> None:
            if not progress.total:
                return
            reason = progress.pause.reason if progress.pause is not None else None
            changed, self._reason = reason != self._reason, reason
            done = progress.done >= progress.total
            if self.due(done=done, now=changed):
                self.show(progress_text(title, progress), done=done, now=changed)

        return show

    def due(self, *, done: bool, now: bool = False) -> bool:
        """Whether a line would be written now: a batch reports every result, and a line made for
        each of them would be thrown away but for one in a hundred."""
        if done or now:
            return True
        return time.monotonic() - self._shown_at >= (TTY_INTERVAL if self.tty else PLAIN_INTERVAL)

    def show(self, text: str, *, done: bool, now: bool = False) -> None:
        """Write a progress line if it is due, or at once when `done` or `now` (a wait began or ended)."""
        if not self.due(done=done, now=now):
            return
        self._shown_at = time.monotonic()
        if self.tty:
            self.stream.write(f"\r\x1b[2K{text}" + ("\n" if done else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def progress_text(title: str, progress: BatchProgress) -> str:
    """`test: 70/90 · 68 ok · 2 failed · 3.1/s · ETA 6s`; `test: 0/90 · starting` before the first
    result (a rate and an ETA from nothing would read as a stalled batch)."""
    head = f"{title}: {progress.done:,}/{progress.total:,}"
    if not progress.done and progress.pause is None:
        return f"{head} · starting"
    parts = [head, f"{progress.ok:,} ok"]
    if progress.failed:
        parts.append(f"{progress.failed:,} failed")
    if progress.skipped:
        parts.append(f"{progress.skipped:,} skipped")
    parts.append(f"{progress.rate:.1f}/s")
    if progress.done < progress.total:
        parts.append(f"ETA {format_eta(progress.eta)}")
    if progress.pause is not None and progress.done < progress.total:
        parts.append(pause_text(progress.pause))
    return " · ".join(parts)


def run(args: argparse.Namespace) -> int:
    profile = load_config().site(args.site)
    report = asyncio.run(_run(profile, args, ProgressLine(sys.stderr)))
    if args.json:
        print(json.dumps([result.to_json() for result in report.results], indent=2, ensure_ascii=False))
    elif report.results:
        print(report_table(report.results))
    else:
        print("No channel matches.", file=sys.stderr)
    for note in report.notes:
        print(note, file=sys.stderr)
    return 0 if report.ok else 1


@dataclass
class Report:
    """What a command ran: one result per channel, whether it succeeded, and lines for the end."""

    results: list[ChannelResult]
    ok: bool
    notes: list[str] = field(default_factory=list)

    def add(self, run: BatchRun) -> None:
        """Say why `run` stopped early and how long it waited for the server's rate limit."""
        if run.cancelled:
            counts = tally(self.results)
            self.notes.append(
                f"Not finished {aside(run.stop_reason)}: {counts[Outcome.OK]:,} done, "
                f"{counts[Outcome.FAILED]:,} failed, {counts[Outcome.CANCELLED]:,} not done."
            )
        summary = run.pacing_summary()
        if summary:
            self.notes.append(summary)


async def _run(profile: SiteProfile, args: argparse.Namespace, progress: ProgressLine) -> Report:
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
            planned = _planned(backend, channels, args.action, verb, getattr(args, "model", None))
            return Report(planned, succeeded(planned))
        settings = BatchSettings(concurrency=concurrency, read_only=True)
        run = BatchRun(channels, operation, settings, on_progress=progress.reporter(args.action))
        results = await run.run()
        if args.action == "test":
            _keep_tests(profile.name, results)
        report = Report(results, succeeded(results))
        report.add(run)
        return report
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
) -> Report:
    """Preview, then (unless a dry run) write exactly the previewed changes."""
    options = sync.SyncOptions.from_profile(profile, keep_unlisted=args.keep_unlisted)
    preview = BatchRun(
        channels,
        sync.preview_operation(backend, options),
        BatchSettings(concurrency=concurrency, read_only=True),
        on_progress=progress.reporter("sync preview"),
    )
    previews = await preview.run()
    stopped = any(result.outcome is Outcome.CANCELLED for result in previews)
    if args.dry_run or stopped:
        report = Report(previews, succeeded(previews))
        report.add(preview)
        return report
    plans = sync.changes(previews)
    apply = BatchRun(
        [channel for channel in channels if channel.id in plans],
        sync.apply_operation(backend, plans),
        BatchSettings(concurrency=concurrency, read_only=False),
        on_progress=progress.reporter("sync apply"),
    )
    applied = await apply.run()
    results = sync.merged(previews, applied)
    report = Report(results, succeeded(results))
    report.add(preview)
    report.add(apply)
    return report


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
