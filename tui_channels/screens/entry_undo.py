"""Undo one journalled entry from any screen, the way the history does it.

The history's `u` and the table's `u` after a whole-tag enable / disable go through the same three
steps: check the entry against the server (`undo.plan_undo`: refused with the reason when a channel
changed since), ask (a restore preview for a delete, else a confirmation that lists each channel),
then write (`undo.apply_undo`, which reads each channel again right before writing and leaves one
that changed meanwhile alone) and say what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.screen import Screen

from ..errors import ChannelsError
from ..services.batch import BatchRun, BatchSettings
from ..services.channel_plan import CreateRun, creation_settings
from ..services.history import action_label
from ..services.journal import Entry
from ..services.results import ChannelResult, Outcome
from ..services.sites import SiteSession
from ..services.undo import UndoKind, UndoPlan, apply_undo, plan_undo, tally
from .confirm import ConfirmScreen
from .copy_report import CopyReportScreen


async def check_entry(host: Screen, session: SiteSession, entry: Entry, journal: Sequence[Entry]) -> UndoPlan | None:
    """The entry's undo checked against the server, or None once the reason it cannot be (or the
    server's error) is shown. `journal` is the site's entries, to name a later one to undo first."""
    host.notify(f"Reading the channels of entry {entry.id} on {entry.site}…", timeout=3)
    try:
        backend = await session.connect()
        return await plan_undo(backend, entry, journal=journal)
    except ChannelsError as error:
        host.notify(error.message, title=error.title, severity="error", timeout=10)
        return None


def ask(host: Screen, plan: UndoPlan, confirmed: Callable[[UndoPlan], None]) -> None:
    """Show what the undo will do and call `confirmed` with the plan when the user agrees."""

    def answered(yes: bool | None) -> None:
        if yes:
            confirmed(plan)

    entry = plan.entry
    if plan.kind is UndoKind.RECREATE_DELETED and plan.restore is not None:
        host.app.push_screen(CopyReportScreen(plan.restore), answered)
        return
    title = f"Undo entry {entry.id} ({action_label(entry)}) on {entry.site}?"
    if plan.kind is UndoKind.DELETE_CREATED:
        title = f"Undo entry {entry.id}: delete {plan.what} it created on {entry.site}?"
    elif plan.not_restorable:
        title = f"Undo entry {entry.id} on {entry.site}, except the {' and '.join(plan.not_restorable)}?"
    host.app.push_screen(ConfirmScreen(title, plan.describe(), confirm_label="Undo"), answered)


async def apply_entry(host: Screen, session: SiteSession, plan: UndoPlan) -> list[ChannelResult] | None:
    """Send the undo (each channel read again first); its results, or None once an error is shown."""
    try:
        backend = await session.connect()
        if plan.kind is UndoKind.RECREATE_DELETED and plan.restore is not None:
            settings = creation_settings(BatchSettings(concurrency=session.profile.concurrency))
            creating = CreateRun(backend, plan.restore, undoes=plan.entry.id)
            return await BatchRun(plan.restore.placeholders(), creating, settings).run()
        return await apply_undo(backend, plan, site=plan.entry.site)
    except ChannelsError as error:
        host.notify(error.message, title=error.title, severity="error", timeout=10)
        return None


def report(host: Screen, plan: UndoPlan, results: Sequence[ChannelResult]) -> None:
    """What the undo changed, and each channel it left alone with the reason (for a deleted
    channel not created again: one that is on the server now)."""
    recreating = plan.kind is UndoKind.RECREATE_DELETED
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    left = [r for r in results if r.outcome is Outcome.FAILED or (recreating and r.outcome is Outcome.SKIPPED)]
    lines = [f"{r.name if recreating else f'#{r.channel_id} {r.name}'}: {r.message}" for r in left[:5]]
    note = plan.secrets_note() if any(r.ok for r in results) else ""
    host.notify(
        "\n".join([f"Undid entry {plan.entry.id} on {plan.entry.site}: {tally([(plan, results)])}.", *([note] if note else []), *lines]),
        title="Undo incomplete" if left else "Undone",
        severity="error" if failed else "warning" if left else "information",
        timeout=15 if left or note else 5,
    )
