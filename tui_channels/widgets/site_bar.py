"""The strip above the table: which site this is, what it runs, how many channels show."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..wording import plural


class SiteBar(Static):
    """Site name, backend and version, the shown / total / selected counts, a note (read-only, last
    sync) and how the table is sorted."""

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
        self.update(text, layout=False)  # one line, always: no layout pass per keystroke
