"""Progress of a running batch: done/total, rate, ETA and failures, without blocking the table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from ..services.batch import BatchProgress, format_eta


def progress_text(title: str, progress: BatchProgress, *, cancelling: bool = False) -> Text:
    text = Text()
    text.append(f" {title} ", style="bold")
    text.append(f"{progress.done:,}/{progress.total:,}")
    text.append(f"  {progress.rate:.1f}/s  ETA {format_eta(progress.eta)}")
    if progress.failed:
        text.append(f"  {progress.failed:,} failed", style="bold")
    if progress.skipped:
        text.append(f"  {progress.skipped:,} skipped")
    text.append("  cancelling…" if cancelling else "  Esc cancels", style="italic")
    return text


class BatchProgressBar(Horizontal):
    """A one-line bar docked under the table while a batch runs; hidden otherwise."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bar = ProgressBar(show_eta=False, show_percentage=True, id="batch-bar-progress")
        self._text = Static(id="batch-bar-text")

    def compose(self) -> ComposeResult:
        yield self._bar
        yield self._text

    def on_mount(self) -> None:
        self.display = False

    def start(self, title: str, total: int) -> None:
        self.display = True
        self._bar.update(total=max(total, 1), progress=0)
        self.show(title, BatchProgress(total=total, done=0, ok=0, failed=0, skipped=0, elapsed=0.0))

    def show(self, title: str, progress: BatchProgress, *, cancelling: bool = False) -> None:
        """Safe to call while the app closes: a cancelled batch still reports its last results."""
        self._bar.update(progress=progress.done)
        self._text.update(progress_text(title, progress, cancelling=cancelling))

    def finish(self) -> None:
        self.display = False
