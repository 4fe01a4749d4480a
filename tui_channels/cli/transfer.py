"""`tui-channels keys import`, `channels export` and `channels restore`: keys and channel files.

Import and restore print the preview (ready / already present / blocked, with reasons), then,
unless `--dry-run`, create the ready channels and print one result per row. Exit codes: 0 when
every row was created or skipped as already present (a dry run: when no row is blocked), 1 when a
row failed or was blocked, or the operation failed, 2 for usage errors. Keys are always
masked in the output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..backends.base import Backend
from ..config import SiteProfile, load_config
from ..errors import ChannelsError
from ..models import Channel, mask_secret, split_list
from ..secret_store import SecretStore
from ..services import trash
from ..services.batch import BatchRun, BatchSettings
from ..services.channel_plan import ChannelPlan, CreateRun, PlannedChannel, RowState, all_done, creation_settings
from ..services.key_import import DEFAULT_GROUPS, plan_import
from ..services.key_library import BaseUrlNeeded, UpstreamKey, read_key_file
from ..services.results import ChannelResult
from ..services.revealed_keys import with_keys
from ..services.shown_secrets import shown_url
from ..services.sites import SiteSession
from ..services.transfer import (
    export_channels,
    left_out_summary,
    exported_channels,
    key_warning,
    plan_transfer,
    read_export,
    trashed_channels,
    write_export,
)
from ..services.group_transfer import GroupRowState, create_groups, groups_for_export, plan_groups_now
from ..wording import plural
from .common import UsageError, format_table, warn_skipped
from .groups import group_plan_json, group_plan_table


def run(args: argparse.Namespace) -> int:
    profile = load_config().site(args.site)
    if args.action == "import":
        keys = _read_keys(args)
        return asyncio.run(_with_site(profile, lambda session: _import_keys(session, keys, args)))
    if args.action == "export":
        return asyncio.run(_with_site(profile, lambda session: _export(session, args)))
    items, source, groups = _restore_items(args)
    return asyncio.run(_with_site(profile, lambda session: _restore(session, items, source, groups, args)))


def _mark_restored(site: str, items: list[Any]) -> Callable[[int, Channel], None]:
    """After each channel restored from the trash: mark its record, so it is not offered again."""

    def mark(position: int, channel: Channel) -> None:
        item = items[position - 1] if 0 < position <= len(items) else ()
        entry = item[2] if len(item) > 2 else ""
        if entry:
            trash.mark_restored(entry, site=site, channel_id=channel.id)

    return mark


def _restore_items(args: argparse.Namespace) -> tuple[list[Any], str, list[Any]]:
    """(channel, origin) pairs to restore, where they came from, and an export file's groups."""
    if args.file:
        if args.deleted_from or args.ids:
            raise UsageError("--deleted-from and --ids go with --trash")
        export = read_export(Path(args.file))
        return exported_channels(export), args.file, [(g, export.site, export.flavor) for g in export.groups]
    wanted = {i for group in args.ids for i in group} if args.ids else None
    origin = args.deleted_from or args.site
    items = [
        (t.channel, t.origin, t.entry)
        for t in trashed_channels(trash.read(), site=origin)
        if wanted is None or t.channel.id in wanted
    ]
    if not items:
        raise UsageError(
            f"nothing deleted from {origin} in the trash matches; `--trash` alone takes every channel deleted "
            "from the site (--deleted-from SITE: from another site)"
        )
    return items, "the trash", []


def _read_keys(args: argparse.Namespace) -> list[UpstreamKey]:
    try:
        return read_key_file(Path(args.file), base_url=args.base_url, source=args.source)
    except BaseUrlNeeded as exc:
        raise UsageError(f"{exc.message} Pass it with --base-url URL.") from None


async def _with_site(profile: SiteProfile, work: Callable[[SiteSession], Awaitable[int]]) -> int:
    session = SiteSession(profile=profile, secrets=SecretStore())
    try:
        await session.load()
        warn_skipped(session.warnings)
        return await work(session)
    finally:
        await session.disconnect()


async def _import_keys(session: SiteSession, keys: list[UpstreamKey], args: argparse.Namespace) -> int:
    assert session.backend is not None
    print(f"Fetching the models of {plural(len(keys), 'key')} through {session.name}…", file=sys.stderr)
    plan = await plan_import(
        session.backend,
        keys,
        session.channels,
        site=session.name,
        groups=split_list(args.groups) or DEFAULT_GROUPS,
        concurrency=session.profile.concurrency,
    )
    return await _finish(plan, session, args)


async def _restore(
    session: SiteSession, items: list[Any], source: str, groups: list[Any], args: argparse.Namespace
) -> int:
    assert session.capabilities is not None
    plan = plan_transfer(
        [(channel, origin) for channel, origin, *_entry in items],
        session.capabilities,
        session.channels,
        site=session.name,
        title=f"Restore {plural(len(items), 'channel')} from {source} into {session.name}",
    )
    code = await _finish(plan, session, args, on_created=_mark_restored(session.name, items))
    if groups and session.capabilities.groups is not None:
        code = max(code, await _restore_groups(session, groups, args))
    return code


