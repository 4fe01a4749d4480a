"""`tui-channels history` and `history undo`: the journal of changes, listed and undone.

The list reads the journal files only (no site is contacted; rotated files too). `--batch` undoes
every entry of the entry's batch, on every site it reached (a fleet action writes one batch over
its sites), each site checked and written under its own backend. An undo reads
the entry's channels from the server, refuses with the reason when they changed since, and
otherwise sends the values from before. Every undo writes, so each asks first: a typed y at a
terminal, or `--yes` (without a terminal, an undo without `--yes` writes nothing and exits 2). An edit that also changed a key puts back every other field: the journal never
keeps secrets, so the key stays as it is, and standard error says so.

Exit codes: 0 when everything the entry changed was put back, 1 when the undo was refused or a
channel failed, 2 for usage errors, 3 when the undo went through but a secret it changed (a key)
could not be restored, so the channel is not wholly as before, 4 when a batch undo put back what it
could but left an entry or a whole site of the batch alone (each named with the reason).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field, replace
from typing import Any

from ..backends.base import Backend
from ..config import AppConfig, load_config
from ..demo.data_folder import temporary_data_note
from ..errors import ChannelsError
from ..secret_store import SecretStore
from ..services.batch import BatchRun, BatchSettings
from ..services.channel_plan import CreateRun, creation_settings
from ..services.history import (
    action_label,
    change_summary,
    channel_label,
    is_op,
    op_words,
    outcome_label,
    undone_by,
    when,
)
from ..services.journal import Entry, EntryFilter, Journal, find, parse_since, read_entries, select
from ..services.results import ChannelResult, Outcome
from ..services.sites import SiteSession
from ..services.undo import (
    UndoKind,
    UndoPlan,
    UndoRefused,
    apply_fleet_undo,
    apply_undo,
    blocked_rows,
    fleet_tally,
    plan_fleet_undo,
    plan_undo,
    secrets_note,
    tally,
)
from ..wording import plural
from .common import UsageError, format_table

SECRET_NOT_RESTORED = 3
"""The exit code of an undo that went through except for a secret the journal never keeps."""

PARTLY_UNDONE = 4
"""The exit code of a batch undo that put back what it could but left an entry or a site of the
batch alone (changed since, a failed write, a delete, a site it could not write)."""


def run(args: argparse.Namespace) -> int:
    if args.action == "undo":
        return asyncio.run(_undo(args))
    return _list(args)


def _list(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    if args.op is not None and args.op.strip().lower() not in op_words():
        words = ", ".join(w for w in op_words() if " " not in w)
        raise UsageError(f"--op {args.op!r} is not an operation the history records (one of: {words})")
    if args.site is not None:
        load_config().site(args.site)
    journal = read_entries()
    undone = undone_by(journal.entries)
    _check_named(args, journal.entries)
    entries = select(journal.entries, EntryFilter(site=args.site, channel=args.channel, since=since, batch=args.batch))
    if args.op is not None:
        entries = [e for e in entries if is_op(e, args.op)]
    if args.limit:
        entries = entries[-args.limit :]
    if args.json:
        rows = [
            {**json.loads(e.to_line()), "outcome": outcome_label(e, undone.get((e.site, e.id)))} for e in entries
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif entries:
        print(
            format_table(
                ("ID", "WHEN (UTC)", "SITE", "ACTION", "CHANNEL", "CHANGE", "RESULT"),
                (
                    (
                        e.id,
                        when(e),
                        e.site,
                        action_label(e),
                        channel_label(e),
                        change_summary(e),
                        outcome_label(e, undone.get((e.site, e.id))),
                    )
                    for e in entries
                ),
            )
        )
    else:
        print("No change matches." if journal.entries else "No change has been journalled yet.", file=sys.stderr)
    note = temporary_data_note()
    if note is not None:
        print(f"note: {note}", file=sys.stderr)
    if journal.unreadable:
        print(f"warning: {plural(journal.unreadable, 'line')} of the journal could not be read", file=sys.stderr)
    return 0


def _check_named(args: argparse.Namespace, entries: list[Entry]) -> None:
    """`--channel NAME` and `--batch ID` name something the journal holds: a name no entry has (a
    typo, or an id mistyped as `abc`) is a usage error, as `--limit 0` is, not "No change matches"."""
    if args.channel is not None and not args.channel.strip().lstrip("#").isdigit():
        names = {c.name for e in entries for c in e.changes if c.of == "channel"}
        if args.channel not in names:
            raise UsageError(
                f"--channel {args.channel!r}: no channel of the history has that name; give a channel id "
                "(a number) or a name exactly as the history shows it"
            )
    if args.batch is not None and not any(e.batch == args.batch for e in entries):
        raise UsageError(f"--batch {args.batch!r}: no entry of the history has that batch id")


async def _undo(args: argparse.Namespace) -> int:
    config = load_config()
    profile = config.site(args.site)
    journal = read_entries().entries if args.batch else Journal(profile.name).entries()
    entry = find(journal, profile.name, args.entry)
    if entry is None:
        raise ChannelsError(
            f"The history of {profile.name} has no entry {args.entry}: `tui-channels history --site "
            f"{profile.name}` lists them.",
            title="No such entry",
        )
    if args.batch:
        return await _undo_batch(config, entry, journal, args)
    session = SiteSession(profile=profile, secrets=SecretStore())
    try:
        backend = await session.connect()
        plan = await plan_undo(backend, entry, journal=journal)
        print(f"Undo entry {entry.id} ({action_label(entry)}, {when(entry)} UTC) on {profile.name}:", file=sys.stderr)
        print(plan.describe(), file=sys.stderr)
        if plan.kind is UndoKind.RECREATE_DELETED:
            _refuse_blocked(plan)
        does = _DOES[plan.kind].format(plan.what)
        if not (args.yes or _ask(f"{does[0].upper()}{does[1:]}?")):
            raise UsageError(f"undoing entry {entry.id} {_VERB[plan.kind]} {plan.what}: add --yes to confirm")
        if plan.kind is UndoKind.RECREATE_DELETED:
            results = await _recreate(plan, backend, session.profile.concurrency)
        else:
            results = await apply_undo(backend, plan, site=profile.name)
    finally:
        await session.disconnect()
    undone = Undone(profile.name, entry, [(plan, results)])
    return _report(undone, args.json)


@dataclass
class Undone:
    """What one `history undo` did: the entry asked for on its site, each plan with its results
    (the site's name on each result of a batch over several sites), and what the batch left
    alone: entries of it, with the reason (`left_entries`), and whole sites (`left_sites`)."""

    site: str
    entry: Entry
    done: list[tuple[UndoPlan, list[ChannelResult]]]
    left_entries: list[tuple[str, Entry, str]] = field(default_factory=list)
    left_sites: dict[str, str] = field(default_factory=dict)
    batch: str | None = None

    @property
    def not_restored(self) -> list[str]:
        """The secrets (a key) changed by the entries it put back, which it could not restore."""
        return sorted({name for plan, part in self.done if any(r.ok for r in part) for name in plan.not_restorable})

    def to_json(self) -> dict[str, Any]:
        """The `--json` document (README: JSON shapes)."""
        return {
            "site": self.site,
            "entry": self.entry.id,
            "batch": self.batch,
            "results": [
                {
                    "site": result.site or self.site,
                    "entry": plan.entry.id,
                    "channel_id": result.channel_id,
                    "name": result.name,
                    "outcome": result.outcome.value,
                    "message": result.message,
                }
                for plan, part in self.done
                for result in part
            ],
            "left_alone": [
                *({"site": site, "entry": entry.id, "reason": reason} for site, entry, reason in self.left_entries),
                *({"site": site, "entry": None, "reason": reason} for site, reason in self.left_sites.items()),
            ],
            "key_not_restored": bool(self.not_restored),
            "not_restored": self.not_restored,
        }


def _report(undone: Undone, as_json: bool, *, summary: str = "") -> int:
    """Print the results and what was changed, counted (`summary`: per site, for a batch over
    several); the exit code (see the module docstring)."""
    results = [r for _plan, part in undone.done for r in part]
    if as_json:
        print(json.dumps(undone.to_json(), indent=2, ensure_ascii=False))
    else:
        _print(results)
    print(f"Undo:\n{summary}" if summary else f"Undo: {tally(undone.done)}.", file=sys.stderr)
    if not all(r.outcome in (Outcome.OK, Outcome.SKIPPED) for r in results):
        return 1
    left = len(undone.left_entries)
    if left or undone.left_sites:
        counted = [plural(left, "entry", "entries")] if left else []
        counted += [plural(len(undone.left_sites), "site")] if undone.left_sites else []
        print(f"Not everything was put back: {' and '.join(counted)} of the batch left alone (named above).", file=sys.stderr)
        return PARTLY_UNDONE
    if undone.not_restored:
        print(secrets_note(undone.not_restored), file=sys.stderr)
        return SECRET_NOT_RESTORED
    return 0


async def _undo_batch(config: AppConfig, entry: Entry, journal: list[Entry], args: argparse.Namespace) -> int:
    """Every site's part of the entry's batch (a fleet action reaches several), each checked and
    written under its own site's backend; the results per site."""
    sessions: dict[str, SiteSession] = {}

    async def connect(site: str) -> Backend:
        if site not in sessions:
            sessions[site] = SiteSession(profile=config.site(site), secrets=SecretStore())
        session = sessions[site]
        if session.read_only_reason is not None:
            raise UndoRefused(f"An undo writes to {site}: {session.read_only_reason}")
        return await session.connect()

    try:
        undo = await plan_fleet_undo(connect, entry, journal)
        entries = plural(sum(len(part.plans) for part in undo.parts.values()), "entry", "entries")
        where = next(iter(undo.parts)) if undo.sites == 1 else f"{undo.sites} sites"
        print(f"Undo batch {undo.batch} ({entries}) on {where}:", file=sys.stderr)
        print(undo.describe(lines=50), file=sys.stderr)
        if not (args.yes or _ask(undo.title)):
            raise UsageError(f"undoing batch {undo.batch} writes to {where}: add --yes to confirm")
        undone = await apply_fleet_undo(connect, undo)
    finally:
        for session in sessions.values():
            await session.disconnect()
    several = undo.sites > 1
    done = [
        (plan, [replace(r, site=part.site) if several else r for r in results])
        for part in undone
        for plan, results in part.done
    ]
    report = Undone(
        entry.site,
        entry,
        done,
        left_entries=[(site, member, reason) for site, part in undo.parts.items() for member, reason in part.refused],
        left_sites=dict(undo.left),
        batch=undo.batch,
    )
    code = _report(report, args.json, summary=fleet_tally(undone) if several else "")
    return 1 if any(part.error for part in undone) else code


_DOES = {
    UndoKind.VALUES: "put back {}",
    UndoKind.DELETE_CREATED: "delete {} (to the trash first)",
    UndoKind.RECREATE_DELETED: "create {} again",
    UndoKind.RECREATE_GROUP: "create {} again",
}
"""What an undo of each kind writes, for its question."""
_VERB = {
    UndoKind.VALUES: "puts back",
    UndoKind.DELETE_CREATED: "deletes",
    UndoKind.RECREATE_DELETED: "creates again",
    UndoKind.RECREATE_GROUP: "creates again",
}


def _refuse_blocked(plan: UndoPlan) -> None:
    """A recreate with a row the command line cannot create (a key the trash lacks) is refused whole."""
    assert plan.restore is not None
    blocked = blocked_rows(plan.restore)
    if blocked:
        raise ChannelsError(
            f"Entry {plan.entry.id} cannot be undone here: {blocked}. Undo it in the app (h, then u), where "
            "you can type a key the trash lacks.",
            title="Cannot undo",
        )


async def _recreate(plan: UndoPlan, backend: Any, concurrency: int) -> list[ChannelResult]:
    assert plan.restore is not None
    settings = creation_settings(BatchSettings(concurrency=concurrency))
    creating = CreateRun(backend, plan.restore, undoes=plan.entry.id)
    return await BatchRun(plan.restore.placeholders(), creating, settings).run()


def _ask(question: str) -> bool:
    """A typed y at a terminal; never yes without one."""
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _print(results: list[ChannelResult]) -> None:
    headers: tuple[str, ...] = ("ID", "NAME", "RESULT", "MESSAGE")
    rows: list[tuple[Any, ...]] = [(r.channel_id, r.name, r.outcome.value, r.message) for r in results]
    if any(r.site for r in results):
        headers = ("SITE", *headers)
        rows = [(r.site, *row) for r, row in zip(results, rows)]
    print(format_table(headers, rows))
