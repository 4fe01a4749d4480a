"""`tui-channels tags list|enable|disable|edit` and `channels fix`: New API tag and maintenance commands."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from ..backends.base import BackendBase as Backend
from ..backends.base import Operation
from ..config import load_config
from ..errors import ChannelsError
from ..models import Channel
from ..secret_store import SecretStore
from ..services.recorder import one_batch
from ..services.sites import SiteSession
from ..services.status_change import StatusPlan, tag_left_alone, tag_route_fits, tag_unchanged, tag_written
from ..services.tag_view import group_by_tag, tag_changes
from ..wording import plural
from .common import UsageError, format_table, warn_skipped
from .parser import EDIT_OPTIONS


def run(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[Backend], Awaitable[int]]] = {
        "list": lambda backend: _list(backend, args.json),
        "enable": lambda backend: _set_status(backend, args.tag, True, leave_auto_disabled=args.skip_auto_disabled),
        "disable": lambda backend: _set_status(backend, args.tag, False),
        "edit": lambda backend: _edit(backend, args),
        "fix": _fix,
    }
    return asyncio.run(_with_backend(args.site, commands[args.action]))


async def _with_backend(site: str, command: Callable[[Backend], Awaitable[int]]) -> int:
    session = SiteSession(profile=load_config().site(site), secrets=SecretStore())
    try:
        return await command(await session.connect())
    finally:
        await session.disconnect()


async def _list(backend: Backend, as_json: bool) -> int:
    groups = group_by_tag(await backend.list_channels())
    warn_skipped(backend.list_warnings)
    rows: list[dict[str, Any]] = [
        {"tag": g.tag or None, "channels": g.count, "enabled": g.enabled, "disabled": g.disabled, "status": g.status}
        for g in groups
    ]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(
            format_table(
                ("TAG", "CHANNELS", "ENABLED", "DISABLED", "STATUS"),
                ((g.label, g.count, g.enabled, g.disabled, g.status) for g in groups),
            )
        )
    return 0


async def _tagged(backend: Backend, tag: str, operation: Operation) -> tuple[Channel, ...]:
    """The channels carrying `tag`, as the server lists them now; none is an error, since the
    server would answer success anyway."""
    backend.capabilities.require(operation)
    members = tuple(channel for channel in await backend.list_channels() if channel.tag == tag)
    if not members:
        raise ChannelsError(f"No channel has the tag {tag!r}; nothing was changed.", title="Unknown tag")
    return members


async def _set_status(backend: Backend, tag: str, enabled: bool, *, leave_auto_disabled: bool = False) -> int:
    """The tag route switches every member; a disable that meets an auto-disabled member, or an
    enable told to leave them (`--skip-auto-disabled`), writes the others one by one instead (one
    batch in the journal), leaving those members as the gateway marked them."""
    plan = StatusPlan(enabled, await _tagged(backend, tag, Operation.TAG_STATUS))
    written = plan.without_auto_disabled() if leave_auto_disabled else plan
    left = tag_left_alone(plan, leaving=leave_auto_disabled)
    if not written.changing:
        print("\n".join(filter(None, [tag_unchanged(repr(tag), written), left])))
        return 0
    if tag_route_fits(plan, leave_auto_disabled=leave_auto_disabled):
        await backend.set_tag_status(tag, enabled)
    else:
        with one_batch():
            for channel in written.changing:
                await backend.set_status(channel.id, enabled)
    print(tag_written(repr(tag), written))
    if left:
        print(left)
    return 0


async def _edit(backend: Backend, args: argparse.Namespace) -> int:
    values = {field: getattr(args, field) or "" for field in EDIT_OPTIONS}
    changes, errors = tag_changes(values)
    if errors:
        raise UsageError("; ".join(f"--{field.replace('_', '-')}: {problem}" for field, problem in errors.items()))
    if not changes:
        raise UsageError("name at least one field to change, e.g. --priority 5")
    count = len(await _tagged(backend, args.tag, Operation.TAG_EDIT))
    await backend.edit_tag(args.tag, changes)
    plural = "s" if count != 1 else ""
    print(f"Updated the {count} channel{plural} tagged {args.tag!r}: {', '.join(sorted(changes))}.")
    return 0


async def _fix(backend: Backend) -> int:
    result = await backend.fix_abilities()
    print(f"Abilities rebuilt: {plural(result.succeeded, 'channel')} fixed, {result.failed} failed.")
    return 0 if result.failed == 0 else 1
