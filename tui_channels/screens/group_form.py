"""Create or edit one group: name, mode, timeout, pattern, and its members as channel + model.

The form edits a `ModelGroup` in memory and dismisses with it; the groups screen saves it. Members
are added one by one from every (channel, model) of the site, or all at once from the models that
match a pattern (with a preview); priority and weight are set per member where the mode uses them,
and a manual group's active member with `*`. What stops a save is listed under the members.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..model_groups import GroupMember, GroupSpec, ModelGroup
from ..models import Channel
from ..services.model_groups import default_pattern, group_problems
from ..wording import plural
from .form_dialog import FormDialog
from .group_members import MatchingPreview, MemberPicker
from .number_prompt import NumberPrompt, number_spec


def member_line(member: GroupMember, group: ModelGroup, spec: GroupSpec, channels: dict[int, Channel]) -> Text:
    """One member: the active mark, priority and weight where they count, channel, model, state."""
    mode = spec.mode(group.mode)
    channel = channels.get(member.channel_id)
    text = Text()
    text.append("★ " if member.key == group.active else "  ", style="bold yellow")
    text.append(f"{member.priority:>4} ", style="" if mode.uses_priority else "dim")
    if spec.has_weight:
        text.append(f"{member.weight:>4} ", style="" if mode.uses_weight else "dim")
    text.append(f"{channel.name if channel else f'#{member.channel_id} (no such channel)'}", style="bold")
    text.append(f"  {member.model}")
    if channel is not None and not channel.status.is_enabled:
        text.append(f"  {channel.status.label}", style="yellow")
    elif channel is not None and member.model not in channel.models:
        text.append("  model not offered by the channel", style="red")
    return text


class GroupFormScreen(FormDialog[ModelGroup | None]):
    """Dismisses with the edited group, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("a", "add_member", "Add member"),
        Binding("m", "add_matching", "Add matching"),
        Binding("d,delete", "remove_member", "Remove"),
        Binding("p", "number('priority')", "Priority"),
        Binding("w", "number('weight')", "Weight"),
        Binding("asterisk", "make_active", "Active"),
    ]

    def __init__(
        self, group: ModelGroup, spec: GroupSpec, channels: Sequence[Channel], *, title: str, taken: Sequence[str]
    ) -> None:
        super().__init__()
        self.group = group
        self._spec = spec
        self._channels = {c.id: c for c in channels}
        self._title = title
        self._taken = [name for name in taken if name != group.name]

    def compose(self) -> ComposeResult:
        spec, group = self._spec, self.group
        with Vertical(classes="dialog", id="group-form"):
            yield Label(self._title, classes="dialog-title")
            with Horizontal(classes="group-settings"):
                yield Label("Name", classes="group-label")
                yield Input(group.name, placeholder="the model name clients send", id="group-name")
            with Horizontal(classes="group-settings"):
                yield Label("Mode", classes="group-label")
                modes = [(mode.label, mode.value) for mode in spec.modes]
                if all(value != group.mode for _, value in modes):
                    modes.append((spec.mode(group.mode).label, group.mode))
                yield Select(modes, value=group.mode, allow_blank=False, compact=True, id="group-mode")
                yield Label("Timeout", classes="group-label")
                timeout = "" if group.timeout is None else str(group.timeout)
                placeholder = "0 = none" if spec.timeout_minimum == 0 else "seconds"
                yield Input(timeout, type="integer", placeholder=placeholder, id="group-timeout")
            if spec.has_pattern:
                with Horizontal(classes="group-settings"):
                    yield Label("Pattern", classes="group-label")
                    yield Input(
                        group.pattern,
                        placeholder="regular expression matching models (optional)",
                        id="group-pattern",
                    )
            yield Label(id="members-heading")
            yield OptionList(id="group-members")
            yield Static(id="group-problems", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="group-save", compact=True)
                yield Button("Cancel", id="group-cancel", compact=True)
            yield Label(self._hint(), classes="dialog-hint", id="group-hint")

    def _hint(self) -> str:
        keys = ["a add", "m add matching", "d remove", "p priority"]
        if self._spec.has_weight:
            keys.append("w weight")
        if any(m.uses_active_member for m in self._spec.modes):
            keys.append("* active")
        return " · ".join([*keys, "ctrl+s saves", "Esc cancels"])

    def on_mount(self) -> None:
        self.query_one("#group-problems", Static).display = False
        self._draw_members()
        self.query_one("#group-name", Input).focus()

    # -- state -------------------------------------------------------------------------------------

    def _read_settings(self) -> ModelGroup:
        """The group with the settings as typed (members are kept in `self.group` as they change)."""
        timeout_text = self.query_one("#group-timeout", Input).value.strip()
        pattern = (
            self.query_one("#group-pattern", Input).value.strip() if self._spec.has_pattern else self.group.pattern
        )
        mode = self.query_one("#group-mode", Select).value
        return replace(
            self.group,
            name=self.query_one("#group-name", Input).value.strip(),
            mode=mode if mode is not Select.BLANK else self.group.mode,
            timeout=int(timeout_text) if timeout_text.lstrip("-").isdigit() else None,
            pattern=pattern,
        )

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.group = self._with_active(self._read_settings())
        self._draw_members()

    def _with_active(self, group: ModelGroup) -> ModelGroup:
        """A manual group routes to nothing without an active member: the first member becomes it."""
        if self._spec.mode(group.mode).uses_active_member and group.active_member is None and group.members:
            return replace(group, active=group.ordered()[0].key)
        return group

    def _draw_members(self, highlight: tuple[int, str] | None = None) -> None:
        group, spec = self.group, self._spec
        mode = spec.mode(group.mode)
        used = [label for label, on in (("priority", mode.uses_priority), ("weight", mode.uses_weight)) if on]
        note = f"; {mode.label} uses {' and '.join(used)}" if used else f"; {mode.label}"
        columns = "  " + f"{'prio':>4} " + (f"{'wt':>4} " if spec.has_weight else "") + "channel  model"
        heading = f"Members: {len(group.members)}{note}\n{columns}"
        self.query_one("#members-heading", Label).update(heading)
        options = self.query_one("#group-members", OptionList)
        previous = options.highlighted
        options.clear_options()
        ordered = group.ordered()
        options.add_options(
            Option(member_line(m, group, spec, self._channels), id=f"{m.channel_id}\x00{m.model}") for m in ordered
        )
        if ordered:
            keys = [m.key for m in ordered]
            options.highlighted = (
                keys.index(highlight) if highlight in keys else min(previous or 0, len(ordered) - 1)
            )

    def _cursor_member(self) -> GroupMember | None:
        options = self.query_one("#group-members", OptionList)
        if options.highlighted is None or not self.group.members:
            return None
        option = options.get_option_at_index(options.highlighted)
        channel_id, model = (option.id or "").split("\x00", 1)
        return self.group.member((int(channel_id), model))

    def _set_members(self, members: Sequence[GroupMember], highlight: tuple[int, str] | None = None) -> None:
        self.group = self._with_active(replace(self._read_settings(), members=tuple(members)))
        self._draw_members(highlight)

    # -- member actions ---------------------------------------------------------------------------

    def action_add_member(self) -> None:
        present = {m.key for m in self.group.members}

        def chosen(key: tuple[int, str] | None) -> None:
            if key is None:
                return
            priority = max((m.priority for m in self.group.members), default=0) + 1
            self._set_members([*self.group.members, GroupMember(key[0], key[1], priority=priority)], key)
            self.query_one("#group-members", OptionList).focus()

        self.app.push_screen(MemberPicker(list(self._channels.values()), present), chosen)

    def action_add_matching(self) -> None:
        group = self._read_settings()
        pattern, regex = default_pattern(group, self._spec)

        def chosen(members: list[GroupMember] | None) -> None:
            if members:
                self._set_members([*self.group.members, *members], members[0].key)
                self.notify(f"Added {plural(len(members), 'member')}; save to keep them.")

        self.app.push_screen(
            MatchingPreview(group, self._spec, list(self._channels.values()), pattern, regex), chosen
        )

    def action_remove_member(self) -> None:
        member = self._cursor_member()
        if member is None:
            return
        group = self.group
        active = None if group.active == member.key else group.active
        self.group = replace(group, active=active)
        self._set_members([m for m in group.members if m.key != member.key])

    def action_number(self, field: str) -> None:
        member = self._cursor_member()
        if member is None or (field == "weight" and not self._spec.has_weight):
            return
        channel = self._channels.get(member.channel_id)
        where = f"{member.model} on {channel.name if channel else f'#{member.channel_id}'}"
        detail = "Lower is tried first (failover)." if field == "priority" else "Share of the traffic (weighted)."

        def chosen(value: int | None) -> None:
            if value is not None:
                changed = replace(member, **{field: value})
                self._set_members([changed if m.key == member.key else m for m in self.group.members], member.key)

        self.app.push_screen(
            NumberPrompt(f"Set the {field} of {where}", detail, number_spec(None, field), getattr(member, field)), chosen
        )

    def action_make_active(self) -> None:
        member = self._cursor_member()
        if member is None:
            return
        if not self._spec.mode(self._read_settings().mode).uses_active_member:
            self.notify(
                "Only a manual group routes to one active member; this mode uses them all.", severity="warning"
            )
            return
        self.group = replace(self._read_settings(), active=member.key)
        self._draw_members(member.key)

    # -- save --------------------------------------------------------------------------------------

    def action_save(self) -> None:
        group = self._read_settings()
        timeout_text = self.query_one("#group-timeout", Input).value.strip()
        problems = group_problems(group, self._channels.values(), self._spec, self._taken)
        if timeout_text and group.timeout is None:
            problems.insert(0, "The timeout must be a whole number of seconds.")
        box = self.query_one("#group-problems", Static)
        if problems:
            box.update("\n".join(problems))
            box.display = True
            return
        self.dismiss(group)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "group-save":
            self.action_save()
        else:
            self.action_cancel()
