"""Before a copy or restore: per channel, what cannot be carried to the target, and which keys are
missing (New API never returns them: `k` supplies one, otherwise the channel stays blocked)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from ..display import one_line
from ..services.channel_plan import PlannedChannel
from .plan_preview import PlanPreview, key_cell, state_cell
from .transfer_dialogs import PromptDialog


class CopyReportScreen(PlanPreview):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "supply_key", "Supply key"),
    ]
    COLUMNS: ClassVar[tuple[str, ...]] = ("#", "State", "Channel", "Type", "Key", "Not carried")
    FLEXIBLE: ClassVar[tuple[str, ...]] = ("Type", "Channel", "Key")
    HINT: ClassVar[str] = "k supply key · e edit models · f create anyway / skip · ctrl+s create · Esc cancels"

    def cells(self, row: PlannedChannel) -> tuple[object, ...]:
        type_name = self.plan.capabilities.types.get(row.spec.type).name if not row.problem else "—"
        return (
            row.position,
            state_cell(row),
            one_line(row.spec.name),
            type_name,
            key_cell(row),
            f"{len(row.losses)} item{'' if len(row.losses) == 1 else 's'}" if row.losses else "",
        )

    def detail(self, row: PlannedChannel) -> str:
        lines = [f"Row {row.position}: {one_line(row.spec.name)}  ({row.origin})"]
        if row.reason:
            lines.append(f"{row.state.value}: {row.reason}")
        if row.losses:
            lines.append("Cannot be carried:")
            lines.extend(f"  • {loss}" for loss in row.losses)
        else:
            lines.append("Everything the target supports is carried.")
        return "\n".join(lines)

    def action_supply_key(self) -> None:
        row = self.cursor_row
        if row is None or row.problem:
            return

        def typed(key: str | None) -> None:
            if key is not None and key.strip():
                self.plan.supply_key(row, key)
                self.refresh_rows()

        what = (
            f"The pool's {row.key_count} upstream keys, separated by spaces (kept in memory only)"
            if row.key_count > 1
            else "The upstream API key (kept in memory only)"
        )
        self.app.push_screen(PromptDialog(f"Key for {row.spec.name}", what, password=True), typed)
