"""The per-channel report of a finished batch, failures first: filter, search, copy the errors,
retry what failed or was cancelled, select the channels shown in the table.

A batch over several sites (the fleet) is grouped by site, each under a heading with its counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from ..display import one_line
from ..services.fleet_batch import by_site
from ..services.results import ChannelResult, Outcome, tally
from ..wording import plural
from .dialog import Dialog

OUTCOME_STYLES = {
    Outcome.OK: "green",
    Outcome.FAILED: "red",
    Outcome.SKIPPED: "yellow",
    Outcome.CANCELLED: "dim",
}
FILTERS = [("All", "all"), ("OK", "ok"), ("Failed", "failed"), ("Skipped", "skipped"), ("Cancelled", "cancelled")]
ORDER = {Outcome.FAILED: 0, Outcome.CANCELLED: 1, Outcome.SKIPPED: 2, Outcome.OK: 3}
"""Results show failures first, then what did not run, then the rest (each in the batch's order)."""
RETRIED = (Outcome.FAILED, Outcome.CANCELLED)
"""What ctrl+r runs again."""


def summary_line(results: Sequence[ChannelResult]) -> str:
    counts = tally(results)
    parts = [f"{counts[o]:,} {o.value}" for o in Outcome if counts[o]]
    sites = {r.site for r in results}
    where = f" on {len(sites)} sites" if len(sites) > 1 else ""
    return f"{plural(len(results), 'channel')}{where}: " + ", ".join(parts) if parts else "No channels."


def error_report(results: Sequence[ChannelResult]) -> str:
    """The failed channels' messages, one per line (site first when there is one), for the clipboard."""
    return "\n".join(
        "\t".join(([r.site] if r.site else []) + [str(r.channel_id), r.name, r.message])
        for r in results
        if r.outcome is Outcome.FAILED
    )


def site_heading(site: str, results: Sequence[ChannelResult]) -> Text:
    counts = tally(results)
    text = Text()
    text.append(f"── {site} ", style="bold")
    text.append(", ".join(f"{counts[o]:,} {o.value}" for o in Outcome if counts[o]), style="dim")
    return text


class BatchResultsScreen(Dialog[str | None]):
    """Results of one batch; dismisses with "retry" when the user asks to run the failed and
    cancelled channels again, with "select" to select the shown channels (`selected_keys`, (site, id)
    each)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("f", "cycle_filter", "Filter"),
        Binding("slash", "focus_search", "Search"),
        Binding("ctrl+r", "retry", "Retry", priority=True),
        Binding("ctrl+y", "copy_errors", "Copy errors", priority=True),
        Binding("ctrl+t", "select_shown", "Select these", priority=True),
    ]

    def __init__(self, title: str, results: Sequence[ChannelResult], *, retryable: bool = True) -> None:
        super().__init__()
        self._title = title
        self._results = sorted(results, key=lambda r: ORDER[r.outcome])
        self._retryable = retryable
        self.selected_keys: set[tuple[str, int]] = set()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="batch-results"):
            yield Label(self._title, classes="dialog-title")
            yield Label(summary_line(self._results), id="results-summary")
            with Horizontal(id="results-filters"):
                yield Select(FILTERS, value="all", allow_blank=False, compact=True, id="results-outcome", classes="filter")
                yield Input(placeholder="search name, id or message", id="results-search", classes="filter")
            yield OptionList(id="results-list")
            yield Label(
                "f filter · / search · ctrl+r retry failed and cancelled · ctrl+y copy errors · "
                "ctrl+t select the shown channels · Esc closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._render_results()
        # Filter in the keystroke's own turn, so the box and the list repaint in one frame.
        self.watch(self.query_one("#results-search", Input), "value", self._render_results, init=False)
        self.query_one(OptionList).focus()

    def _visible(self) -> list[ChannelResult]:
        wanted = self.query_one("#results-outcome", Select).value
        needle = self.query_one("#results-search", Input).value.strip().lower()
        return [
            r
            for r in self._results
            if (wanted == "all" or r.outcome.value == wanted)
            and (not needle or needle in f"{r.site} {r.channel_id} {r.name} {r.message}".lower())
        ]

    def _render_results(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        visible = self._visible()
        groups = by_site(self._results)
        if len(groups) <= 1:
            options.add_options(self._option(result) for result in visible)
            return
        shown = by_site(visible)
        for site, results in groups.items():
            if site in shown:
                options.add_option(Option(site_heading(site, results), disabled=True))
                options.add_options(self._option(result) for result in shown[site])

    @staticmethod
    def _option(result: ChannelResult) -> Option:
        text = Text()
        text.append(f"{result.outcome.value:<9}", style=OUTCOME_STYLES[result.outcome])
        text.append(f" {result.channel_id:>6} ")
        text.append(one_line(result.name), style="bold")
        if result.attempts > 1:
            text.append(f"  ({result.attempts} attempts)", style="dim")
        if result.duration:
            text.append(f"  {result.duration:.1f}s", style="dim")
        if result.extra.get("model"):
            text.append(f"  model {result.extra['model']}", style="dim")
        if result.message:
            text.append(f"\n        {result.message}")
        if result.old_models is not None and (result.added_models or result.removed_models):
            text.append(
                f"\n        +{len(result.added_models)} {', '.join(result.added_models[:8])}"
                f"  −{len(result.removed_models)} {', '.join(result.removed_models[:8])}",
                style="dim",
            )
        return Option(text)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._render_results()

    def action_cycle_filter(self) -> None:
        select = self.query_one("#results-outcome", Select)
        values = [value for _, value in FILTERS]
        select.value = values[(values.index(select.value) + 1) % len(values)]

    def action_focus_search(self) -> None:
        self.query_one("#results-search", Input).focus()

    def action_retry(self) -> None:
        if not self._retryable or not any(r.outcome in RETRIED for r in self._results):
            self.notify("Nothing to retry: no channel failed or was cancelled.", severity="warning")
            return
        self.dismiss("retry")

    def action_select_shown(self) -> None:
        """Select the channels the filter and search show (every failed one, say) in the table."""
        self.selected_keys = {(r.site, r.channel_id) for r in self._visible()}
        if not self.selected_keys:
            self.notify("No channel shown to select.", severity="warning")
            return
        self.dismiss("select")

    def action_copy_errors(self) -> None:
        report = error_report(self._results)
        if not report:
            self.notify("No errors to copy.")
            return
        self.app.copy_to_clipboard(report)
        self.notify(f"Copied {plural(report.count(chr(10)) + 1, 'error line')} to the clipboard.")
