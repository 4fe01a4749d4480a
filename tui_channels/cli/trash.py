"""`tui-channels trash list|purge`: the local trash of deleted channels (`services/trash.py`)."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from ..services import trash
from ..services.transfer import trashed_channels
from .common import UsageError, format_table


def run(args: argparse.Namespace) -> int:
    if args.action == "purge":
        return _purge(args)
    return _list(args)


def _list(args: argparse.Namespace) -> int:
    entries = trashed_channels(trash.read(include_restored=args.all))
    if args.json:
        rows = [
            {
                "deleted_at": t.deleted_at,
                "site": t.origin.site,
                "id": t.channel.id,
                "name": t.channel.name,
                "restored": t.restored or None,
            }
            for t in entries
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print("The trash is empty." if args.all else "Nothing in the trash to restore (--all shows restored ones).")
        return 0
    headers = ("DELETED", "SITE", "ID", "NAME") + (("RESTORED",) if args.all else ())
    table = [
        (t.deleted_at, t.origin.site, t.channel.id, t.channel.name) + ((t.restored or "",) if args.all else ())
        for t in entries
    ]
    print(format_table(headers, table))
    return 0


def _purge(args: argparse.Namespace) -> int:
    if args.older_than is None and not args.restored:
        raise UsageError("say what to purge: --older-than DAYS, --restored, or both")
    older = timedelta(days=args.older_than) if args.older_than is not None else None
    count = trash.purge(older_than=older, restored=args.restored)
    print(f"Purged {count} record{'' if count == 1 else 's'} from {trash.trash_path()}.")
    return 0
