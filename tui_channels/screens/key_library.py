"""The key library: the upstream keys the user holds, to import as channels of the current site.

Pasted keys (kept in the secret store) and the enabled tokens of relay accounts (listed live with
the account's own access token) in one table: name, source, base URL and the key, masked. Space
picks keys, Enter imports the picked keys (or the cursor's), `p` adds pasted keys or a file, `n`
adds a relay account; `d` forgets picked pasted keys, `D` forgets the cursor row's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from ..config import KeySourceProfile
from ..errors import ChannelsError
from ..services.key_library import (
    AccountKeys,
    KeyLibrary,
    UpstreamKey,
    add_account,
    fetch_account_keys,
    remove_account,
)
from ..wording import plural
from ..widgets.row_table import RowTable
from .confirm import ConfirmScreen
from .form_dialog import DiscardConfirm, FormDialog
from .key_dialogs import AccountDialog, AddKeysDialog
from .workers import work
from .workspace import Workspace, workspace_of


@dataclass(frozen=True, slots=True)
class _Row:
    key: UpstreamKey
    account: str | None
    """The relay account the key was listed from; None for a pasted key."""


class KeyLibraryScreen(FormDialog[list[UpstreamKey] | None]):
    """Dismisses with the keys to import, or None. Esc asks first when keys are picked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("space", "toggle", "Pick"),
        Binding("a", "pick_all", "All"),
        Binding("p", "add_keys", "Paste"),
        Binding("n", "add_account", "Account"),
        Binding("d", "forget_keys", "Forget pasted"),
        Binding("D", "forget_account", "Forget account"),
    ]

    def __init__(self, site: str) -> None:
        super().__init__()
        self._site = site
        self._pasted: list[UpstreamKey] = []
        self._accounts: dict[str, AccountKeys] = {}
        self._problems: dict[str, str] = {}
        """Per account: "loading…" or why it failed."""
        self._library_problem = ""
        self._rows: list[_Row] = []
        self._picked: set[int] = set()

    @property
    def workspace(self) -> Workspace:
        return workspace_of(self.app)

    @property
    def library(self) -> KeyLibrary:
        return KeyLibrary(self.workspace.secrets)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="key-library"):
            yield Label(f"Key library — import into {self._site}", classes="dialog-title")
            yield Label(id="library-status")
            yield RowTable(cursor_type="row", zebra_stripes=True, id="library-keys")
            yield Label(
                "space pick · a pick all · Enter import · p paste / file · n add account · "
                "d forget pasted · D forget account · Esc close",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "Name", "Source", "Base URL", "Key")
        self._load_pasted()
        self.fetch_accounts(self.workspace.config.key_sources)
        table.focus()

    def edits(self) -> object:
        """The picked keys: Esc drops them only after asking."""
        return frozenset(self._rows[i].key for i in self._picked if i < len(self._rows))

    def discard_question(self) -> DiscardConfirm:
        count = sum(i < len(self._rows) for i in self._picked)
        return DiscardConfirm(
            f"Drop the {plural(count, 'picked key')}?",
            "Nothing is imported yet. y drops the picks and closes the library; n goes back to it.",
        )

    def _load_pasted(self) -> None:
        try:
            self._pasted = self.library.keys()
        except ChannelsError as error:
            self._library_problem = error.message
        self._redraw()

    # -- accounts ------------------------------------------------------------------------------

    @work(group="accounts")
    async def fetch_accounts(self, sources: list[KeySourceProfile]) -> None:
        """List every account's tokens; a failing account is reported, the others still load."""
        for source in sources:
            self._problems[source.name] = "loading…"
        self._redraw()
        for source in sources:
            try:
                self._accounts[source.name] = await fetch_account_keys(source, self.workspace.secrets)
            except ChannelsError as error:
                self._problems[source.name] = f"{error.title}: {error.message}"
            else:
                self._problems.pop(source.name, None)
            self._redraw()

    # -- drawing ---------------------------------------------------------------------------

    def _redraw(self) -> None:
        picked = {self._rows[i].key for i in self._picked if i < len(self._rows)}
        self._rows = [_Row(k, None) for k in self._pasted] + [
            _Row(k, name) for name, account in self._accounts.items() for k in account.keys
        ]
        self._picked = {i for i, row in enumerate(self._rows) if row.key in picked}
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for index, row in enumerate(self._rows):
            key = row.key
            table.add_row("✓" if index in self._picked else "", key.name, key.source, key.base_url, key.masked_key)
        if self._rows:
            table.move_cursor(row=max(0, min(cursor, len(self._rows) - 1)))
        parts = [self._library_problem or plural(len(self._pasted), "pasted key")]
        parts += [account.summary for account in self._accounts.values()]
        parts += [f"{name}: {problem}" for name, problem in self._problems.items()]
        if not self._rows:
            parts.append("press p to paste keys or read a file, n to add a relay account")
        self.query_one("#library-status", Label).update(" · ".join(parts))

    def _cursor(self) -> _Row | None:
        index = self.query_one(DataTable).cursor_row
        return self._rows[index] if 0 <= index < len(self._rows) else None

    # -- picking and importing -------------------------------------------------------------

    def action_toggle(self) -> None:
        index = self.query_one(DataTable).cursor_row
        if 0 <= index < len(self._rows):
            self._picked ^= {index}
            self._redraw()
            self.query_one(DataTable).move_cursor(row=min(index + 1, len(self._rows) - 1))

    def action_pick_all(self) -> None:
        self._picked = set() if len(self._picked) == len(self._rows) else set(range(len(self._rows)))
        self._redraw()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        chosen = [self._rows[i].key for i in sorted(self._picked)]
        if not chosen:
            row = self._cursor()
            chosen = [row.key] if row else []
        if chosen:
            self.dismiss(chosen)

    # -- adding and forgetting -------------------------------------------------------------

    def action_add_keys(self) -> None:
        def added(keys: list[UpstreamKey] | None) -> None:
            if not keys:
                return
            try:
                new = self.library.add(keys)
            except ChannelsError as error:
                self.notify(error.message, title=error.title, severity="error")
                return
            self.notify(f"{plural(new, 'new key')} in the library ({len(keys) - new} already there).")
            self._load_pasted()

        self.app.push_screen(AddKeysDialog(), added)

    def action_add_account(self) -> None:
        app = self.workspace

        def added(result: tuple[KeySourceProfile, str] | None) -> None:
            if result is None:
                return
            profile, token = result
            try:
                add_account(app.config, app.secrets, profile, token)
            except ChannelsError as error:
                self.notify(error.message, title=error.title, severity="error")
                return
            app.save_config()
            self.fetch_accounts([profile])

        self.app.push_screen(AccountDialog({s.name for s in app.config.key_sources}), added)

    def action_forget_keys(self) -> None:
        chosen = [self._rows[i].key for i in sorted(self._picked) if self._rows[i].account is None]
        row = self._cursor()
        if not chosen and row is not None and row.account is None:
            chosen = [row.key]
        if not chosen:
            self.notify("Pick pasted keys to forget (account tokens stay on their relay).", severity="warning")
            return

        def agreed(yes: bool | None) -> None:
            if yes:
                self.library.remove(chosen)
                self._picked.clear()
                self._load_pasted()

        message = f"Remove {plural(len(chosen), 'pasted key')} from the library?"
        self.app.push_screen(ConfirmScreen("Forget keys", message, confirm_label="Forget"), agreed)

    def action_forget_account(self) -> None:
        row = self._cursor()
        if row is None or row.account is None:
            self.notify("Move the cursor to a key of the account to forget.", severity="warning")
            return
        name = row.account
        app = self.workspace

        def agreed(yes: bool | None) -> None:
            if yes:
                remove_account(app.config, app.secrets, name)
                app.save_config()
                self._accounts.pop(name, None)
                self._redraw()

        message = f"Forget the relay account {name!r} and its stored access token? Its tokens stay on the relay."
        self.app.push_screen(ConfirmScreen("Forget account", message, confirm_label="Forget"), agreed)
