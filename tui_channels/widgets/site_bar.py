"""The strip above the table: which site this is, what it runs, how many channels show."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Static

from ..wording import plural


class SiteBar(Static):
    """Site name, backend and version, the shown / total / selected counts, a note (read-only, last
    sync) and how the table is sorted; on a narrow terminal the backend, then the sort, are left
    out rather than cut."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: dict = {}

    def show(
        self,
        *,
        site: str,
        backend: str,
        shown: int | None = None,
        total: int | None = None,
        selected: int = 0,
        note: str = "",
        sort: str = "",
    ) -> None:
        self._shown = dict(
            site=site, backend=backend, shown=shown, total=total, selected=selected, note=note, sort=sort
        )
        self._render_bar()

    def on_resize(self, event: events.Resize) -> None:
        if self._shown:
            self._render_bar()

    def _render_bar(self) -> None:
        width = self.size.width or self.app.size.width
        fields = self._shown
        text = _bar(**fields)
        for left_out in ("backend", "sort"):
            if text.cell_len <= width:
                break
            fields = {**fields, left_out: ""}
            text = _bar(**fields)
        self.update(text, layout=False)  # one line, always: no layout pass per keystroke


def _bar(
    *, site: str, backend: str, shown: int | None, total: int | None, selected: int, note: str, sort: str
) -> Text:
    text = Text()
    text.append(f" {site} ", style="bold reverse")
    if backend:
        text.append(f"  {backend}", style="dim")
    if total is not None:
        text.append("   ")
        text.append(f"{shown:,}" if shown is not None else "?", style="bold")
        text.append(f" of {plural(total, 'channel')}")
    if selected:
        text.append("   ")
        text.append(f"{selected:,} selected", style="bold")
    if note:
        text.append(f"   {note}", style="dim")
    if sort:
        text.append(f"   {sort}")
    return text
