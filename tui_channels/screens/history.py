"""The history of changes (the journal of every write the tool sent), filtered, and undone from here.

Newest first. `/` filters by channel id or name, action or field; `a` switches between the site
the main screen shows and every site; `u` undoes the cursor entry after reading its channels
again and asking (see `services/undo.py` for what undo can and cannot do); `r` reads the journal
again. The pane below the table shows every field of the cursor entry, before and after.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static

from ..backends.base import Backend
from ..widgets.footer import FittingFooter
from ..demo.data_folder import temporary_data_note
from ..errors import ChannelsError
from ..services.history import action_label, change_summary, channel_label, detail_lines, outcome_label, undone_by, when
from ..services.journal import Entry, read_entries
from ..services.results import ChannelResult, Outcome
from ..services.current import read_current
from ..services.sites import SiteSession
from ..services.undo import (
    FleetUndo,
    UndoKind,
    UndoPlan,
    UndoRefused,
    apply_fleet_undo,
    batch_entries,
    batch_sites,
    fleet_tally,
    plan_fleet_undo,
    refusal,
)
from ..widgets.row_table import RowTable
from ..wording import plural
from .confirm import ConfirmScreen
from .entry_undo import apply_entry, ask, check_entry, report
from .workers import work
from .workspace import workspace_of

OUTCOME_STYLES = {"ok": "green", "failed": "red"}
SHOWN_AT_MOST = 1000
"""Rows the table holds: the newest matching entries (the filter reaches every entry)."""


def entry_matches(entry: Entry, needle: str) -> bool:
    """The filter: a channel id (`12` or `#12`), or text in the channel, action, fields or site."""
    needle = needle.strip().lower()
    if not needle:
        return True
    bare = needle.lstrip("#")
    if bare.isdigit() and int(bare) in entry.channel_ids():
        return True
    fields = " ".join(name for change in entry.changes for name in change.fields)
    haystack = f"{entry.site} {action_label(entry)} {entry.op} {channel_label(entry)} {fields} {entry.batch or ''}"
    haystack = haystack.lower()
    return needle in haystack


class HistoryScreen(Screen[set[str]]):
    """Dismisses with the names of the sites an undo changed, so the main screen can reload them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("u", "undo", "Undo"),
        Binding("U", "undo_batch", "Undo batch"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("a", "toggle_sites", "This site / all sites"),
        Binding("r", "reload", "Reload", show=False),
    ]
    """The screen's own keys first: a narrow footer leaves out its last keys (`FittingFooter`)."""

    def __init__(self, site: str | None) -> None:
        super().__init__()
        self._site = site
        self._all_sites = site is None
        self._entries: list[Entry] = []
        self._shown: list[Entry] = []
        self._matching = 0
        self._undone: dict[tuple[str, int], Entry] = {}
        self._unreadable = 0
        self._changed: set[str] = set()
        self.loaded = False
        """Whether the journals have been read once (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Label(id="history-title")
        with Horizontal(id="history-bar"):
            yield Input(placeholder="filter: channel id or name, action, field", id="history-filter")
        yield RowTable(cursor_type="row", zebra_stripes=True, id="history-table")
        with VerticalScroll(id="history-detail", can_focus=False):
            yield Static(id="history-detail-text", markup=False)
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        self.action_reload()
        # Filter in the keystroke's own turn, so the box and the list repaint in one frame.
        self.watch(self.query_one("#history-filter", Input), "value", self._render_entries, init=False)
        self.query_one(DataTable).focus()

    # -- the list -------------------------------------------------------------------------------

    @work(exclusive=True, group="history-read")
    async def action_reload(self) -> None:
        """Read every journal (in a thread: journals grow, and another process may be appending)."""
        try:
            journal = await asyncio.to_thread(read_entries)
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error")
            return
        self._entries = journal.entries
        self._unreadable = journal.unreadable
        self._undone = undone_by(journal.entries)
        self.loaded = True
        self._render_entries()

    def _render_entries(self) -> None:
        needle = self.query_one("#history-filter", Input).value
        scope = None if self._all_sites else self._site
        matching = [
            e for e in reversed(self._entries) if (scope is None or e.site == scope) and entry_matches(e, needle)
        ]
        self._matching = len(matching)
        self._shown = matching[:SHOWN_AT_MOST]
        table = self.query_one(DataTable)
        table.clear(columns=True)
        widths = self._widths()
        for label, width in widths.items():
            table.add_column(label, width=width)
        for entry in self._shown:
            outcome = outcome_label(entry, self._undone.get((entry.site, entry.id))).split()[0]
            cells = [
                str(entry.id),
                when(entry)[5:16],
                *([_cut(entry.site, widths["Site"])] if self._all_sites else []),
                _cut(action_label(entry), widths["Action"]),
                f"[{OUTCOME_STYLES.get(outcome, 'dim')}]{outcome}[/]",
                _cut(channel_label(entry), widths["Channel"]),
                *([_cut(change_summary(entry), widths["Change"])] if "Change" in widths else []),
            ]
            table.add_row(*cells)
        self._update_title()
        self._show_detail()

    def _widths(self) -> dict[str, int]:
        """Column widths for the screen's width, whole with a scrollbar beside them: fixed ones
        (the site's down to 8 cells and the action's down to 8 where room is short), the result,
        then channel and change share the rest. Where they have no room for both (every site on 60
        columns) the change is left out (the pane below shows it) rather than push the result
        past the edge or cut both to a few letters."""
        fixed = {"#": 3, "When (UTC)": 11, **({"Site": 12} if self._all_sites else {}), "Action": 11, "Result": 6}
        spare = (self.size.width or 80) - sum(fixed.values()) - 2 * (len(fixed) + 2) - SCROLLBAR
        for column in ("Site", "Action"):
            if column in fixed and spare < 24:
                given = min(fixed[column] - 8, 24 - spare)
                fixed[column] -= given
                spare += given
        if spare < 16:
            return {**fixed, "Channel": max(spare + 2, len("Channel"))}
        channel = min(28, max(8, spare * 2 // 5))
        return {**fixed, "Channel": channel, "Change": spare - channel}

    def on_resize(self) -> None:
        if self.is_mounted:
            self._render_entries()

    def _update_title(self) -> None:
        where = "every site" if self._all_sites else (self._site or "every site")
        count = self._matching
        text = f"History of changes · {where} · {plural(count, 'entry', 'entries')}"
        if count > len(self._shown):
            text += f" · the newest {len(self._shown):,} shown (/ narrows)"
        if self._unreadable:
            text += f" · {plural(self._unreadable, 'unreadable line')}"
        self.query_one("#history-title", Label).update(text)

    def _cursor_entry(self) -> Entry | None:
        table = self.query_one(DataTable)
        if not self._shown or table.cursor_row < 0 or table.cursor_row >= len(self._shown):
            return None
        return self._shown[table.cursor_row]

    def _show_detail(self) -> None:
        entry = self._cursor_entry()
        detail = self.query_one("#history-detail-text", Static)
        self.set_class(not self._shown, "-empty")
        if entry is None:
            text = "Nothing matches the filter." if self._entries else (
                "No change has been journalled yet: every write this tool sends is recorded here."
            )
            note = temporary_data_note()
            detail.update(f"{text}\n{note}" if note else text)
            return
        lines = detail_lines(entry)
        reason = refusal(entry)
        lines.append(f"Cannot be undone: {reason}." if reason else "u undoes it (after checking the server).")
        sites = batch_sites(self._entries, entry)
        count = sum(len(members) for members in sites.values())
        if count > 1:
            where = f" on {len(sites)} sites" if len(sites) > 1 else ""
            lines.append(f"One of {count} entries of batch {entry.batch}{where}: U undoes every one it can.")
        detail.update(Text("\n".join(lines)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#history-filter", Input).focus()

    def action_toggle_sites(self) -> None:
        if self._site is None:
            self.notify("No site is open: the history shows every site.")
            return
        self._all_sites = not self._all_sites
        self._render_entries()

    def action_close(self) -> None:
        if self.focused is self.query_one("#history-filter", Input):
            self.query_one(DataTable).focus()
            return
        self.dismiss(set(self._changed))

    # -- undo -----------------------------------------------------------------------------------

    def action_undo(self) -> None:
        entry = self._cursor_entry()
        if entry is None:
            self._nothing_to_undo()
            return
        reason = refusal(entry)
        if reason is not None:
            self.notify(f"Entry {entry.id} cannot be undone: {reason}.", title="Cannot undo", severity="warning")
            return
        if self._writable(entry):
            self._plan(entry)

    def action_undo_batch(self) -> None:
        entry = self._cursor_entry()
        if entry is None:
            self._nothing_to_undo()
            return
        if len(batch_entries(self._entries, entry)) < 2:
            self.action_undo()
            return
        self._plan_batch(entry)

    def _nothing_to_undo(self) -> None:
        """`u` and `U` never do nothing in silence: with no entry under the cursor, say why."""
        why = "the filter shows no entry" if self._entries else "no change is journalled here yet"
        self.notify(f"Nothing to undo: {why}.", title="Undo", severity="warning")

    def _writable(self, entry: Entry) -> bool:
        """Whether the entry's site is still configured and may be written to (else say why)."""
        workspace = workspace_of(self.app)
        if entry.site not in {site.name for site in workspace.config.sites}:
            self.notify(f"{entry.site} is no longer a configured site.", title="Cannot undo", severity="warning")
            return False
        reason = workspace.sessions.get(workspace.config.site(entry.site)).read_only_reason
        if reason is not None:
            self.notify(f"An undo writes to {entry.site}: {reason}", title="Cannot undo", severity="warning")
            return False
        return True

    async def _connect(self, site: str) -> Backend:
        """The site's backend for an undo; `UndoRefused` with the reason when the site is no
        longer configured or may not be written to."""
        workspace = workspace_of(self.app)
        if site not in {profile.name for profile in workspace.config.sites}:
            raise UndoRefused(f"{site} is no longer a configured site.")
        session = workspace.sessions.get(workspace.config.site(site))
        if session.read_only_reason is not None:
            raise UndoRefused(f"An undo writes to {site}: {session.read_only_reason}")
        return await session.connect()

    @work(exclusive=True, group="undo")
    async def _plan_batch(self, entry: Entry) -> None:
        """Check every site's part of the batch against its own server, then ask once."""
        sites = batch_sites(self._entries, entry)
        count = sum(len(members) for members in sites.values())
        where = entry.site if len(sites) == 1 else f"{len(sites)} sites"
        self.notify(f"Reading the channels of {plural(count, 'entry', 'entries')} on {where}…", timeout=3)
        try:
            undo = await plan_fleet_undo(self._connect, entry, self._entries)
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return
        screen = ConfirmScreen(undo.title, undo.describe(), confirm_label="Undo")
        self.app.push_screen(screen, lambda yes: self._batch_confirmed(yes, undo))

    def _batch_confirmed(self, yes: bool | None, undo: FleetUndo) -> None:
        if yes:
            self._apply_batch(undo)

    @work(exclusive=True, group="undo")
    async def _apply_batch(self, undo: FleetUndo) -> None:
        """Each site's part under its own backend; one notice with each site's result."""
        workspace = workspace_of(self.app)
        undone = await apply_fleet_undo(self._connect, undo)
        for part in undone:
            if not part.done:
                continue
            self._changed.add(part.site)
            session = workspace.sessions.get(workspace.config.site(part.site))
            await self._refresh(session, {i for plan, results in part.done for i in _touched(plan, results)})
        failed = [(part.site, r) for part in undone for r in part.failed]
        broken = [part for part in undone if part.error]
        lines = [f"{site} #{r.channel_id} {r.name}: {r.message}" for site, r in failed[:5]]
        notes = {plan.secrets_note() for part in undone for plan, _results in part.done if plan.secrets_note()}
        left = "".join(f"\n{site}: left alone: {reason.rstrip('.')}." for site, reason in undo.left.items())
        incomplete = bool(failed or broken)
        self.notify(
            "\n".join([f"Undid batch {undo.batch}:", fleet_tally(undone) + left, *sorted(notes), *lines]),
            title="Undo incomplete" if incomplete else "Undone",
            severity="error" if incomplete else "information",
            timeout=15 if incomplete or notes or left else 5,
        )
        self.action_reload()

    @work(exclusive=True, group="undo")
    async def _plan(self, entry: Entry) -> None:
        workspace = workspace_of(self.app)
        session = workspace.sessions.get(workspace.config.site(entry.site))
        plan = await check_entry(self, session, entry, self._entries)
        if plan is not None:
            ask(self, plan, self._apply)

    @work(exclusive=True, group="undo")
    async def _apply(self, plan: UndoPlan) -> None:
        workspace = workspace_of(self.app)
        site = plan.entry.site
        session = workspace.sessions.get(workspace.config.site(site))
        results = await apply_entry(self, session, plan)
        if results is None:
            return
        self._changed.add(site)
        await self._refresh(session, _touched(plan, results))
        report(self, plan, results)
        self.action_reload()

    async def _refresh(self, session: SiteSession, ids: set[int]) -> None:
        """Keep the site's loaded channels in step with the server after an undo: each channel it
        touched is read again (a deleted one is dropped), so no list shows what was there before."""
        if not ids or not session.channels or session.backend is None:
            return
        try:
            now = await read_current(session.backend, ids)
        except ChannelsError:
            return
        for channel in now.values():
            session.replace_channel(channel)
        session.forget_channels(ids - set(now))


SCROLLBAR = 2
"""Cells the table's scrollbar takes once the entries outgrow the screen."""


def _touched(plan: UndoPlan, results: list[ChannelResult]) -> set[int]:
    """The ids of the channels an undo wrote to (a recreated channel by its new id); none for a group."""
    if plan.groups:
        return set()
    if plan.kind is UndoKind.RECREATE_DELETED:
        return {r.value for r in results if r.ok and isinstance(r.value, int)}
    return {r.channel_id for r in results if r.outcome is not Outcome.SKIPPED}


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
