"""Progress of a running batch: done/total, rate, ETA and failures, without blocking the table.

A batch over several sites (the fleet) adds a second line with each site's own count, so a slow
or failing site shows at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
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
    if not progress.done and not cancelling:
        # A rate and an ETA from nothing would read as a stalled batch.
        text.append("  starting…  ")
        text.append("Esc cancels", style="italic")
        return text
    text.append(f"  {progress.rate:.1f}/s  ETA {format_eta(progress.eta)}")
    if progress.failed:
        text.append(f"  {progress.failed:,} failed", style="bold")
    if progress.skipped:
        text.append(f"  {progress.skipped:,} skipped")
    text.append("  cancelling…" if cancelling else "  Esc cancels", style="italic")
    return text


def _site_part(site: str, counts: BatchProgress, *, short: bool) -> Text:
    """`  prod 12/300 (2 failed)`, `  home 60/60 ✓`, or `  home ✓` when `short` and it ended well."""
    text = Text("  ")
    text.append(site, style="bold")
    ended_well = counts.done >= counts.total and not counts.failed
    if not (short and ended_well):
        text.append(f" {counts.done:,}/{counts.total:,}")
    if ended_well:
        text.append(" ✓", style="green")
    if counts.failed:
        text.append(f" ({counts.failed:,} failed)", style="bold")
    return text


def _rest_part(left_out: Sequence[BatchProgress], *, some_shown: bool) -> Text:
    """The sites left out, counted together: `  … +4 sites 12/60 (1 failed)`."""
    done, total = sum(p.done for p in left_out), sum(p.total for p in left_out)
    failed = sum(p.failed for p in left_out)
    count = f"+{len(left_out)}" if some_shown else str(len(left_out))
    text = Text(f"  … {count} {'site' if len(left_out) == 1 else 'sites'} {done:,}/{total:,}")
    if failed:
        text.append(f" ({failed:,} failed)", style="bold")
    return text


def _worth_showing(counts: BatchProgress) -> int:
    """Which sites a narrow line keeps longest: failing ones, then working, then not started, then ended well."""
    if counts.failed:
        return 3
    if counts.done >= counts.total:
        return 0
    return 2 if counts.done else 1


def sites_text(progress: FleetProgress, width: int) -> Text:
    """Each site's count on one line of `width` cells: ` by site:  home 60/60 ✓  prod 12/300 (2 failed)`.

    When they do not all fit, sites that ended well shrink to `home ✓`; then sites are left out
    and counted together at the end (`… +4 sites 12/60`), so none vanishes without a word: those
    that ended well first, then those not started, then working ones, failing ones last.
    """
    label = Text(" by site:", style="dim")
    sites = progress.sites
    for short in (False, True):
        parts = [_site_part(site, counts, short=short) for site, counts in sites]
        if label.cell_len + sum(part.cell_len for part in parts) <= width:
            return Text.assemble(label, *parts, no_wrap=True, overflow="ellipsis")
    drop_order = sorted(reversed(range(len(sites))), key=lambda i: _worth_showing(sites[i][1]))
    shown = set(range(len(sites)))
    line = label
    for index in drop_order:
        shown.discard(index)
        rest = _rest_part([p for i, (_s, p) in enumerate(sites) if i not in shown], some_shown=bool(shown))
        line = Text.assemble(label, *(parts[i] for i in sorted(shown)), rest, no_wrap=True, overflow="ellipsis")
        if line.cell_len <= width:
            break
    return line


class SitesLine:
    """`sites_text` fitted to the width it is drawn at (the bar's width changes with the terminal)."""

    def __init__(self, progress: FleetProgress) -> None:
        self.progress = progress

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield sites_text(self.progress, options.max_width)


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
            self._sites.update(SitesLine(progress), layout=False)

    def finish(self) -> None:
        self.display = False
