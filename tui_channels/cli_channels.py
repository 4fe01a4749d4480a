"""`tui-channels channels list`: every channel of a site, filtered client-side, as a table or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from .cli_common import format_table, open_backend
from .config import SiteProfile, load_config
from .models import Channel, mask_secret

HEADERS = ("ID", "NAME", "TYPE", "STATUS", "MODELS", "GROUP", "PRIORITY", "BASE URL")


def run(args: argparse.Namespace) -> int:
    profile = load_config().site(args.site)
    channels = asyncio.run(_load(profile))
    selected = [channel for channel in channels if matches(channel, search=args.search, status=args.status)]
    if args.json:
        print(json.dumps([channel_json(channel) for channel in selected], indent=2, ensure_ascii=False))
    else:
        print(format_table(HEADERS, (_row(channel) for channel in selected)))
    return 0


async def _load(profile: SiteProfile) -> list[Channel]:
    async with open_backend(profile) as backend:
        await backend.connect()
        return await backend.list_channels()


def matches(channel: Channel, *, search: str | None, status: str | None) -> bool:
    """Search: case-insensitive substring of name or base URL, or the exact id. Status: enabled/disabled."""
    if status == "enabled" and not channel.status.is_enabled:
        return False
    if status == "disabled" and not channel.status.is_disabled:
        return False
    keyword = (search or "").strip().lower()
    if not keyword:
        return True
    return keyword in channel.name.lower() or keyword in channel.base_url.lower() or keyword == str(channel.id)


def _row(channel: Channel) -> tuple[object, ...]:
    return (
        channel.id,
        channel.name,
        channel.type.name,
        channel.status.label,
        channel.model_count,
        ",".join(channel.groups),
        channel.priority,
        channel.base_url,
    )


def channel_json(channel: Channel) -> dict[str, Any]:
    """A channel for scripts: neutral fields only, the key masked (null when the server hides keys)."""
    return {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type.code,
        "type_name": channel.type.name,
        "status": channel.status.value,
        "base_url": channel.base_url,
        "key": mask_secret(channel.key) or None,
        "models": list(channel.models),
        "groups": list(channel.groups),
        "priority": channel.priority,
        "weight": channel.weight,
        "tag": channel.tag,
        "balance": channel.balance,
        "response_time_ms": channel.response_time_ms,
        "test_time": channel.test_time,
        "used_quota": channel.used_quota,
    }
