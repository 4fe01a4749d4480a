"""The keys of a New API multi-key channel: status, disabled reason and time, and what to do with them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..backends.newapi.admin import KeyStatus, KeyStatusPage
from ..errors import ChannelsError
from ..models import Channel, ChannelStatus
from ..services.channel_view import relative_time
from ..wording import agrees, plural
from .confirm import ConfirmScreen
from .dialog import Dialog
from .workers import work

PAGE_SIZE = 50
STATUS_STYLE = {
    ChannelStatus.ENABLED: "green",
    ChannelStatus.MANUALLY_DISABLED: "yellow",
    ChannelStatus.AUTO_DISABLED: "red",
    ChannelStatus.UNKNOWN: "dim",
}


SAME_PREVIEW = (
    "The server shows only each key's first characters, alike for every key here: the # tells them apart."
)


def key_line(key: KeyStatus, *, preview: bool = True) -> Text:
    """One key: its index, status, the server's preview (left out where every key's is the same,
    which would make them look like one key), when and why it was disabled."""
    text = Text()
    text.append(f"#{key.index:<4}")
    text.append(f"{key.status.label:<14}", style=STATUS_STYLE[key.status])
    if preview:
        text.append(f"{key.preview:<16}")
    if key.disabled_time:
        text.append(f"  {relative_time(key.disabled_time)}", style="dim")
    if key.reason:
        text.append(f"  {key.reason}", style="italic")
    return text


class KeyManagerScreen(Dialog[bool]):
    """Dismisses with True when a key changed, so the table can refresh the channel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus", "one('enable_key')", "Enable"),
        Binding("minus", "one('disable_key')", "Disable"),
        Binding("d", "one('delete_key')", "Delete"),
        Binding("E", "all('enable_all_keys')", "All on"),
        Binding("X", "all('disable_all_keys')", "All off"),
        Binding("D", "all('delete_disabled_keys')", "Delete auto-disabled"),
        Binding("right,pagedown", "page(1)", "Next page", show=False),
        Binding("left,pageup", "page(-1)", "Previous page", show=False),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, backend, channel: Channel) -> None:
        super().__init__()
        self._backend = backend
        self._channel = channel
        self._page: KeyStatusPage | None = None
        self._page_number = 1
        self._changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="key-manager"):
            yield Label(f"Keys of channel {self._channel.id}: {self._channel.name}", classes="dialog-title")
            yield Label("Loading …", id="key-summary")
            yield OptionList(id="key-list")
            yield Label(
                "+/- enable/disable · d delete · E/X all on/off · D delete auto-disabled · ←/→ pages · Esc closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.load_page()
        self.query_one(OptionList).focus()

    @work(exclusive=True, group="keys")
    async def load_page(self) -> None:
        try:
            page = await self._backend.key_status(self._channel.id, self._page_number, PAGE_SIZE)
        except ChannelsError as error:
            self.query_one("#key-summary", Label).update(f"{error.title}: {error.message}")
            return
        self._page = page
        alike = len(page.keys) > 1 and len({key.preview for key in page.keys}) == 1
        self.query_one("#key-summary", Label).update(
            f"{plural(page.total, 'key')}: {page.enabled} enabled, {page.manually_disabled} disabled, "
            f"{page.auto_disabled} auto-disabled · page {page.page} of {max(page.total_pages, 1)}"
            + (f"\n{SAME_PREVIEW}" if alike else "")
        )
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(Option(key_line(key, preview=not alike), id=str(key.index)) for key in page.keys)
        if page.keys:
            options.highlighted = min(highlighted or 0, len(page.keys) - 1)

    def _highlighted_key(self) -> KeyStatus | None:
        options = self.query_one(OptionList)
        if self._page is None or options.highlighted is None or not self._page.keys:
            return None
        return self._page.keys[options.highlighted]

    def action_page(self, step: int) -> None:
        if self._page is None:
            return
        target = self._page_number + step
        if 1 <= target <= max(self._page.total_pages, 1):
            self._page_number = target
            self.load_page()

    def action_one(self, action: str) -> None:
        key = self._highlighted_key()
        if key is None:
            return
        if action == "delete_key":
            self._confirm(
                f"Delete key #{key.index}?",
                f"Key #{key.index} ({key.preview}) is removed from channel {self._channel.name}; "
                "it cannot be read back.",
                action,
                key.index,
            )
        else:
            self.run_action_on_keys(action, key.index)

    def action_all(self, action: str) -> None:
        page = self._page
        if page is None:
            return
        every = "Its key" if page.total == 1 else f"All {page.total:,} keys"
        messages = {
            "enable_all_keys": (
                "Enable every key?",
                f"{every} of {self._channel.name} {agrees(page.total, 'is', 'are')} enabled.",
            ),
            "disable_all_keys": (
                "Disable every key?",
                f"{every} {agrees(page.total, 'is', 'are')} disabled: the channel stops serving requests.",
            ),
            "delete_disabled_keys": (
                "Delete the auto-disabled keys?",
                f"{plural(page.auto_disabled, 'automatically disabled key')} {agrees(page.auto_disabled, 'is', 'are')} removed for good.",
            ),
        }
        title, message = messages[action]
        self._confirm(title, message, action, None)

    def _confirm(self, title: str, message: str, action: str, index: int | None) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.run_action_on_keys(action, index)

        self.app.push_screen(ConfirmScreen(title, message, confirm_label="Yes"), answered)

    @work(group="key-actions")
    async def run_action_on_keys(self, action: str, index: int | None) -> None:
        try:
            message = await self._backend.manage_keys(self._channel.id, action, index)
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error")
            return
        self._changed = True
        self.notify(message or "Done.")
        self.load_page()

    def action_close(self) -> None:
        self.dismiss(self._changed)
