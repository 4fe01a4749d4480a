"""Everything the server holds about one channel, its secrets masked (`services/shown_secrets`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from ..backends.base import Capabilities, Operation
from ..models import Channel, mask_secret
from ..services.shown_secrets import shown_record, shown_url
from ..services.channel_view import format_balance, format_compact, format_duration_ms, relative_time
from ..services import test_log
from ..services.test_log import TestRecord, describe
from .dialog import Dialog

def summary_rows(
    channel: Channel, capabilities: Capabilities, last_test: TestRecord | None = None
) -> Iterator[tuple[str, str]]:
    """The neutral fields, formatted as the table formats them, only those the backend has; then
    `last_test`, this tool's own last test of the channel, where it has one (a server may keep no
    test, or only its time)."""
    columns = capabilities.columns
    yield "ID", str(channel.id)
    yield "Name", channel.name
    yield "Type", f"{channel.type.name} ({channel.type.code})"
    yield "Status", channel.status.label
    yield "Base URL", shown_url(channel.base_url) or f"(default) {channel.type.default_base_url}"
    if channel.key:
        yield "Key", mask_secret(channel.key)
    elif capabilities.supports(Operation.REVEAL_KEY):
        yield "Key", "(masked by the server: k reveals it)"
    else:
        yield "Key", "(not returned by the server)"
    if channel.all_models:
        yield "Models", "every model (no allowed-model list)"
    else:
        yield "Models", f"{channel.model_count}: {', '.join(channel.models)}"
    priority = capabilities.field("priority")
    optional = [
        ("group", "Groups", ", ".join(channel.groups)),
        ("priority", priority.label if priority else "Priority", "" if channel.priority is None else str(channel.priority)),
        ("weight", "Weight", "" if channel.weight is None else str(channel.weight)),
        ("tag", "Tag", channel.tag or ""),
        ("balance", "Balance", format_balance(channel.balance)),
        ("response_time", "Response time", format_duration_ms(channel.response_time_ms)),
        ("test_time", "Last tested (server)" if last_test else "Last tested", relative_time(channel.test_time)),
        ("used_quota", "Used quota", format_compact(channel.used_quota)),
    ]
    for column, label, value in optional:
        if column in columns:
            yield label, value
    if last_test is not None:
        yield "Last test here", describe(last_test)


class ChannelDetailScreen(Dialog[None]):
    """The neutral summary, then the server's full record (secrets masked)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(
        self,
        channel: Channel,
        capabilities: Capabilities,
        *,
        groups: Sequence[str] | None = None,
        where: str = "",
        site: str | None = None,
    ) -> None:
        """`groups` lists the groups routing to the channel, one line each, where the server has groups;
        `where` follows its name in the title (" on demo-newapi" in the fleet view); with `site`,
        this tool's last test of the channel there (`test_log`) is read once the screen is up (off
        the event loop) and added to the summary."""
        super().__init__()
        self._site = site
        self._last_test: TestRecord | None = None
        self._where = where
        self._channel = channel
        self._capabilities = capabilities
        self._groups = groups

    def _summary(self) -> Table:
        summary = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        summary.add_column(style="bold", no_wrap=True)
        summary.add_column(overflow="fold")
        for label, value in summary_rows(self._channel, self._capabilities, self._last_test):
            summary.add_row(label, value)
        return summary

    def on_mount(self) -> None:
        if self._site is not None:
            self.run_worker(self._read_last_test(self._site), exclusive=True)

    async def _read_last_test(self, site: str) -> None:
        try:
            found = await asyncio.to_thread(test_log.last_test, site, self._channel.id)
        except test_log.TestLogError as error:
            self.notify(f"{error.message}; this tool's last test is left out.", severity="warning")
            return
        if found is not None:
            self._last_test = found
            self.query_one("#detail-summary", Static).update(self._summary())

    def compose(self) -> ComposeResult:
        summary = self._summary()
        record = json.dumps(shown_record(self._capabilities.kind, self._channel.raw), indent=2, ensure_ascii=False)
        with VerticalScroll(classes="dialog", id="detail"):
            yield Label(f"Channel {self._channel.id}: {self._channel.name}{self._where}", classes="dialog-title")
            yield Static(summary, id="detail-summary")
            if self._groups is not None:
                yield Label("Groups routing to it (V opens them)", classes="help-section")
                yield Static("\n".join(self._groups) or "None: no group has a member on this channel.", markup=False)
            yield Label("Server record", classes="help-section")
            yield Static(record, id="raw-record", markup=False)
            yield Label("Esc closes", classes="dialog-hint")
