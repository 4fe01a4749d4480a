"""Progress of a running batch: done/total, rate, ETA and failures, without blocking the table.

A batch over several sites (the fleet) adds a second line with each site's own count, so a slow
or failing site shows at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from ..services.batch import BatchProgress, format_eta, pause_text
from ..services.fleet_batch import FleetProgress


def progress_text(title: str, progress: BatchProgress, *, cancelling: bool = False) -> Text:
    """ " Test 2/5  0.5/s  ETA 12s  1 failed  Esc cancels", or what the batch is waiting for."""
    text = Text()
    text.append(f" {title} ", style="bold")
    text.append(f"{progress.done:,}/{progress.total:,}")
    if progress.pause is not None and not cancelling:
        text.append(f"  {pause_text(progress.pause)}", style="italic")
        return text
    text.append(f"  {progress.rate:.1f}/s  ETA {format_eta(progress.eta)}")
    if progress.failed:
        text.append(f"  {progress.failed:,} failed", style="bold")
    if progress.skipped:
        text.append(f"  {progress.skipped:,} skipped")
    text.append("  cancelling…" if cancelling else "  Esc cancels", style="italic")
    return text


def sites_text(progress: FleetProgress) -> Text:
    """Each site's count on one line: `demo-newapi 60/60 ✓ · prod 12/300 (2 failed) · …`."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" by site:", style="dim")
    for site, counts in progress.sites:
        text.append("  ")
        text.append(site, style="bold")
        text.append(f" {counts.done:,}/{counts.total:,}")
        if counts.done >= counts.total:
            text.append(" ✓" if not counts.failed else "", style="green")
        if counts.failed:
            text.append(f" ({counts.failed:,} failed)", style="bold")
    return text


class BatchProgressBar(Vertical):
    """Docked under the table while a batch runs (one line, two over several sites); hidden otherwise."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bar = ProgressBar(show_eta=False, show_percentage=True, id="batch-bar-progress")
        self._text = Static(id="batch-bar-text")
        self._sites = Static(id="batch-bar-sites")

    def compose(self) -> ComposeResult:
        with Horizontal(id="batch-bar-line"):
            yield self._bar
            yield self._text
        yield self._sites

    def on_mount(self) -> None:
        self.display = False

    def start(self, title: str, total: int, sites: Sequence[str] = ()) -> None:
        self.display = True
        self._sites.display = len(sites) > 1
        self._bar.update(total=max(total, 1), progress=0)
        empty = BatchProgress(total=total, done=0, ok=0, failed=0, skipped=0, elapsed=0.0)
        self._text.update(progress_text(title, empty), layout=False)

    def show(self, title: str, progress: FleetProgress, *, cancelling: bool = False) -> None:
        """Safe to call while the app closes: a cancelled batch still reports its last results."""
        self._bar.update(progress=progress.total.done)
        # Fixed one-line texts: no layout pass for each result of a long batch.
        self._text.update(progress_text(title, progress.total, cancelling=cancelling), layout=False)
        if progress.site_count > 1:
            self._sites.update(sites_text(progress), layout=False)

    def finish(self) -> None:
        self.display = False
