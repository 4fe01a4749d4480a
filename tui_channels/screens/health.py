"""The fleet's health (`H`): what needs attention on every site, grouped by concern.

Each row leads straight to its channel in the fleet view (Enter), or for a site that does not
answer, to that site's own screen with its error. Sites still loading are counted in, and the
report fills in as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..config import HealthSettings
from ..services.channel_view import format_balance, format_duration_ms
from ..services.fleet import Fleet
from ..services.health import Concern, Finding, Health, assess
from ..services.test_log import Records
from ..wording import plural
from .dialog import Dialog
from .fleet_jump import Jump

REFRESH_SECONDS = 0.5
"""How often the report is worked out again while sites are still loading."""


def finding_text(finding: Finding) -> Text:
    """One row: the site, the channel (id and name), and what is wrong with it."""
    text = Text()
    text.append(f"  {finding.site}", style="bold")
    if finding.channel_id is not None:
        text.append(f" #{finding.channel_id} ", style="dim")
        text.append(finding.name)
    text.append(f" · {finding.detail}", style="dim")
    return text


def summary(health: Health) -> str:
    parts = [f"{health.count(c):,} {c.label.lower()}" for c in Concern if health.count(c)]
    return " · ".join(parts) if parts else "Nothing needs attention."


class HealthScreen(Dialog[Jump | None]):
    """The findings over the fleet; Enter goes to the finding's channel (or site)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("r", "recompute", "Again"),
    ]

    def __init__(self, fleet: Fleet, settings: HealthSettings, tests: Callable[[], Records]) -> None:
        super().__init__()
        self._fleet = fleet
        self._settings = settings
        self._tests = tests
        self._rows: list[Jump | None] = []
        self._seen: tuple[int, ...] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="health"):
            yield Label(f"Health of {plural(len(self._fleet.sessions), 'site')}", classes="dialog-title")
            yield Static(id="health-summary")
            yield Static(self._thresholds(), id="health-thresholds")
            yield OptionList(id="health-list")
            yield Static(id="health-notes")
            yield Label("Enter goes to the channel · r works it out again · Esc closes", classes="dialog-hint")

    def _thresholds(self) -> Text:
        settings = self._settings
        return Text(
            f"Slow over {format_duration_ms(settings.slow_ms)} · low balance under "
            f"{format_balance(settings.low_balance)} ([health] in config.toml)",
            style="dim",
        )

    def on_mount(self) -> None:
        self._render_report()
        self.query_one(OptionList).focus()
        self.set_interval(REFRESH_SECONDS, self._follow_loads)

    def _follow_loads(self) -> None:
        """Work the report out again when a site finished loading."""
        generations = tuple(s.generation for s in self._fleet.sessions) + (len(self._fleet.failed_sites()),)
        if generations != self._seen:
            self._render_report()

    def action_recompute(self) -> None:
        self._render_report()

    def _render_report(self) -> None:
        fleet = self._fleet
        self._seen = tuple(s.generation for s in fleet.sessions) + (len(fleet.failed_sites()),)
        health = assess(fleet.sessions, self._settings, self._tests())
        pending = fleet.pending_sites()
        head = summary(health)
        if pending:
            head = f"{head}  ({len(pending)} of {plural(len(fleet.sessions), 'site')} still loading)"
        self.query_one("#health-summary", Static).update(Text(head, style="bold"))
        notes = "\n".join(health.notes)
        self.query_one("#health-notes", Static).update(Text(notes, style="dim"))
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        self._rows = []
        for concern in Concern:
            found = [f for f in health.findings if f.concern is concern]
            if not found:
                continue
            options.add_option(Option(Text(f"── {concern.label} ({len(found):,})", style="bold"), disabled=True))
            self._rows.append(None)
            for finding in found:
                options.add_option(Option(finding_text(finding)))
                self._rows.append(Jump(finding.site, finding.channel_id))
        if highlighted is not None and highlighted < len(self._rows):
            options.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        jump = self._rows[event.option_index]
        if jump is not None:
            self.dismiss(jump)
