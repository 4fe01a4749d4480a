"""What a model sync would change, channel by channel, before anything is written.

Shows the totals and, per channel, the models added and removed and what the channel's model
mapping kept or left off (aliases stay, targets are not added); the "keep models the upstream does
not offer" switch re-plans from the upstream lists already fetched. Applying dismisses with
the previewed results, which the caller writes exactly as shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Label, OptionList
from textual.widgets.option_list import Option

from ..display import one_line
from ..services.results import ChannelResult, Outcome
from ..services.sync import is_change, totals
from .dialog import Dialog
from ..widgets.tickbox import Tickbox

SHOWN_MODELS = 12
"""Model names listed per line before the rest is summarised as "… and N more"."""

_ORDER = {"change": 0, Outcome.FAILED: 1, Outcome.CANCELLED: 2, Outcome.SKIPPED: 3, Outcome.OK: 4}
_STYLES = {
    Outcome.FAILED: "$text-error",
    Outcome.CANCELLED: "$text-muted",
    Outcome.SKIPPED: "$text-warning",
    Outcome.OK: "$text-muted",
}


def _names(models: Sequence[str]) -> str:
    shown = ", ".join(models[:SHOWN_MODELS])
    more = len(models) - SHOWN_MODELS
    return f"{shown} … and {more} more" if more > 0 else shown


def preview_line(result: ChannelResult, *, with_site: bool = False) -> Content:
    """One channel of the preview: its name (after its site, over several sites) and, for a
    change, the added and removed models."""
    site = (f"{result.site}  ", "$text-accent") if with_site else ""
    head = Content.assemble(site, (f"{result.channel_id:>6} ", "$text-muted"), (one_line(result.name), "bold"))
    if not is_change(result):
        if result.outcome is Outcome.OK:
            return Content.assemble(head, "  ", (result.message or "unchanged", _STYLES[result.outcome]))
        text = f"{result.outcome.value}  {result.message}"
        return Content.assemble(head, "  ", (text, _STYLES[result.outcome]))
    parts = [head, "  ", (result.message, "bold")]
    if result.added_models:
        parts += ["\n        ", ("+ ", "$text-success"), _names(result.added_models)]
    if result.removed_models:
        parts += ["\n        ", ("− ", "$text-error"), _names(result.removed_models)]
    return Content.assemble(*parts)


class SyncPreviewScreen(Dialog[list[ChannelResult] | None]):
    """The preview; dismisses with the results to apply, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("k", "toggle_keep", "Keep unlisted models"),
        Binding("a", "apply", "Apply"),
    ]

    def __init__(
        self,
        previews: Sequence[ChannelResult],
        *,
        keep: bool,
        replan: Callable[[bool], list[ChannelResult]],
        reach: str = "",
    ) -> None:
        """`reach` says how far the sync goes when it spans sites ("40 channels on 3 sites")."""
        super().__init__()
        self._previews = list(previews)
        self._keep = keep
        self._replan = replan
        self._reach = reach

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sync-preview"):
            title = f"Model sync preview: {self._reach}" if self._reach else "Model sync preview"
            yield Label(title, classes="dialog-title")
            yield Label(id="sync-totals")
            yield Tickbox("Keep models the upstream does not offer (k)", self._keep, id="sync-keep", compact=True)
            yield OptionList(id="sync-list", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="sync-apply", compact=True)
                yield Button("Cancel", id="sync-cancel", compact=True)
                yield Label("a applies · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self._render_preview()
        self.query_one(OptionList).focus()

    def _render_preview(self) -> None:
        summary = totals(self._previews)
        self.query_one("#sync-totals", Label).update(summary.describe())
        apply = self.query_one("#sync-apply", Button)
        apply.label = f"Apply {summary.changed:,} change{'' if summary.changed == 1 else 's'}"
        apply.disabled = summary.changed == 0
        ordered = sorted(
            self._previews, key=lambda r: _ORDER["change"] if is_change(r) else _ORDER[r.outcome]
        )
        with_site = len({r.site for r in self._previews}) > 1
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(preview_line(result, with_site=with_site)) for result in ordered)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._keep = event.value
        self._previews = self._replan(event.value)
        self._render_preview()

    def action_toggle_keep(self) -> None:
        checkbox = self.query_one("#sync-keep", Checkbox)
        checkbox.value = not checkbox.value

    def action_apply(self) -> None:
        if not any(is_change(result) for result in self._previews):
            self.notify("Nothing to change: every channel already has its upstream models.")
            return
        self.dismiss(self._previews)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "sync-apply":
            self.action_apply()
        else:
            self.dismiss(None)
