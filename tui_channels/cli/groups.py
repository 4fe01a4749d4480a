"""`tui-channels groups list|export|restore`: an Octopus site's groups, for scripts and backups.

`list` prints one row per group (or JSON with every member); `export` prints every member as a row,
or with `--json` the groups file (`--out F` writes it), which `restore` reads back, members mapped
to the site's channels by name. `restore --trash` takes the groups deleted from the site with this app instead.
Exit codes: 0 success, 1 when a group could not be restored or the site has no groups, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..backends.base import Operation
from ..config import load_config
from ..model_groups import GroupSpec, ModelGroup
from ..secret_store import SecretStore
from ..services.group_transfer import (
    GroupExport,
    GroupFileError,
    GroupOutcome,
    GroupRowState,
    PlannedGroup,
    create_groups,
    export_groups,
    plan_groups,
    read_group_trash,
    write_group_export,
)
from ..services.model_groups import serving_members
from ..services.sites import SiteSession
from ..wording import plural
from .common import UsageError, format_table


def run(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[SiteSession], Awaitable[int]]] = {
        "list": lambda session: _list(session, args.json),
        "export": lambda session: _export(session, args),
        "restore": lambda session: _restore(session, args),
    }
    if args.action == "restore" and bool(args.file) == bool(args.trash):
        raise UsageError("name one source: --file F or --trash")
    if args.action == "restore" and args.file and (args.deleted_from or args.name):
        raise UsageError("--deleted-from and --name go with --trash")
    return asyncio.run(_with_groups(args.site, commands[args.action]))


async def _with_groups(site: str, command: Callable[[SiteSession], Awaitable[int]]) -> int:
    session = SiteSession(profile=load_config().site(site), secrets=SecretStore())
    try:
        await session.load()
        assert session.capabilities is not None
        session.capabilities.require(Operation.MODEL_GROUPS)
        if session.groups_error is not None:
            raise session.groups_error
        return await command(session)
    finally:
        await session.disconnect()


def _spec(session: SiteSession) -> GroupSpec:
    assert session.capabilities is not None and session.capabilities.groups is not None
    return session.capabilities.groups


def group_json(group: ModelGroup, spec: GroupSpec, session: SiteSession) -> dict[str, Any]:
    channels = {c.id: c for c in session.channels}
    serving = {m.key for m in serving_members(group, spec)}

    def member(m) -> dict[str, Any]:
        channel = channels.get(m.channel_id)
        record: dict[str, Any] = {
            "id": m.id,
            "channel_id": m.channel_id,
            "channel_name": channel.name if channel else None,
            "channel_enabled": channel.status.is_enabled if channel else None,
            "model": m.model,
            "priority": m.priority,
            "serving": m.key in serving,
        }
        if spec.has_weight:
            record["weight"] = m.weight
        return record

    live = [
        m for m in group.members if m.key in serving and (c := channels.get(m.channel_id)) and c.status.is_enabled
    ]
    return {
        "id": group.id,
        "name": group.name,
        "mode": group.mode,
        "mode_label": spec.mode(group.mode).label,
        "timeout": group.timeout,
        "pattern": group.pattern if spec.has_pattern else None,
        "members": [member(m) for m in group.members],
        "routes_nowhere": not live,
    }


async def _list(session: SiteSession, as_json: bool) -> int:
    spec, groups = _spec(session), session.groups or []
    rows = [group_json(g, spec, session) for g in groups]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    headers = ("ID", "NAME", "MODE", "MEMBERS", "ENABLED", "TIMEOUT", "NOTE")
    print(
        format_table(
            headers,
            (
                (
                    r["id"],
                    r["name"],
                    r["mode_label"],
                    len(r["members"]),
                    sum(bool(m["channel_enabled"]) for m in r["members"]),
                    f"{r['timeout']} s" if r["timeout"] else "",
                    "routes nowhere" if r["routes_nowhere"] else "",
                )
                for r in rows
            ),
        )
    )
    print(f"\n{session.name}: {plural(len(groups), 'group')}")
    return 0


async def _export(session: SiteSession, args: argparse.Namespace) -> int:
    assert session.capabilities is not None
    export = export_groups(session.name, session.capabilities.flavor, session.groups or [], session.channels)
    if args.out:
        write_group_export(export, Path(args.out))
        print(f"Exported {plural(len(export.groups), 'group')} of {session.name} to {args.out}")
    elif args.json:
        print(export.model_dump_json(indent=2))
    else:
        rows = (
            (g.name, g.mode, m.channel_name or f"#{m.channel_id}", m.model, m.priority, m.weight)
            for g in export.groups
            for m in g.members
        )
        print(format_table(("GROUP", "MODE", "CHANNEL", "MODEL", "PRIORITY", "WEIGHT"), rows))
    return 0


def _read_groups_file(path: Path) -> GroupExport:
    try:
        return GroupExport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GroupFileError(f"Cannot read {path}: {exc.strerror or type(exc).__name__}.") from None
    except ValidationError:
        raise GroupFileError(f"{path} is not a groups file of `tui-channels groups export --json`.") from None


async def _restore(session: SiteSession, args: argparse.Namespace) -> int:
    assert session.capabilities is not None and session.backend is not None
    if args.file:
        export = _read_groups_file(Path(args.file))
        items = [(g, export.site, export.flavor) for g in export.groups]
    else:
        origin = args.deleted_from or session.name
        trashed = read_group_trash(site=origin)
        items = [(t.group, t.site, t.flavor) for t in trashed if args.name is None or t.group.name in args.name]
        if not items:
            raise UsageError(
                f"no group deleted from {origin} matches; `groups restore --trash` alone takes every group "
                "deleted from the site (--deleted-from SITE: from another site)"
            )
    rows = plan_groups(items, session.capabilities, session.channels, session.groups or [], site=session.name)
    outcomes = [] if args.dry_run else await create_groups(session.backend, rows)
    if args.json:
        print(json.dumps(group_plan_json(rows, outcomes), indent=2, ensure_ascii=False))
    else:
        print(group_plan_table(rows, outcomes))
    failed = any(not o.created and not o.message.startswith("skipped") for o in outcomes)
    return 1 if failed or any(r.state is GroupRowState.BLOCKED for r in rows) else 0


def group_plan_json(rows: Sequence[PlannedGroup], outcomes: Sequence[GroupOutcome]) -> list[dict[str, Any]]:
    """Per planned group: its state, members carried, what was not mapped or carried, and the outcome."""
    done = {o.name: o for o in outcomes}
    return [
        {
            "name": row.name,
            "state": row.state.value,
            "origin": row.origin,
            "members": len(row.carried.group.members),
            "not_mapped": list(row.carried.unmapped),
            "not_carried": list(row.carried.losses),
            "reason": row.reason or None,
            "result": done[row.name].message if row.name in done else None,
        }
        for row in rows
    ]


def group_plan_table(rows: Sequence[PlannedGroup], outcomes: Sequence[GroupOutcome]) -> str:
    done = {o.name: o.message for o in outcomes}
    lines = (
        (
            row.name,
            row.state.value,
            len(row.carried.group.members),
            "; ".join([*row.carried.unmapped, *(f"not carried: {loss}" for loss in row.carried.losses)]),
            done.get(row.name, "dry run" if not outcomes else ""),
        )
        for row in rows
    )
    return format_table(("GROUP", "STATE", "MEMBERS", "NOT MAPPED / NOT CARRIED", "RESULT"), lines)
