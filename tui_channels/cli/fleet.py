"""`tui-channels fleet ...`: every site at once, for cron and SSH.

Every command loads the chosen sites together (each configured site, or those `--sites` names);
a site that does not answer is reported on standard error and the others go on, and the exit code
then says something failed. `test`, `sync` and `balance` run each site's share at once, under the
site's own concurrency and request budget (a site whose server lacks the operation has its
channels skipped, with the reason), print one progress line with each site's count on standard
error and a report grouped by site on standard output: a table, or with `--json` an object with
each site's outcome and every channel's result. `health` and `find` report across the fleet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pydantic import ValidationError

from ..backends.base import Operation as ServerOperation
from ..config import AppConfig, HealthSettings, SiteProfile, load_config
from ..models import Channel
from ..services import balance, connectivity, sync, test_log
from ..services.batch import BatchSettings, skipped
from ..services.channel_view import CELL_TEXT
from ..services.fleet import left_out, split_by_support
from ..services.fleet_batch import FleetProgress, FleetRun, SiteBatch, by_site, site_batch
from ..services.results import ChannelResult, Outcome
from ..services.sites import LoadState, SiteChannels, SiteSession
from .batch import ProgressLine, progress_text, succeeded
from .channels import channel_json, matches_search
from .common import UsageError, format_table, has_status
from .fleet_sites import chosen_sites, close_fleet, load_fleet, site_outcomes

LIST_COLUMNS = ("id", "name", "type", "status", "models", "base_url")
"""`fleet list` table columns after the site, with the app's cell text."""


def run(args: argparse.Namespace) -> int:
    config = load_config()
    profiles = chosen_sites(config, args.sites)
    if args.action == "list":
        return asyncio.run(_list(profiles, args))
    if args.action == "health":
        from .fleet_health import health

        return asyncio.run(health(_health_settings(config, args), profiles, args.json))
    if args.action == "find":
        from .fleet_find import find

        text = sys.stdin.readline().strip() if args.text == "-" else args.text
        if not text:
            raise UsageError("give a base URL, a model name or a key to look for")
        return asyncio.run(find(profiles, text, args.json))
    return asyncio.run(_batch(profiles, args, ProgressLine(sys.stderr)))


# -- list ----------------------------------------------------------------------------------------


async def _list(profiles: Sequence[SiteProfile], args: argparse.Namespace) -> int:
    fleet = await load_fleet(profiles)
    await close_fleet(fleet)
    keyword = (args.search or "").strip().lower()
    rows = sorted(
        (
            (session.name, channel)
            for session in fleet.sessions
            for channel in session.channels
            if has_status(channel, args.status) and matches_search(channel, keyword)
        ),
        key=lambda row: (row[0].casefold(), row[0], row[1].id),
    )
    if args.json:
        print(json.dumps([{"site": site, **channel_json(c)} for site, c in rows], indent=2, ensure_ascii=False))
    else:
        now = time.time()
        headers = ["SITE", *(column.replace("_", " ").upper() for column in LIST_COLUMNS)]
        print(format_table(headers, ([site, *(CELL_TEXT[column](c, now) for column in LIST_COLUMNS)] for site, c in rows)))
    return 1 if fleet.failed_sites() else 0


# -- test, sync, balance -------------------------------------------------------------------------


def fleet_progress_text(title: str, progress: FleetProgress) -> str:
    """The whole run's count, then each site's: `test: 70/90 · 68 ok · … | a 60/60 · b 10/30`."""
    sites = " · ".join(f"{site} {p.done:,}/{p.total:,}" for site, p in progress.sites)
    return progress_text(title, progress.total) + (f" | {sites}" if sites else "")


