"""`tui-channels channels upstream list|check|apply`: current New API's own upstream model findings.

`list` prints the channels the server watches with what it found; `check` asks it to check now
(`--all`: its background check of every watched channel, followed to the end; `--ids`: those
channels, one by one); `apply` applies what it found (`--all`: its own apply-all; `--ids`: those
channels, `--ignore-added` to ignore the added models instead of adding them). A channel the
findings would leave without models (its upstream listed none) is left as it is and named, the
others applied one by one. A channel the server refuses does not stop the others: its row says
why. Either makes the command exit 1; so does a server without these routes, which every action
names.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from ..backends.base import Operation
from ..config import load_config
from ..errors import ChannelsError
from ..models import Channel
from ..secret_store import SecretStore
from ..services.channel_view import relative_time
from ..services.sites import SiteSession
from ..services.upstream_updates import (
    LEFT_AS_IT_IS,
    leaves_no_models,
    upstream_summary,
    wait_for_task,
    with_findings,
)
from ..wording import plural
from .batch import chosen
from .common import UsageError, format_table


def run(args: argparse.Namespace) -> int:
    if args.upstream_action != "list" and not (args.all or args.ids):
        raise UsageError("name the channels: --all or --ids 1,2,3")
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    session = SiteSession(profile=load_config().site(args.site), secrets=SecretStore())
    try:
        channels = await session.load()
        backend = await session.connect()
        backend.capabilities.require(Operation.UPSTREAM_UPDATES)
        if args.upstream_action == "list":
            _print_watch(
                [c for c in channels if c.upstream is not None and (c.upstream.checks or c.upstream.pending)],
                args.json,
            )
            return 0
        if args.upstream_action == "check":
            return await _check(session, args)
        return await _apply(session, args)
    finally:
        await session.disconnect()


def watch_json(channel: Channel) -> dict[str, Any]:
    watch = channel.upstream
    assert watch is not None
    return {
        "id": channel.id,
        "name": channel.name,
        "checks": watch.checks,
        "auto_sync": watch.auto_sync,
        "last_check_time": watch.last_check_time,
        "added": list(watch.added),
        "removed": list(watch.removed),
        "ignored": list(watch.ignored),
    }


def _print_watch(channels: list[Channel], as_json: bool) -> None:
    rows = [watch_json(c) for c in channels]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print(
        format_table(
            ("ID", "NAME", "CHECKS", "AUTO", "LAST CHECK", "ADDED UPSTREAM", "GONE UPSTREAM"),
            (
                (
                    r["id"],
                    r["name"],
                    "on" if r["checks"] else "off",
                    "on" if r["auto_sync"] else "off",
                    relative_time(r["last_check_time"]),
                    ", ".join(r["added"]),
                    ", ".join(r["removed"]),
                )
                for r in rows
            ),
        )
    )


async def _check(session: SiteSession, args: argparse.Namespace) -> int:
    backend = session.backend
    assert backend is not None
    if args.all:
        task_id = await backend.start_upstream_check_all()  # type: ignore[attr-defined]
        print(f"The server is checking every watched upstream (task {task_id}); waiting…", file=sys.stderr)
        task = await wait_for_task(backend, task_id)
        if task is None:
            print("The check runs on the server; this account may not follow it (root only).", file=sys.stderr)
            return 0
        result = task.result if isinstance(task.result, dict) else {}
        if args.json:
            print(json.dumps({"task_id": task_id, "status": task.status, "result": result}, indent=2))
        else:
            print(f"{task.status}: {upstream_summary(result)}")
        return 0 if task.status == "succeeded" and not result.get("failed_channels") else 1
    failures = 0
    found = []
    for channel in chosen(session.channels, args):
        try:
            check = await backend.detect_upstream_updates(channel.id)  # type: ignore[attr-defined]
        except ChannelsError as error:
            failures += 1
            print(f"{channel.id} {channel.name}: {error}", file=sys.stderr)
            continue
        found.append(
            {"id": channel.id, "name": channel.name, "added": list(check.add), "removed": list(check.remove)}
        )
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
    else:
        print(
            format_table(
                ("ID", "NAME", "ADDED UPSTREAM", "GONE UPSTREAM"),
                ((f["id"], f["name"], ", ".join(f["added"]), ", ".join(f["removed"])) for f in found),
            )
        )
    return 1 if failures else 0


async def _apply(session: SiteSession, args: argparse.Namespace) -> int:
    backend = session.backend
    assert backend is not None
    targets = with_findings(session.channels if args.all else chosen(session.channels, args))
    planned = []
    for channel in targets:
        assert channel.upstream is not None
        added = list(channel.upstream.added)
        add, ignore = ([], added) if args.ignore_added else (added, [])
        remove = list(channel.upstream.removed)
        planned.append({"id": channel.id, "name": channel.name, "add": add, "ignore": ignore, "remove": remove})
        if leaves_no_models(channel, add, remove):
            planned[-1]["left_as_it_is"] = LEFT_AS_IT_IS
    blocked_rows = [r for r in planned if "left_as_it_is" in r]
    for row in blocked_rows:
        print(f"{row['id']} {row['name']}: {LEFT_AS_IT_IS}.", file=sys.stderr)
    if args.all and not args.dry_run and not blocked_rows:
        report = await backend.apply_all_upstream_updates()  # type: ignore[attr-defined]
        document = {
            "channels": report.channels,
            "added": report.added,
            "removed": report.removed,
            "failed_ids": list(report.failed_ids),
            "results": [
                {"id": a.channel_id, "added": list(a.added), "removed": list(a.removed)} for a in report.applied
            ],
        }
        print(
            json.dumps(document, indent=2)
            if args.json
            else f"{plural(report.channels, 'channel')}: +{report.added} −{report.removed} models"
        )
        return 1 if report.failed_ids else 0
    if not args.dry_run:
        for row in planned:
            if "left_as_it_is" in row:
                continue
            try:
                done = await backend.apply_upstream_updates(  # type: ignore[attr-defined]
                    row["id"], add=row["add"], remove=row["remove"], ignore=row["ignore"]
                )
            except ChannelsError as error:
                row["error"] = f"{error.title}: {error.message}"
                continue
            row["models_after"] = list(done.models)
    if args.json:
        print(json.dumps(planned, indent=2, ensure_ascii=False))
    else:
        state = "would apply" if args.dry_run else "applied"

        def state_of(row: dict[str, Any]) -> str:
            if "left_as_it_is" in row:
                return "left as it is"
            return f"failed: {row['error']}" if "error" in row else state

        print(
            format_table(
                ("ID", "NAME", "ADD", "IGNORE", "REMOVE", "STATE"),
                (
                    (
                        r["id"],
                        r["name"],
                        ", ".join(r["add"]),
                        ", ".join(r["ignore"]),
                        ", ".join(r["remove"]),
                        state_of(r),
                    )
                    for r in planned
                ),
            )
        )
    return 1 if blocked_rows or any("error" in r for r in planned) else 0
