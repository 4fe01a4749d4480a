"""`tui-channels channels server-sync`: the server's own model sync (Octopus), run and reported.

The server answers when its sync has finished. The report compares the channel list before and
after: one row per auto-sync channel with the models added and removed. Exit code 0 when the server
synced every channel, 1 when it reported a failure (the other channels were synced all the same) or
the run could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from ..backends.base import Operation
from ..config import load_config
from ..secret_store import SecretStore
from ..services.server_sync import ServerSyncReport, run_server_sync
from ..services.sites import SiteSession
from .common import format_table

NAMED = 4
"""Model names a table cell lists before "+N more"."""


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_server_sync(args.site, args.json))


async def _server_sync(site: str, as_json: bool) -> int:
    session = SiteSession(profile=load_config().site(site), secrets=SecretStore())
    try:
        backend = await session.connect()
        backend.capabilities.require(Operation.SERVER_SYNC)
        print(
            f"Asking the upstreams of the auto-sync channels of {site}, then the server syncs them; waiting…",
            file=sys.stderr,
        )
        report = await run_server_sync(backend)
    finally:
        await session.disconnect()
    _print(site, report, as_json)
    return 1 if report.problem else 0


def _names(models: Sequence[str]) -> str:
    more = len(models) - NAMED
    return ", ".join(models[:NAMED]) + (f" +{more} more" if more > 0 else "")


def _print(site: str, report: ServerSyncReport, as_json: bool) -> None:
    if as_json:
        document = {
            "site": site,
            "summary": report.describe(),
            "problem": report.problem,
            "results": [r.to_json() for r in report.results],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    rows = (
        (
            r.channel_id,
            r.name,
            r.outcome.value,
            r.message,
            _names(r.added_models),
            _names(r.removed_models),
        )
        for r in report.results
    )
    if report.results:
        print(format_table(("ID", "NAME", "RESULT", "CHANGE", "ADDED", "REMOVED"), rows))
        print()
    print(f"{site}: {report.describe()}")
