"""The preview of a key import: every key as ready, already present or blocked, before creating.

A key whose models could not be fetched is blocked until its models are typed (`e`); on New API
sites (any with user groups) `g` picks the user groups of every new channel (`default` unless changed).
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from ..display import one_line
from ..models import join_list
from ..services.channel_plan import PlannedChannel
from ..services.key_import import set_groups
from ..services.shown_secrets import shown_url
from .plan_preview import PlanPreview, key_cell, state_cell
from .transfer_dialogs import PromptDialog

SHOWN_MODELS = 12


class ImportPreviewScreen(PlanPreview):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "groups", "Groups"),
    ]
    COLUMNS: ClassVar[tuple[str, ...]] = ("#", "State", "Channel", "Base URL", "Models", "Key")
    FLEXIBLE: ClassVar[tuple[str, ...]] = ("Base URL", "Channel", "Key")
    HINT: ClassVar[str] = "e edit models · f create anyway / skip · g groups · ctrl+s create · Esc cancels"

    def cells(self, row: PlannedChannel) -> tuple[object, ...]:
        return (
            row.position,
            state_cell(row),
            one_line(row.spec.name),
            shown_url(self.plan.effective_url(row.spec)),
            len(row.spec.models),
            key_cell(row),
        )

    def detail(self, row: PlannedChannel) -> str:
        models = list(row.spec.models)
        listed = ", ".join(models[:SHOWN_MODELS])
        if len(models) > SHOWN_MODELS:
            listed += f" and {len(models) - SHOWN_MODELS} more"
        lines = [f"Row {row.position}: {one_line(row.spec.name)}  ({row.origin})"]
        if row.reason:
            lines.append(f"{row.state.value}: {row.reason}")
        lines.append(f"Models: {listed or '(none)'}")
        if self.plan.capabilities.field("groups") is not None:
            ranks = "" if row.spec.priority is None else f" · priority {row.spec.priority} · weight {row.spec.weight}"
            lines.append(f"Groups: {', '.join(row.spec.groups)}{ranks}")
        return "\n".join(lines)

    def action_groups(self) -> None:
        if self.plan.capabilities.field("groups") is None:
            self.notify(f"{self.plan.capabilities.flavor_label} channels have no user groups.", severity="warning")
            return
        current = join_list(self.plan.rows[0].spec.groups) if self.plan.rows else "default"

        def typed(groups: str | None) -> None:
            if groups is not None:
                chosen = set_groups(self.plan, groups)
                self.notify(f"New channels serve the groups: {', '.join(chosen)}")
                self.refresh_rows()

        self.app.push_screen(PromptDialog("User groups of the new channels", "Groups, comma-separated", current), typed)