def _health_settings(config: AppConfig, args: argparse.Namespace) -> HealthSettings:
    """The `[health]` thresholds, with those given on the command line instead."""
    overrides = {"slow_ms": args.slow_ms, "low_balance": args.low_balance}
    try:
        return HealthSettings.model_validate(
            {**config.health.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
        )
    except ValidationError:
        raise UsageError("--slow-ms must be 1 or more and --low-balance 0 or more") from None


def _chosen(channels: Sequence[Channel], args: argparse.Namespace) -> tuple[Channel, ...]:
    keyword = (args.search or "").strip().lower()
    return tuple(channel for channel in channels if matches_search(channel, keyword))


def _settings(session: SiteSession, args: argparse.Namespace, *, read_only: bool) -> BatchSettings:
    return BatchSettings(concurrency=args.concurrency or session.profile.concurrency, read_only=read_only)


async def _batch(profiles: Sequence[SiteProfile], args: argparse.Namespace, progress: ProgressLine) -> int:
    fleet = await load_fleet(profiles)
    try:
        targets = [
            SiteChannels(session, _chosen(session.channels, args))
            for session in fleet.sessions
            if session.state is LoadState.READY
        ]
        targets = [target for target in targets if target.channels]
        if args.action == "sync":
            results, ok = await _sync(targets, args, progress)
        else:
            results, ok = await _test_or_balance(targets, args, progress)
    finally:
        await close_fleet(fleet)
    ok = ok and not fleet.failed_sites()
    if args.json:
        document = {"sites": site_outcomes(fleet, results), "results": [r.to_json() for r in results]}
        print(json.dumps(document, indent=2, ensure_ascii=False))
    elif results:
        print(report_table(results))
    else:
        print(nothing_ran([site.name for site in fleet.failed_sites()], len(fleet.sessions)), file=sys.stderr)
    return 0 if ok else 1


def nothing_ran(down: Sequence[str], sites: int) -> str:
    """Why a fleet batch had no channel to run: no site answered (named), or none of the channels
    of the `sites` chosen matched, naming those of them that did not answer (`down`)."""
    if down and len(down) == sites:
        return f"No site answered ({', '.join(down)}): no channel to run."
    if down:
        return f"No channel matches on the sites that answered; {', '.join(down)} did not answer."
    return "No channel matches."


async def _test_or_balance(
    targets: Sequence[SiteChannels], args: argparse.Namespace, progress: ProgressLine
) -> tuple[list[ChannelResult], bool]:
    if args.action == "balance":
        needs, verb = ServerOperation.BALANCE, "refreshed"
        batches = [
            site_batch(t, needs, lambda _s, backend: balance.balance_operation(backend), _settings(t.session, args, read_only=True))
            for t in targets
        ]
    else:
        needs, verb = ServerOperation.TEST, "tested"
        warning = connectivity.disable_warning_on(
            [(t.name, capabilities) for t in targets if t.channels and (capabilities := t.session.capabilities)]
        )
        if warning:
            print(f"Note: {warning}", file=sys.stderr)
        batches = [
            site_batch(
                t,
                needs,
                lambda _s, backend: connectivity.connectivity_operation(backend, args.model),
                _settings(t.session, args, read_only=True),
            )
            for t in targets
        ]
    if args.dry_run:
        planned = _planned(targets, batches, args.action, verb, getattr(args, "model", None))
        return planned, succeeded(planned)
    results = await FleetRun(batches, on_progress=fleet_reporter(args.action, progress)).run()
    if args.action == "test":
        keep_tests(results)
    return results, succeeded(results)


def keep_tests(results: Sequence[ChannelResult]) -> None:
    """Record the test results for `fleet health`; a failure to record is a warning, not a failed run."""
    try:
        test_log.record_by_site(results)
    except test_log.TestLogError as error:
        print(f"warning: {error.message}; these results will not show in `fleet health`", file=sys.stderr)


def fleet_reporter(title: str, progress: ProgressLine) -> Callable[[FleetProgress], None]:
    """`FleetRun`'s progress as `fleet_progress_text` lines on `progress`, each made only when due."""

    def show(state: FleetProgress) -> None:
        if not state.total.total:
            return
        done = state.total.done >= state.total.total
        if progress.due(done=done):
            progress.show(fleet_progress_text(title, state), done=done)

    return show


def _planned(
    targets: Sequence[SiteChannels], batches: Sequence[SiteBatch], action: str, verb: str, model: str | None
) -> list[ChannelResult]:
    """A dry run of a test (with `model` when chosen) or balance refresh: each channel and whether it would run."""
    results: list[ChannelResult] = []
    for target, batch in zip(targets, batches):
        capabilities = target.session.capabilities
        for channel in target.channels:
            reason = batch.skip_reason or None
            if reason is None and action == "test" and capabilities is not None:
                reason = connectivity.skip_reason(channel, capabilities, model)
            message = f"dry run: would be {verb}" if reason is None else reason
            results.append(replace(skipped(channel, message), site=target.name))
    return results


async def _sync(
    targets: Sequence[SiteChannels], args: argparse.Namespace, progress: ProgressLine
) -> tuple[list[ChannelResult], bool]:
    """Preview every site at once, then (unless a dry run) write exactly the previewed changes. A
    site that cannot be written to (read-only, or no channel edits) is left out before the preview:
    its channels are reported skipped with the reason, and a note names it."""
    targets, unable = split_by_support(targets, ServerOperation.UPDATE)
    note = left_out(unable)
    if note:
        print("\n".join(f"note: {line}" for line in note.splitlines()), file=sys.stderr)
    left = [replace(skipped(c, f"left out: {reason}"), site=t.name) for t, reason in unable for c in t.channels]
    options = {
        t.name: sync.SyncOptions.from_profile(t.session.profile, keep_unlisted=args.keep_unlisted) for t in targets
    }
    previews = await FleetRun(
        [
            site_batch(
                t,
                ServerOperation.FETCH_MODELS,
                lambda session, backend: sync.preview_operation(backend, options[session.name]),
                _settings(t.session, args, read_only=True),
            )
            for t in targets
        ],
        on_progress=fleet_reporter("sync preview", progress),
    ).run()
    stopped = any(result.outcome is Outcome.CANCELLED for result in previews)
    if args.dry_run or stopped:
        return [*previews, *left], succeeded(previews)
    by_site_previews = by_site(previews)
    applies = []
    for target in targets:
        plans = sync.changes(by_site_previews.get(target.name, []))
        backend = target.session.backend
        if plans and backend is not None:
            applies.append(
                SiteBatch(
                    target.name,
                    [c for c in target.channels if c.id in plans],
                    sync.apply_operation(backend, plans),
                    _settings(target.session, args, read_only=False),
                )
            )
    applied = by_site(await FleetRun(applies, on_progress=fleet_reporter("sync apply", progress)).run()) if applies else {}
    results = [
        replace(result, site=site)
        for site, found in by_site_previews.items()
        for result in sync.merged(found, applied.get(site, []))
    ]
    return [*results, *left], succeeded(results)


def report_table(results: Sequence[ChannelResult]) -> str:
    """One row per channel, site first, the sites one after another."""
    headers = ["SITE", "ID", "NAME", "OUTCOME", "TRIES", "SECONDS", "MESSAGE"]
    rows = [
        [
            result.site,
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
