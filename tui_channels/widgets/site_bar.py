"""The strip above the table: which site this is, what it runs, how many channels show."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.widgets import Static

from ..wording import plural


class SiteBar(Static):
    """Site name, backend and version, the shown / total / selected counts, a note (read-only, last
    sync) and how the table is sorted. On a narrow terminal it gives up parts whole, in the order
    `show` is given (`leave_out`): the backend, the sort, the note's long form, then the counts'
    words ("150/150"); the site name and the note (read-only says so, always) stay."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: dict = {}
        self._leave_out: Sequence[str] = ()

    def show(
        self,
        *,
        site: str,
        backend: str,
        shown: int | None = None,
        total: int | None = None,
        selected: int = 0,
        note: str = "",
        short_note: str = "",
        sort: str = "",
        leave_out: Sequence[str] = ("backend", "sort", "note"),
    ) -> None:
        """`short_note` stands for `note` when the bar is short of room ("READ-ONLY: 2 sites" for
        the sites' names); `leave_out` orders what goes first: "backend", "sort", "note" (its short
        form). The counts go compact last."""
        self._shown = dict(
            site=site, backend=backend, shown=shown, total=total, selected=selected, note=note, sort=sort
        )
        self._short_note = short_note or note
        self._leave_out = leave_out
        self._render_bar()

    def on_resize(self, event: events.Resize) -> None:
        if self._shown:
            self._render_bar()

    def _render_bar(self) -> None:
        width = self.size.width or self.app.size.width
        fields = {**self._shown, "compact": False}
        text = _bar(**fields)
        for left_out in (*self._leave_out, "compact"):
            if text.cell_len <= width:
                break
            replacement = {"note": self._short_note, "compact": True}.get(left_out, "")
            fields = {**fields, left_out: replacement}
            text = _bar(**fields)
        self.update(text, layout=False)  # one line, always: no layout pass per keystroke


def _bar(
    *,
    site: str,
    backend: str,
    shown: int | None,
    total: int | None,
    selected: int,
    note: str,
    sort: str,
    compact: bool,
) -> Text:
    text = Text()
    text.append(f" {site} ", style="bold reverse")
    if backend:
        text.append(f"  {backend}", style="dim")
    if total is not None:
        text.append("   ")
        text.append(f"{shown:,}" if shown is not None else "?", style="bold")
        text.append(f"/{total:,}" if compact else f" of {plural(total, 'channel')}")
    if selected:
        text.append("   ")
        text.append(f"{selected:,} selected", style="bold")
    if note:
        text.append(f"   {note}", style="dim")
    if sort:
        text.append(f"   {sort}")
    return text
