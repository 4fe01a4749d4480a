"""`tui-channels keys import`, `channels export` and `channels restore`: keys and channel files.

Import and restore print the preview (ready / already present / blocked, with reasons), then,
unless `--dry-run`, create the ready channels and print one result per row. Exit codes: 0 when
every row was created or skipped as already present (a dry run: when the preview was computed),
1 when a row failed or was blocked, or the operation failed, 2 for usage errors. Keys are always
masked in the output. Only argparse is imported here up front; the rest loads when a command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import id_list

if TYPE_CHECKING:
    from ..backends.base import Backend
    from ..config import SiteProfile
    from ..services.channel_plan import ChannelPlan, PlannedChannel
    from ..services.key_library import UpstreamKey
    from ..services.results import ChannelResult
    from ..services.sites import SiteSession

EXIT_RULE = (
    "Exit code 0 when every row was created or skipped as already present (with --dry-run: when the "
    "preview was computed), 1 when a row failed or was blocked, 2 for usage errors."
)


def add_keys_commands(groups: argparse._SubParsersAction) -> None:
    keys = groups.add_parser("keys", help="import upstream keys as channels")
    actions = keys.add_subparsers(title="actions", metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import",
        help="turn the keys of a file into OpenAI-compatible channels of a site",
        description="Read keys from a file (CSV name,base_url,key[,source]; a JSON list of objects "
        "with those fields; or one key per line with --base-url), fetch each key's models from its "
        "upstream through the site, and create one channel per key named "
        "'<source> | <key name> (auto)'. A key already on the site (same name, or same base URL and "
        "key where the site returns keys) is skipped. " + EXIT_RULE,
    )
    importing.set_defaults(group="keys", action="import", parser=importing)
    importing.add_argument("--site", required=True, metavar="NAME", help="the site to create channels on")
    importing.add_argument("--file", required=True, metavar="F", help="the key file")
    importing.add_argument("--base-url", metavar="URL", help="base URL for keys listed without one")
    importing.add_argument("--source", metavar="NAME", help="source site name for keys listed without one")
    importing.add_argument("--groups", metavar="G1,G2", help="New API: user groups of the new channels")
    _add_plan_options(importing)


def add_channel_transfer_commands(actions: argparse._SubParsersAction) -> None:
    exporting = actions.add_parser(
        "export",
        help="write channels of a site to a JSON file",
        description="Write the chosen channels (their server records plus neutral fields) to a JSON "
        "file. Keys are left out unless --with-keys, and only Octopus returns them at all.",
    )
    exporting.set_defaults(group="transfer", action="export", parser=exporting)
    exporting.add_argument("--site", required=True, metavar="NAME", help="the site to read")
    scope = exporting.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every channel of the site")
    scope.add_argument("--ids", type=id_list, nargs="+", metavar="1,2,3", help="these channel ids")
    exporting.add_argument("--out", required=True, metavar="F", help="the file to write")
    exporting.add_argument(
        "--with-keys", action="store_true", help="include keys where the server returns them (plain text!)"
    )

    restoring = actions.add_parser(
        "restore",
        help="recreate the channels of an export file, or of the delete trash, on a site",
        description="Map the channels of an export file (or of the delete trash, with --trash) to the "
        "site (any backend), show what cannot be carried, and create them. Channels whose key the "
        "file lacks (New API never returns keys) are blocked. " + EXIT_RULE,
    )
    restoring.set_defaults(group="transfer", action="restore", parser=restoring)
    restoring.add_argument("--site", required=True, metavar="NAME", help="the site to create channels on")
    source = restoring.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="F", help="an export file")
    source.add_argument("--trash", action="store_true", help="channels from the local delete trash")
    restoring.add_argument(
        "--deleted-from", metavar="SITE", help="with --trash: only channels deleted from this site"
    )
    restoring.add_argument(
        "--ids", type=id_list, nargs="+", metavar="1,2,3", help="with --trash: only these (former) channel ids"
    )
    _add_plan_options(restoring)


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--include-present", action="store_true", help="create rows already present too")
    parser.add_argument("--dry-run", action="store_true", help="print the preview and create nothing")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run(args: argparse.Namespace) -> int:
    from ..config import load_config

    profile = load_config().site(args.site)
    if args.group == "keys":
        keys = _read_keys(args)
        return asyncio.run(_with_site(profile, lambda session: _import_keys(session, keys, args)))
    if args.action == "export":
        return asyncio.run(_with_site(profile, lambda session: _export(session, args)))
    items, source = _restore_items(args)
    return asyncio.run(_with_site(profile, lambda session: _restore(session, items, source, args)))


def _restore_items(args: argparse.Namespace) -> tuple[list[Any], str]:
    """(channel, origin) pairs to restore and where they came from, per --file or --trash."""
    from . import UsageError
    from ..services import trash
    from ..services.transfer import exported_channels, read_export, trashed_channels

    if args.file:
        if args.deleted_from or args.ids:
            raise UsageError("--deleted-from and --ids go with --trash")
        return exported_channels(read_export(Path(args.file))), args.file
    wanted = {i for group in args.ids for i in group} if args.ids else None
    items = [
        (t.channel, t.origin)
        for t in trashed_channels(trash.read())
        if (args.deleted_from is None or t.origin.site == args.deleted_from)
        and (wanted is None or t.channel.id in wanted)
    ]
    if not items:
        raise UsageError("nothing in the trash matches; `--trash` alone lists every deleted channel")
    return items, "the trash"


def _read_keys(args: argparse.Namespace) -> list[UpstreamKey]:
    from . import UsageError
    from ..services.key_library import BaseUrlNeeded, read_key_file

    try:
        return read_key_file(Path(args.file), base_url=args.base_url, source=args.source)
    except BaseUrlNeeded as exc:
        raise UsageError(f"{exc.message} Pass it with --base-url URL.") from None


async def _with_site(profile: SiteProfile, work: Callable[[SiteSession], Awaitable[int]]) -> int:
    from ..secret_store import SecretStore
    from ..services.sites import SiteSession

    session = SiteSession(profile=profile, secrets=SecretStore())
    try:
        await session.load()
        return await work(session)
    finally:
        await session.disconnect()


async def _import_keys(session: SiteSession, keys: list[UpstreamKey], args: argparse.Namespace) -> int:
    from ..models import split_list
    from ..services.key_import import DEFAULT_GROUPS, plan_import

    assert session.backend is not None
    print(f"Fetching the models of {len(keys)} keys through {session.name}…", file=sys.stderr)
    plan = await plan_import(
        session.backend,
        keys,
        session.channels,
        site=session.name,
        groups=split_list(args.groups) or DEFAULT_GROUPS,
        concurrency=session.profile.concurrency,
    )
    return await _finish(plan, session, args)


async def _restore(session: SiteSession, items: list[Any], source: str, args: argparse.Namespace) -> int:
    from ..services.transfer import plan_transfer

    assert session.capabilities is not None
    plan = plan_transfer(
        items,
        session.capabilities,
        session.channels,
        site=session.name,
        title=f"Restore {len(items)} channels from {source} into {session.name}",
    )
    return await _finish(plan, session, args)


async def _finish(plan: ChannelPlan, session: SiteSession, args: argparse.Namespace) -> int:
    """Print the preview; unless a dry run, create the ready rows and print their results."""
    if args.include_present:
        for row in plan.rows:
            row.force = True
    preview = [_row_json(plan, row) for row in plan.rows]
    if args.dry_run:
        _print({"site": plan.site, "summary": plan.summary(), "rows": preview}, args, _preview_table(preview))
        return 0
    assert session.backend is not None
    results = await _create(plan, session.backend, session.profile.concurrency)
    from ..services.channel_plan import all_done

    report = {"site": plan.site, "summary": plan.summary(), "rows": preview, "results": [r.to_json() for r in results]}
    _print(report, args, _preview_table(preview) + "\n\n" + _results_table(results))
    return 0 if all_done(results) else 1


async def _create(plan: ChannelPlan, backend: Backend, concurrency: int) -> list[ChannelResult]:
    from ..services.batch import BatchRun, BatchSettings
    from ..services.channel_plan import CreateRun, creation_settings

    settings = creation_settings(BatchSettings(concurrency=concurrency))
    return await BatchRun(plan.placeholders(), CreateRun(backend, plan), settings).run()


def _row_json(plan: ChannelPlan, row: PlannedChannel) -> dict[str, Any]:
    from ..models import mask_secret

    return {
        "row": row.position,
        "state": row.state.value,
        "name": row.spec.name,
        "type": row.spec.type,
        "base_url": plan.effective_url(row.spec),
        "key": mask_secret(row.spec.key) or None,
        "models": list(row.spec.models),
        "origin": row.origin,
        "reason": row.reason,
        "losses": list(row.losses),
    }


def _preview_table(rows: list[dict[str, Any]]) -> str:
    from .common import format_table

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
    from .common import format_table

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
    from ..errors import ChannelsError
    from ..services.transfer import export_channels, key_warning, write_export

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
    export = export_channels(session.name, session.capabilities, chosen, include_keys=args.with_keys)
    write_export(export, Path(args.out))
    warning = key_warning(session.capabilities, args.with_keys)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Exported {len(chosen)} channels of {session.name} to {args.out}")
    return 0
