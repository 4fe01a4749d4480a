"""Above the fleet's table: each site still loading (with its progress) and each that failed (with
its error), one line per site; hidden once every site is loaded."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static

from ..services.fleet import Fleet
from ..services.sites import LoadState, SiteSession
from ..wording import plural

MAX_LINES = 4
"""Sites listed before the rest is summed up in one more line (the table keeps the screen)."""


def site_line(session: SiteSession, progress: tuple[int, int | None] | None) -> Text:
    """One site's state: loading with its count, or the error of a failed load."""
    text = Text()
    if session.state is LoadState.LOADING or session.state is LoadState.IDLE:
        done, total = progress or (0, None)
        count = f"{done:,} of {plural(total, 'channel')}" if total else plural(done, "channel")
        text.append(" ◌ ", style="bold")
        text.append(session.name, style="bold")
        text.append(f"  loading… {count}", style="dim")
        return text
    error = session.error
    text.append(" ✗ ", style="bold red")
    text.append(session.name, style="bold")
    detail = " ".join(f"{error.title}: {error.message}".split()) if error else "did not load"
    stale = f" (showing the {plural(len(session.channels), 'channel')} of an earlier load)" if session.channels else ""
    text.append(f"  {detail}{stale}")
    return text


class FleetStatus(Static):
    """The sites of the fleet that are loading or failed; a click on a site opens it alone."""

    class OpenSite(Message):
        """The user clicked a site's line: show that site alone (with its own error screen)."""

        def __init__(self, site: str) -> None:
            super().__init__()
            self.site = site

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[str] = []
        self._height = 0
        """Lines shown: a progress update that keeps the count needs no layout pass of the screen."""

    def show_sites(self, fleet: Fleet) -> None:
        listed = fleet.pending_sites() + fleet.failed_sites()
        self.display = bool(listed)
        if not listed:
            self._lines = []
            self._height = 0
            return
        shown = listed[:MAX_LINES] if len(listed) <= MAX_LINES else listed[: MAX_LINES - 1]
        lines = [site_line(session, fleet.progress.get(session.name)) for session in shown]
        self._lines = [session.name for session in shown]
        rest = len(listed) - len(shown)
        if rest:
            lines.append(Text(f"   … and {plural(rest, 'more site')} loading or failed (s lists every site)", style="dim"))
        # Each page of each site updates a count here; only a new line changes the layout.
        self.update(Text("\n").join(lines), layout=len(lines) != self._height)
        self._height = len(lines)

    def on_click(self, event: events.Click) -> None:
        if 0 <= event.y < len(self._lines):
            self.post_message(self.OpenSite(self._lines[event.y]))
