"""`tui-channels tags list|enable|disable|edit` and `channels fix`: New API tag and maintenance commands."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .common import format_table

if TYPE_CHECKING:
    from ..backends.base import BackendBase as Backend

EDIT_OPTIONS = {
    "new_tag": "rename the tag",
    "priority": "priority for every channel of the tag",
    "weight": "weight for every channel of the tag",
    "models": "comma-separated models (replaces each channel's list)",
    "groups": "comma-separated user groups",
    "model_mapping": "JSON object of model mappings",
    "param_override": "JSON object merged into request bodies",
    "header_override": "JSON object of upstream headers",
}


def add_tags_commands(groups: argparse._SubParsersAction) -> None:
    tags = groups.add_parser("tags", help="list channel tags, enable, disable or edit a tag (New API)")
    actions = tags.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every tag with its channel counts (untagged channels too)")
    listing.set_defaults(group="tags", action="list", parser=listing)
    listing.add_argument("--site", required=True, metavar="NAME")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for action, summary in (("enable", "enable every channel of a tag"), ("disable", "disable every channel of a tag")):
        command = actions.add_parser(action, help=summary)
        command.set_defaults(group="tags", action=action, parser=command)
        command.add_argument("tag")
        command.add_argument("--site", required=True, metavar="NAME")
    edit = actions.add_parser(
        "edit", help="change fields of every channel of a tag", description="Fields left out stay as they are."
    )
    edit.set_defaults(group="tags", action="edit", parser=edit)
    edit.add_argument("tag")
    edit.add_argument("--site", required=True, metavar="NAME")
    for field, summary in EDIT_OPTIONS.items():
        edit.add_argument(f"--{field.replace('_', '-')}", dest=field, metavar="VALUE", help=summary)


def add_fix_command(actions: argparse._SubParsersAction) -> None:
    fix = actions.add_parser("fix", help="rebuild the server's abilities table (New API)")
    fix.set_defaults(group="tags", action="fix", parser=fix)
    fix.add_argument("--site", required=True, metavar="NAME")


def run(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[Backend], Awaitable[int]]] = {
        "list": lambda backend: _list(backend, args.json),
        "enable": lambda backend: _set_status(backend, args.tag, True),
        "disable": lambda backend: _set_status(backend, args.tag, False),
        "edit": lambda backend: _edit(backend, args),
        "fix": _fix,
    }
    return asyncio.run(_with_backend(args.site, commands[args.action]))


async def _with_backend(site: str, command: Callable[[Backend], Awaitable[int]]) -> int:
    from ..config import load_config
    from ..secret_store import SecretStore
    from ..services.sites import SiteSession

    session = SiteSession(profile=load_config().site(site), secrets=SecretStore())
    try:
        return await command(await session.connect())
    finally:
        await session.disconnect()


async def _list(backend: Backend, as_json: bool) -> int:
    from ..services.tag_view import group_by_tag

    groups = group_by_tag(await backend.list_channels())
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


async def _set_status(backend: Backend, tag: str, enabled: bool) -> int:
    await backend.set_tag_status(tag, enabled)
    print(f"{'Enabled' if enabled else 'Disabled'} every channel tagged {tag!r}.")
    return 0


async def _edit(backend: Backend, args: argparse.Namespace) -> int:
    from . import UsageError
    from ..services.tag_view import tag_changes

    values = {field: getattr(args, field) or "" for field in EDIT_OPTIONS}
    changes, errors = tag_changes(values)
    if errors:
        raise UsageError("; ".join(f"--{field.replace('_', '-')}: {problem}" for field, problem in errors.items()))
    if not changes:
        raise UsageError("name at least one field to change, e.g. --priority 5")
    await backend.edit_tag(args.tag, changes)
    print(f"Updated every channel tagged {args.tag!r}: {', '.join(sorted(changes))}.")
    return 0


async def _fix(backend: Backend) -> int:
    result = await backend.fix_abilities()
    print(f"Abilities rebuilt: {result.succeeded} channels fixed, {result.failed} failed.")
    return 0 if result.failed == 0 else 1