async def _restore_groups(session: SiteSession, groups: list[Any], args: argparse.Namespace) -> int:
    """The file's groups, after its channels, members mapped to the site's channels by name."""
    assert session.capabilities is not None and session.backend is not None
    rows = await plan_groups_now(session.backend, groups, session.capabilities, site=session.name)
    outcomes = [] if args.dry_run else await create_groups(session.backend, rows)
    if args.json:
        print(json.dumps({"groups": group_plan_json(rows, outcomes)}, indent=2, ensure_ascii=False))
    else:
        print()
        print(group_plan_table(rows, outcomes))
    blocked = any(row.state is GroupRowState.BLOCKED for row in rows)
    failed = any(not o.created and not o.message.startswith("skipped") for o in outcomes)
    return 1 if blocked or failed else 0


async def _finish(
    plan: ChannelPlan,
    session: SiteSession,
    args: argparse.Namespace,
    *,
    on_created: Callable[[int, Channel], None] | None = None,
) -> int:
    """Print the preview; unless a dry run, create the ready rows and print their results."""
    if args.include_present:
        for row in plan.rows:
            row.force = True
    preview = [_row_json(plan, row) for row in plan.rows]
    if args.dry_run:
        _print({"site": plan.site, "summary": plan.summary(), "rows": preview}, args, _preview_table(preview))
        return 1 if any(row.state is RowState.BLOCKED for row in plan.rows) else 0
    assert session.backend is not None
    results = await _create(plan, session.backend, session.profile.concurrency, on_created)
    report = {"site": plan.site, "summary": plan.summary(), "rows": preview, "results": [r.to_json() for r in results]}
    _print(report, args, _preview_table(preview) + "\n\n" + _results_table(results))
    return 0 if all_done(results) else 1


async def _create(
    plan: ChannelPlan, backend: Backend, concurrency: int, on_created: Callable[[int, Channel], None] | None = None
) -> list[ChannelResult]:
    """Create the plan's ready rows; `on_created` gets each new channel with its plan position."""
    settings = creation_settings(BatchSettings(concurrency=concurrency))
    run = CreateRun(backend, plan)

    def arrived(result: ChannelResult) -> None:
        channel = run.created.get(result.channel_id)
        if channel is not None and on_created is not None:
            on_created(result.channel_id, channel)

    return await BatchRun(plan.placeholders(), run, settings, on_result=arrived).run()


def _row_json(plan: ChannelPlan, row: PlannedChannel) -> dict[str, Any]:
    return {
        "row": row.position,
        "state": row.state.value,
        "name": row.spec.name,
        "type": row.spec.type,
        "base_url": shown_url(plan.effective_url(row.spec)),
        "key": mask_secret(row.spec.key) or None,
        "models": list(row.spec.models),
        "origin": row.origin,
        "reason": row.reason,
        "losses": list(row.losses),
    }


def _preview_table(rows: list[dict[str, Any]]) -> str:
    headers = ("ROW", "STATE", "NAME", "BASE URL", "MODELS", "KEY", "REASON / NOT CARRIED")
    lines = (
        (
            r["row"],
            r["state"],
            r["name"],
            r["base_url"],
            len(r["models"]),
            r["key"] or "",
            "; ".join(filter(None, [r["reason"], *r["losses"]])),
        )
        for r in rows
    )
    return format_table(headers, lines)


def _results_table(results: list[ChannelResult]) -> str:
    labels = {"ok": "created", "skipped": "skipped", "failed": "failed", "cancelled": "cancelled"}
    return format_table(
        ("ROW", "RESULT", "NAME", "MESSAGE"),
        ((r.channel_id, labels[r.outcome.value], r.name, r.message) for r in results),
    )


def _print(report: dict[str, Any], args: argparse.Namespace, table: str) -> None:
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(table)
        print(f"\n{report['site']}: {report['summary']}")


async def _export(session: SiteSession, args: argparse.Namespace) -> int:
    assert session.capabilities is not None
    if args.all:
        chosen = session.channels
    else:
        wanted = {i for group in args.ids for i in group}
        chosen = [c for c in session.channels if c.id in wanted]
        missing = sorted(wanted - {c.id for c in chosen})
        if missing:
            raise ChannelsError(
                f"{session.name} has no channel {', '.join(map(str, missing))}; nothing was written.",
                title="Unknown channel ids",
            )
    if args.with_keys:
        assert session.backend is not None
        chosen = await with_keys(session.backend, chosen, concurrency=session.profile.concurrency)
    groups = groups_for_export(session.groups, chosen, session.channels)
    export = export_channels(
        session.name, session.capabilities, chosen, include_keys=args.with_keys, groups=groups
    )
    write_export(export, Path(args.out))
    warning = key_warning(session.capabilities, args.with_keys)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    with_groups = f" and {plural(len(groups), 'group')}" if groups else ""
    print(f"Exported {plural(len(chosen), 'channel')}{with_groups} of {session.name} to {args.out}")
    left_out = left_out_summary(export)
    if left_out:
        print(left_out)
    return 0
