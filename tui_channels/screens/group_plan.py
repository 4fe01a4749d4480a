"""Groups about to be restored or copied: what each becomes, what could not be mapped, then create.

Also the picker of deleted groups in the group trash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from ..display import one_line
from ..services.group_transfer import GroupRowState, PlannedGroup, TrashedGroup
from ..widgets.picker import Picker
from ..wording import plural
from .dialog import Dialog
from .form_dialog import FormDialog

_STATE_STYLE = {GroupRowState.READY: "green", GroupRowState.PRESENT: "yellow", GroupRowState.BLOCKED: "red"}


def plan_text(rows: Sequence[PlannedGroup]) -> Text:
    """Per group: state, name, members carried, then what could not be mapped and what is lost."""
    text = Text()
    for row in rows:
        group = row.carried.group
        text.append(f"{row.state.value:<16}", style=_STATE_STYLE[row.state])
        text.append(group.name, style="bold")
        text.append(f"  {plural(len(group.members), 'member')}  from {row.origin}\n", style="")
        if row.reason:
            text.append(f"    {row.reason}\n", style="red")
        for line in row.carried.unmapped:
            text.append(f"    not mapped: {line}\n", style="yellow")
        for line in row.carried.losses:
            text.append(f"    not carried: {line}\n", style="dim")
    return text


class GroupPlanScreen(Dialog[bool]):
    """The plan; Create dismisses with True (only ready rows are created)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel"),
        Binding("ctrl+s", "create", "Create", priority=True),
    ]

    def __init__(self, title: str, rows: Sequence[PlannedGroup]) -> None:
        super().__init__()
        self._title = title
        self._rows = list(rows)

    def compose(self) -> ComposeResult:
        ready = sum(r.state is GroupRowState.READY for r in self._rows)
        unmapped = sum(len(r.carried.unmapped) for r in self._rows)
        with Vertical(classes="dialog", id="group-plan"):
            yield Label(self._title, classes="dialog-title")
            yield Label(
                f"{ready} of {plural(len(self._rows), 'group')} ready · "
                f"{plural(unmapped, 'member')} could not be mapped "
                "(members go to the target's channels of the same name)"
            )
            with VerticalScroll(id="group-plan-rows"):
                yield Static(plan_text(self._rows))
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Create {ready}", variant="primary", id="plan-create", disabled=not ready, compact=True)
                yield Button("Cancel", id="plan-cancel", compact=True)
            yield Label("ctrl+s creates the ready groups · Esc cancels", classes="dialog-hint")

    def action_create(self) -> None:
        if any(r.state is GroupRowState.READY for r in self._rows):
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "plan-create":
            self.action_create()
        else:
            self.dismiss(False)


class TrashedGroupPicker(FormDialog[list[TrashedGroup] | None]):
    """Deleted groups, newest first; space marks, Enter restores the marked (or the highlighted) ones."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "restore", "Restore", priority=True),
    ]

    def __init__(self, trashed: Sequence[TrashedGroup]) -> None:
        super().__init__()
        self._trashed = list(trashed)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="group-trash"):
            yield Label("Restore deleted groups", classes="dialog-title")
            selections = [
                Selection(
                    f"{one_line(t.group.name)}  ({plural(len(t.group.members), 'member')})  deleted {t.deleted_at} from {t.site}",
                    position,
                )
                for position, t in enumerate(self._trashed)
            ]
            yield Picker[int](*selections, id="trash-groups")
            yield Label(
                "space marks · a marks all · Enter plans the restore (members mapped by channel name) · Esc cancels",
                classes="dialog-hint",
            )

    def action_restore(self) -> None:
        chosen = self.query_one(SelectionList)
        picked = list(chosen.selected)
        if not picked and chosen.highlighted is not None:
            picked = [chosen.highlighted]
        if picked:
            self.dismiss([self._trashed[i] for i in sorted(picked)])
