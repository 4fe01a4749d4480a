"""`tui-channels channels list`: every channel of a site by id, filtered client-side, as a table or JSON.

The table shows the backend's own columns only (Octopus has no group or priority), as the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from ..backends.base import Capabilities
from ..config import SiteProfile, load_config
from ..models import Channel, mask_secret, neutral_record
from ..secret_store import SecretStore
from ..services.channel_view import CELL_TEXT
from ..services.shown_secrets import shown_url
from ..services.sites import SiteSession
from .common import format_table, has_status, warn_skipped

COLUMNS = ("id", "name", "type", "status", "models", "group", "priority", "base_url", "success_rate", "cost")
"""Table columns, with the same cell text as the app's table; only those the backend has are shown
(success rate and cost: Octopus's traffic stats)."""


def run(args: argparse.Namespace) -> int:
    profile = load_config().site(args.site)
    channels, capabilities = asyncio.run(_load(profile))
    keyword = (args.search or "").strip().lower()
    selected = sorted(
        (c for c in channels if has_status(c, args.status) and matches_search(c, keyword)), key=lambda c: c.id
    )
    if args.json:
        print(json.dumps([channel_json(channel) for channel in selected], indent=2, ensure_ascii=False))
    else:
        now = time.time()
        columns = [column for column in COLUMNS if column in capabilities.columns]
        labels = capabilities.column_labels
        headers = [labels.get(column, column.replace("_", " ")).upper() for column in columns]
        print(format_table(headers, ([CELL_TEXT[column](c, now) for column in columns] for c in selected)))
    return 0


async def _load(profile: SiteProfile) -> tuple[list[Channel], Capabilities]:
    """Every channel of the site (in the server's order) and what the server is (its columns, and
    the headers it needs said differently, such as a priority where the lowest wins)."""
    session = SiteSession(profile=profile, secrets=SecretStore())
    try:
        channels = await session.load()
        warn_skipped(session.warnings)
        assert session.capabilities is not None
        return channels, session.capabilities
    finally:
        await session.disconnect()


def matches_search(channel: Channel, keyword: str) -> bool:
    """A lower-cased `keyword` is a substring of the name or base URL, or the exact id; "" matches all.

    Narrower than the app's search (which also looks at model names and id digits), so a script
    gets exactly the channels it named.
    """
    if not keyword:
        return True
    return keyword in channel.name.lower() or keyword in channel.base_url.lower() or keyword == str(channel.id)


def channel_json(channel: Channel) -> dict[str, Any]:
    """A channel for scripts: neutral fields only, the key and a base URL's password masked (the key
null when the server hides keys).

    Figures: `response_time_ms` in ms (the last test's; on Octopus the mean wait of its traffic),
    `test_time` in Unix seconds, `used_quota` in the server's quota units; `success_rate` (0 to 1)
    and `cost_usd` (US dollars, at the server's model prices) count every request since the server
    began keeping the channel's stats (Octopus `stats`, no window), null where the server keeps none.
    The cost is rounded to 1e-9 dollars: the sum of the server's input and output costs would
    otherwise carry binary noise (3893.3572999999997).
    """
    return {
        **neutral_record(channel),
        "base_url": shown_url(channel.base_url),
        "key": mask_secret(channel.key) or None,
        "balance": channel.balance,
        "response_time_ms": channel.response_time_ms,
        "test_time": channel.test_time,
        "used_quota": channel.used_quota,
        "success_rate": channel.success_rate,
        "cost_usd": None if channel.cost is None else round(channel.cost, 9),
    }
